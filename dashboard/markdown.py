"""Text from the data made safe for Streamlit Markdown (the card, the search suggestions)."""

import string

_MARKDOWN_SPECIAL = set(string.punctuation)


def md_escape(value: str) -> str:
    """Escape every Markdown (and Streamlit directive) character in text from the data."""
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in value)


def md_link(label: str, url: str | None) -> str:
    """A Markdown link with an escaped label, or the escaped label alone when there is no URL."""
    return f"[{md_escape(label)}]({url})" if url else md_escape(label)
