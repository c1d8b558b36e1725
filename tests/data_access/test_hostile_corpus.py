"""The hostile corpus (tests/support/hostile.py) through the data layer and the command line,
on SQLite and PostgreSQL (issue 17): the search, the sign-in, the id checks, and every CLI
command that takes text (`blocks list` filters, `blocks lift --email/--comment`, `users add`,
`audit --user`, `contacts import` and `import` of files with hostile names and contents).
Each call gives a result or a clear Spanish message, never a traceback or a driver error."""

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import queries, reports, schema, users
from data_access.cli import main
from data_access.status import refresh_contact_status
from tests.story import load_story
from tests.support.hostile import CHEAP, CORPUS, SAMPLE

BAD_IDS = ["1", 2**63, -1, 0, True, None, 1.0]


@pytest.fixture
def story(empty_engine):
    ids = load_story(empty_engine)
    return empty_engine, ids, empty_engine.url.render_as_string(hide_password=False)


# --- ids (issue 17 §2, the filters and the status refresh) ----------------------------------


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
def test_a_report_filter_refuses_what_is_not_a_campaign_id(bad):
    with pytest.raises(ValueError, match="id de la campaña"):
        reports.ReportFilter(
            reports.date(2026, 1, 1), reports.date(2026, 1, 2), campaign_ids=(bad,)
        )


def test_a_report_filter_wants_a_tuple_of_ids():
    with pytest.raises(ValueError, match="tupla"):
        reports.ReportFilter(reports.date(2026, 1, 1), reports.date(2026, 1, 2), campaign_ids=None)
    assert reports.ReportFilter(
        reports.date(2026, 1, 1), reports.date(2026, 1, 2), campaign_ids=(1, 2)
    ).campaign_ids == (1, 2)


def test_affected_contacts_and_the_status_refresh_check_their_ids(story):
    engine, ids, _ = story
    f = reports.ReportFilter(reports.date(2026, 1, 1), reports.date(2026, 12, 31))
    with engine.begin() as conn:
        for bad in [b for b in BAD_IDS if b is not None]:
            with pytest.raises(ValueError, match="id de la campaña"):
                reports.affected_contacts(conn, f, event="bounced", campaign_id=bad)
            with pytest.raises(ValueError, match="id del contacto"):
                refresh_contact_status(conn, [ids["jose"], bad])
        for bad in (None, "12", b"12"):
            with pytest.raises(ValueError):
                refresh_contact_status(conn, bad)
        with pytest.raises(ValueError, match="id del contacto"):
            refresh_contact_status(conn, [None])
        # the real ids still work
        rows, total = reports.affected_contacts(conn, f, event="bounced", campaign_id=2)
        assert total == rows.height >= 1
        assert refresh_contact_status(conn, [ids["jose"]]) == 1


# --- the search and the sign-in: the whole corpus -------------------------------------------


def test_the_search_takes_the_whole_corpus(story):
    engine, _, _ = story
    with engine.connect() as conn:
        for name in CHEAP:
            found = queries.search_contacts(conn, CORPUS[name], limit=21)
            assert found.columns == list(queries.SEARCH_SCHEMA), name
        # LIKE's metacharacters are literal: no story contact has % or _ in its name or email
        for literal in ("%", "_", "%_%", "\\"):
            assert queries.search_contacts(conn, literal).is_empty(), literal


def test_the_sign_in_refuses_the_whole_corpus_and_records_it(story):
    engine, _, _ = story
    for name in CHEAP:
        with engine.begin() as conn:
            done = users.authenticate(conn, CORPUS[name], CORPUS[name])
        assert done.outcome == users.BAD_CREDENTIALS, name
    with engine.connect() as conn:
        recorded = conn.execute(sa.select(schema.audit_log.c.username)).scalars().all()
    assert not any("\x00" in (u or "") for u in recorded)


# --- the command line --------------------------------------------------------------------


def invoke(*args, input=None):
    done = CliRunner().invoke(main, [str(a) for a in args], input=input)
    assert done.exception is None or isinstance(done.exception, SystemExit), (
        args,
        done.output,
        done.exception,
    )
    assert "Traceback" not in done.output, done.output
    return done


def _cli_values() -> list[str]:
    return [CORPUS[n] for n in SAMPLE]


def test_blocks_list_filters_take_the_corpus(story):
    _, _, url = story
    for value in _cli_values():
        done = invoke("blocks", "list", "--domain", value, "--search", value, "--database", url)
        assert done.exit_code in (0, 1), done.output


def test_blocks_lift_and_audit_and_users_add_take_the_corpus(story):
    engine, _, url = story
    for i, value in enumerate(_cli_values()):
        lift = invoke(
            "blocks",
            "lift",
            "--reason",
            "previous_bounce",
            "--email",
            value,
            "--comment",
            "Comentario: " + value,
            "--by",
            "ana.admin",
            "--dry-run",
            "--database",
            url,
        )
        assert lift.exit_code in (0, 1), lift.output
        invoke("audit", "--user", value, "--database", url)
        added = invoke(
            "users",
            "add",
            value or "vacío",
            "--name",
            value or "vacío",
            "--role",
            "seller",
            "--password-stdin",
            "--database",
            url,
            input=f"contraseña-larga-{i}\ncontraseña-larga-{i}\n",
        )
        assert added.exit_code in (0, 1, 2), added.output
    with engine.connect() as conn:
        names = conn.execute(sa.select(schema.users.c.display_name)).scalars().all()
    assert not any("\x00" in n for n in names)


def test_imports_take_hostile_file_names_and_contents(story, tmp_path):
    _, _, url = story
    files = []
    for i, name in enumerate(SAMPLE):
        value = CORPUS[name]
        safe_name = value.replace("/", "-").replace("\x00", "")[:100] or "vacío"
        try:
            path = tmp_path / f"{i}-{safe_name}.csv"
            path.touch()
        except (OSError, UnicodeEncodeError):
            path = tmp_path / f"{i}.csv"
        cell = '"' + value.replace('"', '""') + '"'
        path.write_bytes(
            ("crm_id,email,name\n" + f"{cell},hostil{i}@example.com,{cell}\n").encode(
                "utf-8", "surrogatepass"
            )
        )
        files.append(path)
    done = invoke("contacts", "import", *files, "--database", url)
    assert done.exit_code in (0, 1), done.output
    events = tmp_path / "eventos.csv"
    header = ",".join(CORPUS[n].replace(",", ";").replace("\n", " ") for n in SAMPLE[:4])
    events.write_text(header + "\n1,2,3,4\n", encoding="utf-8", errors="surrogatepass")
    done = invoke("import", "--provider", "csv", events, "--database", url)
    assert done.exit_code == 1 and "eventos.csv" in done.output, done.output
