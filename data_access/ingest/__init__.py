"""Bringing in delivery events from providers' files: SendGrid, Amazon SES, Mailgun, Postmark
and a documented generic CSV. `import_file` is what the CLI (`python -m data_access import`)
and the "Importar eventos" page call.

A file that is not stored at all raises `ImportRefused` (Spanish message, and a catalogue key
with its values for the app's languages): `FormatError` when it is not the provider's format,
`ConcurrentImport` when another import stored events at the same time (importing it again is
enough), and `ImportRefused` itself for a file over the size limit or an import that waited
too long for another one on SQLite (`limits`: RASTRO_MAX_IMPORT_MB,
RASTRO_SQLITE_BUSY_SECONDS). The modules: `model` (what a parser produces), `json_records` (a JSON file's
records), `form_bodies` (form-encoded webhook bodies: Mailgun's legacy ones), `values`
(reading one value: dates, text, origin), one parser per provider, and `store` (storing a
file's records).
"""

import gc
import hashlib
import importlib
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import sqlalchemy as sa

from . import limits
from .model import ConcurrentImport, Event, FormatError, Ignored, ImportRefused, Record, Rejected
from .store import ImportReport, import_records

PROVIDERS = {
    "sendgrid": "sendgrid",
    "ses": "ses",
    "mailgun": "mailgun",
    "postmark": "postmark",
    "csv": "csv_format",
}

__all__ = [
    "PROVIDERS",
    "ConcurrentImport",
    "Event",
    "FormatError",
    "Ignored",
    "ImportRefused",
    "ImportReport",
    "Record",
    "Rejected",
    "decode",
    "import_bytes",
    "import_file",
    "parser",
]


def parser(provider: str):
    """The parser module of a provider (raises FormatError for an unknown provider)."""
    if provider not in PROVIDERS:
        providers = ", ".join(PROVIDERS)
        raise FormatError(
            f"Proveedor desconocido: {provider}. Usa uno de: {providers}",
            key="unknown_provider",
            provider=provider,
            providers=providers,
        )
    return importlib.import_module(f"{__name__}.{PROVIDERS[provider]}")


def decode(content: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is dropped); anything else is refused."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(
            f"El archivo no es texto UTF-8 (byte {error.start}).", key="not_utf8", byte=error.start
        ) from error


def import_bytes(
    engine: sa.Engine,
    provider: str,
    content: bytes,
    *,
    source: str,
    default_origin: str | None = None,
    default_campaign: str | None = None,
    unknown_recipients: str = "create",
    progress=None,
) -> ImportReport:
    """Parse and store one file's content in one transaction (all of it, or nothing)."""
    limit = limits.max_import_bytes()
    if len(content) > limit:
        raise limits.too_large()
    # The content's hash (what the quarantine keeps) is worked out while the file is read:
    # hashlib lets go of Python for a big buffer.
    hashing = ThreadPoolExecutor(1, thread_name_prefix="rastro-sha")
    sha = hashing.submit(lambda: hashlib.sha256(content).hexdigest())
    hashing.shutdown(wait=False)
    # A file makes millions of small objects and no reference cycles: the cyclic garbage
    # collector would spend a third of the import scanning them for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        module, text = parser(provider), decode(content)
        # A provider that can read its files column by column (big webhook batches) does so.
        reader = getattr(module, "parse_columns", None)
        columns = reader(text) if reader else None
        records = list(module.parse(text)) if columns is None else []
        with engine.begin() as conn:
            return import_records(
                conn,
                provider,
                records,
                source=source,
                source_sha256=sha.result(),
                default_origin=default_origin,
                default_campaign=default_campaign,
                unknown_recipients=unknown_recipients,
                progress=progress,
                columns=columns,
            )
    finally:
        if collecting:
            gc.enable()


def import_file(engine: sa.Engine, provider: str, path: str | Path, **options) -> ImportReport:
    """`import_bytes` of a file (or a stream: a pipe, a device), read up to the size limit
    (RASTRO_MAX_IMPORT_MB): a bigger one is refused without reading more than the limit."""
    path = Path(path)
    limit = limits.max_import_bytes()
    try:
        with path.open("rb") as handle:
            content = _read_at_most(handle, limit)
    except OSError as error:
        raise FormatError(
            f"No se puede leer {path}: {error.strerror}",
            key="unreadable_file",
            path=str(path),
            detail=error.strerror,
        ) from error
    if content is None:
        raise limits.too_large()
    return import_bytes(engine, provider, content, source=path.name, **options)


_CHUNK = 4 << 20


def _read_at_most(handle, limit: int) -> bytes | None:
    """The whole content, or None as soon as it is known to pass `limit` bytes: a regular
    file by its size, anything else (an endless stream) after reading limit + 1 bytes in
    chunks."""
    info = os.fstat(handle.fileno())
    if stat.S_ISREG(info.st_mode):
        if info.st_size > limit:
            return None
        content = handle.read(limit + 1)  # it may have grown since
        return None if len(content) > limit else content
    chunks, size = [], 0
    while chunk := handle.read(min(_CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return None
    return b"".join(chunks)
