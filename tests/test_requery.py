"""Unknown outcomes are requeried on a backoff, never refunded, and stale submissions recovered."""

from datetime import timedelta

import sqlalchemy as sa

from app import queue
from app.extensions import db
from providers.sandbox import SandboxProvider
from tests.phones import AfricasTalkingPhone
from tests.test_jobs import count_provider_calls
from tests.test_ussd_africastalking import available_minor, buy_airtime, credit, messages_to, purchases
from wallet import ledger
from wallet.models import Purchase, PurchaseStatus, utcnow


def place(client, runner, phone_number: str, naira: str = "300") -> None:
    phone = AfricasTalkingPhone(client, phone_number=phone_number)
    phone.register()
    credit(runner, phone_number, "1000")
    assert buy_airtime(phone, naira).startswith("END Request received.")


def shift(app, **columns) -> None:
    """Move the only purchase's timestamps, as if time had passed."""
    with app.app_context(), db.session.begin():
        db.session.execute(sa.update(Purchase).values(**columns))


def sweep_and_run(app, run_jobs) -> int:
    with app.app_context():
        due = queue.sweep_requeries()
    run_jobs()
    return due


def assert_ledger_consistent(app) -> None:
    with app.app_context(), db.session.begin():
        assert ledger.check(db.session) == []


def test_unknown_then_delivered_on_requery(app, client, runner, run_jobs):
    number = "+2348030000098"
    place(client, runner, number)
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert 25 <= (purchase.next_check_at - utcnow()).total_seconds() <= 30
    assert sweep_and_run(app, run_jobs) == 0

    shift(app, next_check_at=utcnow() - timedelta(seconds=1))
    assert sweep_and_run(app, run_jobs) == 1

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert purchase.next_check_at is None
    assert available_minor(app, number) == 700_00
    receipts = [message.body for message in messages_to(app, number) if "airtime" in message.body]
    assert len(receipts) == 1
    assert receipts[0].startswith("NexusTop: NGN 300 airtime sent to 08030000098.")
    assert_ledger_consistent(app)


def test_still_unknown_backs_off_then_needs_review(app, client, runner, run_jobs):
    number = "+2348030000097"
    place(client, runner, number)
    run_jobs()

    shift(app, next_check_at=utcnow() - timedelta(seconds=1))
    sweep_and_run(app, run_jobs)
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert purchase.requery_count == 1
    assert 110 <= (purchase.next_check_at - utcnow()).total_seconds() <= 120

    shift(app, next_check_at=utcnow() - timedelta(seconds=1), created_at=utcnow() - timedelta(hours=25))
    sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.NEEDS_REVIEW
    assert available_minor(app, number) == 700_00
    assert all("airtime" not in message.body for message in messages_to(app, number))
    assert sweep_and_run(app, run_jobs) == 0
    assert_ledger_consistent(app)


def test_stale_submission_is_requeried_never_resent(app, client, runner, run_jobs, monkeypatch):
    number = "+2348030000002"
    place(client, runner, number)
    # The worker took the purchase and died before storing the provider's response.
    shift(app, status=PurchaseStatus.SUBMITTING, updated_at=utcnow() - timedelta(minutes=6))
    calls = count_provider_calls(monkeypatch)
    requeries = []
    original = SandboxProvider.requery
    monkeypatch.setattr(SandboxProvider, "requery", lambda self, *args: requeries.append(args) or original(self, *args))

    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUBMITTING
    assert calls == []
    sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert calls == []
    assert len(requeries) == 1
    receipts = [message.body for message in messages_to(app, number) if "airtime" in message.body]
    assert len(receipts) == 1
    assert_ledger_consistent(app)


def test_recent_submission_is_left_alone(app, client, runner, run_jobs):
    place(client, runner, "+2348030000002")
    shift(app, status=PurchaseStatus.SUBMITTING, updated_at=utcnow() - timedelta(minutes=1))

    assert sweep_and_run(app, run_jobs) == 0
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUBMITTING


def test_worker_killed_after_provider_call_delivers_once(app, client, runner, run_jobs, monkeypatch, tmp_path):
    """SIGKILL the work horse right after the provider accepted, before the outcome is stored."""
    import os
    import signal

    from rq import Worker

    from app.queue import get_queue, get_redis

    sends = tmp_path / "sends"
    original = SandboxProvider.send_airtime

    def send_then_die(self, *args):
        result = original(self, *args)
        with sends.open("a") as record:
            record.write("sent\n")
        os.kill(os.getpid(), signal.SIGKILL)
        return result

    number = "+2348030000002"
    phone = AfricasTalkingPhone(client, phone_number=number)
    phone.register()
    credit(runner, number, "1000")
    run_jobs()
    monkeypatch.setattr(SandboxProvider, "send_airtime", send_then_die)
    assert buy_airtime(phone, "300").startswith("END Request received.")

    with app.app_context():
        Worker([get_queue(app)], connection=get_redis(app)).work(burst=True)
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUBMITTING
    assert sends.read_text() == "sent\n"

    monkeypatch.setattr(SandboxProvider, "send_airtime", original)
    shift(app, updated_at=utcnow() - timedelta(minutes=6))
    sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert sends.read_text() == "sent\n"
    assert available_minor(app, number) == 700_00
    receipts = [message.body for message in messages_to(app, number) if "airtime" in message.body]
    assert len(receipts) == 1
    assert_ledger_consistent(app)


def test_job_timeout_leaves_purchase_for_requery_not_refund(app, client, runner, monkeypatch):
    """RQ's job timeout fires while the provider call hangs: the job fails, nothing is refunded."""
    import time as clock

    from rq import Queue, SimpleWorker

    from app.queue import get_redis

    number = "+2348030000002"
    phone = AfricasTalkingPhone(client, phone_number=number)
    phone.register()
    credit(runner, number, "1000")
    monkeypatch.setattr(SandboxProvider, "send_airtime", lambda self, *args: clock.sleep(5))
    assert buy_airtime(phone, "300").startswith("END Request received.")
    [purchase] = purchases(app)
    queue = Queue("slow", connection=get_redis(app))
    job = queue.enqueue("app.jobs.fulfil_purchase", purchase.id, job_timeout=1)

    with app.app_context():
        SimpleWorker([queue], connection=get_redis(app)).work(burst=True)

    assert job.get_status(refresh=True) == "failed"
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUBMITTING
    assert available_minor(app, number) == 700_00
    assert all("No money was taken" not in message.body for message in messages_to(app, number))
