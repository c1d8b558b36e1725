"""Import the chart stack in the background when the server first runs the entrypoint.

The first page that draws a chart imports Altair, and Altair imports jsonschema, whose format
checkers build an RFC 3987 grammar at import time (`rfc3987_syntax`, installed for Jupyter):
2.3 s on a quiet 2-core machine, 3.4–10 s on a busy one, once per server process. Measured in
Chromium (benchmarks/reports_page.py), that was where the first open of Informes after a
server start spent its time, with the page's skeleton on screen. Started here, the import runs
while the administrator signs in or reads a card; a page that needs it before it is done
simply waits for the same import (Python's per-module import lock), never imports twice.
"""

import importlib
import threading

_MODULE = "dashboard.report_view"  # the report page's parts: charts, Altair, jsonschema
_lock = threading.Lock()
_thread: threading.Thread | None = None


def start() -> None:
    """Start the background import, once per process (later calls do nothing)."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        _thread = threading.Thread(
            target=importlib.import_module, args=(_MODULE,), name="rastro-warm-up", daemon=True
        )
        _thread.start()
