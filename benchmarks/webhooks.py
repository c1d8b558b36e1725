"""Live webhooks: concurrent clients post signed SendGrid batches of 1,000 events to a real
`streamlit run` server (loopback only) on a fresh SQLite or PostgreSQL database; measures the
events acknowledged and processed per second, the acknowledge latency (p50 / p99), and the
time from a request's arrival to its events being visible to the card (committed by the
worker; the dashboard's data-version cache adds at most 1 s, reported on top).

Budgets (DESIGN.md, SQLite): ≥ 10,000 events/s processed, acknowledge p99 ≤ 100 ms,
arrival → card p95 ≤ 5 s. Bounded: --batches × --size events per engine, --timeout seconds. The first half of
the batches is sent as fast as the clients can (throughput: acknowledged and processed per
second); the second half at --rate events/s, the budget's load (latencies).

`python -m benchmarks.webhooks [--engines sqlite,postgresql] [--clients 4] [--batches 60]`
"""

import argparse
import base64
import json
import os
import statistics
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from data_access import ingest, migrate, schema
from data_access.engine import make_engine
from tests.support.serve import start_streamlit, stop

from .ingest import event_id
from .run import POSTGRES_ADMIN_URL, RESULTS_DIR, WORLD_PREFIX

HERE = Path(__file__).resolve().parent
SECRET = "bench:" + uuid.uuid4().hex
CARD_CACHE_S = 1.0  # dashboard.data._data_version's TTL
DATABASE = f"{WORLD_PREFIX}_webhooks"  # PostgreSQL; RASTRO_BENCH_PREFIX keeps checkouts apart
BUDGET = {"processed_per_s": 10_000, "ack_p99_ms": 100, "card_p95_s": 5}


def batches(count: int, size: int, contacts: int) -> list[bytes]:
    out = []
    now = int(time.time())
    for b in range(count):
        items = []
        for i in range(size):
            n = b * size + i
            bounced = n % 20 == 0
            items.append(
                {
                    "email": f"c{n * 7919 % contacts}@bench.example",
                    "timestamp": now - 3600 + n % 3600,
                    "event": "bounce" if bounced else "delivered",
                    **({"type": "bounce", "status": "5.1.1"} if bounced else {}),
                    "sg_event_id": event_id(n),
                    "sg_message_id": f"m{n}",
                    "origin": "campaign",
                    "campaign_id": f"cmp{b % 5}",
                }
            )
        out.append(json.dumps(items).encode())
    return out


def fresh_url(kind: str) -> str:
    if kind == "sqlite":
        path = HERE / "data" / "webhooks.sqlite3"
        path.parent.mkdir(exist_ok=True)
        for p in path.parent.glob("webhooks.sqlite3*"):
            p.unlink()
        return f"sqlite:///{path}"
    admin = make_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    url = admin.url.set(database=DATABASE).render_as_string(hide_password=False)
    admin.dispose()
    return url


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def measure(kind: str, args) -> dict:
    url = fresh_url(kind)
    engine = make_engine(url)
    migrate.upgrade(engine)
    # The CRM's contacts exist already (each has had an email delivered): steady state.
    prime = [
        {
            "email": f"c{i}@bench.example",
            "timestamp": 1_700_000_000,
            "event": "delivered",
            "sg_event_id": f"prime{i}",
            "origin": "campaign",
            "campaign_id": f"cmp{i % 5}",
        }
        for i in range(args.contacts)
    ]
    ingest.import_bytes(engine, "sendgrid", json.dumps(prime).encode(), source="prime")
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    env = {
        "RASTRO_WEBHOOK_SECRET": SECRET,
        "RASTRO_SENDGRID_WEBHOOK_PUBLIC_KEY": base64.b64encode(public).decode(),
    }
    bodies = batches(args.batches, args.size, args.contacts)
    signed = []
    for body in bodies:
        stamp = str(int(time.time()))
        signature = key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        signed.append((body, base64.b64encode(signature).decode(), stamp))
    auth = "Basic " + base64.b64encode(SECRET.encode()).decode()
    (HERE / "data").mkdir(exist_ok=True)
    process, base = start_streamlit(url, HERE / "data" / f"webhooks-{kind}.log", env)
    try:
        half = len(signed) // 2
        burst = _phase(engine, base, auth, signed[:half], args.clients, None, args.timeout)
        paced = _phase(engine, base, auth, signed[half:], args.clients, args.rate, args.timeout)
    finally:
        stop(process)
        engine.dispose()
    return {
        "engine": kind,
        "load": os.getloadavg(),
        "events": len(signed) * args.size,
        "clients": args.clients,
        "acknowledged_per_s": burst["acknowledged_per_s"],
        "processed_per_s": burst["processed_per_s"],
        "paced_rate": args.rate,
        "ack_p50_ms": paced["ack_p50_ms"],
        "ack_p99_ms": paced["ack_p99_ms"],
        "stored_p95_s": paced["stored_p95_s"],
        "card_p95_s": round(paced["stored_p95_s"] + CARD_CACHE_S, 2),
        "burst": burst,
        "paced": paced,
    }


def _phase(engine, base, auth, signed, clients, rate, timeout) -> dict:
    """Post `signed` batches with `clients` threads, as fast as they go (rate None) or at
    `rate` events a second; measure acknowledgements and when each request is processed."""
    size = len(json.loads(signed[0][0]))
    acks: dict[int, tuple[float, float]] = {}  # inbox id -> (sent, acknowledged)
    latencies: list[float] = []
    visible: dict[int, float] = {}
    done = threading.Event()
    started = time.perf_counter()

    def send(index: int) -> None:
        if rate:
            time.sleep(max(0.0, started + index * size / rate - time.perf_counter()))
        body, signature, stamp = signed[index]
        request = urllib.request.Request(
            f"{base}/webhooks/sendgrid",
            data=body,
            method="POST",
            headers={
                "Authorization": auth,
                "Content-Type": "application/json",
                "X-Twilio-Email-Event-Webhook-Signature": signature,
                "X-Twilio-Email-Event-Webhook-Timestamp": stamp,
            },
        )
        sent = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as answer:
            ident = json.loads(answer.read())["recibido"]
        acked = time.perf_counter()
        latencies.append((acked - sent) * 1000)
        acks[ident] = (sent, acked)

    def watch() -> None:
        i = schema.webhook_inbox.c
        with engine.connect() as conn:
            while not done.is_set():
                seen = conn.execute(sa.select(i.id).where(i.processed_at.is_not(None))).scalars()
                now = time.perf_counter()
                for ident in seen:
                    visible.setdefault(ident, now)
                conn.rollback()
                time.sleep(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, range(len(signed))))
    acknowledged = time.perf_counter()
    deadline = started + timeout
    while any(i not in visible for i in acks) and time.perf_counter() < deadline:
        time.sleep(0.05)
    done.set()
    watcher.join()
    if any(i not in visible for i in acks):
        raise SystemExit(f"the worker did not finish within {timeout} s")
    events = len(signed) * size
    finished = max(visible[i] for i in acks)
    to_card = [visible[i] - sent for i, (sent, _acked) in acks.items()]
    return {
        "events": events,
        "acknowledged_per_s": round(events / (acknowledged - started)),
        "processed_per_s": round(events / (finished - started)),
        "ack_p50_ms": round(statistics.median(latencies), 1),
        "ack_p99_ms": round(percentile(latencies, 99), 1),
        "stored_p95_s": round(percentile(to_card, 95), 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--batches", type=int, default=60)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("--rate", type=int, default=10_000, help="events/s of the paced half")
    args = parser.parse_args(argv)
    results = [measure(kind, args) for kind in args.engines.split(",")]
    print(
        f"{'engine':<11}{'events':>8}{'ack/s':>9}{'processed/s':>13}{'ack p50':>10}"
        f"{'ack p99':>10}{'stored p95':>12}{'card p95':>10}"
    )
    for r in results:
        print(
            f"{r['engine']:<11}{r['events']:>8}{r['acknowledged_per_s']:>9}"
            f"{r['processed_per_s']:>13}{r['ack_p50_ms']:>8} ms{r['ack_p99_ms']:>8} ms"
            f"{r['stored_p95_s']:>10} s{r['card_p95_s']:>8} s"
        )
    print(
        "load average at the end of each engine: "
        + "; ".join(f"{r['engine']} {' '.join(f'{v:.2f}' for v in r['load'])}" for r in results)
    )
    print(
        "processed/s and ack/s: the first half of the batches, sent as fast as the clients go; "
        "ack and card latencies: the second half, sent at --rate events/s"
    )
    print(
        f"budgets (SQLite): processed ≥ {BUDGET['processed_per_s']}/s, ack p99 ≤ "
        f"{BUDGET['ack_p99_ms']} ms, arrival → card p95 ≤ {BUDGET['card_p95_s']} s "
        f"(card = stored + the {CARD_CACHE_S:.0f} s data-version cache, worst case)"
    )
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS_DIR / f"webhooks-{stamp}.json").write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
