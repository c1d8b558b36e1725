"""How far an import goes, from the environment (read at every import, so a change needs no
restart):

- `RASTRO_MAX_IMPORT_MB` (default 512): the largest file an import reads, in megabytes
  (2**20 bytes). A bigger file, or an endless stream such as /dev/zero, is refused whole; it
  is read in bounded chunks, never whole and then measured.
- `RASTRO_SQLITE_BUSY_SECONDS` (default 60): on SQLite, how long an import waits for another
  import (or any other writer) to let go of the database's write lock before it gives up,
  storing nothing, with a Spanish message. PostgreSQL imports wait for each other's table
  lock as long as it takes.

A value that is not a number greater than 0 refuses the import (Spanish message, catalogue
key `bad_setting`).
"""

import math
import os

from .model import ImportRefused

MAX_IMPORT_MB = "RASTRO_MAX_IMPORT_MB"
SQLITE_BUSY_SECONDS = "RASTRO_SQLITE_BUSY_SECONDS"
DEFAULTS = {MAX_IMPORT_MB: 512.0, SQLITE_BUSY_SECONDS: 60.0}
MEGABYTE = 1 << 20


def setting(name: str) -> float:
    """The positive number `name` holds in the environment, else its default."""
    given = os.environ.get(name, "").strip()
    if not given:
        return DEFAULTS[name]
    try:
        value = float(given)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ImportRefused(
            f"{name} debe ser un número mayor que 0 (vale «{given}»).",
            key="bad_setting",
            name=name,
            value=given,
        )
    return value


def max_import_bytes() -> int:
    return max(1, int(setting(MAX_IMPORT_MB) * MEGABYTE))


def too_large() -> ImportRefused:
    """The refusal of a file over the limit (the CLI and the page name the file before it)."""
    megabytes = f"{setting(MAX_IMPORT_MB):g}"
    return ImportRefused(
        f"El archivo pasa de {megabytes} MB, el máximo que se importa. Divídelo en archivos "
        f"más pequeños o sube {MAX_IMPORT_MB}.",
        key="too_large",
        megabytes=megabytes,
        name=MAX_IMPORT_MB,
    )
