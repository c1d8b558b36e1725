"""SQLite writes a contacts file in one of several ways, by how much of the table it changes:
it reads every contact or looks the file's up, and keeps the contacts' indexes up to date or
sets them aside and builds them again (`crm_contacts.SCAN_SHARE`, `SET_ASIDE_SHARE`). Each way
must end in the same database. (PostgreSQL has one way, tested in test_crm_contacts.py.)"""

import data_access as da
from data_access import crm_contacts
from tests.data_access.test_crm_contacts import (
    HEADER,
    T0,
    add_contact,
    contacts,
    quarantined,
    run,
    statuses,
)

WAYS = {
    # (SQLite reads every contact, SQLite sets the contacts' indexes aside)
    "lookups, indexes kept": (float("inf"), float("inf")),
    "every contact read, indexes kept": (0.0, float("inf")),
    "lookups, indexes set aside": (float("inf"), 0.0),
    "every contact read, indexes set aside": (0.0, 0.0),
}


def database_state(engine) -> dict:
    """Everything an import writes, and what the search box finds."""
    with engine.connect() as conn:
        found = {
            term: sorted(da.search_contacts(conn, term, limit=50)["email"].to_list())
            for term in ("ana", "nuñez", "lopez", "crm-", "ejemplo", "zz")
        }
        indexes = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') "
            "AND tbl_name = 'contacts' ORDER BY name"
        ).all()
    return {
        "contacts": contacts(engine),
        "statuses": statuses(engine),
        "quarantine": quarantined(engine),
        "found": found,
        "indexes": indexes,
    }


def test_every_way_of_writing_gives_the_same_database(databases, monkeypatch):
    """SQLite reads every contact or looks the file's up, and keeps the contacts' indexes or
    sets them aside (`SCAN_SHARE`, `SET_ASIDE_SHARE`); each way ends in the same database:
    contacts, statuses, the quarantine, the search index and the indexes themselves."""
    text = (
        HEADER
        + "ana@example.com,Ana María López,CRM-1,2020-01-01T00:00:00Z\n"  # renamed, earlier
        + "bea@example.com,,CRM-2,\n"  # gives an id only
        + "carla@example.com,Carla Núñez,CRM-3,2030-01-01T00:00:00Z\n"  # later date: kept
        + "dora@example.com,Dora,CRM-9,\n"  # CRM-9 is kept by another contact
        + "nueva@ejemplo.com,Nueva Núñez,CRM-4,\n"
        + "no es una dirección,Sin Arroba,,2021-01-01T00:00:00Z\n"
        + "nueva@ejemplo.com,Nueva Núñez Otra,CRM-5,2022-02-02T00:00:00Z\n"  # the last one counts
        + 'zz@example.com,"Zoe, Z",CRM-6,2024-05-01T10:00:00+02:00\n'
        + ",Sin correo,,\n"
    )
    states = {}
    for way, (scan, aside) in WAYS.items():
        engine = databases.engine("sqlite")
        add_contact(engine, "ana@example.com", name="Ana", created_at=T0)
        add_contact(engine, "bea@example.com", name="Bea Pérez")
        add_contact(engine, "carla@example.com", name="Carla", crm_id="CRM-3")
        add_contact(engine, "eva@example.com", name="Eva", crm_id="CRM-9")
        monkeypatch.setattr(crm_contacts, "SCAN_SHARE", scan)
        monkeypatch.setattr(crm_contacts, "SET_ASIDE_SHARE", aside)
        report = run(engine, text)
        assert (report.created, report.updated, report.unchanged, report.quarantined) == (
            3,
            3,
            0,
            3,
        ), way
        states[way] = database_state(engine)
        engine.dispose()
    first = states[next(iter(WAYS))]
    assert first["found"]["nuñez"] == ["carla@example.com", "nueva@ejemplo.com"]
    assert first["contacts"]["ana@example.com"]["name"] == "Ana María López"
    for way, state in states.items():
        assert state == first, way
