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

    assert pack("as.mar@gmail.com") == "asmargmailcom"
    assert pack("maria jose garcia-pelayo") == "mariajosegarciapelayo"
    assert pack("o.r") == "or"
