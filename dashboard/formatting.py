"""Formatting of dates, numbers and percentages in Spanish or English, independent of the
machine's locale."""

from datetime import datetime
from zoneinfo import ZoneInfo

MONTHS_SHORT = {
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def format_date(moment: datetime | None, zone: ZoneInfo, language: str = "es") -> str:
    """`3 mar 2026` (Spanish) / `Mar 3, 2026` (English), in the administrator's time zone."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    month = MONTHS_SHORT[language][local.month - 1]
    if language == "en":
        return f"{month} {local.day}, {local.year}"
    return f"{local.day} {month} {local.year}"


def format_datetime(moment: datetime | None, zone: ZoneInfo, language: str = "es") -> str:
    """`3 mar 2026, 10:05` in the administrator's time zone (24-hour clock)."""
    if moment is None:
        return "—"
    local = moment.astimezone(zone)
    return f"{format_date(moment, zone, language)}, {local:%H:%M}"


def format_count(value: int, language: str = "es") -> str:
    """Thousands with a dot in Spanish (1.234.567) and a comma in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if language == "es" else text


def format_percent(value: float | None, language: str = "es") -> str:
    """A ratio as a percentage with two decimals: `1,58 %` in Spanish, `1.58%` in English."""
    if value is None:
        return "—"
    shown = f"{value * 100:.2f} %"
    return shown.replace(".", ",") if language == "es" else shown.replace(" %", "%")


# The same ratios inside charts, as d3-format strings (Vega-Lite formats them in the browser).
CHART_PERCENT_AXIS = "%"  # whole percentages on an axis
CHART_PERCENT = ".2%"  # two decimals in a tooltip, as in format_percent


def format_day(day, language: str = "es", with_year: bool = True) -> str:
    """A calendar day (a `date`, no time zone): `6 sept 2026` / `Sep 6, 2026`, or without the
    year `6 sept` / `Sep 6`."""
    month = MONTHS_SHORT[language][day.month - 1]
    if language == "en":
        return f"{month} {day.day}, {day.year}" if with_year else f"{month} {day.day}"
    return f"{day.day} {month} {day.year}" if with_year else f"{day.day} {month}"


def format_iso(moment: datetime | None, zone: ZoneInfo) -> str:
    """ISO 8601 in the administrator's time zone, with its offset, to the second
    (`2026-03-03T10:05:00-06:00`): for files that other programs read."""
    if moment is None:
        return ""
    return moment.astimezone(zone).replace(microsecond=0).isoformat()


def wrap_label(text: str, width: int = 24) -> str:
    """A chart label broken into lines of about `width` characters, joined by newlines (the
    charts draw each line; nothing is cut). Lines break at spaces; a longer word (a domain,
    say) breaks after a dot or a hyphen, or else at `width`."""
    lines: list[str] = []
    for word in text.split():
        pieces = []
        while len(word) > width:
            cut = max(word.rfind(".", 0, width), word.rfind("-", 0, width)) + 1 or width
            pieces.append(word[:cut])
            word = word[cut:]
        pieces.append(word)
        if lines and len(lines[-1]) + 1 + len(pieces[0]) <= width:
            lines[-1] += " " + pieces.pop(0)
        lines.extend(pieces)
    return "\n".join(lines)
