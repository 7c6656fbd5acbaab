"""Moving a purchase through its lifecycle with guarded updates, and settling its hold.

    placed -> submitting -> succeeded (post the hold) | failed (void it) | unknown (keep it)
    unknown -> requery on a backoff -> succeeded | failed | needs_review after 24 hours

Each transition is an `UPDATE ... WHERE status = <expected>`, so a job that RQ runs twice
finds the purchase taken and does nothing the second time. An unknown outcome is never
refunded: only the provider's own response that it failed voids the hold.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from providers import Outcome, ProviderResult
from wallet import ledger, outbox
from wallet.models import AccountKind, ProviderExchange, Purchase, PurchaseStatus, Transfer, utcnow

# Delays before each requery of an unknown outcome; the last repeats until REVIEW_AFTER.
REQUERY_DELAYS_SECONDS = (30, 120, 600, 3600, 21600)
REVIEW_AFTER = timedelta(hours=24)
# A purchase left in `submitting` this long lost its worker mid-call: requery it, never resend.
STALE_SUBMISSION = timedelta(minutes=5)
# A claimed requery holds the purchase this long, so two sweeps do not requery it at once.
REQUERY_LEASE = timedelta(minutes=2)

_STATUS_BY_OUTCOME = {
    Outcome.SUCCEEDED: PurchaseStatus.SUCCEEDED,
    Outcome.FAILED: PurchaseStatus.FAILED,
    Outcome.UNKNOWN: PurchaseStatus.UNKNOWN,
}


def transition(session: Session, purchase_id: int, expected: PurchaseStatus, new: PurchaseStatus, **values) -> bool:
    """Move a purchase from `expected` to `new`; return False when it was not in `expected`."""
    result = session.execute(
        sa.update(Purchase)
        .where(Purchase.id == purchase_id, Purchase.status == expected)
        .values(status=new, updated_at=utcnow(), **values)
        .returning(Purchase.id)
        .execution_options(synchronize_session="fetch")
    )
    return result.scalar_one_or_none() is not None


def claim_for_submission(session: Session, purchase_id: int) -> Purchase | None:
    """Take a placed purchase for sending to its provider; None when another job has it."""
    if not transition(session, purchase_id, PurchaseStatus.PLACED, PurchaseStatus.SUBMITTING):
        return None
    return session.get(Purchase, purchase_id)


def record_outcome(session: Session, purchase: Purchase, result: ProviderResult) -> PurchaseStatus | None:
    """Store the provider's response and post or void the hold to match it.

    Returns the new status, or None when the purchase had already left `submitting` (another
    run recorded an outcome first), in which case nothing changes.
    """
    new_status = _STATUS_BY_OUTCOME[result.outcome]
    values = {"external_id": result.external_id} if result.external_id else {}
    if new_status == PurchaseStatus.UNKNOWN:
        values["next_check_at"] = utcnow() + timedelta(seconds=REQUERY_DELAYS_SECONDS[0])
    if not transition(session, purchase.id, PurchaseStatus.SUBMITTING, new_status, **values):
        return None
    _settle_hold(session, purchase, new_status)
    return new_status


def record_exchange(session: Session, purchase_id: int, provider: str, operation: str, result: ProviderResult) -> None:
    """Keep what was sent to the provider and what came back, for support and reconciliation."""
    session.add(
        ProviderExchange(
            purchase_id=purchase_id,
            provider=provider,
            operation=operation,
            request_id=result.request_id,
            outcome=result.outcome.value,
            detail=result.detail[:255],
            exchange=result.exchange,
        )
    )


def fail_over(session: Session, purchase: Purchase, result: ProviderResult, next_provider: str) -> bool:
    """Hand a purchase its provider refused to the next provider of its route.

    Only a refusal (`failed`) may fail over: after an unknown outcome the first provider may
    still deliver. The hold stays in place; the purchase goes back to `placed` under the next
    provider with a fresh fulfilment job. Returns False when it was not `submitting` any more.
    """
    if result.outcome != Outcome.FAILED:
        raise ValueError(f"purchase {purchase.reference}: only a refusal fails over, not {result.outcome}")
    moved = transition(
        session,
        purchase.id,
        PurchaseStatus.SUBMITTING,
        PurchaseStatus.PLACED,
        provider=next_provider,
        provider_request_id=None,
    )
    if moved:
        outbox.add(session, "fulfil_purchase", purchase.id)
    return moved


def _settle_hold(session: Session, purchase: Purchase, status: PurchaseStatus) -> None:
    if status == PurchaseStatus.SUCCEEDED:
        ledger.post_pending(session, purchase.hold_transfer_id, idempotency_key=f"purchase:{purchase.reference}:post")
        _move_to_delivering_provider(session, purchase)
    elif status == PurchaseStatus.FAILED:
        ledger.void_pending(session, purchase.hold_transfer_id, idempotency_key=f"purchase:{purchase.reference}:void")


def _move_to_delivering_provider(session: Session, purchase: Purchase) -> None:
    """After a failover, move the posted amount to the clearing account of who delivered."""
    hold = session.get(Transfer, purchase.hold_transfer_id)
    delivering = ledger.get_or_create_account(session, AccountKind.PROVIDER_CLEARING, purchase.provider, purchase.ledger)
    if hold.credit_account_id == delivering.id:
        return
    ledger.create_transfer(
        session,
        idempotency_key=f"purchase:{purchase.reference}:reroute",
        debit_account_id=hold.credit_account_id,
        credit_account_id=delivering.id,
        amount_minor=hold.amount_minor,
        ledger=purchase.ledger,
        code="provider_failover",
        reference=purchase.reference,
    )


def due_for_requery(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Return purchases whose requery is due: unknown ones at their time, stale submissions."""
    unknown = sa.and_(Purchase.status == PurchaseStatus.UNKNOWN, Purchase.next_check_at <= now)
    stale = sa.and_(Purchase.status == PurchaseStatus.SUBMITTING, Purchase.updated_at <= now - STALE_SUBMISSION)
    return list(
        session.execute(sa.select(Purchase.id).where(sa.or_(unknown, stale)).order_by(Purchase.id).limit(limit)).scalars()
    )


def claim_for_requery(session: Session, purchase_id: int, now: datetime) -> Purchase | None:
    """Take a purchase whose requery is due; None when it is not due or another job has it.

    A stale submission first becomes `unknown`: its worker died mid-call, so whether the
    provider received it can only be learnt by asking, never by sending again.
    """
    lease = {"next_check_at": now + REQUERY_LEASE}
    stale = session.execute(
        sa.update(Purchase)
        .where(
            Purchase.id == purchase_id,
            Purchase.status == PurchaseStatus.SUBMITTING,
            Purchase.updated_at <= now - STALE_SUBMISSION,
        )
        .values(status=PurchaseStatus.UNKNOWN, updated_at=now, **lease)
        .returning(Purchase.id)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    if stale is None:
        due = session.execute(
            sa.update(Purchase)
            .where(
                Purchase.id == purchase_id,
                Purchase.status == PurchaseStatus.UNKNOWN,
                Purchase.next_check_at <= now,
            )
            .values(**lease)
            .returning(Purchase.id)
            .execution_options(synchronize_session="fetch")
        ).scalar_one_or_none()
        if due is None:
            return None
    return session.get(Purchase, purchase_id)


def record_requery(session: Session, purchase: Purchase, result: ProviderResult, now: datetime) -> PurchaseStatus | None:
    """Store a requery's response: settle the hold on a final one, else schedule the next requery.

    After REVIEW_AFTER without a final response the purchase goes to `needs_review` with its hold
    still in place, for a person to resolve with the provider. Returns the new status, or None
    when the purchase had left `unknown` meanwhile.
    """
    new_status = _STATUS_BY_OUTCOME[result.outcome]
    values = {"external_id": result.external_id} if result.external_id else {}
    if new_status != PurchaseStatus.UNKNOWN:
        if not transition(session, purchase.id, PurchaseStatus.UNKNOWN, new_status, next_check_at=None, **values):
            return None
        _settle_hold(session, purchase, new_status)
        return new_status
    if now - purchase.created_at >= REVIEW_AFTER:
        moved = transition(session, purchase.id, PurchaseStatus.UNKNOWN, PurchaseStatus.NEEDS_REVIEW, next_check_at=None)
        return PurchaseStatus.NEEDS_REVIEW if moved else None
    count = purchase.requery_count + 1
    delay = REQUERY_DELAYS_SECONDS[min(count, len(REQUERY_DELAYS_SECONDS) - 1)]
    moved = transition(
        session,
        purchase.id,
        PurchaseStatus.UNKNOWN,
        PurchaseStatus.UNKNOWN,
        requery_count=count,
        next_check_at=now + timedelta(seconds=delay),
    )
    return PurchaseStatus.UNKNOWN if moved else None
