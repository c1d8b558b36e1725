"""The dashboard's settings, from environment variables (documented in the README).

| variable | meaning | default |
| --- | --- | --- |
| RASTRO_TIMEZONE | the administrators' time zone (IANA name) | America/Mexico_City |
| RASTRO_CAMPAIGN_EDITOR_URL | email-campaign editor; `{id}` is the campaign's CRM id | see below |
| RASTRO_FLOW_EDITOR_URL | automation-flow editor; `{id}` is the flow's CRM id | see below |
| RASTRO_CACHE_TTL_SECONDS | how long query results are reused | 60 |
"""

import os
from dataclasses import dataclass
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "America/Mexico_City"
DEFAULT_CAMPAIGN_EDITOR_URL = "https://crm.example.com/emails/campaigns/{id}/edit"
DEFAULT_FLOW_EDITOR_URL = "https://crm.example.com/automations/flows/{id}/edit"


@dataclass(frozen=True)
class Settings:
    timezone: ZoneInfo
    campaign_editor_url: str
    flow_editor_url: str
    cache_ttl_seconds: int
    problems: tuple[str, ...] = ()  # catalogue keys of settings that were invalid and ignored

    def editor_url(self, origin: str | None, external_id: str | None) -> str | None:
        """The editor link of a campaign (`campaign`) or an automation flow (`automation`)."""
        if not external_id or origin not in ("campaign", "automation"):
            return None
        template = self.campaign_editor_url if origin == "campaign" else self.flow_editor_url
        return template.replace("{id}", quote(str(external_id), safe=""))


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
        if "{id}" not in value or not value.startswith(("https://", "http://")):
            problems.append("settings.bad_editor_url")
            value = default
        templates.append(value)
    try:
        ttl = max(0, int(environ.get("RASTRO_CACHE_TTL_SECONDS") or 60))
    except ValueError:
        problems.append("settings.bad_ttl")
        ttl = 60
    return Settings(zone, templates[0], templates[1], ttl, tuple(problems))
