"""Small Streamlit helpers shared by the pages: language, translated text, database errors."""

from contextlib import contextmanager

import sqlalchemy as sa
import streamlit as st

from data_access import DatabaseUnavailable
from data_access.engine import is_damaged, unavailable

from . import data
from .formatting import format_count
from .i18n import CATALOGUE, DEFAULT_LANGUAGE, md, t
from .markdown import Markdown

ENGLISH_KEY = "lang_en"


def language() -> str:
    """Spanish unless the session switched to English."""
    return "en" if st.session_state.get(ENGLISH_KEY) else DEFAULT_LANGUAGE


def text(key: str, **values) -> Markdown:
    """The catalogue text for `key` in the session's language, as Markdown to draw: every
    value is escaped (names, file names, typed text, driver errors…) unless it is Markdown
    made by dashboard.markdown, so that no value can add a link, an image or a colour."""
    return md(key, language(), **values)


def plain(key: str, **values) -> str:
    """The same text with its values as they are, for places that are not Markdown: dataframe
    column labels, selectbox options, Altair titles, file names."""
    return t(key, language(), **values)


def render_language_switch(container) -> None:
    container.toggle(t("language.switch"), key=ENGLISH_KEY, persist_state="session")


def render_settings_problems(container) -> None:
    for key in data.settings().problems:
        container.warning(text(key))


def message_of(error: Exception, family: str) -> str:
    """An error of the data layer in the interface's language. Its Spanish message is meant for
    the command line; errors that carry a `key` (and `params`) have the same message in the
    catalogue as `<family>.<key>`. Without a key, or a catalogue entry, the error's own text."""
    key = getattr(error, "key", None)
    if key and f"{family}.{key}" in CATALOGUE:
        return text(f"{family}.{key}", **getattr(error, "params", {}))
    return str(error)


def engine_or_stop():
    """The engine, or a Spanish message and the end of the page when the database is down. The
    first run of a process, which opens the database (and on a fresh clone builds the demo
    world), says what it is doing, step by step."""
    if data.engine_opened() or not data.first_start():
        try:
            return data.engine()
        except DatabaseUnavailable as error:
            _stop_unavailable(error)
    box = st.status(text("startup.opening"), expanded=True)

    def progress(step: str, values: dict) -> None:
        shown = {k: format_count(v, language()) for k, v in values.items()}
        box.write(text(f"startup.{step}", **shown))

    try:
        engine = data.engine(progress)
    except DatabaseUnavailable as error:
        box.update(label=text("startup.failed"), state="error", expanded=False)
        _stop_unavailable(error)
    box.update(label=text("startup.ready"), state="complete", expanded=False)
    return engine


def _stop_unavailable(error: DatabaseUnavailable):
    st.error(text("error.database", detail=message_of(error, "error.database")))
    st.stop()


@contextmanager
def database_errors_shown():
    """Show a failed query as a clear message instead of a traceback, and end the page (an
    SQLite file found damaged while reading it: which file, and what to do)."""
    try:
        yield
    except sa.exc.DatabaseError as error:
        if is_damaged(error):
            damaged = unavailable(data.engine().url, error)
            st.error(text("error.database", detail=message_of(damaged, "error.database")))
        elif isinstance(error, sa.exc.OperationalError):
            st.error(text("error.query", detail=str(error.orig).strip()))
        else:
            raise
        st.stop()
    except sa.exc.InterfaceError as error:
        st.error(text("error.query", detail=str(getattr(error, "orig", error)).strip()))
        st.stop()
