"""Keys, certificates and signed requests made by the tests (nothing secret in the repo), and
a webhook service over a fresh database of each kind, reached through Starlette's TestClient.

The real sample payloads are the ingest fixtures (tests/ingest/fixtures, licences beside them).
"""

import base64
import hashlib
import hmac
import json
import time
import uuid
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette

with warnings.catch_warnings():  # httpx still works; Starlette would prefer httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from data_access.webhooks import http, verify
from data_access.webhooks.settings import WebhookSettings

FIXTURES = Path(__file__).resolve().parents[1] / "ingest" / "fixtures"
SECRET = ("rastro-hooks", "s3creto-de-prueba")
TOPIC = "arn:aws:sns:us-east-1:123456789012:rastro-ses"
CERT_URL = "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-test.pem"
SUBSCRIBE_URL = (
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn="
    + TOPIC
    + "&Token=abc"
)


@dataclass
class Keys:
    sendgrid: ec.EllipticCurvePrivateKey
    sendgrid_public_b64: str
    mailgun: str
    sns: rsa.RSAPrivateKey
    sns_cert_pem: bytes
    other_sns: rsa.RSAPrivateKey


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="session")
def keys() -> Keys:
    sendgrid = ec.generate_private_key(ec.SECP256R1())
    public = sendgrid.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    sns = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Keys(
        sendgrid=sendgrid,
        sendgrid_public_b64=base64.b64encode(public).decode(),
        mailgun=uuid.uuid4().hex,
        sns=sns,
        sns_cert_pem=_certificate(sns),
        other_sns=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


# --- signing, written from the providers' documentation (not from data_access) ---------------


def sendgrid_headers(key: ec.EllipticCurvePrivateKey, body: bytes, timestamp: int | None = None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {
        "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
        "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
        "Content-Type": "application/json",
    }


def mailgun_signature(signing_key: str, timestamp: int | None = None) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    token = uuid.uuid4().hex
    digest = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    return {"timestamp": timestamp, "token": token, "signature": digest.hexdigest()}


def mailgun_signed(body: bytes, signing_key: str, timestamp: int | None = None) -> bytes:
    data = json.loads(body)
    data["signature"] = mailgun_signature(signing_key, timestamp)
    return json.dumps(data).encode()


SNS_KEYS = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}
SNS_KEYS["UnsubscribeConfirmation"] = SNS_KEYS["SubscriptionConfirmation"]


def sns_message(
    key: rsa.RSAPrivateKey,
    message: str,
    *,
    kind: str = "Notification",
    topic: str = TOPIC,
    version: str = "1",
    cert_url: str = CERT_URL,
    timestamp: datetime | None = None,
    subject: str | None = None,
    subscribe_url: str = SUBSCRIBE_URL,
) -> dict:
    """An SNS message signed as AWS documents it (canonical "key\\nvalue\\n" string)."""
    when = (timestamp or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    envelope = {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": message,
        "Timestamp": when,
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
    }
    if subject is not None:
        envelope["Subject"] = subject
    if kind != "Notification":
        envelope["Token"] = "abc"
        envelope["SubscribeURL"] = subscribe_url
    else:
        envelope["UnsubscribeURL"] = "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
    text = "".join(f"{k}\n{envelope[k]}\n" for k in SNS_KEYS[kind] if k in envelope)
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = key.sign(text.encode(), padding.PKCS1v15(), algorithm)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


# --- the real samples --------------------------------------------------------------------------


def sendgrid_batch() -> bytes:
    return (FIXTURES / "sendgrid" / "event-webhook-batch-all-types.json").read_bytes()


def request_bodies(provider: str) -> list[bytes]:
    """The request bodies recorded by django-anymail's tests (Mailgun, Postmark)."""
    bodies = []
    for path in sorted((FIXTURES / provider).glob("test_*.json")):
        for request in json.loads(path.read_text())["requests"]:
            bodies.append(request["body"].encode())
    return bodies


def ses_bodies() -> list[str]:
    return [p.read_text() for p in sorted((FIXTURES / "ses").glob("*_ses_body.json"))]


def samples(provider: str, keys: Keys) -> list[tuple[bytes, dict]]:
    """(body, headers) of every real sample of a provider, signed with the test keys."""
    if provider == "sendgrid":
        body = sendgrid_batch()
        return [(body, sendgrid_headers(keys.sendgrid, body))]
    if provider == "mailgun":
        return [
            (mailgun_signed(b, keys.mailgun), {"Content-Type": "application/json"})
            for b in request_bodies("mailgun")
        ]
    if provider == "postmark":
        return [(b, {"Content-Type": "application/json"}) for b in request_bodies("postmark")]
    return [
        (json.dumps(sns_message(keys.sns, text)).encode(), {"Content-Type": "text/plain"})
        for text in ses_bodies()
    ]


# --- the service -------------------------------------------------------------------------------


@dataclass
class Hooks:
    service: http.Service
    client: TestClient
    engine: object
    keys: Keys
    fetched: list = field(default_factory=list)
    visited: list = field(default_factory=list)

    def post(self, provider: str, body: bytes, headers=None, *, auth=SECRET, query: str = ""):
        return self.client.post(
            f"/webhooks/{provider}{query}", content=body, headers=headers or {}, auth=auth
        )


def make_settings(keys: Keys, **changes) -> WebhookSettings:
    values = {
        "secret": ":".join(SECRET),
        "sendgrid_public_key": keys.sendgrid_public_b64,
        "mailgun_signing_key": keys.mailgun,
        "ses_topic_arns": (TOPIC,),
        **changes,
    }
    return WebhookSettings(**values)


def make_hooks(engine, keys: Keys, **changes) -> Hooks:
    fetched, visited = [], []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return keys.sns_cert_pem

    sns = verify.SnsVerifier(fetch=fetch, visit=visited.append)
    service = http.Service(
        settings_=make_settings(keys, **changes), engine=engine, sns=sns, worker=False
    )
    client = TestClient(Starlette(routes=http.make_routes(service)))
    return Hooks(service, client, engine, keys, fetched, visited)


@pytest.fixture
def hooks(empty_engine, keys) -> Hooks:
    return make_hooks(empty_engine, keys)
