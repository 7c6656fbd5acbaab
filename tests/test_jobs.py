"""Fulfilment and SMS jobs run by real RQ workers against PostgreSQL and Redis."""

from datetime import date

import sqlalchemy as sa
from rq import Worker

from app.extensions import db
from app.queue import get_queue, get_redis
from providers.sandbox import SandboxProvider
from sms.models import MessageStatus, OutboundMessage
from tests.phones import CALLER, AfricasTalkingPhone
from tests.test_ussd_africastalking import buy_airtime, credit, purchases
from wallet import purchases as purchase_service
from wallet.models import PurchaseStatus


def place_purchase(client, runner, naira="500"):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "2000")
    return buy_airtime(phone, naira)


def count_provider_calls(monkeypatch) -> list[str]:
    calls = []
    original = SandboxProvider.send_airtime

    def counting(self, reference, *args):
        calls.append(reference)
        return original(self, reference, *args)

    monkeypatch.setattr(SandboxProvider, "send_airtime", counting)
    return calls


def test_fulfil_job_enqueued_twice_sends_once(app, client, runner, run_jobs, monkeypatch):
    calls = count_provider_calls(monkeypatch)
    place_purchase(client, runner)
    [purchase] = purchases(app)
    get_queue(app).enqueue("app.jobs.fulfil_purchase", purchase.id)
    get_queue(app).enqueue("app.jobs.fulfil_purchase", purchase.id, job_id=f"fulfil-{purchase.id}")

    run_jobs()

    assert calls == [purchase.reference]
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    with app.app_context():
        receipts = db.session.execute(
            sa.select(OutboundMessage).where(OutboundMessage.purchase_id == purchase.id)
        ).scalars().all()
        assert len(receipts) == 1


def test_fulfil_job_for_missing_purchase_does_nothing(app, run_jobs, monkeypatch):
    calls = count_provider_calls(monkeypatch)
    job = get_queue(app).enqueue("app.jobs.fulfil_purchase", 424242)

    run_jobs()

    assert calls == []
    assert job.return_value() == "skipped"


def test_rolled_back_purchase_is_never_sent(app, client, runner, run_jobs, monkeypatch):
    calls = count_provider_calls(monkeypatch)
    AfricasTalkingPhone(client).register()
    credit(runner, CALLER, "1000")
    from app.services import service_settings
    from wallet import customers

    with app.app_context():
        settings = service_settings()
        db.session.begin()
        customer = customers.find_customer(db.session, CALLER)
        purchase_service.place_purchase(
            db.session,
            customer=customer,
            recipient=CALLER,
            network="mtn",
            amount_minor=100_00,
            currency="NGN",
            channel="ussd",
            provider="sandbox",
            limits=settings.airtime_limits,
            tier_limits=settings.tier_limits["basic"],
            limit_day=date(2026, 12, 4),
        )
        db.session.rollback()

    run_jobs()

    assert calls == []
    assert purchases(app) == []


def test_forking_worker_fulfils_against_postgresql(app, client, runner):
    place_purchase(client, runner, naira="300")

    # A forking worker, as `flask worker` runs in production: each job runs in a work horse
    # process that must open its own database connections.
    with app.app_context():
        db.session.execute(sa.text("SELECT 1"))
        worker = Worker([get_queue(app)], connection=get_redis(app))
        worked = worker.work(burst=True)

    assert worked
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    with app.app_context():
        statuses = db.session.execute(sa.select(OutboundMessage.status)).scalars().all()
        assert statuses and all(status == MessageStatus.SENT for status in statuses)


def test_unsent_outbox_entry_is_swept(app, client, runner, run_jobs, monkeypatch):
    import redis as redis_module

    from app import queue

    def unreachable(*args, **kwargs):
        raise redis_module.ConnectionError("Redis is down")

    AfricasTalkingPhone(client).register()
    credit(runner, CALLER, "1000")
    run_jobs()
    with monkeypatch.context() as patched:
        patched.setattr(queue.Queue, "enqueue", unreachable)
        final = buy_airtime(AfricasTalkingPhone(client), "100")
    assert final.startswith("END Request received.")
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.PLACED

    with app.app_context():
        swept = queue.sweep_outbox(min_age_seconds=0)
    run_jobs()

    assert swept == 1
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED


def test_two_worker_processes_send_once(app, client, runner, run_jobs, database_url, redis_url):
    """The same fulfilment queued three ways and taken by two worker processes at once."""
    import os
    import subprocess
    import sys

    from app.config import TestConfig
    from wallet.models import ProviderExchange

    place_purchase(client, runner)
    [purchase] = purchases(app)
    queue = get_queue(app)
    queue.enqueue("app.jobs.fulfil_purchase", purchase.id)
    queue.enqueue("app.jobs.fulfil_purchase", purchase.id, job_id=f"fulfil-{purchase.id}")
    queue.enqueue("app.jobs.fulfil_purchase", purchase.id, job_id=f"fulfil-{purchase.id}")
    environment = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, SECRET_KEY=TestConfig.SECRET_KEY)
    flask = os.path.join(os.path.dirname(sys.executable), "flask")

    workers = [
        subprocess.Popen([flask, "--app", "app", "worker", "--burst"], env=environment, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=60) == 0

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    with app.app_context():
        sends = db.session.execute(
            sa.select(sa.func.count()).select_from(ProviderExchange).where(ProviderExchange.operation == "send")
        ).scalar_one()
        receipts = db.session.execute(
            sa.select(sa.func.count()).select_from(OutboundMessage).where(OutboundMessage.purchase_id == purchase.id)
        ).scalar_one()
    assert sends == 1
    assert receipts == 1

