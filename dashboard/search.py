"""The search box with live suggestions, and the `?contacto=<id>` deep link."""

import streamlit as st

from data_access.text import fold_query

from . import auth, data
from .i18n import t
from .markdown import md_escape
from .ui import database_errors_shown, language, text

PARAM = "contacto"
SEARCH_KEY = "busqueda"
MAX_ID = 2**31 - 1
SHOWN = 20  # suggestions under the box


def parse_contact_id(raw: object) -> int | None:
    """A contact id from a URL parameter: a positive whole number, nothing else."""
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    return value if 1 <= value <= MAX_ID else None


def contact_from_url() -> tuple[int | None, str | None]:
    """(contact id, None) from `?contacto=`, or (None, message) when the parameter is bad."""
    raw = st.query_params.get(PARAM)
    if raw is None or raw == "":
        return None, None
    contact_id = parse_contact_id(raw)
    if contact_id is None:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        return None, text("link.bad", value=shown)
    return contact_id, None


def result_label(row: dict, lang: str) -> str:
    """One suggestion: name, email and a small status badge (Markdown-safe)."""
    if row["blocked"] is None:
        badge = ""
    elif row["blocked"]:
        badge = (
            f" · :red[:material/block: {t('badge.blocked', lang)}: "
            f"{t('reason.' + row['reason'], lang)}]"
        )
    else:
        badge = f" · :green[:material/check_circle: {t('badge.ok', lang)}]"
    crm = ""
    if row.get("crm_id") and (row.get("match") or "").startswith("crm_id"):
        crm = " · " + md_escape(t("search.crm_id", lang, id=row["crm_id"]))
    return f"**{md_escape(row['name'] or '—')}** · {md_escape(row['email'])}{crm}{badge}"


_CLEAR = "_busqueda_clear"


@auth.fragment  # reruns alone on every keystroke: it checks the session itself
def render_search() -> None:
    """The search box; picking a suggestion puts its id in the URL, empties the box (so the
    card is not pushed down by the list) and reruns the page."""
    if st.session_state.pop(_CLEAR, False):
        st.session_state[SEARCH_KEY] = ""  # allowed: the widget is not drawn yet in this run
    typed = st.text_input(
        text("search.label"),
        key=SEARCH_KEY,
        type="search",
        live=True,
        placeholder=text("search.placeholder"),
        max_chars=300,
    )
    if not typed or not fold_query(typed):
        st.caption(text("search.hint"))
        return
    with database_errors_shown():
        # One more than shown, to tell "exactly 20" from "more than 20".
        results = data.search(typed, limit=SHOWN + 1)
    if results.is_empty():
        st.info(text("search.none", text=typed[:80]))
        if len(fold_query(typed)) < 3:
            st.caption(text("search.short"))
        return
    exact = exact_address(results)
    if exact is not None:
        _open(exact)
    st.caption(count_text(results.height, language()))
    lang = language()
    for row in results.head(SHOWN).iter_rows(named=True):
        if st.button(result_label(row, lang), key=f"pick_{row['id']}", width="stretch"):
            _open(row["id"])


def _open(contact_id: int) -> None:
    """Open the card of `contact_id`: its id in the URL, the box emptied, the page rerun."""
    st.query_params[PARAM] = str(contact_id)
    st.session_state[_CLEAR] = True
    st.rerun()


def count_text(found: int, lang: str) -> str:
    """ "1 coincidencia", "7 coincidencias…", or "más de 20…" when the search found more than
    are shown (it asks for one more than SHOWN)."""
    if found > SHOWN:
        return t("search.count_more", lang, count=SHOWN)
    return t("search.count_one" if found == 1 else "search.count", lang, count=found)


def exact_address(results) -> int | None:
    """The contact whose address is exactly what was typed, when no other address starts with
    it: the box then opens its card at once (on Enter, or when typing pauses; Streamlit tells
    the two apart for no widget). With another address that starts with it (ana@x.com and
    ana@x.com.mx) the list is shown, the exact one first, so that typing can go on."""
    matches = results["match"].to_list()
    if not matches or matches[0] != "email_exact" or "email_prefix" in matches[1:]:
        return None
    return int(results["id"][0])
