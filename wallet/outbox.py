"""Jobs written in the same transaction as the rows they act on, enqueued after commit."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wallet.models import OutboxEntry, utcnow

# Key in `Session.info` under which `add` collects (entry id, job, subject id) for the caller
# to enqueue after commit.
SESSION_INFO_KEY = "outbox_entries"


def add(session: Session, job: str, subject_id: int) -> OutboxEntry:
    """Record that `job` must run for `subject_id` once the caller's transaction commits."""
    entry = OutboxEntry(job=job, subject_id=subject_id)
    session.add(entry)
    session.flush()
    session.info.setdefault(SESSION_INFO_KEY, []).append((entry.id, job, subject_id))
    return entry


def mark_enqueued(session: Session, entry_ids: list[int], now: datetime | None = None) -> None:
    """Note that these entries reached the queue, so the sweeper leaves them alone."""
    if entry_ids:
        session.execute(
            sa.update(OutboxEntry).where(OutboxEntry.id.in_(entry_ids)).values(enqueued_at=now or utcnow())
        )


def find_unsent(session: Session, older_than: datetime, limit: int = 100) -> list[OutboxEntry]:
    """Return entries written before `older_than` that never reached the queue."""
    return list(
        session.execute(
            sa.select(OutboxEntry)
            .where(OutboxEntry.enqueued_at.is_(None), OutboxEntry.created_at < older_than)
            .order_by(OutboxEntry.id)
            .limit(limit)
        ).scalars()
    )
