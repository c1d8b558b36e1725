"""The worker: several requests per transaction, all or nothing, and it resumes after a
failure with whatever was committed but not processed."""

import pytest
import sqlalchemy as sa

from data_access import ingest, schema
from data_access.webhooks import inbox, worker

from .conftest import samples


def test_a_failed_batch_leaves_everything_pending_and_the_next_worker_finishes(
    hooks, keys, monkeypatch
):
    sent = samples("mailgun", keys)
    for body, headers in sent:
        assert hooks.post("mailgun", body, headers, query="?origin=campaign").status_code == 200
    real = ingest.import_records
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disco lleno"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "import_records", failing)
    with pytest.raises(sa.exc.OperationalError):
        worker.Worker(hooks.engine).process_batch()
    with hooks.engine.connect() as conn:
        assert inbox.backlog(conn) == len(sent)
        assert (
            conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar() == 0
        )
    monkeypatch.setattr(ingest, "import_records", real)
    result = worker.Worker(hooks.engine).process_batch()  # a new worker, as after a restart
    assert result.requests == len(sent) > 1  # one transaction for all of them
    assert result.report.balanced
    assert worker.Worker(hooks.engine).process_batch() is None
    with hooks.engine.connect() as conn:
        assert inbox.backlog(conn) == 0
        stored = conn.execute(sa.select(sa.func.count()).select_from(schema.email_events)).scalar()
    assert stored == result.report.stored > 0


def test_batches_are_bounded_by_rows_and_bytes(hooks, keys):
    body, headers = samples("postmark", keys)[0]
    for _ in range(5):
        hooks.post("postmark", body, headers, query="?origin=campaign")
    sizes = []
    worker.Worker(hooks.engine, max_rows=2).drain(lambda r: sizes.append(r.requests))
    assert sizes == [2, 2, 1]
    for _ in range(3):
        hooks.post("postmark", body, headers, query="?origin=campaign")
    sizes = []
    worker.Worker(hooks.engine, max_bytes=len(body) + 1).drain(lambda r: sizes.append(r.requests))
    assert sizes == [1, 1, 1]


def test_a_claimed_request_is_not_processed_twice(hooks, keys):
    body, headers = samples("postmark", keys)[0]
    hooks.post("postmark", body, headers, query="?origin=campaign")
    with hooks.engine.begin() as conn:
        (item,) = inbox.pending(conn, max_rows=10, max_bytes=1 << 20)
        assert inbox.claim(conn, [item.id]) == {item.id}
        assert inbox.claim(conn, [item.id]) == set()  # another worker would get nothing
