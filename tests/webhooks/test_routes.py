"""The endpoints through Starlette's TestClient, on SQLite and PostgreSQL: real samples are
verified, kept in the inbox and stored by the worker exactly as a file import stores them;
everything unverified is refused, counted and audited, and nothing of it is stored."""

import json
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_access import ingest, schema
from data_access.webhooks import inbox, worker

from .conftest import (
    SECRET,
    TOPIC,
    make_hooks,
    samples,
    sendgrid_batch,
    sendgrid_headers,
    sns_message,
)

PROVIDERS = ("sendgrid", "ses", "mailgun", "postmark")


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def stored_events(engine) -> list[tuple]:
    e, c = schema.email_events.c, schema.contacts.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(
                e.provider,
                e.provider_event_id,
                e.event,
                e.bounce_type,
                e.reason,
                e.provider_reason,
                e.occurred_at,
                c.email,
            )
            .join(schema.contacts, c.id == e.contact_id)
            .order_by(e.provider, e.provider_event_id)
        ).all()
    return [tuple(r) for r in rows]


def quarantine_reasons(engine) -> list[str]:
    q = schema.quarantine.c
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(q.reason)).scalars())


def audit(engine) -> list[tuple]:
    a = schema.audit_log.c
    with engine.connect() as conn:
        return conn.execute(sa.select(a.action, a.username, a.detail).order_by(a.id)).all()


def nothing_received(hooks) -> bool:
    return (
        count(hooks.engine, schema.webhook_inbox) == 0
        and count(hooks.engine, schema.email_events) == 0
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_real_samples_are_stored_as_an_import_stores_them(hooks, databases, keys, provider):
    sent = samples(provider, hooks.keys)
    for body, headers in sent:
        answer = hooks.post(provider, body, headers, query="?origin=campaign")
        assert answer.status_code == 200, answer.text
    assert count(hooks.engine, schema.webhook_inbox) == len(sent)
    assert count(hooks.engine, schema.email_events) == 0  # not before the worker runs
    results = []
    worker.Worker(hooks.engine).drain(results.append)
    assert sum(r.requests for r in results) == len(sent)
    total = results[0].report
    assert total.balanced and total.received > 0
    # The same bodies imported as files into another database give the same events.
    other = databases.engine(hooks.engine.dialect.name)
    for body, _headers in sent:
        ingest.import_bytes(other, provider, body, source="f", default_origin="campaign")
    assert stored_events(hooks.engine) == stored_events(other)
    assert len(stored_events(hooks.engine)) >= 1
    assert quarantine_reasons(hooks.engine) == quarantine_reasons(other)
    other.dispose()  # its connections: the session's PostgreSQL has a limit
    with hooks.engine.connect() as conn:
        assert inbox.backlog(conn) == 0
        reports = conn.execute(
            sa.select(schema.webhook_inbox.c.received, schema.webhook_inbox.c.stored)
        ).all()
    assert sum(r for r, _ in reports) == sum(r.report.received for r in results)


def test_a_replayed_request_stores_nothing_twice(hooks):
    body = sendgrid_batch()
    headers = sendgrid_headers(hooks.keys.sendgrid, body)
    for _ in range(3):
        assert hooks.post("sendgrid", body, headers, query="?origin=automation").status_code == 200
    work = worker.Worker(hooks.engine)
    work.drain()
    once = stored_events(hooks.engine)
    assert hooks.post("sendgrid", body, headers, query="?origin=automation").status_code == 200
    result = work.process_batch()
    assert result.report.stored == 0 and result.report.duplicates > 0
    assert stored_events(hooks.engine) == once
    assert len(once) == len({(p, i) for p, i, *_ in once})


def test_origin_from_the_url_applies_to_events_without_one(hooks):
    body, headers = samples("postmark", hooks.keys)[0]
    assert hooks.post("postmark", body, headers).status_code == 200
    worker.Worker(hooks.engine).drain()
    assert count(hooks.engine, schema.email_events) == 0  # no origin: quarantined, not guessed
    assert any("origin" in r for r in quarantine_reasons(hooks.engine))
    assert hooks.post("postmark", body, headers, query="?origin=campaign").status_code == 200
    worker.Worker(hooks.engine).drain()
    assert count(hooks.engine, schema.email_events) == 1
    assert hooks.post("postmark", body, headers, query="?origin=otro").status_code == 400


@pytest.mark.parametrize(
    "auth", [None, (SECRET[0], "mala"), ("otro", SECRET[1])], ids=["none", "password", "user"]
)
def test_wrong_credentials_are_refused_counted_and_audited(hooks, auth):
    body, headers = samples("postmark", hooks.keys)[0]
    answer = hooks.post("postmark", body, headers, auth=auth)
    assert answer.status_code == 401
    assert "Traceback" not in answer.text and answer.json()["ok"] is False
    assert answer.headers["www-authenticate"].startswith("Basic")
    assert nothing_received(hooks)
    ((action, username, detail),) = audit(hooks.engine)
    assert (action, username) == ("webhook_refused", "webhook:postmark")
    assert detail.startswith("testclient: ")  # the remote address
    with hooks.engine.connect() as conn:
        assert conn.execute(sa.select(schema.webhook_requests.c.outcome)).scalars().all() == [
            "refused"
        ]


def test_sendgrid_tampered_wrong_key_missing_headers_stale(hooks, keys):
    body = sendgrid_batch()
    headers = sendgrid_headers(keys.sendgrid, body)
    tampered = body.replace(b'"bounce"', b'"delivered"', 1)
    assert tampered != body
    assert hooks.post("sendgrid", tampered, headers).status_code == 403
    other = make_hooks(
        hooks.engine, keys, sendgrid_public_key=keys.sendgrid_public_b64[:-8] + "AAAAAAA="
    )
    assert other.post("sendgrid", body, headers).status_code == 403
    assert hooks.post("sendgrid", body, {"Content-Type": "application/json"}).status_code == 401
    strict = make_hooks(hooks.engine, keys, max_age_seconds=60)
    old = sendgrid_headers(keys.sendgrid, body, timestamp=1_500_000_000)
    answer = strict.post("sendgrid", body, old)
    assert answer.status_code == 403 and "caducada" in answer.json()["mensaje"]
    assert nothing_received(hooks)
    assert [a for a, *_ in audit(hooks.engine)] == ["webhook_refused"] * 4
    # Without the key configured, basic auth alone lets it in.
    open_ = make_hooks(hooks.engine, keys, sendgrid_public_key=None)
    assert open_.post("sendgrid", body, {"Content-Type": "application/json"}).status_code == 200


def test_mailgun_wrong_signature_and_legacy_form(hooks, keys):
    body, headers = samples("mailgun", keys)[0]
    data = json.loads(body)
    data["signature"]["signature"] = "0" * 64
    assert hooks.post("mailgun", json.dumps(data).encode(), headers).status_code == 403
    del data["signature"]
    assert hooks.post("mailgun", json.dumps(data).encode(), headers).status_code == 401
    assert nothing_received(hooks)
    # A legacy form body with a wrong signature is refused like a JSON one.
    from .conftest import mailgun_signature

    fields = {**mailgun_signature(keys.mailgun), "event": "delivered", "recipient": "a@b.es"}
    bad = {**fields, "signature": "f" * 64}
    form_bad = "&".join(f"{k}={v}" for k, v in bad.items()).encode()
    content = {"Content-Type": "application/x-www-form-urlencoded"}
    assert hooks.post("mailgun", form_bad, content).status_code == 403
    assert nothing_received(hooks)


# Mailgun's legacy bodies as anymail's tests post them: signed with that suite's test key.
LEGACY = Path(__file__).parents[1] / "ingest" / "fixtures" / "mailgun" / "legacy_anymail"
ANYMAIL_TEST_KEY = "TEST_WEBHOOK_SIGNING_KEY"


def _legacy_requests() -> list[tuple[bytes, dict]]:
    requests = []
    for path in sorted(LEGACY.glob("*.urlencoded")) + sorted(LEGACY.glob("*.multipart")):
        body = path.read_bytes()
        if path.suffix == ".multipart":
            boundary = body.split(b"\r\n", 1)[0][2:].decode()
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            kind = "application/x-www-form-urlencoded"
        requests.append((body, {"Content-Type": kind}))
    return requests


def test_mailgun_legacy_form_bodies_are_verified_and_stored_as_a_file_import_stores_them(
    empty_engine, databases, keys
):
    hooks = make_hooks(empty_engine, keys, mailgun_signing_key=ANYMAIL_TEST_KEY)
    sent = _legacy_requests()
    assert any("multipart" in h["Content-Type"] for _, h in sent)
    for body, headers in sent:
        answer = hooks.post("mailgun", body, headers, query="?origin=automation")
        assert answer.status_code == 200, (answer.text, headers)
    worker.Worker(hooks.engine).drain()
    other = databases.engine(hooks.engine.dialect.name)
    for body, _headers in sent:
        ingest.import_bytes(other, "mailgun", body, source="f", default_origin="automation")
    events = stored_events(hooks.engine)
    assert events == stored_events(other)
    assert quarantine_reasons(hooks.engine) == quarantine_reasons(other)
    other.dispose()
    kinds = {(e[2], e[3], e[4]) for e in events}
    assert ("bounced", "hard", None) in kinds  # bounced 550
    assert ("not_sent", None, "previous_bounce") in kinds  # dropped hardfail 605
    assert ("not_sent", None, "previous_spam") in kinds  # dropped hardfail 607
    assert ("bounced", "soft", None) in kinds  # dropped old: Mailgun gave up
    assert ("delivered", None, None) in kinds
    # Posted again (a provider's retry): nothing is stored twice.
    for body, headers in sent:
        assert hooks.post("mailgun", body, headers, query="?origin=automation").status_code == 200
    worker.Worker(hooks.engine).drain()
    assert stored_events(hooks.engine) == events


def test_ses_foreign_certificate_unknown_topic_and_confirmations(hooks, keys):
    text = samples("ses", keys)[0][0]
    inner = json.loads(text)["Message"]
    foreign = sns_message(keys.sns, inner, cert_url="https://evil.example/cert.pem")
    assert hooks.post("ses", json.dumps(foreign).encode()).status_code == 403
    assert hooks.fetched == []  # never asked for
    unknown = sns_message(keys.sns, inner, topic=TOPIC + "-otro")
    assert hooks.post("ses", json.dumps(unknown).encode()).status_code == 403
    forged = sns_message(keys.other_sns, inner)
    assert hooks.post("ses", json.dumps(forged).encode()).status_code == 403
    bare = inner.encode()  # an SES body without its signed SNS envelope
    assert hooks.post("ses", bare).status_code == 403
    assert nothing_received(hooks)
    # A subscription for an allowed topic is confirmed; for another topic it is refused.
    confirm = sns_message(keys.sns, "confirm", kind="SubscriptionConfirmation")
    assert hooks.post("ses", json.dumps(confirm).encode()).status_code == 200
    assert hooks.visited == [confirm["SubscribeURL"]]
    other = sns_message(keys.sns, "confirm", kind="SubscriptionConfirmation", topic=TOPIC + "x")
    assert hooks.post("ses", json.dumps(other).encode()).status_code == 403
    elsewhere = sns_message(
        keys.sns, "c", kind="SubscriptionConfirmation", subscribe_url="https://evil.example/"
    )
    assert hooks.post("ses", json.dumps(elsewhere).encode()).status_code == 403
    assert len(hooks.visited) == 1
    assert count(hooks.engine, schema.webhook_inbox) == 0
    with hooks.engine.connect() as conn:
        assert hooks.fetched == [hooks.fetched[0]]  # one fetch, then the cache
        audited = conn.execute(sa.select(sa.func.count()).select_from(schema.audit_log)).scalar()
    assert audited == 6


def test_not_the_format_gets_400_and_the_quarantine(hooks, keys):
    for provider, body in (
        ("postmark", b'{"hola": 1}'),
        ("sendgrid", b"no es json"),
        ("mailgun", None),
    ):
        headers = {"Content-Type": "application/json"}
        if body is None:
            from .conftest import mailgun_signature

            body = json.dumps({"signature": mailgun_signature(keys.mailgun), "x": 1}).encode()
        if provider == "sendgrid":
            headers = sendgrid_headers(keys.sendgrid, body)
        answer = hooks.post(provider, body, headers)
        assert answer.status_code == 400, (provider, answer.text)
        assert "cuarentena" in answer.json()["mensaje"]
    assert count(hooks.engine, schema.webhook_inbox) == 0
    assert count(hooks.engine, schema.quarantine) == 3
    ses_not_ses = sns_message(keys.sns, '{"otra": "cosa"}')
    assert hooks.post("ses", json.dumps(ses_not_ses).encode()).status_code == 400
    assert count(hooks.engine, schema.quarantine) == 4


def test_too_large_no_secret_and_wrong_method(hooks, keys):
    small = make_hooks(hooks.engine, keys, max_bytes=100)
    body, headers = samples("postmark", keys)[0]
    assert small.post("postmark", body, headers).status_code == 413
    chunked = small.client.post(
        "/webhooks/postmark", content=iter([body[:60], body[60:]]), auth=SECRET
    )
    assert chunked.status_code == 413
    closed = make_hooks(hooks.engine, keys, secret=None)
    answer = closed.post("postmark", body, headers)
    assert answer.status_code == 503 and "RASTRO_WEBHOOK_SECRET" in answer.json()["mensaje"]
    assert hooks.client.get("/webhooks/postmark").status_code == 405
    assert count(hooks.engine, schema.webhook_inbox) == 0


def test_database_down_answers_503_and_nothing_is_lost(databases, keys):
    """A PostgreSQL database that refuses connections: 503, then the retry is stored once."""
    url = databases.url("postgresql")
    from data_access import migrate
    from data_access.engine import make_engine

    engine = make_engine(url, poolclass=sa.NullPool)
    migrate.upgrade(engine)
    name = engine.url.database
    hooks = make_hooks(engine, keys)
    body, headers = samples("postmark", keys)[0]
    with databases.admin.connect() as admin:
        admin.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        admin.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        try:
            answer = hooks.post("postmark", body, headers, query="?origin=campaign")
            assert answer.status_code == 503
            assert answer.headers["retry-after"] == "30"
            assert "reinténtalo" in answer.json()["mensaje"] and "Traceback" not in answer.text
        finally:
            admin.execute(sa.text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    assert hooks.post("postmark", body, headers, query="?origin=campaign").status_code == 200
    worker.Worker(engine).drain()
    assert count(engine, schema.email_events) == 1
    engine.dispose()


ANYMAIL_SNS = Path(__file__).parents[1] / "ingest" / "fixtures" / "ses" / "anymail_sns"


def test_ses_topic_validation_and_bounces_without_inner_dates_over_http(hooks, databases, keys):
    """Issue 16's SES families posted live: anymail's envelopes, re-signed with the test
    certificate (their real signatures need AWS's certificate, out of reach here)."""
    sent = []
    for name in (
        "sns_topic_validation_notification.json",
        "sns_bounce_no_inner_timestamps.json",
        "sns_complaint_no_inner_timestamps.json",
    ):
        real = json.loads((ANYMAIL_SNS / name).read_text())
        when = datetime.fromisoformat(real["Timestamp"].replace("Z", "+00:00"))
        sent.append(json.dumps(sns_message(keys.sns, real["Message"], timestamp=when)).encode())
    for body in sent:
        answer = hooks.post("ses", body, query="?origin=campaign")
        assert answer.status_code == 200, answer.text
    results = []
    worker.Worker(hooks.engine).drain(results.append)
    report = results[0].report
    assert report.balanced and report.ignored >= 1 and report.quarantined == 0
    assert quarantine_reasons(hooks.engine) == []
    other = databases.engine(hooks.engine.dialect.name)
    for body in sent:
        ingest.import_bytes(other, "ses", body, source="f", default_origin="campaign")
    events = stored_events(hooks.engine)
    assert events == stored_events(other)
    other.dispose()
    assert {e[2] for e in events} == {"bounced", "spam_complaint"}
