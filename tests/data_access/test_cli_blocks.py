"""`python -m data_access blocks list|lift`, on both engines."""

import csv
import io

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import schema, users, vocab
from data_access.cli import main
from tests.story import load_story

COMMENT = "Falso positivo: el buzón funciona"


@pytest.fixture
def story(empty_engine):
    ids = load_story(empty_engine)
    url = empty_engine.url.render_as_string(hide_password=False)
    return url, empty_engine, ids


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_list_shows_the_counts_and_the_rows(story):
    url, _, _ = story
    done = run("blocks", "list", "--database", url)
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert lines[0] == (
        "4 contactos bloqueados (invalid_address 1, previous_bounce 1, previous_spam 1, "
        "unsubscribed 1); se muestran 4."
    )
    assert "pedro.gomez@example.com" in lines[1] and "[Bienvenida]" in lines[1]
    narrow = run(
        "blocks", "list", "--reason", "previous_spam", "--search", "núñez", "--database", url
    )
    assert narrow.output.startswith("1 contactos bloqueados (previous_spam 1)")
    none = run("blocks", "list", "--domain", "example.org", "--database", url)
    assert none.output == "Ningún contacto bloqueado con estos filtros.\n"


def test_list_exports_a_neutralised_csv_and_a_suppression_list(story, tmp_path):
    url, engine, ids = story
    with engine.begin() as conn:
        conn.execute(
            schema.contacts.update()
            .where(schema.contacts.c.id == ids["pedro"])
            .values(name="=HYPERLINK(1)")
        )
    out = tmp_path / "b.csv"
    done = run("blocks", "list", "--format", "csv", "--output", str(out), "--database", url)
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == 4 and rows[0]["name"] == "'=HYPERLINK(1)"
    assert rows[0]["reason"] == "previous_bounce" and rows[0]["origin"] == "automation"
    plain = run(
        "blocks", "list", "--format", "suppression", "--origin", "campaign", "--database", url
    )
    assert plain.output == "jose.nunez@example.com\nmj.garcia@example.com\n"


def test_lift_by_email_with_dry_run_then_for_real(story):
    url, engine, ids = story
    args = ["blocks", "lift", "--reason", "previous_bounce", "--comment", COMMENT]
    args += ["--by", "ana.admin", "--database", url]
    dry = run(*args, "--email", "Pedro.Gomez@example.com", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip().endswith(
        "1 direcciones: se levantarían 1, sin ese bloqueo 0, rechazados 0, desconocidas 0."
    )
    done = run(*args, "--email", "pedro.gomez@example.com", "--email", "nadie@example.com")
    assert "levantados 1, sin ese bloqueo 0, rechazados 0, desconocidas 1." in done.output
    assert "nadie@example.com: No existe ese contacto." in done.output
    with engine.connect() as conn:
        s = schema.contact_status.c
        assert not conn.execute(sa.select(s.blocked).where(s.contact_id == ids["pedro"])).scalar()
        assert users.audit_log(conn, action="block_lifted")["username"].to_list() == ["ana.admin"]


def test_lift_from_the_exported_files(story, tmp_path):
    url, engine, _ = story
    exported = tmp_path / "lista.csv"
    run("blocks", "list", "--format", "csv", "--output", str(exported), "--database", url)
    plain = tmp_path / "lista.txt"
    plain.write_text("mj.garcia@example.com\n\n", encoding="utf-8")
    args = ["blocks", "lift", "--reason", "unsubscribed", "--comment", COMMENT, "--by"]
    args += ["ana.admin", "--renewed-consent", "--database", url]
    from_csv = run(*args, "--file", str(exported), "--dry-run")
    assert "4 direcciones: se levantarían 1, sin ese bloqueo 3" in from_csv.output
    from_txt = run(*args, "--file", str(plain))
    assert from_txt.output.strip().endswith(
        "1 direcciones: levantados 1, sin ese bloqueo 0, rechazados 0, desconocidas 0."
    )
    with engine.connect() as conn:
        lifts = conn.execute(sa.select(schema.block_lifts.c.renewed_consent)).scalars().all()
    assert lifts == [True]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--reason", "invalid_address", "--by", "ana.admin"], "corrígela en el CRM"),
        (["--reason", "previous_spam", "--by", "ana.admin"], "consentimiento"),
        (["--reason", "previous_bounce", "--by", "victor.ventas"], "administrador activo"),
        (["--reason", "previous_bounce", "--by", "dora.baja"], "administrador activo"),
    ],
)
def test_refused_lifts_say_why_and_keep_nothing(story, extra, message):
    url, engine, _ = story
    done = run(
        "blocks",
        "lift",
        "--email",
        "jose.nunez@example.com",
        "--comment",
        COMMENT,
        *extra,
        "--database",
        url,
    )
    assert done.exit_code == 1 and message in done.output
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count()).where(schema.email_events.c.event == vocab.BLOCK_LIFTED)
        ).scalar_one()
    assert count == 0


def test_lift_needs_one_source_and_a_real_comment(story):
    url, _, _ = story
    base = ["blocks", "lift", "--reason", "previous_bounce", "--by", "ana.admin", "--database", url]
    assert "Indica --email o --file" in run(*base, "--comment", COMMENT).output
    short = run(*base, "--comment", "corto", "--email", "pedro.gomez@example.com")
    assert short.exit_code == 1 and "al menos 10 caracteres" in short.output


def test_list_refuses_a_backwards_range(story):
    url, _, _ = story
    done = run(
        "blocks",
        "list",
        "--since-from",
        "2026-03-05",
        "--since-to",
        "2026-03-01",
        "--database",
        url,
    )
    assert done.exit_code == 1 and "Filtro no válido" in done.output
