"""Nigerian numbers: every current mobile range is valid, and the prefix only suggests a network."""

import pytest

from providers.numbers import detect_network, mask, to_e164, to_national

# Ranges that stale number metadata has wrongly rejected; phonenumbers is pinned so these hold.
NIGERIAN_MOBILE_NUMBERS = [
    "07010000001", "09020000001", "09030000001", "09050000001", "09060000001", "09080000001",
    "09090000001", "09010000001", "09130000001", "09110000001", "08100000001", "07070000001",
    "09070000001",
]


@pytest.mark.parametrize("national", NIGERIAN_MOBILE_NUMBERS)
def test_current_ranges_are_valid_mobiles(national):
    e164 = to_e164(national, "NG")

    assert e164 == "+234" + national[1:]
    assert to_national(e164) == national


@pytest.mark.parametrize(
    ("national", "network"),
    [("08030000001", "mtn"), ("09130000001", "mtn"), ("07010000001", "airtel"), ("08050000001", "glo"),
     ("09090000001", "9mobile"), ("08040000001", None)],
)
def test_prefix_suggests_network(national, network):
    assert detect_network(to_e164(national, "NG")) == network


@pytest.mark.parametrize("raw", ["", "0803", "080300000011", "+2348030000001x", "hello", "+15555550100"])
def test_invalid_numbers_are_rejected(raw):
    assert to_e164(raw, "NG") is None


def test_mask_hides_middle_digits():
    assert mask("+2348030000001") == "+234803*****01"
