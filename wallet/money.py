"""Amounts as integers of minor units: parsing customer input and formatting for display."""

import re

# Minor units per major unit; every currency we sell in has two decimal places.
MINOR_PER_MAJOR = 100
_GROUPED_THOUSANDS = re.compile(r"[1-9][0-9]{0,2}(,[0-9]{3})+")


def format_amount(amount_minor: int, currency: str) -> str:
    """Format 150050 NGN as 'NGN 1,500.50' and 150000 as 'NGN 1,500'.

    The currency code is used rather than a symbol because the naira sign is not in the GSM-7
    alphabet: one such character turns an SMS into UCS-2 and halves a USSD screen.
    """
    sign = "-" if amount_minor < 0 else ""
    major, minor = divmod(abs(amount_minor), MINOR_PER_MAJOR)
    text = f"{major:,}" if minor == 0 else f"{major:,}.{minor:02d}"
    return f"{currency} {sign}{text}"


def percentage_of(amount_minor: int, basis_points: int) -> int:
    """Return `basis_points`/10,000 of an amount, rounded half up to the minor unit.

    3.5% (350 basis points) of NGN 20 (2000 kobo) is 70 kobo; integers only, so no float
    rounding can creep in.
    """
    quotient, remainder = divmod(amount_minor * basis_points, 10_000)
    return quotient + (1 if remainder * 2 >= 10_000 else 0)


def parse_whole_major(text: str) -> int | None:
    """Parse a whole number of major units typed by a customer ('500') into minor units.

    Commas grouping thousands are accepted ('1,000'). Returns None for anything else
    (decimals, signs, letters, other separators), so the caller can ask again with a hint
    rather than guess what was meant.
    """
    text = text.strip()
    if _GROUPED_THOUSANDS.fullmatch(text):
        # "1,000" as the prompts themselves write amounts.
        text = text.replace(",", "")
    if not text or len(text) > 9 or not text.isascii() or not text.isdigit():
        return None
    return int(text) * MINOR_PER_MAJOR
