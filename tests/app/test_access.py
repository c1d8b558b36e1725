"""Access control through AppTest: only active administrators see anything beyond sign-in."""

import time

import pytest

from dashboard import auth
from data_access import migrate, users
from data_access.engine import make_engine
from tests.story import PASSWORD

from .conftest import PAGES

PAGE_SCRIPTS = sorted(PAGES.glob("*.py"))


@pytest.fixture
def story(story_db):
    return story_db.engine, story_db.ids


@pytest.fixture
def entry(story_db, make_app):
    """A new AppTest of the entrypoint (a new browser tab) on the story database."""
    return lambda: make_app(story_db)


def sign_in(at, username, password=PASSWORD):
    at.run()
    at.text_input(key="sign_in_user").input(username)
    at.text_input(key="sign_in_password").input(password)
    at.get("form_submit_button")[0].click()
    at.run()
    assert not at.exception, at.exception
    return at


def shown(at):
    parts = []
    for kind in ("title", "markdown", "caption", "error", "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def audit(engine, action=None):
    with engine.connect() as conn:
        return users.audit_log(conn, action=action)


def test_a_visitor_sees_only_the_sign_in_page_even_with_a_deep_link(story, entry):
    _, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["jose"])
    at.run()
    assert not at.exception
    assert "Usuarios autorizados: Administradores." in shown(at)
    assert at.text_input(key="sign_in_password").proto.type == 1  # a password field
    assert "José Núñez" not in shown(at)
    assert not at.get("text_input") or all(t.key != "busqueda" for t in at.text_input)


def test_an_administrator_signs_in_and_the_deep_link_still_opens(story, entry):
    engine, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["jose"])
    sign_in(at, "Ana.Admin ")  # case and spaces do not matter
    assert "Los próximos envíos no se realizarán" in shown(at)
    assert "Sesión de Ana Administradora (administrador)" in shown(at)
    trail = audit(engine)
    assert trail["action"].to_list()[:2] == ["card_opened", "login_ok"]
    assert trail["contact_id"][0] == ids["jose"]


@pytest.mark.parametrize(
    "username, password", [("ana.admin", "equivocada-123"), ("nadie.existe", PASSWORD), ("", "")]
)
def test_wrong_password_and_unknown_user_get_the_same_answer(story, username, password, entry):
    engine, _ = story
    at = sign_in(entry(), username, password)
    assert "Usuario o contraseña incorrectos." in [e.value for e in at.error]
    assert at.text_input(key="sign_in_user") is not None
    assert audit(engine, "login_failed").height == 1


def test_a_seller_is_refused_on_every_url(story, entry):
    engine, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["jose"])
    sign_in(at, "victor.ventas")
    assert "No autorizado" in shown(at)
    assert "José Núñez" not in shown(at)
    assert not any(t.key == "busqueda" for t in at.text_input)
    assert audit(engine, "access_denied")["username"].to_list() == ["victor.ventas"]


def test_a_disabled_account_is_told_only_after_the_right_password(story, entry):
    at = sign_in(entry(), "dora.baja")
    assert "Tu cuenta está desactivada" in at.error[0].value
    at = sign_in(entry(), "dora.baja", "equivocada-123")
    assert at.error[0].value == "Usuario o contraseña incorrectos."


def test_five_failures_lock_the_username_without_revealing_if_it_exists(story, entry):
    engine, _ = story
    for username in ("ana.admin", "fantasma"):
        for _ in range(5):
            at = sign_in(entry(), username, "equivocada-123")
            assert "incorrectos" in at.error[0].value
        at = sign_in(entry(), username, PASSWORD)
        assert (
            "Demasiados intentos fallidos con este usuario. Espera 15 minutos" in at.error[0].value
        )
    assert audit(engine, "login_throttled").height == 2
    # other usernames are not affected
    assert "No autorizado" in shown(sign_in(entry(), "victor.ventas"))


def test_sign_out(story, entry):
    engine, _ = story
    at = sign_in(entry(), "ana.admin")
    at.button(key="sign_out").click().run()
    assert "Has cerrado la sesión." in shown(at)
    assert at.text_input(key="sign_in_password") is not None
    assert audit(engine)["action"][0] == "logout"


def test_an_idle_session_expires(story, monkeypatch, entry):
    engine, _ = story
    monkeypatch.setenv("RASTRO_IDLE_MINUTES", "30")
    at = sign_in(entry(), "ana.admin")
    at.session_state["auth_seen"] = time.time() - 31 * 60
    at.run()
    assert "Tu sesión ha caducado por inactividad" in shown(at)
    assert at.text_input(key="sign_in_password") is not None
    assert audit(engine)["action"][0] == "session_expired"


def test_disabling_a_signed_in_user_ends_the_session_at_the_next_click(story, entry):
    engine, _ = story
    at = sign_in(entry(), "ana.admin")
    with engine.begin() as conn:
        users.set_active(conn, "ana.admin", False)
    at.run()
    assert "la cuenta ya no está activa" in shown(at)


def test_a_card_view_is_audited_once(story, entry):
    engine, ids = story
    at = entry()
    at.query_params["contacto"] = str(ids["pedro"])
    sign_in(at, "ana.admin")
    at.run()
    at.run()
    assert audit(engine, "card_opened")["contact_id"].to_list() == [ids["pedro"]]


def test_no_users_yet_says_how_to_create_one(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    at = make_app(url)
    at.run()
    assert "python -m data_access users add" in shown(at)


# --- every page checks the role itself ------------------------------------------------------


def test_there_are_pages_to_check():
    assert PAGE_SCRIPTS, "app_pages/ must hold the page scripts"
    assert {p.name for p in PAGE_SCRIPTS} == set(ADMIN_VIEW), "say what each page draws"


@pytest.mark.parametrize("page", PAGE_SCRIPTS, ids=lambda p: p.name)
@pytest.mark.parametrize("who", [None, "victor.ventas", "dora.baja"])
def test_no_page_renders_data_without_an_administrator(story_db, make_app, page, who):
    """Run each page script on its own (as an old session or a direct URL could): whatever
    the page, a visitor, a seller or a disabled admin gets a refusal and nothing else."""
    at = make_app(story_db, page, user=who)
    at.query_params["contacto"] = str(story_db.ids["jose"])
    at.run()
    assert not at.exception
    refusals = [e.value for e in at.warning] + [e.value for e in at.error]
    assert any("Inicia sesión" in r or "No autorizado" in r for r in refusals), refusals
    page_elements = [e for e in at.main.children.values()]
    assert len(page_elements) == 1, "nothing but the refusal may be drawn"


# What each page draws for an administrator: its title and the widget it starts from.
ADMIN_VIEW = {
    "contactos.py": ("Qué pasó con los correos de un contacto", "text_input", "busqueda"),
    "informes.py": ("Informes de rebotes, spam y envíos no realizados", "date_input", "desde"),
    "importar.py": ("Importar eventos de entrega", "selectbox", "import_provider"),
    # Recepción starts from its table of providers (a table, not a widget: no key).
    "recepcion.py": ("Recepción de eventos en vivo", "dataframe", None),
    "bloqueados.py": ("Contactos bloqueados", "multiselect", "motivos"),
}


@pytest.mark.parametrize("page", PAGE_SCRIPTS, ids=lambda p: p.name)
def test_every_page_works_for_an_administrator(story_db, make_app, page):
    title, kind, key = ADMIN_VIEW[page.name]
    at = make_app(story_db, page, user="ana.admin")
    at.run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == [title]
    assert getattr(at, kind)(key=key) is not None if key else len(getattr(at, kind)) == 1
    refusals = [e.value for e in at.warning] + [e.value for e in at.error]
    assert not any("Inicia sesión" in r or "No autorizado" in r for r in refusals), refusals
    assert len(at.main.children) > 1, "more than a refusal is drawn"


# --- single sign-on -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "email, expected",
    [
        ("ana.admin@crm.test", "Qué pasó con los correos de un contacto"),
        ("VICTOR.VENTAS@crm.test", "No autorizado"),
        ("dora.baja@crm.test", "no está autorizada en Rastro"),
        ("desconocido@otra.test", "no está autorizada en Rastro"),
    ],
)
def test_single_sign_on_maps_the_email_to_a_role(story, monkeypatch, email, expected, entry):
    engine, _ = story
    monkeypatch.setattr(auth, "sso_configured", lambda: True)
    monkeypatch.setattr(auth, "_sso_email", lambda: email)
    at = entry()
    at.run()
    assert not at.exception
    assert expected in shown(at)
    with engine.connect() as conn:
        actions = users.audit_log(conn)["action"].to_list()
    assert ("login_ok" in actions) == (not email.startswith(("dora", "desconocido")))
