"""The words of Rastro (DESIGN.md, "The words"): the code values stored in the database.

Every enumeration here is also a CHECK constraint in the schema, so the database refuses
anything else. Spanish labels live in the dashboard's catalogue, not here.
"""

ORIGINS = ("campaign", "automation")

# What happened with one email (or, for unsubscribe / resubscribe, with the contact's consent).
SENT = "sent"  # accepted by the provider, outcome not known yet
DELIVERED = "delivered"
BOUNCED = "bounced"
SPAM_COMPLAINT = "spam_complaint"
NOT_SENT = "not_sent"
UNSUBSCRIBED = "unsubscribed"
RESUBSCRIBED = "resubscribed"
EVENTS = (SENT, DELIVERED, BOUNCED, SPAM_COMPLAINT, NOT_SENT, UNSUBSCRIBED, RESUBSCRIBED)
# Written by Rastro itself, never by a provider: an administrator lifted a block (`reason` is
# the reason lifted; who, the comment and the renewed consent are in `block_lifts`).
BLOCK_LIFTED = "block_lifted"
# What `email_events.event` may hold: the providers' words (EVENTS, all an import accepts) and
# Rastro's own.
STORED_EVENTS = (*EVENTS, BLOCK_LIFTED)
# Events about the contact's consent may come from a preference centre, not from one email; a
# lift is not about one email either.
EVENTS_WITHOUT_CAMPAIGN = (UNSUBSCRIBED, RESUBSCRIBED, BLOCK_LIFTED)
# Events whose `reason` is one of REASONS (and that must have one).
EVENTS_WITH_REASON = (NOT_SENT, BLOCK_LIFTED)

HARD, SOFT, UNDETERMINED = "hard", "soft", "undetermined"
BOUNCE_TYPES = (HARD, SOFT, UNDETERMINED)

INVALID_ADDRESS = "invalid_address"
PREVIOUS_SPAM = "previous_spam"
UNSUBSCRIBED_REASON = "unsubscribed"
PREVIOUS_BOUNCE = "previous_bounce"
REASONS = (INVALID_ADDRESS, PREVIOUS_SPAM, UNSUBSCRIBED_REASON, PREVIOUS_BOUNCE)
# Lifting a block (DESIGN.md): bounces freely (a false positive); a spam report or an
# unsubscribe only with the contact's renewed consent; an invalid address never (it is
# corrected in the CRM).
LIFTABLE_REASONS = (PREVIOUS_BOUNCE, PREVIOUS_SPAM, UNSUBSCRIBED_REASON)
CONSENT_REASONS = (PREVIOUS_SPAM, UNSUBSCRIBED_REASON)

# Users of the dashboard (the CRM's roles): only administrators see Rastro.
ADMIN, SELLER = "admin", "seller"
ROLES = (ADMIN, SELLER)

# The audit trail.
AUDIT_ACTIONS = (
    "login_ok",  # a user signed in (password or single sign-on)
    "login_failed",  # wrong password, unknown user or disabled account
    "login_throttled",  # refused without checking: too many recent failures for that username
    "logout",  # (before migration 0007; now session_ended with its reason)
    "session_expired",  # idle for too long (before migration 0007; now session_ended)
    "access_denied",  # signed in, but not an administrator (or unknown to Rastro via SSO)
    "card_opened",  # an administrator opened a contact's card
    "webhook_refused",  # a provider webhook request with wrong credentials or signature
    "block_lifted",  # an administrator lifted a block (dashboard or CLI)
    "session_started",  # a browser got its session cookie (detail: password or single sign-on)
    "session_ended",  # a session ended (detail: why, one of SESSION_END_REASONS in Spanish)
)

# Why a dashboard session ended (data_access.sessions).
SESSION_LOGOUT = "logout"  # the user signed out
SESSION_IDLE = "idle"  # no activity for RASTRO_IDLE_MINUTES
SESSION_LIFETIME = "lifetime"  # older than RASTRO_SESSION_HOURS, active or not
SESSION_DISABLED = "disabled"  # the account was disabled
SESSION_PASSWORD = "password_changed"  # the account's password was changed
SESSION_UNUSED = "unused"  # the one-time sign-in link was never opened
SESSION_END_REASONS = (
    SESSION_LOGOUT,
    SESSION_IDLE,
    SESSION_LIFETIME,
    SESSION_DISABLED,
    SESSION_PASSWORD,
    SESSION_UNUSED,
)
SESSION_METHODS = ("password", "sso")
