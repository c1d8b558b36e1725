"""The worker: moves the inbox into events through the import store, in batches.

Each batch is one transaction: the requests are claimed (marked processed), their events are
stored by `data_access.ingest.import_records` (the same mapping, quarantine, exactly-once keys,
rollups and statuses as the file imports) and what the store said about each request is
written beside it; so a batch is either all done or not at all, and after a crash the next
worker starts again from whatever was committed but not processed. A request received twice
(a provider's retry) stores nothing twice: its events are duplicates for the store. Parsing
happens before the transaction, so the database is locked only while rows are written.

Every batch logs its reconciliation line (received = stored + duplicates + ignored +
quarantined). It runs in the server process (a daemon thread, `WorkerThread`) and as
`python -m data_access webhooks work`.
"""

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa

from .. import ingest
from ..engine import DatabaseUnavailable
from ..ingest import FormatError, ImportReport, Record, Rejected
from . import inbox

log = logging.getLogger("rastro.webhooks")


@dataclass
class _Parsed:
    item: inbox.Pending
    records: list = field(default_factory=list)
    columns: object = None


def _parse(item: inbox.Pending) -> _Parsed:
    """The records of one request, as `import_bytes` reads a file; a body the parser refuses
    as a whole becomes one quarantined record (nothing received is dropped)."""
    try:
        module, text = ingest.parser(item.provider), ingest.decode(item.body)
        reader = getattr(module, "parse_columns", None)
        columns = reader(text) if reader else None
        records = list(module.parse(text)) if columns is None else []
    except FormatError as error:
        text = item.body.decode("utf-8", "replace")
        return _Parsed(item, [Record(1, text, (Rejected(str(error)),))])
    return _Parsed(item, records, columns)


class WriteGate:
    """In one server process on SQLite (one writer at a time), the requests' short inbox
    writes go before the worker's long batches: a request waiting on SQLite's busy handler
    sleeps in steps of up to 100 ms, and the worker could take the lock again right after
    committing. Requests enter freely (SQLite orders them among themselves); the worker
    starts a batch only when no request is writing or waiting, or after `patience` seconds."""

    def __init__(self, patience: float = 0.25):
        self.patience = patience
        self._changed = threading.Condition()
        self._requests = 0
        self._batch = False

    @contextlib.contextmanager
    def request(self):
        with self._changed:
            self._requests += 1
            self._changed.wait_for(lambda: not self._batch)
        try:
            yield
        finally:
            with self._changed:
                self._requests -= 1
                self._changed.notify_all()

    @contextlib.contextmanager
    def batch(self):
        with self._changed:
            self._changed.wait_for(lambda: self._requests == 0, timeout=self.patience)
            self._batch = True
        try:
            yield
        finally:
            with self._changed:
                self._batch = False
                self._changed.notify_all()


@dataclass
class BatchResult:
    first_id: int
    last_id: int
    requests: int
    report: ImportReport

    def line(self) -> str:
        return self.report.line()


class Worker:
    """Processes the inbox of one database."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        max_rows: int = 200,
        max_bytes: int = 4 << 20,
        gate: WriteGate | None = None,
    ):
        self.engine = engine
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self.gate = gate

    def process_batch(self) -> BatchResult | None:
        """Store the next batch of requests; None when the inbox is empty."""
        with self.engine.connect() as conn:
            items = inbox.pending(conn, max_rows=self.max_rows, max_bytes=self.max_bytes)
        if not items:
            return None
        parsed = [_parse(item) for item in items]
        results: dict[int, ImportReport] = {}
        with (
            self.gate.batch() if self.gate else contextlib.nullcontext(),
            self.engine.begin() as conn,
        ):
            claimed = inbox.claim(conn, [p.item.id for p in parsed], datetime.now(UTC))
            for p in parsed:
                if p.item.id not in claimed:
                    continue  # another worker took it
                results[p.item.id] = ingest.import_records(
                    conn,
                    p.item.provider,
                    p.records,
                    source=f"{inbox.SOURCE_PREFIX}{p.item.provider}:{p.item.id}",
                    source_sha256=p.item.body_sha256,
                    default_origin=p.item.default_origin,
                    columns=p.columns,
                )
            inbox.record_results(conn, results)
        total = ImportReport(
            source=f"webhooks {items[0].id}–{items[-1].id} ({len(results)} envíos)",
            provider="webhooks",
        )
        for report in results.values():
            for name in ("received", "stored", "duplicates", "ignored", "quarantined"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
        result = BatchResult(items[0].id, items[-1].id, len(results), total)
        log.info(result.line())
        return result

    def drain(self, on_batch: Callable[[BatchResult], None] | None = None) -> int:
        """Process batches until the inbox is empty; the number of batches."""
        batches = 0
        while (result := self.process_batch()) is not None:
            batches += 1
            if on_batch:
                on_batch(result)
        return batches


class WorkerThread:
    """The worker as a daemon thread of the server: woken by each accepted request, and
    every `idle_seconds` anyway (requests left by a crash, or written by another process);
    a database that fails is retried with a growing pause, one log line per failure."""

    # Batches in the server stay small (about one SendGrid batch of 1,000 events), so that a
    # request arriving during one waits little on SQLite.
    MAX_BYTES = 512 * 1024

    def __init__(
        self,
        engine_factory: Callable[[], sa.Engine],
        idle_seconds: float = 1.0,
        gate: WriteGate | None = None,
    ):
        self.engine_factory = engine_factory
        self.idle_seconds = idle_seconds
        self.gate = gate
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="rastro-webhooks-worker", daemon=True
            )
            self._thread.start()

    def notify(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        pause = self.idle_seconds
        while not self._stop.is_set():
            self._wake.clear()  # before looking, so that a request arriving now wakes us again
            try:
                engine = self.engine_factory()
                gate = self.gate if engine.dialect.name == "sqlite" else None
                worker = Worker(engine, max_bytes=self.MAX_BYTES, gate=gate)
                while not self._stop.is_set() and worker.process_batch() is not None:
                    pass
                pause = self.idle_seconds
            except (sa.exc.SQLAlchemyError, DatabaseUnavailable, FormatError) as error:
                detail = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
                log.warning("webhooks: el trabajador no pudo procesar la bandeja: %s", detail)
                pause = min(max(pause * 2, 1.0), 30.0)
            self._wake.wait(pause)
