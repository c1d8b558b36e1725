"""Contacts from the CRM (`data_access.crm_contacts`), on SQLite and PostgreSQL: the upsert by
address, the reconciliation, the quarantine, CRM id conflicts, search keys and statuses kept in
step, hostile values and files that are refused whole."""

from datetime import UTC, datetime

import polars as pl
import pytest
import sqlalchemy as sa

import data_access as da
from data_access import crm_contacts, schema
from data_access.ingest import FormatError, ImportRefused
from data_access.text import fold

T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
HEADER = "email,name,crm_id,created_at\n"


@pytest.fixture(autouse=True)
def _closed_after_each_test(empty_engine):
    """Close the test's pooled connections at its end (not at the session's): with one
    database per test, PostgreSQL's connection limit is shared with everything else."""
    yield
    empty_engine.dispose()


def run(engine, text: str, *, source="crm.csv", progress=None, encoding="utf-8"):
    return crm_contacts.import_contacts_bytes(
        engine, text.encode(encoding), source=source, progress=progress
    )


def contacts(engine) -> dict[str, dict]:
    c = schema.contacts.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(c.id, c.email, c.name, c.crm_id, c.created_at, c.name_key, c.email_key)
        ).all()
    return {r.email: r._asdict() for r in rows}


def quarantined(engine) -> list[tuple[int, str]]:
    q = schema.quarantine.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(q.position, q.reason, q.provider).order_by(q.position, q.id)
        ).all()
    assert all(r.provider == crm_contacts.PROVIDER for r in rows)
    return [(r.position, r.reason) for r in rows]


def add_contact(engine, email, name="", crm_id=None, created_at=T0) -> int:
    with engine.begin() as conn:
        return conn.execute(
            schema.contacts.insert()
            .values(
                email=email,
                name=name,
                email_key=fold(email),
                name_key=fold(name),
                crm_id=crm_id,
                created_at=created_at,
            )
            .returning(schema.contacts.c.id)
        ).scalar_one()


def statuses(engine) -> dict[int, tuple]:
    s = schema.contact_status.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(s.contact_id, s.blocked, s.reason, s.since)).all()
    return {r.contact_id: (bool(r.blocked), r.reason, r.since) for r in rows}


# --- the upsert -----------------------------------------------------------------------------


def test_new_contacts_are_created_and_known_ones_updated_by_address(empty_engine):
    known = add_contact(empty_engine, "ana@example.com", name="", created_at=T0)
    untouched = add_contact(empty_engine, "otro@example.com", name="Otro", crm_id="X-1")
    report = run(
        empty_engine,
        HEADER + " ANA@Example.com , Ana  López ,C-1,\n"
        "luis@example.com,Luis Pérez,C-2,2025-01-02T03:04:05Z\n"
        "otro@example.com,Otro,X-1,\n",
    )
    assert (report.received, report.created, report.updated, report.unchanged) == (3, 1, 1, 1)
    assert report.quarantined == 0 and report.balanced
    assert report.line() == (
        "crm.csv: recibidos 3 = creados 1 + actualizados 1 + sin cambios 1 + en cuarentena 0"
    )
    rows = contacts(empty_engine)
    assert rows["ana@example.com"]["id"] == known
    assert rows["ana@example.com"]["name"] == "Ana López"  # white space collapsed
    assert rows["ana@example.com"]["name_key"] == "ana lopez"
    assert rows["ana@example.com"]["crm_id"] == "C-1"
    assert rows["ana@example.com"]["created_at"] == T0  # no date in the file: kept
    assert rows["luis@example.com"]["created_at"] == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert rows["luis@example.com"]["email_key"] == "luis@example.com"
    assert rows["otro@example.com"]["id"] == untouched


def test_empty_values_change_nothing_and_events_are_untouched(empty_engine):
    contact_id = add_contact(empty_engine, "ana@example.com", name="Ana", crm_id="C-1")
    with empty_engine.begin() as conn:
        conn.execute(
            schema.email_events.insert().values(
                contact_id=contact_id,
                event="unsubscribed",
                provider="test",
                occurred_at=T0,
            )
        )
        da.refresh_contact_status(conn, [contact_id])
    before = statuses(empty_engine)
    report = run(empty_engine, "email,name\nana@example.com,\n")
    assert report.unchanged == 1
    assert contacts(empty_engine)["ana@example.com"]["name"] == "Ana"
    report = run(empty_engine, "email,crm_id\nana@example.com,C-9\n")
    assert report.updated == 1
    row = contacts(empty_engine)["ana@example.com"]
    assert (row["name"], row["crm_id"]) == ("Ana", "C-9")
    with empty_engine.connect() as conn:
        events = conn.execute(sa.select(sa.func.count()).select_from(schema.email_events))
        assert events.scalar() == 1
    assert statuses(empty_engine) == before  # still unsubscribed


def test_an_earlier_creation_date_is_taken_and_a_later_one_ignored(empty_engine):
    add_contact(empty_engine, "malo", created_at=T0)  # an invalid address, blocked since T0
    add_contact(empty_engine, "ana@example.com", created_at=T0)
    with empty_engine.begin() as conn:
        da.refresh_contact_status(conn, [1, 2])
    report = run(
        empty_engine,
        "email,created_at\nmalo,2020-01-01T00:00:00Z\nana@example.com,2027-01-01\n",
    )
    assert (report.updated, report.unchanged) == (1, 1)
    rows = contacts(empty_engine)
    assert rows["malo"]["created_at"] == datetime(2020, 1, 1, tzinfo=UTC)
    assert rows["ana@example.com"]["created_at"] == T0
    # the invalid address's block is now since the earlier creation
    assert statuses(empty_engine)[rows["malo"]["id"]] == (
        True,
        "invalid_address",
        datetime(2020, 1, 1, tzinfo=UTC),
    )


def test_new_contacts_get_their_status_and_invalid_addresses_are_contacts(empty_engine):
    report = run(empty_engine, HEADER + "ana@example.com,Ana,,\nana lopez@example,Ana L,,\n")
    assert report.created == 2
    rows = contacts(empty_engine)
    found = statuses(empty_engine)
    assert found[rows["ana@example.com"]["id"]] == (False, None, None)
    blocked, reason, since = found[rows["ana lopez@example"]["id"]]
    assert (blocked, reason) == (True, "invalid_address")
    assert since == rows["ana lopez@example"]["created_at"]
    with empty_engine.connect() as conn:
        card = da.contact_card(conn, rows["ana lopez@example"]["id"])
    assert card.contact["email_valid"][0] is False
    assert card.status["reason"][0] == "invalid_address"


def test_new_and_renamed_contacts_are_found_by_the_search_box(empty_engine):
    add_contact(empty_engine, "ana@example.com", name="Ana Vieja")
    run(
        empty_engine,
        HEADER + "ana@example.com,Ana Núñez,CRM-77,\nzoe@example.com,Zoé Ibáñez,CRM-78,\n",
    )
    with empty_engine.connect() as conn:
        assert da.search_contacts(conn, "nunez")["email"].to_list() == ["ana@example.com"]
        assert da.search_contacts(conn, "ibanez")["email"].to_list() == ["zoe@example.com"]
        assert da.search_contacts(conn, "unez")["email"].to_list() == ["ana@example.com"]
        assert da.search_contacts(conn, "vieja").is_empty()  # the old name left the index
        assert da.search_contacts(conn, "CRM-78")["match"].to_list() == ["crm_id_exact"]
        if conn.dialect.name == "sqlite":  # the triggers are back: later writes are indexed
            names = conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'contacts'"
            ).scalars()
            assert set(names) == {"contacts_search_ai", "contacts_search_ad", "contacts_search_au"}
    add_contact(empty_engine, "nueva@example.com", name="Nueva Persona")
    with empty_engine.connect() as conn:
        assert da.search_contacts(conn, "persona")["email"].to_list() == ["nueva@example.com"]


def test_the_same_file_again_changes_nothing_and_quarantines_nothing_twice(empty_engine):
    text = HEADER + "ana@example.com,Ana,C-1,2024-01-01\n,sin correo,,\n"
    first = run(empty_engine, text)
    again = run(empty_engine, text)
    assert (first.created, first.quarantined) == (1, 1)
    assert (again.created, again.updated, again.unchanged, again.quarantined) == (0, 0, 1, 1)
    assert len(quarantined(empty_engine)) == 1


def test_progress_goes_up_to_every_row(empty_engine):
    add_contact(empty_engine, "a0@example.com")
    rows = "".join(f"a{i}@example.com,Persona {i},,\n" for i in range(25))
    seen = []
    text = HEADER + rows + ",,,\n,Sin correo,,\n"  # an empty row is skipped, not received
    report = run(empty_engine, text, progress=lambda done, total: seen.append((done, total)))
    assert report.received == 26
    assert seen == sorted(seen) and seen[-1] == (26, 26)


# --- duplicates and CRM ids -----------------------------------------------------------------


def test_a_repeated_address_counts_by_its_last_readable_row(empty_engine):
    report = run(
        empty_engine,
        HEADER
        + "ana@example.com,Primera,,\n"
        + "ANA@example.com,Segunda,C-2,\n"
        + "ana@example.com,Tercera,,no-es-fecha\n",
    )
    assert (report.received, report.created, report.quarantined) == (3, 1, 2)
    assert contacts(empty_engine)["ana@example.com"]["name"] == "Segunda"
    assert quarantined(empty_engine) == [
        (2, "dirección repetida en el archivo: vale la fila de la línea 3"),
        (4, "created_at: fecha ilegible: no-es-fecha (ISO 8601, p. ej. 2024-05-01T14:03:00Z)"),
    ]


def test_a_crm_id_of_another_contact_goes_to_the_quarantine(empty_engine):
    add_contact(empty_engine, "dueno@example.com", crm_id="C-1")
    report = run(empty_engine, HEADER + "ana@example.com,Ana,C-1,\nluis@example.com,Luis,C-2,\n")
    assert (report.created, report.quarantined) == (1, 1)
    assert "ana@example.com" not in contacts(empty_engine)
    assert quarantined(empty_engine) == [
        (2, "el crm_id C-1 ya es de otro contacto (dueno@example.com)")
    ]


def test_one_crm_id_for_several_addresses_in_the_file_is_refused_for_each(empty_engine):
    report = run(
        empty_engine, HEADER + "a@example.com,A,C-1,\nb@example.com,B,C-1,\nc@example.com,C,C-3,\n"
    )
    assert (report.created, report.quarantined) == (1, 2)
    reason = "el crm_id C-1 aparece con varias direcciones en el archivo (líneas 2, 3)"
    assert quarantined(empty_engine) == [(2, reason), (3, reason)]


def test_crm_ids_swapped_and_moved_within_the_file_are_applied(empty_engine):
    add_contact(empty_engine, "a@example.com", crm_id="C-1")
    add_contact(empty_engine, "b@example.com", crm_id="C-2")
    add_contact(empty_engine, "c@example.com", crm_id="C-3")
    report = run(
        empty_engine,
        "email,crm_id\na@example.com,C-2\nb@example.com,C-1\nc@example.com,C-4\nd@example.com,C-3\n",
    )
    assert (report.updated, report.created, report.quarantined) == (3, 1, 0)
    rows = contacts(empty_engine)
    assert {e: r["crm_id"] for e, r in rows.items()} == {
        "a@example.com": "C-2",
        "b@example.com": "C-1",
        "c@example.com": "C-4",
        "d@example.com": "C-3",
    }


def test_a_refused_row_keeps_its_contacts_id_which_refuses_the_next(empty_engine):
    add_contact(empty_engine, "a@example.com", crm_id="C-1")
    add_contact(empty_engine, "holder@example.com", crm_id="C-2")
    # a wants C-2 (kept by holder, not in the file): refused, so a keeps C-1, so b's C-1 is
    # refused too
    report = run(empty_engine, "email,crm_id\na@example.com,C-2\nb@example.com,C-1\n")
    assert (report.created, report.updated, report.quarantined) == (0, 0, 2)
    assert contacts(empty_engine)["a@example.com"]["crm_id"] == "C-1"
    assert [reason for _, reason in quarantined(empty_engine)] == [
        "el crm_id C-2 ya es de otro contacto (holder@example.com)",
        "el crm_id C-1 ya es de otro contacto (a@example.com)",
    ]


# --- hostile values -------------------------------------------------------------------------


def test_hostile_values_are_stored_verbatim_bounded_or_quarantined(empty_engine):
    long_name = "Ñ" * 400
    text = (
        HEADER
        + '"=HYPERLINK(""http://x"",""clic"")",=1+1,+C-1,\n'
        + f"largo@example.com,{long_name},,\n"
        + 'tabs@example.com,"Ana\t\nLópez",\'; DROP TABLE contacts; --,\n'
        + "nul@example.com,Ana\x00,,\n"
        + f"{'a' * 321}@example.com,,,\n"
        + f"id@example.com,,{'9' * 101},\n"
        + "fecha@example.com,,,31/12/2024\n"
        + "futuro@example.com,,,2999-01-01\n"
        + "solo@example.com\n"
    )
    report = run(empty_engine, text)
    assert (report.received, report.created, report.quarantined) == (9, 3, 6)
    rows = contacts(empty_engine)
    formula = rows['=hyperlink("http://x","clic")']  # an address as written (lower case)
    assert (formula["name"], formula["crm_id"]) == ("=1+1", "+C-1")
    assert rows["largo@example.com"]["name"] == "Ñ" * 300
    assert rows["tabs@example.com"]["name"] == "Ana López"
    assert rows["tabs@example.com"]["crm_id"] == "'; DROP TABLE contacts; --"
    # positions are lines where a row starts: the quoted line break makes row 4 two lines
    assert dict(quarantined(empty_engine)) == {
        6: "contiene el carácter NUL, que no se puede guardar",
        7: "dirección de más de 320 caracteres",
        8: "crm_id de más de 100 caracteres",
        9: "created_at: fecha ilegible: 31/12/2024 (ISO 8601, p. ej. 2024-05-01T14:03:00Z)",
        10: "created_at: fecha imposible: 2999-01-01",
        11: "la fila tiene 1 campos y la cabecera 4",
    }
    with empty_engine.connect() as conn:
        q = schema.quarantine.c
        raw = conn.execute(sa.select(q.raw).where(q.position == 6)).scalar_one()
    assert "\\u0000" in raw  # kept, escaped, on both engines


def test_long_names_that_fold_longer_fit_their_search_key(empty_engine):
    name = "ß" * 300  # folds to "ss" * 300: 600 characters, the key holds 320
    run(empty_engine, f"email,name\nlargo@example.com,{name}\n")
    row = contacts(empty_engine)["largo@example.com"]
    assert row["name"] == name and row["name_key"] == "s" * 320


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "El archivo está vacío"),
        ("correo,nombre\nana@example.com,Ana\n", "Columnas desconocidas: correo, nombre"),
        ("name,crm_id\nAna,C-1\n", "Falta la columna obligatoria email"),
        ("email,email\na@b.com,a@b.com\n", "Columnas repetidas: email"),
        ("email,,name\na@b.com,,Ana\n", r"Columna sin nombre en la cabecera \(columna 2\)"),
        ("Email,Name\nana@example.com,Ana\n", "Columnas desconocidas: Email, Name"),
    ],
)
def test_a_file_that_is_not_a_contacts_csv_is_refused_whole(empty_engine, text, message):
    with pytest.raises(FormatError, match=message):
        run(empty_engine, text)
    assert contacts(empty_engine) == {}


def test_a_byte_order_mark_is_allowed_and_other_encodings_are_refused(empty_engine):
    report = run(empty_engine, "\ufeffemail,name\nana@example.com,Ana\n")
    assert report.created == 1
    with pytest.raises(ImportRefused, match="no es texto UTF-8"):
        run(empty_engine, "email,name\nnuñez@example.com,Núñez\n", encoding="latin-1")


def test_an_unreadable_file_on_disk_is_refused(empty_engine, tmp_path):
    with pytest.raises(FormatError, match="No se puede leer"):
        crm_contacts.import_contacts_file(empty_engine, tmp_path / "no-existe.csv")


def test_a_failed_import_leaves_nothing_behind(empty_engine, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("se cortó la luz")

    monkeypatch.setattr(crm_contacts, "refresh_contact_status", broken)
    add_contact(empty_engine, "a@example.com", created_at=T0)
    with pytest.raises(RuntimeError):
        run(empty_engine, HEADER + "a@example.com,A,C-1,2020-01-01\nb@example.com,B,,\n")
    rows = contacts(empty_engine)
    assert list(rows) == ["a@example.com"] and rows["a@example.com"]["crm_id"] is None
    with empty_engine.connect() as conn:
        assert da.search_contacts(conn, "b@example.com").is_empty()
        if conn.dialect.name == "sqlite":  # the search triggers were not lost either
            count = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
            ).scalar()
            assert count == 3


def test_the_quarantine_query_shows_contact_rows(empty_engine):
    run(empty_engine, HEADER + ",Sin correo,,\n")
    with empty_engine.connect() as conn:
        rows = da.recent_quarantine(conn)
    assert rows.schema == pl.Schema(da.QUARANTINE_SCHEMA)
    assert rows.row(0, named=True)["provider"] == crm_contacts.PROVIDER
    assert rows.row(0, named=True)["reason"] == "falta la dirección de correo (email)"
