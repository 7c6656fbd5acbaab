"""Moving a purchase through its lifecycle with guarded updates, and settling its hold.

    placed -> submitting -> succeeded (post the hold) | failed (void it) | unknown (keep it)

Each transition is an `UPDATE ... WHERE status = <expected>`, so a job that RQ runs twice
finds the purchase taken and does nothing the second time.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from providers import Outcome, ProviderResult
from wallet import ledger
from wallet.models import Purchase, PurchaseStatus, utcnow

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
    """Store the provider's answer and post or void the hold to match it.

    Returns the new status, or None when the purchase had already left `submitting` (another
    run recorded an outcome first), in which case nothing changes.
    """
    new_status = _STATUS_BY_OUTCOME[result.outcome]
    values = {"external_id": result.external_id} if result.external_id else {}
    if not transition(session, purchase.id, PurchaseStatus.SUBMITTING, new_status, **values):
        return None
    if new_status == PurchaseStatus.SUCCEEDED:
        ledger.post_pending(session, purchase.hold_transfer_id, idempotency_key=f"purchase:{purchase.reference}:post")
    elif new_status == PurchaseStatus.FAILED:
        ledger.void_pending(session, purchase.hold_transfer_id, idempotency_key=f"purchase:{purchase.reference}:void")
    return new_status
