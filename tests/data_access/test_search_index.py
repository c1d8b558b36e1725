"""The search index of contacts (migration 0011): every substring search equals a brute-force
filter of every contact, on both engines and through every path of the query (PostgreSQL:
the first pages and the trigram index; SQLite: the FTS5 candidates checked against the keys),
right after a bulk load, after the migration rebuilt the index, and after a CRM import that
renamed contacts without removing their old trigrams."""

import random

import pytest
import sqlalchemy as sa

import data_access as da
from data_access import crm_contacts, demo, migrate, queries, schema
from data_access.text import fold


def everyone(conn) -> dict[int, tuple[str, str]]:
    c = schema.contacts.c
    return {i: (n, e) for i, n, e in conn.execute(sa.select(c.id, c.name_key, c.email_key))}


def brute(keys: dict[int, tuple[str, str]], typed: str, dialect: str) -> set[int]:
    """Contacts whose folded name or address contains the folded text (3+ characters, the
    same rule on both engines)."""
    key = fold(typed)
    if len(key) < 3:
        return set()
    return {i for i, (name, email) in keys.items() if key in name or key in email}


def substring_ids(conn, typed: str, limit: int) -> set[int]:
    key = fold(typed)  # search_contacts asks for substrings from 3 characters on
    return set(queries._substring_ids(conn, key, limit)) if len(key) >= 3 else set()


def terms(keys: dict[int, tuple[str, str]], count: int, seed: int) -> list[str]:
    """Pieces from inside names and addresses (3 to 7 characters, punctuation included), and
    some that match nothing."""
    rng = random.Random(seed)
    found = ["qxzw", "zzzz", "ñññ", "a.b", "@gm", "ez@", ".com", "lopez", "maria jo"]
    values = list(keys.values())
    while len(found) < count:
        text = rng.choice(rng.choice(values))
        size = min(len(text), rng.randint(3, 7))
        start = rng.randint(0, len(text) - size)
        found.append(text[start : start + size])
    return found


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def loaded(request, databases):
    """A demo world of 4,000 contacts (more than the 64 pages PostgreSQL tries first)."""
    engine = databases.engine(request.param)
    demo.load(engine, demo.generate(4000, seed=21))
    with engine.connect() as conn:
        pages = conn.exec_driver_sql(
            "SELECT pg_relation_size('contacts') / current_setting('block_size')::int"
            if conn.dialect.name == "postgresql"
            else "SELECT 0"
        ).scalar_one()
        yield conn, everyone(conn), pages


@pytest.mark.parametrize("probe_pages, more_pages", [(64, 512), (1, 512), (1, 2), (0, 512)])
def test_substring_search_equals_a_brute_force_filter(loaded, probe_pages, more_pages, monkeypatch):
    conn, keys, pages = loaded
    if conn.dialect.name == "postgresql":
        assert pages > 64  # the index part of the query is reached with the default too
    monkeypatch.setattr(queries, "_PROBE_PAGES", probe_pages)
    monkeypatch.setattr(queries, "_MORE_PAGES", more_pages)
    dialect = conn.dialect.name
    for typed in terms(keys, 150, seed=probe_pages):
        want = brute(keys, typed, dialect)
        got = substring_ids(conn, typed, 100)
        if len(want) <= 100:
            assert got == want, typed
        else:  # more than the limit: any 100 of them, each a real match, none twice
            found = queries._substring_ids(conn, fold(typed), 100)  # 3+ characters here
            assert len(found) == len(set(found)) == 100 and set(found) <= want, typed


def test_a_limit_is_filled_from_both_parts_without_repeats(loaded, monkeypatch):
    conn, keys, _pages = loaded
    monkeypatch.setattr(queries, "_PROBE_PAGES", 1)  # few rows in the first part
    for typed in ("gmail", "hotmail", "mar", "ez@"):
        want = brute(keys, typed, conn.dialect.name)
        for limit in (5, 20, 100):
            found = queries._substring_ids(conn, fold(typed), limit)
            assert len(found) == len(set(found)) == min(limit, len(want)), (typed, limit)
            assert set(found) <= want


def test_the_search_box_gives_every_match_when_there_are_few(loaded):
    conn, keys, _pages = loaded
    for typed in terms(keys, 60, seed=5):
        want = brute(keys, typed, conn.dialect.name)
        if 0 < len(want) <= 20:
            found = set(da.search_contacts(conn, typed, limit=100)["id"].to_list())
            assert want <= found, typed


def test_sqlite_index_holds_no_positions_and_is_rebuilt_by_the_migration(databases):
    engine = databases.engine("sqlite", migrated=False)
    migrate.upgrade(engine)  # the demo loader writes the tables of the newest revision
    world = demo.generate(300, seed=8)
    demo.load(engine, world)
    migrate.downgrade(engine, "0010")  # the positional index of 0010, built from the contacts
    migrate.upgrade(engine)
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'contacts_search'"
        ).scalar_one()
        assert "detail=none" in sql
        keys = everyone(conn)
        for typed in terms(keys, 60, seed=9):
            want = brute(keys, typed, "sqlite")
            if len(want) <= 100:
                assert substring_ids(conn, typed, 100) == want, typed
    migrate.downgrade(engine, "0010")  # back to the positional index, rebuilt too
    with engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'contacts_search'"
        ).scalar_one()
        assert "detail" not in sql
        name = world.contacts["name_key"][7].split()[-1]
        phrase = '"' + name + '"'
        hits = conn.exec_driver_sql(
            "SELECT rowid FROM contacts_search WHERE contacts_search MATCH ?", (phrase,)
        ).scalars()
        assert 8 in set(hits)


@pytest.mark.parametrize("rebuild_share", [2.0, 0.0], ids=["added", "rebuilt"])
def test_renamed_contacts_keep_no_match_on_their_old_names(
    empty_engine, rebuild_share, monkeypatch
):
    """The import adds a renamed contact's new trigrams and leaves the old ones in the SQLite
    index (the check against the keys keeps them from ever matching), or rebuilds the index
    when most contacts changed; the search is the same either way."""
    monkeypatch.setattr(crm_contacts, "REBUILD_SHARE", rebuild_share)
    header = "email,name,crm_id,created_at\n"
    first = "".join(f"p{i}@example.com,Zacarías Quiñónez {i},,\n" for i in range(30))
    crm_contacts.import_contacts_bytes(empty_engine, (header + first).encode(), source="a.csv")
    renamed = "".join(f"p{i}@example.com,Bartolomé Ybarra {i},,\n" for i in range(0, 30, 2))
    report = crm_contacts.import_contacts_bytes(
        empty_engine, (header + renamed).encode(), source="b.csv"
    )
    assert report.updated == 15
    with empty_engine.connect() as conn:
        old = da.search_contacts(conn, "quiñónez", limit=100)["email"].to_list()
        assert sorted(old) == sorted(f"p{i}@example.com" for i in range(1, 30, 2))
        assert set(queries._substring_ids(conn, "uinonez", 100)) == {
            i for i, (name, _e) in everyone(conn).items() if "uinonez" in name
        }
        new = da.search_contacts(conn, "ybarra", limit=100)["email"].to_list()
        assert sorted(new) == sorted(f"p{i}@example.com" for i in range(0, 30, 2))
        assert len(da.search_contacts(conn, "artolom", limit=100)) == 15


def test_a_common_text_is_read_from_the_next_pages_before_the_index(loaded, monkeypatch):
    """PostgreSQL: when the first pages hold some matches, the next pages are read (a TID
    range) and the index only for what is still missing; the result is the same."""
    conn, keys, _pages = loaded
    if conn.dialect.name != "postgresql":
        pytest.skip("SQLite has no page probe")
    monkeypatch.setattr(queries, "_PROBE_PAGES", 1)
    monkeypatch.setattr(queries, "_MORE_PAGES", 50)
    scanned = []
    kept = queries._pages_scanned

    def recorded(conn, values, low, high, limit):
        scanned.append((low, high))
        return kept(conn, values, low, high, limit)

    monkeypatch.setattr(queries, "_pages_scanned", recorded)
    want = brute(keys, "mar", "postgresql")
    found = queries._substring_ids(conn, "mar", 100)
    assert scanned == [(0, 1), (1, 51)], scanned
    assert len(found) == len(set(found)) == min(100, len(want)) and set(found) <= want
