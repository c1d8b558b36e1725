"""The contacts import reads a file a column at a time (`crm_contacts._read`, polars); here it
is held to a row-by-row reading written the plain way (the csv module, then each rule in
Python, as the import did before): the same readable rows with the same values, the same
quarantined rows with the same reasons and raw text, the same refusals. And the column-wise
text rules (`text.fold_series`...) to the functions they stand for."""

import csv
import io
import json
import re
import string
import sys
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from data_access import crm_contacts, policy, text
from data_access.ingest.model import FormatError
from data_access.ingest.values import Unreadable, iso_moment

# --- the plain way ---------------------------------------------------------------------------


def plain_read(content: str):
    """(readable rows as tuples, row count, quarantine items) the row-by-row way."""
    reader = csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    rows, line = [], 1
    try:
        for fields in reader:
            if any(map(str.strip, fields)):
                rows.append((line, fields))
            line = reader.line_num + 1
    except csv.Error as error:
        raise FormatError(f"CSV ilegible desde la línea {line}: {error}") from error
    if not rows:
        raise FormatError("El archivo está vacío: falta la fila de cabecera.")
    header = [name.strip() for name in rows[0][1]]
    crm_contacts._check_header(header)
    items, readable = [], []

    def refuse(line, shown, reason):
        raw = json.dumps(shown, ensure_ascii=False)
        items.append({"position": line, "item": 1, "raw": raw, "reason": reason})

    for line, fields in rows[1:]:
        if len(fields) != len(header):
            refuse(line, fields, f"la fila tiene {len(fields)} campos y la cabecera {len(header)}")
            continue
        value = {name: fields[header.index(name)].strip() or None for name in header}
        problem, row = plain_row(value, "\x00" in "".join(fields))
        if problem:
            refuse(line, dict(zip(header, fields)), problem)
        else:
            readable.append((line, *row))
    return readable, len(rows) - 1, items


def plain_row(value: dict, nul: bool):
    email, name = value.get("email"), value.get("name")
    crm_id, created = value.get("crm_id"), value.get("created_at")
    if nul:
        return "contiene el carácter NUL, que no se puede guardar", None
    if email is None:
        return "falta la dirección de correo (email)", None
    email = email.strip().lower()
    if len(email) > 320:
        return "dirección de más de 320 caracteres", None
    if crm_id is not None and len(crm_id) > 100:
        return "crm_id de más de 100 caracteres", None
    if name is not None:
        name = " ".join(name.split())[:300]
    if created is not None:
        try:
            created = iso_moment(created, naive_is_utc=True, hint=crm_contacts._DATE_HINT)
        except Unreadable as error:
            return f"created_at: {error}", None
    return None, (email, name, crm_id, created)


def column_read(content: str):
    rows, received, quarantine = crm_contacts._read(content)
    columns = ("line", "email", "name", "crm_id", "created_at")
    return [tuple(row) for row in rows.select(columns).rows()], received, quarantine.items


def same_reading(content: str) -> None:
    try:
        want = plain_read(content)
    except FormatError as error:
        with pytest.raises(FormatError) as raised:
            crm_contacts._read(content)
        assert str(raised.value) == str(error)
        return
    assert column_read(content) == want


# --- files ----------------------------------------------------------------------------------

DATES = [
    "2024-05-01T14:03:00Z",
    "2024-02-30T00:00:00Z",  # no such day
    "2024-05-01T24:00:00Z",
    "2024-05-01 14:03:00",
    "2024-05-01T14:03:00+02:00",
    "2024-05-01T14:03:00.123456Z",
    "1969-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "2100-12-31T23:59:59Z",
    "31/12/2024",
    " 2024-05-01T14:03:00Z ",
    "2024-05-01",
    "",
]
PIECES = [
    "ana@example.com",
    "ANA@Example.COM",
    "  Ana   López\t",
    "José Núñez",
    "Straße",
    "İstanbul",
    "e\u0301",  # e + combining acute
    "\x1c",
    "\u3000",
    "\xa0",
    "C-1",
    "c-1",
    "x" * 101,
    "y" * 330,
    "@",
    "a@b",
    "\x00",
    "ﬁn",
]
CELL = st.one_of(
    st.sampled_from(DATES + PIECES),
    st.text(alphabet=string.ascii_letters + " @.-", max_size=8),
    st.text(max_size=6),
)
SEPARATORS = st.sampled_from(["\n", "\r\n"])


@st.composite
def contacts_files(draw):
    header = draw(st.permutations(["email", "name", "crm_id", "created_at"]))
    header = header[: draw(st.integers(1, 4))]
    if "email" not in header:
        header = ["email", *header]
    newline = draw(SEPARATORS)
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 8))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        cells = [draw(CELL) for _ in range(max(width, 0))]
        quoting = draw(st.sampled_from(["none", "none", "needed", "all"]))
        if quoting == "none":
            lines.append(",".join(cells))
        else:
            buffer = io.StringIO()
            mode = csv.QUOTE_MINIMAL if quoting == "needed" else csv.QUOTE_ALL
            csv.writer(buffer, lineterminator="", quoting=mode).writerow(cells)
            lines.append(buffer.getvalue())
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["", "  ", ",,", '"",""', " , "])))
    content = newline.join(lines) + draw(st.sampled_from(["", newline]))
    if draw(st.booleans()):
        content = "\ufeff" + content
    return content


@settings(max_examples=400, deadline=None)
@given(contacts_files())
@example('email,name\nana@example.com,"O\'Brien, Ana"\nbea@example.com,Bea\n')
@example('email,name\nana@example.com,"Ana\nLópez"\nbea@example.com,Bea\n')  # csv module
@example("email,name\rana@example.com,Ana\r")  # lone carriage returns: the csv module
@example('email,name\nana@example.com,O"Brien\nbea@example.com,"a"b\n')
@example('email,name\nana@example.com,"a""\nb"\n')  # a doubled quote, then a line break
@example("\n\n  \nemail\n\nana@example.com\n")
@example('"email","name"\n"ana@example.com","Ana"\n')
@example("email,name\n" + "a" * 200_000 + "@x.com,Ana\n")  # beyond the csv module's limit
def test_the_columns_read_what_the_rows_read(content):
    same_reading(content)


def test_the_common_files_are_read_a_line_at_a_time():
    """The line-at-a-time reading is the one that runs for a CRM export (else the test
    above compares the csv module with itself): quotes on single lines included."""
    plain = "email,name\nana@example.com,Ana\n"
    quoted = 'email,name\r\nana@example.com,"López, Ana"\r\nbea@example.com,"Bea ""B"""\r\n'
    assert crm_contacts._by_lines(plain) is not None
    assert crm_contacts._by_lines(quoted) is not None
    for needs_the_csv_module in (
        'email,name\nana@example.com,"Ana\nLópez"\n',
        "email,name\rana@example.com,Ana\r",
        "email,name\nana@example.com,Ana\x00\n",
    ):
        assert crm_contacts._by_lines(needs_the_csv_module) is None


def test_a_file_of_many_rows_reads_the_same(tmp_path):
    rows = [("email", "name", "crm_id", "created_at")]
    for i in range(3_000):
        name = ["Ana", "José Núñez", "O'Brien, Ana", "Straße", ""][i % 5]
        rows.append((f"p{i % 2_900}@Example.com ", name, f"C-{i % 2_950}", DATES[i % len(DATES)]))
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    same_reading(buffer.getvalue())


# --- the text rules, a column at a time ------------------------------------------------------

TEXTS = st.one_of(
    st.text(),
    st.text(alphabet=string.printable + "áéíóúñÑÁÉÍÓÚüÜçÇßİıſﬁŉĲǅΣσς\u0301\u3000\xa0\x1c"),
)


def test_python_white_space_is_written_out_in_full():
    found = "".join(ch for ch in map(chr, range(sys.maxunicode + 1)) if ch.isspace())
    assert found == text.PY_WHITESPACE


def test_every_latin_letter_folds_as_fold_does():
    """Each character that the column-wise fold keeps away from Python, alone and in words."""
    fast = [chr(c) for c in range(0x180) if not re.search(text._NEEDS_PYTHON, chr(c))]
    assert "ß" not in fast and "ñ" in fast and "Ĳ" in fast
    values = fast + [f"Ab {ch}x  Ñ{ch}" for ch in fast]
    assert text.fold_series(pl.Series(values)).to_list() == [text.fold(v) for v in values]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), TEXTS), max_size=12))
def test_the_column_rules_give_what_the_functions_give(values):
    series = pl.Series(values, dtype=pl.Utf8)
    present = [v for v in values if v is not None]
    assert text.fold_series(series).drop_nulls().to_list() == [text.fold(v) for v in present]
    assert text.lower_series(series).drop_nulls().to_list() == [v.lower() for v in present]
    assert text.email_domain_series(series).to_list() == [text.email_domain(v) for v in values]
    stripped = series.to_frame("v").select(text.strip_expr(pl.col("v")))["v"]
    assert stripped.drop_nulls().to_list() == [v.strip() for v in present]
    collapsed = series.to_frame("v").select(text.collapse_expr(pl.col("v")))["v"]
    assert collapsed.drop_nulls().to_list() == [" ".join(v.split()) for v in present]


ADDRESS = st.text(alphabet="abcz09._+-@A", min_size=1, max_size=12).map(
    lambda local: local
) | st.sampled_from(["ana@example.com", "a@b.c", "a@x--y.com", "a@b.co"])
DOMAINS = st.sampled_from(
    ["example.com", "mail.test", "test", "x.localhost", "arpa", "a-b.org", "b--c.net", "co"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(ADDRESS, st.builds(lambda a, d: f"{a}@{d}", ADDRESS, DOMAINS))))
@example(["a" * 64 + "@example.com", "a" * 65 + "@example.com", "a@" + "b" * 250 + ".com"])
def test_plainly_valid_addresses_are_found_a_column_at_a_time(addresses):
    found = policy.plainly_valid_series(pl.Series(addresses, dtype=pl.Utf8)).to_list()
    assert found == [policy.is_plainly_valid(a) for a in addresses]


def test_the_stored_creation_times_are_read_in_either_shape():
    known = pl.DataFrame(
        {"old_created_at": ["2024-05-01 14:03:00.000000", "2024-05-01T14:03:00", None]},
        schema={"old_created_at": pl.Utf8},
    )
    read = crm_contacts._with_moments(known)["old_created_at"].to_list()
    moment = datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
    assert read == [moment, moment, None]
