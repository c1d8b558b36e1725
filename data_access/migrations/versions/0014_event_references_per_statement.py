"""PostgreSQL: an event's contact and campaign are checked once per statement, not per row.

Why: a foreign key is checked by a trigger per inserted row (one look-up in `contacts` and one
in `campaigns`, each locking the row it finds). Measured on this machine (2026-12-02, a bare
`COPY` of 300,000 events into `email_events` with all its indexes): 21,000-22,000 rows/s with
the two foreign keys, 122,000 rows/s without them; the checks were about 80 % of the work of
every import. Here the same rules are kept by statement-level triggers, each one set-based
query over the rows the statement wrote (a transition table), whatever their number.

The rules do not change, and the database still enforces them:
- an event whose contact, or whose campaign (when it has one), does not exist is refused,
  with SQLSTATE 23503 (foreign_key_violation) as a foreign key would: AFTER INSERT and AFTER
  UPDATE on `email_events`;
- deleting a contact deletes its events (ON DELETE CASCADE): AFTER DELETE on `contacts`;
- a campaign that has events cannot be deleted (NO ACTION): AFTER DELETE on `campaigns`;
- the id of a contact or of a campaign cannot change (a foreign key would cascade or refuse
  it; nothing in Rastro does it): refused by a row trigger that fires only on such a change;
- TRUNCATE of `contacts` or `campaigns` is refused while events remain (truncate the events in
  the same statement, as a foreign key would ask).
Concurrency, where a foreign key locks each referenced row: deleting contacts or campaigns
first takes the lock every import takes (SHARE ROW EXCLUSIVE on `email_events`, BEFORE DELETE),
so a delete waits for the transactions writing events and holds off new ones until it commits;
a writer that waited then sees the delete (READ COMMITTED, Rastro's isolation: each statement,
and each query of a trigger, reads what is committed when it starts).

SQLite: nothing changes (its per-row check is one index look-up, without locks, and cheap).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

FOREIGN_KEYS = {
    "fk_email_events_contact_id_contacts": (
        "FOREIGN KEY (contact_id) REFERENCES contacts (id) ON DELETE CASCADE"
    ),
    "fk_email_events_campaign_id_campaigns": "FOREIGN KEY (campaign_id) REFERENCES campaigns (id)",
}

FUNCTIONS = (
    """
CREATE FUNCTION email_events_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    SELECT n.contact_id INTO missing FROM written n
    WHERE NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = n.contact_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('insert or update on table "email_events" violates the rule '
                '"email_events_contact_exists": contact %s does not exist', missing),
            TABLE = 'email_events', CONSTRAINT = 'email_events_contact_exists';
    END IF;
    SELECT n.campaign_id INTO missing FROM written n
    WHERE n.campaign_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM campaigns k WHERE k.id = n.campaign_id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('insert or update on table "email_events" violates the rule '
                '"email_events_campaign_exists": campaign %s does not exist', missing),
            TABLE = 'email_events', CONSTRAINT = 'email_events_campaign_exists';
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION email_events_writers_wait() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE email_events IN SHARE ROW EXCLUSIVE MODE;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION contacts_delete_their_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM email_events e USING removed r WHERE e.contact_id = r.id;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION campaigns_keep_their_events() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kept bigint;
BEGIN
    SELECT r.id INTO kept FROM removed r
    WHERE EXISTS (SELECT 1 FROM email_events e WHERE e.campaign_id = r.id) LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
            MESSAGE = format('delete on table "campaigns" violates the rule '
                '"email_events_campaign_exists": campaign %s still has events', kept),
            TABLE = 'campaigns', CONSTRAINT = 'email_events_campaign_exists';
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE FUNCTION events_refer_to_this_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation',
        MESSAGE = format('the id of a row of "%s" cannot change (%s -> %s): events refer to it',
            TG_TABLE_NAME, OLD.id, NEW.id),
        TABLE = TG_TABLE_NAME;
END $$
""",
    """
CREATE FUNCTION events_truncated_too() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM email_events) THEN
        RAISE EXCEPTION USING ERRCODE = 'feature_not_supported',
            MESSAGE = format('cannot truncate "%s" while "email_events" has rows that refer to '
                'it: truncate "email_events" in the same statement', TG_TABLE_NAME);
    END IF;
    RETURN NULL;
END $$
""",
)

TRIGGERS = (
    "CREATE TRIGGER email_events_references_insert AFTER INSERT ON email_events "
    "REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION email_events_references_exist()",
    "CREATE TRIGGER email_events_references_update AFTER UPDATE ON email_events "
    "REFERENCING NEW TABLE AS written "
    "FOR EACH STATEMENT EXECUTE FUNCTION email_events_references_exist()",
    "CREATE TRIGGER contacts_delete_wait BEFORE DELETE ON contacts "
    "FOR EACH STATEMENT EXECUTE FUNCTION email_events_writers_wait()",
    "CREATE TRIGGER contacts_delete_events AFTER DELETE ON contacts "
    "REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION contacts_delete_their_events()",
    "CREATE TRIGGER campaigns_delete_wait BEFORE DELETE ON campaigns "
    "FOR EACH STATEMENT EXECUTE FUNCTION email_events_writers_wait()",
    "CREATE TRIGGER campaigns_delete_refused AFTER DELETE ON campaigns "
    "REFERENCING OLD TABLE AS removed "
    "FOR EACH STATEMENT EXECUTE FUNCTION campaigns_keep_their_events()",
    "CREATE TRIGGER contacts_id_kept BEFORE UPDATE OF id ON contacts FOR EACH ROW "
    "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION events_refer_to_this_id()",
    "CREATE TRIGGER campaigns_id_kept BEFORE UPDATE OF id ON campaigns FOR EACH ROW "
    "WHEN (OLD.id IS DISTINCT FROM NEW.id) EXECUTE FUNCTION events_refer_to_this_id()",
    "CREATE TRIGGER contacts_truncate_events AFTER TRUNCATE ON contacts "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_truncated_too()",
    "CREATE TRIGGER campaigns_truncate_events AFTER TRUNCATE ON campaigns "
    "FOR EACH STATEMENT EXECUTE FUNCTION events_truncated_too()",
)


def _trigger_names() -> list[tuple[str, str]]:
    """(trigger, table) of every trigger made here."""
    found = []
    for statement in TRIGGERS:
        words = statement.split()
        found.append((words[2], words[words.index("ON") + 1]))
    return found


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in FUNCTIONS + TRIGGERS:
        op.execute(statement)
    for name in FOREIGN_KEYS:
        op.execute(f"ALTER TABLE email_events DROP CONSTRAINT {name}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for trigger, table in _trigger_names():
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for statement in FUNCTIONS:
        name = statement.split()[2].split("(")[0]
        op.execute(f"DROP FUNCTION {name}()")
    for name, definition in FOREIGN_KEYS.items():
        op.execute(f"ALTER TABLE email_events ADD CONSTRAINT {name} {definition}")
