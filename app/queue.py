"""Redis, the RQ queue, enqueueing outbox entries after commit, and the embedded worker."""

import logging
import threading
import time
from datetime import timedelta

import redis
from flask import Flask, current_app
from rq import Queue, Retry, SimpleWorker
from rq.timeouts import TimerDeathPenalty

from app.extensions import db
from wallet import fulfilment, outbox
from wallet.models import utcnow

log = logging.getLogger(__name__)

QUEUE_NAME = "default"
# Outbox job names and the functions RQ runs for them.
JOB_FUNCTIONS = {
    "fulfil_purchase": "app.jobs.fulfil_purchase",
    "send_sms": "app.jobs.send_sms",
    "requery_purchase": "app.jobs.requery_purchase",
}
EMBEDDED_SWEEP_INTERVAL_SECONDS = 5
# `flask worker` sweeps less often: several workers may each run a sweeper.
WORKER_SWEEP_INTERVAL_SECONDS = 15
# Jobs that fail in a way worth retrying raise, and RQ runs them again after these delays.
JOB_RETRIES = {"send_sms": Retry(max=3, interval=[10, 60, 300])}


def init_app(app: Flask) -> None:
    """Connect to REDIS_URL, or make an in-memory Redis for the embedded default."""
    if app.config["REDIS_URL"]:
        connection = redis.Redis.from_url(app.config["REDIS_URL"])
    else:
        import fakeredis

        connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    app.extensions["nexustop.redis"] = connection


def get_redis(app: Flask | None = None) -> redis.Redis:
    return (app or current_app).extensions["nexustop.redis"]


def get_queue(app: Flask | None = None) -> Queue:
    app = app or current_app
    return Queue(QUEUE_NAME, connection=get_redis(app), default_timeout=app.config["JOB_TIMEOUT_SECONDS"])


def dispatch(entries: list[tuple[int, str, int]]) -> None:
    """Enqueue committed outbox entries and mark them enqueued.

    Called after commit. If Redis is unreachable the entries stay unmarked and the sweeper
    enqueues them later; the jobs are idempotent, so a duplicate enqueue is harmless.
    """
    app = current_app
    if app.config["EMBEDDED"] and not app.extensions.get("nexustop.worker_thread"):
        # A command-line process of the embedded default has its own in-memory Redis that no
        # worker reads: leave the entries for the web process's sweeper.
        log.info("outbox entries %s left for the embedded sweeper", [entry[0] for entry in entries])
        return
    queue = get_queue()
    enqueued = []
    for entry_id, job, subject_id in entries:
        try:
            queue.enqueue(JOB_FUNCTIONS[job], subject_id, retry=JOB_RETRIES.get(job))
        except redis.RedisError as error:
            log.error("outbox entry %s: enqueue of %s(%s) failed: %s", entry_id, job, subject_id, error)
            continue
        enqueued.append(entry_id)
    if enqueued:
        try:
            with db.session.begin():
                outbox.mark_enqueued(db.session, enqueued)
        except Exception:
            # The jobs are queued and idempotent: if the sweeper queues them again, no harm.
            log.exception("outbox entries %s: queued, but not marked so", enqueued)


def sweep_outbox(min_age_seconds: int) -> int:
    """Enqueue outbox entries older than `min_age_seconds` that never reached the queue.

    Returns how many were found. The age keeps the sweeper away from entries whose own
    transaction is about to dispatch them.
    """
    cutoff = utcnow() - timedelta(seconds=min_age_seconds)
    with db.session.begin():
        entries = [(entry.id, entry.job, entry.subject_id) for entry in outbox.find_unsent(db.session, cutoff)]
    if entries:
        log.info("outbox: sweeping %s unsent entries", len(entries))
        dispatch(entries)
    return len(entries)


def sweep_requeries() -> int:
    """Enqueue a requery for each purchase whose requery is due; return how many."""
    with db.session.begin():
        purchase_ids = fulfilment.due_for_requery(db.session, utcnow())
    queue = get_queue()
    for purchase_id in purchase_ids:
        # The job claims the purchase with a guarded update, so a duplicate enqueue is harmless.
        queue.enqueue(JOB_FUNCTIONS["requery_purchase"], purchase_id)
    if purchase_ids:
        log.info("requery: %s purchases due", len(purchase_ids))
    return len(purchase_ids)


def sweep(app: Flask) -> None:
    """Run both sweeps once: lost outbox entries and due requeries."""
    with app.app_context():
        sweep_outbox(min_age_seconds=2)
        sweep_requeries()


def sweep_forever(app: Flask, interval_seconds: int) -> None:
    """Sweep every `interval_seconds` until the process ends; errors are logged, not raised."""
    while True:
        time.sleep(interval_seconds)
        try:
            sweep(app)
        except Exception:
            log.exception("sweep failed; trying again in %s s", interval_seconds)


def start_sweeper(app: Flask, interval_seconds: int) -> None:
    """Start `sweep_forever` in a daemon thread of this process."""
    thread = threading.Thread(target=sweep_forever, args=(app, interval_seconds), name="sweeper", daemon=True)
    thread.start()


class ThreadWorker(SimpleWorker):
    """An RQ worker that runs inside a thread of the web process (the embedded default).

    Signal handlers and SIGALRM timeouts work only in the main thread, so this worker installs
    no handlers and enforces job timeouts with a timer.
    """

    death_penalty_class = TimerDeathPenalty

    def __init__(self, *args, app: Flask, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def _install_signal_handlers(self):
        pass

    def execute_job(self, job, queue):
        with self.app.app_context():
            super().execute_job(job, queue)


_embedded_worker_lock = threading.Lock()


def start_embedded_worker(app: Flask) -> None:
    """Start the in-process worker thread once per app."""
    with _embedded_worker_lock:
        if app.extensions.get("nexustop.worker_thread"):
            return
        worker = ThreadWorker([get_queue(app)], connection=get_redis(app), app=app)
        thread = threading.Thread(target=worker.work, name="rq-embedded-worker", daemon=True)
        thread.start()
        app.extensions["nexustop.worker_thread"] = thread
        start_sweeper(app, EMBEDDED_SWEEP_INTERVAL_SECONDS)
        log.info("embedded RQ worker and sweeper started in threads")
