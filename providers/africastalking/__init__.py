"""Africa's Talking airtime, through the official `africastalking` SDK.

The immediate response only tells whether AT accepted the request: a recipient status of `Sent`
means handed to the telco, not delivered, so it is `unknown` until AT's status callback says
`Success` or `Failed`. AT's top-level `errorMessage` is the string "None" when there is no
error, and "A duplicate request was received within the last 5 minutes" means the first
request is in flight, so it is `unknown` too, never a refusal.
"""

import json

import requests
from africastalking.Airtime import AirtimeService
from africastalking.Service import AfricasTalkingException
from urllib3.exceptions import NewConnectionError

from providers.base import Outcome, Provider, ProviderResult, register

# Recipient statuses of the send response and the status callback.
STATUS_BY_RECIPIENT_STATUS = {
    "Success": Outcome.SUCCEEDED,
    "Sent": Outcome.UNKNOWN,
    "Queued": Outcome.UNKNOWN,
    "Failed": Outcome.FAILED,
    "InvalidRequest": Outcome.FAILED,
    "NotSupported": Outcome.FAILED,
    "InsufficientBalance": Outcome.FAILED,
}
DUPLICATE_MESSAGE = "duplicate request"
# The currency of each country code we sell to: a mismatch would send the wrong value.
CURRENCY_BY_COUNTRY_CODE = {"+234": "NGN", "+254": "KES", "+255": "TZS", "+256": "UGX"}


def interpret(answer) -> tuple[Outcome, str | None, str]:
    """Map AT's response to a single-recipient send to (outcome, AT request id, detail)."""
    if isinstance(answer, str):
        try:
            answer = json.loads(answer)
        except ValueError:
            return Outcome.UNKNOWN, None, "answer is not JSON"
    if not isinstance(answer, dict):
        return Outcome.UNKNOWN, None, "answer is not a JSON object"
    error_message = str(answer.get("errorMessage", "None"))
    recipients = answer.get("responses") or []
    if DUPLICATE_MESSAGE in error_message.lower():
        return Outcome.UNKNOWN, None, error_message[:200]
    if not recipients:
        return Outcome.UNKNOWN, None, f"no recipient in answer: {error_message[:150]}"
    recipient = recipients[0]
    status = str(recipient.get("status", ""))
    request_id = recipient.get("requestId") or None
    outcome = STATUS_BY_RECIPIENT_STATUS.get(status, Outcome.UNKNOWN)
    return outcome, request_id, f"{status}: {recipient.get('errorMessage', 'None')}"[:200]


@register
class AfricasTalkingAirtimeProvider(Provider):
    name = "africastalking"

    def __init__(self, username: str, api_key: str, connect_timeout_seconds: int, read_timeout_seconds: int):
        if not username or not api_key:
            raise ValueError("Africa's Talking airtime needs AT_USERNAME and AT_API_KEY")
        self._username = username
        self._api_key = api_key
        self._timeout = (connect_timeout_seconds, read_timeout_seconds)

    def send_airtime(self, reference, phone_number, amount_minor, currency, network, request_id=None):
        expected = next((code for prefix, code in CURRENCY_BY_COUNTRY_CODE.items() if phone_number.startswith(prefix)), None)
        if expected != currency or amount_minor % 100:
            return ProviderResult(Outcome.FAILED, None, f"not sellable: {amount_minor} {currency} to {phone_number[:4]}")
        # A new service per call: the SDK keeps the Idempotency-Key header on its service
        # object, so a shared one would send this key with every later request.
        service = AirtimeService(self._username, self._api_key)
        exchange = {
            "request": {"phoneNumber": phone_number, "amount": amount_minor // 100, "currency": currency},
            "idempotency_key": request_id or reference,
        }
        try:
            answer = service.send(
                phone_number=phone_number,
                amount=amount_minor // 100,
                currency_code=currency,
                idempotency_key=request_id or reference,
                timeout=self._timeout,
            )
        except requests.ConnectTimeout as error:
            return ProviderResult(Outcome.FAILED, None, f"connect timeout: {error}", exchange, request_id, True)
        except requests.ConnectionError as error:
            reason = getattr(error.args[0], "reason", None) if error.args else None
            if isinstance(reason, NewConnectionError):
                return ProviderResult(Outcome.FAILED, None, f"cannot connect: {error}", exchange, request_id, True)
            return ProviderResult(Outcome.UNKNOWN, None, f"connection lost: {error}", exchange, request_id, True)
        except requests.Timeout as error:
            return ProviderResult(Outcome.UNKNOWN, None, f"read timeout: {error}", exchange, request_id, True)
        except AfricasTalkingException as error:
            # The SDK keeps only the body of a non-2xx response, so whether AT acted is not known.
            exchange["response"] = str(error)[:2000]
            return ProviderResult(Outcome.UNKNOWN, None, f"HTTP error: {str(error)[:150]}", exchange, request_id)
        exchange["response"] = answer if isinstance(answer, dict) else str(answer)[:2000]
        outcome, at_request_id, detail = interpret(answer)
        return ProviderResult(outcome, at_request_id, detail, exchange, request_id)

    def requery(self, reference, phone_number, request_id=None):
        # NOTE: AT documents no query of a single airtime transaction that we could confirm;
        # its status callback (POST /providers/africastalking/callback) settles the purchase.
        return ProviderResult(Outcome.UNKNOWN, None, "awaiting Africa's Talking's status callback", {}, request_id)
