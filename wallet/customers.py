"""Customers, their wallets and their PINs.

A PIN is stored as PBKDF2-SHA256 over the PIN with a per-customer salt, then keyed with a
server-side pepper (HMAC-SHA256), so a copy of the database alone cannot be brute-forced.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from wallet import ledger
from wallet.errors import CustomerExists, InvalidPin, PinLocked
from wallet.limits import TierLimits
from wallet.models import Account, AccountKind, Customer, Transfer, utcnow


@dataclass(frozen=True)
class PinPolicy:
    pepper: bytes
    iterations: int
    max_attempts: int
    lock_minutes: int


def find_customer(session: Session, phone_number: str) -> Customer | None:
    """Return the customer with this E.164 number, or None."""
    return session.execute(
        sa.select(Customer).where(Customer.phone_number == phone_number)
    ).scalar_one_or_none()


def get_or_create_customer(session: Session, phone_number: str, currency: str, language: str = "en") -> Customer:
    """Return the customer with this number, creating one without a PIN and an empty wallet.

    Operations may credit a number before its owner first dials; the first dial then asks for
    a PIN as for any new caller.
    """
    customer = find_customer(session, phone_number)
    if customer is None:
        customer = Customer(phone_number=phone_number, language=language, tier="basic", failed_pin_attempts=0)
        session.add(customer)
        session.flush()
        get_wallet(session, customer, currency)
    return customer


def register_customer(
    session: Session, phone_number: str, pin: str, policy: PinPolicy, currency: str, language: str = "en"
) -> Customer:
    """Give a caller their first PIN, creating the customer and wallet if needed.

    :raises InvalidPin: the PIN is not four digits.
    :raises CustomerExists: the number has a PIN already.
    """
    validate_new_pin(pin, phone_number)
    customer = get_or_create_customer(session, phone_number, currency, language)
    if customer.pin_hash is not None:
        raise CustomerExists(phone_number)
    customer.language = language
    set_pin(customer, pin, policy)
    session.flush()
    return customer


def get_wallet(session: Session, customer: Customer, currency: str) -> Account:
    """Return the customer's wallet account in this currency, creating it on first use."""
    return ledger.get_or_create_account(session, AccountKind.CUSTOMER_WALLET, str(customer.id), currency)


def credit_wallet(
    session: Session,
    customer: Customer,
    *,
    amount_minor: int,
    currency: str,
    source: Account,
    idempotency_key: str,
    code: str,
    limits: TierLimits,
    memo: str | None = None,
) -> Transfer:
    """Credit a customer's wallet from `source` within the tier's maximum balance.

    :raises LimitExceeded: the wallet would hold more than the tier allows.
    """
    wallet = get_wallet(session, customer, currency)
    return ledger.create_transfer(
        session,
        idempotency_key=idempotency_key,
        debit_account_id=source.id,
        credit_account_id=wallet.id,
        amount_minor=amount_minor,
        ledger=currency,
        code=code,
        memo=memo,
        max_credit_balance_minor=limits.max_balance_minor,
    )


_SEQUENCES = "0123456789012"


def validate_new_pin(pin: str, phone_number: str) -> None:
    """Raise InvalidPin unless the PIN is four digits that are not easy to guess.

    Rejected with their `reason`: `format` (not four digits), `repeated` (one digit four times,
    0000), `sequence` (1234, 9876, 8901) and `phone_number` (the number's last four digits).
    """
    if len(pin) != 4 or not pin.isascii() or not pin.isdigit():
        raise InvalidPin("format")
    if len(set(pin)) == 1:
        raise InvalidPin("repeated")
    if pin in _SEQUENCES or pin[::-1] in _SEQUENCES:
        raise InvalidPin("sequence")
    if phone_number.endswith(pin):
        raise InvalidPin("phone_number")


def check_pin(session: Session, customer: Customer, pin: str, policy: PinPolicy, now: datetime | None = None) -> bool:
    """Compare a PIN with the stored one, counting wrong attempts.

    The attempt counter is written through the caller's session, so the caller must commit
    even when this returns False; after `max_attempts` wrong PINs in a row purchases lock for
    `lock_minutes`.

    :raises PinLocked: purchases are locked now.
    """
    now = now or utcnow()
    if customer.pin_locked_until is not None and customer.pin_locked_until > now:
        raise PinLocked(customer.pin_locked_until)
    if customer.pin_hash is not None and hmac.compare_digest(_hash_pin(pin, customer.pin_salt, policy), customer.pin_hash):
        customer.failed_pin_attempts = 0
        customer.pin_locked_until = None
        return True
    customer.failed_pin_attempts += 1
    if customer.failed_pin_attempts >= policy.max_attempts:
        customer.failed_pin_attempts = 0
        customer.pin_locked_until = now + timedelta(minutes=policy.lock_minutes)
    session.flush()
    return False


def set_pin(customer: Customer, pin: str, policy: PinPolicy) -> None:
    """Store a new PIN hash with a new salt; the caller validates the PIN first."""
    customer.failed_pin_attempts = 0
    customer.pin_locked_until = None
    customer.pin_salt = secrets.token_bytes(16)
    customer.pin_hash = _hash_pin(pin, customer.pin_salt, policy)


def _hash_pin(pin: str, salt: bytes, policy: PinPolicy) -> bytes:
    stretched = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, policy.iterations)
    return hmac.new(policy.pepper, stretched, hashlib.sha256).digest()
