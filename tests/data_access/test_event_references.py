"""An event's contact and campaign must exist, on both engines.

SQLite keeps the rules with its foreign keys; PostgreSQL with statement triggers (migration
0014, one set-based check per statement instead of one per row). Either way: an event of a
missing contact or campaign is refused, whatever way it is written (one row, many rows, an
update, PostgreSQL's COPY); deleting a contact deletes its events; a campaign with events is
not deleted; ids that events refer to do not change; and a contact deleted while an import is
writing its events leaves none behind.
"""

import threading
import time
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from data_access import schema

NOW = datetime(2026, 5, 1, tzinfo=UTC)


@pytest.fixture
def two(empty_engine):
    """Contacts 1 and 2, campaigns 1 and 2 (campaign 2 without events), each engine."""
    return _with_two(empty_engine)


@pytest.fixture
def pg_two(databases):
    """The same, PostgreSQL only (its COPY, TRUNCATE and concurrent writers)."""
    return _with_two(databases.engine("postgresql"))


def _with_two(engine: sa.Engine) -> sa.Engine:
    with engine.begin() as conn:
        for number in (1, 2):
            conn.execute(
                schema.contacts.insert(),
                {
                    "id": number,
                    "email": f"c{number}@example.com",
                    "name": "",
                    "email_key": f"c{number}@example.com",
                    "name_key": "",
                    "created_at": NOW,
                },
            )
            conn.execute(
                schema.campaigns.insert(),
                {
                    "id": number,
                    "origin": "campaign",
                    "external_id": f"k{number}",
                    "name": f"K{number}",
                    "created_at": NOW,
                },
            )
        conn.execute(schema.email_events.insert(), [_event(1), _event(2)])
    return engine


def _event(contact: int, campaign: int | None = 1, **more) -> dict:
    row = {
        "contact_id": contact,
        "campaign_id": campaign,
        "event": "delivered",
        "provider": "test",
        "occurred_at": NOW,
    }
    return row | more


def _count(engine, table, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table).where(*where)).scalar()


@pytest.mark.parametrize(
    "rows",
    [
        [_event(3)],  # a missing contact
        [_event(1, campaign=7)],  # a missing campaign
        [_event(1), _event(2), _event(9)],  # one bad row among good ones
        [_event(1), _event(1, campaign=8)],
    ],
)
def test_an_event_of_a_missing_contact_or_campaign_is_refused(two, rows):
    with pytest.raises(sa.exc.IntegrityError), two.begin() as conn:
        conn.execute(schema.email_events.insert(), rows)
    assert _count(two, schema.email_events) == 2  # nothing of the statement stays


def test_an_event_without_a_campaign_needs_only_its_contact(two):
    with two.begin() as conn:
        conn.execute(schema.email_events.insert(), [_event(2, campaign=None, event="unsubscribed")])
    assert _count(two, schema.email_events) == 3


@pytest.mark.parametrize("change", [{"contact_id": 5}, {"campaign_id": 5}])
def test_an_update_cannot_point_an_event_elsewhere(two, change):
    e = schema.email_events.c
    with pytest.raises(sa.exc.IntegrityError), two.begin() as conn:
        conn.execute(schema.email_events.update().where(e.contact_id == 2).values(**change))
    with two.begin() as conn:  # to what exists, it can
        conn.execute(schema.email_events.update().where(e.contact_id == 2).values(campaign_id=2))
    assert _count(two, schema.email_events, e.campaign_id == 2) == 1


def _copy(engine: sa.Engine, statement: str, data: str) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("SELECT 1")  # SQLAlchemy's transaction, around the driver's COPY
        try:
            with conn.connection.driver_connection.cursor().copy(statement) as copy:
                copy.write(data)
        except Exception as error:
            raise sa.exc.DBAPIError(statement, None, error) from error


def test_a_copy_of_events_is_checked_too(pg_two):
    statement = (
        "COPY email_events (contact_id, campaign_id, event, provider, occurred_at) "
        "FROM STDIN (FORMAT csv)"
    )
    good = "1,1,delivered,test,2026-05-01 00:00:00+00\n"
    bad = "4,1,delivered,test,2026-05-01 00:00:00+00\n"
    with pytest.raises(sa.exc.DBAPIError, match="contact 4 does not exist"):
        _copy(pg_two, statement, good + bad)
    _copy(pg_two, statement, good)
    assert _count(pg_two, schema.email_events) == 3  # the good copy only


def test_deleting_a_contact_deletes_its_events_only(two):
    with two.begin() as conn:
        conn.execute(schema.contacts.delete().where(schema.contacts.c.id == 1))
    e = schema.email_events.c
    assert _count(two, schema.email_events, e.contact_id == 1) == 0
    assert _count(two, schema.email_events, e.contact_id == 2) == 1


def test_a_campaign_with_events_is_not_deleted_and_one_without_is(two):
    k = schema.campaigns.c
    with pytest.raises(sa.exc.IntegrityError), two.begin() as conn:
        conn.execute(schema.campaigns.delete().where(k.id == 1))
    with two.begin() as conn:
        conn.execute(schema.campaigns.delete().where(k.id == 2))
    assert _count(two, schema.campaigns) == 1 and _count(two, schema.email_events) == 2


@pytest.mark.parametrize("table", [schema.contacts, schema.campaigns])
def test_an_id_that_events_refer_to_does_not_change(two, table):
    with pytest.raises(sa.exc.IntegrityError), two.begin() as conn:
        conn.execute(table.update().where(table.c.id == 1).values(id=40))
    with two.begin() as conn:  # the other columns change as usual
        conn.execute(table.update().where(table.c.id == 1).values(name="otro"))
    assert _count(two, table, table.c.id == 1) == 1


def test_truncating_contacts_or_campaigns_needs_the_events_truncated_too(pg_two):
    for statement in ("TRUNCATE contacts CASCADE", "TRUNCATE campaigns CASCADE"):
        with pytest.raises(sa.exc.DBAPIError, match="email_events"), pg_two.begin() as conn:
            conn.exec_driver_sql(statement)
    assert _count(pg_two, schema.email_events) == 2
    with pg_two.begin() as conn:
        conn.exec_driver_sql("TRUNCATE contacts, campaigns, email_events CASCADE")
    assert _count(pg_two, schema.contacts) == 0


def _waiting_on_a_lock(engine, pid: int) -> bool:
    with engine.connect() as conn:
        return (
            conn.exec_driver_sql(
                "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %(pid)s", {"pid": pid}
            ).scalar()
            == "Lock"
        )


def _blocked_until_commit(engine, first: sa.Connection, second, what: str) -> list[Exception]:
    """Run `second(conn)` in its own transaction in another thread, wait until it waits on a
    lock held by `first` (a connection in an open transaction), commit `first`, and return what
    `second` raised (nothing, or one error)."""
    pids, failures = [], []

    def run():
        try:
            with engine.begin() as conn:
                pids.append(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar())
                second(conn)
        except Exception as error:  # reported to the test, in its own thread
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 30
    while not (pids and _waiting_on_a_lock(engine, pids[0])):
        assert time.monotonic() < deadline, f"{what} never waited"
        time.sleep(0.05)
    first.commit()
    first.close()
    thread.join(30)
    assert not thread.is_alive()
    return failures


def test_a_contact_deleted_while_its_events_are_written_leaves_none_behind(pg_two):
    """The delete waits for the transaction writing events (a foreign key would lock the
    contact's row; the trigger locks the events table as imports do), then removes them."""
    writer = pg_two.connect()
    writer.begin()
    writer.execute(schema.email_events.insert(), [_event(1), _event(1)])
    failures = _blocked_until_commit(
        pg_two,
        writer,
        lambda conn: conn.execute(schema.contacts.delete().where(schema.contacts.c.id == 1)),
        "the delete",
    )
    assert failures == []
    e = schema.email_events.c
    assert _count(pg_two, schema.email_events, e.contact_id == 1) == 0
    assert _count(pg_two, schema.contacts) == 1


def test_events_written_after_a_contact_is_deleted_are_refused(pg_two):
    """The other order: the delete goes first; the writer waits for it, then sees it."""
    deleter = pg_two.connect()
    deleter.begin()
    deleter.execute(schema.contacts.delete().where(schema.contacts.c.id == 1))
    failures = _blocked_until_commit(
        pg_two,
        deleter,
        lambda conn: conn.execute(schema.email_events.insert(), [_event(1)]),
        "the writer",
    )
    assert len(failures) == 1 and isinstance(failures[0], sa.exc.IntegrityError)
    assert _count(pg_two, schema.email_events, schema.email_events.c.contact_id == 1) == 0
