"""MTN's USSD gateway (MADAPI): JSON in and out, one input per hop.

Request fields: `sessionId`, `messageType` (0 Begin, 1 Continue, 2 End, 3 Notification,
4 Cancel, 5 Timeout), `msisdn` (234..., no plus sign), `serviceCode`, `ussdString` (the dialled
code on Begin, the latest input after that). The reply carries the text in
`data.inboundResponse` and `data.userInputRequired` (true keeps the session open). Field names
follow MTN's published OpenAPI description of the gateway-to-application API; check them
against the MTN developer portal before going live.
"""

from providers.numbers import to_e164
from ussd_flows.engine import Hop, Reply
from ussd_flows.gateways import InvalidHopRequest

GATEWAY = "mtn"
BEGIN, CONTINUE, END, NOTIFICATION, CANCEL, TIMEOUT = "0", "1", "2", "3", "4", "5"
SESSION_ENDINGS = {END: "End", CANCEL: "Cancel", TIMEOUT: "Timeout"}
REQUIRED_FIELDS = ("sessionId", "messageType", "msisdn", "serviceCode")
SUCCESS_CODE = "0000"


def message_type(body) -> str:
    """Return the request's messageType as a string ('0' to '5').

    :raises InvalidHopRequest: the body is not a JSON object or has no valid messageType.
    """
    if not isinstance(body, dict):
        raise InvalidHopRequest("the body is not a JSON object")
    value = str(body.get("messageType", "")).strip()
    if value not in {BEGIN, CONTINUE, END, NOTIFICATION, CANCEL, TIMEOUT}:
        raise InvalidHopRequest(f"messageType {value!r} is not one of 0 to 5")
    return value


def parse(body, region: str) -> Hop:
    """Normalise a Begin or Continue request.

    :raises InvalidHopRequest: the body is not an object, a field is missing or invalid.
    """
    if not isinstance(body, dict):
        raise InvalidHopRequest("the body is not a JSON object")
    missing = [name for name in REQUIRED_FIELDS if not str(body.get(name, "")).strip()]
    if missing:
        raise InvalidHopRequest(f"missing field(s): {', '.join(missing)}")
    kind = message_type(body)
    session_id = str(body["sessionId"]).strip()
    if len(session_id) > 128:
        raise InvalidHopRequest("sessionId is longer than 128 characters")
    msisdn = str(body["msisdn"]).strip()
    phone_number = to_e164(msisdn if msisdn.startswith("+") else f"+{msisdn}", region)
    if phone_number is None:
        raise InvalidHopRequest("msisdn is not a valid mobile number")
    ussd_string = str(body.get("ussdString", ""))
    is_new = kind == BEGIN
    # On Begin the ussdString is what was dialled, extra fields included (*384*123*500#).
    service_code = ussd_string if is_new and ussd_string.startswith("*") else str(body["serviceCode"]).strip()
    return Hop(
        gateway=GATEWAY,
        session_id=session_id,
        phone_number=phone_number,
        # Every session on MTN's gateway is an MTN subscriber's.
        network="mtn",
        service_code=service_code,
        text=None,
        input=None if is_new else ussd_string,
        is_new=is_new,
    )


def render(reply: Reply, body: dict) -> dict:
    """Build the JSON reply for a hop."""
    return {
        "statusCode": SUCCESS_CODE,
        "statusMessage": "Success",
        "transactionId": str(body.get("sessionId", "")),
        "data": {
            "inboundResponse": reply.text,
            "userInputRequired": not reply.end,
            "messageType": END if reply.end else CONTINUE,
            "serviceCode": str(body.get("serviceCode", "")),
            "msisdn": str(body.get("msisdn", "")),
        },
    }


def render_error(status_message: str, status_code: str) -> dict:
    return {"statusCode": status_code, "statusMessage": status_message}
