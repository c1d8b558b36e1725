"""The signature checks on their own: each accepts what the provider signs and refuses the
rest (tampered bodies, other keys, missing parts, stale timestamps, foreign certificate URLs)."""

import base64
import json
import time

import pytest

from data_access.webhooks import verify

from .conftest import (
    CERT_URL,
    TOPIC,
    mailgun_signature,
    sendgrid_batch,
    sendgrid_headers,
    sns_message,
)

BASIC = "Basic " + base64.b64encode(b"user:pw").decode()


def test_basic_auth():
    verify.check_basic_auth(BASIC, "user:pw")
    for header in (None, "", "Bearer x", "Basic %%%", BASIC.replace("dXNl", "dXNm")):
        with pytest.raises(verify.Refused) as refused:
            verify.check_basic_auth(header, "user:pw")
        assert refused.value.status == 401
    with pytest.raises(verify.Refused):
        verify.check_basic_auth(BASIC, "user:pw2")


def _sendgrid(keys, body, headers, **kwargs):
    verify.check_sendgrid(
        keys.sendgrid_public_b64,
        body,
        headers.get("X-Twilio-Email-Event-Webhook-Signature"),
        headers.get("X-Twilio-Email-Event-Webhook-Timestamp"),
        **kwargs,
    )


def test_sendgrid_signature(keys):
    body = sendgrid_batch()
    headers = sendgrid_headers(keys.sendgrid, body)
    _sendgrid(keys, body, headers)
    with pytest.raises(verify.Refused, match="no corresponde"):
        _sendgrid(keys, body.replace(b"example@test.com", b"otro@test.com", 1), headers)
    with pytest.raises(verify.Refused, match="no corresponde"):  # timestamp is signed too
        _sendgrid(keys, body, {**headers, "X-Twilio-Email-Event-Webhook-Timestamp": "1"})
    with pytest.raises(verify.Refused) as missing:
        _sendgrid(keys, body, {})
    assert missing.value.status == 401
    other = verify.ec.generate_private_key(verify.ec.SECP256R1())
    with pytest.raises(verify.Refused, match="no corresponde"):
        _sendgrid(keys, body, sendgrid_headers(other, body))


def test_sendgrid_timestamp_age(keys):
    body = sendgrid_batch()
    old = sendgrid_headers(keys.sendgrid, body, timestamp=int(time.time()) - 3600)
    _sendgrid(keys, body, old)  # no limit by default
    _sendgrid(keys, body, old, max_age=7200)
    with pytest.raises(verify.Refused, match="caducada"):
        _sendgrid(keys, body, old, max_age=600)


def test_mailgun_signature_json_and_form(keys):
    block = mailgun_signature(keys.mailgun)
    body = json.dumps({"signature": block, "event-data": {"event": "delivered"}}).encode()
    verify.check_mailgun(keys.mailgun, body, "application/json")
    with pytest.raises(verify.Refused, match="no corresponde"):
        verify.check_mailgun("otra-clave", body, "application/json")
    tampered = json.dumps(
        {"signature": {**block, "token": block["token"][::-1]}, "event-data": {}}
    ).encode()
    with pytest.raises(verify.Refused, match="no corresponde"):
        verify.check_mailgun(keys.mailgun, tampered, "application/json")
    with pytest.raises(verify.Refused) as missing:
        verify.check_mailgun(keys.mailgun, b'{"event-data": {}}', "application/json")
    assert missing.value.status == 401
    form = "&".join(f"{k}={v}" for k, v in {**block, "event": "delivered"}.items()).encode()
    verify.check_mailgun(keys.mailgun, form, "application/x-www-form-urlencoded")
    boundary = "XyZ"
    multipart = (
        "".join(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in {**block, "event": "bounced"}.items()
        )
        + f"--{boundary}--\r\n"
    )
    content_type = f"multipart/form-data; boundary={boundary}"
    verify.check_mailgun(keys.mailgun, multipart.encode(), content_type)
    assert verify.form_fields(multipart.encode()).first("event") == "bounced"
    stale = mailgun_signature(keys.mailgun, timestamp=int(time.time()) - 1000)
    body = json.dumps({"signature": stale, "event-data": {}}).encode()
    with pytest.raises(verify.Refused, match="caducada"):
        verify.check_mailgun(keys.mailgun, body, "application/json", max_age=100)


@pytest.fixture
def sns(keys):
    fetched = []

    def fetch(url):
        fetched.append(url)
        return keys.sns_cert_pem

    verifier = verify.SnsVerifier(fetch=fetch, visit=lambda url: None)
    verifier.fetched = fetched
    return verifier


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "kind", ["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]
)
def test_sns_signature_versions_and_types(sns, keys, version, kind):
    message = sns_message(keys.sns, '{"eventType": "Bounce"}', kind=kind, version=version)
    sns.verify(message)
    with pytest.raises(verify.Refused, match="no corresponde"):
        sns.verify({**message, "Message": '{"eventType": "Delivery"}'})
    with pytest.raises(verify.Refused, match="no corresponde"):
        sns.verify({**message, "TopicArn": TOPIC + "-otro"})


def test_sns_subject_is_signed(sns, keys):
    message = sns_message(keys.sns, "{}", subject="Aviso")
    sns.verify(message)
    with pytest.raises(verify.Refused):
        sns.verify({**message, "Subject": "Otro"})


def test_sns_other_key_and_missing_signature(sns, keys):
    with pytest.raises(verify.Refused, match="no corresponde"):
        sns.verify(sns_message(keys.other_sns, "{}"))
    message = sns_message(keys.sns, "{}")
    with pytest.raises(verify.Refused):
        sns.verify({**message, "Signature": ""})
    with pytest.raises(verify.Refused, match="SignatureVersion"):
        sns.verify({**message, "SignatureVersion": "3"})


def test_certificates_are_fetched_once(sns, keys):
    for _ in range(3):
        sns.verify(sns_message(keys.sns, "{}"))
    assert sns.fetched == [CERT_URL]


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/x.pem",
        "https://evil.example/sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com@evil.example/x.pem",
        "https://user@sns.us-east-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com:8443/x.pem",
        "https://sns.us-east-1.amazonaws.com/x.pem?y=1",
        "https://sns.us-east-1.amazonaws.com/x.txt",
        "https://sns.amazonaws.com/x.pem",
        "https://sqs.us-east-1.amazonaws.com/x.pem",
        "https://sns.US-EAST-1.amazonaws.com/x.pem",
        "https://sns.us-east-1.amazonaws.com\\@evil.example/x.pem",
        None,
    ],
)
def test_foreign_certificate_urls_are_refused_without_fetching(sns, keys, url):
    message = sns_message(keys.sns, "{}", cert_url=url)
    with pytest.raises(verify.Refused, match="SigningCertURL"):
        sns.verify(message)
    assert sns.fetched == []


def test_allowed_certificate_hosts():
    for url in (
        CERT_URL,
        "https://sns.eu-west-3.amazonaws.com/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/a/b.pem",
        "https://sns.ap-southeast-2.amazonaws.com/x.pem",
    ):
        assert verify.sns_url_allowed(url, pem=True), url


def test_sns_stale_timestamp(sns, keys):
    old = sns_message(keys.sns, "{}", timestamp=verify.datetime(2020, 1, 1, tzinfo=verify.UTC))
    sns.verify(old)
    with pytest.raises(verify.Refused, match="caducada"):
        sns.verify(old, max_age=3600)


def test_subscription_is_confirmed_only_on_sns_hosts(keys):
    visited = []
    verifier = verify.SnsVerifier(fetch=lambda url: keys.sns_cert_pem, visit=visited.append)
    good = sns_message(keys.sns, "{}", kind="SubscriptionConfirmation")
    verifier.confirm(good)
    assert visited == [good["SubscribeURL"]]
    bad = sns_message(
        keys.sns, "{}", kind="SubscriptionConfirmation", subscribe_url="https://evil.example/"
    )
    with pytest.raises(verify.Refused, match="SubscribeURL"):
        verifier.confirm(bad)
    assert len(visited) == 1
