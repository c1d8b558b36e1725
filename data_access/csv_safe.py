"""CSV files for people: spreadsheet formulas neutralised. Every CSV that the dashboard, the CLI
or a notebook writes for someone to open goes through `write_csv` (or `csv_bytes`).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` as a formula (and a leading
tab or carriage return is dropped before it looks), so a contact called `=HYPERLINK(...)`
would become a live link or worse in whoever opens the export. Such a text value gets a
leading apostrophe, which spreadsheets show as text and do not display (OWASP's advice for
CSV injection). Numbers, dates and booleans are written as they are; a negative number is
not a formula. Column names are treated like values.

Not for machine formats: the generic import CSV (`ingest.csv_format.write`) and the
PostgreSQL COPY stream (`bulk`) are read back by Rastro and must keep every byte; the plain
suppression list is one address a line, not a CSV (`blocks.suppression_list`).
"""

from pathlib import Path
from typing import IO

import polars as pl

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def neutralise(value: str | None) -> str | None:
    """`value` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value is not None and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def restore(value: str) -> str:
    """A value read back from a neutralised CSV as it was (the apostrophe removed)."""
    if value.startswith(QUOTE) and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


def neutralise_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Every text cell and column name of `frame` neutralised (other columns as they are)."""
    texts = [name for name, dtype in frame.schema.items() if dtype == pl.Utf8]
    safe = frame.with_columns(
        pl.when(pl.col(name).str.contains(r"^[=+\-@\t\r]"))
        .then(QUOTE + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in texts
    )
    return safe.rename({name: neutralise(name) for name in frame.columns})


def write_csv(frame: pl.DataFrame, file: str | Path | IO | None = None) -> str | None:
    """`frame` as CSV with formulas neutralised: the text when `file` is None, else written
    to the path or file object (UTF-8)."""
    return neutralise_frame(frame).write_csv(file)


def csv_bytes(frame: pl.DataFrame) -> bytes:
    """`frame` as a neutralised UTF-8 CSV, for a download button."""
    return write_csv(frame).encode("utf-8")
