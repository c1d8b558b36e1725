"""Text from outside made safe for Streamlit Markdown: the one helper every drawn text uses.

Streamlit draws as Markdown nearly every text it is given: messages, captions, headers,
expander and tab titles, the labels of every widget and button, radio and segmented-control
options, spinners and progress texts, help tooltips. Whatever did not come from the catalogue
(names, addresses, campaign names, file names, provider replies, typed text, URL parameters,
driver errors, CSV headers) is escaped before it is drawn there:

- every ASCII punctuation character gets a backslash (no links, images, emphasis, headings,
  HTML, tables, LaTeX `$`, Streamlit's `:red[…]` directives and `:material/…:` icons);
- a line break becomes a space (no `\\n\\n# heading`, no indented code block);
- a WORD JOINER (U+2060, invisible) goes after a `:` that is followed by more than a space
  (`https:`, `:material`), before every `@` and after a `www` before a dot: Streamlit's GFM autolinks find `https://…`, `www.…` and addresses in the text *after*
  the escapes are undone, and its `:streamlit:`-style shortcodes likewise, so only breaking the
  pattern keeps them from becoming links or images.

`md_code` draws a value as inline code instead, for a contact's own address: copied exactly,
never a link.

`Markdown` marks text that is already safe Markdown: what `md_escape`, `md_link`,
`md_format` and the catalogue (`i18n.md`, `ui.text`) return. It is never escaped again, so a
catalogue text can carry an escaped value or a link made here without backslashes showing.
Places that are not Markdown (Altair titles, dataframe cells and column labels, selectbox
options, file names, CSV headers, the command line) take plain text instead: `i18n.t`,
`ui.plain`.
"""

import datetime as _dt
import decimal
import re
import string

_MARKDOWN_SPECIAL = set(string.punctuation)
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]")
WORD_JOINER = "\u2060"
_WWW = re.compile(r"(www)(?=\\?\.)", re.IGNORECASE)
# Values that a catalogue text may format with a spec ({count:,}); they carry no Markdown.
_UNESCAPED = (bool, int, float, decimal.Decimal, _dt.date, _dt.datetime, _dt.time)


class Markdown(str):
    """Text that is safe Markdown as it is: never escaped again."""

    __slots__ = ()


def md_escape(value: object) -> Markdown:
    """`value` (text from outside) as Markdown that draws exactly its characters, on one line,
    with no link, image, colour, icon, emphasis, heading, HTML or formula. Idempotent: text
    already `Markdown` is returned as it is."""
    if isinstance(value, Markdown):
        return value
    text = _LINE_BREAKS.sub(" ", str(value))
    out = []
    for i, ch in enumerate(text):
        if ch == "@":
            out.append(WORD_JOINER + "\\@")
        elif ch == ":":
            # "realizarán: el" stays as typed; "https:" and ":red[" are broken apart.
            followed = i + 1 < len(text) and not text[i + 1].isspace()
            out.append("\\:" + (WORD_JOINER if followed else ""))
        elif ch in _MARKDOWN_SPECIAL:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return Markdown(_WWW.sub(r"\1" + WORD_JOINER, "".join(out)))


def md_code(value: object) -> Markdown:
    """`value` as an inline code span: drawn exactly, copied exactly (no invisible joiner), and
    never a link, an image or a colour. For an address the administrator copies elsewhere."""
    text = _LINE_BREAKS.sub(" ", str(value))
    if not text:
        return Markdown("")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return Markdown(f"{fence}{pad}{text}{pad}{fence}")


def md_link(label: object, url: str | None) -> Markdown:
    """A Markdown link with an escaped label to a URL of the configuration (http or https
    only; characters that would end the link are percent-encoded), or the escaped label alone
    when there is no such URL."""
    if not url or not re.match(r"(?i)https?://", url):
        return md_escape(label)
    safe = "".join(f"%{ord(ch):02X}" if ch in " ()<>[]\\\"'`\r\n\t" else ch for ch in url)
    return Markdown(f"[{md_escape(label)}]({safe})")


def md_format(template: str, **values) -> Markdown:
    """A trusted Markdown `template` (a catalogue text) with `values` filled in, each escaped
    unless it is already Markdown or a number or date (which a format spec may need)."""
    if not values:
        return Markdown(template)
    return Markdown(template.format(**{k: _safe(v) for k, v in values.items()}))


def _safe(value: object) -> object:
    if isinstance(value, (Markdown, *_UNESCAPED)):
        return value
    return md_escape(value)


def md_join(separator: str, parts) -> Markdown:
    """Markdown parts joined by a trusted separator (a literal of the code, never data)."""
    return Markdown(separator.join(md_escape(p) for p in parts))
