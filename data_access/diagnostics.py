"""Bounce diagnostics in categories, from the provider's raw text (SMTP reply or reason).

The enhanced status code (RFC 3463, e.g. `5.1.1`) decides when present; otherwise words of
the text do. The category is stored with each bounce (`email_events.bounce_category`) so the
reports can count by it without reading the text again.
"""

import re

MAILBOX_UNKNOWN = "mailbox_unknown"
DOMAIN_UNKNOWN = "domain_unknown"
MAILBOX_FULL = "mailbox_full"
MAILBOX_DISABLED = "mailbox_disabled"
BLOCKED = "blocked"  # policy, spam filters, reputation
TEMPORARY = "temporary"  # deferrals, greylisting, timeouts
OTHER = "other"
CATEGORIES = (
    MAILBOX_UNKNOWN,
    DOMAIN_UNKNOWN,
    MAILBOX_FULL,
    MAILBOX_DISABLED,
    BLOCKED,
    TEMPORARY,
    OTHER,
)

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_BY_CODE = {
    ("1", "1"): MAILBOX_UNKNOWN,
    ("1", "0"): MAILBOX_UNKNOWN,
    ("1", "6"): MAILBOX_UNKNOWN,
    ("1", "2"): DOMAIN_UNKNOWN,
    ("4", "4"): DOMAIN_UNKNOWN,
    ("1", "10"): DOMAIN_UNKNOWN,
    ("2", "2"): MAILBOX_FULL,
    ("2", "1"): MAILBOX_DISABLED,
}
_WORDS = (
    (MAILBOX_FULL, ("quota", "mailbox full", "mailbox is full", "insufficient storage")),
    (
        MAILBOX_UNKNOWN,
        (
            "user unknown",
            "does not exist",
            "no such user",
            "unknown user",
            "recipient address rejected",
            "mailbox not found",
            "invalid recipient",
            "no mailbox",
        ),
    ),
    (
        DOMAIN_UNKNOWN,
        (
            "host not found",
            "domain not found",
            "no mx",
            "nxdomain",
            "unrouteable",
            "name service error",
            "domain does not exist",
        ),
    ),
    (MAILBOX_DISABLED, ("disabled", "inactive", "deactivated", "suspended")),
    (
        BLOCKED,
        (
            "spam",
            "blocked",
            "blacklist",
            "blocklist",
            "policy",
            "reputation",
            "rejected due to",
            "denied",
        ),
    ),
    (
        TEMPORARY,
        (
            "try again",
            "greylist",
            "deferred",
            "timeout",
            "timed out",
            "temporarily",
            "rate limit",
            "too many",
        ),
    ),
)


def bounce_category(*texts: str | None) -> str:
    """The category of a bounce from its SMTP diagnostic and/or the provider's reason."""
    text = " ".join(t for t in texts if t).lower()
    if not text:
        return OTHER
    status = _STATUS.search(text)
    if status:
        _klass, subject, detail = status.groups()
        if (subject, detail) in _BY_CODE:
            return _BY_CODE[(subject, detail)]
        if subject == "7":
            return BLOCKED
    for category, words in _WORDS:
        if any(word in text for word in words):
            return category
    if status and status.group(1) == "4":
        return TEMPORARY
    return OTHER
