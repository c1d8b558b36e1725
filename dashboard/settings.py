"""The dashboard's settings, from environment variables (documented in the README).

| variable | meaning | default |
| --- | --- | --- |
| RASTRO_TIMEZONE | the administrators' time zone (IANA name) | America/Mexico_City |
| RASTRO_CAMPAIGN_EDITOR_URL | email-campaign editor; `{id}` is the campaign's CRM id | see below |
| RASTRO_FLOW_EDITOR_URL | automation-flow editor; `{id}` is the flow's CRM id | see below |
| RASTRO_CONTACT_URL | the contact in the CRM; `{id}` is the contact's CRM id | see below |
| RASTRO_CACHE_TTL_SECONDS | how long query results are reused | 60 |
| RASTRO_IDLE_MINUTES | a session ends after this long without activity | 30 |
| RASTRO_SESSION_HOURS | a session ends this long after its sign-in, active or not | 12 |
| RASTRO_LOGIN_MAX_FAILURES | failed sign-ins for one username before it is locked | 5 |
| RASTRO_LOGIN_LOCK_MINUTES | how long such a username stays locked | 15 |
| RASTRO_BOUNCE_WARNING / _CRITICAL | bounce-rate limits of the reports | 0.02 / 0.05 |
| RASTRO_COMPLAINT_WARNING / _CRITICAL | complaint-rate limits of the reports | 0.001 / 0.003 |
| RASTRO_BASE_URL | the dashboard's address, for absolute links in exported files | the browser's |
"""

import os
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data_access.sessions import Limits

DEFAULT_TIMEZONE = "America/Mexico_City"
DEFAULT_CAMPAIGN_EDITOR_URL = "https://crm.example.com/emails/campaigns/{id}/edit"
DEFAULT_FLOW_EDITOR_URL = "https://crm.example.com/automations/flows/{id}/edit"
DEFAULT_CONTACT_URL = "https://crm.example.com/contacts/{id}"


@dataclass(frozen=True)
class Settings:
    timezone: ZoneInfo
    campaign_editor_url: str
    flow_editor_url: str
    cache_ttl_seconds: int
    idle_minutes: int = 30
    session_hours: int = 12
    login_max_failures: int = 5
    login_lockout: timedelta = timedelta(minutes=15)
    bounce_limits: tuple[float, float] = (0.02, 0.05)
    complaint_limits: tuple[float, float] = (0.001, 0.003)
    problems: tuple[str, ...] = ()  # catalogue keys of settings that were invalid and ignored
    contact_url_template: str = DEFAULT_CONTACT_URL
    base_url: str = ""  # RASTRO_BASE_URL without its trailing slash; "" = not configured

    @property
    def session_limits(self) -> Limits:
        """How long a dashboard session may be idle, and how long it may last at all."""
        return Limits(
            idle=timedelta(minutes=self.idle_minutes), lifetime=timedelta(hours=self.session_hours)
        )

    def editor_url(self, origin: str | None, external_id: str | None) -> str | None:
        """The editor link of a campaign (`campaign`) or an automation flow (`automation`)."""
        if not external_id or origin not in ("campaign", "automation"):
            return None
        template = self.campaign_editor_url if origin == "campaign" else self.flow_editor_url
        return template.replace("{id}", quote(str(external_id), safe=""))

    def contact_url(self, crm_id: str | None) -> str | None:
        """The link to the contact in the CRM, from its CRM id (None without one)."""
        if not crm_id:
            return None
        return self.contact_url_template.replace("{id}", quote(str(crm_id), safe=""))


def load_settings(environ=None) -> Settings:
    environ = os.environ if environ is None else environ
    problems = []
    try:
        zone = ZoneInfo(environ.get("RASTRO_TIMEZONE") or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append("settings.bad_timezone")
        zone = ZoneInfo(DEFAULT_TIMEZONE)
    templates = []
    for name, default in (
        ("RASTRO_CAMPAIGN_EDITOR_URL", DEFAULT_CAMPAIGN_EDITOR_URL),
        ("RASTRO_FLOW_EDITOR_URL", DEFAULT_FLOW_EDITOR_URL),
    ):
        value = environ.get(name) or default
        if not _is_url_template(value):
            problems.append("settings.bad_editor_url")
            value = default
        templates.append(value)
    contact_url = environ.get("RASTRO_CONTACT_URL") or DEFAULT_CONTACT_URL
    if not _is_url_template(contact_url):
        problems.append("settings.bad_contact_url")
        contact_url = DEFAULT_CONTACT_URL
    numbers = {}
    for name, default, low in (
        ("RASTRO_CACHE_TTL_SECONDS", 60, 0),
        ("RASTRO_IDLE_MINUTES", 30, 1),
        ("RASTRO_SESSION_HOURS", 12, 1),
        ("RASTRO_LOGIN_MAX_FAILURES", 5, 1),
        ("RASTRO_LOGIN_LOCK_MINUTES", 15, 1),
    ):
        try:
            numbers[name] = max(low, int(environ.get(name) or default))
        except ValueError:
            problems.append("settings.bad_number")
            numbers[name] = default
    limits = {}
    for name, default in (
        ("RASTRO_BOUNCE_WARNING", 0.02),
        ("RASTRO_BOUNCE_CRITICAL", 0.05),
        ("RASTRO_COMPLAINT_WARNING", 0.001),
        ("RASTRO_COMPLAINT_CRITICAL", 0.003),
    ):
        try:
            value = float(environ.get(name) or default)
            if not 0 < value < 1:
                raise ValueError(name)
        except ValueError:
            problems.append("settings.bad_number")
            value = default
        limits[name] = value
    base_url = (environ.get("RASTRO_BASE_URL") or "").strip().rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        problems.append("settings.bad_base_url")
        base_url = ""
    return Settings(
        zone,
        templates[0],
        templates[1],
        numbers["RASTRO_CACHE_TTL_SECONDS"],
        idle_minutes=numbers["RASTRO_IDLE_MINUTES"],
        session_hours=numbers["RASTRO_SESSION_HOURS"],
        login_max_failures=numbers["RASTRO_LOGIN_MAX_FAILURES"],
        login_lockout=timedelta(minutes=numbers["RASTRO_LOGIN_LOCK_MINUTES"]),
        bounce_limits=(limits["RASTRO_BOUNCE_WARNING"], limits["RASTRO_BOUNCE_CRITICAL"]),
        complaint_limits=(limits["RASTRO_COMPLAINT_WARNING"], limits["RASTRO_COMPLAINT_CRITICAL"]),
        problems=tuple(dict.fromkeys(problems)),
        contact_url_template=contact_url,
        base_url=base_url,
    )


def _is_url_template(value: str) -> bool:
    """An http(s) URL with the `{id}` placeholder."""
    return "{id}" in value and value.startswith(("https://", "http://"))
