"""The contact queries and the search box, on SQLite and PostgreSQL."""

import polars as pl
import pytest

import data_access as da
from data_access import vocab
from tests.story import T0, load_story


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def story(request, databases):
    engine = databases.engine(request.param)
    ids = load_story(engine)
    with engine.connect() as conn:
        yield conn, ids


def names(frame):
    return frame["name"].to_list()


# --- search ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("jose", "José Núñez Peña"),
        ("JOSÉ", "José Núñez Peña"),
        ("nunez", "José Núñez Peña"),
        ("Núñez", "José Núñez Peña"),
        ("peña", "José Núñez Peña"),
        ("maria jose", "María José García-Pelayo"),
        ("garcia-pel", "María José García-Pelayo"),
        ("mj.garcia@", "María José García-Pelayo"),
        ("LUCIA@EXAMPLE.COM", "Lucía Fernández"),
        ("fernan", "Lucía Fernández"),
        ("@example.org", "José García"),
        ("e.nun", "José Núñez Peña"),
        ("nunez@exa", "José Núñez Peña"),
        ("z pe", "José Núñez Peña"),
    ],
)
def test_search_is_case_and_accent_insensitive_prefix_and_substring(story, typed, expected):
    conn, _ = story
    assert expected in names(da.search_contacts(conn, typed))


def test_search_ranks_the_exact_address_first_then_prefixes_then_substrings(story):
    conn, ids = story
    found = da.search_contacts(conn, "jose.garcia@example.org")
    assert found["id"][0] == ids["garcia2"]
    assert found["match"][0] == "email_exact"
    jose = da.search_contacts(conn, "jose")
    assert jose["match"].to_list() == ["email_prefix", "email_prefix", "name_word"]
    assert jose["name"][-1] == "María José García-Pelayo"
    garcia = da.search_contacts(conn, "garcia")
    # "José García" has a word that starts with it; "mj.garcia" only contains it
    order = garcia["match"].to_list()
    assert order == sorted(order, key=lambda m: da.queries.MATCH_RANK[m])
    assert garcia.filter(pl.col("id") == ids["garcia2"])["match"][0] == "name_word"


def test_search_returns_the_documented_schema_and_respects_the_limit(story):
    conn, _ = story
    found = da.search_contacts(conn, "jose", limit=2)
    assert found.schema == pl.Schema(da.SEARCH_SCHEMA)
    assert found.height == 2


@pytest.mark.parametrize(
    "hostile",
    [
        "",
        "   ",
        "a",
        "x" * 300,
        '"',
        "'",
        "%",
        "_",
        "\\",
        "%_%",
        "jose%",
        "' OR 1=1 --",
        "'; DROP TABLE contacts; --",
        "<script>alert(1)</script>",
        "😀",
        "jo😀se",
        "NEAR(a b)",
        "a* OR b",
        "\x00",
        "\u202e",
        None,
        12,
    ],
)
def test_search_never_fails_and_never_matches_everything(story, hostile):
    conn, _ = story
    found = da.search_contacts(conn, hostile)
    assert found.schema == pl.Schema(da.SEARCH_SCHEMA)
    assert found.height < 6  # the story has six contacts: nothing matches all of them


def test_search_treats_like_wildcards_literally(story):
    conn, _ = story
    assert da.search_contacts(conn, "j%e").is_empty()
    assert da.search_contacts(conn, "jos_").is_empty()


def test_search_badge_comes_from_the_status_table(world_engine, world):
    blocked = world.statuses.filter(pl.col("blocked")).row(0, named=True)
    person = world.contacts.filter(pl.col("id") == blocked["contact_id"]).row(0, named=True)
    with world_engine.connect() as conn:
        found = da.search_contacts(conn, person["email"])
    assert found["id"][0] == person["id"]
    assert found["blocked"][0] is True
    assert found["reason"][0] == blocked["reason"]


# --- one contact ----------------------------------------------------------------------------


def test_contact_returns_one_row_with_address_validity(story):
    conn, ids = story
    jose = da.contact(conn, ids["jose"])
    assert jose.schema == pl.Schema(da.CONTACT_SCHEMA)
    assert jose.row(0, named=True) | {"created_at": None} == {
        "id": ids["jose"],
        "name": "José Núñez Peña",
        "email": "jose.nunez@example.com",
        "created_at": None,
        "crm_id": None,
        "email_valid": True,
    }
    assert da.contact(conn, ids["ana"])["email_valid"][0] is False


@pytest.mark.parametrize("missing", [0, -1, 10**9])
def test_unknown_contact_gives_empty_frames(story, missing):
    conn, _ = story
    assert da.contact(conn, missing).is_empty()
    assert da.contact_events(conn, missing).is_empty()
    assert da.contact_status(conn, missing).is_empty()
    assert da.contact_status(conn, missing).schema == pl.Schema(da.STATUS_SCHEMA)


LOOKUPS = (da.contact, da.contact_events, da.contact_status)


@pytest.mark.parametrize("beyond", [2**31, 2**63, -(2**31) - 1, 10**30])
def test_ids_no_column_can_hold_are_not_found(story, beyond):
    conn, _ = story
    for lookup in LOOKUPS:
        assert lookup(conn, beyond).is_empty(), lookup.__name__
    card = da.contact_card(conn, beyond)
    assert not card.found and card.events.is_empty() and card.status.is_empty()
    # the widest id the column holds is a plain lookup (nobody has it)
    assert da.contact(conn, 2**31 - 1).is_empty()
    assert da.contact_events(conn, -(2**31)).is_empty()


@pytest.mark.parametrize("wrong", ["1", "1 OR 1=1", 1.0, None, True, b"1"])
def test_an_id_that_is_not_an_integer_is_a_clear_error(story, wrong):
    conn, _ = story
    for lookup in (*LOOKUPS, da.contact_card):
        with pytest.raises(ValueError, match="debe ser un número entero") as raised:
            lookup(conn, wrong)
        assert repr(wrong) in str(raised.value), lookup.__name__


def test_numpy_integers_are_ids(story):
    numpy = pytest.importorskip("numpy")
    conn, ids = story
    card = da.contact_card(conn, numpy.int64(ids["jose"]))
    assert card.contact["name"].to_list() == ["José Núñez Peña"]
    assert card.events.height == da.contact_events(conn, ids["jose"]).height > 0


def test_contact_events_newest_first_with_campaign_and_origin(story):
    conn, ids = story
    events = da.contact_events(conn, ids["jose"])
    assert events.schema == pl.Schema(da.EVENTS_SCHEMA)
    assert events["event"].to_list() == [
        "not_sent",
        "spam_complaint",
        "delivered",
        "bounced",
        "delivered",
    ]
    assert events["occurred_at"].is_sorted(descending=True)
    assert events["occurred_at"][0] == T0.replace(day=12)
    assert events["campaign_name"].to_list() == [
        "Black Friday",
        "Black Friday",
        "Black Friday",
        "Bienvenida",
        "Bienvenida",
    ]
    assert events["origin"].to_list()[-1] == "automation"
    assert events["campaign_external_id"][0] == "cmp-77"
    bounce = events.filter(pl.col("event") == "bounced").row(0, named=True)
    assert bounce["bounce_type"] == "soft"
    assert bounce["smtp_diagnostic"] == "452 4.2.2 over quota"


def test_contact_with_no_emails_has_no_events_and_can_send(story):
    conn, ids = story
    assert da.contact_events(conn, ids["lucia"]).is_empty()
    status = da.contact_status(conn, ids["lucia"])
    assert status.height == 1 and status["can_send"][0] is True and status["reason"][0] is None


@pytest.mark.parametrize(
    "key, reason, cause_event, campaign, origin",
    [
        ("jose", vocab.PREVIOUS_SPAM, "spam_complaint", "Black Friday", "campaign"),
        ("mariajo", vocab.UNSUBSCRIBED_REASON, "unsubscribed", "Black Friday", "campaign"),
        ("ana", vocab.INVALID_ADDRESS, None, None, None),
        ("pedro", vocab.PREVIOUS_BOUNCE, "bounced", "Bienvenida", "automation"),
    ],
)
def test_contact_status_gives_reason_since_and_evidence(
    story, key, reason, cause_event, campaign, origin
):
    conn, ids = story
    status = da.contact_status(conn, ids[key])
    first = status.row(0, named=True)
    assert first["can_send"] is False and first["rank"] == 1
    assert first["reason"] == reason
    assert first["cause_event"] == cause_event
    assert first["campaign_name"] == campaign
    assert first["origin"] == origin
    assert first["since"] is not None


def test_contact_status_of_a_hard_bounce_keeps_the_provider_text(story):
    conn, ids = story
    first = da.contact_status(conn, ids["pedro"]).row(0, named=True)
    assert first["smtp_diagnostic"] == "550 5.1.1 User unknown"
    assert first["provider_reason"] == "User unknown"


def test_contact_card_reads_contact_events_and_status_together(story):
    conn, ids = story
    card = da.contact_card(conn, ids["jose"])
    assert card.found
    assert card.contact["name"][0] == "José Núñez Peña"
    assert card.events.equals(da.contact_events(conn, ids["jose"]))
    assert card.status.equals(da.contact_status(conn, ids["jose"]))
    assert card.status["reason"][0] == vocab.PREVIOUS_SPAM
    missing = da.contact_card(conn, 10**9)
    assert not missing.found and missing.events.is_empty() and missing.status.is_empty()


def test_refreshed_status_matches_the_live_verdict_and_feeds_the_badge(story):
    conn, _ids = story
    found = da.search_contacts(conn, "pedro.gomez@example.com")
    assert found["blocked"][0] is True and found["reason"][0] == vocab.PREVIOUS_BOUNCE
    found = da.search_contacts(conn, "lucia@example.com")
    assert found["blocked"][0] is False and found["reason"][0] is None


def test_refresh_contact_status_rewrites_only_the_given_contacts(databases):
    import sqlalchemy as sa

    from data_access import schema
    from tests.story import load_story

    engine = databases.engine("sqlite")
    ids = load_story(engine)
    with engine.begin() as conn:
        conn.execute(schema.contact_status.update().values(blocked=False, reason=None))
        assert da.refresh_contact_status(conn, [ids["jose"]]) == 1
        rows = dict(
            conn.execute(
                sa.select(schema.contact_status.c.contact_id, schema.contact_status.c.reason)
            ).all()
        )
    assert rows[ids["jose"]] == vocab.PREVIOUS_SPAM
    assert rows[ids["pedro"]] is None  # not refreshed
    with engine.connect() as conn:
        live = da.contact_status(conn, ids["jose"]).row(0, named=True)
    stored = (
        engine.connect()
        .execute(
            sa.select(schema.contact_status).where(
                schema.contact_status.c.contact_id == ids["jose"]
            )
        )
        .one()
    )
    assert stored.cause_event_id == live["cause_event_id"] and stored.since == live["since"]


def test_blocked_contacts_lists_who_cannot_be_sent_to_with_the_cause(world_engine, world):
    with world_engine.connect() as conn:
        everyone = da.blocked_contacts(conn)
        spam = da.blocked_contacts(conn, reason=vocab.PREVIOUS_SPAM, origin="automation")
    blocked = world.statuses.filter(pl.col("blocked"))
    assert everyone.height == blocked.height
    assert everyone.schema == pl.Schema(da.BLOCKED_SCHEMA)
    assert everyone["since"].is_sorted(descending=True)
    invalid = everyone.filter(pl.col("reason") == vocab.INVALID_ADDRESS)
    assert invalid.height > 0 and invalid["cause_event"].is_null().all()
    assert set(spam["reason"]) == {vocab.PREVIOUS_SPAM} and set(spam["origin"]) == {"automation"}
    assert (spam["cause_event"] == "spam_complaint").all()


def test_every_reason_has_its_date_and_cause_and_soft_bounces_their_count(empty_engine):
    """A contact blocked by soft bounces and by an unsubscribe: both rows carry since, the
    causing campaign and event; the soft-bounce row also how many bounces in how many sends."""
    from datetime import timedelta

    from data_access import schema
    from data_access.text import fold

    with empty_engine.begin() as conn:
        conn.execute(
            schema.campaigns.insert(),
            [
                {
                    "id": 1,
                    "origin": "campaign",
                    "external_id": "c-1",
                    "name": "Rebajas",
                    "created_at": T0,
                },
                {
                    "id": 2,
                    "origin": "automation",
                    "external_id": "f-1",
                    "name": "Bienvenida",
                    "created_at": T0,
                },
            ],
        )
        contact_id = conn.execute(
            schema.contacts.insert().returning(schema.contacts.c.id),
            {"name": "Eva", "email": "eva@example.com", "name_key": "eva"}
            | {"email_key": fold("eva@example.com"), "created_at": T0},
        ).scalar_one()
        rows = [(1, "delivered", 2, None), (2, "unsubscribed", 2, None)]
        rows += [(d, "bounced", 1, "soft") for d in (3, 4, 5)]
        conn.execute(
            schema.email_events.insert(),
            [
                {
                    "contact_id": contact_id,
                    "campaign_id": campaign,
                    "event": event,
                    "bounce_type": bounce_type,
                    "smtp_diagnostic": "452 4.2.2 over quota" if bounce_type else None,
                    "provider": "test",
                    "occurred_at": T0 + timedelta(days=day),
                }
                for day, event, campaign, bounce_type in rows
            ],
        )
        status = da.contact_status(conn, contact_id)
    assert status.schema == pl.Schema(da.STATUS_SCHEMA)
    bounce, unsub = status.rows(named=True)
    assert (bounce["reason"], unsub["reason"]) == (vocab.PREVIOUS_BOUNCE, vocab.UNSUBSCRIBED_REASON)
    assert bounce["since"] == T0 + timedelta(days=5) and unsub["since"] == T0 + timedelta(days=2)
    assert (bounce["campaign_name"], unsub["campaign_name"]) == ("Rebajas", "Bienvenida")
    assert (bounce["cause_bounce_type"], bounce["soft_bounces"], bounce["sends"]) == ("soft", 3, 3)
    assert unsub["cause_event"] == "unsubscribed" and unsub["soft_bounces"] is None
