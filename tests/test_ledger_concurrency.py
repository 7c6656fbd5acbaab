"""The ledger's invariants under concurrency, with real processes against PostgreSQL.

Each child process opens its own engine (connections never cross a fork) and waits on a
barrier, so the transfers really run at the same time.
"""

import multiprocessing
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.extensions import db
from wallet import ledger
from wallet.errors import ExceedsCredits, PendingTransferAlreadyPosted, PendingTransferAlreadyVoided
from wallet.models import AccountKind, Transfer
from wallet.service import run_in_transaction

NGN = "NGN"
PROCESSES = 8
FORK = multiprocessing.get_context("fork")


def open_accounts(*owners: str, funding_minor: int = 0) -> list[int]:
    """Create a source account and one customer wallet per owner, each funded with `funding_minor`."""
    with db.session.begin():
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "operations", NGN)
        ids = [source.id]
        for owner in owners:
            wallet = ledger.get_or_create_account(db.session, AccountKind.CUSTOMER_WALLET, owner, NGN)
            if funding_minor:
                ledger.create_transfer(
                    db.session,
                    idempotency_key=f"fund-{owner}",
                    debit_account_id=source.id,
                    credit_account_id=wallet.id,
                    amount_minor=funding_minor,
                    ledger=NGN,
                    code="manual_credit",
                )
            ids.append(wallet.id)
    return ids


def run_processes(target, database_url: str, arguments: list[tuple], isolation_level: str = "READ COMMITTED") -> list:
    """Run `target(engine, barrier, *arguments[i])` in one process each; return their results."""
    barrier = FORK.Barrier(len(arguments))
    results = FORK.Queue()

    def child(index, args):
        engine = sa.create_engine(database_url, isolation_level=isolation_level, pool_size=1)
        try:
            results.put((index, target(engine, barrier, *args)))
        except BaseException as error:  # Report it to the parent rather than dying silently.
            results.put((index, error))
        finally:
            engine.dispose()

    processes = [FORK.Process(target=child, args=(index, args)) for index, args in enumerate(arguments)]
    for process in processes:
        process.start()
    collected = dict(results.get(timeout=120) for _ in processes)
    for process in processes:
        process.join(timeout=30)
    for index in range(len(arguments)):
        if isinstance(collected[index], BaseException):
            raise collected[index]
    return [collected[index] for index in range(len(arguments))]


def place_holds(engine, barrier, wallet_id, clearing_id, count, amount_minor, prefix):
    barrier.wait()
    placed = refused = 0
    for number in range(count):
        with Session(engine) as session, session.begin():
            try:
                ledger.create_transfer(
                    session,
                    idempotency_key=f"{prefix}-{number}",
                    debit_account_id=wallet_id,
                    credit_account_id=clearing_id,
                    amount_minor=amount_minor,
                    ledger=NGN,
                    code="airtime_purchase",
                    pending=True,
                )
                placed += 1
            except ExceedsCredits:
                refused += 1
    return placed, refused


def test_concurrent_holds_never_overdraw(app_context, database_url):
    source, wallet = open_accounts("customer", funding_minor=5_000)
    with db.session.begin():
        clearing = ledger.get_or_create_account(db.session, AccountKind.PROVIDER_CLEARING, "sandbox", NGN).id

    results = run_processes(
        place_holds, database_url, [(wallet, clearing, 25, 100, f"hold-{n}") for n in range(PROCESSES)]
    )

    assert sum(placed for placed, _ in results) == 50
    assert sum(refused for _, refused in results) == 150
    with db.session.begin():
        balance = ledger.get_balance(db.session, wallet)
        assert balance.available_minor == 0
        assert balance.debits_pending == 5_000
        assert ledger.check(db.session) == []


def resolve(engine, barrier, pending_id, action):
    barrier.wait()
    with Session(engine) as session, session.begin():
        try:
            if action == "post":
                ledger.post_pending(session, pending_id, idempotency_key=f"post-{pending_id}-{time.monotonic_ns()}")
            else:
                ledger.void_pending(session, pending_id, idempotency_key=f"void-{pending_id}-{time.monotonic_ns()}")
            return "resolved"
        except PendingTransferAlreadyPosted:
            return "already_posted"
        except PendingTransferAlreadyVoided:
            return "already_voided"


def test_concurrent_post_and_void_resolve_once(app_context, database_url):
    _, wallet = open_accounts("customer", funding_minor=10_000)
    with db.session.begin():
        clearing = ledger.get_or_create_account(db.session, AccountKind.PROVIDER_CLEARING, "sandbox", NGN).id
        pending = ledger.create_transfer(
            db.session,
            idempotency_key="hold",
            debit_account_id=wallet,
            credit_account_id=clearing,
            amount_minor=700,
            ledger=NGN,
            code="airtime_purchase",
            pending=True,
        ).id

    outcomes = run_processes(
        resolve, database_url, [(pending, "post" if n % 2 else "void") for n in range(PROCESSES)]
    )

    assert outcomes.count("resolved") == 1
    assert set(outcomes) - {"resolved"} <= {"already_posted", "already_voided"}
    with db.session.begin():
        resolutions = db.session.execute(sa.select(Transfer).where(Transfer.pending_id == pending)).scalars().all()
        assert len(resolutions) == 1
        balance = ledger.get_balance(db.session, wallet)
        assert balance.debits_pending == 0
        assert ledger.check(db.session) == []


def submit_same_key(engine, barrier, source, wallet):
    barrier.wait()
    with Session(engine) as session, session.begin():
        return ledger.create_transfer(
            session,
            idempotency_key="one-key",
            debit_account_id=source,
            credit_account_id=wallet,
            amount_minor=2_500,
            ledger=NGN,
            code="manual_credit",
        ).id


def test_one_key_from_eight_processes_creates_one_transfer(app_context, database_url):
    source, wallet = open_accounts("customer")

    transfer_ids = run_processes(submit_same_key, database_url, [(source, wallet)] * PROCESSES)

    assert len(set(transfer_ids)) == 1
    with db.session.begin():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Transfer)).scalar_one() == 1
        assert ledger.get_balance(db.session, wallet).credits_posted == 2_500
        assert ledger.check(db.session) == []


def move_between(engine, barrier, from_id, to_id, count, prefix):
    barrier.wait()
    for number in range(count):

        def work(session, number=number):
            ledger.create_transfer(
                session,
                idempotency_key=f"{prefix}-{number}",
                debit_account_id=from_id,
                credit_account_id=to_id,
                amount_minor=10_00,
                ledger=NGN,
                code="wallet_transfer",
            )

        with Session(engine) as session:
            run_in_transaction(session, work, lambda entries: None)
    return count


@pytest.mark.parametrize(("isolation_level", "processes"), [("READ COMMITTED", 8), ("REPEATABLE READ", 4)])
def test_opposite_transfers_all_commit(app_context, database_url, isolation_level, processes):
    _, wallet_a, wallet_b = open_accounts("a", "b", funding_minor=1_000_00)
    # 100 transfers of NGN 10, half each way, spread over the processes.
    counts = [100 // processes + (1 if n < 100 % processes else 0) for n in range(processes)]
    arguments = [
        (wallet_a, wallet_b, counts[n], f"a-to-b-{n}") if n % 2 == 0 else (wallet_b, wallet_a, counts[n], f"b-to-a-{n}")
        for n in range(processes)
    ]

    committed = run_processes(move_between, database_url, arguments, isolation_level=isolation_level)

    assert sum(committed) == 100
    with db.session.begin():
        assert ledger.get_balance(db.session, wallet_a).available_minor == 1_000_00
        assert ledger.get_balance(db.session, wallet_b).available_minor == 1_000_00
        count = db.session.execute(
            sa.select(sa.func.count()).select_from(Transfer).where(Transfer.code == "wallet_transfer")
        ).scalar_one()
        assert count == 100
        assert ledger.check(db.session) == []
