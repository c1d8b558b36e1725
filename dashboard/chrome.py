"""Spanish for the few words Streamlit draws itself in English (its widgets' own chrome).

Streamlit 1.67 has no locale setting and no parameter for these texts (the file uploader's
"Upload", "Drag and drop files here" and "200MB per file", the multiselect's "Select all"):
they are fixed in its browser code (streamlit/streamlit#13500 asks for it). The last resort is
CSS: each English text is hidden and the catalogue's text drawn in its place. The selectors are
Streamlit's test ids and ARIA attributes, the most stable parts of its markup; the browser tests
read the Spanish words on screen, so a Streamlit upgrade that changes them fails a test.
"""

import streamlit as st

from .i18n import t

FONT_SIZE = "0.875rem"  # what Streamlit 1.67 draws these texts in
# (selector of the element whose English text is replaced, catalogue key of the Spanish one)
_REPLACED = (
    (
        '[data-testid="stFileUploaderDropzone"] [data-testid="stBaseButton-secondary"] '
        '[data-testid="stMarkdownContainer"] p',
        "chrome.upload",
    ),
    ('[data-testid="stFileUploaderDropzoneInstructions"] span', "chrome.max_size"),
    # While files are dragged over the box (the only div without a test id in it).
    ('[data-testid="stFileUploaderDropzone"] > div:not([data-testid]) > span', "chrome.drop"),
    ('[role="option"][data-key="__select_all__"] [data-item-hl]', "chrome.select_all"),
    ('[role="option"][data-key="__select_matches__"] [data-item-hl]', "chrome.select_matches"),
)


def _css_string(value: str) -> str:
    """A CSS string literal (the catalogue's text has no markup, but quotes are escaped)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return '"' + escaped.replace("\n", " ") + '"'


def chrome_css(lang: str, max_upload_mb: int) -> str:
    """The style sheet that draws the catalogue's words over Streamlit's English ones; empty in
    English (Streamlit's own words are then the right ones)."""
    if lang == "en":
        return ""
    rules = []
    for selector, key in _REPLACED:
        words = _css_string(t(key, lang, size=max_upload_mb))
        # font-size 0 hides the English text but keeps the element, whose width then follows
        # the Spanish text drawn after it in the size Streamlit gives all of them (14 px).
        rules.append(f"{selector} {{ font-size: 0 !important; }}")
        rules.append(f"{selector}::after {{ content: {words}; font-size: {FONT_SIZE}; }}")
    return "<style>\n" + "\n".join(rules) + "\n</style>"


def render_chrome_text(lang: str) -> None:
    """Draw the style sheet (no space on the page) when the interface is not in English."""
    css = chrome_css(lang, int(st.get_option("server.maxUploadSize")))
    if css:
        st.html(css)
