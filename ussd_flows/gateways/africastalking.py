"""Africa's Talking USSD: form-encoded POST in, `CON `/`END ` plain text out."""

from providers.numbers import to_e164
from ussd_flows.engine import Hop, Reply
from ussd_flows.gateways import InvalidHopRequest

GATEWAY = "africastalking"
REQUIRED_FIELDS = ("sessionId", "serviceCode", "phoneNumber")

# Africa's Talking's network codes for Nigeria (MCC 621 + MNC).
NETWORK_BY_CODE = {"62120": "airtel", "62130": "mtn", "62150": "glo", "62160": "9mobile"}


def parse(form, region: str) -> Hop:
    """Normalise an Africa's Talking request.

    :raises InvalidHopRequest: a required field is missing or the phone number is invalid.
    """
    missing = [name for name in REQUIRED_FIELDS if not form.get(name, "").strip()]
    if "text" not in form:
        missing.append("text")
    if missing:
        raise InvalidHopRequest(f"missing field(s): {', '.join(missing)}")
    session_id = form["sessionId"].strip()
    if len(session_id) > 128:
        raise InvalidHopRequest("sessionId is longer than 128 characters")
    phone_number = to_e164(form["phoneNumber"], region)
    if phone_number is None:
        raise InvalidHopRequest("phoneNumber is not a valid mobile number")
    return Hop(
        gateway=GATEWAY,
        session_id=session_id,
        phone_number=phone_number,
        network=NETWORK_BY_CODE.get(form.get("networkCode", "").strip()),
        service_code=form["serviceCode"].strip(),
        text=form["text"],
    )


def render(reply: Reply) -> str:
    """Frame a reply: `END ` closes the session, `CON ` waits for input."""
    return ("END " if reply.end else "CON ") + reply.text
