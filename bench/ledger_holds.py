"""Holds placed per second on PostgreSQL, against pgbench's TPC-B-like script.

Both run in the same invocation, against the same server, with the same number of clients
and the same duration, alternating so that neither gets a warmer machine. A hold is one
transaction of `wallet.ledger.create_transfer(pending=True)`: each client debits its own
wallet and credits one shared provider clearing account, just as pgbench's scale-1 run
updates one shared branch row.

    .venv/bin/python -m bench.ledger_holds [--clients 8] [--seconds 15] [--rounds 2]
"""

import argparse
import multiprocessing
import re
import subprocess
import time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from bench.common import libpq_arguments, mean, migrated_app, recreate_database
from wallet import ledger
from wallet.models import AccountKind

NGN = "NGN"
FORK = multiprocessing.get_context("fork")


def run_pgbench(database_url: str, clients: int, seconds: int) -> float:
    """Run pgbench's built-in TPC-B-like script and return its transactions per second."""
    output = subprocess.run(
        ["pgbench", "-n", "-c", str(clients), "-j", str(clients), "-T", str(seconds), *libpq_arguments(database_url)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"tps = ([0-9.]+) \(without initial connection time\)", output).group(1))


def _hold_loop(database_url, wallet_id, clearing_id, seconds, barrier, results, client):
    engine = sa.create_engine(database_url, pool_size=1)
    barrier.wait()
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        with Session(engine) as session, session.begin():
            ledger.create_transfer(
                session,
                idempotency_key=f"bench-{client}-{count}-{time.time_ns()}",
                debit_account_id=wallet_id,
                credit_account_id=clearing_id,
                amount_minor=1,
                ledger=NGN,
                code="airtime_purchase",
                pending=True,
            )
        count += 1
    engine.dispose()
    results.put(count)


def run_holds(app, database_url: str, clients: int, seconds: int) -> float:
    """Place holds from `clients` processes for `seconds`; return holds per second."""
    with app.app_context(), db.session.begin():
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "bench", NGN)
        clearing = ledger.get_or_create_account(db.session, AccountKind.PROVIDER_CLEARING, "sandbox", NGN)
        wallets = []
        for client in range(clients):
            wallet = ledger.get_or_create_account(db.session, AccountKind.CUSTOMER_WALLET, f"bench-{client}", NGN)
            ledger.create_transfer(
                db.session,
                idempotency_key=f"bench-fund-{client}-{time.time_ns()}",
                debit_account_id=source.id,
                credit_account_id=wallet.id,
                amount_minor=10**12,
                ledger=NGN,
                code="manual_credit",
            )
            wallets.append(wallet.id)
        clearing_id = clearing.id
    with app.app_context():
        db.engine.dispose()
    barrier = FORK.Barrier(clients)
    results = FORK.Queue()
    processes = [
        FORK.Process(
            target=_hold_loop, args=(database_url, wallets[client], clearing_id, seconds, barrier, results, client)
        )
        for client in range(clients)
    ]
    for process in processes:
        process.start()
    total = sum(results.get(timeout=seconds + 60) for _ in processes)
    for process in processes:
        process.join()
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()

    ledger_url = recreate_database("nexustop_bench_ledger")
    pgbench_url = recreate_database("nexustop_bench_pgbench")
    subprocess.run(["pgbench", "-i", "-q", "-s", "1", *libpq_arguments(pgbench_url)], check=True, capture_output=True)
    app = migrated_app(ledger_url)

    baseline, ours = [], []
    for round_number in range(1, arguments.rounds + 1):
        baseline.append(run_pgbench(pgbench_url, arguments.clients, arguments.seconds))
        ours.append(run_holds(app, ledger_url, arguments.clients, arguments.seconds))
        print(f"round {round_number}: pgbench {baseline[-1]:.0f} tps, holds {ours[-1]:.0f}/s")
    with app.app_context(), db.session.begin():
        mismatches = ledger.check(db.session)
    print(f"ledger check after the run: {'passed' if not mismatches else mismatches}")
    print(
        f"holds per second at {arguments.clients} clients: {mean(ours):.0f};"
        f" pgbench TPC-B-like: {mean(baseline):.0f} tps;"
        f" ratio {mean(ours) / mean(baseline):.2f}x (target 0.5x)"
    )


if __name__ == "__main__":
    main()
