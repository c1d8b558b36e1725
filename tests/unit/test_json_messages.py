"""The JSON decoder's complaints reach quarantine reasons and refusals in Spanish."""

import json

import pytest

from data_access.ingest import json_records, sendgrid
from data_access.ingest.model import FormatError, Rejected

ENGLISH = ("Expecting", "delimiter", "Unterminated", "Invalid", "Extra data", "Illegal")


@pytest.mark.parametrize(
    ("broken", "spanish"),
    [
        ('{event: "bounce"}', "se esperaba el nombre de una propiedad entre comillas dobles"),
        ("[1,,2]", "se esperaba un valor"),
        ('{"a" 1}', "se esperaba «:»"),
        ("[1 2]", "se esperaba «,»"),
        ("1 2", "hay más datos después del primer valor JSON"),
        ('"abc', "una cadena de texto sin cerrar"),
        ('"a\x01"', "un carácter de control sin escapar dentro de un texto"),
        ('"\\q"', "una secuencia de escape con «\\» no válida"),
        ('"\\u12"', "una secuencia \\uXXXX no válida"),
        ("\ufeff[1]", "una marca de orden de bytes (BOM) inesperada"),
    ],
)
def test_each_complaint_of_the_decoder_is_said_in_spanish(broken, spanish):
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(broken)
    text = json_records.json_error_text(caught.value)
    assert text == f"{spanish} (columna {caught.value.colno})"
    assert not any(word in text for word in ENGLISH)


def test_an_unknown_complaint_is_not_shown_in_english():
    error = json.JSONDecodeError("Some future complaint", "[1]", 2)
    assert json_records.json_error_text(error) == "JSON no válido (columna 3)"


def test_a_broken_line_is_quarantined_with_a_spanish_reason():
    good = '{"email": "a@example.com", "event": "bounce", "timestamp": 1700000000}'
    records = list(sendgrid.parse(good + "\n{email: 'b@example.com'}\n"))
    reason = records[1].outcomes[0]
    assert isinstance(reason, Rejected)
    assert reason.reason == (
        "JSON roto: se esperaba el nombre de una propiedad entre comillas dobles (columna 2)"
    )


def test_a_file_of_broken_lines_is_refused_in_spanish():
    with pytest.raises(FormatError) as refused:
        list(sendgrid.parse("[1 2\n{x}\n"))
    assert str(refused.value) == "no es JSON: línea 1, se esperaba «,» (columna 4)"
