"""The one helper for text from outside (dashboard.markdown), driven with the whole corpus:
nothing of a value is ever live Markdown, the catalogue's texts keep their own Markdown, and a
value made Markdown once is never escaped twice."""

import pytest

from dashboard import i18n, markdown
from dashboard.markdown import Markdown, md_code, md_escape, md_format, md_link
from tests.support.hostile import CHEAP, CORPUS, live_markup


@pytest.mark.parametrize("name", CHEAP)
def test_an_escaped_value_has_no_live_markdown(name):
    escaped = md_escape(CORPUS[name])
    assert isinstance(escaped, Markdown)
    assert live_markup(escaped) == [], escaped[:200]


@pytest.mark.parametrize("name", CHEAP)
def test_a_catalogue_text_escapes_its_values_once(name):
    value = CORPUS[name]
    shown = i18n.md("search.none", "es", text=value)
    assert shown == i18n.t("search.none", "es", text=md_escape(value))
    assert md_escape(shown) == shown  # Markdown already: never escaped again
    assert i18n.md("search.none", "es", text=md_escape(value)) == shown


def test_the_naive_text_would_draw_markup():
    """The check above can fail: the raw values are live Markdown."""
    for name in ("md_link", "red", "bare_url", "www", "email", "shortcode", "heading"):
        assert live_markup(i18n.t("search.none", "es", text=CORPUS[name])), name


def test_autolink_and_shortcode_patterns_are_broken_by_an_invisible_joiner():
    assert md_escape("a@b.co") == "a\u2060\\@b\\.co"
    assert md_escape("https://x") == "https\\:\u2060\\/\\/x"
    assert md_escape("www.x") == "www\u2060\\.x"
    assert md_escape("a\n\n# b") == "a  \\# b"


def test_numbers_and_dates_keep_their_format_spec():
    assert md_format("{n:,} {d:%Y}", n=1234, d=__import__("datetime").date(2026, 1, 2)) == (
        "1,234 2026"
    )


def test_links_only_to_http_urls_with_the_label_escaped():
    assert md_link("[x](y)", "https://crm/1 (a)") == "[\\[x\\]\\(y\\)](https://crm/1%20%28a%29)"
    assert md_link("x", "javascript:alert(1)") == "x"
    assert md_link("x", None) == "x"


def test_code_spans_hold_any_backticks():
    assert md_code("a`b") == "``a`b``"
    assert md_code("`") == "`` ` ``"
    assert md_code("") == ""
    assert md_code("a\nb") == "`a b`"


def test_the_module_documents_the_rule():
    assert "WORD JOINER" in markdown.__doc__


def test_no_catalogue_text_puts_a_value_inside_a_code_span():
    """Backslash escapes are not read inside backticks: an escaped value there would show its
    backslashes (America\\/Mexico\\_City). A code span with a value is made by md_code."""
    import re

    inside = [
        (key, language, span)
        for key, texts in i18n.CATALOGUE.items()
        for language, value in texts.items()
        for span in re.findall(r"`[^`]*`", value)
        if re.search(r"\{\w+\}", span)
    ]
    assert inside == []
