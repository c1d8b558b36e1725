"""The growth run's charts: built from a small JSON, written as PNG, with the budget rule."""

import json

import polars as pl

from benchmarks import growth_charts


def _entry(median: float, p95: float, budget: float) -> dict:
    return {"n": 10, "median_ms": median, "p95_ms": p95, "max_ms": p95, "budget_ms": budget}


def small_report() -> dict:
    runs = []
    for contacts, scale in ((5_000, 1.0), (20_000, 2.5)):
        engines = {}
        for kind, extra in (("sqlite", 0.0), ("postgresql", 3.0)):
            engines[kind] = {
                "build": {"contacts": contacts, "events": contacts * 20},
                "results": {
                    "report_90d": _entry(20 * scale + extra, 30 * scale + extra, 150.0),
                    "card": _entry(1 * scale, 2 * scale, 20.0),
                    "blocks_page": _entry(1.0, 2.0, 20.0),  # not a growth measure
                },
            }
        runs.append({"contacts": contacts, "engines": engines})
    return {"sizes": [5_000, 20_000], "runs": json.loads(json.dumps(runs))}


def test_the_frame_has_both_engines_both_statistics_and_every_size():
    frame = growth_charts.growth_frame(small_report())
    assert set(frame["measure"]) == {"report_90d", "card"}
    assert set(frame["engine"]) == {"SQLite", "PostgreSQL"}
    assert frame.filter(measure="report_90d").height == 2 * 2 * 2  # sizes × engines × stats
    p95 = frame.filter(measure="report_90d", engine="PostgreSQL", contacts=20_000, statistic="p95")[
        "ms"
    ]
    assert p95.to_list() == [78.0]


def test_the_chart_has_two_engine_lines_and_the_budget_rule():
    frame = growth_charts.growth_frame(small_report())
    spec = growth_charts.growth_chart(frame, "report_90d", 150.0).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["line", "rule", "text"]
    line, rule = spec["layer"][0], spec["layer"][1]
    assert line["encoding"]["color"]["field"] == "engine"
    assert line["encoding"]["strokeDash"]["field"] == "statistic"
    assert line["encoding"]["x"]["field"] == "contacts"
    rule_values = spec["datasets"][rule["data"]["name"]]
    assert rule_values[0]["budget_ms"] == 150.0 and rule["encoding"]["y"]["field"] == "budget_ms"
    title = spec["title"]["text"]
    assert "informe" in title.lower() and "report" in title.lower()  # Spanish and English


def test_save_charts_writes_one_png_per_measure(tmp_path):
    paths = growth_charts.save_charts(small_report(), tmp_path)
    assert sorted(p.name for p in paths) == ["growth-card.png", "growth-report_90d.png"]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 2_000


def test_the_command_draws_again_from_a_json(tmp_path):
    report = tmp_path / "growth.json"
    report.write_text(json.dumps(small_report()))
    assert growth_charts.main([str(report), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "growth-card.png").exists()
    assert isinstance(growth_charts.growth_frame({"runs": []}), pl.DataFrame)
