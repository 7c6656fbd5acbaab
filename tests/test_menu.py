"""The menu as a whole: every screen exists, can be left, fits the limit and uses GSM-7 only."""

import string
from datetime import UTC, datetime

import pytest

import sms.messages
import ussd_flows.messages
from sms.encoding import GSM7_BASIC, measure
from ussd_flows.engine import EngineSettings, Hop, HopContext
from ussd_flows.menus import MENU, ROOT_NEW_CALLER, ROOT_REGISTERED
from ussd_flows.session import SessionState
from wallet.catalogue import PlanView
from wallet.ledger import Balance, StatementLine

# Screens and texts keep to GSM-7's basic set: extension characters cost two septets.
GSM7 = GSM7_BASIC
LANGUAGES = sorted(ussd_flows.messages.CATALOGUE)
LONGEST_HINT = max(
    (text for texts in ussd_flows.messages.CATALOGUE.values() for key, text in texts.items()
     if key in {"common.invalid_choice", "pin.rejected_phone_number", "purchase.number_invalid"}),
    key=len,
)


class WidestWallet:
    """Returns the widest values a screen can show, to measure its longest rendering."""

    def get_balance(self, phone_number):
        return Balance(999_999_999_99, 0, 0, 9_999_999_999_99)

    def list_data_plans(self, network, category):
        return [PlanView(number, "9mobile", f"P{number}", 36864, 30, 99_999_00) for number in range(12)]

    def recent_transactions(self, phone_number, limit=5):
        moment = datetime(2026, 12, 4, tzinfo=UTC)
        return [StatementLine(number, moment, "data_purchase", "NT", -99_999_00, 0) for number in range(limit)]


class NoResume:
    def load(self, phone_number):
        return None


def context(language: str) -> HopContext:
    settings = EngineSettings("*384*123#", 160, 3, "NGN", 50_00, 50_000_00, "key")
    hop = Hop("africastalking", "S1", "+2348030000001", "9mobile", "*384*123#", "")
    state = SessionState(phone_number="+2348030000001", screen=ROOT_REGISTERED)
    state.data.update(
        unfinished={"product": "data", "network": "9mobile", "plan_label": "36GB 30 days", "amount_minor": 50_000_00},
        language=language,
        product="data",
        amount_minor=50_000_00,
        recipient="+2348090000001",
        network="9mobile",
        category="monthly",
        plan_id=1,
        plan_label="36GB 30 days",
    )
    return HopContext(hop, state, WidestWallet(), settings, NoResume())


def test_every_next_screen_exists():
    for name, screen in MENU.items():
        for target in screen.targets():
            assert target in MENU, f"{name} leads to missing screen {target}"


def test_roots_exist():
    assert ROOT_REGISTERED in MENU
    assert ROOT_NEW_CALLER in MENU


def test_every_screen_reachable():
    reachable, frontier = set(), [ROOT_REGISTERED, ROOT_NEW_CALLER]
    while frontier:
        name = frontier.pop()
        if name not in reachable:
            reachable.add(name)
            frontier.extend(MENU[name].targets())
    assert reachable == set(MENU)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(MENU))
def test_screen_fits_limit_with_hint(name, language):
    text = MENU[name].render(context(language))

    assert len(f"{LONGEST_HINT}\n{text}") <= 160, text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(MENU))
def test_screen_offers_way_back_or_out(name, language):
    last_line = MENU[name].render(context(language)).splitlines()[-1]

    assert last_line.startswith("0. "), f"{name} ends with {last_line!r}"


@pytest.mark.parametrize("module", [ussd_flows.messages, sms.messages])
@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_complete_with_same_placeholders(module, language):
    english, texts = module.CATALOGUE["en"], module.CATALOGUE[language]

    assert set(texts) == set(english)
    for key, text in texts.items():
        fields = {field for _, field, _, _ in string.Formatter().parse(text) if field}
        english_fields = {field for _, field, _, _ in string.Formatter().parse(english[key]) if field}
        assert fields == english_fields, key


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


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("message_id", sorted(sms.messages.CATALOGUE["en"]))
def test_sms_fits_one_segment_with_widest_values(language, message_id):
    text = sms.messages.render(
        message_id,
        language,
        amount="NGN 50,000",
        balance="NGN 9,999,999.99",
        recipient="08031234567",
        reference="NT7Q2M9K4D",
        product="9mobile 36GB 30 days",
        phone="08031234567",
        until="23:59",
    )

    measured = measure(text)
    assert measured.name == "GSM-7"
    assert measured.segments == 1, f"{measured.units}: {text}"
