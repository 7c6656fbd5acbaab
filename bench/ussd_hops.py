"""USSD hops per second and their latency through gunicorn, against a bare endpoint.

Both run in the same invocation on the same gunicorn serving `app:create_app()` against
PostgreSQL and Redis, with the same number of concurrent connections, alternating. A hop is a
real Africa's Talking request to POST /ussd/africastalking from a registered caller; the
sessions walk main menu -> Buy Airtime -> My number -> amount -> Cancel, or main menu -> My
Wallet -> Balance, so every hop takes the session lock, reads and writes the session, and
the first hop of each reads the customer from PostgreSQL. The baseline is GET /ping of the
same app, which touches neither PostgreSQL nor Redis.

    .venv/bin/python -m bench.ussd_hops [--connections 16] [--seconds 10] [--rounds 2]
"""

import argparse
import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time

import aiohttp

from app.extensions import db
from app.services import wallet_service
from bench.common import BENCH_REDIS_URL, mean, migrated_app, percentile, recreate_database
from wallet import customers, ledger
from wallet.models import AccountKind

CALLERS = 64
PIN = "2580"
PATHS = [["", "1", "1", "500", "2"], ["", "3", "1"]]


def prepare(database_url: str) -> None:
    """Register and fund the callers the load uses."""
    app = migrated_app(database_url)
    with app.app_context():
        service = wallet_service()
        for number in range(CALLERS):
            service.register(f"+234803{number:07d}", PIN)
        with db.session.begin():
            source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "bench", "NGN")
            for number in range(CALLERS):
                customer = customers.find_customer(db.session, f"+234803{number:07d}")
                wallet = customers.get_wallet(db.session, customer, "NGN")
                ledger.create_transfer(
                    db.session,
                    idempotency_key=f"bench-fund-{number}",
                    debit_account_id=source.id,
                    credit_account_id=wallet.id,
                    amount_minor=100_000_00,
                    ledger="NGN",
                    code="manual_credit",
                )
        db.engine.dispose()
    app.extensions["nexustop.redis"].flushdb()


def start_gunicorn(database_url: str, port: int, workers: int, threads: int) -> subprocess.Popen:
    environment = dict(
        os.environ,
        DATABASE_URL=database_url,
        REDIS_URL=BENCH_REDIS_URL,
        SECRET_KEY="benchmark-key",
        LOG_LEVEL="WARNING",
    )
    process = subprocess.Popen(
        [
            os.path.join(os.path.dirname(sys.executable), "gunicorn"),
            "--workers", str(workers), "--threads", str(threads), "--no-control-socket",
            "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "app:create_app()",
        ],
        env=environment,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            asyncio.run(_get(f"http://127.0.0.1:{port}/ping"))
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start within 30 s")


async def _get(url: str) -> None:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        await response.read()


async def _bare_client(session, url, deadline, latencies):
    while time.monotonic() < deadline:
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200
        latencies.append(time.perf_counter() - started)


async def _ussd_client(session, url, deadline, latencies, client, session_numbers):
    caller = f"+234803{client % CALLERS:07d}"
    for path in itertools.cycle(PATHS):
        session_id = f"bench-{client}-{next(session_numbers)}"
        inputs = []
        for value in path:
            if time.monotonic() >= deadline:
                return
            if value:
                inputs.append(value)
            form = {
                "sessionId": session_id,
                "serviceCode": "*384*123#",
                "phoneNumber": caller,
                "networkCode": "62130",
                "text": "*".join(inputs),
            }
            started = time.perf_counter()
            async with session.post(url, data=form) as response:
                body = await response.text()
            latencies.append(time.perf_counter() - started)
            if response.status != 200 or not body.startswith(("CON ", "END ")):
                raise RuntimeError(f"unexpected response {response.status}: {body[:80]}")


async def run_load(kind: str, port: int, connections: int, seconds: int) -> list[float]:
    """Drive `connections` concurrent clients for `seconds`; return the request latencies."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=connections, force_close=True)
    session_numbers = itertools.count()
    async with aiohttp.ClientSession(connector=connector) as session:
        if kind == "bare":
            clients = [_bare_client(session, f"http://127.0.0.1:{port}/ping", deadline, latencies) for _ in range(connections)]
        else:
            url = f"http://127.0.0.1:{port}/ussd/africastalking"
            clients = [
                _ussd_client(session, url, deadline, latencies, client, session_numbers) for client in range(connections)
            ]
        await asyncio.gather(*clients)
    return latencies


def summarise(latencies: list[float], seconds: int) -> tuple[float, float, float]:
    return len(latencies) / seconds, percentile(latencies, 0.5) * 1000, percentile(latencies, 0.99) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--port", type=int, default=5091)
    arguments = parser.parse_args()

    database_url = recreate_database("nexustop_bench_ussd")
    prepare(database_url)
    server = start_gunicorn(database_url, arguments.port, arguments.workers, arguments.threads)
    results = {"bare": [], "ussd": []}
    try:
        for round_number in range(1, arguments.rounds + 1):
            for kind in ("bare", "ussd"):
                latencies = asyncio.run(run_load(kind, arguments.port, arguments.connections, arguments.seconds))
                results[kind].append(summarise(latencies, arguments.seconds))
                rate, p50, p99 = results[kind][-1]
                print(f"round {round_number} {kind}: {rate:.0f} requests/s, p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    bare_rate = mean([rate for rate, _, _ in results["bare"]])
    ussd_rate = mean([rate for rate, _, _ in results["ussd"]])
    ussd_p99 = max(p99 for _, _, p99 in results["ussd"])
    print(
        f"USSD hops: {ussd_rate:.0f}/s, p99 {ussd_p99:.1f} ms; bare endpoint: {bare_rate:.0f}/s;"
        f" ratio {ussd_rate / bare_rate:.2f}x (target 0.6x, p99 under 20 ms)"
        f" with {arguments.connections} connections, gunicorn {arguments.workers}x{arguments.threads}"
    )


if __name__ == "__main__":
    main()
