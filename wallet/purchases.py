"""Placing a purchase: the purchase row, the hold on the wallet and the outbox entry, at once."""

import secrets
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wallet import customers, ledger, outbox
from wallet.errors import InvalidAmount
from wallet.limits import TierLimits
from wallet.models import AccountKind, Customer, ProductKind, Purchase, PurchaseStatus

FULFIL_JOB = "fulfil_purchase"

# Crockford's base32 without I, L, O and U: no letter can be misread as a digit on a receipt.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@dataclass(frozen=True)
class AmountLimits:
    min_minor: int
    max_minor: int


def new_reference() -> str:
    """Return a fresh purchase reference such as NT7Q2M9K4D."""
    return "NT" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))


def place_purchase(
    session: Session,
    *,
    customer: Customer,
    recipient: str,
    network: str,
    amount_minor: int,
    currency: str,
    channel: str,
    provider: str,
    limits: AmountLimits | None,
    tier_limits: TierLimits,
    limit_day: date,
    request_key: str | None = None,
    product_kind: ProductKind = ProductKind.AIRTIME,
    product_code: str | None = None,
) -> Purchase:
    """Create a purchase with a pending transfer holding its amount, and queue its fulfilment.

    The caller must have checked the PIN. Nothing is sent to a provider here: the outbox
    entry is enqueued after the caller commits.

    :raises InvalidAmount: the amount is outside `limits` (None for a priced product).
    :raises ExceedsCredits: the wallet's available balance is below the amount.
    :raises LimitExceeded: the purchase would pass the tier's debits for `limit_day`.
    """
    if limits is not None and not limits.min_minor <= amount_minor <= limits.max_minor:
        raise InvalidAmount(f"amount {amount_minor} is outside {limits.min_minor}..{limits.max_minor}")
    wallet = customers.get_wallet(session, customer, currency)
    clearing = ledger.get_or_create_account(session, AccountKind.PROVIDER_CLEARING, provider, currency)
    reference = new_reference()
    hold = ledger.create_transfer(
        session,
        idempotency_key=f"purchase:{reference}:hold",
        debit_account_id=wallet.id,
        credit_account_id=clearing.id,
        amount_minor=amount_minor,
        ledger=currency,
        code=f"{product_kind.value}_purchase",
        pending=True,
        reference=reference,
        max_daily_debits_minor=tier_limits.max_daily_debits_minor,
        limit_day=limit_day,
    )
    purchase = Purchase(
        reference=reference,
        request_key=request_key,
        customer_id=customer.id,
        channel=channel,
        product_kind=product_kind,
        product_code=product_code,
        network=network,
        recipient=recipient,
        amount_minor=amount_minor,
        ledger=currency,
        status=PurchaseStatus.PLACED,
        provider=provider,
        hold_transfer_id=hold.id,
    )
    session.add(purchase)
    session.flush()
    outbox.add(session, FULFIL_JOB, purchase.id)
    return purchase


def find_by_request_key(session: Session, request_key: str) -> Purchase | None:
    """Return the purchase a channel request placed already, or None."""
    return session.execute(sa.select(Purchase).where(Purchase.request_key == request_key)).scalar_one_or_none()


def find_purchase(session: Session, reference: str) -> Purchase | None:
    """Return the purchase with this reference, or None."""
    return session.execute(sa.select(Purchase).where(Purchase.reference == reference)).scalar_one_or_none()
