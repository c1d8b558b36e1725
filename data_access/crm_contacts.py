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

How it is fast (≥ 50,000 contacts a second into SQLite is the budget): the rows are checked in
one pass (each date read once per distinct value), the known contacts and the holders of the
file's CRM ids are read with one indexed query each, and only the contacts that change are
written: updates in one prepared statement (the name's search keys, and so the SQLite
full-text index, only when the name changes), new contacts in one bulk insert with their
status (no events yet: the policy's verdict on the address alone).
"""

import hashlib
import json
from collections.abc import Callable, Iterator
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
from .ingest.values import Unreadable, iso_moment
from .status import refresh_contact_status
from .text import MAX_CRM_ID_CHARS, email_domain, fold, normalise_email

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


@dataclass(slots=True)
class _Row:
    line: int
    fields: list[str]  # as read (for the quarantine's raw text)
    email: str
    name: str | None
    crm_id: str | None
    created_at: datetime | None


@dataclass(slots=True)
class _Update:
    id: int
    name: str
    renamed: bool
    crm_id: str | None
    created_at: datetime | str  # SQLite: as its text
    old_crm_id: str | None
    earlier: bool  # created_at moved back


class _Quarantine:
    """The rows that cannot be stored, with the raw text of each (made only for them)."""

    def __init__(self, header: list[str]):
        self.header = header
        self.items: list[dict] = []

    def add(self, line: int, fields: list[str], reason: str, *, as_list: bool = False) -> None:
        shown = fields if as_list else dict(zip(self.header, fields))
        raw = json.dumps(shown, ensure_ascii=False)
        self.items.append({"position": line, "item": 1, "raw": raw, "reason": reason})

    def row(self, row: _Row, reason: str) -> None:
        self.add(row.line, row.fields, reason)


# --- reading --------------------------------------------------------------------------------


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


def _read(text: str) -> tuple[list[_Row], int, _Quarantine]:
    """The readable rows in file order, how many rows the file has, and the quarantine with
    the unreadable ones."""
    rows = read_rows(text)
    if not rows:
        raise FormatError("El archivo está vacío: falta la fila de cabecera.")
    header = [name.strip() for name in rows[0][1]]
    _check_header(header)
    quarantine = _Quarantine(header)
    width = len(header)
    at = [header.index(name) if name in header else None for name in COLUMNS]
    dates: dict[str, datetime | str] = {}
    nul = "\x00" in text  # rare: checked row by row only when the file has one
    readable = []
    for line, fields in rows[1:]:
        if len(fields) != width:
            reason = f"la fila tiene {len(fields)} campos y la cabecera {width}"
            quarantine.add(line, fields, reason, as_list=True)
            continue
        problem, row = _row(line, fields, at, dates, nul)
        if problem:
            quarantine.add(line, fields, problem)
        else:
            readable.append(row)
    return readable, len(rows) - 1, quarantine


def _row(line, fields, at, dates, nul) -> tuple[str | None, _Row | None]:
    """(why the row cannot be stored, None) or (None, the row); `at` is each of COLUMNS'
    position in the row (None when the file has no such column)."""
    i_email, i_name, i_crm_id, i_created = at
    email = fields[i_email].strip() or None
    name = None if i_name is None else (fields[i_name].strip() or None)
    crm_id = None if i_crm_id is None else (fields[i_crm_id].strip() or None)
    created = None if i_created is None else (fields[i_created].strip() or None)
    if nul and "\x00" in "".join(fields):
        return "contiene el carácter NUL, que no se puede guardar", None
    if email is None:
        return "falta la dirección de correo (email)", None
    email = normalise_email(email)
    if len(email) > MAX_EMAIL:
        return f"dirección de más de {MAX_EMAIL} caracteres", None
    if crm_id is not None and len(crm_id) > MAX_CRM_ID:
        return f"crm_id de más de {MAX_CRM_ID} caracteres", None
    if name is not None:
        name = " ".join(name.split())[:MAX_NAME]
    if created is not None:
        moment = dates.get(created)
        if moment is None:
            try:
                moment = iso_moment(created, naive_is_utc=True, hint=_DATE_HINT)
            except Unreadable as error:
                moment = f"created_at: {error}"
            dates[created] = moment
        if isinstance(moment, str):
            return moment, None
        created = moment
    return None, _Row(line, fields, email, name, crm_id, created)


# --- deciding -------------------------------------------------------------------------------


def _last_of_each_address(rows: list[_Row], quarantine: _Quarantine) -> dict[str, _Row]:
    last: dict[str, _Row] = {}
    for row in rows:
        last[row.email] = row
    if len(last) < len(rows):
        for row in rows:
            kept = last[row.email]
            if kept is not row:
                reason = f"dirección repetida en el archivo: vale la fila de la línea {kept.line}"
                quarantine.row(row, reason)
    return last


def _one_address_per_crm_id(rows: dict[str, _Row], quarantine: _Quarantine) -> None:
    """Rows that give one CRM id to several addresses leave `rows` for the quarantine."""
    first: dict[str, _Row] = {}
    shared: dict[str, list[_Row]] = {}
    for row in rows.values():
        if row.crm_id is None:
            continue
        other = first.setdefault(row.crm_id, row)
        if other is not row:
            shared.setdefault(row.crm_id, [other]).append(row)
    for crm_id, sharing in shared.items():
        lines = ", ".join(str(r.line) for r in sorted(sharing, key=lambda r: r.line))
        for row in sharing:
            reason = (
                f"el crm_id {crm_id} aparece con varias direcciones en el archivo (líneas {lines})"
            )
            quarantine.row(row, reason)
            del rows[row.email]


def _ids_kept_by_others(
    rows: dict[str, _Row], holders: dict[str, str], quarantine: _Quarantine
) -> None:
    """Rows whose CRM id another contact keeps after the import leave `rows` (quarantine).
    A contact keeps its id unless the file gives it another one; a quarantined row keeps its
    contact's id, which may make another row conflict, hence the repetition."""
    while True:
        conflicts = []
        for row in rows.values():
            holder = holders.get(row.crm_id) if row.crm_id is not None else None
            if holder is None or holder == row.email:
                continue
            gives = rows.get(holder)
            if gives is None or gives.crm_id in (None, row.crm_id):
                conflicts.append((row, holder))
        if not conflicts:
            return
        for row, holder in conflicts:
            quarantine.row(row, f"el crm_id {row.crm_id} ya es de otro contacto ({holder})")
            del rows[row.email]


def _update_of(row: _Row, known: tuple) -> _Update | None:
    """What the row changes in a known contact (email, id, name, crm_id, created_at); None
    when it changes nothing."""
    _email, contact_id, old_name, old_crm_id, old_created = known
    name = old_name if row.name is None else row.name
    crm_id = old_crm_id if row.crm_id is None else row.crm_id
    earlier, created = False, old_created
    if row.created_at is not None:
        moment = row.created_at
        if isinstance(old_created, str) and len(old_created) == _SQLITE_TIME_CHARS:
            moment = _sqlite_time(moment)  # SQLite's UTC text sorts as time does
        elif isinstance(old_created, str):  # text of another shape: read as a time
            old_created = datetime.fromisoformat(old_created).replace(tzinfo=UTC)
        earlier = moment < old_created
        created = moment if earlier else old_created
    if name == old_name and crm_id == old_crm_id and not earlier:
        return None
    return _Update(contact_id, name, name != old_name, crm_id, created, old_crm_id, earlier)


# --- the database ---------------------------------------------------------------------------


def _lookup(conn: sa.Connection, column: str, values: list[str], wanted: str) -> list[tuple]:
    """`wanted` columns of the contacts whose `column` (email or crm_id, both uniquely
    indexed) is one of `values`; one indexed query per 100,000 values. Column names come
    from this module, never from input."""
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


def _write_updates(conn: sa.Connection, updates: list[_Update], advance) -> None:
    """One prepared UPDATE per kind of change, each writing only the columns that change
    (a column left out of SET leaves its indexes untouched)."""
    updates = sorted(updates, key=lambda u: u.id)  # in table order: fewer pages touched
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    # CRM ids that move between the file's contacts are let go first (unique index).
    moving = [(u.id,) for u in updates if u.old_crm_id is not None and u.crm_id != u.old_crm_id]
    statements = [(f"UPDATE contacts SET crm_id = NULL WHERE id = {mark}", moving, False)]
    kinds: dict[tuple[bool, bool, bool], list[tuple]] = {}
    for u in updates:
        kind = (u.renamed, u.crm_id != u.old_crm_id, u.earlier)
        row = []
        if u.renamed:
            row += [u.name, fold(u.name)[:MAX_KEY]]
        if kind[1]:
            row.append(u.crm_id)
        if u.earlier:
            when = u.created_at
            row.append(_sqlite_time(when) if sqlite and isinstance(when, datetime) else when)
        row.append(u.id)
        kinds.setdefault(kind, []).append(tuple(row))
    for (renamed, new_id, earlier), rows in kinds.items():
        columns = (["name", "name_key"] if renamed else []) + (["crm_id"] if new_id else [])
        columns += ["created_at"] if earlier else []
        sets = ", ".join(f"{column} = {mark}" for column in columns)
        statements.append((f"UPDATE contacts SET {sets} WHERE id = {mark}", rows, True))
    cursor = conn.connection.driver_connection.cursor()
    try:
        for statement, rows, counted in statements:
            for start in range(0, len(rows), CHUNK):
                chunk = rows[start : start + CHUNK]
                cursor.executemany(statement, chunk)
                if counted:
                    advance(len(chunk))
    finally:
        cursor.close()


_CONTACT_FRAME = {
    "email": pl.Utf8,
    "name": pl.Utf8,
    "email_key": pl.Utf8,
    "name_key": pl.Utf8,
    "created_at": pl.Datetime("us", "UTC"),
    "email_domain": pl.Utf8,
    "crm_id": pl.Utf8,
}


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
    if conn.dialect.name == "sqlite":
        # Multi-row statements: SQLite checks the reason's CHECK list once per statement.
        stamps: dict[datetime, str] = {}  # `updated_at` is the same for every row

        def stamp(moment):
            if moment is None:
                return None
            found = stamps.get(moment)
            if found is None:
                found = stamps[moment] = _sqlite_time(moment)
            return found

        text = [(i, int(b), r, stamp(s), e, stamp(u)) for i, b, r, s, e, u in rows]
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


def _write_new(conn: sa.Connection, new: list[_Row], now: datetime, advance) -> None:
    """New contacts and their status: they have no events, so the verdict on the address.
    SQLite: the ids are given (the import holds the write lock from its first read), so the
    rows go straight to the driver; PostgreSQL: COPY, then the ids read back."""
    sqlite = conn.dialect.name == "sqlite"
    c = schema.contacts.c
    for start in range(0, len(new), CHUNK):
        chunk = new[start : start + CHUNK]
        mark = conn.execute(sa.select(sa.func.coalesce(sa.func.max(c.id), 0))).scalar_one()
        created = [r.created_at or now for r in chunk]
        rows = [
            (
                r.email,
                r.name or "",
                fold(r.email)[:MAX_KEY],
                fold(r.name or "")[:MAX_KEY],
                when,
                email_domain(r.email),
                r.crm_id,
            )
            for r, when in zip(chunk, created)
        ]
        if sqlite:
            statement = (
                "INSERT INTO contacts (id, email, name, email_key, name_key, created_at, "
                "email_domain, crm_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            )
            cursor = conn.connection.driver_connection.cursor()
            try:
                cursor.executemany(
                    statement,
                    [
                        (mark + k, e, n, ek, nk, _sqlite_time(w), d, i)
                        for k, (e, n, ek, nk, w, d, i) in enumerate(rows, start=1)
                    ],
                )
            finally:
                cursor.close()
            ids = {row.email: mark + k for k, row in enumerate(chunk, start=1)}
        else:
            frame = pl.DataFrame(rows, schema=_CONTACT_FRAME, orient="row")
            bulk.insert_frame(conn, schema.contacts, frame)
            ids = dict(conn.execute(sa.select(c.email, c.id).where(c.id > mark)).all())
        statuses = [
            (ids[row.email], *_verdict_without_events(row.email, when), None, now)
            for row, when in zip(chunk, created)
        ]
        _insert_statuses(conn, statuses)
        advance(len(chunk))


# --- the import -----------------------------------------------------------------------------


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
    readable, received, quarantine = _read(text)
    report = ContactsReport(source=source, received=received)
    rows = _last_of_each_address(readable, quarantine)
    _one_address_per_crm_id(rows, quarantine)
    _take_write_lock(conn)
    found = _lookup(conn, "email", list(rows), "email, id, name, crm_id, created_at")
    known = {row[0]: row for row in found}
    crm_ids = sorted({r.crm_id for r in rows.values() if r.crm_id is not None})
    holders = dict(_lookup(conn, "crm_id", crm_ids, "crm_id, email"))
    _ids_kept_by_others(rows, holders, quarantine)

    updates, new = [], []
    for email, row in rows.items():
        was = known.get(email)
        if was is None:
            new.append(row)
            continue
        update = _update_of(row, was)
        if update is None:
            report.unchanged += 1
        else:
            updates.append(update)
    done = report.unchanged + len(quarantine.items)

    def advance(written: int) -> None:
        nonlocal done
        done += written
        if progress:
            progress(done, received)

    advance(0)
    with _search_index_kept_by_hand(conn, [u.id for u in updates if u.renamed]):
        _write_updates(conn, updates, advance)
        _write_new(conn, new, datetime.now(UTC), advance)
    # An earlier creation date moves the `since` of an invalid address's block.
    refresh_contact_status(conn, [u.id for u in updates if u.earlier])
    report.updated, report.created = len(updates), len(new)
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
