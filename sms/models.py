"""The outbound message table."""

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from wallet.models import Base, BigId, utcnow


class MessageStatus(enum.StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"


class OutboundMessage(Base):
    """One SMS to one phone, written before it is sent so it can be retried and audited."""

    __tablename__ = "outbound_message"
    __table_args__ = (sa.Index("ix_outbound_message_phone_number", "phone_number", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    phone_number: Mapped[str] = mapped_column(sa.String(16))
    body: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[MessageStatus]
    backend: Mapped[str | None] = mapped_column(sa.String(32))
    external_id: Mapped[str | None] = mapped_column(sa.String(64))
    error: Mapped[str | None] = mapped_column(sa.String(255))
    attempts: Mapped[int] = mapped_column(default=0)
    purchase_id: Mapped[int | None] = mapped_column(sa.ForeignKey("purchase.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
