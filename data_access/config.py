"""Where the database is: `--database URL`, then `DATABASE_URL`, then the embedded SQLite file.

The embedded default lives inside the project folder (`var/rastro.sqlite3`, git-ignored), so
`streamlit run streamlit_app.py` works on a fresh machine with nothing configured.
"""

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
EMBEDDED_PATH = PROJECT_DIR / "var" / "rastro.sqlite3"
ENV_VAR = "DATABASE_URL"
# The administrators' time zone (the dashboard's RASTRO_TIMEZONE and its default); the
# embedded demo counts its report days in it, like the card.
TIMEZONE_VAR = "RASTRO_TIMEZONE"
DEFAULT_TIMEZONE = "America/Mexico_City"


def embedded_url() -> str:
    return f"sqlite:///{EMBEDDED_PATH}"


def resolve_url(explicit: str | None = None) -> str:
    """The database URL to use: the explicit one, else `DATABASE_URL`, else the embedded file.

    `postgresql://` and `postgres://` URLs are given the psycopg 3 driver.
    """
    url = explicit or os.environ.get(ENV_VAR) or embedded_url()
    return normalise_url(url)


def normalise_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def is_embedded(url: str) -> bool:
    return normalise_url(url) == embedded_url()


def configured_timezone() -> str | None:
    """RASTRO_TIMEZONE when it names a known time zone, else None."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    name = (os.environ.get(TIMEZONE_VAR) or "").strip()
    try:
        return ZoneInfo(name).key if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None
