"""Charts of the growth run: one PNG per measure, latency against data size.

`growth_frame(report)` flattens the JSON that `python -m benchmarks --sizes ...` writes into
long rows (contacts, events, engine, measure, statistic, ms); `growth_chart(frame, measure,
budget)` draws one measure (p95 solid, median dashed, one colour per engine, the budget as a
rule); `save_charts(report, directory)` writes every measure as PNG (vl-convert, no browser).
Titles are Spanish and English: the charts go to the README, not to the app's catalogue.
"""

from pathlib import Path

import altair as alt
import polars as pl
import vl_convert

# The measures of issue 13 whose cost may depend on the size of the data: (title, budget key).
MEASURES = {
    "report_90d": "Datos del informe, 90 días / Report page data, 90 days",
    "report_365d": "Datos del informe, 365 días / Report page data, 365 days",
    "search_prefix": "Búsqueda por prefijo / Prefix search",
    "search_substring": "Búsqueda por subcadena / Substring search",
    "card": "Datos de la ficha / Contact card data",
    "card_page_browser": "Ficha en Chromium, clic → ficha / Card page in Chromium, pick → card",
}
STATISTICS = {"p95_ms": "p95", "median_ms": "mediana / median"}
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def growth_frame(report: dict) -> pl.DataFrame:
    """Long rows from a growth report: contacts, events, engine, measure, statistic, ms,
    budget_ms (one row per size × engine × measure × statistic)."""
    rows = []
    for run in report["runs"]:
        for kind, data in run["engines"].items():
            for measure, entry in data["results"].items():
                if measure not in MEASURES:
                    continue
                for key, label in STATISTICS.items():
                    rows.append(
                        {
                            "contacts": run["contacts"],
                            "events": data["build"]["events"],
                            "engine": ENGINES.get(kind, kind),
                            "measure": measure,
                            "statistic": label,
                            "ms": float(entry[key]),
                            "budget_ms": float(entry["budget_ms"]),
                        }
                    )
    schema = {
        "contacts": pl.Int64,
        "events": pl.Int64,
        "engine": pl.Utf8,
        "measure": pl.Utf8,
        "statistic": pl.Utf8,
        "ms": pl.Float64,
        "budget_ms": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema)


def growth_chart(
    frame: pl.DataFrame, measure: str, budget_ms: float, subtitle: str = ""
) -> alt.LayerChart:
    """Latency of `measure` against the number of contacts: a line per engine and statistic
    (p95 solid, median dashed), the budget as a horizontal rule."""
    data = frame.filter(pl.col("measure") == measure).sort("contacts")
    sizes = sorted(set(data["contacts"].to_list())) or [1]
    base = alt.Chart(data).encode(
        x=alt.X(
            "contacts:Q",
            title="contactos / contacts",
            scale=alt.Scale(type="log", domain=[sizes[0], sizes[-1]], nice=False),
            axis=alt.Axis(values=sizes, format="~s"),
        ),
    )
    lines = base.mark_line(point=True).encode(
        y=alt.Y("ms:Q", title="ms"),
        color=alt.Color("engine:N", title="motor / engine"),
        strokeDash=alt.StrokeDash(
            "statistic:N",
            title="",
            sort=list(STATISTICS.values()),
            legend=alt.Legend(symbolType="stroke", symbolStrokeColor="gray", symbolStrokeWidth=2),
        ),
        tooltip=["engine", "statistic", "contacts", "events", alt.Tooltip("ms:Q", format=".1f")],
    )
    rule_data = pl.DataFrame({"budget_ms": [budget_ms], "label": ["presupuesto / budget"]})
    rule = alt.Chart(rule_data).mark_rule(color="#c0392b", strokeWidth=2).encode(y="budget_ms:Q")
    label = (
        alt.Chart(rule_data)
        .mark_text(align="left", dx=4, dy=-6, color="#c0392b")
        .encode(y="budget_ms:Q", x=alt.value(0), text="label:N")
    )
    lines_note = "continua p95, discontinua mediana / solid p95, dashed median"
    title = alt.TitleParams(MEASURES[measure], subtitle=[lines_note, subtitle])
    return alt.layer(lines, rule, label).properties(title=title, width=440, height=260)


def run_subtitle(report: dict) -> str:
    """When it was measured and the machine's load (1-minute load average) during the run."""
    loads = [
        x[0]
        for run in report["runs"]
        for x in (run.get("loadavg_before"), run.get("loadavg_after"))
        if x
    ]
    when = report.get("measured_at", "")[:10]
    if not loads:
        return f"medido / measured {when}"
    return f"medido / measured {when}; carga / load average {min(loads):.1f}–{max(loads):.1f}"


def save_charts(report: dict, directory: Path, scale: float = 1.0) -> list[Path]:
    """Every measure of the report as `growth-<measure>.png` in `directory`; the paths."""
    frame = growth_frame(report)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for measure in MEASURES:
        part = frame.filter(pl.col("measure") == measure)
        if part.is_empty():
            continue
        chart = growth_chart(frame, measure, part["budget_ms"].max(), run_subtitle(report))
        png = vl_convert.vegalite_to_png(chart.to_dict(), scale=scale)
        path = directory / f"growth-{measure}.png"
        path.write_bytes(png)
        written.append(path)
    return written


def main(argv=None) -> int:
    """`python -m benchmarks.growth_charts [JSON] [--out DIR]`: draw the charts again from a
    growth report (default: benchmarks/results/growth-latest.json)."""
    import argparse
    import json

    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth_charts")
    parser.add_argument("report", nargs="?", default=str(here / "results" / "growth-latest.json"))
    parser.add_argument("--out", default=str(here / "results"))
    args = parser.parse_args(argv)
    for path in save_charts(json.loads(Path(args.report).read_text()), Path(args.out)):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
