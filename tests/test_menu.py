"""The menu as a whole: every screen exists, fits the limit and uses GSM-7 only."""

import pytest

import sms.messages
import ussd_flows.messages
from ussd_flows.engine import EngineSettings, HopContext, Hop
from ussd_flows.menus import MENU, ROOT_NEW_CALLER, ROOT_REGISTERED
from ussd_flows.screens import Info
from ussd_flows.session import SessionState
from wallet.ledger import Balance

# GSM 03.38 basic character set (extension characters are left out on purpose: they cost two).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)


class LargestWallet:
    """Returns the widest values a screen can show, to measure the longest rendering."""

    def get_balance(self, phone_number):
        return Balance(999_999_999_99, 0, 0, 9_999_999_999_99)


def context() -> HopContext:
    settings = EngineSettings("*384*123#", 160, 3, "NGN", 50_00, 50_000_00, "key")
    hop = Hop("africastalking", "S1", "+2348030000001", "mtn", "*384*123#", "")
    state = SessionState(phone_number="+2348030000001", screen=ROOT_REGISTERED)
    state.data.update(amount_minor=50_000_00, recipient="+2348030000001")
    return HopContext(hop, state, LargestWallet(), settings)


def test_every_next_screen_exists():
    for name, screen in MENU.items():
        for target in screen.targets():
            assert target in MENU, f"{name} leads to missing screen {target}"
    assert ROOT_REGISTERED in MENU
    assert ROOT_NEW_CALLER in MENU


def test_every_screen_reachable_from_a_root():
    reachable, frontier = set(), [ROOT_REGISTERED, ROOT_NEW_CALLER]
    while frontier:
        name = frontier.pop()
        if name not in reachable:
            reachable.add(name)
            frontier.extend(MENU[name].targets())
    assert reachable == set(MENU)


@pytest.mark.parametrize("name", sorted(MENU))
def test_screen_fits_limit_with_notice(name):
    text = MENU[name].render(context())
    longest_notice = "Wrong PIN. 2 attempt(s) left."

    assert len(f"{longest_notice}\n{text}") <= 160


@pytest.mark.parametrize("name", sorted(name for name, screen in MENU.items() if isinstance(screen, Info)))
def test_info_screens_offer_way_back(name):
    text = MENU[name].render(context())

    assert "0. Back" in text


@pytest.mark.parametrize(
    ("catalogue", "language", "message_id"),
    [
        (module.CATALOGUE, language, message_id)
        for module in (ussd_flows.messages, sms.messages)
        for language, texts in module.CATALOGUE.items()
        for message_id in texts
    ],
)
def test_catalogue_texts_are_gsm7(catalogue, language, message_id):
    text = catalogue[language][message_id]

    assert set(text) <= GSM7 | {"{", "}"}, f"non-GSM-7 characters in {message_id}: {set(text) - GSM7}"
    assert "₦" not in text
