"""Phone number parsing and the network a number was first allocated to."""

import functools

import phonenumbers
from phonenumbers import carrier

# Carrier names in phonenumbers' data mapped to our network codes. Numbers are portable in
# Nigeria, so the result is a suggestion that the customer may correct.
_NETWORK_BY_CARRIER = {
    "MTN": "mtn",
    "Airtel": "airtel",
    "Glo": "glo",
    "9mobile": "9mobile",
    "Etisalat": "9mobile",
}

NETWORK_NAMES = {"mtn": "MTN", "airtel": "Airtel", "glo": "Glo", "9mobile": "9mobile"}


_ALLOWED_CHARACTERS = set("0123456789+ -()")


@functools.lru_cache(maxsize=4096)
def to_e164(raw: str, region: str) -> str | None:
    """Return the number in E.164 form, or None when it is not a valid mobile number.

    Cached, because every USSD hop parses its caller's number and phonenumbers takes a
    noticeable share of a hop's time.
    """
    # phonenumbers skips stray letters ("+2348030000001x"); a number we act on must not have any.
    if not raw or not set(raw) <= _ALLOWED_CHARACTERS:
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in {
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    }:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def to_national(e164: str) -> str:
    """Format an E.164 number the way a local customer writes it (08030000001)."""
    number = phonenumbers.parse(e164)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL).replace(" ", "")


def detect_network(e164: str) -> str | None:
    """Return our code of the network the number's prefix was allocated to, if known."""
    name = carrier.name_for_number(phonenumbers.parse(e164), "en")
    return _NETWORK_BY_CARRIER.get(name)


def mask(e164: str) -> str:
    """Hide the middle of a number for logs: +234803*****01."""
    if len(e164) < 8:
        return "***"
    return e164[:7] + "*" * (len(e164) - 9) + e164[-2:]
