"""The demo world: a realistic, internally consistent CRM mailing history, deterministic per seed.

`generate()` builds it in memory as polars frames (vectorised with numpy; only the contacts
that ever have an incident are replayed event by event through the status policy), and
`load()` bulk-loads it. Sends follow the policy: once a contact is blocked its later sends are
`not_sent` with the policy's reason, so the demo never contradicts the card.

Deterministic for (`contacts`, `seed`, `until`): `until` is the end of the world (default:
today, 00:00 UTC); the world covers the twelve months before it. The steps, in the order
they draw from the random generator (the world depends on it): contacts, campaigns, sends
(campaigns, flows, the team's test sends), every send's fate; then, drawing nothing, the
replay through the policy and the frames.
"""

from dataclasses import dataclass, field
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
# Of the complaints, those that come with an unsubscribe (the mail client's "report spam and
# unsubscribe"): the contact is then blocked for two reasons at once.
_P_SPAM_AND_UNSUB = 0.35
# Contacts on a static list that the CRM keeps sending to even once they are blocked: every
# later send is recorded as not sent (long lists of notices, the card's pager).
_P_STATIC_LIST = 0.1
# The team's own mailboxes are often full (their notices fill several pages of the card), but
# never long enough for the soft-bounce rule to block them.
_P_SOFT_TEAM = 0.025

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
    campaigns = _make_campaigns(rng, start, end)
    sends, team = _make_sends(rng, people, campaigns, start, end)
    history = _simulate(rng, people, team, sends, end, config)
    return _assemble(people, campaigns, history, end)


# --- the parts of the world, while it is made -----------------------------------------------


@dataclass(frozen=True)
class _Contacts:
    """The people of the world: parallel arrays, one entry per contact (index = id - 1)."""

    created: np.ndarray  # seconds since the epoch
    name: list[str]
    email: list[str]
    valid: np.ndarray  # the validator accepts the address
    kind: np.ndarray  # "normal", "dead" (the mailbox is gone) or "flaky" (often full)
    typo: np.ndarray  # the domain is a misspelt freemail domain

    @property
    def count(self) -> int:
        return len(self.email)


@dataclass(frozen=True)
class _Campaigns:
    """The campaigns (ids 1..count) and then the automation flows, as the table holds them."""

    rows: list[dict]  # the campaigns (1..count), the flows, then the segmented campaigns
    send_at: list[int]  # when each campaign went out
    reach: np.ndarray  # the share of the contacts each campaign was sent to
    segment_at: list[int]  # the same for the segmented campaigns
    segment_reach: np.ndarray

    @property
    def count(self) -> int:
        return len(self.send_at)

    @property
    def first_segment_id(self) -> int:
        return self.count + len(words.FLOWS) + 1

    def sent_at_by_id(self) -> np.ndarray:
        """When each campaign id went out (index = id; -1 for the flows, which have no date)."""
        sent = np.full(len(self.rows) + 1, -1, dtype=np.int64)
        sent[1 : self.count + 1] = self.send_at
        sent[self.first_segment_id :] = self.segment_at
        return sent


@dataclass(frozen=True)
class _Sends:
    """Emails (or events) as parallel arrays: whose, when, from which campaign (0: none)."""

    contact: np.ndarray  # int64 contact index
    at: np.ndarray  # int64 seconds since the epoch
    campaign: np.ndarray  # int32 campaign id

    @property
    def size(self) -> int:
        return self.contact.size

    def only(self, keep: np.ndarray) -> "_Sends":
        return _Sends(self.contact[keep], self.at[keep], self.campaign[keep])


@dataclass(frozen=True)
class _Fates:
    """What each send meets if the policy lets it through, drawn up front for all of them."""

    proposal: np.ndarray  # outcome code: delivered, soft, hard, or delivered then spam/unsub
    reaction_delay: np.ndarray  # seconds from the delivery to the complaint or unsubscribe
    resubscribes: np.ndarray  # an unsubscribe from this send is undone later...
    resubscribe_delay: np.ndarray  # ...this many seconds after it
    hard_diagnostic: np.ndarray  # index into HARD_BOUNCES (the last one for typo domains)
    soft_diagnostic: np.ndarray  # index into SOFT_BOUNCES
    still_targeted: np.ndarray  # the send is attempted even after the contact is blocked
    spam_and_unsubscribe: np.ndarray  # a complaint from this send comes with an unsubscribe


@dataclass
class _FollowUps:
    """Events that follow a delivery instead of being a send (complaints, unsubscribes,
    re-subscriptions). The policy's references to them are numbered after the sends."""

    first_ref: int
    contact: list[int] = field(default_factory=list)
    at: list[int] = field(default_factory=list)
    campaign: list[int] = field(default_factory=list)
    code: list[int] = field(default_factory=list)

    def add(self, contact: int, at: int, campaign: int, code: int) -> int:
        """Record one event; return its reference."""
        self.contact.append(contact)
        self.at.append(at)
        self.campaign.append(campaign)
        self.code.append(code)
        return self.first_ref + len(self.code) - 1

    def events(self) -> _Sends:
        return _Sends(
            np.asarray(self.contact, dtype=np.int64),
            np.asarray(self.at, dtype=np.int64),
            np.asarray(self.campaign, dtype=np.int32),
        )


@dataclass(frozen=True)
class _History:
    """Everything that happened: the recorded sends with their outcomes, the follow-up events,
    and the block of every contact that ends the year blocked."""

    sends: _Sends  # the sends recorded (blocked contacts drop out of most of them)
    outcome: np.ndarray  # outcome code of each recorded send
    reason: np.ndarray  # reason code of each not_sent (0 otherwise)
    hard_diagnostic: np.ndarray
    soft_diagnostic: np.ndarray
    row_of_send: np.ndarray  # for each attempted send, its row among the recorded ones
    follow_ups: _Sends
    follow_up_codes: np.ndarray
    blocks: dict[int, tuple[str, int, int | None]]  # contact -> (reason, since, cause ref)

    def row_of(self, ref: int) -> int:
        """The row, among the recorded sends followed by the follow-ups, of a policy reference."""
        attempted = self.row_of_send.size
        if ref < attempted:
            return int(self.row_of_send[ref])
        return self.sends.size + ref - attempted


# --- contacts -------------------------------------------------------------------------------


def _pick(rng, options, n):
    return np.asarray(options, dtype=object)[rng.integers(len(options), size=n)]


def _make_contacts(rng, n: int, end: int) -> _Contacts:
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
    return _Contacts(created=created, name=names, email=emails, valid=valid, kind=kind, typo=typo)


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


def _make_campaigns(rng, start: int, end: int) -> _Campaigns:
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
    segment_at = sorted(
        int(at) for at in rng.integers(start, end - DAY, size=words.SEGMENT_CAMPAIGNS_PER_YEAR)
    )
    segment_reach = rng.uniform(0.002, 0.012, size=len(segment_at))
    segments = _pick(rng, words.SEGMENTS, len(segment_at))
    rows += [
        {
            "origin": "campaign",
            "external_id": f"cmp-{5001 + k}",
            "name": _segment_name(k, segment, at),
            "created_at": at - 2 * DAY,
        }
        for k, (segment, at) in enumerate(zip(segments, segment_at))
    ]
    for i, row in enumerate(rows):
        row["id"] = i + 1
    return _Campaigns(
        rows=rows,
        send_at=send_at,
        reach=reach,
        segment_at=segment_at,
        segment_reach=segment_reach,
    )


def _segment_name(k: int, segment: str, at: int) -> str:
    """ "Oferta de la semana: clientes de Lima, 12 mar" (the date keeps names apart)."""
    when = datetime.fromtimestamp(at, UTC)
    theme = words.SEGMENT_THEMES[k % len(words.SEGMENT_THEMES)]
    return f"{theme}: {segment}, {when.day} {words.MONTHS_SHORT[when.month - 1]}"


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


def _make_sends(
    rng, contacts: _Contacts, campaigns: _Campaigns, start: int, end: int
) -> tuple[_Sends, np.ndarray]:
    """Every email the CRM tried to send, sorted by contact then time; and which contacts are
    addresses of the CRM's own team."""
    parts = _campaign_sends(rng, contacts, campaigns)
    parts += _flow_sends(rng, contacts, campaigns, start, end)
    team_parts, team = _team_test_sends(rng, contacts, campaigns, start, end)
    parts += team_parts
    contact = np.concatenate([part.contact for part in parts]).astype(np.int64)
    at = np.concatenate([part.at for part in parts]).astype(np.int64)
    campaign = np.concatenate([part.campaign for part in parts]).astype(np.int32)
    order = np.lexsort((at, contact))
    return _Sends(contact[order], at[order], campaign[order]), team


def _campaign_sends(rng, contacts: _Contacts, campaigns: _Campaigns) -> list[_Sends]:
    """Each campaign (and segmented campaign) reaches a share of the contacts that existed
    when it went out."""
    parts = []
    every = [
        (i + 1, at, reach) for i, (at, reach) in enumerate(zip(campaigns.send_at, campaigns.reach))
    ]
    every += [
        (campaigns.first_segment_id + k, at, reach)
        for k, (at, reach) in enumerate(zip(campaigns.segment_at, campaigns.segment_reach))
    ]
    for campaign_id, at, reach in every:
        who = np.flatnonzero((contacts.created < at) & (rng.random(contacts.count) < reach))
        when = at + rng.integers(0, 4 * 3600, size=who.size)
        parts.append(_Sends(who, when, np.full(who.size, campaign_id)))
    return parts


def _flow_sends(
    rng, contacts: _Contacts, campaigns: _Campaigns, start: int, end: int
) -> list[_Sends]:
    """Each flow is triggered for a share of the contacts and sends its steps (days later)."""
    created, n = contacts.created, contacts.count
    parts = []
    for j, (_name, chance, steps) in enumerate(words.FLOWS):
        flow_id = campaigns.count + j + 1
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
            parts.append(_Sends(who[keep], at[keep], np.full(int(keep.sum()), flow_id)))
    return parts


def _team_test_sends(
    rng, contacts: _Contacts, campaigns: _Campaigns, start: int, end: int
) -> tuple[list[_Sends], np.ndarray]:
    """A few addresses of the CRM's own team (one in small worlds) get test sends of
    everything: the long histories the card must keep usable (~1,500 emails), spread over
    every campaign and flow. A campaign's test sends go out in the three days before it; a
    flow's at any time of the year."""
    n = contacts.count
    team = np.zeros(n, dtype=bool)
    # The team's addresses exist the whole year (when the world has such contacts).
    valid = np.flatnonzero(contacts.valid & (contacts.created <= start))
    if valid.size == 0:
        valid = np.flatnonzero(contacts.valid)
    size = (HEAVY_CONTACTS if n >= 10_000 else 1) if n >= 100 else 0
    sent_at = campaigns.sent_at_by_id()
    parts = []
    for who in rng.choice(valid, size=min(valid.size, size), replace=False):
        team[who] = True
        low = max(int(contacts.created[who]), start)
        # The flows, and the campaigns whose three days of tests come after the address.
        ids = np.arange(1, len(campaigns.rows) + 1)
        ids = ids[(sent_at[ids] < 0) | (sent_at[ids] - 3 * DAY >= low)]
        campaign = rng.choice(ids, size=HEAVY_SENDS)
        anytime = rng.integers(low, end, size=HEAVY_SENDS)
        before = sent_at[campaign] - rng.integers(600, 3 * DAY, size=HEAVY_SENDS)
        at = np.where(sent_at[campaign] < 0, anytime, before)
        parts.append(_Sends(np.full(HEAVY_SENDS, who), at, campaign))
    return parts, team


# --- the simulation -------------------------------------------------------------------------


def _simulate(
    rng,
    contacts: _Contacts,
    team: np.ndarray,
    sends: _Sends,
    end: int,
    config: policy.PolicyConfig,
) -> _History:
    """Draw every send's fate at once, then replay through the policy only the contacts that
    ever have an incident (the others have every send delivered)."""
    fates = _draw_fates(rng, contacts, team, sends, config)
    replay = _Replay(contacts, sends, fates, end, config)
    for contact in np.flatnonzero(_has_incidents(contacts, sends, fates)):
        replay.contact(int(contact))
    return replay.history()


def _per_contact_kind(kind: np.ndarray, chance: dict[str, float]) -> np.ndarray:
    return np.select(
        [kind == "dead", kind == "flaky"], [chance["dead"], chance["flaky"]], chance["normal"]
    )


def _draw_fates(
    rng, contacts: _Contacts, team: np.ndarray, sends: _Sends, config: policy.PolicyConfig
) -> _Fates:
    """The random draws of every send, in a fixed order (the world depends on it)."""
    size = sends.size
    from_team = team[sends.contact]
    p_hard = _per_contact_kind(contacts.kind, _P_HARD)[sends.contact]
    p_soft = np.where(
        from_team, _P_SOFT_TEAM, _per_contact_kind(contacts.kind, _P_SOFT)[sends.contact]
    )
    bounce_draw = rng.random(size)
    reaction_draw = rng.random(size)
    proposal = np.full(size, _DELIVERED, dtype=np.int8)
    proposal[reaction_draw < _P_SPAM + _P_UNSUB] = _UNSUB
    proposal[reaction_draw < _P_SPAM] = _SPAM
    proposal[bounce_draw < p_hard + p_soft] = _SOFT
    proposal[bounce_draw < p_hard] = _HARD
    # The team's own addresses never complain nor unsubscribe; their mailboxes may be full.
    proposal[from_team & (proposal != _SOFT)] = _DELIVERED
    _keep_team_sendable(proposal, sends, team, config)
    reaction_delay = rng.integers(600, 2 * DAY, size=size)
    resubscribes = rng.random(size) < _P_RESUB
    resubscribe_delay = rng.integers(3 * DAY, 90 * DAY, size=size)
    typo_diagnostic = len(words.HARD_BOUNCES) - 1
    hard_diagnostic = np.where(
        contacts.typo[sends.contact], typo_diagnostic, rng.integers(0, typo_diagnostic, size=size)
    ).astype(np.int8)
    soft_diagnostic = rng.integers(0, len(words.SOFT_BOUNCES), size=size).astype(np.int8)
    still_targeted = (rng.random(size) < _P_STILL_TARGETED) | from_team
    on_static_list = rng.random(contacts.count) < _P_STATIC_LIST
    still_targeted |= on_static_list[sends.contact]
    spam_and_unsubscribe = rng.random(size) < _P_SPAM_AND_UNSUB
    return _Fates(
        proposal=proposal,
        reaction_delay=reaction_delay,
        resubscribes=resubscribes,
        resubscribe_delay=resubscribe_delay,
        hard_diagnostic=hard_diagnostic,
        soft_diagnostic=soft_diagnostic,
        still_targeted=still_targeted,
        spam_and_unsubscribe=spam_and_unsubscribe,
    )


def _keep_team_sendable(
    proposal: np.ndarray, sends: _Sends, team: np.ndarray, config: policy.PolicyConfig
) -> None:
    """A team address's soft bounces never come `soft_threshold` in a row (in time order): the
    next one is delivered instead, so the soft-bounce rule never blocks the team."""
    for who in np.flatnonzero(team):
        row = 0
        for i in np.flatnonzero(sends.contact == who):
            row = row + 1 if proposal[i] == _SOFT else 0
            if row >= config.soft_threshold:
                proposal[i] = _DELIVERED
                row = 0


def _has_incidents(contacts: _Contacts, sends: _Sends, fates: _Fates) -> np.ndarray:
    """The contacts the policy may block: an invalid address or a send not simply delivered."""
    incidents = (
        np.bincount(sends.contact[fates.proposal != _DELIVERED], minlength=contacts.count) > 0
    )
    return incidents | ~contacts.valid


class _Replay:
    """Outcomes of the sends once the policy has had its say, filled in contact by contact.

    Starts as "every proposal happens" (a complaint or an unsubscribe follows a delivery);
    `contact()` turns the sends of a blocked contact into `not_sent`, drops those no longer
    attempted, and adds the follow-up events."""

    def __init__(
        self,
        contacts: _Contacts,
        sends: _Sends,
        fates: _Fates,
        end: int,
        config: policy.PolicyConfig,
    ):
        self.contacts = contacts
        self.sends = sends
        self.fates = fates
        self.end = end
        self.config = config
        indexes = np.arange(contacts.count)
        self.first_send = np.searchsorted(sends.contact, indexes)
        self.after_last_send = np.searchsorted(sends.contact, indexes, side="right")
        self.outcome = np.where(fates.proposal >= _SPAM, _DELIVERED, fates.proposal).astype(np.int8)
        self.reason = np.zeros(sends.size, dtype=np.int8)
        self.recorded = np.ones(sends.size, dtype=bool)
        self.follow_ups = _FollowUps(first_ref=sends.size)
        self.blocks: dict[int, tuple[str, int, int | None]] = {}

    def contact(self, contact: int) -> None:
        """Replay one contact's sends in time order, from its first incident on."""
        start, stop = int(self.first_send[contact]), int(self.after_last_send[contact])
        at, proposal = self.sends.at, self.fates.proposal
        valid = bool(self.contacts.valid[contact])
        tracker = policy.StatusTracker(
            self.contacts.email[contact],
            created_at=int(self.contacts.created[contact]),
            config=self.config,
            address_valid=valid,
        )
        first = start
        if valid and stop > start:
            # Before the first incident every send was delivered: the policy cannot block yet.
            first = start + int(np.argmax(proposal[start:stop] != _DELIVERED))
        resubscribe_at = None
        for i in range(first, stop):
            when = int(at[i])
            if resubscribe_at is not None and resubscribe_at <= when:
                self._resubscribe(tracker, contact, resubscribe_at)
                resubscribe_at = None
            if not tracker.can_send:
                verdict = tracker.verdict()
                if resubscribe_at is None or any(
                    block.reason != vocab.UNSUBSCRIBED_REASON for block in verdict.blocks
                ):
                    # Nothing ahead can lift this block: every later send is not sent.
                    self._not_sent_from(i, stop, verdict.reason)
                    break
                self.outcome[i] = _NOT_SENT
                self.reason[i] = _REASON_CODE[verdict.reason]
                tracker.apply(vocab.NOT_SENT, when, reason=verdict.reason, ref=i)
                continue
            fate = proposal[i]
            if fate in (_HARD, _SOFT):
                bounce_type = "hard" if fate == _HARD else "soft"
                tracker.apply(vocab.BOUNCED, when, bounce_type=bounce_type, ref=i)
                continue
            tracker.apply(vocab.DELIVERED, when, ref=i)
            if fate in (_SPAM, _UNSUB):
                next_send = int(at[i + 1]) if i + 1 < stop else self.end
                later = self._react(tracker, contact, i, when, next_send, fate)
                if resubscribe_at is None:
                    resubscribe_at = later
        if resubscribe_at is not None and resubscribe_at < self.end:
            self._resubscribe(tracker, contact, resubscribe_at)
        block = tracker.verdict().primary
        if block is not None:
            self.blocks[contact] = (block.reason, block.since, block.cause)

    def _not_sent_from(self, i: int, stop: int, reason: str) -> None:
        """Sends i..stop-1 are not sent; after the first, only those still targeted are
        recorded (a blocked contact drops out of most segments and flows)."""
        self.outcome[i:stop] = _NOT_SENT
        self.reason[i:stop] = _REASON_CODE[reason]
        self.recorded[i + 1 : stop] = self.fates.still_targeted[i + 1 : stop]

    def _react(self, tracker, contact: int, i: int, delivered: int, next_send: int, fate):
        """The complaint or unsubscribe that follows delivery `i`, before the next send; return
        when the contact re-subscribes, if it will."""
        gap = next_send - delivered
        if gap < 2:
            return None
        when = delivered + min(int(self.fates.reaction_delay[i]), gap - 1)
        ref = self.follow_ups.add(contact, when, int(self.sends.campaign[i]), int(fate))
        if fate == _SPAM:
            tracker.apply(vocab.SPAM_COMPLAINT, when, ref=ref)
            if self.fates.spam_and_unsubscribe[i]:
                # A minute later, and before the next send (the same second at worst: the
                # complaint still comes first, in the order the events are numbered).
                later = min(when + 60, next_send - 1)
                ref = self.follow_ups.add(contact, later, int(self.sends.campaign[i]), _UNSUB)
                tracker.apply(vocab.UNSUBSCRIBED, later, ref=ref)
            return None
        tracker.apply(vocab.UNSUBSCRIBED, when, ref=ref)
        if self.fates.resubscribes[i]:
            return when + int(self.fates.resubscribe_delay[i])
        return None

    def _resubscribe(self, tracker, contact: int, when: int) -> None:
        ref = self.follow_ups.add(contact, when, 0, _RESUB)
        tracker.apply(vocab.RESUBSCRIBED, when, ref=ref)

    def history(self) -> _History:
        recorded = self.recorded
        return _History(
            sends=self.sends.only(recorded),
            outcome=self.outcome[recorded],
            reason=self.reason[recorded],
            hard_diagnostic=self.fates.hard_diagnostic[recorded],
            soft_diagnostic=self.fates.soft_diagnostic[recorded],
            row_of_send=np.cumsum(recorded) - 1,
            follow_ups=self.follow_ups.events(),
            follow_up_codes=np.asarray(self.follow_ups.code, dtype=np.int8),
            blocks=self.blocks,
        )


# --- frames ---------------------------------------------------------------------------------

_BOUNCES = words.HARD_BOUNCES + words.SOFT_BOUNCES  # diagnostic codes index this
_NO_DIAGNOSTIC = -1
_BOUNCE_CODE = {_HARD: 1, _SOFT: 2}
_BOUNCE_TYPES = {0: None, 1: vocab.HARD, 2: vocab.SOFT}


def _assemble(contacts: _Contacts, campaigns: _Campaigns, history: _History, end: int) -> DemoWorld:
    events, event_id_of_row = _event_frame(history)
    campaign_frame = _campaign_frame(campaigns)
    statuses = _status_frame(contacts.count, history, event_id_of_row, end)
    return DemoWorld(
        contacts=_contact_frame(contacts),
        campaigns=campaign_frame,
        events=events,
        statuses=_with_cause_origin(statuses, events, campaign_frame),
    )


def _with_cause_origin(
    statuses: pl.DataFrame, events: pl.DataFrame, campaigns: pl.DataFrame
) -> pl.DataFrame:
    """The origin of each block's causing email (event ids are 1..n, in order)."""
    campaign_of_event = events["campaign_id"]
    origin_of = dict(zip(campaigns["id"], campaigns["origin"]))
    cause = statuses["cause_event_id"]
    campaign = campaign_of_event.gather((cause.fill_null(1) - 1).cast(pl.Int64))
    origin = campaign.replace_strict(origin_of, default=None, return_dtype=pl.Utf8)
    return statuses.with_columns(
        pl.when(cause.is_not_null()).then(origin).otherwise(None).alias("cause_origin")
    )


def _contact_frame(contacts: _Contacts) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": np.arange(1, contacts.count + 1, dtype=np.int64),
            "email": contacts.email,
            "name": contacts.name,
            "email_key": [fold(e) for e in contacts.email],
            "name_key": [fold(x) for x in contacts.name],
            "created_at": _to_time(contacts.created),
            "email_domain": [email_domain(e) for e in contacts.email],
        }
    )


def _campaign_frame(campaigns: _Campaigns) -> pl.DataFrame:
    return pl.DataFrame(campaigns.rows).select(
        pl.col("id").cast(pl.Int64),
        "origin",
        "external_id",
        "name",
        pl.col("created_at").map_batches(_to_time, return_dtype=TIME),
    )


def _event_frame(history: _History) -> tuple[pl.DataFrame, np.ndarray]:
    """The events table (recorded sends and follow-ups, ids in time order), and the event id
    of each row of `history` (sends first, then follow-ups)."""
    outcome = history.outcome
    bounce_code = np.where(
        outcome == _HARD, _BOUNCE_CODE[_HARD], np.where(outcome == _SOFT, _BOUNCE_CODE[_SOFT], 0)
    ).astype(np.int8)
    diagnostic = np.where(
        outcome == _HARD,
        history.hard_diagnostic,
        np.where(
            outcome == _SOFT, len(words.HARD_BOUNCES) + history.soft_diagnostic, _NO_DIAGNOSTIC
        ),
    ).astype(np.int8)
    follow_ups = history.follow_ups
    seconds = np.concatenate([history.sends.at, follow_ups.at])
    total = seconds.size
    order = np.lexsort((np.arange(total), seconds))
    event_id_of_row = np.empty(total, dtype=np.int64)
    event_id_of_row[order] = np.arange(1, total + 1)

    raw = pl.DataFrame(
        {
            "contact_id": np.concatenate([history.sends.contact, follow_ups.contact]) + 1,
            "campaign_id": np.concatenate([history.sends.campaign, follow_ups.campaign]),
            "code": np.concatenate([outcome, history.follow_up_codes]),
            "bounce_code": np.concatenate([bounce_code, np.zeros(follow_ups.size, np.int8)]),
            "reason_code": np.concatenate([history.reason, np.zeros(follow_ups.size, np.int8)]),
            "diag": np.concatenate([diagnostic, np.full(follow_ups.size, _NO_DIAGNOSTIC, np.int8)]),
            "seconds": seconds,
        }
    )[order]
    events = raw.select(
        pl.Series("id", np.arange(1, total + 1, dtype=np.int64)),
        pl.col("contact_id").cast(pl.Int64),
        pl.when(pl.col("campaign_id") > 0)
        .then(pl.col("campaign_id"))
        .cast(pl.Int64)
        .alias("campaign_id"),
        pl.col("code").replace_strict(_EVENT_NAMES, return_dtype=pl.Utf8).alias("event"),
        pl.col("bounce_code")
        .replace_strict(_BOUNCE_TYPES, return_dtype=pl.Utf8)
        .alias("bounce_type"),
        pl.col("reason_code")
        .replace_strict({0: None, **{v: k for k, v in _REASON_CODE.items()}}, return_dtype=pl.Utf8)
        .alias("reason"),
        _by_diagnostic([reason for reason, _smtp in _BOUNCES]).alias("provider_reason"),
        _by_diagnostic([smtp for _reason, smtp in _BOUNCES]).alias("smtp_diagnostic"),
        pl.lit(PROVIDER).alias("provider"),
        (pl.col("seconds") * 1_000_000).cast(TIME).alias("occurred_at"),
        _by_diagnostic(
            [diagnostics.bounce_category(smtp, reason) for reason, smtp in _BOUNCES]
        ).alias("bounce_category"),
    )
    return events, event_id_of_row


def _by_diagnostic(values: list[str]) -> pl.Expr:
    """The value of each event's diagnostic code (null for events without one)."""
    return pl.col("diag").replace_strict(
        {_NO_DIAGNOSTIC: None, **dict(enumerate(values))}, return_dtype=pl.Utf8
    )


def _status_frame(
    count: int, history: _History, event_id_of_row: np.ndarray, end: int
) -> pl.DataFrame:
    blocked = np.zeros(count, dtype=bool)
    reasons = [None] * count
    since = np.zeros(count, dtype=np.int64)
    cause = np.full(count, -1, dtype=np.int64)
    for contact, (reason, when, ref) in history.blocks.items():
        blocked[contact] = True
        reasons[contact] = reason
        since[contact] = when
        if ref is not None:
            # References point into the simulation's arrays; map them to the recorded rows.
            cause[contact] = event_id_of_row[history.row_of(ref)]
    return pl.DataFrame(
        {
            "contact_id": np.arange(1, count + 1, dtype=np.int64),
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


# --- loading --------------------------------------------------------------------------------

DATA_TABLES = (
    schema.daily_rollup,
    schema.domain_monthly_rollup,
    schema.campaign_monthly_rollup,
    schema.contact_status,
    schema.block_lifts,
    schema.email_events,
    schema.campaigns,
    schema.contacts,
)


def is_empty(conn: sa.Connection) -> bool:
    return conn.execute(sa.select(sa.func.count()).select_from(schema.contacts)).scalar_one() == 0


def load(
    engine: sa.Engine, world: DemoWorld, *, replace: bool = False, timezone: str | None = None
) -> None:
    """Bulk-load `world` into a migrated database, in one transaction; the report rollups
    count the days of `timezone` (default: the zone they already have, `rollups.rebuild`).

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
            rollups.rebuild(conn, timezone)
        bulk.analyze(conn)
