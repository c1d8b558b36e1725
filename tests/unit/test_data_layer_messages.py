"""Errors of the data layer reach the English interface in English: each carries a catalogue
key and its values, and the Spanish entry is exactly the message the command line prints."""

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from dashboard import i18n
from data_access import DatabaseUnavailable
from data_access.engine import check_connection, make_engine


def _unreachable() -> DatabaseUnavailable:
    engine = make_engine("postgresql+psycopg://nadie@127.0.0.1:1/nada", poolclass=sa.NullPool)
    with pytest.raises(DatabaseUnavailable) as caught:
        check_connection(engine)
    return caught.value


def test_an_unreachable_database_has_a_key_whose_spanish_entry_is_its_message():
    error = _unreachable()
    assert error.key == "connect"
    key = f"error.database.{error.key}"
    assert i18n.t(key, "es", **error.params) == str(error)
    english = i18n.t(key, "en", **error.params)
    assert english.startswith("Cannot connect to the database") and english != str(error)


def test_the_folder_message_has_the_same_key_and_values(tmp_path):
    blocker = tmp_path / "archivo"
    blocker.write_text("no soy una carpeta")
    with pytest.raises(DatabaseUnavailable) as caught:
        make_engine(f"sqlite:///{blocker}/sub/rastro.sqlite3")
    error = caught.value
    assert error.key == "folder"
    assert i18n.t("error.database.folder", "es", **error.params) == str(error)


def _page_with(error: Exception, family: str, english: bool) -> AppTest:
    def script(error, family, english):
        import streamlit as st

        from dashboard import ui

        st.session_state[ui.ENGLISH_KEY] = english
        st.write(ui.message_of(error, family))

    return AppTest.from_function(script, args=(error, family, english)).run()


@pytest.mark.parametrize("english", [False, True])
def test_message_of_shows_the_catalogue_entry_in_the_interface_language(english):
    error = _unreachable()
    shown = _page_with(error, "error.database", english).markdown[0].value
    language = "en" if english else "es"
    assert shown == i18n.md("error.database.connect", language, **error.params)


def test_message_of_keeps_the_text_of_an_error_without_a_key():
    shown = _page_with(ValueError("sin clave"), "error.database", True).markdown[0].value
    assert shown == "sin clave"
