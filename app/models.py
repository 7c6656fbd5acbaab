"""Tables of the web tier itself: how USSD sessions ended."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wallet.models import Base, BigId, utcnow


class UssdSessionEnd(Base):
    """A gateway's end-of-session notification, without the input (it contains PINs)."""

    __tablename__ = "ussd_session_end"
    __table_args__ = (sa.UniqueConstraint("gateway", "session_id", name="uq_ussd_session_end_gateway_session_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    gateway: Mapped[str] = mapped_column(sa.String(32))
    session_id: Mapped[str] = mapped_column(sa.String(128))
    phone_number: Mapped[str | None] = mapped_column(sa.String(16))
    network_code: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(32))
    hops_count: Mapped[int | None]
    duration_ms: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost: Mapped[str | None] = mapped_column(sa.String(32))
    error_message: Mapped[str | None] = mapped_column(sa.String(255))
    ended_at: Mapped[datetime] = mapped_column(default=utcnow)
