"""Every refusal of a whole file (data_access.ingest's FormatError, ConcurrentImport and the
other ImportRefused: too large, a bad setting, another import holding SQLite) has a
catalogue key, `import.refused.<key>`, in Spanish and English with the same placeholders,
filled by the values the error carries; the Spanish text is the error's own message."""

import ast
import os
import sqlite3
import string
import tempfile
from pathlib import Path
from unittest import mock

import pytest

from dashboard import i18n
from data_access import ingest
from data_access.engine import make_engine
from data_access.ingest import csv_format, mailgun, postmark, sendgrid, ses
from data_access.ingest.model import ConcurrentImport, FormatError, ImportRefused

INGEST = Path(ingest.__file__).parent
REFUSALS = {"FormatError", "ConcurrentImport", "ImportRefused"}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def raised_keys() -> dict[str, set[str]]:
    """key -> the names of the values passed with it, for every refusal made in
    data_access/ingest (read from the source: a refusal without a literal key fails)."""
    keys: dict[str, set[str]] = {}
    for path in sorted(INGEST.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in REFUSALS):
                continue
            if _name(node.func) == "ConcurrentImport" and not node.args and not node.keywords:
                keys.setdefault(ConcurrentImport().key, set())
                continue
            given = {k.arg: k.value for k in node.keywords}
            key = given.pop("key", None)
            where = f"{path.name}:{node.lineno}"
            assert isinstance(key, ast.Constant) and isinstance(key.value, str), where
            keys[key.value] = set(given)
    return keys


def placeholders(text: str) -> set[str]:
    return {field for _literal, field, _spec, _conv in string.Formatter().parse(text) if field}


def test_the_source_raises_refusals_with_keys():
    keys = raised_keys()
    assert "concurrent_import" in keys and "unknown_provider" in keys
    assert len(keys) >= 20


@pytest.mark.parametrize("key", sorted(raised_keys()))
def test_every_key_has_spanish_and_english_with_the_same_placeholders(key):
    entry = i18n.CATALOGUE[f"import.refused.{key}"]
    assert entry["es"] and entry["en"] and entry["es"] != entry["en"]
    assert placeholders(entry["es"]) == placeholders(entry["en"]) == raised_keys()[key]


def test_no_catalogue_entry_is_left_without_a_refusal():
    prefix = "import.refused."
    entries = {k.removeprefix(prefix) for k in i18n.CATALOGUE if k.startswith(prefix)}
    assert entries == set(raised_keys())


def refusal(make) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        make()
    return refused.value


def _all(parser, text):
    return lambda: list(parser.parse(text))


def _concurrent():
    raise ConcurrentImport()  # what the store raises when the counts do not add up


def _with_env(variables: dict, make):
    def run():
        with mock.patch.dict(os.environ, variables):
            make()

    return run


def _while_sqlite_is_locked():
    """An import into an SQLite file whose write lock another connection holds."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "rastro.sqlite3"
        holder = sqlite3.connect(path)
        holder.execute("PRAGMA journal_mode = WAL")  # as Rastro's engines leave it
        holder.execute("BEGIN IMMEDIATE")
        engine = make_engine(f"sqlite:///{path}")
        try:
            with mock.patch.dict(os.environ, {"RASTRO_SQLITE_BUSY_SECONDS": "0.05"}):
                csv = b"occurred_at,email,event\n2026-01-01T00:00:00Z,a@example.com,sent\n"
                ingest.import_bytes(engine, "csv", csv, source="a.csv", default_origin="campaign")
        finally:
            engine.dispose()
            holder.close()


# The refusals that are not about the file's format.
NOT_THE_FORMAT = {"concurrent_import", "import_running", "too_large", "bad_setting"}

# One real way to get each refusal.
CASES = {
    "too_large": _with_env(
        {"RASTRO_MAX_IMPORT_MB": "0.00001"},
        lambda: ingest.import_bytes(None, "csv", b"x" * 100, source="grande.csv"),
    ),
    "bad_setting": _with_env(
        {"RASTRO_MAX_IMPORT_MB": "mucho"},
        lambda: ingest.import_bytes(None, "csv", b"x", source="a.csv"),
    ),
    "import_running": _while_sqlite_is_locked,
    "unknown_provider": lambda: ingest.parser("mandrill"),
    "not_utf8": lambda: ingest.decode(b"ok\xff"),
    "unreadable_file": lambda: ingest.import_file(None, "csv", "/no/existe.csv"),
    "concurrent_import": _concurrent,
    "empty_file": _all(postmark, " \n"),
    "json_empty": _all(sendgrid, ""),
    "not_json": _all(ses, "hola\nadiós"),
    "bodies_not_json": _all(postmark, "{roto\n{otro"),
    "sendgrid_empty": _all(sendgrid, "[]"),
    "sendgrid_foreign": _all(sendgrid, '[{"x": 1}]'),
    "ses_empty": _all(ses, "[]"),
    "ses_foreign": _all(ses, '{"x": 1}'),
    "mailgun_foreign": _all(mailgun, '{"event-data": 1}'),
    "mailgun_not_json_nor_form": _all(mailgun, "hola"),
    "mailgun_forms_foreign": _all(mailgun, "a=1&b=2"),
    "postmark_foreign": _all(postmark, '{"x": 1}'),
    "csv_empty": _all(csv_format, "\n"),
    "csv_unreadable": _all(csv_format, "email,event\n" + "x" * 200_000),
    "csv_unnamed_column": _all(csv_format, "email,,event\n"),
    "csv_unknown_columns": _all(csv_format, "email,event,occurred_at,color\n"),
    "csv_repeated_columns": _all(csv_format, "email,email,event,occurred_at\n"),
    "csv_missing_columns": _all(csv_format, "email\n"),
}


def test_every_key_has_a_case():
    assert set(CASES) == set(raised_keys())


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_spanish_entry_is_the_message_and_english_is_filled(key):
    error = refusal(CASES[key])
    assert error.key == key
    assert i18n.t(f"import.refused.{key}", "es", **error.params) == str(error)
    english = i18n.t(f"import.refused.{key}", "en", **error.params)
    assert english and english != str(error)
    assert all(str(value) in english for value in error.params.values())
    assert isinstance(error, FormatError) != (key in NOT_THE_FORMAT)
