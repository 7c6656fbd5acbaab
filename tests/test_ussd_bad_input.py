"""Bad input on every kind of screen: asked again with a hint, 200, and no money moved."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.phones import CALLER, AfricasTalkingPhone
from tests.test_menu import GSM7
from tests.test_ussd_africastalking import available_minor, credit, purchases

# How to reach one screen of each type from a new session, and the hint it shows after bad input.
SCREENS = {
    "choice": ([], "Invalid choice."),
    "select": (["1"], "Invalid choice."),
    "amount": (["1", "1"], "Enter a whole amount from 50 to 50,000."),
    "phone number": (["1", "2"], "Not a valid Nigerian mobile number."),
    "confirm": (["1", "1", "500"], "Invalid choice."),
    "paged list": (["2", "1", "1"], "Invalid choice."),
    "info": (["3", "1"], "Invalid choice."),
    "pin": (["1", "1", "500", "1"], "A PIN is 4 digits."),
}
BAD_INPUTS = ["", "abc", "x" * 600, "\U0001F600", "1*2", "#", "1#", "500.50", "N500", "\u20a6500", " 1", "-1", "0x1F"]


@pytest.fixture
def registered(client, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    phone = AfricasTalkingPhone(client)
    phone.register("2580")
    credit(runner, CALLER, "1000")
    return phone


@pytest.mark.parametrize("bad_input", BAD_INPUTS, ids=lambda value: repr(value[:12]))
@pytest.mark.parametrize("screen_type", sorted(SCREENS))
def test_bad_input_asks_again_with_hint(app, registered, screen_type, bad_input):
    path, hint = SCREENS[screen_type]
    registered.dial()
    for value in path:
        registered.send(value)

    current_screen = registered.post("*".join(registered.inputs))
    screen = registered.send(bad_input)

    if not path and bad_input == "":
        # Africa's Talking's text is "" again: the same request as the dial, so the same screen.
        assert screen == current_screen
    else:
        assert screen.startswith(f"CON {hint}")
    assert len(screen) <= 164
    assert set(screen) <= GSM7
    assert purchases(app) == []
    assert available_minor(app, CALLER) == 1000_00


HOP_INPUTS = st.sampled_from(
    ["1", "2", "3", "4", "5", "0", "00", "98", "500", "50000", "08050000002", "abc", "", "*", "#", "1*1",
     "\U0001F600", "x" * 300, "9999", "1470", "0805", "12.5"]
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sessions=st.lists(st.lists(HOP_INPUTS, max_size=10), min_size=1, max_size=3))
def test_random_hops_move_no_money(app, registered, sessions):
    """No sequence of inputs without the right PIN gets a 5xx, a long screen or a purchase."""
    for inputs in sessions:
        screen = registered.dial()
        for value in inputs:
            assert screen.startswith(("CON ", "END "))
            if screen.startswith("END "):
                break
            screen = registered.send(value)
            assert len(screen) <= 164
            assert set(screen) <= GSM7

    assert purchases(app) == []
    assert available_minor(app, CALLER) == 1000_00
