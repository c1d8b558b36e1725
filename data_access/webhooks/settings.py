"""The webhook settings, read from the environment (see the README, "Webhooks").

RASTRO_WEBHOOK_SECRET                 "usuario:contraseña" of HTTP basic auth (required:
                                      without it every endpoint answers 503)
RASTRO_SENDGRID_WEBHOOK_PUBLIC_KEY    SendGrid's verification key (base64), turns on the
                                      ECDSA signature check
RASTRO_MAILGUN_WEBHOOK_SIGNING_KEY    Mailgun's HTTP webhook signing key, turns on the
                                      HMAC check
RASTRO_SES_TOPIC_ARNS                 SNS topics allowed to post (comma separated); none:
                                      every SES request is refused
RASTRO_WEBHOOK_MAX_AGE_SECONDS        oldest signature timestamp accepted (default: no limit)
RASTRO_WEBHOOK_MAX_BYTES              largest body accepted (default 10 MiB)
"""

import os
from dataclasses import dataclass

PROVIDERS = ("sendgrid", "ses", "mailgun", "postmark")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

SECRET = "RASTRO_WEBHOOK_SECRET"
SENDGRID_KEY = "RASTRO_SENDGRID_WEBHOOK_PUBLIC_KEY"
MAILGUN_KEY = "RASTRO_MAILGUN_WEBHOOK_SIGNING_KEY"
SES_TOPICS = "RASTRO_SES_TOPIC_ARNS"
MAX_AGE = "RASTRO_WEBHOOK_MAX_AGE_SECONDS"
MAX_BYTES = "RASTRO_WEBHOOK_MAX_BYTES"


@dataclass(frozen=True)
class WebhookSettings:
    secret: str | None = None  # "user:password"
    sendgrid_public_key: str | None = None
    mailgun_signing_key: str | None = None
    ses_topic_arns: tuple[str, ...] = ()
    max_age_seconds: int | None = None
    max_bytes: int = DEFAULT_MAX_BYTES
    problems: tuple[str, ...] = ()  # Spanish lines about settings that were not understood

    def checks(self, provider: str) -> bool:
        """Whether the provider's own signature check is on (SES: its topics are set)."""
        return {
            "sendgrid": self.sendgrid_public_key is not None,
            "mailgun": self.mailgun_signing_key is not None,
            "ses": bool(self.ses_topic_arns),
            "postmark": False,  # Postmark signs nothing: basic auth is its only check
        }[provider]


def _number(environ, name: str, problems: list[str]) -> int | None:
    text = (environ.get(name) or "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value <= 0:
        problems.append(f"{name} debe ser un número entero positivo; se usa el predeterminado.")
        return None
    return value


def load(environ=None) -> WebhookSettings:
    """The settings from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    problems: list[str] = []
    secret = (environ.get(SECRET) or "").strip() or None
    if secret is not None and ":" not in secret:
        problems.append(f"{SECRET} debe tener la forma usuario:contraseña; webhooks desactivados.")
        secret = None
    topics = tuple(t.strip() for t in (environ.get(SES_TOPICS) or "").split(",") if t.strip())
    max_bytes = _number(environ, MAX_BYTES, problems) or DEFAULT_MAX_BYTES
    return WebhookSettings(
        secret=secret,
        sendgrid_public_key=(environ.get(SENDGRID_KEY) or "").strip() or None,
        mailgun_signing_key=(environ.get(MAILGUN_KEY) or "").strip() or None,
        ses_topic_arns=topics,
        max_age_seconds=_number(environ, MAX_AGE, problems),
        max_bytes=max_bytes,
        problems=tuple(problems),
    )
