"""Pure parts of the contacts from the CRM: the contact URL setting, the card's CRM id line,
the search suggestion, the status of a contact without events, and fold's ASCII shortcut."""

import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard import card
from dashboard.search import result_label
from dashboard.settings import DEFAULT_CONTACT_URL, load_settings
from data_access import crm_contacts, policy
from data_access.text import fold

MOMENT = datetime(2026, 3, 3, 15, 5, tzinfo=UTC)


def test_the_contact_url_is_a_template_with_the_id_quoted():
    default = load_settings({})
    assert default.contact_url("C-1") == DEFAULT_CONTACT_URL.replace("{id}", "C-1")
    custom = load_settings({"RASTRO_CONTACT_URL": "https://crm.test/personas/{id}/ficha"})
    assert custom.problems == ()
    assert custom.contact_url("a/b c?d") == "https://crm.test/personas/a%2Fb%20c%3Fd/ficha"
    assert custom.contact_url(None) is None and custom.contact_url("") is None


@pytest.mark.parametrize(
    "value", ["javascript:alert(1)//{id}", "https://crm.test/sin-id", "crm.test/{id}"]
)
def test_an_invalid_contact_url_is_reported_and_the_default_used(value):
    loaded = load_settings({"RASTRO_CONTACT_URL": value})
    assert loaded.problems == ("settings.bad_contact_url",)
    assert loaded.contact_url("7") == DEFAULT_CONTACT_URL.replace("{id}", "7")


def test_the_card_shows_the_crm_id_as_an_escaped_link():
    links = load_settings({"RASTRO_CONTACT_URL": "https://crm.test/c/{id}"})
    line = card.crm_id_line({"crm_id": "C-1*[x](y)"}, links, "es")
    assert line == (
        ":material/badge: Id en el CRM: [C\\-1\\*\\[x\\]\\(y\\)](https://crm.test/c/C-1%2A%5Bx%5D%28y%29)"
    )
    assert card.crm_id_line({"crm_id": "C-1"}, links, "en").startswith(":material/badge: CRM id:")
    assert card.crm_id_line({"crm_id": None}, links, "es") is None


def test_a_suggestion_shows_the_crm_id_when_it_matched():
    row = {"name": "Ana", "email": "ana@example.com", "crm_id": "C-7", "blocked": None}
    assert "id del CRM C\\-7" in result_label({**row, "match": "crm_id_exact"}, "es")
    assert "C\\-7" not in result_label({**row, "match": "name_prefix"}, "es")


ADDRESSES = [
    "ana@example.com",
    "ANA@Example.com",
    "ana lopez@example.com",
    "ana@localhost",
    "josé@correo.es",
    "sin-arroba",
    "",
    "a@b",
    "=1+1",
]


@pytest.mark.parametrize("address", ADDRESSES)
def test_the_status_without_events_is_the_policys_verdict(address):
    verdict = policy.evaluate(address, [], created_at=MOMENT)
    block = verdict.primary
    want = (False, None, None) if block is None else (True, block.reason, block.since)
    assert crm_contacts._verdict_without_events(address, MOMENT) == want


def _fold_by_unicode(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.split())


@settings(max_examples=500)
@given(st.text(st.characters(max_codepoint=127)) | st.text())
def test_folds_ascii_shortcut_gives_the_unicode_result(value):
    assert fold(value) == _fold_by_unicode(value)
