"""Double-entry ledger on TigerBeetle's account and transfer model.

Every function takes a SQLAlchemy session and never commits: the caller owns the transaction
(`with session.begin(): ...`). Balances change only through guarded `UPDATE ... WHERE`
statements in the same transaction as the transfer row, and account rows are always updated
in ascending id order so that two transfers in opposite directions cannot deadlock.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from wallet.errors import (
    ExceedsCredits,
    IdempotencyConflict,
    InvalidAmount,
    LimitExceeded,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    PendingTransferNotFound,
)
from wallet.models import Account, AccountDailyDebit, AccountKind, Transfer, TransferKind

# Accounts that hold someone's money and so may never go below zero.
_NO_OVERDRAFT_KINDS = {AccountKind.CUSTOMER_WALLET, AccountKind.AGENT_FLOAT}


@dataclass(frozen=True)
class Balance:
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int

    @property
    def available_minor(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def on_hold_minor(self) -> int:
        return self.debits_pending


def get_or_create_account(session: Session, kind: AccountKind, owner: str, ledger: str) -> Account:
    """Return the account of this kind, owner and ledger, creating it on first use."""
    query = sa.select(Account).filter_by(kind=kind, ledger=ledger, owner=owner)
    account = session.execute(query).scalar_one_or_none()
    if account is not None:
        return account
    try:
        with session.begin_nested():
            account = Account(
                kind=kind,
                ledger=ledger,
                owner=owner,
                debits_must_not_exceed_credits=kind in _NO_OVERDRAFT_KINDS,
                debits_pending=0,
                debits_posted=0,
                credits_pending=0,
                credits_posted=0,
            )
            session.add(account)
    except IntegrityError:
        # Another transaction created it between our read and our insert.
        account = session.execute(query).scalar_one()
    return account


def create_transfer(
    session: Session,
    *,
    idempotency_key: str,
    debit_account_id: int,
    credit_account_id: int,
    amount_minor: int,
    ledger: str,
    code: str,
    pending: bool = False,
    reference: str | None = None,
    memo: str | None = None,
    max_credit_balance_minor: int | None = None,
    max_daily_debits_minor: int | None = None,
    limit_day: date | None = None,
) -> Transfer:
    """Move an amount between two accounts, or reserve it when `pending` is true.

    `max_credit_balance_minor` caps the credit account's balance after the transfer;
    `max_daily_debits_minor` caps the debit account's debits on `limit_day`, counting holds
    until they are voided. Replaying an idempotency key with the same parameters returns the
    original transfer.

    :raises InvalidAmount: the amount is not a positive integer.
    :raises ExceedsCredits: the debit account may not go below zero and would.
    :raises LimitExceeded: the transfer would break one of the two limits.
    :raises IdempotencyConflict: the key was used before with other parameters.
    """
    if max_daily_debits_minor is not None and limit_day is None:
        raise ValueError("max_daily_debits_minor needs the limit_day it applies to")
    if not isinstance(amount_minor, int) or isinstance(amount_minor, bool) or amount_minor <= 0:
        raise InvalidAmount(f"amount must be a positive integer of minor units, not {amount_minor!r}")
    values = {
        "idempotency_key": idempotency_key,
        "kind": TransferKind.PENDING if pending else TransferKind.SINGLE_PHASE,
        "debit_account_id": debit_account_id,
        "credit_account_id": credit_account_id,
        "amount_minor": amount_minor,
        "ledger": ledger,
        "code": code,
        "pending_id": None,
        "reference": reference,
        "memo": memo,
        "limit_day": limit_day if max_daily_debits_minor is not None else None,
    }
    balance_column = "pending" if pending else "posted"
    within_credits = sa.or_(
        Account.debits_must_not_exceed_credits.is_(False),
        Account.debits_pending + Account.debits_posted + amount_minor <= Account.credits_posted,
    )
    changes = {
        debit_account_id: _Change(
            {f"debits_{balance_column}": amount_minor},
            within_credits,
            lambda: ExceedsCredits(debit_account_id, amount_minor),
        ),
        credit_account_id: _Change({f"credits_{balance_column}": amount_minor}),
    }
    if max_credit_balance_minor is not None:
        changes[credit_account_id] = _Change(
            {f"credits_{balance_column}": amount_minor},
            Account.credits_posted + Account.credits_pending + amount_minor - Account.debits_posted
            <= max_credit_balance_minor,
            lambda: LimitExceeded(credit_account_id, "max_balance", max_credit_balance_minor),
        )
    daily_limit = None
    if max_daily_debits_minor is not None:
        daily_limit = (debit_account_id, limit_day, amount_minor, max_daily_debits_minor)
    return _store_transfer(session, values, changes, daily_limit)


def post_pending(
    session: Session,
    pending_id: int,
    *,
    idempotency_key: str,
    amount_minor: int | None = None,
) -> Transfer:
    """Post a pending transfer, all of it or `amount_minor` of it, returning the rest.

    :raises PendingTransferNotFound: no pending transfer has this id.
    :raises PendingTransferAlreadyPosted, PendingTransferAlreadyVoided: it was resolved before.
    :raises InvalidAmount: the amount is negative or larger than the pending amount.
    """
    return _resolve_pending(
        session, pending_id, TransferKind.POST_PENDING, idempotency_key, amount_minor
    )


def void_pending(session: Session, pending_id: int, *, idempotency_key: str) -> Transfer:
    """Void a pending transfer so its whole amount is available again.

    :raises PendingTransferNotFound: no pending transfer has this id.
    :raises PendingTransferAlreadyPosted, PendingTransferAlreadyVoided: it was resolved before.
    """
    return _resolve_pending(session, pending_id, TransferKind.VOID_PENDING, idempotency_key, None)


def _resolve_pending(
    session: Session,
    pending_id: int,
    kind: TransferKind,
    idempotency_key: str,
    amount_minor: int | None,
) -> Transfer:
    # The row lock makes a concurrent post and void of one pending transfer take turns.
    pending = session.execute(
        sa.select(Transfer).where(Transfer.id == pending_id).with_for_update()
    ).scalar_one_or_none()
    if pending is None or pending.kind != TransferKind.PENDING:
        raise PendingTransferNotFound(f"transfer {pending_id} is not a pending transfer")

    if kind == TransferKind.VOID_PENDING:
        amount_minor = pending.amount_minor
    elif amount_minor is None:
        amount_minor = pending.amount_minor
    if not isinstance(amount_minor, int) or not 0 <= amount_minor <= pending.amount_minor:
        raise InvalidAmount(
            f"transfer {pending_id}: cannot post {amount_minor!r} of {pending.amount_minor}"
        )

    values = {
        "idempotency_key": idempotency_key,
        "kind": kind,
        "debit_account_id": pending.debit_account_id,
        "credit_account_id": pending.credit_account_id,
        "amount_minor": amount_minor,
        "ledger": pending.ledger,
        "code": pending.code,
        "pending_id": pending.id,
        "reference": pending.reference,
        "memo": None,
        "limit_day": pending.limit_day,
    }
    replay = _find_replay(session, values)
    if replay is not None:
        return replay
    _raise_if_resolved(session, pending.id)

    posted = amount_minor if kind == TransferKind.POST_PENDING else 0
    changes = {
        pending.debit_account_id: _Change({"debits_pending": -pending.amount_minor, "debits_posted": posted}),
        pending.credit_account_id: _Change({"credits_pending": -pending.amount_minor, "credits_posted": posted}),
    }
    transfer = _store_transfer(session, values, changes, daily_limit=None)
    if pending.limit_day is not None and posted < pending.amount_minor:
        # What the hold no longer takes stops counting against that day's debit limit.
        session.execute(
            sa.update(AccountDailyDebit)
            .where(AccountDailyDebit.account_id == pending.debit_account_id, AccountDailyDebit.day == pending.limit_day)
            .values(amount_minor=AccountDailyDebit.amount_minor - (pending.amount_minor - posted))
        )
    return transfer


def _raise_if_resolved(session: Session, pending_id: int) -> None:
    resolution = session.execute(
        sa.select(Transfer.kind).where(Transfer.pending_id == pending_id)
    ).scalar_one_or_none()
    if resolution == TransferKind.POST_PENDING:
        raise PendingTransferAlreadyPosted(f"transfer {pending_id} was posted already")
    if resolution == TransferKind.VOID_PENDING:
        raise PendingTransferAlreadyVoided(f"transfer {pending_id} was voided already")


@dataclass(frozen=True)
class _Change:
    """Balance deltas for one account, and the condition the row must meet to take them."""

    deltas: dict[str, int]
    condition: object = None
    error: Callable[[], Exception] | None = None


def _store_transfer(
    session: Session,
    values: dict,
    changes: dict[int, _Change],
    daily_limit: tuple[int, date, int, int] | None,
) -> Transfer:
    """Insert the transfer and apply its balance changes inside one savepoint."""
    replay = _find_replay(session, values)
    if replay is not None:
        return replay
    try:
        with session.begin_nested():
            transfer_id = session.execute(
                sa.insert(Transfer).values(**values).returning(Transfer.id)
            ).scalar_one()
            for account_id in sorted(changes):
                _apply_change(session, account_id, changes[account_id])
            if daily_limit is not None:
                _count_daily_debit(session, *daily_limit)
    except IntegrityError:
        # A concurrent transaction stored the same idempotency key first.
        replay = _find_replay(session, values)
        if replay is None:
            raise
        return replay
    return session.get(Transfer, transfer_id)


def _apply_change(session: Session, account_id: int, change: _Change) -> None:
    columns = {getattr(Account, name): getattr(Account, name) + delta for name, delta in change.deltas.items()}
    statement = sa.update(Account).where(Account.id == account_id)
    if change.condition is not None:
        statement = statement.where(change.condition)
    # "fetch" refreshes any copy of the account already loaded in this session.
    statement = statement.values(columns).returning(Account.id).execution_options(synchronize_session="fetch")
    if session.execute(statement).scalar_one_or_none() is None:
        if change.error is not None:
            raise change.error()
        raise LookupError(f"account {account_id} does not exist")


def _count_daily_debit(session: Session, account_id: int, day: date, amount_minor: int, limit_minor: int) -> None:
    """Add to the account's debits of `day` in one atomic upsert that refuses to pass the limit."""
    if amount_minor > limit_minor:
        raise LimitExceeded(account_id, "max_daily_debits", limit_minor)
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    insert = dialect_insert(AccountDailyDebit).values(account_id=account_id, day=day, amount_minor=amount_minor)
    statement = insert.on_conflict_do_update(
        index_elements=[AccountDailyDebit.account_id, AccountDailyDebit.day],
        set_={"amount_minor": AccountDailyDebit.amount_minor + insert.excluded.amount_minor},
        where=AccountDailyDebit.amount_minor + insert.excluded.amount_minor <= limit_minor,
    ).returning(AccountDailyDebit.amount_minor)
    if session.execute(statement).scalar_one_or_none() is None:
        raise LimitExceeded(account_id, "max_daily_debits", limit_minor)


_COMPARED_FIELDS = (
    "kind",
    "debit_account_id",
    "credit_account_id",
    "amount_minor",
    "ledger",
    "code",
    "pending_id",
)


def _find_replay(session: Session, values: dict) -> Transfer | None:
    """Return the transfer stored under this key, or None; raise if its parameters differ."""
    existing = session.execute(
        sa.select(Transfer).where(Transfer.idempotency_key == values["idempotency_key"])
    ).scalar_one_or_none()
    if existing is None:
        return None
    for field in _COMPARED_FIELDS:
        if getattr(existing, field) != values[field]:
            raise IdempotencyConflict(values["idempotency_key"])
    return existing


def find_transfer(session: Session, idempotency_key: str) -> Transfer | None:
    """Return the transfer stored under this idempotency key, or None."""
    return session.execute(
        sa.select(Transfer).where(Transfer.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def get_balance(session: Session, account_id: int) -> Balance:
    """Read an account's four balance columns."""
    row = session.execute(
        sa.select(
            Account.debits_pending,
            Account.debits_posted,
            Account.credits_pending,
            Account.credits_posted,
        ).where(Account.id == account_id)
    ).one()
    return Balance(*row)


@dataclass(frozen=True)
class StatementLine:
    transfer_id: int
    created_at: object
    code: str
    reference: str | None
    amount_minor: int
    balance_after_minor: int


def get_statement(session: Session, account_id: int, limit: int = 5) -> list[StatementLine]:
    """Return an account's latest posted movements, newest first, with the running balance.

    The running balance counts posted amounts only (credits minus debits), so it is the
    balance a customer would reconcile against a receipt; holds are shown separately.
    """
    signed = sa.case(
        (Transfer.credit_account_id == account_id, Transfer.amount_minor),
        else_=-Transfer.amount_minor,
    )
    posted = sa.and_(
        sa.or_(Transfer.debit_account_id == account_id, Transfer.credit_account_id == account_id),
        Transfer.kind.in_([TransferKind.SINGLE_PHASE, TransferKind.POST_PENDING]),
        Transfer.amount_minor > 0,
    )
    running = sa.func.sum(signed).over(order_by=Transfer.id).label("running")
    inner = sa.select(
        Transfer.id, Transfer.created_at, Transfer.code, Transfer.reference, signed.label("signed"), running
    ).where(posted).subquery()
    rows = session.execute(sa.select(inner).order_by(inner.c.id.desc()).limit(limit)).all()
    return [StatementLine(row.id, row.created_at, row.code, row.reference, row.signed, row.running) for row in rows]


@dataclass(frozen=True)
class Mismatch:
    account_id: int | None
    column: str
    stored: int
    recomputed: int

    def __str__(self) -> str:
        where = f"account {self.account_id}" if self.account_id is not None else "ledger"
        return f"{where}: {self.column} is {self.stored}, transfers give {self.recomputed}"


def check(session: Session) -> list[Mismatch]:
    """Recompute every account's balances from its transfers and compare debits with credits.

    Returns every mismatch found; an empty list means the ledger is consistent.
    """
    recomputed = _recompute_balances(session)
    mismatches = []
    totals = {"debits_pending": [0, 0], "debits_posted": [0, 0], "credits_pending": [0, 0], "credits_posted": [0, 0]}
    accounts = session.execute(
        sa.select(Account).order_by(Account.id).execution_options(populate_existing=True)
    ).scalars()
    for account in accounts:
        expected = recomputed.get(account.id, {})
        for column in totals:
            stored = getattr(account, column)
            computed = expected.get(column, 0)
            totals[column][0] += stored
            totals[column][1] += computed
            if stored != computed:
                mismatches.append(Mismatch(account.id, column, stored, computed))
        if account.debits_must_not_exceed_credits and account.available_minor < 0:
            mismatches.append(Mismatch(account.id, "available", account.available_minor, 0))
    for phase in ("pending", "posted"):
        debits, credits = totals[f"debits_{phase}"][0], totals[f"credits_{phase}"][0]
        if debits != credits:
            mismatches.append(Mismatch(None, f"debits_{phase} - credits_{phase}", debits - credits, 0))
    return mismatches


def _recompute_balances(session: Session) -> dict[int, dict[str, int]]:
    resolution = aliased(Transfer)
    unresolved = ~sa.exists().where(resolution.pending_id == Transfer.id)
    pending_amount = sa.case(
        (sa.and_(Transfer.kind == TransferKind.PENDING, unresolved), Transfer.amount_minor), else_=0
    )
    posted_amount = sa.case(
        (Transfer.kind.in_([TransferKind.SINGLE_PHASE, TransferKind.POST_PENDING]), Transfer.amount_minor),
        else_=0,
    )
    balances: dict[int, dict[str, int]] = {}
    for side in ("debit", "credit"):
        account_column = getattr(Transfer, f"{side}_account_id")
        rows = session.execute(
            sa.select(account_column, sa.func.sum(pending_amount), sa.func.sum(posted_amount)).group_by(
                account_column
            )
        ).all()
        for account_id, pending_sum, posted_sum in rows:
            entry = balances.setdefault(account_id, {})
            entry[f"{side}s_pending"] = int(pending_sum or 0)
            entry[f"{side}s_posted"] = int(posted_sum or 0)
    return balances
