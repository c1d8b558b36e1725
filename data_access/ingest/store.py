"""Storing a provider file: exactly once, nothing lost, rollups and statuses kept exact.

One file is one transaction, so an interrupted import leaves nothing behind and running it
again gives the same database as an uninterrupted run. Every event is stored once: the
provider's own id (or, where it has none, a stable hash of the event) is unique per provider
in the database, and a second copy is counted as a duplicate. Every outcome is accounted for:

    received = stored + duplicates + ignored + quarantined

Origin and campaign come from the provider's custom data (`origin`, `campaign_id`); when the
payload has no origin the `default_origin` given by the caller (CLI `--origin`) applies, and
otherwise the event is quarantined — never guessed. An event with an origin but no campaign id
goes to that origin's catch-all campaign ("sin-identificar"). Unknown campaigns are created
from their id (and name, where the payload has one). Unknown recipients become contacts
(even with an invalid address: that is the `invalid_address` case) unless
`unknown_recipients="quarantine"`.

Evidence (`Event.evidence_only`, Postmark's suppression after a hard bounce or a complaint) is
stored only where it adds something: a new evidence event of a contact that already has the
event causing that block (a hard bounce for previous_bounce, a spam complaint for
previous_spam), stored before or new in this file, is counted as ignored instead. One indexed
query (by contact) finds those stored events, for the few contacts concerned.

How it is fast (budgets: on SQLite ≥ 80 % of SQLite's own insert of the same rows, on
PostgreSQL ≥ 50,000 new events a second): the events are handled as one polars frame, and
every rule that is written for one event (`_check`, the campaign key, the address
normalisation, the bounce category) is applied once per distinct value, not once per event.
Duplicates are not looked up event by event: a probe of ids spread over the file tells a new
file from one imported again (which is then looked up whole, and skips the insert); the insert
itself skips any stored copy (ON CONFLICT DO NOTHING), and when it skipped some, the rows it
stored are read back. So the new events are known exactly: the rollups are counted from them
in memory and the statuses are refreshed only for the contacts whose verdict they can change.
SQLite gets the new events sorted by contact (its indexes are then written in order) in
multi-row INSERT ... SELECT statements (its CHECK constraints then cost once per statement,
not once per event), each 16,384 rows made in a second thread while the previous ones are
stored; PostgreSQL gets them by one COPY straight into the table inside a savepoint, or, when
a stored copy makes the unique key refuse it, by COPY into a staging table and one
INSERT ... SELECT ... ON CONFLICT DO NOTHING (bulk.postgresql_copy_insert). The rollups and
statuses are worked out in a second thread while the connection inserts (`_store_new`).

Text that no database can hold is refused per record, never per file, and the same way on both
engines: an event with a NUL (U+0000, which PostgreSQL refuses) or a lone UTF-16 surrogate
(U+D800-U+DFFF, which a JSON escape such as "\\ud800" makes and UTF-8 cannot encode) in any
of its texts (recipient, event, ids, bounce type, reasons, SMTP reply, origin, campaign id or
name) goes to the quarantine saying which text, and so does a recipient address longer than
320 characters (or with a domain over 255), the columns' sizes. Nothing is stripped or cut:
a NUL in an id would make another id, and one in a reason or an SMTP reply means the record
was damaged on the way; the quarantine keeps it for someone to look at. The quarantine's own
texts (the record, the reason, the file name) keep those characters as JSON escapes
(data_access.quarantine.storable_text).
"""

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from operator import attrgetter

import polars as pl
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .. import bulk, diagnostics, rollups, schema, vocab
from ..quarantine import UNSTORABLE, storable_text
from ..status import read_pending, refresh_contact_status
from ..text import email_domain, fold, normalise_email
from . import limits, model

UNIDENTIFIED = "sin-identificar"
UNIDENTIFIED_NAME = {"campaign": "Campaña sin identificar", "automation": "Flujo sin identificar"}
_event_fields = attrgetter(*model.EVENT_FIELDS)
_AWARE = datetime(2000, 1, 1, tzinfo=UTC)  # a date that passes _check's date rule
_PASSING_ADDRESS = "a@example.com"  # an address that passes _check's recipient rules
# The block a hard bounce or a spam complaint causes by itself (what evidence adds nothing to).
_CAUSED = {vocab.BOUNCED: vocab.PREVIOUS_BOUNCE, vocab.SPAM_COMPLAINT: vocab.PREVIOUS_SPAM}


@dataclass
class ImportReport:
    source: str
    provider: str
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    ignored: int = 0
    quarantined: int = 0

    @property
    def balanced(self) -> bool:
        return self.received == self.stored + self.duplicates + self.ignored + self.quarantined

    def line(self) -> str:
        """The reconciliation line, in Spanish."""
        return (
            f"{self.source}: recibidos {self.received} = guardados {self.stored} + duplicados "
            f"{self.duplicates} + ignorados {self.ignored} + en cuarentena {self.quarantined}"
        )


def _event_hash(
    provider: str,
    email: str,
    event: str,
    occurred_at: datetime,
    message_id,
    bounce_type,
    reason,
    smtp_diagnostic,
    campaign_external_id,
) -> str:
    """A stable id for providers that give none: the same event always hashes the same."""
    key = json.dumps(
        [
            provider,
            email,
            event,
            occurred_at.astimezone(UTC).isoformat(),
            message_id,
            bounce_type,
            reason,
            smtp_diagnostic,
            campaign_external_id,
        ],
        ensure_ascii=False,
    )
    return "h:" + hashlib.sha256(key.encode()).hexdigest()[:40]


# Each text of an event, in model.EVENT_FIELDS order, with how a quarantine reason names it.
_TEXTS = {
    "email": "el destinatario",
    "event": "el evento",
    "provider_event_id": "el id del evento",
    "message_id": "el Message-ID",
    "bounce_type": "el tipo de rebote",
    "reason": "el motivo de no envío",
    "provider_reason": "el motivo del proveedor",
    "smtp_diagnostic": "la respuesta SMTP",
    "origin": "el origen",
    "campaign_external_id": "el id de la campaña",
    "campaign_name": "el nombre de la campaña",
}
_event_texts = attrgetter(*_TEXTS)
MAX_ADDRESS = schema.contacts.c.email.type.length  # 320
MAX_DOMAIN = schema.contacts.c.email_domain.type.length  # 255
_NUL = "\x00"


def _unstorable(label: str, character: str) -> str:
    """The quarantine reason of a text holding `character` (a NUL or a lone surrogate)."""
    if character == _NUL:
        return f"{label} contiene un carácter nulo (U+0000), que no se puede guardar"
    return (
        f"{label} contiene U+{ord(character):04X}, medio par sustituto UTF-16 sin su pareja, "
        "que no se puede guardar"
    )


def _text_problem(event: model.Event) -> str | None:
    """Why a text of the event cannot be stored (a NUL or a lone surrogate), or None."""
    # All the texts at once first (almost every event has nothing to report): a NUL is found
    # by a plain scan, and ASCII text holds no surrogate.
    joined = "".join([v for v in _event_texts(event) if isinstance(v, str)])
    if _NUL not in joined and (joined.isascii() or not UNSTORABLE.search(joined)):
        return None
    for name, label in _TEXTS.items():
        value = getattr(event, name)
        found = UNSTORABLE.search(value) if isinstance(value, str) else None
        if found:
            return _unstorable(label, found.group())
    return None


def _address_problem(address: str) -> str | None:
    """Why a (normalised) address does not fit its columns, or None."""
    # Folding (contacts.email_key) keeps the length of ASCII text, and may lengthen others.
    length = len(address) if address.isascii() else max(len(address), len(fold(address)))
    if length > MAX_ADDRESS:
        return f"la dirección tiene {length} caracteres (como mucho {MAX_ADDRESS})"
    domain = len(email_domain(address))
    if domain > MAX_DOMAIN:
        return f"el dominio de la dirección tiene {domain} caracteres (como mucho {MAX_DOMAIN})"
    return None


def _check(event: model.Event, default_origin: str | None) -> str | None:
    """Why an event cannot be stored, or None."""
    problem = _text_problem(event)
    if problem:
        return problem
    address = normalise_email(event.email) if isinstance(event.email, str) else ""
    if not address:
        return "falta el destinatario"
    problem = _address_problem(address)
    if problem:
        return problem
    if event.event not in vocab.EVENTS:
        return f"evento desconocido: {event.event}"
    if event.event == vocab.BOUNCED and event.bounce_type not in vocab.BOUNCE_TYPES:
        return "rebote sin tipo (hard, soft o undetermined)"
    if event.event == vocab.NOT_SENT and event.reason not in vocab.REASONS:
        return f"no enviado con un motivo desconocido: {event.reason}"
    if event.occurred_at.tzinfo is None:
        return "fecha sin zona horaria"
    if (event.origin or default_origin) not in vocab.ORIGINS:
        return (
            "no se sabe si es un correo de campaña o de automatización: falta la clave "
            "origin (o indica --origin al importar)"
        )
    return None


def _per_value(
    frame: pl.DataFrame, columns: list[str], function: Callable, outputs: dict[str, pl.DataType]
) -> pl.DataFrame:
    """`frame` with the `outputs` columns of `function(*values)`, called once per distinct
    combination of `columns` (a rule written for one event, applied to a million)."""
    keys = frame.select(columns).unique()
    results = [function(*values) for values in keys.iter_rows()]
    if len(outputs) == 1:
        results = [(value,) for value in results]
    made = pl.DataFrame(results, schema=outputs, orient="row")
    keys = pl.concat([keys, made], how="horizontal")
    return frame.join(keys, on=columns, how="left", nulls_equal=True, maintain_order="left")


class _Store:
    """One file's events on their way into the database, with the ids they need."""

    def __init__(self, conn, provider, default_origin, default_campaign, unknown_recipients):
        self.conn = conn
        self.provider = provider
        self.default_origin = default_origin
        self.default_campaign = default_campaign
        self.unknown_recipients = unknown_recipients
        self.quarantine: list[dict] = []
        self.evidence: list[tuple[int, int]] = []  # (position, item) of evidence-only events

    def reject(self, position: int, item: int, raw: str, reason: str) -> None:
        self.quarantine.append({"position": position, "item": item, "raw": raw, "reason": reason})

    # --- what an event means -----------------------------------------------------------------

    def problems(self, frame: pl.DataFrame) -> pl.Series:
        """_check for every row (None where the event can be stored), for texts without a NUL
        (_checked finds those first): its recipient rules once per distinct address, and the
        rules that follow them once per distinct (event, bounce type, reason, origin), checked
        beside an address that passes, so that the first failing rule still gives the
        message, as _check itself does."""

        def recipient(email):
            event = model.Event(email=email, event=vocab.DELIVERED, occurred_at=_AWARE)
            return _check(event, vocab.ORIGINS[0])

        def rest(event, bounce_type, reason, origin):
            return _check(
                model.Event(
                    email=_PASSING_ADDRESS,
                    event=event,
                    occurred_at=_AWARE,
                    bounce_type=bounce_type,
                    reason=reason,
                    origin=origin,
                ),
                self.default_origin,
            )

        checked = _per_value(frame, ["email"], recipient, {"recipient": pl.Utf8})
        checked = _per_value(
            checked, ["event", "bounce_type", "reason", "origin"], rest, {"rest": pl.Utf8}
        )
        return checked.select(problem=pl.coalesce("recipient", "rest"))["problem"]

    def campaign_key(self, origin, external, name) -> tuple[str, str, str | None]:
        origin = origin or self.default_origin
        external = external or self.default_campaign or UNIDENTIFIED
        name = name or (UNIDENTIFIED_NAME[origin] if external == UNIDENTIFIED else None)
        return origin, str(external)[:100], name

    # --- ids -------------------------------------------------------------------------------------

    def campaign_ids(self, wanted: dict[tuple[str, str], str | None]) -> dict[tuple[str, str], int]:
        k = schema.campaigns.c
        found = {}
        for origin in vocab.ORIGINS:
            externals = [x for (o, x) in wanted if o == origin]
            for among in bulk.one_of(self.conn, k.external_id, externals):
                rows = self.conn.execute(
                    sa.select(k.origin, k.external_id, k.id).where(k.origin == origin, among)
                ).all()
                found.update({(o, x): i for o, x, i in rows})
        missing = [key for key in wanted if key not in found]
        if missing:
            now = datetime.now(UTC)
            self.conn.execute(
                schema.campaigns.insert(),
                [
                    {
                        "origin": o,
                        "external_id": x,
                        "name": (wanted[(o, x)] or x)[:300],
                        "created_at": now,
                    }
                    for o, x in missing
                ],
            )
            return self.campaign_ids(wanted)
        return found

    def contacts(self, first_seen: dict[str, datetime]) -> dict[str, tuple[int, str]]:
        """(id, recipient domain) of each address; unknown addresses are created (by default)
        with the moment of their first event."""
        c = schema.contacts.c
        emails = list(first_seen)
        found = {}
        for among in bulk.one_of(self.conn, c.email, emails):
            rows = self.conn.execute(sa.select(c.email, c.id, c.email_domain).where(among)).all()
            found.update({email: (ident, domain) for email, ident, domain in rows})
        missing = [e for e in emails if e not in found]
        if missing and self.unknown_recipients == "create":
            self.conn.execute(
                schema.contacts.insert(),
                [
                    {
                        "email": e,
                        "name": "",
                        "email_key": fold(e),
                        "name_key": "",
                        "email_domain": email_domain(e),
                        "created_at": first_seen[e],
                    }
                    for e in missing
                ],
            )
            return self.contacts(first_seen)
        return found

    def stored_causes(self, contact_ids: list[int]) -> set[tuple[int, str]]:
        """(contact id, reason) for the blocks these contacts' stored events already cause by
        themselves: previous_bounce for a hard bounce, previous_spam for a spam complaint."""
        e = schema.email_events.c
        found: set[tuple[int, str]] = set()
        for among in bulk.one_of(self.conn, e.contact_id, contact_ids):
            rows = self.conn.execute(
                sa.select(e.contact_id, e.event)
                .where(
                    among,
                    sa.or_(
                        e.event == vocab.SPAM_COMPLAINT,
                        sa.and_(e.event == vocab.BOUNCED, e.bounce_type == vocab.HARD),
                    ),
                )
                .distinct()
            ).all()
            found.update((contact, _CAUSED[event]) for contact, event in rows)
        return found

    def stored_ids(self, ids: list[str]) -> set[str]:
        """Which of these provider event ids are already stored (one indexed lookup each)."""
        e = schema.email_events.c
        found: set[str] = set()
        if self.conn.dialect.name == "sqlite":
            cursor = self.conn.connection.driver_connection.cursor()
            try:
                for start in range(0, len(ids), 100_000):
                    cursor.execute(
                        "SELECT provider_event_id FROM email_events WHERE provider = ? AND "
                        "provider_event_id IN (SELECT value FROM json_each(?))",
                        (self.provider, json.dumps(ids[start : start + 100_000])),
                    )
                    found.update(row[0] for row in cursor.fetchall())
            finally:
                cursor.close()
            return found
        for among in bulk.one_of(self.conn, e.provider_event_id, ids):
            found.update(
                self.conn.execute(
                    sa.select(e.provider_event_id).where(e.provider == self.provider, among)
                ).scalars()
            )
        return found


def import_records(
    conn: sa.Connection,
    provider: str,
    records,
    *,
    source: str,
    source_sha256: str,
    default_origin: str | None = None,
    default_campaign: str | None = None,
    unknown_recipients: str = "create",
    progress: Callable[[int], None] | None = None,
    columns: model.Columns | None = None,
) -> ImportReport:
    """Store parsed records (and the events a parser read column by column) in the caller's
    transaction and say what happened to each."""
    # One import at a time: the duplicates found before inserting stay the duplicates, and
    # the campaigns and contacts found missing are still missing when they are created.
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("LOCK TABLE email_events IN SHARE ROW EXCLUSIVE MODE")
    else:
        _sqlite_write_lock(conn)
    report = ImportReport(source=source, provider=provider)
    store = _Store(conn, provider, default_origin, default_campaign, unknown_recipients)
    frames = []
    if columns is not None:
        report.received += columns.events.height + columns.ignored
        report.ignored += columns.ignored
        frames.append(_checked(store, columns))
        if progress:
            progress(columns.events.height + columns.ignored)
    rows = []
    for record in chain(records, columns.records if columns is not None else ()):
        for item, outcome in enumerate(record.outcomes, start=1):
            report.received += 1
            if isinstance(outcome, model.Ignored):
                report.ignored += 1
            elif isinstance(outcome, model.Rejected):
                store.reject(record.position, item, model.raw_text(record), outcome.reason)
            else:
                problem = _check(outcome, default_origin)
                if problem:
                    store.reject(record.position, item, model.raw_text(record), problem)
                else:
                    rows.append((record.position, item, *_event_fields(outcome)))
                    if outcome.evidence_only:
                        store.evidence.append((record.position, item))
        if progress:
            progress(1)
    if rows:
        frames.append(model.event_frame(rows))
    events = pl.concat(frames).sort("position", "item") if frames else None
    if events is not None and events.height:
        candidates = _without_known_causes(store, _new_events(store, events, report), report)
        new = _store_new(conn, candidates)
        report.duplicates += candidates.height - new.height
        report.stored = new.height
    report.quarantined = len(store.quarantine)
    write_quarantine(conn, provider, source, source_sha256, store.quarantine)
    return report


def _sqlite_write_lock(conn: sa.Connection) -> None:
    """Take SQLite's write lock before reading anything (BEGIN IMMEDIATE), waiting up to
    RASTRO_SQLITE_BUSY_SECONDS for another writer; ImportRefused (`import_running`) after that.

    Without it the transaction began at its first write, after its reads: two imports both
    found a campaign missing and one failed on the unique key, or found the lock taken and
    failed with "database is locked" after the connection's usual 5 s."""
    driver = conn.connection.driver_connection
    if driver.in_transaction:
        return  # the caller's transaction has written: it holds the lock (the webhook worker)
    seconds = limits.setting(limits.SQLITE_BUSY_SECONDS)
    (usual,) = driver.execute("PRAGMA busy_timeout").fetchone()
    driver.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except sa.exc.OperationalError as error:
        if "locked" not in str(error.orig) and "busy" not in str(error.orig):
            raise
        shown = f"{seconds:g}"
        raise model.ImportRefused(
            f"otra importación está escribiendo en la base de datos y no terminó en {shown} s; "
            "no se guardó nada de este archivo: vuelve a importarlo cuando termine (la espera "
            f"la fija {limits.SQLITE_BUSY_SECONDS})",
            key="import_running",
            seconds=shown,
            name=limits.SQLITE_BUSY_SECONDS,
        ) from None
    finally:
        driver.execute(f"PRAGMA busy_timeout = {int(usual)}")


def _checked(store: _Store, columns: model.Columns) -> pl.DataFrame:
    """The column-read events that pass _check; the others go to the quarantine."""
    # _check's first rule, by columns: the texts of every event, not only the columns that
    # `problems` reads. (A frame cannot hold a lone surrogate: a reader leaves such records
    # to the per-record path.)
    nul = [
        pl.when(pl.col(name).str.contains(_NUL, literal=True)).then(
            pl.lit(_unstorable(label, _NUL))
        )
        for name, label in _TEXTS.items()
    ]
    frame = columns.events.with_columns(problem=pl.coalesce(*nul, store.problems(columns.events)))
    for position, item, problem in (
        frame.filter(pl.col("problem").is_not_null())
        .select("position", "item", "problem")
        .iter_rows()
    ):
        store.reject(position, item, columns.raw(position), problem)
    return frame.filter(pl.col("problem").is_null()).drop("problem")


def _new_events(store: _Store, events: pl.DataFrame, report: ImportReport) -> pl.DataFrame:
    """The rows to insert (EVENT_COLUMNS and what the rollups need), without the duplicates;
    counts the duplicates and quarantines the unknown recipients (when asked to)."""
    events = _per_value(events, ["email"], normalise_email, {"address": pl.Utf8})
    events = _per_value(
        events,
        ["origin", "campaign_external_id", "campaign_name"],
        store.campaign_key,
        {"c_origin": pl.Utf8, "c_external": pl.Utf8, "c_name": pl.Utf8},
    )
    wanted = events.group_by("c_origin", "c_external", maintain_order=True).agg(
        pl.col("c_name").drop_nulls().first()
    )
    campaigns = store.campaign_ids({(o, x): n for o, x, n in wanted.iter_rows()})
    first_seen = events.group_by("address", maintain_order=True).agg(pl.col("occurred_at").min())
    contacts = store.contacts(dict(first_seen.iter_rows()))
    ids = pl.DataFrame(
        [(a, i, d) for a, (i, d) in contacts.items()],
        schema={"address": pl.Utf8, "contact_id": pl.Int64, "domain": pl.Utf8},
        orient="row",
    )
    events = events.join(ids, on="address", how="left", maintain_order="left")
    unknown = events.filter(pl.col("contact_id").is_null())
    for position, item, email in unknown.select("position", "item", "email").iter_rows():
        store.reject(
            position,
            item,
            json.dumps({"email": email}, ensure_ascii=False),
            "destinatario desconocido (importación sin crear contactos)",
        )
    events = events.filter(pl.col("contact_id").is_not_null())
    keys = pl.DataFrame(
        [(o, x, i) for (o, x), i in campaigns.items()],
        schema={"c_origin": pl.Utf8, "c_external": pl.Utf8, "campaign_id": pl.Int64},
        orient="row",
    )
    events = events.join(keys, on=["c_origin", "c_external"], how="left", maintain_order="left")
    events = _with_event_ids(store.provider, events)
    kind = pl.col("event")
    bounced = kind == vocab.BOUNCED
    events = events.with_columns(
        bounce_type=pl.when(bounced).then(pl.col("bounce_type")),
        reason=pl.when(kind == vocab.NOT_SENT).then(pl.col("reason")),
        message_id=pl.when(pl.col("message_id") != "").then(pl.col("message_id").str.slice(0, 255)),
        provider=pl.lit(store.provider),
    )
    categories = _per_value(
        events.filter(bounced),
        ["smtp_diagnostic", "provider_reason"],
        diagnostics.bounce_category,
        {"bounce_category": pl.Utf8},
    )
    events = events.join(
        categories.select("position", "item", "bounce_category"),
        on=["position", "item"],
        how="left",
        maintain_order="left",
    )
    # Exactly once: the first copy in the file, unless the database has it already.
    first = events.filter(pl.col("provider_event_id").is_first_distinct())
    stored = _known_ids(store, first)
    new = first.filter(~pl.col("provider_event_id").is_in(list(stored))) if stored else first
    report.duplicates += events.height - new.height
    return new


_PROBE = 1_000  # ids looked up first, spread over the file, to tell a new file from a re-import


def _known_ids(store: _Store, first: pl.DataFrame) -> set[str]:
    """Provider ids of `first` that the database already holds, as far as they must be known
    before inserting: every evidence-only event's (whether it is a duplicate decides how it is
    counted) and, when a probe of ids spread over the file finds any stored (a file imported
    again, a provider's retry), all of them. A file of new events is not looked up event by
    event: the insert skips whatever copy is stored after all (ON CONFLICT DO NOTHING) and
    `_store_new` reads back which rows it stored, so the new events are known exactly either
    way; the lookup only saves a re-import the cost of trying to insert every row."""
    ids = first["provider_event_id"]
    sample = ids.gather_every(max(1, ids.len() // _PROBE)).to_list()
    evidence = []
    if store.evidence:
        marked = pl.DataFrame(
            store.evidence, schema={"position": pl.Int64, "item": pl.Int64}, orient="row"
        )
        evidence = first.join(marked, on=["position", "item"], how="semi")["provider_event_id"]
        evidence = evidence.to_list()
    found = store.stored_ids(sample + evidence)
    if found.intersection(sample):
        found = store.stored_ids(ids.to_list())
    return found


def _without_known_causes(store: _Store, new: pl.DataFrame, report: ImportReport) -> pl.DataFrame:
    """`new` without the evidence-only events whose contact already has the cause of that
    block, stored or new in this file; they are counted as ignored."""
    if not store.evidence:
        return new
    marked = pl.DataFrame(
        store.evidence, schema={"position": pl.Int64, "item": pl.Int64}, orient="row"
    )
    evidence = new.join(marked, on=["position", "item"], how="semi")
    if not evidence.height:
        return new
    contacts = evidence["contact_id"].unique().to_list()
    causes = store.stored_causes(contacts)
    kind = pl.col("event")
    in_file = new.filter(
        pl.col("contact_id").is_in(contacts)
        & (
            (kind == vocab.SPAM_COMPLAINT)
            | ((kind == vocab.BOUNCED) & (pl.col("bounce_type") == vocab.HARD))
        )
    )
    causes.update(
        (contact, _CAUSED[event])
        for contact, event in in_file.select("contact_id", "event").iter_rows()
    )
    known = pl.DataFrame(
        list(causes), schema={"contact_id": pl.Int64, "reason": pl.Utf8}, orient="row"
    )
    redundant = evidence.join(known, on=["contact_id", "reason"], how="semi")
    report.ignored += redundant.height
    return new.join(redundant.select("position", "item"), on=["position", "item"], how="anti")


def _with_event_ids(provider: str, events: pl.DataFrame) -> pl.DataFrame:
    """provider_event_id, or a stable hash of the event where the provider gives none."""
    given = pl.col("provider_event_id")
    missing = events.filter(given.is_null() | (given == ""))
    if missing.height:
        hashes = [
            _event_hash(
                provider,
                row["address"],
                row["event"],
                row["occurred_at"],
                row["message_id"],
                row["bounce_type"],
                row["reason"],
                row["smtp_diagnostic"],
                row["campaign_external_id"],
            )
            for row in missing.iter_rows(named=True)
        ]
        made = missing.select("position", "item").with_columns(
            hashed=pl.Series(hashes, dtype=pl.Utf8)
        )
        events = events.join(made, on=["position", "item"], how="left", maintain_order="left")
        events = events.with_columns(provider_event_id=pl.coalesce("hashed", given)).drop("hashed")
    return events.with_columns(provider_event_id=pl.col("provider_event_id").str.slice(0, 255))


def _status_may_change(conn: sa.Connection, new: pl.DataFrame) -> list[int]:
    """Contacts whose verdict the new events can change: any event but a send or a delivery;
    a delivery to a contact blocked by bounces (it lifts a soft-bounce block); and contacts
    with no stored status yet. Deliveries to everyone else change nothing, and they are most
    of the events."""
    s = schema.contact_status.c
    notices = set(
        new.filter(~pl.col("event").is_in([vocab.DELIVERED, vocab.SENT]))["contact_id"]
        .unique()
        .to_list()
    )
    delivered = set(new.filter(pl.col("event") == vocab.DELIVERED)["contact_id"].unique().to_list())
    others = sorted(set(new["contact_id"].unique().to_list()) - notices)
    known, bounced = set(), set()
    for among in bulk.one_of(conn, s.contact_id, others, sqlite_chunk=5_000):
        rows = conn.execute(sa.select(s.contact_id, s.reason).where(among)).all()
        known.update(i for i, _reason in rows)
        bounced.update(i for i, reason in rows if reason == vocab.PREVIOUS_BOUNCE)
    return sorted(notices | (set(others) - known) | (bounced & delivered))


# --- writing ---------------------------------------------------------------------------------

EVENT_COLUMNS = (
    "contact_id",
    "campaign_id",
    "event",
    "bounce_type",
    "reason",
    "provider_reason",
    "smtp_diagnostic",
    "provider",
    "provider_event_id",
    "message_id",
    "occurred_at",
    "bounce_category",
)


def _max_event_id(conn: sa.Connection) -> int:
    e = schema.email_events.c
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(e.id), 0))).scalar_one()


def _ids_above(conn: sa.Connection, mark: int) -> pl.Series:
    e = schema.email_events.c
    ids = conn.execute(sa.select(e.provider_event_id).where(e.id > mark)).scalars().all()
    return pl.Series("provider_event_id", ids, dtype=pl.Utf8)


def _store_new(conn: sa.Connection, candidates: pl.DataFrame) -> pl.DataFrame:
    """Insert `candidates` (first copies, not known to be stored), count them into the rollups
    and refresh the statuses they can change; return those that were stored: all of them,
    unless the insert found some stored after all (ON CONFLICT DO NOTHING skipped them); then
    the rows above the previous highest id say which. With one import at a time (the lock)
    the rows above that mark are this import's; anything else refuses the file
    (ConcurrentImport), never half-done.

    The rollups and statuses are worked out in a second thread while the connection inserts
    (SQLite and PostgreSQL both let go of Python while they store rows): what they read from
    the database is read before the insert, and the new events are counted from memory with
    the ids they are about to get (the next ones after the mark, in insertion order). If the
    insert stored every candidate under exactly such a run of ids (shifted if the id sequence
    had moved on), that work is written; otherwise it is thrown away and done again from the
    events really stored."""
    if not candidates.height:
        return candidates
    candidates = _insertion_order(candidates)
    mark = _max_event_id(conn)
    zone = rollups.stored_zone(conn)
    pending = read_pending(conn, _status_may_change(conn, candidates))
    origins = dict(candidates.select("campaign_id", "c_origin").unique("campaign_id").iter_rows())
    with ThreadPoolExecutor(1, thread_name_prefix="rastro-import") as pool:
        worked = pool.submit(_worked_out, candidates, zone, pending, mark + 1, origins)
        _insert_events(conn, candidates)
        stored, first, last = _stored_above(conn, mark)
        counts, rows = worked.result()
    if stored == candidates.height:
        rollups.add_counts(conn, counts)
        if last - first + 1 == stored:  # one run of ids, in insertion order
            pending.write(conn, rows, moved_from=mark + 1, offset=first - (mark + 1))
        else:
            refresh_contact_status(conn, pending.ids)
        return candidates
    ids = _ids_above(conn, mark)
    new = candidates.filter(pl.col("provider_event_id").is_in(ids.implode()))
    if not (stored == new.height == ids.len()):
        raise model.ConcurrentImport()
    if stored:
        rollups.add_new_events(conn, new)
        refresh_contact_status(conn, _status_may_change(conn, new))
    return new


def _worked_out(candidates, zone, pending, first_id, origins) -> tuple:
    """The rollup counts and status rows of `candidates`, from memory (PendingRefresh)."""
    return rollups.new_event_counts(candidates, zone), pending.rows(candidates, first_id, origins)


def _stored_above(conn: sa.Connection, mark: int) -> tuple[int, int, int]:
    """How many events have an id above `mark`, and the lowest and highest of those ids."""
    e = schema.email_events.c
    count, low, high = conn.execute(
        sa.select(sa.func.count(), sa.func.min(e.id), sa.func.max(e.id)).where(e.id > mark)
    ).one()
    return count, low or 0, high or 0


def _insertion_order(new: pl.DataFrame) -> pl.DataFrame:
    """By contact and time: the contact index is then written in order."""
    return new.sort("contact_id", "occurred_at", maintain_order=True)


# The unique key of provider ids (a partial index: hashed ids are never null, but the card's
# own lifts have none): a copy stored already is skipped, not doubled.
_ON_CONFLICT = "(provider, provider_event_id) WHERE provider_event_id IS NOT NULL DO NOTHING"


_SQLITE_CHUNK = 64 * bulk.SQLITE_ROWS_PER_INSERT  # rows made at a time, whole statements


def _sqlite_rows(events: pl.DataFrame) -> list[tuple]:
    """EVENT_COLUMNS as tuples, the time as UTC text the way SQLAlchemy's DateTime stores it
    in SQLite ("YYYY-MM-DD HH:MM:SS.ffffff")."""
    return events.select(
        *EVENT_COLUMNS[:10],
        pl.col("occurred_at").dt.strftime(bulk.SQLITE_TIME),
        "bounce_category",
    ).rows()


def _insert_events(conn: sa.Connection, new: pl.DataFrame) -> None:
    """Insert the new events in the order given (_store_new's insertion order, the one it
    counts the ids in); a copy that is somehow stored already is skipped, not doubled."""
    if conn.dialect.name == "sqlite":
        # The rows of the next chunk are made in a second thread while SQLite stores these
        # (it lets go of Python while it writes its indexes).
        chunks = [new.slice(start, _SQLITE_CHUNK) for start in range(0, new.height, _SQLITE_CHUNK)]
        with ThreadPoolExecutor(1, thread_name_prefix="rastro-rows") as pool:
            made = pool.submit(_sqlite_rows, chunks[0])
            for following in [*chunks[1:], None]:
                rows = made.result()
                if following is not None:
                    made = pool.submit(_sqlite_rows, following)
                bulk.sqlite_insert(conn, "email_events", EVENT_COLUMNS, rows, _ON_CONFLICT)
        return
    # PostgreSQL: COPY straight into the table (the duplicates were looked up; a copy stored
    # after all makes bulk.py fall back to a staging table and INSERT ... ON CONFLICT).
    bulk.postgresql_copy_insert(conn, "email_events", EVENT_COLUMNS, new, _ON_CONFLICT, direct=True)


def write_quarantine(conn, provider, source, sha, items) -> None:
    """Keep `items` (dicts of position, item, raw, reason) of the file `source` (content hash
    `sha`) in the quarantine; a record already kept from the same content is not kept twice.
    The CRM contacts import writes its rows through here too."""
    if not items:
        return
    now = datetime.now(UTC)
    insert = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(
        schema.quarantine
    )
    statement = insert.on_conflict_do_nothing(index_elements=["source_sha256", "position", "item"])
    conn.execute(
        statement,
        [
            {
                "received_at": now,
                "provider": provider,
                "source": storable_text(source[:300]),
                "source_sha256": sha,
                "position": q["position"],
                "item": q["item"],
                "raw": storable_text(q["raw"]),
                "reason": storable_text(q["reason"]),
            }
            for q in sorted(items, key=lambda q: (q["position"], q["item"]))
        ],
    )
