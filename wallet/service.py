"""The wallet as the channels see it: one call, one database transaction.

USSD menus, SMS commands and the API call these methods and never touch models or sessions.
Each method opens and commits its own transaction, retries it whole on a deadlock or a
serialization failure, and hands the outbox entries it wrote to `after_commit`.
"""

import enum
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from providers.numbers import mask
from wallet import catalogue, customers, ledger, outbox, purchases
from wallet.errors import CustomerNotFound, ExceedsCredits, InvalidAmount, LimitExceeded, PinLocked
from wallet.limits import TierLimits, business_day, limits_for
from wallet.models import ProductKind, utcnow

log = logging.getLogger(__name__)

# SQLSTATEs after which PostgreSQL expects the whole transaction to be tried again.
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
TRANSACTION_ATTEMPTS = 10
# Upper bound of the random pause before the second attempt. It doubles for each later one up
# to the maximum, so transactions that collided do not collide again at once. Under READ
# COMMITTED (the default) the guarded UPDATEs need no retry. Under REPEATABLE READ, four
# processes moving money between the same two wallets needed up to seven attempts.
RETRY_PAUSE_MILLISECONDS = 20
MAX_RETRY_PAUSE_MILLISECONDS = 500


@dataclass(frozen=True)
class ServiceSettings:
    currency: str
    pin_policy: customers.PinPolicy
    airtime_limits: purchases.AmountLimits
    tier_limits: dict[str, TierLimits]
    business_timezone: str
    route: Callable[[str, str], str]
    """Return the provider name for (network, product kind)."""


@dataclass(frozen=True)
class CustomerProfile:
    customer_id: int
    language: str
    has_pin: bool


class AttemptStatus(enum.StrEnum):
    PLACED = "placed"
    WRONG_PIN = "wrong_pin"
    PIN_LOCKED = "pin_locked"
    INSUFFICIENT_FUNDS = "insufficient_funds"
    INVALID_AMOUNT = "invalid_amount"
    LIMIT_EXCEEDED = "limit_exceeded"


@dataclass(frozen=True)
class PurchaseAttempt:
    status: AttemptStatus
    reference: str | None = None
    available_minor: int | None = None
    attempts_left: int | None = None
    locked_until: datetime | None = None
    limit_minor: int | None = None
    remaining_minor: int | None = None


def run_in_transaction(
    session: Session,
    work: Callable[[Session], object],
    after_commit: Callable[[list[tuple[int, str, int]]], None],
) -> object:
    """Run `work(session)` in one transaction, then hand its outbox entries to `after_commit`.

    A deadlock or serialization failure rolls the transaction back and runs `work` again from
    the start, at most TRANSACTION_ATTEMPTS times. Part of `work` is never run again alone.
    """
    for attempt in range(1, TRANSACTION_ATTEMPTS + 1):
        try:
            with session.begin():
                session.info[outbox.SESSION_INFO_KEY] = []
                result = work(session)
                entries = session.info.pop(outbox.SESSION_INFO_KEY)
            break
        except OperationalError as error:
            sqlstate = getattr(error.orig, "sqlstate", None)
            if sqlstate not in _RETRYABLE_SQLSTATES or attempt == TRANSACTION_ATTEMPTS:
                raise
            log.warning("transaction attempt %s failed with SQLSTATE %s; retrying", attempt, sqlstate)
            pause_milliseconds = min(RETRY_PAUSE_MILLISECONDS * 2 ** (attempt - 1), MAX_RETRY_PAUSE_MILLISECONDS)
            time.sleep(random.uniform(0, pause_milliseconds) / 1000)
    if entries:
        after_commit(entries)
    return result


# notify(session, phone number, message id, language, parameters) writes an SMS to the
# customer in the caller's transaction. The app supplies it, because the wallet package has
# no SMS code.
Notify = Callable[[Session, str, str, str, dict], None]


class PinCheckStatus(enum.StrEnum):
    OK = "ok"
    WRONG_PIN = "wrong_pin"
    PIN_LOCKED = "pin_locked"


@dataclass(frozen=True)
class PinCheck:
    status: PinCheckStatus
    attempts_left: int | None = None
    locked_until: datetime | None = None


class WalletService:
    def __init__(
        self,
        session: Session,
        settings: ServiceSettings,
        after_commit: Callable[[list[tuple[int, str, int]]], None] = lambda entries: None,
        notify: Notify | None = None,
    ):
        self._session = session
        self._settings = settings
        self._after_commit = after_commit
        self._notify = notify or (lambda session, phone_number, message_id, language, parameters: None)

    def run(self, work: Callable[[Session], object]) -> object:
        """Run `work(session)` in one transaction (see `run_in_transaction`)."""
        return run_in_transaction(self._session, work, self._after_commit)

    def find_customer(self, phone_number: str) -> CustomerProfile | None:
        """Return who owns this number, or None for a first-time caller."""

        def work(session):
            customer = customers.find_customer(session, phone_number)
            if customer is None:
                return None
            return CustomerProfile(customer.id, customer.language, customer.pin_hash is not None)

        return self.run(work)

    def register(self, phone_number: str, pin: str, language: str = "en") -> CustomerProfile:
        """Register a caller with a new PIN and an empty wallet.

        :raises InvalidPin: the PIN is weak or not four digits (its `reason` names the rule).
        :raises CustomerExists: the number is registered already.
        """

        def work(session):
            customer = customers.register_customer(
                session, phone_number, pin, self._settings.pin_policy, self._settings.currency, language
            )
            log.info("customer %s: registered %s", customer.id, mask(phone_number))
            return CustomerProfile(customer.id, customer.language, True)

        return self.run(work)

    def get_balance(self, phone_number: str) -> ledger.Balance:
        """Return the balance of the caller's wallet.

        :raises CustomerNotFound: the number is not registered.
        """

        def work(session):
            customer = self._require_customer(session, phone_number)
            wallet = customers.get_wallet(session, customer, self._settings.currency)
            return ledger.get_balance(session, wallet.id)

        return self.run(work)

    def recent_transactions(self, phone_number: str, limit: int = 5) -> list[ledger.StatementLine]:
        """Return the caller's latest posted wallet movements, newest first."""

        def work(session):
            customer = self._require_customer(session, phone_number)
            wallet = customers.get_wallet(session, customer, self._settings.currency)
            return ledger.get_statement(session, wallet.id, limit)

        return self.run(work)

    def list_data_plans(self, network: str, category: str) -> list[catalogue.PlanView]:
        """Return the data plans on sale for a network and category, cheapest first."""
        return self.run(lambda session: catalogue.list_plans(session, network, catalogue.PlanCategory(category)))

    def set_language(self, phone_number: str, language: str) -> None:
        """Store the language the caller wants menus and SMS in."""

        def work(session):
            customer = self._require_customer(session, phone_number)
            customer.language = language
            log.info("customer %s: language set to %s", customer.id, language)

        self.run(work)

    def verify_pin(self, phone_number: str, pin: str) -> PinCheck:
        """Check the caller's PIN; a wrong one counts towards the lock like a wrong purchase PIN."""

        def work(session):
            customer = self._require_customer(session, phone_number)
            refused = self._check_pin(session, customer, pin)
            if refused is not None:
                return PinCheck(PinCheckStatus(refused.status.value), refused.attempts_left, refused.locked_until)
            return PinCheck(PinCheckStatus.OK)

        return self.run(work)

    def change_pin(self, phone_number: str, old_pin: str, new_pin: str) -> PinCheck:
        """Replace the caller's PIN after checking the old one, and text them that it changed.

        :raises InvalidPin: the new PIN is weak or not four digits.
        """
        customers.validate_new_pin(new_pin, phone_number)

        def work(session):
            customer = self._require_customer(session, phone_number)
            refused = self._check_pin(session, customer, old_pin)
            if refused is not None:
                return PinCheck(PinCheckStatus(refused.status.value), refused.attempts_left, refused.locked_until)
            self._replace_pin(session, customer, new_pin)
            return PinCheck(PinCheckStatus.OK)

        return self.run(work)

    def replace_pin(self, phone_number: str, new_pin: str) -> None:
        """Set a new PIN for a caller whose old PIN the channel verified earlier in its session.

        :raises InvalidPin: the new PIN is weak or not four digits.
        """
        customers.validate_new_pin(new_pin, phone_number)
        self.run(lambda session: self._replace_pin(session, self._require_customer(session, phone_number), new_pin))

    def _replace_pin(self, session, customer, new_pin) -> None:
        customers.set_pin(customer, new_pin, self._settings.pin_policy)
        self._notify(session, customer.phone_number, "pin.changed", customer.language, {})
        log.info("customer %s: PIN changed", customer.id)

    def purchases_locked_until(self, phone_number: str) -> datetime | None:
        """Return until when wrong PINs lock the caller's purchases, or None when they do not."""

        def work(session):
            customer = self._require_customer(session, phone_number)
            locked_until = customer.pin_locked_until
            return locked_until if locked_until is not None and locked_until > utcnow() else None

        return self.run(work)

    def request_funding(self, phone_number: str, amount_minor: int) -> None:
        """Text the caller how to add `amount_minor` to their wallet."""

        def work(session):
            customer = self._require_customer(session, phone_number)
            parameters = {"amount_minor": amount_minor, "phone_number": phone_number}
            self._notify(session, phone_number, "wallet.funding_instructions", customer.language, parameters)
            log.info("customer %s: funding instructions for %s sent", customer.id, amount_minor)

        self.run(work)

    def buy_airtime(
        self,
        phone_number: str,
        *,
        recipient: str,
        network: str,
        amount_minor: int,
        pin: str,
        channel: str,
        request_key: str | None = None,
    ) -> PurchaseAttempt:
        """Check the PIN and place an airtime purchase that reserves its amount on the wallet.

        A wrong PIN is counted and committed; no money moves unless the result is `placed`.
        A `request_key` seen before returns the purchase it placed instead of a new one.
        """
        order = _Order(ProductKind.AIRTIME, recipient, network, amount_minor, None, self._settings.airtime_limits)
        return self.run(lambda session: self._place(session, phone_number, order, pin, channel, request_key))

    def buy_data(
        self,
        phone_number: str,
        *,
        recipient: str,
        plan_id: int,
        pin: str,
        channel: str,
        request_key: str | None = None,
    ) -> PurchaseAttempt:
        """Check the PIN and place a data purchase at the plan's current price."""

        def work(session):
            plan = catalogue.get_plan(session, plan_id)
            if plan is None:
                log.info("data plan %s: not on sale", plan_id)
                return PurchaseAttempt(AttemptStatus.INVALID_AMOUNT)
            order = _Order(ProductKind.DATA, recipient, plan.network, plan.price_minor, plan.code, None)
            return self._place(session, phone_number, order, pin, channel, request_key)

        return self.run(work)

    def _place(self, session, phone_number, order, pin, channel, request_key) -> PurchaseAttempt:
        customer = self._require_customer(session, phone_number)
        if request_key is not None:
            earlier = purchases.find_by_request_key(session, request_key)
            if earlier is not None and earlier.customer_id == customer.id:
                log.info("purchase %s: request placed it already, not placing again", earlier.reference)
                return PurchaseAttempt(AttemptStatus.PLACED, reference=earlier.reference)
        refused = self._check_pin(session, customer, pin)
        if refused is not None:
            return refused
        limit_day = business_day(utcnow(), self._settings.business_timezone)
        try:
            purchase = purchases.place_purchase(
                session,
                customer=customer,
                recipient=order.recipient,
                network=order.network,
                amount_minor=order.amount_minor,
                currency=self._settings.currency,
                channel=channel,
                provider=self._settings.route(order.network, order.kind.value),
                limits=order.limits,
                tier_limits=limits_for(self._settings.tier_limits, customer.tier),
                limit_day=limit_day,
                request_key=request_key,
                product_kind=order.kind,
                product_code=order.product_code,
            )
        except InvalidAmount:
            log.info("customer %s: %s amount %s outside limits", customer.id, order.kind, order.amount_minor)
            return PurchaseAttempt(AttemptStatus.INVALID_AMOUNT)
        except LimitExceeded as error:
            wallet = customers.get_wallet(session, customer, self._settings.currency)
            remaining = max(error.limit_minor - ledger.get_daily_debits(session, wallet.id, limit_day), 0)
            log.info("customer %s: %s of %s reached, %s left", customer.id, error.limit, error.limit_minor, remaining)
            return PurchaseAttempt(AttemptStatus.LIMIT_EXCEEDED, limit_minor=error.limit_minor, remaining_minor=remaining)
        except ExceedsCredits:
            wallet = customers.get_wallet(session, customer, self._settings.currency)
            available = ledger.get_balance(session, wallet.id).available_minor
            log.info("customer %s: insufficient funds for %s, available %s", customer.id, order.amount_minor, available)
            return PurchaseAttempt(AttemptStatus.INSUFFICIENT_FUNDS, available_minor=available)
        log.info("purchase %s: %s placed by customer %s for %s", purchase.reference, order.kind, customer.id, order.amount_minor)
        return PurchaseAttempt(AttemptStatus.PLACED, reference=purchase.reference)

    def _check_pin(self, session, customer, pin) -> PurchaseAttempt | None:
        """Return None for the right PIN, else the attempt to return (wrong or locked)."""
        policy = self._settings.pin_policy
        try:
            pin_ok = customers.check_pin(session, customer, pin, policy)
        except PinLocked as error:
            log.info("customer %s: rejected, PIN locked", customer.id)
            return PurchaseAttempt(AttemptStatus.PIN_LOCKED, locked_until=error.locked_until)
        if pin_ok:
            return None
        if customer.pin_locked_until is not None:
            log.info("customer %s: wrong PIN, purchases locked until %s", customer.id, customer.pin_locked_until)
            self._notify(
                session,
                customer.phone_number,
                "pin.locked_alert",
                customer.language,
                {"locked_until": customer.pin_locked_until},
            )
            return PurchaseAttempt(AttemptStatus.PIN_LOCKED, locked_until=customer.pin_locked_until)
        attempts_left = policy.max_attempts - customer.failed_pin_attempts
        log.info("customer %s: wrong PIN, %s attempt(s) left", customer.id, attempts_left)
        return PurchaseAttempt(AttemptStatus.WRONG_PIN, attempts_left=attempts_left)

    @staticmethod
    def _require_customer(session, phone_number):
        customer = customers.find_customer(session, phone_number)
        if customer is None or customer.pin_hash is None:
            raise CustomerNotFound(phone_number)
        return customer


@dataclass(frozen=True)
class _Order:
    kind: ProductKind
    recipient: str
    network: str
    amount_minor: int
    product_code: str | None
    limits: purchases.AmountLimits | None
