"""Every fragment and callback checks the session exactly as a full run does (issue 17, §3).

A fragment that reruns alone does not pass through the page's `require_admin`: here each one
runs on its own (no entrypoint, no page check before it) after the session expired, reached its
lifetime, was signed out or its account was disabled, and for a seller and a visitor; nothing
of the data may be drawn. The same fragment with an open administrator's session draws the data,
so the test can fail. A static check makes sure no fragment or callback escapes the guard.
"""

import ast
import importlib
import pkgutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

import dashboard
from dashboard import auth
from data_access import schema, users

from .conftest import ROOT, open_session

SOURCES = sorted((ROOT / "dashboard").glob("*.py")) + sorted((ROOT / "app_pages").glob("*.py"))
for info in pkgutil.iter_modules(dashboard.__path__):  # every fragment registers on import
    importlib.import_module(f"dashboard.{info.name}")

# How to run each guarded fragment so that it would draw data: its arguments and the widget
# state it starts from, and a text of the story that appears only when it does.
FRAGMENT_RUNS = {
    "dashboard.search.render_search": {"args": (), "state": {"busqueda": "jos"}, "data": "Núñez"},
}


def run_fragment(module: str, name: str, args: tuple) -> None:
    """The script of the AppTest: only the fragment, as when it reruns alone."""
    import importlib

    getattr(importlib.import_module(module), name)(*args)


def drawn(at) -> str:
    parts = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "button"):
        parts += [str(getattr(e, "label", None) or e.value) for e in getattr(at, kind)]
    return "\n".join(parts)


def _age(engine, **columns):
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(
            schema.user_sessions.update().values(**{k: now - v for k, v in columns.items()})
        )


def _end(how):
    def change(engine):
        with engine.begin() as conn:
            if how == "disabled":
                users.set_active(conn, "ana.admin", False)
            else:
                conn.execute(
                    schema.user_sessions.update().values(
                        ended_at=datetime.now(UTC), end_reason="logout"
                    )
                )

    return change


STATES = {
    "idle": lambda engine: _age(engine, last_seen_at=timedelta(minutes=31)),
    "lifetime": lambda engine: _age(engine, created_at=timedelta(hours=13)),
    "disabled": _end("disabled"),
    "signed_out": _end("logout"),
}


def test_every_fragment_has_a_run_here():
    """Every fragment of every page (all are auth.fragment: see the static check below) runs
    in the tests after expiry, lifetime, sign-out and disabling, whatever its name."""
    assert "dashboard.search.render_search" in auth.FRAGMENTS
    missing = [name for name in auth.FRAGMENTS if name not in FRAGMENT_RUNS]
    assert not missing, f"add these fragments to FRAGMENT_RUNS: {missing}"
    assert set(FRAGMENT_RUNS) <= set(auth.FRAGMENTS)


def _fragment_app(story_db, make_app, browser, name, user):
    make_app(story_db)  # environment and working folder
    if user:
        browser.hold(open_session(story_db.engine, user))
    module, _, attr = name.rpartition(".")
    run = FRAGMENT_RUNS[name]
    at = AppTest.from_function(run_fragment, args=(module, attr, run["args"]), default_timeout=60)
    for key, value in run["state"].items():
        at.session_state[key] = value
    return at, run


@pytest.mark.parametrize("name", sorted(FRAGMENT_RUNS))
def test_a_fragment_draws_its_data_for_an_open_session(story_db, make_app, browser, name):
    at, run = _fragment_app(story_db, make_app, browser, name, "ana.admin")
    at.run()
    assert not at.exception, at.exception
    assert run["data"] in drawn(at)


@pytest.mark.parametrize("name", sorted(FRAGMENT_RUNS))
@pytest.mark.parametrize("state", sorted(STATES))
def test_a_fragment_draws_nothing_after_its_session_ended(
    story_db, make_app, browser, name, state, monkeypatch
):
    monkeypatch.setenv("RASTRO_IDLE_MINUTES", "30")
    at, run = _fragment_app(story_db, make_app, browser, name, "ana.admin")
    STATES[state](story_db.engine)
    at.run()
    assert not at.exception, at.exception
    assert run["data"] not in drawn(at)
    assert [w.value for w in at.warning] == ["Inicia sesión para ver esta página."]
    assert len(at.main.children) == 1, "nothing but the refusal"


@pytest.mark.parametrize("name", sorted(FRAGMENT_RUNS))
@pytest.mark.parametrize("who", [None, "victor.ventas"])
def test_a_fragment_draws_nothing_for_a_visitor_or_a_seller(story_db, make_app, browser, name, who):
    at, run = _fragment_app(story_db, make_app, browser, name, who)
    at.run()
    assert not at.exception, at.exception
    assert run["data"] not in drawn(at)
    assert len(at.main.children) == 1


# --- callbacks and the deferred download ----------------------------------------------------

CALLS = []


def _counted():
    CALLS.append(1)


GUARDED_CALLBACK = auth.callback(_counted)


def press_guarded_callback():
    from tests.app import test_guards

    test_guards.GUARDED_CALLBACK()


@pytest.mark.parametrize("user, state, calls", [("ana.admin", None, 1), ("ana.admin", "idle", 0)])
def test_a_guarded_callback_runs_only_for_an_open_session(
    story_db, make_app, browser, user, state, calls, monkeypatch
):
    monkeypatch.setenv("RASTRO_IDLE_MINUTES", "30")
    make_app(story_db)
    browser.hold(open_session(story_db.engine, user))
    if state:
        STATES[state](story_db.engine)
    CALLS.clear()
    at = AppTest.from_function(press_guarded_callback, default_timeout=60).run()
    assert not at.exception, at.exception
    assert len(CALLS) == calls


def make_reader():
    from datetime import date

    import streamlit as st

    from dashboard import data
    from data_access.reports import DrillTarget, ReportFilter

    filter_ = ReportFilter(date(2026, 1, 1), date(2026, 12, 31))
    st.session_state["reader"] = data.affected_reader(filter_, DrillTarget("bounced"), 100)


def test_the_deferred_download_checks_the_session_when_pressed(story_db, make_app, browser):
    make_app(story_db)
    browser.hold(open_session(story_db.engine, "ana.admin"))
    at = AppTest.from_function(make_reader, default_timeout=60).run()
    assert not at.exception, at.exception
    read = at.session_state["reader"]
    assert read().height > 0  # the page's run had an open session
    STATES["disabled"](story_db.engine)
    emptied = read()  # pressed later, from Streamlit's thread, after the account was disabled
    assert isinstance(emptied, pl.DataFrame) and emptied.is_empty()


# --- nothing escapes the guard ----------------------------------------------------------------


def _callback_targets(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in ("on_click", "on_change", "on_submit", "on_select"):
                    yield node, keyword.value


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_unguarded_fragment_or_callback(source: Path):
    tree = ast.parse(source.read_text(encoding="utf-8"))
    if source.name != "auth.py":
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and "streamlit" in node.module:
                names = {alias.name for alias in node.names}
                assert not names & {"fragment", "experimental_fragment"}, (
                    f"{source.name}:{node.lineno}: use auth.fragment"
                )
            if isinstance(node, ast.Attribute) and node.attr == "experimental_fragment":
                raise AssertionError(f"{source.name}:{node.lineno}: use auth.fragment")
            if isinstance(node, ast.Attribute) and node.attr == "fragment":
                owner = node.value
                assert isinstance(owner, ast.Name) and owner.id == "auth", (
                    f"{source.name}:{node.lineno}: use auth.fragment, not st.fragment"
                )
    module = None
    if source.parent.name == "dashboard":
        module = importlib.import_module(f"dashboard.{source.stem}")
    for call, target in _callback_targets(tree):
        where = f"{source.name}:{call.lineno}"
        if isinstance(target, ast.Constant) and target.value in ("rerun", "ignore", None):
            continue  # no code runs
        text = ast.unparse(target)
        if text in ("st.login", "st.logout"):
            continue  # the identity provider's own sign-in, for visitors
        assert module is not None and isinstance(target, (ast.Name, ast.Attribute)), (
            f"{where}: callbacks live in dashboard/ as named auth.callback functions"
        )
        value = module
        for part in text.split("."):
            value = getattr(value, part)
        assert getattr(value, "rastro_guarded", False), f"{where}: {text} is not auth.callback"
