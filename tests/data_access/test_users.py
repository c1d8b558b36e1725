"""Accounts, sign-in with throttling and the audit trail, on both engines, and their CLI."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from data_access import users
from data_access.cli import main

GOOD = "una-contraseña-larga"
T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture
def conn(empty_engine):
    with empty_engine.begin() as connection:
        yield connection


def test_passwords_are_stored_as_argon2id_hashes_only(conn):
    users.add_user(conn, "Ana.Admin", display_name="Ana", role="admin", password=GOOD)
    stored = conn.exec_driver_sql("SELECT password_hash FROM users").scalar_one()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    listed = users.list_users(conn)
    assert listed["username"].to_list() == ["ana.admin"]
    assert "password_hash" not in listed.columns and listed["has_password"][0] is True


@pytest.mark.parametrize(
    "username, role, password, message",
    [
        ("a", "admin", GOOD, "Nombre de usuario no válido"),
        ("ana admin", "admin", GOOD, "Nombre de usuario no válido"),
        ("ana", "root", GOOD, "Rol no válido"),
        ("ana", "admin", "corta", "al menos 10 caracteres"),
        ("ana", "admin", " con-espacios-1 ", "espacios"),
    ],
)
def test_bad_accounts_are_refused_in_spanish(conn, username, role, password, message):
    with pytest.raises(users.UserError, match=message):
        users.add_user(conn, username, display_name="X", role=role, password=password)


def test_duplicates_are_refused(conn):
    users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD, email="a@x.test")
    with pytest.raises(users.UserError, match="Ya existe"):
        users.add_user(conn, "ANA", display_name="Otra", role="seller", password=GOOD)
    with pytest.raises(users.UserError, match="correo"):
        users.add_user(
            conn, "otra", display_name="Otra", role="seller", password=GOOD, email="A@X.test"
        )


def test_authenticate_outcomes_and_audit(conn):
    users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
    users.add_user(conn, "vic", display_name="Vic", role="seller", password=GOOD)
    assert users.authenticate(conn, "ana", GOOD, now=T0).outcome == users.OK
    assert users.authenticate(conn, "ana", "otra-cosa-123", now=T0).outcome == users.BAD_CREDENTIALS
    assert users.authenticate(conn, "nadie", GOOD, now=T0).outcome == users.BAD_CREDENTIALS
    seller = users.authenticate(conn, "vic", GOOD, now=T0)
    assert seller.outcome == users.OK and not seller.user.is_admin
    users.set_active(conn, "ana", False)
    assert users.authenticate(conn, "ana", GOOD, now=T0).outcome == users.DISABLED
    actions = users.audit_log(conn)["action"].to_list()
    assert actions.count("login_ok") == 2 and actions.count("login_failed") == 3


def test_throttling_locks_for_a_while_then_lets_the_right_password_in(conn):
    users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
    policy = users.LoginPolicy(
        max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15)
    )
    for i in range(5):
        result = users.authenticate(
            conn, "ana", "mala-clave-123", policy=policy, now=T0 + timedelta(seconds=i)
        )
        assert result.outcome == users.BAD_CREDENTIALS
    locked = users.authenticate(conn, "ana", GOOD, policy=policy, now=T0 + timedelta(minutes=1))
    assert locked.outcome == users.THROTTLED
    later = users.authenticate(conn, "ana", GOOD, policy=policy, now=T0 + timedelta(minutes=20))
    assert later.outcome == users.OK
    # a success starts the count again
    again = users.authenticate(
        conn, "ana", "mala-clave-123", policy=policy, now=T0 + timedelta(minutes=21)
    )
    assert again.outcome == users.BAD_CREDENTIALS


def test_unknown_usernames_are_throttled_the_same_way(conn):
    for i in range(5):
        users.authenticate(conn, "fantasma", "x" * 12, now=T0 + timedelta(seconds=i))
    assert (
        users.authenticate(conn, "fantasma", "x" * 12, now=T0 + timedelta(minutes=1)).outcome
        == users.THROTTLED
    )


def test_single_sign_on_lookup_by_email(conn):
    users.add_user(
        conn, "ana", display_name="Ana", role="admin", password=None, email="Ana@Empresa.test"
    )
    assert users.user_for_email(conn, "ana@empresa.TEST").username == "ana"
    assert users.user_for_email(conn, "otra@empresa.test") is None
    assert users.authenticate(conn, "ana", "", now=T0).outcome == users.BAD_CREDENTIALS


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request, databases):
    return databases.url(request.param)


def cli(*args, input=None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def test_cli_users_lifecycle(url):
    added = cli(
        "users",
        "add",
        "Ana.Admin",
        "--name",
        "Ana Pérez",
        "--role",
        "admin",
        "--password-stdin",
        "--database",
        url,
        input=GOOD + "\n",
    )
    assert added.exit_code == 0 and "Usuario ana.admin creado (admin)" in added.output
    prompted = cli(
        "users",
        "add",
        "vic",
        "--name",
        "Víctor",
        "--role",
        "seller",
        "--database",
        url,
        input=f"{GOOD}\n{GOOD}\n",
    )
    assert prompted.exit_code == 0, prompted.output
    assert GOOD not in prompted.output
    listing = cli("users", "list", "--database", url)
    assert "ana.admin" in listing.output and "seller" in listing.output
    assert cli("users", "disable", "vic", "--database", url).exit_code == 0
    assert "vic                     seller  no" in cli("users", "list", "--database", url).output
    assert cli("users", "enable", "vic", "--database", url).exit_code == 0
    changed = cli(
        "users",
        "set-password",
        "vic",
        "--password-stdin",
        "--database",
        url,
        input="otra-clave-larga\n",
    )
    assert changed.exit_code == 0
    trail = cli("audit", "--database", url)
    assert trail.exit_code == 0 and "vacío" in trail.output


def test_cli_refuses_bad_requests_clearly(url):
    cli(
        "users",
        "add",
        "ana",
        "--name",
        "Ana",
        "--role",
        "admin",
        "--password-stdin",
        "--database",
        url,
        input=GOOD + "\n",
    )
    duplicate = CliRunner().invoke(
        main,
        [
            "users",
            "add",
            "ana",
            "--name",
            "A",
            "--role",
            "admin",
            "--password-stdin",
            "--database",
            url,
        ],
        input=GOOD + "\n",
    )
    assert duplicate.exit_code == 1 and "Ya existe el usuario ana" in duplicate.output
    short = CliRunner().invoke(
        main,
        [
            "users",
            "add",
            "bea",
            "--name",
            "B",
            "--role",
            "admin",
            "--password-stdin",
            "--database",
            url,
        ],
        input="corta\n",
    )
    assert short.exit_code == 1 and "al menos 10 caracteres" in short.output
    missing = CliRunner().invoke(main, ["users", "disable", "nadie", "--database", url])
    assert missing.exit_code == 1 and "No existe el usuario nadie" in missing.output
    as_argument = CliRunner().invoke(
        main,
        [
            "users",
            "add",
            "cai",
            "--name",
            "C",
            "--role",
            "admin",
            "--password",
            GOOD,
            "--database",
            url,
        ],
    )
    assert as_argument.exit_code == 2  # no way to pass a password as an argument


def test_cli_audit_lists_sign_ins_and_card_views(url):
    from data_access.engine import make_engine

    engine = make_engine(url)
    from data_access import migrate

    migrate.upgrade(engine)
    with engine.begin() as conn:
        users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
        users.authenticate(conn, "ana", GOOD)
        users.record(conn, "card_opened", "ana", contact_id=42)
    engine.dispose()
    shown = cli("audit", "--database", url).output
    assert "card_opened" in shown and "contacto=42" in shown and "login_ok" in shown
    only = cli("audit", "--action", "card_opened", "--database", url).output
    assert "login_ok" not in only


HOSTILE_SIGN_INS = [
    "ana\x00admin",
    "\x00",
    "ana\ud800",
    "\udfff" * 3,
    "a" * 10_000,
    "ana.admin\x00' OR '1'='1",
    "ánä.ädmín",
]


@pytest.mark.parametrize("typed", HOSTILE_SIGN_INS, ids=repr)
def test_hostile_usernames_fail_like_wrong_credentials_on_both_engines(conn, typed):
    users.add_user(conn, "ana.admin", display_name="Ana", role="admin", password="una-clave-larga")
    result = users.authenticate(conn, typed, "una-clave-larga")
    assert result.outcome == users.BAD_CREDENTIALS
    recorded = users.audit_log(conn)["username"].to_list()[-1]
    assert "\x00" not in recorded and len(recorded) <= 150
    recorded.encode("utf-8")  # storable text: no lone surrogate left


@pytest.mark.parametrize("password", ["una-clave\x00larga", "una-clave\ud800larga"], ids=repr)
def test_hostile_passwords_never_raise(conn, password):
    users.add_user(conn, "ana.admin", display_name="Ana", role="admin", password="una-clave-larga")
    assert users.authenticate(conn, "ana.admin", password).outcome == users.BAD_CREDENTIALS
    with pytest.raises(users.UserError, match="carácter nulo"):
        users.set_password(conn, "ana.admin", password)
    assert users.authenticate(conn, "ana.admin", "una-clave-larga").outcome == users.OK
