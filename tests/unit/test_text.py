from hypothesis import given, settings
from hypothesis import strategies as st

from data_access.text import fold, fold_query, normalise_email


def test_fold_removes_case_accents_and_tildes():
    assert fold("José Núñez IBÁÑEZ") == "jose nunez ibanez"
    assert fold("  María   de los  Ángeles ") == "maria de los angeles"
    assert fold("Ñandú") == "nandu"


def test_fold_query_bounds_and_cleans_input():
    assert fold_query("x" * 1000) == "x" * 200
    assert fold_query("ab\x00c\n") == "abc"
    assert fold_query(None) == ""
    assert fold_query(42) == ""
    assert fold_query("😀") == "😀"


def test_normalise_email():
    assert normalise_email("  Ana.Garcia@Example.COM ") == "ana.garcia@example.com"


def test_pack_keeps_only_letters_and_digits():
    from data_access.text import pack

    assert pack("as.mar@gmail.com") == "asqmarqgmailqcom"
    assert pack("maria jose garcia-pelayo") == "mariaqjoseqgarciaqpelayo"
    assert pack("o.r") == "oqr"
    assert pack("ernan_") == "ernanq"  # the punctuation's place stays in the trigrams
    assert len(pack("ø.ß")) == 3


def _fold_whole_text(value: str) -> str:
    """fold's definition, on the whole text at once (the word-at-a-time fold must equal it)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", value.casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


# Letters with accents, ligatures, ß, final sigma, titlecase digraphs, a lone combining mark,
# marks that decompose to a space plus a mark (¨), no-break and em spaces, anything else.
_TRICKY = "aéñ ÅﬁẞßΣς\u0301\u0327ǅ¨´\xa0\u2003Ⅻ①ﾊﾟ한"


@given(st.text(alphabet=st.sampled_from(_TRICKY) | st.characters(), max_size=20))
@settings(max_examples=3000, deadline=None)
def test_fold_equals_the_whole_text_decomposition(value):
    assert fold(value) == _fold_whole_text(value)
    assert fold(value) == fold(value)  # the per-word cache gives the same answer again


def test_fold_of_words_whose_marks_decompose_to_spaces():
    for value in ("a¨b", "¨", "́ x", "Ｊｏｓé　Ｍaría", "ﬁn ǅemal"):
        assert fold(value) == _fold_whole_text(value)
