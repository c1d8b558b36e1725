"""The hostile corpus (issue 17): strings that break naive code, driven through every input.

`CORPUS` maps a short id to the string. `CHEAP` is the whole corpus (for inputs that cost
milliseconds), `SAMPLE` a representative subset for inputs that cost a page run, `BROWSER` the
few drawn in the real browser. `drawn(at)` / `assert_clean(at, value)` check an AppTest run:
no exception, no traceback, and the value never drawn as live Markdown.
"""

import json
import re
import string

from dashboard.markdown import md_escape

LONG = "x" * 10_000
CORPUS: dict[str, str] = {
    "percent": "%",
    "underscore": "_",
    "like_both": "%_%",
    "quote": "'",
    "double_quote": '"',
    "drop_table": "'; DROP TABLE contacts; --",
    "or_true": "' OR '1'='1",
    "backslash": "\\",
    "nul": "ana\x00admin",
    "nul_alone": "\x00",
    "surrogate": "abc\ud800def",
    "surrogate_low": "\udfff",
    "json_surrogate": json.dumps("abc\ud800def")[1:-1],  # the escape as text: abc\ud800def
    "long": LONG,
    "rtl": "\u202egnp.exe",
    "zero_width": "a\u200bb\u200c\u200d\ufeff",
    "combining": "Jose\u0301 Nu\u0303n\u0303ez",
    "emoji": "📬🧨👩‍👩‍👧",
    "html": "<b>negrita</b>",
    "script": "<script>alert(1)</script>",
    "img_tag": '<img src=x onerror="alert(1)">',
    "md_link": "[Entrar de nuevo](https://ev.il/x)",
    "md_image": "![t](https://ev.il/i.png)",
    "md_ref": "[a][1]\n\n[1]: https://ev.il/r",
    "autolink": "<https://ev.il/y>",
    "bare_url": "visita https://ev.il/x ya",
    "www": "www.ev.il",
    "email": "mallory@ev.il",
    "javascript": "javascript:alert(1)",
    "red": ":red[alerta]",
    "red_background": ":red-background[alerta]",
    "badge": ":green-badge[OK]",
    "icon": ":material/warning: aviso",
    "shortcode": ":streamlit: logo",
    "bold": "**negrita**",
    "strike": "~~tachado~~",
    "code": "`código`",
    "latex_block": "$$x^2$$",
    "latex_inline": "$x$ y $y$",
    "heading": "\n\n# Título",
    "list": "- uno\n- dos",
    "table": "| a | b |\n|---|---|\n| 1 | 2 |",
    "format_index": "{0}",
    "format_percent": "%s %d",
    "format_class": "{__class__}",
    "format_attr": "{user.__init__.__globals__}",
    "newline": "línea1\nlínea2",
    "crlf": "a\r\nb\rc",
    "tab": "a\tb",
    "formula_cmd": "=cmd|' /C calc'!A0",
    "formula_plus": "+1+1",
    "formula_minus": "-1+1",
    "formula_at": "@SUM(A1)",
    "only_spaces": "   ",
    "empty": "",
    "big_number": str(2**63),
    "negative": "-1",
    "unicode_digits": "١٢٣",
    "path": "../../etc/passwd",
}

# Inputs that cost a page run get this subset: one of each family.
SAMPLE_IDS = (
    "like_both",
    "drop_table",
    "nul",
    "surrogate",
    "long",
    "rtl",
    "script",
    "md_link",
    "md_image",
    "bare_url",
    "red",
    "icon",
    "latex_block",
    "heading",
    "format_class",
    "formula_cmd",
)
CHEAP = list(CORPUS)
SAMPLE = list(SAMPLE_IDS)
BROWSER = ["md_link", "md_image", "bare_url", "www", "email", "red", "latex_block"]


def typed(value: str) -> str:
    """What a browser can send of `value` (a widget's text, a URL parameter): UTF-8, so a lone
    surrogate arrives as U+FFFD (Streamlit's protocol cannot carry one either)."""
    return re.sub("[\ud800-\udfff]", "\ufffd", value)


# Characters Markdown (or Streamlit) acts on: a value with one of them must never reach a
# Markdown body as it is.
_ACTIVE = re.compile(r"[\[\]()!*_`~$<>#|:@\\{}]|www\.|\n")


def active(value: str) -> bool:
    """True when the raw `value` would be drawn as something else than its characters."""
    return bool(_ACTIVE.search(value))


def markdown_texts(at) -> list[str]:
    """Every text of an AppTest run that Streamlit draws as Markdown: bodies of markdown,
    captions, headers and alerts, labels of widgets, buttons and expanders, radio options."""
    texts = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        kind = getattr(node, "type", "")
        if proto is None:
            continue
        for name in ("body", "label", "help", "placeholder_text"):
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                if kind in ("text", "code", "json", "exception") and name == "body":
                    continue  # drawn as it is
                texts.append(value)
        if kind == "radio":
            texts += [str(option) for option in proto.options]
    return texts


def all_texts(at) -> list[str]:
    """Every string of the run's elements (values of inputs and tables included)."""
    found = []
    for node in _walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            found.append(str(proto))
    return found


def _walk(node):
    yield node
    children = getattr(node, "children", None) or {}
    for child in children.values():
        yield from _walk(child)


def assert_clean(at, *values: str) -> None:
    """No exception or traceback in the run, and none of `values` drawn as live Markdown."""
    assert not at.exception, at.exception
    for text in all_texts(at):
        assert "Traceback" not in text, text[:2000]
    bodies = markdown_texts(at)
    for value in values:
        if len(value) >= 3 and active(value):
            for body in bodies:
                assert value not in body, (value, body[:500])


def assert_escaped_in(at, value: str) -> None:
    """The escaped `value` is drawn (so the check above saw the real place)."""
    escaped = md_escape(value)
    assert any(escaped in body for body in markdown_texts(at)), (escaped, markdown_texts(at))


def live_markup(markdown: str) -> list[str]:
    """What in Streamlit Markdown would not be drawn as its characters: ASCII punctuation
    without its backslash, line breaks, and (once the escapes are undone, as Streamlit's
    autolinks and shortcodes see the text) a URL, www. or address, or a `:name:` shortcode."""
    found, shown, i = [], [], 0
    while i < len(markdown):
        ch = markdown[i]
        if ch == "\\" and i + 1 < len(markdown):
            shown.append(markdown[i + 1])
            i += 2
            continue
        if ch in string.punctuation:
            found.append(ch)
        elif ch in "\r\n":
            found.append("line break")
        shown.append(ch)
        i += 1
    text = "".join(shown)
    if re.search(r"(?i)https?://|www\.|[\w.+-]@\w", text):
        found.append("autolink")
    if re.search(r":[\w+-]+:", text):
        found.append("shortcode")
    return found


def shown_text(markdown: str) -> str:
    """The characters an escaped Markdown text draws (backslash escapes undone, the invisible
    word joiners of md_escape removed): what a reader sees, to compare with plain text."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")
