"""The search box finds contacts by their CRM id (exact and prefix, as written), on both
engines, equal to a brute-force filter of every contact."""

import random

import pytest
import sqlalchemy as sa

import data_access as da
from data_access import crm_contacts, queries, schema

IDS = [
    "1001",
    "1002",
    "10020",
    "1003",
    "C-77",
    "c-77",  # another contact: ids are case-sensitive
    "C-770",
    "003Dn00000AbCdE",  # a Salesforce-like id
    "ñu-1",
    "a b",
    "x%y",
    "x_y",
]


@pytest.fixture(scope="module", params=("sqlite", "postgresql"))
def crm(request, databases):
    engine = databases.engine(request.param)
    rows = "".join(f"p{i}@example.com,Persona {i},{crm_id},\n" for i, crm_id in enumerate(IDS))
    rows += "sin.id@example.com,Sin Id,,\n1001@example.com,Número,,\n"
    report = crm_contacts.import_contacts_bytes(
        engine, ("email,name,crm_id,created_at\n" + rows).encode(), source="crm.csv"
    )
    assert report.created == len(IDS) + 2
    with engine.connect() as conn:
        everyone = conn.execute(sa.select(schema.contacts.c.id, schema.contacts.c.crm_id)).all()
        yield conn, dict(everyone)


def brute(everyone: dict[int, str | None], typed: str) -> dict[int, str]:
    """Contact id -> crm_id_exact / crm_id_prefix by a plain filter of every contact."""
    wanted = typed.strip()
    found = {}
    for contact_id, crm_id in everyone.items():
        if crm_id is None or not wanted:
            continue
        if crm_id == wanted:
            found[contact_id] = "crm_id_exact"
        elif crm_id.startswith(wanted):
            found[contact_id] = "crm_id_prefix"
    return found


def crm_matches(frame) -> dict[int, str]:
    return {
        row["id"]: row["match"]
        for row in frame.iter_rows(named=True)
        if row["match"].startswith("crm_id")
    }


TYPED = [*IDS, "100", "10", "1", "C-", "C-7", "c-", "003Dn", "003dn", "ñu", " C-77 ", "x%", "x_"]


@pytest.mark.parametrize("typed", TYPED)
def test_crm_id_matches_equal_a_brute_force_filter(crm, typed):
    conn, everyone = crm
    found = da.search_contacts(conn, typed, limit=100)
    assert crm_matches(found) == brute(everyone, typed)
    assert found["crm_id"].to_list() == [everyone[i] for i in found["id"]]


def test_random_prefixes_equal_the_brute_force_filter(crm):
    conn, everyone = crm
    rng = random.Random(7)
    for _ in range(60):
        crm_id = rng.choice(IDS)
        typed = crm_id[: rng.randint(1, len(crm_id))]
        assert crm_matches(da.search_contacts(conn, typed, limit=100)) == brute(everyone, typed)


def test_the_exact_id_comes_first_then_the_address_that_starts_with_it(crm):
    conn, _ = crm
    found = da.search_contacts(conn, "1001")
    assert found["match"].to_list()[:2] == ["crm_id_exact", "email_prefix"]
    assert found["crm_id"][0] == "1001"
    assert found["email"][1] == "1001@example.com"
    ranks = [queries.MATCH_RANK[m] for m in da.search_contacts(conn, "C-77")["match"]]
    assert ranks == sorted(ranks)


def test_ids_are_matched_as_written_and_the_limit_holds(crm):
    conn, _ = crm
    assert da.search_contacts(conn, "c-77")["crm_id"].to_list() == ["c-77"]
    assert da.search_contacts(conn, "100", limit=2).height == 2
    assert da.search_contacts(conn, "9" * 101).is_empty()  # longer than any id
