"""Hostile webhook bodies: a record that no database can hold (a NUL, a lone surrogate) goes
to the quarantine through the worker and the rest of the request is stored; a body that is not
the provider's format is quarantined whole, with those characters as JSON escapes. Nothing
makes the worker fail (which would leave the inbox stuck on that request)."""

import json

import sqlalchemy as sa

from data_access import schema
from data_access.webhooks import inbox, worker

from .conftest import sendgrid_headers

NUL = "contiene un carácter nulo (U+0000), que no se puede guardar"


def _event(number: int, **changes) -> dict:
    return {
        "email": f"persona{number}@example.com",
        "event": "delivered",
        "timestamp": 1_780_000_000 + number,
        "sg_event_id": f"evento-{number}",
        "origin": "campaign",
        "campaign_id": "verano",
        **changes,
    }


def _quarantine(engine) -> list[tuple]:
    q = schema.quarantine.c
    with engine.connect() as conn:
        return sorted(
            tuple(r) for r in conn.execute(sa.select(q.source, q.position, q.reason, q.raw))
        )


def _events(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar()


def test_a_hostile_record_in_a_sendgrid_request_is_quarantined_by_the_worker(hooks, keys):
    records = [_event(n) for n in range(1, 6)]
    records.append(_event(6, response="250 ok\x00"))
    text = json.dumps(records)  # json writes the NUL as the escape \u0000, as SendGrid would
    text = text[:-1] + ', {"email": "x@example.com", "event": "bounce", "timestamp": 1780000007'
    text += ', "sg_event_id": "evento-7", "origin": "campaign", "campaign_name": "a\\ud800"}]'
    body = text.encode()
    assert hooks.post("sendgrid", body, sendgrid_headers(keys.sendgrid, body)).status_code == 200
    result = worker.Worker(hooks.engine).process_batch()
    assert (result.report.received, result.report.stored, result.report.quarantined) == (7, 5, 2)
    assert result.report.balanced
    assert _events(hooks.engine) == 5
    rows = _quarantine(hooks.engine)
    assert [(position, reason) for _source, position, reason, _raw in rows] == [
        (6, "la respuesta SMTP " + NUL),
        (
            7,
            "el nombre de la campaña contiene U+D800, medio par sustituto UTF-16 sin su pareja, "
            "que no se puede guardar",
        ),
    ]
    assert "\\ud800" in rows[1][3]
    with hooks.engine.connect() as conn:
        assert inbox.backlog(conn) == 0


def test_raw_nul_bytes_in_an_accepted_body_are_quarantined_escaped(hooks):
    # A raw NUL byte is not valid inside JSON text: the body cannot be read and is kept whole.
    body = b'{"RecordType": "Bounce", "Email": "ana@example.com", "Details": "550\x00"}'
    with hooks.engine.begin() as conn:
        inbox.add(conn, "postmark", body, remote_addr=None, content_type=None, default_origin=None)
    result = worker.Worker(hooks.engine).process_batch()
    assert (result.report.received, result.report.quarantined) == (1, 1)
    [(_source, _position, reason, raw)] = _quarantine(hooks.engine)
    assert raw == body.decode().replace("\x00", "\\u0000")
    assert "\x00" not in reason


def test_a_foreign_body_with_nul_bytes_is_answered_400_and_kept_escaped(hooks):
    body = b'{"no": "es de Postmark\x00"}'
    answer = hooks.post("postmark", body, {"Content-Type": "application/json"})
    assert answer.status_code == 400
    [(source, _position, reason, raw)] = _quarantine(hooks.engine)
    assert source == "webhook:postmark:rechazado"
    assert raw == '{"no": "es de Postmark\\u0000"}'
    assert reason
