"""Spreadsheet formula neutralisation, and every CSV writer of the app that uses it."""

import csv
import io
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dashboard import report_view
from dashboard.settings import load_settings
from data_access import csv_safe
from data_access.reports import AFFECTED_SCHEMA

RISKY = ["=1+1", "+34 600", "-2+3", "@SUM(A1)", "\t=cmd", "\r=cmd", '=HYPERLINK("http://x")']
PLAIN = ["Ana", "a=b", "", " =x", "1-2", "ana@example.com", "'=ya"]


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("value", RISKY)
def test_values_a_spreadsheet_would_run_get_an_apostrophe(value):
    assert csv_safe.neutralise(value) == "'" + value


@pytest.mark.parametrize("value", [*PLAIN, None])
def test_other_values_are_left_alone(value):
    assert csv_safe.neutralise(value) == value


@given(st.text())
def test_no_neutralised_value_starts_like_a_formula_and_nothing_is_lost(value):
    safe = csv_safe.neutralise(value)
    assert not safe.startswith(csv_safe.FORMULA_STARTS)
    assert safe in (value, "'" + value)


def test_a_frame_is_neutralised_in_text_cells_and_names_only():
    frame = pl.DataFrame(
        {"name": [*RISKY, *PLAIN[:2]], "n": list(range(-1, len(RISKY) + 1)), "=col": ["x"] * 9}
    )
    rows = read(csv_safe.write_csv(frame))
    assert rows[0] == ["name", "n", "'=col"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in RISKY] + PLAIN[:2]
    assert rows[1][1] == "-1"  # a negative number is not a formula


def test_write_csv_writes_a_file(tmp_path):
    path = tmp_path / "x.csv"
    csv_safe.write_csv(pl.DataFrame({"a": ["=x"]}), path)
    assert path.read_text(encoding="utf-8") == "a\n'=x\n"
    assert csv_safe.csv_bytes(pl.DataFrame({"a": ["ñ"]})) == "a\nñ\n".encode()


def test_the_report_drill_down_export_is_neutralised():
    affected = pl.DataFrame(
        [
            (
                1,
                "=HYPERLINK(1)",
                "+x@example.com",
                datetime(2026, 3, 3, tzinfo=UTC),
                2,
                True,
                "unsubscribed",
            )
        ],
        schema=AFFECTED_SCHEMA,
        orient="row",
    )
    rows = read(report_view.export_csv(affected, load_settings({}), "es").decode())
    assert rows[1][:2] == ["'=HYPERLINK(1)", "'+x@example.com"]
