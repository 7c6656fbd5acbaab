"""Data plans we sell, by network and category, with prices editable in the database.

The table lives in the wallet package because purchases reference it; provider adapters get
only the plan's provider code.
"""

import enum
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from wallet.models import Base, BigId, utcnow


class PlanCategory(enum.StrEnum):
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class DataPlan(Base):
    """A data bundle of one network at our selling price."""

    __tablename__ = "data_plan"
    __table_args__ = (
        sa.UniqueConstraint("network", "code", name="uq_data_plan_network_code"),
        sa.CheckConstraint("price_minor > 0", name="price_positive"),
        sa.Index("ix_data_plan_network_category", "network", "category", "price_minor"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    network: Mapped[str] = mapped_column(sa.String(16))
    category: Mapped[PlanCategory]
    # Our short code, used in SMS commands (DATA MTN1GB 1234) and sent to providers.
    code: Mapped[str] = mapped_column(sa.String(32))
    size_mb: Mapped[int]
    validity_days: Mapped[int]
    price_minor: Mapped[int] = mapped_column(sa.BigInteger)
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True)
class PlanView:
    plan_id: int
    network: str
    code: str
    size_mb: int
    validity_days: int
    price_minor: int

    @property
    def size_text(self) -> str:
        if self.size_mb >= 1024 and self.size_mb % 1024 == 0:
            return f"{self.size_mb // 1024}GB"
        if self.size_mb >= 1024:
            tenths = (self.size_mb * 10 + 512) // 1024
            return f"{tenths // 10}.{tenths % 10}GB"
        return f"{self.size_mb}MB"

    @property
    def validity_text(self) -> str:
        return "1 day" if self.validity_days == 1 else f"{self.validity_days} days"


def _view(plan: DataPlan) -> PlanView:
    return PlanView(plan.id, plan.network, plan.code, plan.size_mb, plan.validity_days, plan.price_minor)


def list_plans(session: Session, network: str, category: PlanCategory) -> list[PlanView]:
    """Return the active plans of a network and category, cheapest first."""
    plans = session.execute(
        sa.select(DataPlan)
        .where(DataPlan.network == network, DataPlan.category == category, DataPlan.active.is_(True))
        .order_by(DataPlan.price_minor, DataPlan.id)
    ).scalars()
    return [_view(plan) for plan in plans]


def get_plan(session: Session, plan_id: int) -> PlanView | None:
    """Return an active plan by id, or None."""
    plan = session.get(DataPlan, plan_id)
    return _view(plan) if plan is not None and plan.active else None


def find_plan(session: Session, network: str, code: str) -> PlanView | None:
    """Return a plan by network and code, whether on sale or not (receipts of old purchases)."""
    plan = session.execute(
        sa.select(DataPlan).where(DataPlan.network == network, DataPlan.code == code)
    ).scalar_one_or_none()
    return _view(plan) if plan is not None else None


# (network, category, code, size in MB, validity in days, price in naira): a starting
# catalogue in the range Nigerian networks sold at in 2025; operators edit prices after seeding.
DEFAULT_PLANS = [
    ("mtn", "daily", "MTN100MB", 100, 1, 100),
    ("mtn", "daily", "MTN1GB1D", 1024, 1, 350),
    ("mtn", "daily", "MTN2.5GB1D", 2560, 1, 750),
    ("mtn", "weekly", "MTN1GB7D", 1024, 7, 800),
    ("mtn", "weekly", "MTN3.5GB7D", 3584, 7, 1500),
    ("mtn", "weekly", "MTN6GB7D", 6144, 7, 2500),
    ("mtn", "monthly", "MTN2GB", 2048, 30, 1500),
    ("mtn", "monthly", "MTN2.7GB", 2765, 30, 2000),
    ("mtn", "monthly", "MTN7GB", 7168, 30, 3500),
    ("mtn", "monthly", "MTN10GB", 10240, 30, 4500),
    ("mtn", "monthly", "MTN12.5GB", 12800, 30, 5500),
    ("mtn", "monthly", "MTN20GB", 20480, 30, 7500),
    ("mtn", "monthly", "MTN36GB", 36864, 30, 11000),
    ("airtel", "daily", "AIRTEL100MB", 100, 1, 100),
    ("airtel", "daily", "AIRTEL1GB1D", 1024, 1, 350),
    ("airtel", "weekly", "AIRTEL1GB7D", 1024, 7, 800),
    ("airtel", "weekly", "AIRTEL3.5GB7D", 3584, 7, 1500),
    ("airtel", "monthly", "AIRTEL2GB", 2048, 30, 1500),
    ("airtel", "monthly", "AIRTEL10GB", 10240, 30, 4000),
    ("glo", "daily", "GLO200MB", 200, 1, 100),
    ("glo", "daily", "GLO1GB1D", 1024, 1, 300),
    ("glo", "weekly", "GLO1.5GB7D", 1536, 7, 500),
    ("glo", "monthly", "GLO2.6GB", 2662, 30, 1000),
    ("glo", "monthly", "GLO10GB", 10240, 30, 3000),
    ("9mobile", "daily", "9MOBILE100MB", 100, 1, 100),
    ("9mobile", "weekly", "9MOBILE1GB7D", 1024, 7, 500),
    ("9mobile", "monthly", "9MOBILE1.5GB", 1536, 30, 1000),
    ("9mobile", "monthly", "9MOBILE4.5GB", 4608, 30, 2000),
]


def seed_default_plans(session: Session) -> int:
    """Add the default plans that are missing, leaving existing ones (and their prices) alone.

    Returns how many plans were added.
    """
    existing = set(session.execute(sa.select(DataPlan.network, DataPlan.code)).all())
    added = 0
    for network, category, code, size_mb, validity_days, price_naira in DEFAULT_PLANS:
        if (network, code) in existing:
            continue
        session.add(
            DataPlan(
                network=network,
                category=PlanCategory(category),
                code=code,
                size_mb=size_mb,
                validity_days=validity_days,
                price_minor=price_naira * 100,
                active=True,
            )
        )
        added += 1
    session.flush()
    return added


_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(GB|MB)", re.IGNORECASE)
_VALIDITY = re.compile(r"(\d+)\s*-?\s*(hrs?|hours?|days?|weeks?|months?)", re.IGNORECASE)
_DAYS_PER_UNIT = {"d": 1, "w": 7, "m": 30}


def describe_plan_name(name: str) -> tuple[int, int] | None:
    """Read (size in MB, validity in days) from a provider's plan name such as '1GB - 30 days'.

    Returns None when either cannot be read; hours are rounded down to whole days, at least one.
    """
    size, validity = _SIZE.search(name), _VALIDITY.search(name)
    if size is None or validity is None:
        return None
    amount, unit = Decimal(size.group(1)), size.group(2).upper()
    size_mb = int(amount * 1024) if unit == "GB" else int(amount)
    count, period = int(validity.group(1)), validity.group(2)[0].lower()
    days = count // 24 if period == "h" else count * _DAYS_PER_UNIT[period]
    return size_mb, max(days, 1)


def category_for(validity_days: int) -> PlanCategory:
    if validity_days <= 1:
        return PlanCategory.DAILY
    if validity_days <= 7:
        return PlanCategory.WEEKLY
    return PlanCategory.MONTHLY


def import_plans(session: Session, network: str, plans: list[dict]) -> tuple[int, list[str]]:
    """Add a provider's plans missing from the catalogue, at the provider's price.

    Plans already in the catalogue keep their price, which operators may have edited. Returns
    how many were added and the names that could not be read.
    """
    existing = set(session.execute(sa.select(DataPlan.code).where(DataPlan.network == network)).scalars())
    added, unreadable = 0, []
    for plan in plans:
        if plan["code"] in existing or plan["amount_minor"] <= 0:
            continue
        described = describe_plan_name(plan["name"])
        if described is None:
            unreadable.append(plan["name"])
            continue
        size_mb, validity_days = described
        session.add(
            DataPlan(
                network=network,
                category=category_for(validity_days),
                code=plan["code"][:32],
                size_mb=size_mb,
                validity_days=validity_days,
                price_minor=plan["amount_minor"],
                active=True,
            )
        )
        added += 1
    session.flush()
    return added, unreadable
