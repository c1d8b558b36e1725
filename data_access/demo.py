"""The demo world: a realistic, internally consistent CRM mailing history, deterministic per seed.

`generate()` builds it in memory as polars frames (vectorised with numpy; only the contacts
that ever have an incident are replayed event by event through the status policy), and
`load()` bulk-loads it. Sends follow the policy: once a contact is blocked its later sends are
`not_sent` with the policy's reason, so the demo never contradicts the card.

Deterministic for (`contacts`, `seed`, `until`): `until` is the end of the world (default:
today, 00:00 UTC); the world covers the twelve months before it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import numpy as np
import polars as pl
import sqlalchemy as sa

from . import bulk, diagnostics, policy, rollups, schema, vocab
from . import demo_names as words
from .text import email_domain, fold, normalise_email

DEFAULT_CONTACTS = 3_000
DEFAULT_SEED = 20_261_126
DAY = 86_400
PROVIDER = "demo"
HEAVY_CONTACTS = 3
HEAVY_SENDS = 1_500
TIME = pl.Datetime("us", "UTC")

# Per-send chances by kind of contact.
_P_HARD = {"normal": 0.0012, "dead": 0.85, "flaky": 0.002}
_P_SOFT = {"normal": 0.008, "dead": 0.10, "flaky": 0.45}
_P_SPAM = 0.0012  # after a delivery
_P_UNSUB = 0.0015  # after a delivery
# Once blocked, a contact drops out of most segments and flows: a share of later sends is still
# attempted (and recorded as not sent).
_P_STILL_TARGETED = 0.3
_P_RESUB = 0.12  # of unsubscribes

# Outcome codes used while simulating.
_DELIVERED, _SOFT, _HARD, _SPAM, _UNSUB, _RESUB, _NOT_SENT = range(7)
_EVENT_NAMES = {
    _DELIVERED: vocab.DELIVERED,
    _SOFT: vocab.BOUNCED,
    _HARD: vocab.BOUNCED,
    _SPAM: vocab.SPAM_COMPLAINT,
    _UNSUB: vocab.UNSUBSCRIBED,
    _RESUB: vocab.RESUBSCRIBED,
    _NOT_SENT: vocab.NOT_SENT,
}
_REASON_CODE = {reason: i + 1 for i, reason in enumerate(vocab.REASONS)}


@dataclass
class DemoWorld:
    """Frames named and typed like the tables they load into."""

    contacts: pl.DataFrame
    campaigns: pl.DataFrame
    events: pl.DataFrame
    statuses: pl.DataFrame


def _to_time(seconds) -> pl.Series:
    return pl.Series(np.asarray(seconds, dtype=np.int64) * 1_000_000).cast(TIME)


def _end_of_world(until: date | None) -> int:
    until = until or datetime.now(UTC).date()
    return int(datetime.combine(until, time(0), tzinfo=UTC).timestamp())


def generate(
    contacts: int = DEFAULT_CONTACTS,
    *,
    seed: int = DEFAULT_SEED,
    until: date | None = None,
    config: policy.PolicyConfig = policy.DEFAULT_CONFIG,
) -> DemoWorld:
    """Build the demo world in memory (see the module docstring)."""
    if contacts < 1:
        raise ValueError("el mundo de demostración necesita al menos un contacto")
    rng = np.random.default_rng(seed)
    end = _end_of_world(until)
    start = end - 365 * DAY

    people = _make_contacts(rng, contacts, end)
    camp = _make_campaigns(rng, start, end)
    c, t, k = _make_sends(rng, people, camp, start, end)
    sim = _simulate(rng, people, c, t, k, end, config)
    return _assemble(people, camp, sim, end)


# --- contacts -------------------------------------------------------------------------------


def _pick(rng, options, n):
    return np.asarray(options, dtype=object)[rng.integers(len(options), size=n)]


def _make_contacts(rng, n: int, end: int) -> dict:
    created = np.sort(end - rng.integers(DAY, 540 * DAY, size=n))
    first = _pick(rng, words.FIRST_NAMES, n)
    compound = rng.random(n) < 0.12
    first[compound] = _pick(rng, words.COMPOUND_FIRST_NAMES, int(compound.sum()))
    surname = _pick(rng, words.SURNAMES, n)
    compound_s = rng.random(n) < 0.06
    surname[compound_s] = _pick(rng, words.COMPOUND_SURNAMES, int(compound_s.sum()))
    second = _pick(rng, words.SURNAMES, n)
    has_second = rng.random(n) < 0.7
    names = [
        f"{f} {s} {s2}" if two else f"{f} {s}"
        for f, s, s2, two in zip(first, surname, second, has_second)
    ]
    for i in rng.choice(n, size=min(n, max(1, n // 2000)), replace=False):
        names[i] = words.VERY_LONG_NAMES[i % len(words.VERY_LONG_NAMES)]

    domains, typo = _pick_domains(rng, n)
    ascii_of = {}

    def plain(value):  # "María José" -> "mariajose"
        if value not in ascii_of:
            ascii_of[value] = fold(value).replace(" ", "").replace("-", "")
        return ascii_of[value]

    pattern = rng.integers(6, size=n)
    number = rng.integers(1, 99, size=n)
    locals_ = []
    for f, s, p, num in zip(first, surname, pattern, number):
        f, s = plain(f), plain(s)
        locals_.append(
            (f"{f}.{s}", f"{f}{s}", f"{f[0]}{s}", f"{f}.{s}{num}", f"{s}.{f}{num}", f"{f}_{s}")[p]
        )

    invalid_at = rng.choice(n, size=min(n, max(6, round(n * 0.004))), replace=False)
    emails = [f"{local}@{domain}" for local, domain in zip(locals_, domains)]
    for j, i in enumerate(invalid_at):
        emails[i] = _mangle(locals_[i], domains[i], j)
    emails = _unique(emails)

    valid = np.fromiter(
        (policy.is_valid_address.__wrapped__(e) for e in emails), dtype=bool, count=n
    )
    kind = np.full(n, "normal", dtype=object)
    draw = rng.random(n)
    kind[draw < 0.037] = "flaky"
    kind[(draw < 0.012) | typo] = "dead"
    return {
        "n": n,
        "created": created,
        "name": names,
        "email": emails,
        "valid": valid,
        "kind": kind,
        "typo": typo,
    }


def _pick_domains(rng, n: int):
    freemail = [d for d, _ in words.FREEMAIL]
    weights = [w for _, w in words.FREEMAIL]
    company_weight = 1000 - sum(weights) - words.TYPO_WEIGHT
    pool_size = max(20, n // 32)
    companies = [
        f"{a}{b}.{tld}"
        for a, b, tld in zip(
            _pick(rng, words.COMPANY_WORDS, pool_size),
            _pick(rng, words.COMPANY_WORDS, pool_size),
            _pick(rng, words.COMPANY_TLDS, pool_size),
        )
    ]
    groups = np.asarray(freemail + ["<typo>", "<company>"], dtype=object)
    p = np.asarray(weights + [words.TYPO_WEIGHT, company_weight], dtype=float) / 1000
    choice = groups[rng.choice(len(groups), size=n, p=p)]
    typo = choice == "<typo>"
    choice[typo] = _pick(rng, words.TYPO_DOMAINS, int(typo.sum()))
    company = choice == "<company>"
    choice[company] = np.asarray(companies, dtype=object)[
        rng.integers(pool_size, size=int(company.sum()))
    ]
    return choice, typo


def _mangle(local: str, domain: str, variant: int) -> str:
    """Typical ways an address is typed wrong (all refused by the validator)."""
    head = domain.split(".")[0]
    return (
        f"{local.replace('.', ' ', 1) if '.' in local else local + ' '}@{domain}",
        f"{local}..{len(local)}@{domain}",
        f"{local}@{head}",
        f"{local}@@{domain}",
        f"{local}@{domain.replace('.', ',', 1)}",
        f"{local}.{domain}",
    )[variant % 6]


def _unique(emails: list[str]) -> list[str]:
    """Normalise and make addresses unique: a repeated one gets the row number appended."""
    seen: set[str] = set()
    out = []
    for i, email in enumerate(emails):
        email = normalise_email(email)
        if email in seen:
            local, at, domain = email.partition("@")
            email = f"{local}.{i}{at}{domain}"
        seen.add(email)
        out.append(email)
    return out


# --- campaigns and sends --------------------------------------------------------------------


def _make_campaigns(rng, start: int, end: int) -> dict:
    n_campaigns = words.CAMPAIGNS_PER_YEAR
    step = (end - start) / n_campaigns
    send_at = [
        int(start + (i + 0.5) * step + rng.integers(-2 * DAY, 2 * DAY)) for i in range(n_campaigns)
    ]
    reach = rng.uniform(0.7, 0.95, size=n_campaigns)
    names = _campaign_names(send_at)
    rows = [
        {
            "origin": "campaign",
            "external_id": f"cmp-{1001 + i}",
            "name": name,
            "created_at": send_at[i] - 3 * DAY,
        }
        for i, name in enumerate(names)
    ]
    rows += [
        {
            "origin": "automation",
            "external_id": f"flujo-{201 + j}",
            "name": name,
            "created_at": start - (60 - 5 * j) * DAY,
        }
        for j, (name, _p, _steps) in enumerate(words.FLOWS)
    ]
    for i, row in enumerate(rows):
        row["id"] = i + 1
    return {"rows": rows, "send_at": send_at, "reach": reach, "n_campaigns": n_campaigns}


def _campaign_names(send_at: list[int]) -> list[str]:
    """A theme that fits the month of each send; a newsletter when the month has no more."""
    used: dict[int, int] = {}
    names = []
    for at in send_at:
        when = datetime.fromtimestamp(at, UTC)
        themes = words.MONTH_THEMES[when.month]
        i = used.get(when.month, 0)
        used[when.month] = i + 1
        theme = themes[i] if i < len(themes) else f"Boletín de {words.MONTHS[when.month - 1]}"
        names.append(f"{theme} {when.year}")
    return names


def _make_sends(rng, people: dict, camp: dict, start: int, end: int):
    """Every email the CRM tried to send: (contact index, time, campaign id), sorted."""
    created = people["created"]
    n = people["n"]
    cs, ts, ks = [], [], []
    for i, (at, reach) in enumerate(zip(camp["send_at"], camp["reach"])):
        who = np.flatnonzero((created < at) & (rng.random(n) < reach))
        cs.append(who)
        ts.append(at + rng.integers(0, 4 * 3600, size=who.size))
        ks.append(np.full(who.size, i + 1))
    for j, (_name, chance, steps) in enumerate(words.FLOWS):
        flow_id = camp["n_campaigns"] + j + 1
        low = np.maximum(created, start)
        if j == 0:  # welcome flow: right when the contact is created, within the year
            who = np.flatnonzero((created >= start) & (rng.random(n) < chance))
            trigger = created[who] + 600
        else:
            who = np.flatnonzero(rng.random(n) < chance)
            trigger = low[who] + (rng.random(who.size) * (end - low[who])).astype(np.int64)
        for offset in steps:
            at = trigger + offset * DAY + rng.integers(0, 3600, size=who.size)
            keep = at < end
            cs.append(who[keep])
            ts.append(at[keep])
            ks.append(np.full(int(keep.sum()), flow_id))
    # A few addresses of the CRM's own team (one in small worlds) get test sends of everything:
    # the long histories the card must keep usable (~1,500 emails).
    n_flows_and_campaigns = camp["n_campaigns"] + len(words.FLOWS)
    people["heavy"] = np.zeros(n, dtype=bool)
    valid = np.flatnonzero(people["valid"])
    heavy = (HEAVY_CONTACTS if n >= 10_000 else 1) if n >= 100 else 0
    for who in rng.choice(valid, size=min(valid.size, heavy), replace=False):
        people["heavy"][who] = True
        low = max(int(created[who]), start)
        cs.append(np.full(HEAVY_SENDS, who))
        ts.append(rng.integers(low, end, size=HEAVY_SENDS))
        ks.append(rng.integers(1, n_flows_and_campaigns + 1, size=HEAVY_SENDS))
    c = np.concatenate(cs).astype(np.int64)
    t = np.concatenate(ts).astype(np.int64)
    k = np.concatenate(ks).astype(np.int32)
    order = np.lexsort((t, c))
    return c[order], t[order], k[order]


# --- the simulation -------------------------------------------------------------------------


def _simulate(rng, people, c, t, k, end, config) -> dict:
    n, s = people["n"], c.size
    kind = people["kind"]
    p_hard = np.select(
        [kind == "dead", kind == "flaky"], [_P_HARD["dead"], _P_HARD["flaky"]], _P_HARD["normal"]
    )[c]
    p_soft = np.select(
        [kind == "dead", kind == "flaky"], [_P_SOFT["dead"], _P_SOFT["flaky"]], _P_SOFT["normal"]
    )[c]
    u = rng.random(s)
    u2 = rng.random(s)
    proposal = np.full(s, _DELIVERED, dtype=np.int8)
    proposal[u2 < _P_SPAM + _P_UNSUB] = _UNSUB
    proposal[u2 < _P_SPAM] = _SPAM
    proposal[u < p_hard + p_soft] = _SOFT
    proposal[u < p_hard] = _HARD
    # The team's own addresses never complain nor unsubscribe; their mailboxes may be full.
    proposal[people["heavy"][c] & (proposal != _SOFT)] = _DELIVERED
    delay = rng.integers(600, 2 * DAY, size=s)
    resub_draw = rng.random(s)
    resub_delay = rng.integers(3 * DAY, 90 * DAY, size=s)
    hard_diag = np.where(people["typo"][c], 3, rng.integers(0, 3, size=s)).astype(np.int8)
    soft_diag = rng.integers(0, len(words.SOFT_BOUNCES), size=s).astype(np.int8)

    outcome = np.where(proposal >= _SPAM, _DELIVERED, proposal).astype(np.int8)
    reason = np.zeros(s, dtype=np.int8)
    targeted = (rng.random(s) < _P_STILL_TARGETED) | people["heavy"][c]
    emit = np.ones(s, dtype=bool)
    starts = np.searchsorted(c, np.arange(n))
    ends = np.searchsorted(c, np.arange(n), side="right")
    incidents = np.bincount(c[proposal != _DELIVERED], minlength=n) > 0
    incidents |= ~people["valid"]

    extra_c, extra_t, extra_k, extra_code = [], [], [], []
    status = {}  # contact index -> (reason, since, cause reference)

    def add_extra(contact, when, campaign, code):
        extra_c.append(contact)
        extra_t.append(when)
        extra_k.append(campaign)
        extra_code.append(code)
        return s + len(extra_c) - 1

    for ci in np.flatnonzero(incidents):
        a, b = int(starts[ci]), int(ends[ci])
        tracker = policy.StatusTracker(
            people["email"][ci],
            created_at=int(people["created"][ci]),
            config=config,
            address_valid=bool(people["valid"][ci]),
        )
        first = a
        if people["valid"][ci] and b > a:
            # Before the first incident every send was delivered: the policy cannot block yet.
            first = a + int(np.argmax(proposal[a:b] != _DELIVERED))
        pending = None  # when a scheduled re-subscription happens
        for i in range(first, b):
            ti = int(t[i])
            if pending is not None and pending <= ti:
                ref = add_extra(int(ci), pending, 0, _RESUB)
                tracker.apply(vocab.RESUBSCRIBED, pending, ref=ref)
                pending = None
            if not tracker.can_send:
                verdict = tracker.verdict()
                code = _REASON_CODE[verdict.reason]
                if pending is None or any(
                    blk.reason != vocab.UNSUBSCRIBED_REASON for blk in verdict.blocks
                ):
                    # Nothing ahead can lift this block: every later send is not sent.
                    outcome[i:b] = _NOT_SENT
                    reason[i:b] = code
                    emit[i + 1 : b] = targeted[i + 1 : b]
                    break
                outcome[i] = _NOT_SENT
                reason[i] = code
                tracker.apply(vocab.NOT_SENT, ti, reason=verdict.reason, ref=i)
                continue
            p = proposal[i]
            if p in (_HARD, _SOFT):
                tracker.apply(
                    vocab.BOUNCED, ti, bounce_type="hard" if p == _HARD else "soft", ref=i
                )
                continue
            tracker.apply(vocab.DELIVERED, ti, ref=i)
            if p in (_SPAM, _UNSUB):
                gap = (int(t[i + 1]) if i + 1 < b else end) - ti
                if gap < 2:
                    continue
                when = ti + min(int(delay[i]), gap - 1)
                ref = add_extra(int(ci), when, int(k[i]), int(p))
                if p == _SPAM:
                    tracker.apply(vocab.SPAM_COMPLAINT, when, ref=ref)
                else:
                    tracker.apply(vocab.UNSUBSCRIBED, when, ref=ref)
                    if resub_draw[i] < _P_RESUB and pending is None:
                        pending = when + int(resub_delay[i])
        if pending is not None and pending < end:
            ref = add_extra(int(ci), pending, 0, _RESUB)
            tracker.apply(vocab.RESUBSCRIBED, pending, ref=ref)
        block = tracker.verdict().primary
        if block is not None:
            status[int(ci)] = (block.reason, block.since, block.cause)

    return {
        "c": c[emit],
        "t": t[emit],
        "k": k[emit],
        "outcome": outcome[emit],
        "reason": reason[emit],
        "hard_diag": hard_diag[emit],
        "soft_diag": soft_diag[emit],
        "sent_index": np.cumsum(emit) - 1,
        "attempted": s,
        "extra_c": np.asarray(extra_c, dtype=np.int64),
        "extra_t": np.asarray(extra_t, dtype=np.int64),
        "extra_k": np.asarray(extra_k, dtype=np.int32),
        "extra_code": np.asarray(extra_code, dtype=np.int8),
        "status": status,
    }


# --- frames ---------------------------------------------------------------------------------


def _assemble(people, camp, sim, end) -> DemoWorld:
    n = people["n"]
    contacts = pl.DataFrame(
        {
            "id": np.arange(1, n + 1, dtype=np.int64),
            "email": people["email"],
            "name": people["name"],
            "email_key": [fold(e) for e in people["email"]],
            "name_key": [fold(x) for x in people["name"]],
            "created_at": _to_time(people["created"]),
            "email_domain": [email_domain(e) for e in people["email"]],
        }
    )
    campaigns = pl.DataFrame(camp["rows"]).select(
        pl.col("id").cast(pl.Int64),
        "origin",
        "external_id",
        "name",
        pl.col("created_at").map_batches(_to_time, return_dtype=TIME),
    )

    s = sim["c"].size
    outcome = sim["outcome"]
    bounce_type = np.where(outcome == _HARD, 1, np.where(outcome == _SOFT, 2, 0)).astype(np.int8)
    diag = np.where(
        outcome == _HARD, sim["hard_diag"], np.where(outcome == _SOFT, 4 + sim["soft_diag"], -1)
    ).astype(np.int8)
    code = np.concatenate([outcome, sim["extra_code"]])
    all_t = np.concatenate([sim["t"], sim["extra_t"]])
    total = all_t.size
    order = np.lexsort((np.arange(total), all_t))
    ids = np.empty(total, dtype=np.int64)
    ids[order] = np.arange(1, total + 1)

    raw = pl.DataFrame(
        {
            "contact_id": np.concatenate([sim["c"], sim["extra_c"]]) + 1,
            "campaign_id": np.concatenate([sim["k"], sim["extra_k"]]),
            "code": code,
            "bounce_code": np.concatenate([bounce_type, np.zeros(sim["extra_c"].size, np.int8)]),
            "reason_code": np.concatenate([sim["reason"], np.zeros(sim["extra_c"].size, np.int8)]),
            "diag": np.concatenate([diag, np.full(sim["extra_c"].size, -1, np.int8)]),
            "seconds": all_t,
        }
    )[order]
    bounces = words.HARD_BOUNCES + words.SOFT_BOUNCES
    events = raw.select(
        pl.Series("id", np.arange(1, total + 1, dtype=np.int64)),
        pl.col("contact_id").cast(pl.Int64),
        pl.when(pl.col("campaign_id") > 0)
        .then(pl.col("campaign_id"))
        .cast(pl.Int64)
        .alias("campaign_id"),
        pl.col("code").replace_strict(_EVENT_NAMES, return_dtype=pl.Utf8).alias("event"),
        pl.col("bounce_code")
        .replace_strict({0: None, 1: vocab.HARD, 2: vocab.SOFT}, return_dtype=pl.Utf8)
        .alias("bounce_type"),
        pl.col("reason_code")
        .replace_strict({0: None, **{v: k for k, v in _REASON_CODE.items()}}, return_dtype=pl.Utf8)
        .alias("reason"),
        pl.col("diag")
        .replace_strict(
            {-1: None, **{i: b[0] for i, b in enumerate(bounces)}}, return_dtype=pl.Utf8
        )
        .alias("provider_reason"),
        pl.col("diag")
        .replace_strict(
            {-1: None, **{i: b[1] for i, b in enumerate(bounces)}}, return_dtype=pl.Utf8
        )
        .alias("smtp_diagnostic"),
        pl.lit(PROVIDER).alias("provider"),
        (pl.col("seconds") * 1_000_000).cast(TIME).alias("occurred_at"),
        pl.col("diag")
        .replace_strict(
            {
                -1: None,
                **{i: diagnostics.bounce_category(b[1], b[0]) for i, b in enumerate(bounces)},
            },
            return_dtype=pl.Utf8,
        )
        .alias("bounce_category"),
    )

    blocked = np.zeros(n, dtype=bool)
    reasons = [None] * n
    since = np.zeros(n, dtype=np.int64)
    cause = np.full(n, -1, dtype=np.int64)
    for ci, (why, when, ref) in sim["status"].items():
        blocked[ci] = True
        reasons[ci] = why
        since[ci] = when
        if ref is not None:
            # References point into the simulation's arrays; map them to the emitted rows.
            row = sim["sent_index"][ref] if ref < sim["attempted"] else s + ref - sim["attempted"]
            cause[ci] = ids[row]
    statuses = pl.DataFrame(
        {
            "contact_id": np.arange(1, n + 1, dtype=np.int64),
            "blocked": blocked,
            "reason": pl.Series(reasons, dtype=pl.Utf8),
            "since": _to_time(since),
            "cause_event_id": cause,
        }
    ).with_columns(
        pl.when(pl.col("blocked")).then(pl.col("since")).alias("since"),
        pl.when(pl.col("cause_event_id") > 0)
        .then(pl.col("cause_event_id"))
        .alias("cause_event_id"),
        pl.lit(end * 1_000_000).cast(TIME).alias("updated_at"),
    )
    return DemoWorld(contacts=contacts, campaigns=campaigns, events=events, statuses=statuses)


# --- loading --------------------------------------------------------------------------------

DATA_TABLES = (
    schema.daily_rollup,
    schema.domain_monthly_rollup,
    schema.contact_status,
    schema.email_events,
    schema.campaigns,
    schema.contacts,
)


def is_empty(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar_one() == 0


def load(engine: sa.Engine, world: DemoWorld, *, replace: bool = False) -> None:
    """Bulk-load `world` into a migrated database, in one transaction.

    Refuses a database that already has contacts unless `replace` (which deletes every
    contact, campaign, event and status first). Indexes and search triggers are set aside
    during the load and rebuilt once at the end, which is several times faster.
    """
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size = -1000000")  # 1 GB for this connection
        conn.commit()
        with conn.begin():
            if not is_empty(conn):
                if not replace:
                    raise ValueError(
                        "La base de datos ya tiene contactos; usa --replace para sustituirlos "
                        "por el mundo de demostración."
                    )
                if conn.dialect.name == "postgresql":
                    names = ", ".join(t.name for t in DATA_TABLES)
                    conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY")
                else:
                    for table in DATA_TABLES:
                        conn.execute(table.delete())
            with bulk.indexes_set_aside(conn, (schema.contacts, schema.email_events)):
                bulk.insert_frame(conn, schema.contacts, world.contacts)
                bulk.insert_frame(conn, schema.campaigns, world.campaigns)
                bulk.insert_frame(conn, schema.email_events, world.events)
            bulk.insert_frame(conn, schema.contact_status, world.statuses)
            bulk.reset_sequences(conn, (schema.contacts, schema.campaigns, schema.email_events))
            rollups.rebuild(conn)
        bulk.analyze(conn)
