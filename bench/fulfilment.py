"""Purchases end to end: from the USSD PIN hop to the receipt row, with real workers.

gunicorn serves `app:create_app()` and two `flask worker` processes (RQ's forking workers)
fulfil, against PostgreSQL and Redis, with the sandbox provider at zero latency. Sessions are
first walked to the PIN screen; then PIN hops arrive at a steady rate (20 per second for 30
seconds by default). A purchase's time runs from sending its PIN hop to the moment its
receipt SMS row was written (the row's `created_at`; client and database share this
machine's clock). The baseline, measured in the same run with the same workers at the same
rate, is a no-op RQ job's time from enqueue to finished.

Then one worker alone drains a backlog of placed purchases: fulfilments per second per worker
process, and the largest resident memory among it and its work horses.

    .venv/bin/python -m bench.fulfilment [--rate 20] [--seconds 30] [--backlog 300]
"""

import argparse
import asyncio
import os
import re
import resource
import signal
import subprocess
import sys
import time

import aiohttp
import sqlalchemy as sa
from rq import Queue

from app.extensions import db
from bench.common import BENCH_REDIS_URL, migrated_app, percentile, recreate_database
from bench.ussd_hops import CALLERS, PIN, prepare, start_gunicorn
from sms.models import OutboundMessage
from wallet.models import Purchase

REFERENCE = re.compile(r"Ref (NT[0-9A-Z]{8})")
PIN_PATH = ["1", "1", "100", "1"]


def noop() -> None:
    """Do nothing: the baseline job."""


def start_workers(database_url: str, count: int) -> list[subprocess.Popen]:
    environment = dict(
        os.environ, DATABASE_URL=database_url, REDIS_URL=BENCH_REDIS_URL, SECRET_KEY="benchmark-key", LOG_LEVEL="WARNING"
    )
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    return [subprocess.Popen([flask, "--app", "app", "worker"], env=environment) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=60)


async def _post(session, url, session_id, caller, inputs) -> str:
    form = {
        "sessionId": session_id,
        "serviceCode": "*384*123#",
        "phoneNumber": caller,
        "networkCode": "62130",
        "text": "*".join(inputs),
    }
    async with session.post(url, data=form) as response:
        return await response.text()


async def walk_to_pin(port: int, count: int, prefix: str) -> list[tuple[str, str]]:
    """Open `count` sessions at the PIN screen; return (session id, caller) pairs."""
    url = f"http://127.0.0.1:{port}/ussd/africastalking"
    sessions = [(f"{prefix}-{number}", f"+234803{number % CALLERS:07d}") for number in range(count)]
    connector = aiohttp.TCPConnector(limit=16)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def walk(session_id, caller):
            inputs = []
            await _post(client, url, session_id, caller, inputs)
            for value in PIN_PATH:
                inputs.append(value)
                screen = await _post(client, url, session_id, caller, inputs)
            assert "Enter PIN" in screen, screen

        for start in range(0, count, 64):
            await asyncio.gather(*(walk(*pair) for pair in sessions[start : start + 64]))
    return sessions


async def send_pins(port: int, sessions, rate: int) -> dict[str, float]:
    """Send the PIN hops at `rate` per second; return each reference's send time (epoch s)."""
    url = f"http://127.0.0.1:{port}/ussd/africastalking"
    sent_at: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=64)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def pay(session_id, caller):
            started = time.time()
            screen = await _post(client, url, session_id, caller, PIN_PATH + [PIN])
            match = REFERENCE.search(screen)
            if match is None:
                raise RuntimeError(f"purchase not placed: {screen}")
            sent_at[match.group(1)] = started

        tasks = []
        begin = time.monotonic()
        for index, pair in enumerate(sessions):
            delay = begin + index / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(pay(*pair)))
        await asyncio.gather(*tasks)
    return sent_at


def receipt_latencies(app, sent_at: dict[str, float], timeout_seconds: int = 60) -> list[float]:
    """Wait for every receipt row and return the seconds from PIN hop to receipt."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        with app.app_context(), db.session.begin():
            rows = db.session.execute(
                sa.select(Purchase.reference, sa.func.min(OutboundMessage.created_at))
                .join(OutboundMessage, OutboundMessage.purchase_id == Purchase.id)
                .where(Purchase.reference.in_(list(sent_at)))
                .group_by(Purchase.reference)
            ).all()
        if len(rows) == len(sent_at) or time.monotonic() > deadline:
            return [written.timestamp() - sent_at[reference] for reference, written in rows]
        time.sleep(0.5)


def noop_latencies(rate: int, count: int) -> list[float]:
    """Enqueue no-op jobs at `rate` per second and return their enqueue-to-finished times."""
    import redis

    queue = Queue("default", connection=redis.Redis.from_url(BENCH_REDIS_URL))
    jobs = []
    begin = time.monotonic()
    for index in range(count):
        delay = begin + index / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        # By name: a function of the __main__ module cannot be found by the workers.
        jobs.append(queue.enqueue("bench.fulfilment.noop"))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(job.get_status(refresh=True) == "finished" for job in jobs[-5:]):
        time.sleep(0.2)
    latencies = []
    for job in jobs:
        job.refresh()
        if job.ended_at and job.enqueued_at:
            latencies.append((job.ended_at - job.enqueued_at).total_seconds())
    return latencies


def drain_backlog(app, database_url: str, port: int, backlog: int) -> tuple[float, int]:
    """Place `backlog` purchases with no worker running, then time one worker draining them."""
    succeeded = sa.select(sa.func.count()).select_from(Purchase).where(Purchase.status == "succeeded")
    with app.app_context(), db.session.begin():
        before = db.session.execute(succeeded).scalar_one()
    sessions = asyncio.run(walk_to_pin(port, backlog, "backlog"))
    asyncio.run(send_pins(port, sessions, rate=10_000))
    environment = dict(
        os.environ, DATABASE_URL=database_url, REDIS_URL=BENCH_REDIS_URL, SECRET_KEY="benchmark-key", LOG_LEVEL="WARNING"
    )
    flask = os.path.join(os.path.dirname(sys.executable), "flask")
    started = time.monotonic()
    subprocess.run([flask, "--app", "app", "worker", "--burst"], env=environment, check=True)
    elapsed = time.monotonic() - started
    with app.app_context(), db.session.begin():
        done = db.session.execute(succeeded).scalar_one() - before
    max_rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return done / elapsed, max_rss_kib


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=20, help="purchases per second")
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--backlog", type=int, default=300, help="purchases for the one-worker drain")
    parser.add_argument("--port", type=int, default=5093)
    arguments = parser.parse_args()
    count = arguments.rate * arguments.seconds

    database_url = recreate_database("nexustop_bench_fulfil")
    prepare(database_url)
    app = migrated_app(database_url)
    server = start_gunicorn(database_url, arguments.port, workers=2, threads=4)
    workers = []
    try:
        sessions = asyncio.run(walk_to_pin(arguments.port, count, "fulfil"))
        workers = start_workers(database_url, 2)
        time.sleep(2)
        baseline = noop_latencies(arguments.rate, min(count, 200))
        sent_at = asyncio.run(send_pins(arguments.port, sessions, arguments.rate))
        latencies = receipt_latencies(app, sent_at)
        stop(workers)
        workers = []
        print(
            f"end to end: {len(latencies)} of {count} purchases at {arguments.rate}/s:"
            f" p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
        )
        print(
            f"no-op job baseline: p50 {percentile(baseline, 0.5) * 1000:.0f} ms,"
            f" p99 {percentile(baseline, 0.99) * 1000:.0f} ms"
        )
        print(
            f"p99 ratio to the no-op job: {percentile(latencies, 0.99) / percentile(baseline, 0.99):.2f}x;"
            f" purchase p99 {percentile(latencies, 0.99) * 1000:.0f} ms (target under 300 ms)"
        )
        rate, max_rss_kib = drain_backlog(app, database_url, arguments.port, arguments.backlog)
        print(f"one worker: {rate:.1f} fulfilments/s, largest resident memory {max_rss_kib / 1024:.0f} MiB")
    finally:
        for process in workers:
            process.kill()
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
