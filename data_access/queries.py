"""Queries for one contact and for the search box. Each returns a polars DataFrame whose schema
is documented beside it (and is the same when there are no rows). SQL does the filtering.

Every function takes a SQLAlchemy Connection first; filters are keyword-only. An id is an
integer (Python's, or numpy's); anything else (text such as "1", a float, a boolean, None)
raises ValueError with a Spanish message, and an integer the id column cannot hold (contacts'
ids are 32-bit INTEGERs on PostgreSQL: 2**31 and beyond, on both engines) is simply not found.
"""

import operator
from dataclasses import dataclass

import polars as pl
import sqlalchemy as sa

from . import policy, schema
from .text import crm_id_query, fold_query, pack

TIME = pl.Datetime("us", "UTC")

CONTACT_SCHEMA = {
    "id": pl.Int64,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "created_at": TIME,
    "crm_id": pl.Utf8,  # the CRM's own id (contacts imported from the CRM); else null
    "email_valid": pl.Boolean,  # the address passes the policy's syntax check
}

SEARCH_SCHEMA = {
    "id": pl.Int64,
    "name": pl.Utf8,
    "email": pl.Utf8,
    "crm_id": pl.Utf8,
    # email_exact | crm_id_exact | email_prefix | crm_id_prefix | name_prefix | name_word |
    # substring (best first)
    "match": pl.Utf8,
    "blocked": pl.Boolean,  # from the materialised status; null when not computed yet
    "reason": pl.Utf8,  # the primary reason when blocked
}

EVENTS_SCHEMA = {
    "event_id": pl.Int64,
    "occurred_at": TIME,
    "event": pl.Utf8,
    "bounce_type": pl.Utf8,
    "reason": pl.Utf8,
    "provider_reason": pl.Utf8,
    "smtp_diagnostic": pl.Utf8,
    "provider": pl.Utf8,
    "campaign_id": pl.Int64,
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,  # campaign | automation; null for consent events without an email
    "campaign_external_id": pl.Utf8,  # the CRM's id, for the editor link
    # A lift (event block_lifted, `reason` lifted): who, why, and whether consent was renewed;
    # null for every other event.
    "lifted_by": pl.Utf8,
    "comment": pl.Utf8,
    "renewed_consent": pl.Boolean,
}

STATUS_SCHEMA = {
    "contact_id": pl.Int64,
    "can_send": pl.Boolean,
    "rank": pl.Int64,  # 1 = the reason shown first (policy.REASON_PRIORITY); null if can send
    "reason": pl.Utf8,
    "since": TIME,
    "cause_event_id": pl.Int64,
    "cause_event": pl.Utf8,
    "campaign_id": pl.Int64,
    "campaign_name": pl.Utf8,
    "origin": pl.Utf8,
    "campaign_external_id": pl.Utf8,
    "provider_reason": pl.Utf8,
    "smtp_diagnostic": pl.Utf8,
    "cause_bounce_type": pl.Utf8,  # hard | soft | undetermined when a bounce caused it
    # A block by soft bounces: the soft bounces among the last `sends` sends that met the rule
    # (policy.Block); null otherwise.
    "soft_bounces": pl.Int64,
    "sends": pl.Int64,
}

MATCH_RANK = {
    "email_exact": 0,
    "crm_id_exact": 1,
    "email_prefix": 2,
    "crm_id_prefix": 3,
    "name_prefix": 4,
    "name_word": 5,
    "substring": 6,
}
MAX_LIMIT = 100
_TOP = "\U0010ffff"  # sorts after every character, byte-wise, on both engines


# contacts.id is an INTEGER: 32 bits on PostgreSQL (SQLite's are 64, but it gets no others).
_BIGGEST_ID = 2**31 - 1


def _frame(rows, frame_schema: dict) -> pl.DataFrame:
    return pl.DataFrame([tuple(r) for r in rows], schema=frame_schema, orient="row")


def checked_id(value: object, what: str = "del contacto") -> int | None:
    """`value` as an id to look up: the integer, or None when no row can have it (beyond the
    column's 32 bits, where the drivers would fail). ValueError (Spanish) for what is not an
    integer."""
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)  # int and numpy integers; not str, float, None
    except TypeError:
        raise ValueError(f"El id {what} debe ser un número entero, no {value!r}.") from None
    return number if -_BIGGEST_ID - 1 <= number <= _BIGGEST_ID else None


def required_id(value: object, what: str = "del contacto") -> int:
    """`value` as the id of a row that can exist: a whole number from 1 to the column's
    largest; ValueError (Spanish) for anything else ("1", True, None, 0, -1, 2**63), where a
    filter or a write needs a real id rather than a "not found"."""
    number = checked_id(value, what)
    if number is None or number < 1:
        raise ValueError(
            f"El id {what} debe ser un número entero entre 1 y {_BIGGEST_ID}, no {value!r}."
        )
    return number


def contact(conn: sa.Connection, contact_id: int) -> pl.DataFrame:
    """The contact with this id (one row, or none); schema CONTACT_SCHEMA."""
    contact_id = checked_id(contact_id)
    if contact_id is None:
        return pl.DataFrame(schema=CONTACT_SCHEMA)
    c = schema.contacts
    row = conn.execute(
        sa.select(c.c.id, c.c.name, c.c.email, c.c.created_at, c.c.crm_id).where(
            c.c.id == contact_id
        )
    ).first()
    rows = [] if row is None else [(*row, policy.is_valid_address(row.email))]
    return _frame(rows, CONTACT_SCHEMA)


def _events_statement(contact_id: int):
    e, k, b = schema.email_events, schema.campaigns, schema.block_lifts
    return (
        sa.select(
            e.c.id,
            e.c.occurred_at,
            e.c.event,
            e.c.bounce_type,
            e.c.reason,
            e.c.provider_reason,
            e.c.smtp_diagnostic,
            e.c.provider,
            e.c.campaign_id,
            k.c.name,
            k.c.origin,
            k.c.external_id,
            b.c.lifted_by,
            b.c.comment,
            b.c.renewed_consent,
        )
        .select_from(e.outerjoin(k, e.c.campaign_id == k.c.id).outerjoin(b, b.c.event_id == e.c.id))
        .where(e.c.contact_id == contact_id)
        .order_by(e.c.occurred_at.desc(), e.c.id.desc())
    )


def contact_events(conn: sa.Connection, contact_id: int) -> pl.DataFrame:
    """Every event of the contact, newest first, with its campaign; schema EVENTS_SCHEMA."""
    contact_id = checked_id(contact_id)
    if contact_id is None:
        return pl.DataFrame(schema=EVENTS_SCHEMA)
    return _frame(conn.execute(_events_statement(contact_id)), EVENTS_SCHEMA)


@dataclass(frozen=True)
class ContactCard:
    """Everything the contact card shows, read once: the contact, its events, its status."""

    contact: pl.DataFrame  # CONTACT_SCHEMA, one row (none for an unknown id)
    events: pl.DataFrame  # EVENTS_SCHEMA, newest first
    status: pl.DataFrame  # STATUS_SCHEMA

    @property
    def found(self) -> bool:
        return not self.contact.is_empty()


def contact_card(
    conn: sa.Connection, contact_id: int, *, config: policy.PolicyConfig = policy.DEFAULT_CONFIG
) -> ContactCard:
    """The contact, its events and its verdict with two queries (the card's data)."""
    contact_id = checked_id(contact_id)
    if contact_id is None:
        return ContactCard(
            pl.DataFrame(schema=CONTACT_SCHEMA),
            pl.DataFrame(schema=EVENTS_SCHEMA),
            pl.DataFrame(schema=STATUS_SCHEMA),
        )
    person = contact(conn, contact_id)
    if person.is_empty():
        return ContactCard(
            person, pl.DataFrame(schema=EVENTS_SCHEMA), pl.DataFrame(schema=STATUS_SCHEMA)
        )
    events = contact_events(conn, contact_id)
    return ContactCard(person, events, _status_frame(contact_id, person, events, config))


def contact_status(
    conn: sa.Connection, contact_id: int, *, config: policy.PolicyConfig = policy.DEFAULT_CONFIG
) -> pl.DataFrame:
    """The policy's verdict for the contact, recomputed from its events; schema STATUS_SCHEMA.

    One row with `can_send` true when nothing blocks it; otherwise one row per reason that
    holds, `rank` 1 first, each with the event that caused it. No rows for an unknown contact.
    """
    return contact_card(conn, contact_id, config=config).status


def _verdict(person: pl.DataFrame, events: pl.DataFrame, config) -> policy.Verdict:
    return policy.evaluate(
        person["email"][0],
        events.reverse().to_dicts(),
        created_at=person["created_at"][0],
        config=config,
    )


def contact_verdict(
    conn: sa.Connection, contact_id: int, *, config: policy.PolicyConfig = policy.DEFAULT_CONFIG
) -> policy.Verdict | None:
    """The policy's verdict for the contact, recomputed from its events (each block's `cause`
    an EVENTS_SCHEMA row as a dict); None for an unknown contact."""
    person = contact(conn, contact_id)
    if person.is_empty():
        return None
    return _verdict(person, contact_events(conn, contact_id), config)


def _status_frame(contact_id, person, events, config) -> pl.DataFrame:
    verdict = _verdict(person, events, config)
    if verdict.can_send:
        return _frame([(contact_id, True) + (None,) * (len(STATUS_SCHEMA) - 2)], STATUS_SCHEMA)
    rows = []
    for rank, block in enumerate(verdict.blocks, start=1):
        cause = block.cause or {}
        rows.append(
            (
                contact_id,
                False,
                rank,
                block.reason,
                block.since,
                cause.get("event_id"),
                cause.get("event"),
                cause.get("campaign_id"),
                cause.get("campaign_name"),
                cause.get("origin"),
                cause.get("campaign_external_id"),
                cause.get("provider_reason"),
                cause.get("smtp_diagnostic"),
                cause.get("bounce_type"),
                block.soft_bounces,
                block.sends,
            )
        )
    return _frame(rows, STATUS_SCHEMA)


# --- search ---------------------------------------------------------------------------------


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# PostgreSQL: the first pages of the table are tried first (a TID range scan of a bounded
# size, ~4,000 contacts): a text that many contacts contain is found there in well under a
# millisecond, where the trigram index would first collect every contact holding its trigrams
# (tens of thousands for "lopez", "gmail"). Only a rarer text reaches the index, and then its
# candidates are few.
_PROBE_PAGES = 64
# When the first pages hold some matches but fewer than asked, the next pages are read too
# (at most this many, ~25,000 contacts, a few milliseconds) if, at the rate of the first ones,
# they hold the rest twice over (the index would gather every candidate first).
_MORE_PAGES = 512


def _trigrams(key: str) -> list[str]:
    """The distinct three-character pieces of `key`, in order (FTS5's trigram tokens)."""
    return list(dict.fromkeys(key[i : i + 3] for i in range(len(key) - 2)))


def _substring_ids(conn: sa.Connection, key: str, limit: int) -> list[int]:
    """Ids of contacts whose folded name or email contains `key` (3+ characters), by index.

    SQLite: the FTS5 trigram table holds no positions (migration 0011), so it gives the
    contacts that hold every trigram of `key` as candidates, in rowid order, and each is
    checked against its keys (`instr`: byte-exact, no LIKE wildcards); LIMIT stops the walk
    at the first `limit` real matches. PostgreSQL: the first pages, maybe the next ones, then the
    trigram index for the rest of the table (see _PROBE_PAGES and _MORE_PAGES), each step only
    when the ones before found fewer than `limit`."""
    if conn.dialect.name == "sqlite":
        query = " ".join('"' + t.replace('"', '""') + '"' for t in _trigrams(key))
        statement = sa.text(
            "SELECT c.id FROM contacts_search CROSS JOIN contacts AS c "
            "ON c.id = contacts_search.rowid "
            "WHERE contacts_search MATCH :query "
            "AND (instr(c.name_key, :key) > 0 OR instr(c.email_key, :key) > 0) LIMIT :limit"
        )
        return list(conn.execute(statement, {"query": query, "key": key, "limit": limit}).scalars())
    values = {"pattern": f"%{_escape_like(key)}%", "packed": f"%{pack(key)}%"}
    found = _pages_scanned(conn, values, 0, _PROBE_PAGES, limit)
    edge = _PROBE_PAGES
    have = len(found)
    if 0 < have < limit and 2 * _PROBE_PAGES * (limit - have) <= _MORE_PAGES * have:
        # The first pages hold some: a text this common is found in the next pages (at the
        # rate of the first ones, with room to spare) sooner than the index gathers its
        # candidates (seen: "_marti", "ernan_", "la_de" took 20-28 ms through the index).
        found += _pages_scanned(conn, values, edge, edge + _MORE_PAGES, limit - len(found))
        edge += _MORE_PAGES
    if len(found) < limit:
        # OFFSET 0 plans the index part for all its rows (a bitmap scan of the trigram index),
        # not as the start of a LIMIT, where a sequential scan can look cheaper than it is.
        rest = sa.text(
            f"SELECT id FROM (SELECT id FROM contacts WHERE ({schema.SEARCH_PACKED_SQL}) "
            f"LIKE :packed AND {_CONTAINS} AND ctid >= CAST(:low AS tid) OFFSET 0) AS rest "
            "LIMIT :limit"
        )
        more = {**values, "low": f"({edge},0)", "limit": limit - len(found)}
        found += conn.execute(rest, more).scalars()
    return found


_CONTAINS = "(name_key LIKE :pattern ESCAPE '\\' OR email_key LIKE :pattern ESCAPE '\\')"
# The page range [low, high) of the table, read in order (a TID range scan), up to `limit`.
_PAGES = sa.text(
    "SELECT id FROM contacts WHERE ctid >= CAST(:low AS tid) AND ctid < CAST(:high AS tid) "
    f"AND {_CONTAINS} LIMIT :limit"
)


def _pages_scanned(conn, values: dict, low: int, high: int, limit: int) -> list[int]:
    if high <= low:
        return []
    bounds = {"low": f"({low},0)", "high": f"({high},0)", "limit": limit}
    return list(conn.execute(_PAGES, {**values, **bounds}).scalars())


_SEARCH_ROW = (
    "c.id AS id, c.name AS name, c.email AS email, c.crm_id AS crm_id, c.name_key AS name_key, "
    "s.blocked AS blocked, s.reason AS reason "
    "FROM contacts AS c LEFT OUTER JOIN contact_status AS s ON s.contact_id = c.id"
)
_PART_MATCH = ("email_exact", "crm_id", "email_prefix", "name_prefix")


def _ranged(part: int, column: str, low: str, high: str, gate: str) -> str:
    return (
        f"SELECT * FROM (SELECT {part} AS part, {_SEARCH_ROW} WHERE {gate} <> '' "
        f"AND c.{column} >= {low} AND c.{column} < {high} ORDER BY c.{column} LIMIT :limit) "
        f"AS part{part}"
    )


# The exact address, the CRM id range (exact and prefix), the address and name prefixes: each a
# range scan of its index that stops at `limit` rows; a look-up whose text is empty is gated off
# by a condition on its parameter alone (evaluated once, before any row is read).
_FIRST_LOOKUPS = sa.text(
    " UNION ALL ".join(
        [
            f"SELECT 0 AS part, {_SEARCH_ROW} WHERE :key <> '' AND c.email_key = :key",
            _ranged(1, "crm_id", ":crm", ":crm_top", ":crm"),
            _ranged(2, "email_key", ":key", ":upper", ":key"),
            _ranged(3, "name_key", ":key", ":upper", ":key"),
        ]
    )
)
_BY_IDS = sa.text(f"SELECT {_SEARCH_ROW} WHERE c.id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)


def search_contacts(conn: sa.Connection, text: object, *, limit: int = 20) -> pl.DataFrame:
    """Contacts whose name, email or CRM id matches what the user typed; schema SEARCH_SCHEMA.

    Names and emails case- and accent-insensitive ("jose" finds "José", "nunez" finds
    "Núñez"); CRM ids as written (some CRMs' ids are case-sensitive). Best matches first: the
    exact address, the exact CRM id, then addresses and CRM ids and names that start with the
    text, then names with a word that starts with it, then any name or address that contains
    it (3+ characters). Any input is safe: it is folded, bounded and passed as a parameter.
    """
    key = fold_query(text)
    crm_id = crm_id_query(text)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if not key and not crm_id:
        return pl.DataFrame(schema=SEARCH_SCHEMA)
    values = {"key": key, "upper": key + _TOP, "crm": crm_id, "crm_top": crm_id + _TOP}
    # Every look-up but the substring one in one statement (a round trip and a compiled
    # statement each used to cost more than the index range scans themselves), each row
    # with what the result shows; `part` tells which look-up found it, best first.
    rows = conn.execute(_FIRST_LOOKUPS, {**values, "limit": limit}).all()
    found: dict[int, tuple[str, object]] = {}
    for row in sorted(rows, key=lambda r: r.part):
        match = _PART_MATCH[row.part]
        if match == "crm_id":
            match = "crm_id_exact" if row.crm_id == crm_id else "crm_id_prefix"
        found.setdefault(row.id, (match, row))
    if len(found) < limit and len(key) >= 3:
        more = [i for i in _substring_ids(conn, key, limit) if i not in found]
        if more:
            for row in conn.execute(_BY_IDS, {"ids": more}):
                found.setdefault(row.id, ("substring", row))
    if not found:
        return pl.DataFrame(schema=SEARCH_SCHEMA)
    word = " " + key
    ranked = []
    for contact_id, (match, row) in found.items():
        if match == "substring" and word in " " + row.name_key:
            match = "name_word"
        ranked.append((MATCH_RANK[match], row.name_key, contact_id, row, match))
    ranked.sort(key=lambda item: item[:3])
    result = [
        (
            row.id,
            row.name,
            row.email,
            row.crm_id,
            match,
            None if row.blocked is None else bool(row.blocked),
            row.reason,
        )
        for *_, row, match in ranked[:limit]
    ]
    return _frame(result, SEARCH_SCHEMA)


def data_version(conn: sa.Connection) -> int:
    """A number that grows whenever events are stored (the newest event id; 0 when none):
    the dashboard keys its cached results on it. One primary-key lookup on both engines."""
    e = schema.email_events.c
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(e.id), 0))).scalar_one()
