"""SMS encoding and segment counts, including the characters that change them."""

import pytest

from sms.encoding import measure

M1 = "Airtime NGN500 sent to 08030000001. Wallet bal: NGN1,250.00. Ref: TX7Q2M9K. Thank you."
M3B = (
    "You've bought 1GB data for 08030000001. Wallet bal: NGN1,250.00. Ref: TX7Q2M9K. "
    "Reply HELP for help or STOP to opt out of alerts."
)


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        (M1, "GSM-7", 86, 1),
        (M1.replace("NGN", "\u20a6"), "UCS-2", 82, 2),
        (M3B.replace("'", "\u2019"), "UCS-2", 129, 2),
        (M3B, "GSM-7", 129, 1),
        ("a" * 158 + "]", "GSM-7", 160, 1),
        ("a" * 159 + "[", "GSM-7", 161, 2),
        ("a" * 69 + "\U0001F600", "UCS-2", 71, 2),
        ("a" * 68 + "\U0001F600", "UCS-2", 70, 1),
        ("", "GSM-7", 0, 0),
    ],
)
def test_measure_encoding_units_segments(text, encoding, units, segments):
    measured = measure(text)

    assert measured.name == encoding
    assert measured.units == units
    assert measured.segments == segments


def test_escape_pair_is_not_split_across_parts():
    # 152 plain septets then an escape pair: the pair would straddle the first part's end.
    measured = measure("a" * 152 + "]" + "a" * 10)

    assert measured.units == 164
    assert measured.segments == 2


def test_three_parts_of_gsm7():
    assert measure("a" * 307).segments == 3
    assert measure("a" * 306).segments == 2
