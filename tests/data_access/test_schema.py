"""Migrations build exactly the MetaData, and the database itself enforces the rules."""

from datetime import UTC, datetime, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from data_access import migrate, schema

NOW = datetime(2026, 5, 1, tzinfo=UTC)
# Alembic cannot compare expression indexes (the PostgreSQL trigram index); it says so.
EXPRESSION_INDEX_WARNINGS = pytest.mark.filterwarnings(
    "ignore:autogenerate skipping metadata-specified expression-based index",
    "ignore:Expression #1 .* detected to include an operator clause",
)


def _engine_only_extras(dialect: str):
    """What compare_metadata leaves aside on `dialect`: the FTS5 search table (and its shadow
    tables) exist only in SQLite by design; the pg_trgm indexes only in PostgreSQL (declared
    with ddl_if in the MetaData); the events' two foreign keys are statement triggers on
    PostgreSQL (schema.REFERENCES_BY_TRIGGER; tests/data_access/test_event_references.py holds
    them to the same rules)."""

    def include(obj, name, type_, reflected, compare_to):
        if type_ == "table" and name.startswith("contacts_search"):
            return False
        if type_ == "foreign_key_constraint" and name in schema.REFERENCES_BY_TRIGGER:
            return dialect != "postgresql"
        return not (type_ == "index" and name.endswith("_trgm"))

    return include


def _normal_predicate(conn: sa.Connection, table: str, predicate: str | None) -> str | None:
    """A declared partial-index predicate in the database's own words. SQLite keeps the text
    as written (only the spacing is normalised here); PostgreSQL rewrites it (casts, `<> ALL`),
    so the text is put on a throw-away index of a copy of the table and read back."""
    if predicate is None:
        return None
    if conn.dialect.name == "sqlite":
        return " ".join(predicate.split())
    probe = f"probe_{table}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {probe} (LIKE {table})")
    conn.exec_driver_sql(f"DROP INDEX IF EXISTS {probe}_ix")
    conn.exec_driver_sql(f"CREATE INDEX {probe}_ix ON {probe} (({predicate})) WHERE {predicate}")
    return conn.exec_driver_sql(
        "SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
        f"WHERE indexrelid = '{probe}_ix'::regclass"
    ).scalar_one()


def index_predicate_differences(conn: sa.Connection) -> list[tuple]:
    """(table, index, in the database, in the MetaData) for every index of the MetaData whose
    partial-index predicate differs in the database (Alembic's comparison ignores them).
    Leaves temporary objects in the connection's transaction: roll it back afterwards."""
    dialect = conn.dialect.name
    inspector = sa.inspect(conn)
    differences = []
    for table in schema.metadata.sorted_tables:
        if not inspector.has_table(table.name):  # an older revision's (compare_metadata
            continue  # reports a table that should be there)
        reflected = {
            ix["name"]: ix.get("dialect_options", {}).get(f"{dialect}_where")
            for ix in inspector.get_indexes(table.name)
        }
        for index in table.indexes:
            if index.name not in reflected:  # another engine's (ddl_if); compare_metadata
                continue  # reports any that is missing
            declared = index.dialect_options[dialect]["where"]
            if declared is not None:
                declared = str(
                    declared.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
                )
            found = reflected[index.name]
            found = None if found is None else str(found)
            # PostgreSQL's reflected predicate is already in its words (pg_get_expr)
            have = found if dialect == "postgresql" else _normal_predicate(conn, table.name, found)
            want = _normal_predicate(conn, table.name, declared)
            if have != want:
                differences.append((table.name, index.name, have, want))
    return differences


def assert_schema_is_the_metadata(conn: sa.Connection) -> None:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "include_object": _engine_only_extras(conn.dialect.name)}
    )
    assert compare_metadata(context, schema.metadata) == []
    try:
        assert index_predicate_differences(conn) == []
    finally:
        conn.rollback()


@EXPRESSION_INDEX_WARNINGS
def test_migrated_database_matches_the_metadata(empty_engine):
    with empty_engine.connect() as conn:
        assert_schema_is_the_metadata(conn)
    assert migrate.is_up_to_date(empty_engine)


def test_the_notice_indexes_are_partial_and_the_contact_index_is_not():
    events = {ix.name: ix for ix in schema.email_events.indexes}
    assert schema.NOTICES_ONLY_SQL == "event NOT IN ('delivered', 'sent')"
    for name in ("ix_email_events_event_time", "ix_email_events_campaign_time"):
        for dialect in ("sqlite", "postgresql"):
            assert str(events[name].dialect_options[dialect]["where"]) == schema.NOTICES_ONLY_SQL
    for dialect in ("sqlite", "postgresql"):
        assert events["ix_email_events_contact_time"].dialect_options[dialect]["where"] is None


def test_engine_specific_search_structures_exist(empty_engine):
    inspector = sa.inspect(empty_engine)
    if empty_engine.dialect.name == "sqlite":
        assert "contacts_search" in inspector.get_table_names()
    else:
        indexes = {ix["name"] for ix in inspector.get_indexes("contacts")}
        assert "ix_contacts_search_packed_trgm" in indexes
        with empty_engine.connect() as conn:
            # statements are planned for their own values (trigram index for LIKE :pattern)
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"


def test_upgrade_is_idempotent_and_downgrade_works(empty_engine):
    migrate.upgrade(empty_engine)  # a second upgrade changes nothing
    assert migrate.is_up_to_date(empty_engine)
    migrate.downgrade(empty_engine, "base")
    assert migrate.current_revision(empty_engine) is None
    assert "contacts" not in sa.inspect(empty_engine).get_table_names()
    migrate.upgrade(empty_engine)
    assert migrate.is_up_to_date(empty_engine)


@pytest.fixture
def seeded(empty_engine):
    with empty_engine.begin() as conn:
        conn.execute(
            schema.contacts.insert(),
            {
                "id": 1,
                "email": "a@example.com",
                "name": "A",
                "email_key": "a@example.com",
                "name_key": "a",
                "created_at": NOW,
            },
        )
        conn.execute(
            schema.campaigns.insert(),
            {"id": 1, "origin": "campaign", "external_id": "c1", "name": "C", "created_at": NOW},
        )
    return empty_engine


def _event(**overrides):
    row = {
        "contact_id": 1,
        "campaign_id": 1,
        "event": "delivered",
        "provider": "test",
        "occurred_at": NOW,
    }
    row.update(overrides)
    return row


@pytest.mark.parametrize(
    "bad",
    [
        {"event": "opened"},
        {"event": "bounced"},  # a bounce needs its type
        {"event": "bounced", "bounce_type": "medium"},
        {"event": "delivered", "bounce_type": "hard"},
        {"event": "not_sent"},  # needs one of the four reasons
        {"event": "not_sent", "reason": "because"},
        {"event": "delivered", "reason": "previous_spam"},
        {"event": "delivered", "campaign_id": None},  # an email always has an origin
        {"contact_id": 999},  # foreign key
        {"campaign_id": 999},
        {"occurred_at": None},
        {"event": "block_lifted", "campaign_id": None},  # a lift names the reason lifted
        {"event": "block_lifted", "campaign_id": None, "reason": "invalid_address"},  # never
        {"event": "block_lifted", "campaign_id": None, "reason": "because"},
        {"event": "unsubscribed", "campaign_id": None, "reason": "previous_bounce"},
    ],
)
def test_the_database_refuses_events_that_break_the_rules(seeded, bad):
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.execute(schema.email_events.insert(), _event(**bad))


@pytest.mark.parametrize(
    "good",
    [
        {"event": "bounced", "bounce_type": "undetermined"},
        {"event": "not_sent", "reason": "previous_bounce"},
        {"event": "unsubscribed", "campaign_id": None},
        {"event": "resubscribed", "campaign_id": None},
        {"event": "block_lifted", "campaign_id": None, "reason": "previous_bounce"},
        {"event": "block_lifted", "campaign_id": None, "reason": "previous_spam"},
    ],
)
def test_the_database_accepts_valid_events(seeded, good):
    events = schema.email_events
    row = _event(**good)
    with seeded.begin() as conn:
        event_id = conn.execute(events.insert().returning(events.c.id), row).scalar_one()
    with seeded.connect() as conn:
        stored = conn.execute(sa.select(events).where(events.c.id == event_id)).mappings().one()
    assert {column: stored[column] for column in row} == row


def test_provider_event_ids_are_unique_per_provider(seeded):
    with seeded.begin() as conn:
        conn.execute(
            schema.email_events.insert(), _event(provider="sendgrid", provider_event_id="x1")
        )
        conn.execute(
            schema.email_events.insert(), _event(provider="mailgun", provider_event_id="x1")
        )
        conn.execute(schema.email_events.insert(), _event(provider_event_id=None))
        conn.execute(schema.email_events.insert(), _event(provider_event_id=None))
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.execute(
            schema.email_events.insert(), _event(provider="sendgrid", provider_event_id="x1")
        )


def test_campaign_origin_and_contact_email_are_checked(seeded):
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.execute(
            schema.campaigns.insert(),
            {"origin": "newsletter", "external_id": "c2", "name": "X", "created_at": NOW},
        )
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.execute(
            schema.contacts.insert(),
            {
                "email": "a@example.com",
                "name": "Otra",
                "email_key": "a@example.com",
                "name_key": "otra",
                "created_at": NOW,
            },
        )


def test_status_rows_need_a_reason_exactly_when_blocked(seeded):
    for blocked, reason in ((True, None), (False, "previous_spam"), (True, "tired")):
        with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
            conn.execute(
                schema.contact_status.insert(),
                {"contact_id": 1, "blocked": blocked, "reason": reason, "updated_at": NOW},
            )


def test_times_come_back_as_utc(seeded):
    from datetime import timedelta

    local = datetime(2026, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    with seeded.begin() as conn:
        conn.execute(schema.email_events.insert(), _event(occurred_at=local))
    with seeded.connect() as conn:
        stored = conn.execute(sa.select(schema.email_events.c.occurred_at)).scalar_one()
    assert stored == local and stored.tzinfo == UTC and stored.hour == 14


def test_naive_times_are_refused(seeded):
    with pytest.raises(sa.exc.StatementError), seeded.begin() as conn:
        conn.execute(schema.email_events.insert(), _event(occurred_at=datetime(2026, 1, 1)))


def test_deleting_a_contact_deletes_its_events_and_status(seeded):
    with seeded.begin() as conn:
        conn.execute(schema.email_events.insert(), _event())
        conn.execute(
            schema.contact_status.insert(),
            {"contact_id": 1, "blocked": False, "reason": None, "updated_at": NOW},
        )
        conn.execute(schema.contacts.delete())
    with seeded.connect() as conn:
        for table in (schema.email_events, schema.contact_status):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def test_sqlite_connections_have_foreign_keys_and_wal(databases):
    engine = databases.engine("sqlite")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@EXPRESSION_INDEX_WARNINGS
def test_a_bulk_load_leaves_the_schema_exactly_as_migrated(world_engine):
    """`bulk.indexes_set_aside` rebuilds the indexes from the MetaData: the partial ones come
    back partial, with the same predicate."""
    with world_engine.connect() as conn:
        assert_schema_is_the_metadata(conn)
        fks = {fk["name"] for fk in sa.inspect(conn).get_foreign_keys("email_events")}
        # PostgreSQL: statement triggers instead (migration 0014), still there after the load.
        assert fks == (set() if conn.dialect.name == "postgresql" else schema.REFERENCES_BY_TRIGGER)
        if conn.dialect.name == "postgresql":
            triggers = conn.exec_driver_sql(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D' "
                "AND tgrelid = 'email_events'::regclass"
            ).scalars()
            assert set(triggers) == {
                "email_events_references_insert",
                "email_events_references_update",
            }


def test_upgrading_an_older_database_keeps_and_completes_its_data(databases):
    """A database made at revision 0001 keeps its rows; 0003's new columns and the rollups
    are filled for them by the same code that fills new rows."""
    for kind in ("sqlite", "postgresql"):
        engine = databases.engine(kind, migrated=False)
        migrate.upgrade(engine, "0001")
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO contacts (id, email, name, email_key, name_key, created_at) "
                    "VALUES (1, 'ana@gmial.com', 'Ana', 'ana@gmial.com', 'ana', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO campaigns (id, origin, external_id, name, created_at) "
                    "VALUES (1, 'campaign', 'c1', 'C', :t)"
                ),
                {"t": NOW},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO email_events (contact_id, campaign_id, event, bounce_type, "
                    "smtp_diagnostic, provider, occurred_at) VALUES "
                    "(1, 1, 'bounced', 'hard', '550 5.1.1 user unknown', 'test', :t), "
                    "(1, 1, 'delivered', NULL, NULL, 'test', :t)"
                ),
                {"t": NOW},
            )
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        with engine.connect() as conn:
            assert conn.execute(sa.select(schema.contacts.c.email_domain)).scalar() == "gmial.com"
            categories = (
                conn.execute(
                    sa.select(schema.email_events.c.bounce_category).order_by(
                        schema.email_events.c.id
                    )
                )
                .scalars()
                .all()
            )
            assert categories == ["mailbox_unknown", None]
            assert conn.execute(sa.select(sa.func.sum(schema.daily_rollup.c.events))).scalar() == 2
            domains = conn.execute(sa.select(schema.domain_monthly_rollup)).one()
            assert (domains.domain, domains.sends, domains.bounced, domains.hard_bounced) == (
                "gmial.com",
                2,
                1,
                1,
            )
            assert conn.execute(sa.select(sa.func.count()).select_from(schema.users)).scalar() == 0


@EXPRESSION_INDEX_WARNINGS
def test_upgrading_a_0004_database_makes_the_notice_indexes_partial(databases):
    """0005 keeps every row, and its downgrade gives back the full indexes of 0004."""
    for kind in ("sqlite", "postgresql"):
        engine = databases.engine(kind, migrated=False)
        migrate.upgrade(engine, "0004")
        with engine.begin() as conn:
            conn.execute(
                schema.contacts.insert(),
                {
                    "id": 1,
                    "email": "a@example.com",
                    "name": "A",
                    "email_key": "a@example.com",
                    "name_key": "a",
                    "created_at": NOW,
                },
            )
            conn.execute(
                schema.campaigns.insert(),
                {
                    "id": 1,
                    "origin": "campaign",
                    "external_id": "c1",
                    "name": "C",
                    "created_at": NOW,
                },
            )
            for event, bounce_type in (
                ("delivered", None),
                ("sent", None),
                ("bounced", "hard"),
                ("spam_complaint", None),
            ):
                conn.execute(
                    schema.email_events.insert(), _event(event=event, bounce_type=bounce_type)
                )

        def rows():
            with engine.connect() as conn:  # noqa: B023 (called in this iteration)
                return conn.execute(
                    sa.select(schema.email_events.c.id, schema.email_events.c.event).order_by(
                        schema.email_events.c.id
                    )
                ).all()

        def partial_ones_missing():
            with engine.connect() as conn:  # noqa: B023 (called in this iteration)
                try:
                    return {d[1] for d in index_predicate_differences(conn)}
                finally:
                    conn.rollback()

        before = rows()
        assert len(before) == 4
        full = {"ix_email_events_event_time", "ix_email_events_campaign_time"}
        assert partial_ones_missing() == full  # 0004's full indexes: the check tells them apart
        migrate.upgrade(engine)
        assert rows() == before and partial_ones_missing() == set()
        migrate.downgrade(engine, "0004")
        assert migrate.current_revision(engine) == "0004"
        assert rows() == before and partial_ones_missing() == full
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
        assert rows() == before
        with engine.connect() as conn:
            assert_schema_is_the_metadata(conn)
            reflected = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("email_events")}
            assert "_where" not in str(
                reflected["ix_email_events_contact_time"].get("dialect_options", {})
            )


def _seed_0005(engine):
    """A 0005 database with a contact blocked by a campaign's hard bounce."""
    migrate.upgrade(engine, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO contacts (id, email, name, email_key, name_key, created_at, "
                "email_domain) VALUES (1, 'a@example.com', 'A', 'a@example.com', 'a', :t, "
                "'example.com')"
            ),
            {"t": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO campaigns (id, origin, external_id, name, created_at) "
                "VALUES (1, 'automation', 'f1', 'F', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO email_events (id, contact_id, campaign_id, event, bounce_type, "
                "provider, occurred_at) VALUES (7, 1, 1, 'bounced', 'hard', 'test', :t)"
            ),
            {"t": NOW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO contact_status (contact_id, blocked, reason, since, cause_event_id, "
                "updated_at) VALUES (1, :yes, 'previous_bounce', :t, 7, :t)"
            ),
            {"t": NOW, "yes": True},
        )


@EXPRESSION_INDEX_WARNINGS
def test_upgrading_a_0005_database_fills_the_cause_origin_and_accepts_lifts(databases):
    """0008 (lifts) keeps every row, fills the new column, and only widens the constraints."""
    for kind in ("sqlite", "postgresql"):
        engine = databases.engine(kind, migrated=False)
        _seed_0005(engine)
        lift = _event(event="block_lifted", campaign_id=None, reason="previous_bounce")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO email_events (contact_id, event, reason, provider, "
                    "occurred_at) VALUES (1, 'block_lifted', 'previous_bounce', "
                    "'rastro', :t)"
                ),
                {"t": NOW},
            )
        migrate.upgrade(engine)
        with engine.begin() as conn:
            origin = conn.execute(sa.select(schema.contact_status.c.cause_origin)).scalar_one()
            assert origin == "automation"
            conn.execute(schema.email_events.insert(), lift)
            users_action = {
                "occurred_at": NOW,
                "action": "block_lifted",
                "username": "ana",
                "contact_id": 1,
            }
            conn.execute(schema.audit_log.insert(), users_action)
        for bad in ({"event": "opened"}, {"event": "delivered", "campaign_id": None}):
            with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                conn.execute(schema.email_events.insert(), _event(**bad))
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(schema.audit_log.insert(), {**users_action, "action": "hacked"})
        with engine.connect() as conn:
            assert_schema_is_the_metadata(conn)
            if kind == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
        with pytest.raises(RuntimeError, match="bloqueos levantados"):
            migrate.downgrade(engine, "0007")


def test_downgrading_0008_without_lifts_gives_back_the_narrow_constraints(databases):
    for kind in ("sqlite", "postgresql"):
        engine = databases.engine(kind, migrated=False)
        _seed_0005(engine)
        migrate.upgrade(engine)
        migrate.downgrade(engine, "0007")
        lift = _event(event="block_lifted", campaign_id=None, reason="previous_bounce")
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO email_events (contact_id, event, reason, provider, occurred_at) "
                    "VALUES (1, :event, :reason, 'rastro', :t)"
                ),
                {"event": lift["event"], "reason": lift["reason"], "t": NOW},
            )
        with engine.connect() as conn:
            columns = {c["name"] for c in sa.inspect(conn).get_columns("contact_status")}
        assert "cause_origin" not in columns
        migrate.upgrade(engine)
        assert migrate.is_up_to_date(engine)
