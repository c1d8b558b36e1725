"""The catalogue: every user-visible string of the dashboard, Spanish first, English second.

`t(key, **values)` returns the text in the current language (Spanish unless switched).
"""

CATALOGUE: dict[str, dict[str, str]] = {
    "app.title": {"es": "Rastro", "en": "Rastro"},
    "app.tagline": {
        "es": "Qué pasó con los correos enviados a cada contacto: rebotes, spam y envíos no "
        "realizados, por campaña y por automatización.",
        "en": "What happened with the emails sent to each contact: bounces, spam and unsent "
        "emails, by campaign and by automation.",
    },
    "home.page": {"es": "Inicio", "en": "Home"},
    "home.ready": {
        "es": "La base de datos está lista ({engine}).",
        "en": "The database is ready ({engine}).",
    },
    "home.coming": {
        "es": "Las páginas de contactos, informes e importación llegan en las próximas versiones.",
        "en": "The contact, report and import pages arrive in the next versions.",
    },
    "error.database": {
        "es": "No se puede abrir la base de datos. Revisa DATABASE_URL o el secreto "
        "connections.sql.url. Detalle: {detail}",
        "en": "The database cannot be opened. Check DATABASE_URL or the connections.sql.url "
        "secret. Detail: {detail}",
    },
}

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


def t(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for `key` in `language` (falling back to Spanish), with `values` filled in."""
    entry = CATALOGUE[key]
    text = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return text.format(**values) if values else text
