"""Is this request really from the provider? Pure checks (no database, no network of their
own): HTTP basic auth, SendGrid's ECDSA signature, Mailgun's HMAC, and Amazon SNS message
signatures. Each check raises `Refused` with the HTTP status and a Spanish reason.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from ..ingest import mailgun
from ..ingest.form_bodies import Form, Unparsed, form_items


class Refused(Exception):
    """The request is not authentic (or not allowed); `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --- basic auth -------------------------------------------------------------------------------


def check_basic_auth(authorization: str | None, secret: str) -> None:
    """The `Authorization: Basic ...` header carries exactly `secret` ("user:password")."""
    if not authorization:
        raise Refused(401, "faltan las credenciales (autenticación básica)")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise Refused(401, "las credenciales no son de autenticación básica")
    try:
        given = base64.b64decode(token.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise Refused(401, "credenciales ilegibles") from None
    # Constant time over the whole "user:password", so nothing leaks which part was wrong.
    if not hmac.compare_digest(given, secret.encode()):
        raise Refused(401, "usuario o contraseña incorrectos")


def check_age(timestamp: float, max_age: int | None, now: float | None = None) -> None:
    """A signed timestamp is not older (nor further ahead) than `max_age` seconds."""
    if max_age is None:
        return
    now = time.time() if now is None else now
    if abs(now - timestamp) > max_age:
        raise Refused(403, f"firma caducada: la marca de tiempo tiene más de {max_age} s")


def _unix_time(text: str | None, what: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise Refused(403, f"marca de tiempo de {what} ilegible") from None


# --- SendGrid ---------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _ec_public_key(key_b64: str) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(base64.b64decode(key_b64))
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ValueError("not an EC key")
    return key


def check_sendgrid(
    public_key_b64: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    *,
    max_age: int | None = None,
    now: float | None = None,
) -> None:
    """SendGrid's Event Webhook signature: ECDSA P-256 / SHA-256 over timestamp + raw body."""
    if not signature or not timestamp:
        raise Refused(
            401,
            "faltan las cabeceras de firma de SendGrid (X-Twilio-Email-Event-Webhook-"
            "Signature / -Timestamp)",
        )
    check_age(_unix_time(timestamp, "SendGrid"), max_age, now)
    try:
        key = _ec_public_key(public_key_b64)
    except (ValueError, binascii.Error, TypeError):
        raise Refused(403, "la clave pública de SendGrid configurada no es válida") from None
    try:
        key.verify(
            base64.b64decode(signature), timestamp.encode() + body, ec.ECDSA(hashes.SHA256())
        )
    except (InvalidSignature, binascii.Error, ValueError):
        raise Refused(403, "la firma de SendGrid no corresponde al contenido") from None


# --- Mailgun ----------------------------------------------------------------------------------

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form(content_type: str | None) -> bool:
    """A legacy (form-encoded) Mailgun body rather than a JSON one."""
    return (content_type or "").split(";")[0].strip().lower() in FORM_TYPES


def form_fields(body: bytes) -> Form | None:
    """The fields of one legacy form body (urlencoded or multipart, told apart by its text as
    the file imports do: `data_access.ingest.form_bodies`), or None when it is not one form."""
    items = form_items(body.decode("utf-8", "replace"))
    if len(items) != 1 or isinstance(items[0][2], Unparsed):
        return None
    return items[0][2]


def mailgun_signature_fields(body: bytes, content_type: str | None) -> tuple[str, str, str]:
    """(timestamp, token, signature): the `signature` block of a JSON body, or the three
    top-level fields of a legacy form body (`data_access.ingest.mailgun.signature_fields`)."""
    if not is_form(content_type):
        try:
            json.loads(body)
        except (ValueError, RecursionError):
            raise Refused(400, "el cuerpo no es JSON") from None
    fields = mailgun.signature_fields(body.decode("utf-8", "replace"))
    if fields is None:
        raise Refused(401, "faltan timestamp, token o signature de Mailgun")
    return tuple(fields)


def check_mailgun(
    signing_key: str,
    body: bytes,
    content_type: str | None,
    *,
    max_age: int | None = None,
    now: float | None = None,
) -> None:
    """Mailgun's webhook signature: HMAC-SHA256(signing key, timestamp + token), hex."""
    timestamp, token, signature = mailgun_signature_fields(body, content_type)
    check_age(_unix_time(timestamp, "Mailgun"), max_age, now)
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode(), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signature.lower()):
        raise Refused(403, "la firma de Mailgun no corresponde")


# --- Amazon SNS -------------------------------------------------------------------------------

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
_SNS_HOST = re.compile(rf"sns\.{_REGION}\.amazonaws\.com")
_SIGNED_KEYS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_SIGNED_KEYS["UnsubscribeConfirmation"] = _SIGNED_KEYS["SubscriptionConfirmation"]
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def sns_url_allowed(url: object, *, pem: bool) -> bool:
    """An https://sns.<region>.amazonaws.com/ URL with no user, no port (and, for a
    certificate, a path ending in .pem): the only host Rastro will ever fetch from."""
    if not isinstance(url, str):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "https"
        and "@" not in parts.netloc
        and port is None
        and ":" not in parts.netloc
        and _SNS_HOST.fullmatch(parts.netloc or "") is not None
        and (not pem or (parts.path.endswith(".pem") and not parts.query and not parts.fragment))
    )


def canonical_sns_string(message: dict) -> bytes:
    """What SNS signs: "key\\nvalue\\n" for the type's keys present, in this order."""
    keys = _SIGNED_KEYS.get(message.get("Type"))
    if keys is None:
        raise Refused(400, f"tipo de mensaje SNS desconocido: {message.get('Type')!r}")
    text = "".join(
        f"{key}\n{message[key]}\n"
        for key in keys
        if key in message and not (key == "Subject" and message[key] is None)
    )
    return text.encode()


def _fetch(url: str) -> bytes:  # pragma: no cover - the network is not reachable in tests
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read(64 * 1024)


class SnsVerifier:
    """Checks SNS messages against the certificate at their SigningCertURL (fetched once per
    URL, then cached) and confirms subscriptions. `fetch(url) -> bytes` and `visit(url)` are
    injectable: the tests give certificates they make, and nothing goes to the network."""

    def __init__(
        self,
        fetch: Callable[[str], bytes] | None = None,
        visit: Callable[[str], object] | None = None,
    ):
        self.fetch = fetch or _fetch
        self.visit = visit or _fetch
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._lock = threading.Lock()

    def _key(self, url: str) -> rsa.RSAPublicKey:
        with self._lock:
            key = self._keys.get(url)
        if key is not None:
            return key
        try:
            certificate = x509.load_pem_x509_certificate(self.fetch(url))
        except (OSError, ValueError):
            raise Refused(403, "no se pudo obtener el certificado de firma de SNS") from None
        now = datetime.now(UTC)
        if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
            raise Refused(403, "el certificado de firma de SNS no está vigente")
        key = certificate.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise Refused(403, "el certificado de firma de SNS no tiene una clave RSA")
        with self._lock:
            self._keys[url] = key
        return key

    def verify(self, message: dict, *, max_age: int | None = None, now: float | None = None):
        """The message's signature is SNS's (version 1: SHA1withRSA, 2: SHA256withRSA)."""
        canonical = canonical_sns_string(message)
        url = message.get("SigningCertURL")
        if not sns_url_allowed(url, pem=True):
            raise Refused(403, "SigningCertURL no es un certificado de sns.<región>.amazonaws.com")
        algorithm = _HASHES.get(str(message.get("SignatureVersion")))
        if algorithm is None:
            raise Refused(403, "SignatureVersion de SNS desconocida (se admiten 1 y 2)")
        try:
            signature = base64.b64decode(message.get("Signature") or "", validate=True)
        except (binascii.Error, ValueError):
            raise Refused(403, "firma SNS ilegible") from None
        if not signature:
            raise Refused(401, "falta la firma del mensaje SNS")
        try:
            self._key(url).verify(signature, canonical, padding.PKCS1v15(), algorithm())
        except InvalidSignature:
            raise Refused(403, "la firma del mensaje SNS no corresponde") from None
        check_age(_sns_time(message.get("Timestamp")), max_age, now)

    def confirm(self, message: dict) -> None:
        """Visit the SubscribeURL of a (verified) SubscriptionConfirmation."""
        url = message.get("SubscribeURL")
        if not sns_url_allowed(url, pem=False):
            raise Refused(403, "SubscribeURL no es de sns.<región>.amazonaws.com")
        self.visit(url)


def _sns_time(text: object) -> float:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise Refused(403, "Timestamp del mensaje SNS ilegible") from None
