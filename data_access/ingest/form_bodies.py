"""Reading form-encoded webhook bodies (what Mailgun's legacy webhooks post) into their fields:
`application/x-www-form-urlencoded` with urllib.parse.parse_qsl, `multipart/form-data` with the
standard library's email parser. What the fields mean is the provider parser's job.

A file holds either one multipart body or URL-encoded bodies, one per line:

- multipart: the text starts with the boundary line (`--` and the boundary) and its parts are
  `Content-Disposition: form-data`. One body per file (an HTTP request carries one). File
  parts (Mailgun attaches the message itself to some events) are not fields and are skipped.
- URL-encoded: a body has no line break of its own (one in a value is written `%0A`), so a
  line is a body and a file of bodies collected one by one is a file of lines; blank lines
  are skipped. `+` is a space, values are UTF-8.

A field may come several times (Mailgun merges custom variables named like its own fields
into the body): `Form` keeps every value, in order.

The Spanish texts here end up as Rejected reasons and FormatError messages.
"""

import email.errors
import email.parser
import email.policy
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl

from .values import Unreadable

_FORM_DATA = re.compile(r"content-disposition:\s*form-data", re.IGNORECASE)
# RFC 2046 boundary characters (a quote would break the Content-Type line it goes into).
_BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{1,70}")


@dataclass(frozen=True)
class Form:
    """One body's fields: each name with all its values, in the body's order."""

    fields: dict[str, list[str]]

    def first(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[0] if values else None

    def last(self, name: str) -> str | None:
        values = self.fields.get(name)
        return values[-1] if values else None


@dataclass(frozen=True)
class Unparsed:
    """A body that is not a form, with the reason (Spanish)."""

    reason: str


def is_multipart(text: str) -> bool:
    """Whether the text is a multipart/form-data body: its boundary line first, form-data
    parts inside."""
    return text.lstrip("\r\n").startswith("--") and _FORM_DATA.search(text) is not None


def form_items(text: str) -> list[tuple[int, str, Form | Unparsed]]:
    """(position, raw text, form) for each body of the file: the multipart body (position 1)
    or each non-blank line (its line number). A body that cannot be read stays in place as
    `Unparsed`."""
    if is_multipart(text):
        return [(1, text, _read(multipart_form, text))]
    items = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.strip()
        if line:
            items.append((number, line, _read(urlencoded_form, line)))
    return items


def _read(reader, text: str) -> Form | Unparsed:
    try:
        return reader(text)
    except Unreadable as error:
        return Unparsed(str(error))


def urlencoded_form(body: str) -> Form:
    """The fields of an application/x-www-form-urlencoded body."""
    for field in body.split("&"):
        if field and "=" not in field:
            raise Unreadable(f"no es un formulario URL-encoded: «{field[:40]}» no tiene «=»")
    try:
        pairs = parse_qsl(body, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Unreadable("el formulario tiene valores que no son texto UTF-8") from None
    return _form(pairs)


def multipart_form(body: str) -> Form:
    """The fields of a multipart/form-data body (its boundary read from its first line)."""
    body = body.lstrip("\r\n")
    boundary = body.split("\n", 1)[0].rstrip("\r")[2:]
    if not _BOUNDARY.fullmatch(boundary) or boundary.endswith(" "):
        raise Unreadable("formulario multipart ilegible: la primera línea no es un separador")
    # The body without its request headers: the parser is given the Content-Type it had.
    message = email.parser.Parser(policy=email.policy.HTTP).parsestr(
        f'Content-Type: multipart/form-data; boundary="{boundary}"\r\n\r\n{body}'
    )
    if not message.is_multipart() or any(
        isinstance(defect, email.errors.CloseBoundaryNotFoundDefect) for defect in message.defects
    ):
        raise Unreadable(f"formulario multipart incompleto: falta el cierre --{boundary}--")
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str) or part.get_filename() is not None or part.is_multipart():
            continue  # an attachment, or not a field
        pairs.append((name, part.get_payload()))
    return _form(pairs)


def _form(pairs: list[tuple[str, str]]) -> Form:
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return Form(fields)
