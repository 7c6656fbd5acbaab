"""Tables of the wallet: customers, ledger accounts and transfers, purchases and the outbox.

Money columns are integers in the currency's minor unit (kobo for NGN) and end in `_minor`.
"""

import enum
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

# BIGINT primary keys on PostgreSQL; SQLite only autoincrements a column typed INTEGER.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timezone-aware UTC timestamp, also on SQLite, which stores no offset."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    # A registry object rather than class attributes, because Flask-SQLAlchemy copies the
    # base class and rejects a separate type_annotation_map.
    registry = registry(
        metadata=sa.MetaData(
            naming_convention={
                "ix": "ix_%(column_0_label)s",
                "uq": "uq_%(table_name)s_%(column_0_name)s",
                "ck": "ck_%(table_name)s_%(constraint_name)s",
                "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
                "pk": "pk_%(table_name)s",
            }
        ),
        type_annotation_map={
            # Enums are stored as their string values in VARCHAR columns, not native types,
            # so adding a status later needs no ALTER TYPE.
            enum.Enum: sa.Enum(
                enum.Enum,
                native_enum=False,
                length=32,
                values_callable=lambda members: [member.value for member in members],
            ),
            datetime: UTCDateTime(),
        },
    )


class AccountKind(enum.StrEnum):
    CUSTOMER_WALLET = "customer_wallet"
    AGENT_FLOAT = "agent_float"
    PROVIDER_CLEARING = "provider_clearing"
    FUNDING_CLEARING = "funding_clearing"
    COMMISSION_EXPENSE = "commission_expense"
    REVENUE = "revenue"
    MANUAL_ADJUSTMENTS = "manual_adjustments"


class TransferKind(enum.StrEnum):
    SINGLE_PHASE = "single_phase"
    PENDING = "pending"
    POST_PENDING = "post_pending"
    VOID_PENDING = "void_pending"


class Account(Base):
    """A ledger account with TigerBeetle's four balance columns.

    The balances change only together with a new transfer row, in the same database
    transaction, so they always equal the sums recomputed from the transfers.
    """

    __tablename__ = "account"
    __table_args__ = (
        sa.UniqueConstraint("kind", "ledger", "owner", name="uq_account_kind_ledger_owner"),
        sa.CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0"
            " AND credits_pending >= 0 AND credits_posted >= 0",
            name="balances_not_negative",
        ),
        # The guarded UPDATEs of the ledger enforce this first; the constraint is the backstop.
        sa.CheckConstraint(
            "NOT debits_must_not_exceed_credits"
            " OR debits_pending + debits_posted <= credits_posted",
            name="debits_within_credits",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[AccountKind]
    ledger: Mapped[str] = mapped_column(sa.String(3))
    owner: Mapped[str] = mapped_column(sa.String(64))
    debits_must_not_exceed_credits: Mapped[bool] = mapped_column(default=False)
    debits_pending: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    debits_posted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credits_pending: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credits_posted: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def available_minor(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending


class Transfer(Base):
    """An immutable movement of an amount from one account to another.

    A pending transfer reserves funds; exactly one later transfer posts or voids it and points
    back at it through `pending_id`, which is unique so a second resolution cannot be stored.
    """

    __tablename__ = "transfer"
    __table_args__ = (
        sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
        sa.Index("ix_transfer_debit_account_id", "debit_account_id", "id"),
        sa.Index("ix_transfer_credit_account_id", "credit_account_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(128), unique=True)
    kind: Mapped[TransferKind]
    debit_account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    credit_account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    ledger: Mapped[str] = mapped_column(sa.String(3))
    code: Mapped[str] = mapped_column(sa.String(32))
    pending_id: Mapped[int | None] = mapped_column(sa.ForeignKey("transfer.id"), unique=True)
    reference: Mapped[str | None] = mapped_column(sa.String(64))
    memo: Mapped[str | None] = mapped_column(sa.String(255))
    # The business day whose debit limit this transfer counted against, if one was applied.
    limit_day: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AccountDailyDebit(Base):
    """Debits of one account on one business day, kept for the daily debit limit.

    A running total updated by an atomic upsert, so two concurrent purchases cannot both fit
    under the limit by reading the same old total.
    """

    __tablename__ = "account_daily_debit"
    __table_args__ = (sa.CheckConstraint("amount_minor >= 0", name="amount_not_negative"),)

    account_id: Mapped[int] = mapped_column(sa.ForeignKey("account.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)


class Customer(Base):
    """A subscriber known by phone number, with a wallet account and a PIN."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone_number: Mapped[str] = mapped_column(sa.String(16), unique=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    tier: Mapped[str] = mapped_column(sa.String(16), default="basic")
    pin_salt: Mapped[bytes | None] = mapped_column(sa.LargeBinary(16))
    pin_hash: Mapped[bytes | None] = mapped_column(sa.LargeBinary(32))
    failed_pin_attempts: Mapped[int] = mapped_column(default=0)
    pin_locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductKind(enum.StrEnum):
    AIRTIME = "airtime"
    DATA = "data"


class PurchaseStatus(enum.StrEnum):
    PLACED = "placed"
    SUBMITTING = "submitting"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NEEDS_REVIEW = "needs_review"

    @property
    def is_final(self) -> bool:
        return self in {PurchaseStatus.SUCCEEDED, PurchaseStatus.FAILED}


class Purchase(Base):
    """Airtime or data bought from a wallet, held by a pending transfer until fulfilled."""

    __tablename__ = "purchase"
    __table_args__ = (
        sa.Index("ix_purchase_status_updated_at", "status", "updated_at"),
        sa.Index("ix_purchase_status_next_check_at", "status", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    # The channel's own key for the request that placed it (for USSD, the gateway session),
    # so a request that arrives twice places one purchase.
    request_key: Mapped[str | None] = mapped_column(sa.String(160), unique=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(16))
    product_kind: Mapped[ProductKind]
    # The data plan's code for data purchases, None for airtime.
    product_code: Mapped[str | None] = mapped_column(sa.String(32))
    network: Mapped[str] = mapped_column(sa.String(16))
    recipient: Mapped[str] = mapped_column(sa.String(16))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    ledger: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[PurchaseStatus]
    provider: Mapped[str] = mapped_column(sa.String(32))
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    hold_transfer_id: Mapped[int] = mapped_column(sa.ForeignKey("transfer.id"))
    # The id the request was sent to the provider under (VTpass adds a date to our reference).
    provider_request_id: Mapped[str | None] = mapped_column(sa.String(64))
    # Requeries of an unknown outcome so far, and when the next one is due.
    requery_count: Mapped[int] = mapped_column(default=0, server_default="0")
    next_check_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProviderExchange(Base):
    """One request to a provider about a purchase and what came back, credentials left out."""

    __tablename__ = "provider_exchange"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    purchase_id: Mapped[int] = mapped_column(sa.ForeignKey("purchase.id"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(32))
    operation: Mapped[str] = mapped_column(sa.String(16))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    outcome: Mapped[str] = mapped_column(sa.String(16))
    detail: Mapped[str] = mapped_column(sa.String(255))
    exchange: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxEntry(Base):
    """A job to enqueue once the transaction that wrote it has committed.

    Enqueueing happens after commit, so no job ever runs for a row that rolled back; an entry
    whose enqueue was lost (Redis down) keeps `enqueued_at` empty for the sweeper.
    """

    __tablename__ = "outbox_entry"
    __table_args__ = (sa.Index("ix_outbox_entry_unsent", "enqueued_at", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    job: Mapped[str] = mapped_column(sa.String(64))
    subject_id: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    enqueued_at: Mapped[datetime | None]
