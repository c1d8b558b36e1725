"""Folding of names and addresses for case- and accent-insensitive search.

The folded form is stored in indexed columns (`contacts.name_key`, `contacts.email_key`) and
applied to what the user types, so "jose" finds "José" and "nunez" finds "Núñez" through an
index; folding at query time on the column would defeat the index.
"""

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import polars as pl

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


# --- the same rules, a column at a time (polars) ---------------------------------------------
# Big imports apply these to whole columns. ASCII text goes through polars expressions that give
# exactly what the functions above give for it; any other text through the functions
# themselves, once per distinct value (tests/unit/test_text_columns.py holds the two equal).

# What Python's str.strip() and str.split() take as white space (str.isspace), written out:
# Rust's notion (polars) differs (it leaves out \x1c-\x1f).
PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WHITESPACE_RUN = "[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in PY_WHITESPACE) + "]+"
# Text that needs Python: anything but ASCII and the Latin letters U+00C0-U+017F (Spanish,
# Portuguese, French... names), without "ß" (U+00DF), which casefold() writes "ss" and
# lower() leaves as it is. For these letters, lower-casing, NFKD and dropping the combining
# marks U+0300-U+036F give fold()'s result letter by letter (a test checks every one).
_NEEDS_PYTHON = r"[^\x00-\x7F\u00C0-\u00DE\u00E0-\u017F]"
_MARKS = r"[\u0300-\u036F]"


def strip_expr(column: pl.Expr) -> pl.Expr:
    """str.strip() of each value."""
    return column.str.strip_chars(PY_WHITESPACE)


def collapse_expr(column: pl.Expr) -> pl.Expr:
    """ " ".join(value.split()) of each value."""
    return strip_expr(column).str.replace_all(_WHITESPACE_RUN, " ")


def per_value(
    values: pl.Series, fast_way: Callable[[pl.Expr], pl.Expr], function: Callable
) -> pl.Series:
    """`function(value)` for each value (None stays None): `fast_way` for ASCII and Latin
    text, `function` itself once per distinct other value."""
    frame = values.rename("value").to_frame()
    others = values.filter(values.str.contains(_NEEDS_PYTHON)).unique()
    fast = fast_way(pl.col("value")).alias("value")
    if others.len() == 0:
        return frame.select(fast)["value"]
    names = others.to_list()
    mapping = {name: function(name) for name in names}
    return frame.select(pl.col("value").replace_strict(mapping, default=fast))["value"]


def fold_series(values: pl.Series) -> pl.Series:
    """fold() of each value."""

    def fast_way(column: pl.Expr) -> pl.Expr:
        lower = collapse_expr(column).str.to_lowercase()
        return lower.str.normalize("NFKD").str.replace_all(_MARKS, "")

    return per_value(values, fast_way, fold)


def lower_series(values: pl.Series) -> pl.Series:
    """str.lower() of each value."""
    return per_value(values, lambda c: c.str.to_lowercase(), str.lower)


def email_domain_series(emails: pl.Series) -> pl.Series:
    """email_domain() of each address."""

    def fast_way(column: pl.Expr) -> pl.Expr:
        domain = strip_expr(column.str.extract(r"@([^@]*)$", 1)).str.to_lowercase()
        # no local part: the last "@" is the first character
        return pl.when(column.str.contains(r"^@[^@]*$")).then(pl.lit("")).otherwise(domain)

    return per_value(emails.fill_null(""), fast_way, email_domain).fill_null("")
