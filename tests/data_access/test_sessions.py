"""Dashboard sessions on both engines: one-time nonces, hashed tokens, every way a session ends,
throttled activity writes, the audit trail, and the CLI."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from data_access import migrate, schema, sessions, users
from data_access.cli import main
from data_access.engine import make_engine

GOOD = "una-contraseña-larga"
T0 = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
LIMITS = sessions.Limits(idle=timedelta(minutes=30), lifetime=timedelta(hours=12))


@pytest.fixture
def engine(empty_engine):
    with empty_engine.begin() as conn:
        users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
        users.add_user(conn, "vic", display_name="Víctor", role="seller", password=GOOD)
    return empty_engine


def open_session(engine, username="ana", at=T0, method="password"):
    with engine.begin() as conn:
        nonce = sessions.begin(conn, username, method, now=at)
    with engine.begin() as conn:
        return sessions.redeem(conn, nonce, now=at + timedelta(seconds=1))


def check(engine, token, at):
    with engine.begin() as conn:
        return sessions.check(conn, token, LIMITS, now=at)


def row(engine, token):
    with engine.connect() as conn:
        return conn.execute(
            sa.select(schema.user_sessions).where(
                schema.user_sessions.c.token_hash == sessions.digest(token)
            )
        ).one()


def trail(engine, action):
    with engine.connect() as conn:
        return users.audit_log(conn, action=action)


def test_a_nonce_gives_one_token_once_and_only_hashes_are_stored(engine):
    with engine.begin() as conn:
        nonce = sessions.begin(conn, "ana", "password", now=T0)
    with engine.begin() as conn:
        token = sessions.redeem(conn, nonce, now=T0 + timedelta(seconds=5))
        again = sessions.redeem(conn, nonce, now=T0 + timedelta(seconds=6))
    assert sessions.plausible(token) and again is None
    with engine.connect() as conn:
        stored = conn.execute(sa.select(schema.user_sessions)).one()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert (
        stored.nonce_hash is None
        and token not in str(tuple(stored))
        and nonce not in str(tuple(stored))
    )
    assert check(engine, token, T0 + timedelta(minutes=1)).user.username == "ana"
    started = trail(engine, "session_started")
    assert started.height == 1 and started["detail"][0].startswith("contraseña; sesión ")


def test_a_new_token_at_each_sign_in(engine):
    first, second = open_session(engine), open_session(engine)
    assert first != second
    assert check(engine, first, T0).open and check(engine, second, T0).open


def test_an_expired_nonce_is_refused_and_ended_as_unused_at_the_next_sign_in(engine):
    with engine.begin() as conn:
        nonce = sessions.begin(conn, "ana", "password", now=T0)
    with engine.begin() as conn:
        assert sessions.redeem(conn, nonce, now=T0 + sessions.NONCE_TTL) is None
    open_session(engine, at=T0 + timedelta(minutes=5))
    with engine.connect() as conn:
        reasons = conn.execute(
            sa.select(schema.user_sessions.c.end_reason).order_by(schema.user_sessions.c.id)
        ).scalars()
        assert list(reasons) == ["unused", None]
    assert trail(engine, "session_ended").is_empty()  # it never started


@pytest.mark.parametrize("forged", [None, "", "x", "A" * 43, "ñ" * 43, "a" * 500, 42])
def test_forged_tokens_find_nothing(engine, forged):
    open_session(engine)
    assert check(engine, forged, T0) == sessions.SessionCheck()
    with engine.begin() as conn:
        assert sessions.redeem(conn, forged if isinstance(forged, str) else "", now=T0) is None
        assert sessions.end(conn, forged, now=T0) is False


def test_activity_is_written_at_most_once_a_minute(engine):
    token = open_session(engine)
    opened = row(engine, token).last_seen_at
    check(engine, token, T0 + timedelta(seconds=30))
    assert row(engine, token).last_seen_at == opened
    check(engine, token, T0 + timedelta(seconds=75))
    assert row(engine, token).last_seen_at == T0 + timedelta(seconds=75)
    check(engine, token, T0 + timedelta(seconds=100))
    assert row(engine, token).last_seen_at == T0 + timedelta(seconds=75)


def test_idle_sessions_end_and_stay_ended(engine):
    token = open_session(engine)
    assert check(engine, token, T0 + timedelta(minutes=29)).open
    # the activity at 29 min was written (older than a minute): 30 min idle from there is fine
    assert check(engine, token, T0 + timedelta(minutes=58)).open
    late = check(engine, token, T0 + timedelta(minutes=58 + 31))
    assert late.ended_reason == "idle" and not late.open
    assert check(engine, token, T0 + timedelta(minutes=90)).ended_reason == "idle"
    ended = trail(engine, "session_ended")
    assert ended.height == 1 and ended["detail"][0].startswith("inactividad; sesión ")


def test_the_absolute_lifetime_ends_even_an_active_session(engine):
    token = open_session(engine)
    for minutes in range(20, 12 * 60, 20):  # a click every 20 minutes, up to 11 h 40 min
        assert check(engine, token, T0 + timedelta(minutes=minutes)).open
    assert check(engine, token, T0 + timedelta(hours=12)).ended_reason == "lifetime"


def test_sign_out_ends_the_session_everywhere(engine):
    token, other = open_session(engine), open_session(engine)
    with engine.begin() as conn:
        assert sessions.end(conn, token, now=T0 + timedelta(minutes=1)) is True
        assert sessions.end(conn, token, now=T0 + timedelta(minutes=2)) is False
    assert check(engine, token, T0 + timedelta(minutes=3)).ended_reason == "logout"
    assert check(engine, other, T0 + timedelta(minutes=3)).open  # another sign-in stays
    assert trail(engine, "session_ended")["detail"].to_list()[0].startswith("cierre de sesión")


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda conn: users.set_active(conn, "ana", False), "disabled"),
        (lambda conn: users.set_password(conn, "ana", "otra-contraseña-larga"), "password_changed"),
    ],
)
def test_disabling_or_a_new_password_ends_every_session_of_the_account(engine, change, reason):
    tokens = [open_session(engine), open_session(engine)]
    seller = open_session(engine, "vic")
    with engine.begin() as conn:
        nonce = sessions.begin(conn, "ana", "sso", now=T0)  # a sign-in not yet redeemed
        assert change(conn) == 2
    for token in tokens:
        assert check(engine, token, T0 + timedelta(minutes=1)).ended_reason == reason
    assert check(engine, seller, T0 + timedelta(minutes=1)).open
    with engine.begin() as conn:
        assert sessions.redeem(conn, nonce, now=T0 + timedelta(seconds=2)) is None
    assert trail(engine, "session_ended").height == 2


def test_enabling_again_does_not_revive_ended_sessions(engine):
    token = open_session(engine)
    with engine.begin() as conn:
        users.set_active(conn, "ana", False)
        assert users.set_active(conn, "ana", True) == 0
    assert check(engine, token, T0 + timedelta(minutes=1)).ended_reason == "disabled"


def test_an_account_disabled_behind_the_functions_back_is_caught_by_the_check(engine):
    token = open_session(engine)
    with engine.begin() as conn:
        conn.execute(schema.users.update().values(active=False))
    assert check(engine, token, T0 + timedelta(minutes=1)).ended_reason == "disabled"


def test_a_sellers_session_is_open_but_not_an_administrators(engine):
    checked = check(engine, open_session(engine, "vic"), T0)
    assert checked.open and not checked.user.is_admin


def test_the_database_refuses_unknown_reasons_and_methods(engine):
    token = open_session(engine)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(schema.user_sessions.update().values(ended_at=T0, end_reason="porque sí"))
    with pytest.raises(ValueError), engine.begin() as conn:
        sessions.begin(conn, "ana", "magia", now=T0)
    assert check(engine, token, T0).open


# --- CLI ------------------------------------------------------------------------------------


@pytest.fixture(params=("sqlite", "postgresql"))
def url(request, databases):
    return databases.url(request.param)


def cli(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_cli_lists_and_ends_sessions(url):
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        with engine.begin() as conn:
            users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
            nonce = sessions.begin(conn, "ana", "password")
        with engine.begin() as conn:
            token = sessions.redeem(conn, nonce)
        listing = cli("users", "sessions", "--database", url)
        assert "ana" in listing.output and "contraseña" in listing.output
        assert (
            cli("users", "sign-out", "ana", "--database", url).output == "Sesiones cerradas: 1.\n"
        )
        assert cli("users", "sessions", "--database", url).output == "No hay sesiones abiertas.\n"
        everything = cli("users", "sessions", "--all", "--database", url).output
        assert "(cierre de sesión)" in everything
        with engine.begin() as conn:
            assert sessions.check(conn, token).ended_reason == "logout"
        nobody = CliRunner().invoke(main, ["users", "sign-out", "nadie", "--database", url])
        assert nobody.exit_code == 1 and "No existe el usuario nadie" in nobody.output
    finally:
        engine.dispose()


def test_cli_disable_says_how_many_sessions_it_ended(url):
    engine = make_engine(url)
    migrate.upgrade(engine)
    try:
        with engine.begin() as conn:
            users.add_user(conn, "ana", display_name="Ana", role="admin", password=GOOD)
            nonce = sessions.begin(conn, "ana", "password")
        with engine.begin() as conn:
            sessions.redeem(conn, nonce)
        done = cli("users", "disable", "ana", "--database", url)
        assert done.output == "Usuario ana desactivado.\nSesión abierta cerrada.\n"
    finally:
        engine.dispose()
