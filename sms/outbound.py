"""Writing outbound messages and sending them through a sender."""

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sms.models import MessageStatus, OutboundMessage
from sms.senders import SendResult
from wallet import outbox
from wallet.models import utcnow

SEND_JOB = "send_sms"


def queue_message(session: Session, phone_number: str, body: str, purchase_id: int | None = None) -> OutboundMessage:
    """Write a message and its send job; both commit with the caller's transaction."""
    message = OutboundMessage(
        phone_number=phone_number, body=body, status=MessageStatus.QUEUED, purchase_id=purchase_id, attempts=0
    )
    session.add(message)
    session.flush()
    outbox.add(session, SEND_JOB, message.id)
    return message


def claim_for_sending(session: Session, message_id: int) -> OutboundMessage | None:
    """Take a queued message; None when it was sent or taken by another job."""
    taken = session.execute(
        sa.update(OutboundMessage)
        .where(OutboundMessage.id == message_id, OutboundMessage.status == MessageStatus.QUEUED)
        .values(status=MessageStatus.SENDING, attempts=OutboundMessage.attempts + 1)
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session="fetch")
    ).scalar_one_or_none()
    return session.get(OutboundMessage, taken) if taken else None


def record_result(session: Session, message_id: int, backend: str, result: SendResult) -> MessageStatus:
    """Store what the sender did with a claimed message and return its new status.

    A retryable failure puts the message back to `queued` so a later attempt can send it.
    """
    message = session.get(OutboundMessage, message_id)
    message.backend = backend
    if result.accepted:
        message.status = MessageStatus.SENT
        message.external_id = result.external_id
        message.sent_at = utcnow()
    elif result.retryable:
        message.status = MessageStatus.QUEUED
        message.error = result.error
    else:
        message.status = MessageStatus.FAILED
        message.error = result.error
    session.flush()
    return message.status


def list_for_phone(session: Session, phone_number: str, limit: int = 20) -> list[OutboundMessage]:
    """Return the latest messages to a phone, newest first."""
    return list(
        session.execute(
            sa.select(OutboundMessage)
            .where(OutboundMessage.phone_number == phone_number)
            .order_by(OutboundMessage.id.desc())
            .limit(limit)
        ).scalars()
    )
