"""Ways to send an SMS: the console (logs only) and Africa's Talking."""

import logging
from dataclasses import dataclass

import requests

from providers.numbers import mask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    external_id: str | None = None
    error: str | None = None
    retryable: bool = False


class Sender:
    name = ""

    def send(self, phone_number: str, body: str) -> SendResult:
        raise NotImplementedError


class ConsoleSender(Sender):
    """Log the message instead of sending it: the embedded default and tests."""

    name = "console"

    def send(self, phone_number, body):
        log.info("sms to %s: %s", mask(phone_number), body)
        return SendResult(accepted=True)


class AfricasTalkingSender(Sender):
    """Send through Africa's Talking's SMS API with the official SDK."""

    name = "africastalking"

    def __init__(self, username: str, api_key: str, sender_id: str | None = None):
        import africastalking

        # The SDK's module-level initialize() shares one service between apps; build our own.
        self._service = africastalking.SMSService(username, api_key)
        self._sender_id = sender_id

    def send(self, phone_number, body):
        from africastalking.Service import AfricasTalkingException

        try:
            response = self._service.send(body, [phone_number], sender_id=self._sender_id)
        except requests.RequestException as error:
            return SendResult(accepted=False, error=f"transport: {error.__class__.__name__}", retryable=True)
        except AfricasTalkingException as error:
            return SendResult(accepted=False, error=f"rejected: {str(error)[:200]}", retryable=False)
        recipients = response.get("SMSMessageData", {}).get("Recipients", []) if isinstance(response, dict) else []
        if not recipients:
            return SendResult(accepted=False, error=f"no recipient in answer: {str(response)[:200]}", retryable=False)
        recipient = recipients[0]
        # statusCode 101 is Africa's Talking's "Success" (the message reached its queue).
        if recipient.get("statusCode") == 101 or recipient.get("status") == "Success":
            return SendResult(accepted=True, external_id=recipient.get("messageId"))
        return SendResult(accepted=False, error=str(recipient.get("status"))[:200], retryable=False)


def build_sender(config) -> Sender:
    """Return the sender named by the SMS_BACKEND setting.

    :raises ValueError: the backend is unknown or its credentials are missing.
    """
    backend = config["SMS_BACKEND"]
    if backend == "console":
        return ConsoleSender()
    if backend == "africastalking":
        if not config.get("AT_USERNAME") or not config.get("AT_API_KEY"):
            raise ValueError("SMS_BACKEND=africastalking needs AT_USERNAME and AT_API_KEY")
        return AfricasTalkingSender(config["AT_USERNAME"], config["AT_API_KEY"], config.get("AT_SENDER_ID"))
    raise ValueError(f"unknown SMS_BACKEND {backend!r}: use console or africastalking")
