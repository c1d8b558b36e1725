"""Folding of names and addresses for case- and accent-insensitive search.

The folded form is stored in indexed columns (`contacts.name_key`, `contacts.email_key`) and
applied to what the user types, so "jose" finds "José" and "nunez" finds "Núñez" through an
index; folding at query time on the column would defeat the index.
"""

import re
import unicodedata
from functools import lru_cache

_MAX_QUERY_CHARS = 200


@lru_cache(maxsize=65_536)
def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def fold(value: str) -> str:
    """Lower-case `value`, drop accents and diacritics (ñ -> n), collapse white space.

    The same as `NFKD(casefold(value))` without its combining marks, split into words, a
    word at a time (first names and surnames repeat: each distinct word is decomposed once):
    NFKD decomposes each character on its own and only reorders combining marks, which are
    all dropped (tests hold the two equal)."""
    if value.isascii():  # the same result, several times faster (most addresses, many names)
        return " ".join(value.lower().split())
    return " ".join(filter(None, map(_fold_word, value.casefold().split())))


def fold_query(value: object) -> str:
    """Fold what a user typed into a search box; anything that is not text counts as empty."""
    if not isinstance(value, str):
        return ""
    # Control characters (NUL included) can never match a stored key and upset some drivers.
    printable = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C")
    return fold(printable)[:_MAX_QUERY_CHARS]


MAX_CRM_ID_CHARS = 100  # contacts.crm_id's width


def crm_id_query(value: object) -> str:
    """What a user typed, as a CRM id to look up: as written (ids can be case-sensitive),
    without control characters and surrounding spaces; empty when it cannot be an id."""
    if not isinstance(value, str):
        return ""
    printable = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C").strip()
    return printable if len(printable) <= MAX_CRM_ID_CHARS else ""


def normalise_email(value: str) -> str:
    """The form an address is stored and matched in: trimmed and lower-cased."""
    return value.strip().lower()


_NOT_PACKED = re.compile(r"[^a-z0-9]")
# The same rule in SQL, for PostgreSQL's trigram index (see schema.SEARCH_PACKED_SQL).
PACKED_SQL_PATTERN = "[^a-z0-9]"
PACKED_MARK = "q"  # what stands for every other character (migration 0011)


def pack(key: str) -> str:
    """A folded key with every character but a-z and 0-9 written as "q" ("as.mar" ->
    "asqmar").

    PostgreSQL's pg_trgm splits text into words at anything but letters and digits, so a
    search such as "as.mar" would look up very common padded trigrams. Removing punctuation
    (before migration 0011) kept the trigrams of "ernan_" those of every "fernandez": tens of
    thousands of candidates for a handful of matches. A letter in its place keeps one word and
    keeps the punctuation's place in the trigrams ("anq" is rare). The same character for the
    same characters on both sides keeps every real match a packed match ("q" itself only adds
    a few candidates, which the exact check drops).
    """
    return _NOT_PACKED.sub(PACKED_MARK, key)


def email_domain(email: str) -> str:
    """The recipient domain of an address ("" when it has no @)."""
    local, at, domain = (email or "").rpartition("@")
    return domain.strip().lower() if at and local else ""
