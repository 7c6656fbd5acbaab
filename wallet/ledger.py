"""Double-entry ledger on TigerBeetle's account and transfer model.

Every function takes a SQLAlchemy session and never commits: the caller owns the transaction
(`with session.begin(): ...`). Balances change only through guarded `UPDATE ... WHERE`
statements in the same transaction as the transfer row, and account rows are always updated
in ascending id order so that two transfers in opposite directions cannot deadlock.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, make_transient_to_detached

from wallet.errors import (
    ExceedsCredits,
    IdempotencyConflict,
    InvalidAmount,
    LimitExceeded,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    PendingTransferNotFound,
)
from wallet.models import Account, AccountDailyDebit, AccountKind, Transfer, TransferKind, utcnow

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
    changes = {
        debit_account_id: _Change({f"debits_{balance_column}": amount_minor}, _WITHIN_CREDITS, amount_minor),
        credit_account_id: _Change({f"credits_{balance_column}": amount_minor}),
    }
    if max_credit_balance_minor is not None:
        changes[credit_account_id] = _Change(
            {f"credits_{balance_column}": amount_minor}, _MAX_BALANCE, amount_minor, max_credit_balance_minor
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
    """Balance deltas for one account, and the guard the row must pass to take them.

    `guard` is `_WITHIN_CREDITS` (debits may not pass credits when the account has that flag) or
    `_MAX_BALANCE` (the balance may not pass `limit_minor`); `amount_minor` is the transfer's.
    """

    deltas: dict[str, int]
    guard: str | None = None
    amount_minor: int = 0
    limit_minor: int | None = None

    def error(self, account_id: int) -> Exception:
        if self.guard == _WITHIN_CREDITS:
            return ExceedsCredits(account_id, self.amount_minor)
        if self.guard == _MAX_BALANCE:
            return LimitExceeded(account_id, "max_balance", self.limit_minor)
        return LookupError(f"account {account_id} does not exist")


_WITHIN_CREDITS = "within_credits"
_MAX_BALANCE = "max_balance"


def _guard_condition(guard: str | None, columns, amount, limit):
    """Return the SQL condition of a guard over an account table's `columns`."""
    if guard == _WITHIN_CREDITS:
        return sa.or_(
            columns.debits_must_not_exceed_credits.is_(False),
            columns.debits_pending + columns.debits_posted + amount <= columns.credits_posted,
        )
    if guard == _MAX_BALANCE:
        return columns.credits_posted + columns.credits_pending + amount - columns.debits_posted <= limit
    return None


def _store_transfer(
    session: Session,
    values: dict,
    changes: dict[int, _Change],
    daily_limit: tuple[int, date, int, int] | None,
) -> Transfer:
    """Insert the transfer and apply its balance changes, all or nothing."""
    if daily_limit is not None and daily_limit[2] > daily_limit[3]:
        raise LimitExceeded(daily_limit[0], "max_daily_debits", daily_limit[3])
    values = dict(values, created_at=utcnow())
    if session.get_bind().dialect.name == "postgresql":
        return _store_in_one_statement(session, values, changes, daily_limit)
    return _store_in_savepoint(session, values, changes, daily_limit)


def _store_in_savepoint(session, values, changes, daily_limit) -> Transfer:
    """Store with one statement per row inside a savepoint (SQLite, the embedded default)."""
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


def _store_in_one_statement(session, values, changes, daily_limit) -> Transfer:
    """Store with a single PostgreSQL statement of chained data-modifying CTEs.

    One round trip instead of six keeps the row locks of hot accounts (a provider's clearing
    account takes every purchase) held for the shortest time. Each step runs only if the one
    before it wrote a row: the insert (skipped when the idempotency key exists), then the
    accounts in ascending id order with their guards, then the daily debit total. When a
    step writes nothing, the steps before it are undone in this transaction before raising.
    """
    account_ids = sorted(changes)
    ordered = [changes[account_id] for account_id in account_ids]
    shape = (
        tuple((tuple(change.deltas), change.guard) for change in ordered),
        daily_limit is not None,
    )
    connection = session.connection()
    sql = _SINGLE_STATEMENTS.get(shape)
    if sql is None:
        statement = _build_single_statement(*shape)
        sql = _SINGLE_STATEMENTS[shape] = str(statement.compile(dialect=connection.dialect))
    parameters = {f"t_{name}": value for name, value in values.items()}
    parameters["t_kind"] = values["kind"].value
    for index, (account_id, change) in enumerate(zip(account_ids, ordered)):
        parameters[f"a{index}_id"] = account_id
        parameters[f"a{index}_amount"] = change.amount_minor
        parameters[f"a{index}_limit"] = change.limit_minor
        parameters.update({f"a{index}_{name}": delta for name, delta in change.deltas.items()})
    if daily_limit is not None:
        parameters.update(zip(("d_account", "d_day", "d_amount", "d_limit"), daily_limit))
    # Executed as compiled SQL text: SQLAlchemy's per-call cache key of this large statement
    # cost more than the database's work.
    transfer_id, *written = connection.exec_driver_sql(sql, parameters).one()

    if transfer_id is None:
        replay = _find_replay(session, values)
        if replay is None:
            raise RuntimeError(f"idempotency key {values['idempotency_key']!r} conflicted but is not stored")
        return replay
    if not all(written):
        _undo_partial_store(session, transfer_id, changes, written, daily_limit)
    for account_id in account_ids:
        # The statement bypassed the ORM, so reload any copy of the account on next access.
        account = session.identity_map.get(sa.orm.util.identity_key(Account, account_id))
        if account is not None:
            session.expire(account)
    transfer = Transfer(id=transfer_id, **values)
    make_transient_to_detached(transfer)
    session.add(transfer)
    return transfer


# Compiled single-statement stores by shape (columns and guards of each account, daily limit
# or not), built once so that each transfer only binds its values.
_SINGLE_STATEMENTS: dict[tuple, str] = {}


def _build_single_statement(accounts: tuple, with_daily_limit: bool) -> sa.Select:
    transfer_table, account_table = Transfer.__table__, Account.__table__
    transfer_columns = [column.name for column in transfer_table.columns if column.name != "id"]
    inserted = (
        postgresql.insert(transfer_table)
        .values({name: sa.bindparam(f"t_{name}", type_=transfer_table.c[name].type) for name in transfer_columns})
        .on_conflict_do_nothing(index_elements=[transfer_table.c.idempotency_key])
        .returning(transfer_table.c.id)
        .cte("inserted")
    )
    steps, previous = [], inserted
    for index, (columns, guard) in enumerate(accounts):
        update = sa.update(account_table).where(
            account_table.c.id == sa.bindparam(f"a{index}_id"), sa.exists(sa.select(1).select_from(previous))
        )
        condition = _guard_condition(
            guard,
            account_table.c,
            sa.bindparam(f"a{index}_amount", type_=sa.BigInteger),
            sa.bindparam(f"a{index}_limit", type_=sa.BigInteger),
        )
        if condition is not None:
            update = update.where(condition)
        update = update.values(
            {
                account_table.c[name]: account_table.c[name] + sa.bindparam(f"a{index}_{name}", type_=sa.BigInteger)
                for name in columns
            }
        )
        previous = update.returning(account_table.c.id).cte(f"account_{index}")
        steps.append(previous)
    if with_daily_limit:
        previous = _daily_debit_upsert(
            sa.bindparam("d_account", type_=sa.BigInteger),
            sa.bindparam("d_day", type_=sa.Date),
            sa.bindparam("d_amount", type_=sa.BigInteger),
            sa.bindparam("d_limit", type_=sa.BigInteger),
            after=previous,
        ).cte("daily_debit")
        steps.append(previous)
    return sa.select(
        sa.select(inserted.c.id).scalar_subquery(),
        *[sa.select(sa.func.count()).select_from(step).scalar_subquery() for step in steps],
    )


def _undo_partial_store(session, transfer_id, changes, written, daily_limit) -> None:
    """Reverse the steps a stopped single-statement store did write, then raise the reason."""
    account_ids = sorted(changes)
    failed_step = written.index(0)
    account_table = Account.__table__
    for account_id in account_ids[:failed_step]:
        deltas = changes[account_id].deltas
        session.execute(
            sa.update(account_table)
            .where(account_table.c.id == account_id)
            .values({account_table.c[name]: account_table.c[name] - delta for name, delta in deltas.items()})
        )
    session.execute(sa.delete(Transfer.__table__).where(Transfer.__table__.c.id == transfer_id))
    if failed_step < len(account_ids):
        raise changes[account_ids[failed_step]].error(account_ids[failed_step])
    account_id, _, _, limit_minor = daily_limit
    raise LimitExceeded(account_id, "max_daily_debits", limit_minor)


def _apply_change(session: Session, account_id: int, change: _Change) -> None:
    columns = {getattr(Account, name): getattr(Account, name) + delta for name, delta in change.deltas.items()}
    statement = sa.update(Account).where(Account.id == account_id)
    condition = _guard_condition(change.guard, Account, change.amount_minor, change.limit_minor)
    if condition is not None:
        statement = statement.where(condition)
    # "fetch" refreshes any copy of the account already loaded in this session.
    statement = statement.values(columns).returning(Account.id).execution_options(synchronize_session="fetch")
    if session.execute(statement).scalar_one_or_none() is None:
        raise change.error(account_id)


def _daily_debit_upsert(account_id, day, amount_minor, limit_minor, after):
    """Build the upsert that adds to an account's debits of `day` unless that passes the limit.

    The row is written only if the CTE `after` wrote one.
    """
    table = AccountDailyDebit.__table__
    source = sa.select(account_id, day, amount_minor).where(sa.exists(sa.select(1).select_from(after)))
    insert = postgresql.insert(table).from_select(["account_id", "day", "amount_minor"], source)
    return insert.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.day],
        set_={"amount_minor": table.c.amount_minor + insert.excluded.amount_minor},
        where=table.c.amount_minor + insert.excluded.amount_minor <= limit_minor,
    ).returning(table.c.amount_minor)


def _count_daily_debit(session: Session, account_id: int, day: date, amount_minor: int, limit_minor: int) -> None:
    """Add to the account's debits of `day` in one atomic upsert that refuses to pass the limit."""
    dialect_insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table = AccountDailyDebit.__table__
    insert = dialect_insert(table).values(account_id=account_id, day=day, amount_minor=amount_minor)
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.account_id, table.c.day],
        set_={"amount_minor": table.c.amount_minor + insert.excluded.amount_minor},
        where=table.c.amount_minor + insert.excluded.amount_minor <= limit_minor,
    ).returning(table.c.amount_minor)
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


def get_daily_debits(session: Session, account_id: int, day: date) -> int:
    """Return what counts against the account's daily debit limit on `day`."""
    amount = session.execute(
        sa.select(AccountDailyDebit.amount_minor).where(
            AccountDailyDebit.account_id == account_id, AccountDailyDebit.day == day
        )
    ).scalar_one_or_none()
    return amount or 0


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
