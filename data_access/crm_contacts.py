"""Contacts from the CRM: a CSV export of the CRM's contact list, upserted by address.

`import_contacts_file` is what the CLI (`python -m data_access contacts import`) calls and
`import_contacts_bytes` what the "Importar" page calls. One file is one transaction: all of it
or nothing. Every row is accounted for:

    received = created + updated + unchanged + quarantined

The format (the same conventions as the generic events CSV):

- UTF-8 (a byte-order mark at the start is allowed), comma-separated, RFC 4180 quoting; a
  header row with the column names, in any order, each one of `email`, `name`, `crm_id`,
  `created_at`, written exactly so; `email` is required. A file with an unknown, repeated or
  unnamed column, without `email`, or that is not CSV at all is refused whole, with a message.
- One row per contact; spaces around a value are ignored; an empty value means "none"; empty
  rows are skipped. A row's position is the line where it starts (the header is line 1).
- `email`: the address, matched and stored normalised (trimmed, lower case), as event imports
  match recipients. `name`: the contact's name (white space inside collapsed; the first 300
  characters are kept). `crm_id`: the CRM's id of the contact, kept as written (case matters:
  some CRMs' ids are case-sensitive), at most 100 characters. `created_at`: when the contact
  was created in the CRM, ISO 8601; without an offset the time is UTC.

The rules (decisions, also in the README):

- Upsert by address. A new address becomes a contact; for a known one the name and the CRM id
  are replaced by the file's, and `created_at` by the file's when it is earlier (an events
  import creates a contact at its first event, later than its creation in the CRM). An empty
  value changes nothing: a file of addresses and ids leaves the names alone. Events are never
  touched. A contact created without `created_at` is created now.
- Invalid addresses become contacts, as unknown recipients of event imports do: the status
  policy blocks them (`invalid_address`) and the card says so.
- The same address twice in the file (after normalisation): the last readable row wins, as if
  the rows were applied one after another; the earlier ones go to the quarantine, naming the
  line that was used.
- A CRM id is unique among contacts. A row whose `crm_id` another contact keeps after the
  import, or that the file gives to several addresses, goes to the quarantine (Rastro matches
  by address and never moves an id between contacts by itself). Ids that the file swaps
  between its own contacts are fine.
- A row that cannot be stored goes to the same quarantine as event imports (provider
  `crm_contacts`): wrong number of fields, no address, an address of more than 320
  characters, a CRM id of more than 100, an unreadable or impossible date, a NUL character.

How it is fast (the budget: ≥ 50,000 contacts a second into SQLite, benchmarks.contacts_import):

- The file is read a column at a time (polars). A line without quotes is split at its commas;
  a line with quotes that ends its row goes to the csv module alone; a file with a quoted line
  break, a lone carriage return or NUL goes to the csv module whole. Each rule is applied to
  whole columns; the Python-only ones (dates of an uncommon shape, text beyond ASCII and the
  Latin letters) once per distinct value. tests/unit/test_crm_contacts_columns.py holds this to
  a row-by-row reading.
- The file is read in a second thread while the database is: the write lock, then (SQLite,
  a file that names a third or more of the table) every contact in one pass, else the file's
  addresses and CRM ids looked up through their indexes.
- The decisions (last row of each address, CRM ids) are joins, not loops.
- Only what changes is written: updates by kind of change, each setting only its columns; new
  contacts prepared in the second thread while the updates are written, then given to the
  driver with their ids; the status of a plainly valid address (almost all) in one
  INSERT ... SELECT, the others through the policy.
- SQLite, when the file changes half the contacts or more: the contacts' indexes and the
  search table are set aside and built again at the end (`bulk.indexes_set_aside`), cheaper
  than keeping them up to date row by row; else the search table gets only the new and renamed
  contacts (`_search_index_kept_by_hand`). tests/data_access/test_crm_contacts_ways.py holds
  every way to the same database.
"""

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from . import bulk, policy, schema
from .ingest import decode
from .ingest.csv_format import read_rows
from .ingest.model import FormatError
from .ingest.store import write_quarantine
from .ingest.values import EARLIEST, LATEST, Unreadable, iso_moment
from .status import refresh_contact_status
from .text import (
    MAX_CRM_ID_CHARS,
    collapse_expr,
    email_domain_series,
    fold_series,
    lower_series,
    strip_expr,
)

PROVIDER = "crm_contacts"  # the quarantine's `provider` for rows of a contacts file
REQUIRED = ("email",)
COLUMNS = REQUIRED + ("name", "crm_id", "created_at")
MAX_EMAIL = 320
MAX_NAME = 300
MAX_CRM_ID = MAX_CRM_ID_CHARS
MAX_KEY = 320  # the search keys' width (folding can lengthen a text: "ß" -> "ss")
CHUNK = 10_000
# SQLite: the share of all contacts, new or renamed, from which the import rebuilds the search
# index instead of adding to it ('rebuild' cost ~0.6 of the additions per contact, measured).
REBUILD_SHARE = 0.6
_SQLITE_TIME_CHARS = len("2024-05-01 14:03:00.000000")  # SQLAlchemy's SQLite DATETIME text


def _sqlite_time(moment: datetime) -> str:
    """A moment as SQLAlchemy writes it in SQLite: UTC, "%Y-%m-%d %H:%M:%S.%f" (isoformat
    without its "+00:00" is faster than strftime; the moments here are UTC already)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    return moment.isoformat(" ", "microseconds")[:_SQLITE_TIME_CHARS]


_DATE_HINT = " (ISO 8601, p. ej. 2024-05-01T14:03:00Z)"

Progress = Callable[[int, int], None]  # (rows handled so far, rows received)


@dataclass
class ContactsReport:
    source: str
    received: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0

    @property
    def balanced(self) -> bool:
        return self.received == self.created + self.updated + self.unchanged + self.quarantined

    def line(self) -> str:
        """The reconciliation line, in Spanish."""
        return (
            f"{self.source}: recibidos {self.received} = creados {self.created} + "
            f"actualizados {self.updated} + sin cambios {self.unchanged} + en cuarentena "
            f"{self.quarantined}"
        )


class _Quarantine:
    """The rows that cannot be stored, with the raw text of each (made only for them)."""

    def __init__(self, header: list[str], fields_of: Callable[[int], list[str]]):
        self.header = header
        self.fields_of = fields_of  # a row's fields as read, by its line
        self.items: list[dict] = []

    def add(self, line: int, reason: str, *, as_list: bool = False) -> None:
        fields = self.fields_of(line)
        shown = fields if as_list else dict(zip(self.header, fields))
        raw = json.dumps(shown, ensure_ascii=False)
        self.items.append({"position": line, "item": 1, "raw": raw, "reason": reason})


# --- reading --------------------------------------------------------------------------------
# A file is read into columns: `_split` gives each non-empty row's line and fields, `_checked`
# applies the rules to whole columns (polars), each Python-only rule once per distinct value.


def _check_header(header: list[str]) -> None:
    if "" in header:
        raise FormatError(f"Columna sin nombre en la cabecera (columna {header.index('') + 1}).")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise FormatError(
            f"Columnas desconocidas: {', '.join(unknown)}. Las válidas son: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        raise FormatError("Columnas repetidas: " + ", ".join(repeated) + ".")
    if "email" not in header:
        raise FormatError("Falta la columna obligatoria email.")


_EMPTY = "El archivo está vacío: falta la fila de cabecera."


# A line that the csv module reads as one whole row: every field ends on it (the csv module's
# states with `doublequote` and `strict` off: a quote opens a field only at its start, inside
# one a doubled quote is a quote, and after its closing quote the rest is taken as written).
_FIELD = r'(?:"(?:[^"]|"")*"(?:[^,"][^,]*)?|(?:[^",][^,]*)?)'
_WHOLE_ROW = rf"^{_FIELD}(?:,{_FIELD})*$"


def _field_names(width: int) -> list[str]:
    return [f"f{i}" for i in range(width)]


def _by_lines(body: str) -> tuple[list[str], pl.DataFrame, Callable[[int], list[str]]] | None:
    """`_split` one line at a time, or None when the file needs the csv module as a whole (a
    quoted field that goes on to the next line, a lone carriage return, NUL, a huge field).
    Lines without quotes are split at their commas by polars; the others, few in a CRM
    export, go to the csv module one by one."""
    if "\x00" in body or body.count("\r") != body.count("\r\n"):
        return None
    lines = body.replace("\r\n", "\n").split("\n")
    frame = pl.DataFrame({"raw": lines}, schema={"raw": pl.Utf8}).with_row_index("line", offset=1)
    frame = frame.with_columns(pl.col("line").cast(pl.Int64))
    if (frame["raw"].str.len_chars().max() or 0) > csv.field_size_limit():
        return None
    quoted = frame.filter(pl.col("raw").str.contains('"', literal=True))
    if quoted.height and not quoted["raw"].str.contains(_WHOLE_ROW).all():
        return None
    read = {
        line: fields
        for line, fields in zip(quoted["line"], csv.reader(quoted["raw"].to_list()))
        if any(map(str.strip, fields))
    }
    plain = frame.filter(
        ~pl.col("raw").str.contains('"', literal=True)
        & (strip_expr(pl.col("raw").str.replace_all(",", "", literal=True)) != "")
    )
    first = min([*read, *plain["line"].head(1)], default=None)
    if first is None:
        raise FormatError(_EMPTY)

    def fields_of(line: int) -> list[str]:
        found = read.get(line)
        return lines[line - 1].split(",") if found is None else found

    header = [name.strip() for name in fields_of(first)]
    _check_header(header)
    width = len(header)
    plain = plain.filter(pl.col("line") != first).with_columns(
        width=(pl.col("raw").str.count_matches(",", literal=True) + 1).cast(pl.Int64)
    )
    fields = (
        pl.col("raw").str.split_exact(",", width - 1).struct.rename_fields(_field_names(width))
        if width > 1
        else pl.struct(pl.col("raw").alias("f0"))
    )
    plain = plain.select(
        "line", "width", pl.when(pl.col("width") == width).then(fields).alias("fields")
    ).unnest("fields")
    rows = [(line, fields) for line, fields in read.items() if line != first]
    return header, pl.concat([plain, _rows_frame(rows, width)]).sort("line"), fields_of


def _rows_frame(rows: list[tuple[int, list[str]]], width: int) -> pl.DataFrame:
    """`line`, `width` and, for rows of the header's width, `f0`, `f1`... of (line, fields)."""
    columns: dict[str, list] = {
        "line": [line for line, _fields in rows],
        "width": [len(fields) for _line, fields in rows],
    }
    for i, name in enumerate(_field_names(width)):
        columns[name] = [fields[i] if len(fields) == width else None for _l, fields in rows]
    schema = {"line": pl.Int64, "width": pl.Int64} | dict.fromkeys(_field_names(width), pl.Utf8)
    return pl.DataFrame(columns, schema=schema)


def _split(text: str) -> tuple[list[str], pl.DataFrame, Callable[[int], list[str]]]:
    """The header (its names stripped), a frame of the other non-empty rows (`line` where each
    starts, its field count `width`, its fields `f0`, `f1`... when it has the header's count)
    and the fields of a row by its line: what `read_rows` reads. FormatError when it is not a
    contacts CSV."""
    found = _by_lines(text.removeprefix("\ufeff"))
    if found is not None:
        return found
    read = read_rows(text)
    if not read:
        raise FormatError(_EMPTY)
    header = [name.strip() for name in read[0][1]]
    _check_header(header)
    by_line = dict(read[1:])
    return header, _rows_frame(read[1:], len(header)), by_line.__getitem__


# The shape of almost every date of a CRM export, read by polars; any other, by iso_moment.
_COMMON_DATE = (
    r"^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$"
)
_MOMENT = pl.Datetime("us", "UTC")


def _moments(values: pl.Series) -> pl.DataFrame:
    """For each distinct text of `values`: `created` (the text), `moment` (the time it
    gives, as `iso_moment` reads it) and `problem` (why it gives none, as `_row` words it)."""
    distinct = values.drop_nulls().unique().rename("created").to_frame()
    common = distinct.with_columns(
        moment=pl.when(pl.col("created").str.contains(_COMMON_DATE))
        .then(pl.col("created").str.strptime(_MOMENT, "%Y-%m-%dT%H:%M:%SZ", strict=False))
        .otherwise(None)
    ).with_columns(
        moment=pl.when(
            (pl.col("moment") > pl.lit(EARLIEST, _MOMENT))
            & (pl.col("moment") < pl.lit(LATEST, _MOMENT))
        ).then(pl.col("moment"))
    )
    others = common.filter(pl.col("moment").is_null())["created"].to_list()
    moments, problems = [], []
    for text in others:
        try:
            moments.append(iso_moment(text, naive_is_utc=True, hint=_DATE_HINT))
            problems.append(None)
        except Unreadable as error:
            moments.append(None)
            problems.append(f"created_at: {error}")
    slow = pl.DataFrame(
        {"created": others, "moment": moments, "problem": problems},
        schema={"created": pl.Utf8, "moment": _MOMENT, "problem": pl.Utf8},
    )
    fast = common.filter(pl.col("moment").is_not_null()).with_columns(
        problem=pl.lit(None, dtype=pl.Utf8)
    )
    return pl.concat([fast, slow])


_NUL = "contiene el carácter NUL, que no se puede guardar"


def _checked(header: list[str], rows: pl.DataFrame, nul: bool) -> pl.DataFrame:
    """The rows of the header's width with their values read (`email` normalised, `name`
    collapsed, `crm_id`, `created_at` as a time; None when empty) and `problem`: why the row
    cannot be stored, None when it can (the first rule it breaks, in the order of `_row`)."""
    width = len(header)

    def value(name: str) -> pl.Expr:
        if name not in header:
            return pl.lit(None, dtype=pl.Utf8).alias(name)
        stripped = strip_expr(pl.col(f"f{header.index(name)}"))
        return pl.when(stripped != "").then(stripped).alias(name)

    fit = rows.filter(pl.col("width") == width)
    has_nul = (
        pl.any_horizontal(
            pl.col(name).str.contains("\x00", literal=True) for name in _field_names(width)
        )
        if nul
        else pl.lit(False)
    )
    frame = fit.select(
        "line", *(value(name) for name in COLUMNS), has_nul.alias("nul")
    ).with_columns(email=lower_series(fit.select(value("email"))["email"]))
    dates = _moments(frame["created_at"])
    frame = frame.join(
        dates, left_on="created_at", right_on="created", how="left", maintain_order="left"
    )
    problem = (
        pl.when(pl.col("nul"))
        .then(pl.lit(_NUL))
        .when(pl.col("email").is_null())
        .then(pl.lit("falta la dirección de correo (email)"))
        .when(pl.col("email").str.len_chars() > MAX_EMAIL)
        .then(pl.lit(f"dirección de más de {MAX_EMAIL} caracteres"))
        .when(pl.col("crm_id").str.len_chars() > MAX_CRM_ID)
        .then(pl.lit(f"crm_id de más de {MAX_CRM_ID} caracteres"))
        .when(pl.col("problem").is_not_null())
        .then(pl.col("problem"))
    )
    return frame.select(
        "line",
        "email",
        collapse_expr(pl.col("name")).str.slice(0, MAX_NAME).alias("name"),
        "crm_id",
        pl.col("moment").alias("created_at"),
        problem.alias("problem"),
    )


def _read(text: str) -> tuple[pl.DataFrame, int, _Quarantine]:
    """The readable rows in file order (`line`, `email`, `name`, `crm_id`, `created_at`), how
    many rows the file has, and the quarantine with the unreadable ones."""
    header, rows, fields_of = _split(text)
    quarantine = _Quarantine(header, fields_of)
    width = len(header)
    checked = _checked(header, rows, "\x00" in text)
    wrong = rows.filter(pl.col("width") != width).select("line", "width")
    refused = pl.concat(
        [
            wrong.select(
                "line",
                reason=pl.format(
                    "la fila tiene {} campos y la cabecera {}", "width", pl.lit(width)
                ),
                as_list=pl.lit(True),
            ),
            checked.filter(pl.col("problem").is_not_null()).select(
                "line", reason="problem", as_list=pl.lit(False)
            ),
        ]
    ).sort("line")
    for line, reason, as_list in refused.iter_rows():
        quarantine.add(line, reason, as_list=as_list)
    readable = checked.filter(pl.col("problem").is_null()).drop("problem")
    return readable, rows.height, quarantine


# --- deciding -------------------------------------------------------------------------------


def _last_of_each_address(rows: pl.DataFrame, quarantine: _Quarantine) -> pl.DataFrame:
    """The last row of each address; the earlier ones go to the quarantine."""
    rows = rows.with_columns(kept=pl.col("line").max().over("email"))
    for line, kept in rows.filter(pl.col("line") != pl.col("kept")).select("line", "kept").rows():
        quarantine.add(line, f"dirección repetida en el archivo: vale la fila de la línea {kept}")
    return rows.filter(pl.col("line") == pl.col("kept")).drop("kept")


def _one_address_per_crm_id(rows: pl.DataFrame, quarantine: _Quarantine) -> pl.DataFrame:
    """Rows that give one CRM id to several addresses go to the quarantine."""
    rows = rows.with_columns(sharing=pl.len().over("crm_id"))
    shared = rows.filter(pl.col("crm_id").is_not_null() & (pl.col("sharing") > 1))
    if shared.height:
        lines = shared.group_by("crm_id").agg(pl.col("line").sort().alias("lines"))
        listed = {crm_id: ", ".join(map(str, found)) for crm_id, found in lines.rows()}
        for line, crm_id in shared.select("line", "crm_id").rows():
            reason = (
                f"el crm_id {crm_id} aparece con varias direcciones en el archivo "
                f"(líneas {listed[crm_id]})"
            )
            quarantine.add(line, reason)
    return rows.filter(pl.col("crm_id").is_null() | (pl.col("sharing") == 1)).drop("sharing")


def _ids_kept_by_others(
    rows: pl.DataFrame, holders: dict[str, str], quarantine: _Quarantine
) -> pl.DataFrame:
    """Rows whose CRM id another contact keeps after the import go to the quarantine. A
    contact keeps its id unless the file gives it another one; a quarantined row keeps its
    contact's id, which may make another row conflict, hence the repetition."""
    held = rows.filter(pl.col("crm_id").is_in(list(holders)))
    candidates = [
        (line, email, crm_id, holders[crm_id])
        for line, email, crm_id in held.select("line", "email", "crm_id").rows()
        if holders[crm_id] != email
    ]
    if not candidates:
        return rows
    # what the file gives each holder (only holders matter); a missing key: not in the file
    wanted = {holder for *_row, holder in candidates}
    gives = dict(rows.filter(pl.col("email").is_in(list(wanted))).select("email", "crm_id").rows())
    refused: set[str] = set()
    while True:
        conflicts = [
            (line, email, crm_id, holder)
            for line, email, crm_id, holder in candidates
            if email not in refused
            and (holder not in gives or holder in refused or gives[holder] in (None, crm_id))
        ]
        if not conflicts:
            break
        for line, email, crm_id, holder in conflicts:
            quarantine.add(line, f"el crm_id {crm_id} ya es de otro contacto ({holder})")
            refused.add(email)
    return rows.filter(~pl.col("email").is_in(list(refused)))


# --- the database ---------------------------------------------------------------------------

_KNOWN = {
    "email": pl.Utf8,
    "id": pl.Int64,
    "old_name": pl.Utf8,
    "old_crm_id": pl.Utf8,
}
# SQLite: reading every contact costs about a third of looking one up by its address, so a
# file that names a third or more of the table reads the table instead (measured at 100k).
SCAN_SHARE = 1 / 3


def _lookup(conn: sa.Connection, column: str, values: list[str], wanted: str) -> list[tuple]:
    """`wanted` columns of the contacts whose `column` (email or crm_id, both uniquely
    indexed) is one of `values`; one indexed query per 100,000 values, in index order. Column
    names come from this module, never from input."""
    values = sorted(values)
    found = []
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()
        try:
            for start in range(0, len(values), 100_000):
                cursor.execute(
                    f"SELECT {wanted} FROM contacts WHERE {column} IN "
                    "(SELECT value FROM json_each(?))",
                    (json.dumps(values[start : start + 100_000]),),
                )
                found.extend(cursor.fetchall())
        finally:
            cursor.close()
        return found
    for start in range(0, len(values), 50_000):
        found.extend(
            conn.exec_driver_sql(
                f"SELECT {wanted} FROM contacts WHERE {column} = ANY(%(values)s)",
                {"values": values[start : start + 50_000]},
            ).all()
        )
    return found


def _every_contact(conn: sa.Connection, expected: int) -> pl.DataFrame | None:
    """SQLite, for a file of about `expected` rows that names a large share of the contacts:
    every contact (`email`, `id`, `old_name`, `old_crm_id`, `old_created_at` as its text),
    read in one pass; None when looking up the file's contacts one by one costs less."""
    if conn.dialect.name != "sqlite":
        return None
    size = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM contacts").scalar_one()
    if expected < SCAN_SHARE * size:
        return None
    cursor = conn.connection.driver_connection.cursor()
    try:
        found = cursor.execute(f"SELECT {_WANTED} FROM contacts").fetchall()
    finally:
        cursor.close()
    return pl.DataFrame(found, schema=_KNOWN | {"old_created_at": pl.Utf8}, orient="row")


_WANTED = "email, id, name, crm_id, created_at"


def _known(
    conn: sa.Connection, rows: pl.DataFrame, every: pl.DataFrame | None
) -> tuple[pl.DataFrame, dict[str, str]]:
    """The contacts of the rows' addresses (`email`, `id`, `old_name`, `old_crm_id`,
    `old_created_at`) and the holders of their CRM ids (crm_id -> address): from `every`
    contact when it was read, else looked up by address and by CRM id."""
    crm_ids = rows["crm_id"].drop_nulls()
    if every is not None:
        known = every.join(rows.select("email"), on="email", how="semi")
        holders = every.filter(pl.col("old_crm_id").is_in(crm_ids.implode()))
        return _with_moments(known), dict(holders.select("old_crm_id", "email").rows())
    found = _lookup(conn, "email", rows["email"].to_list(), _WANTED)
    moment = pl.Utf8 if conn.dialect.name == "sqlite" else _MOMENT
    known = pl.DataFrame(found, schema=_KNOWN | {"old_created_at": moment}, orient="row")
    holders = dict(_lookup(conn, "crm_id", crm_ids.to_list(), "crm_id, email"))
    return _with_moments(known), holders


def _with_moments(known: pl.DataFrame) -> pl.DataFrame:
    """`old_created_at` as a time: SQLite gives its text (SQLAlchemy's shape, or an ISO text of
    another shape written by someone else), PostgreSQL a time already."""
    texts = known["old_created_at"]
    if texts.dtype != pl.Utf8:
        return known
    read = texts.str.strptime(_MOMENT, "%Y-%m-%d %H:%M:%S%.f", strict=False)
    odd = texts.filter(read.is_null() & texts.is_not_null()).unique().to_list()
    if odd:
        mapping = {text: datetime.fromisoformat(text).replace(tzinfo=UTC) for text in odd}
        read = read.fill_null(texts.replace_strict(mapping, default=None, return_dtype=_MOMENT))
    return known.with_columns(old_created_at=read)


def _take_write_lock(conn: sa.Connection) -> None:
    """Keep other writers out from the first read: what was read stays true until the end."""
    if conn.dialect.name == "postgresql":
        # Event imports that create contacts wait for this import, and it for them.
        conn.exec_driver_sql("LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE")
    else:
        # A write statement takes SQLite's write lock even when it changes no row.
        conn.exec_driver_sql("UPDATE contacts SET crm_id = crm_id WHERE 0")


@contextmanager
def _search_index_kept_by_hand(conn: sa.Connection, renamed: list[int]) -> Iterator[None]:
    """SQLite: the full-text search table follows `contacts` through triggers, which write
    its index once per row; during the import they are set aside and the new and renamed
    contacts are indexed with one statement at the end, in the same transaction (a 'rebuild'
    would read every contact). The table is a candidate index (migration 0011: the search
    checks each candidate against the contact's keys), so a renamed contact's old trigrams
    are not removed first: they can only propose it for a text that the check then refuses,
    and removing them would cost more than adding the new ones. PostgreSQL's trigram index
    is an expression index and needs nothing."""
    if conn.dialect.name != "sqlite":
        yield
        return
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contacts' "
        "AND name LIKE 'contacts_search_%'"
    ).all()
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    mark = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM contacts").scalar_one()
    yield
    total, new = conn.exec_driver_sql(
        "SELECT count(*), count(*) FILTER (WHERE id > ?) FROM contacts", (mark,)
    ).one()
    if len(renamed) + new >= REBUILD_SHARE * total:
        # Most of the index changes: building it again from every contact is cheaper per row
        # than adding to it (benchmarks.contacts_import measures both), and drops old trigrams.
        conn.exec_driver_sql("INSERT INTO contacts_search(contacts_search) VALUES ('rebuild')")
    else:
        conn.exec_driver_sql(
            "INSERT INTO contacts_search(rowid, name_key, email_key) "
            "SELECT id, name_key, email_key FROM contacts "
            "WHERE id IN (SELECT value FROM json_each(?)) OR id > ?",  # renamed, then new
            (json.dumps(renamed), mark),
        )
    for _name, sql in triggers:
        conn.exec_driver_sql(sql)


def _changes(rows: pl.DataFrame, known: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(the updates: what each row changes in a known contact, the new contacts' rows, how many
    rows change nothing). An empty value changes nothing; a creation date only moves back."""
    joined = rows.join(known, on="email", how="left", maintain_order="left")
    new = joined.filter(pl.col("id").is_null()).select(rows.columns)
    updates = (
        joined.filter(pl.col("id").is_not_null())
        .with_columns(
            name=pl.coalesce("name", "old_name"),
            crm_id=pl.coalesce("crm_id", "old_crm_id"),
            earlier=pl.col("created_at").is_not_null()
            & (pl.col("created_at") < pl.col("old_created_at")),
        )
        .with_columns(
            renamed=pl.col("name") != pl.col("old_name"),
            new_crm_id=pl.col("crm_id").ne_missing(pl.col("old_crm_id")),
            created_at=pl.when("earlier").then("created_at").otherwise("old_created_at"),
        )
    )
    changed = pl.col("renamed") | pl.col("new_crm_id") | pl.col("earlier")
    unchanged = updates.filter(~changed).height
    updates = updates.filter(changed).sort("id")  # in table order: fewer pages touched
    return updates, new, unchanged


def _time_texts(column: str) -> pl.Expr:
    """SQLite: a time as SQLAlchemy writes it (`_sqlite_time`)."""
    return pl.col(column).dt.strftime("%Y-%m-%d %H:%M:%S%.6f")


def _write_updates(conn: sa.Connection, updates: pl.DataFrame, advance) -> None:
    """One prepared UPDATE per kind of change, each writing only the columns that change
    (a column left out of SET leaves its indexes untouched)."""
    if updates.height == 0:
        return
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    updates = updates.with_columns(
        name_key=pl.when("renamed").then(fold_series(updates["name"]).str.slice(0, MAX_KEY)),
        created_at=_time_texts("created_at") if sqlite else pl.col("created_at"),
    )
    # CRM ids that move between the file's contacts are let go first (unique index).
    moving = updates.filter(pl.col("old_crm_id").is_not_null() & pl.col("new_crm_id"))
    statements = [
        (f"UPDATE contacts SET crm_id = NULL WHERE id = {mark}", moving.select("id"), False)
    ]
    for (renamed, new_id, earlier), kind in updates.group_by(
        "renamed", "new_crm_id", "earlier", maintain_order=True
    ):
        columns = (["name", "name_key"] if renamed else []) + (["crm_id"] if new_id else [])
        columns += ["created_at"] if earlier else []
        sets = ", ".join(f"{column} = {mark}" for column in columns)
        statements.append(
            (f"UPDATE contacts SET {sets} WHERE id = {mark}", kind.select(*columns, "id"), True)
        )
    cursor = conn.connection.driver_connection.cursor()
    try:
        for statement, rows, counted in statements:
            for start in range(0, rows.height, CHUNK):
                chunk = rows.slice(start, CHUNK)
                cursor.executemany(statement, chunk.rows())
                if counted:
                    advance(chunk.height)
    finally:
        cursor.close()


_CONTACT_COLUMNS = (
    "email",
    "name",
    "email_key",
    "name_key",
    "created_at",
    "email_domain",
    "crm_id",
)


def _verdict_without_events(address: str, created_at: datetime) -> tuple:
    """(blocked, reason, since) of a contact that has no events: the policy's verdict, read
    from `policy.evaluate` only for an invalid address (with no events nothing else can block,
    and the address check is the expensive part; tests hold this to `evaluate`)."""
    if policy.is_valid_address(address):
        return False, None, None
    block = policy.evaluate(address, [], created_at=created_at).primary
    return True, block.reason, block.since


def _insert_statuses(conn: sa.Connection, rows: list[tuple]) -> None:
    columns = ("contact_id", "blocked", "reason", "since", "cause_event_id", "updated_at")
    if not rows:
        return
    if conn.dialect.name == "sqlite":
        # Multi-row statements: SQLite checks the reason's CHECK list once per statement.
        text = [
            (i, int(b), r, None if s is None else _sqlite_time(s), e, _sqlite_time(u))
            for i, b, r, s, e, u in rows
        ]
        bulk.sqlite_insert(conn, "contact_status", columns, text, "(contact_id) DO NOTHING")
        return
    frame = pl.DataFrame(rows, schema=_STATUS_FRAME, orient="row")
    bulk.insert_frame(conn, schema.contact_status, frame)


_STATUS_FRAME = {
    "contact_id": pl.Int64,
    "blocked": pl.Boolean,
    "reason": pl.Utf8,
    "since": pl.Datetime("us", "UTC"),
    "cause_event_id": pl.Int64,
    "updated_at": pl.Datetime("us", "UTC"),
}


@dataclass
class _NewContacts:
    """The new contacts, ready to write (`_prepare_new`)."""

    contacts: pl.DataFrame  # as `contacts` rows; SQLite: with their ids and text times
    plain: pl.Series  # whether each address is plainly valid (policy.plainly_valid_series)
    chunks: list[list[tuple]]  # SQLite: the driver's rows, CHUNK at a time


def _prepare_new(new: pl.DataFrame, now: datetime, mark: int, sqlite: bool) -> _NewContacts:
    """What `_write_new` writes, computed without the database (the import computes it in a
    second thread while the updates are written: polars and SQLite let go of the GIL)."""
    contacts = new.select(
        "email",
        pl.col("name").fill_null(""),
        email_key=fold_series(new["email"]).str.slice(0, MAX_KEY),
        name_key=fold_series(new["name"].fill_null("")).str.slice(0, MAX_KEY),
        created_at=pl.col("created_at").fill_null(pl.lit(now, _MOMENT)),
        email_domain=email_domain_series(new["email"]),
        crm_id="crm_id",
    )
    chunks = []
    if sqlite:
        contacts = contacts.with_row_index("id", offset=mark + 1).with_columns(
            pl.col("id").cast(pl.Int64)
        )
        texts = contacts.select("id", *_CONTACT_COLUMNS).with_columns(
            created_at=_time_texts("created_at")
        )
        chunks = [texts.slice(start, CHUNK).rows() for start in range(0, texts.height, CHUNK)]
    return _NewContacts(contacts, policy.plainly_valid_series(new["email"]), chunks)


def _write_new(conn: sa.Connection, new: _NewContacts, mark: int, now: datetime, advance) -> None:
    """New contacts and their status: they have no events, so the verdict on the address.
    SQLite: the ids are given (the import holds the write lock from its first read), so the
    rows go straight to the driver; PostgreSQL: COPY, then the ids read back. The status of
    a plainly valid address (almost all) is written by one INSERT ... SELECT at the end."""
    contacts = new.contacts
    if contacts.height == 0:
        return
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        statement = (
            "INSERT INTO contacts (id, email, name, email_key, name_key, created_at, "
            "email_domain, crm_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        cursor = conn.connection.driver_connection.cursor()
        try:
            for chunk in new.chunks:
                cursor.executemany(statement, chunk)
                advance(len(chunk))
        finally:
            cursor.close()
        ids = contacts.select("email", "id", "created_at")
    else:
        for start in range(0, contacts.height, CHUNK):
            chunk = contacts.slice(start, CHUNK)
            bulk.insert_frame(conn, schema.contacts, chunk)
            advance(chunk.height)
        c = schema.contacts.c
        found = conn.execute(sa.select(c.email, c.id).where(c.id > mark)).all()
        ids = contacts.select("email", "created_at").join(
            pl.DataFrame(found, schema={"email": pl.Utf8, "id": pl.Int64}, orient="row"),
            on="email",
            maintain_order="left",
        )
    # Only an address the validator has to read can be blocked (invalid_address).
    asked = ids.filter(~new.plain)
    _insert_statuses(
        conn,
        [
            (contact_id, *_verdict_without_events(email, when), None, now)
            for email, contact_id, when in asked.select("email", "id", "created_at").rows()
        ],
    )
    false = "0" if sqlite else "false"
    mark_sql = "?" if sqlite else "%s"
    conn.exec_driver_sql(
        "INSERT INTO contact_status (contact_id, blocked, reason, since, cause_event_id, "
        f"updated_at) SELECT id, {false}, NULL, NULL, NULL, {mark_sql} FROM contacts "
        f"WHERE id > {mark_sql} ON CONFLICT (contact_id) DO NOTHING",
        ((_sqlite_time(now) if sqlite else now), mark),
    )


# --- the import -----------------------------------------------------------------------------
# SQLite: from this share of the contacts changed or new, the import drops the contacts'
# indexes and builds them again at the end (cheaper than keeping them up to date row by row).
SET_ASIDE_SHARE = 0.5


def import_contacts(
    conn: sa.Connection,
    text: str,
    *,
    source: str,
    source_sha256: str,
    progress: Progress | None = None,
) -> ContactsReport:
    """Upsert the contacts of a CRM contacts file (decoded text) in the caller's transaction
    and say what happened to each row. Raises FormatError when it is not such a file."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The file is read in a second thread while the database is read (polars and SQLite
        # let go of the GIL): the write lock first, then, for a big file, every contact.
        reading = pool.submit(_read, text)
        _take_write_lock(conn)
        every = _every_contact(conn, text.count("\n"))
        readable, received, quarantine = reading.result()
    report = ContactsReport(source=source, received=received)
    rows = _last_of_each_address(readable, quarantine)
    rows = _one_address_per_crm_id(rows, quarantine)
    known, holders = _known(conn, rows, every)
    rows = _ids_kept_by_others(rows, holders, quarantine)
    updates, new, report.unchanged = _changes(rows, known)
    done = report.unchanged + len(quarantine.items)

    def advance(written: int) -> None:
        nonlocal done
        done += written
        if progress:
            progress(done, received)

    advance(0)
    sqlite = conn.dialect.name == "sqlite"
    mark = conn.exec_driver_sql("SELECT coalesce(max(id), 0) FROM contacts").scalar_one()
    now = datetime.now(UTC)
    if sqlite and updates.height + new.height >= SET_ASIDE_SHARE * (mark + new.height):
        keeping = bulk.indexes_set_aside(conn, (schema.contacts,))
    else:
        keeping = _search_index_kept_by_hand(conn, updates.filter("renamed")["id"].to_list())
    with ThreadPoolExecutor(max_workers=1) as pool:
        prepared = pool.submit(_prepare_new, new, now, mark, sqlite)
        with keeping:
            _write_updates(conn, updates, advance)
            _write_new(conn, prepared.result(), mark, now, advance)
    # An earlier creation date moves the `since` of an invalid address's block.
    refresh_contact_status(conn, updates.filter("earlier")["id"].to_list())
    report.updated, report.created = updates.height, new.height
    report.quarantined = len(quarantine.items)
    write_quarantine(conn, PROVIDER, source, source_sha256, quarantine.items)
    return report


def import_contacts_bytes(
    engine: sa.Engine, content: bytes, *, source: str, progress: Progress | None = None
) -> ContactsReport:
    """Decode and import one contacts file in one transaction (all of it, or nothing)."""
    text = decode(content)
    with engine.begin() as conn:
        return import_contacts(
            conn,
            text,
            source=source,
            source_sha256=hashlib.sha256(content).hexdigest(),
            progress=progress,
        )


def import_contacts_file(
    engine: sa.Engine, path: str | Path, *, progress: Progress | None = None
) -> ContactsReport:
    """`import_contacts_bytes` of a file (FormatError when it cannot be read)."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as error:
        raise FormatError(f"No se puede leer {path}: {error.strerror}") from error
    return import_contacts_bytes(engine, content, source=path.name, progress=progress)
