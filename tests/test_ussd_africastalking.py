"""Dialogues posted to POST /ussd/africastalking as Africa's Talking posts them."""

import logging
import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from sms.models import MessageStatus, OutboundMessage
from tests.phones import CALLER, AfricasTalkingPhone
from wallet import customers, ledger
from wallet.models import Purchase, PurchaseStatus, Transfer

REFERENCE = re.compile(r"Ref (NT[0-9A-Z]{8})")


def credit(runner, phone_number: str, naira: str) -> None:
    result = runner.invoke(args=["wallet", "credit", phone_number, naira, "--reason", "test funding"])
    assert result.exit_code == 0, result.output


def available_minor(app, phone_number: str) -> int:
    with app.app_context(), db.session.begin():
        customer = customers.find_customer(db.session, phone_number)
        wallet = customers.get_wallet(db.session, customer, "NGN")
        return ledger.get_balance(db.session, wallet.id).available_minor


def purchases(app) -> list[Purchase]:
    with app.app_context():
        found = db.session.execute(sa.select(Purchase).order_by(Purchase.id)).scalars().all()
        db.session.expunge_all()
        return found


def messages_to(app, phone_number: str) -> list[OutboundMessage]:
    with app.app_context():
        found = (
            db.session.execute(
                sa.select(OutboundMessage).where(OutboundMessage.phone_number == phone_number).order_by(OutboundMessage.id)
            )
            .scalars()
            .all()
        )
        db.session.expunge_all()
        return found


MAIN_MENU = "NexusTop\n1. Buy Airtime\n2. Buy Data\n3. My Wallet\n4. Settings\n5. Help\n0. Exit"


def buy_airtime(phone: AfricasTalkingPhone, naira: str, pin: str = "2580") -> str:
    """Buy airtime for the caller's own number through the menu; return the last screen."""
    phone.dial()
    phone.send("1")
    phone.send("1")
    phone.send(naira)
    phone.send("1")
    return phone.send(pin)


def test_first_dial_asks_new_caller_for_language(client):
    screen = AfricasTalkingPhone(client).dial()

    assert screen == "CON Welcome to NexusTop.\nChoose language:\n1. English\n2. Pidgin\n0. Exit"


def test_whole_airtime_purchase_dialogue(app, client, runner, run_jobs):
    phone = AfricasTalkingPhone(client)
    assert phone.dial() == "CON Welcome to NexusTop.\nChoose language:\n1. English\n2. Pidgin\n0. Exit"
    assert phone.send("1") == "CON Create a 4-digit PIN:\n0. Exit"
    assert phone.send("2580") == "CON Enter the same PIN again to confirm:\n0. Exit"
    assert phone.send("2580") == f"CON PIN created.\n{MAIN_MENU}"
    credit(runner, "08030000001", "2000")
    run_jobs()

    assert phone.send("3") == "CON My Wallet\n1. Balance\n2. Fund wallet\n3. Last transactions\n0. Back"
    assert phone.send("1") == "CON Balance: NGN 2,000\nOn hold: NGN 0\n0. Back 00. Menu"
    assert phone.send("00") == f"CON {MAIN_MENU}"
    assert phone.send("1") == "CON Buy airtime for:\n1. My number\n2. Another number\n0. Back"
    assert phone.send("1") == "CON Enter airtime amount (NGN 50 - 50,000):\n0. Back"
    assert phone.send("500") == "CON Buy MTN airtime (NGN 500) for 08030000001?\n1. Confirm\n2. Cancel\n0. Back"
    assert phone.send("1") == "CON Pay NGN 500 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"
    final = phone.send("2580")

    assert final.startswith("END Request received. Ref NT")
    assert final.endswith("You will receive an SMS shortly.")
    reference = REFERENCE.search(final).group(1)
    [purchase] = purchases(app)
    assert purchase.reference == reference
    assert purchase.status == PurchaseStatus.PLACED
    assert purchase.recipient == CALLER
    assert purchase.network == "mtn"
    assert available_minor(app, CALLER) == 1500_00

    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert purchase.external_id == f"SBX-{reference}"
    assert available_minor(app, CALLER) == 1500_00
    receipt = messages_to(app, CALLER)[-1]
    assert receipt.body == (
        f"NexusTop: NGN 500 airtime sent to 08030000001. Ref {reference}. Balance NGN 1,500."
    )
    assert receipt.status == MessageStatus.SENT
    assert receipt.purchase_id == purchase.id
    check = runner.invoke(args=["ledger", "check"])
    assert check.exit_code == 0, check.output


def test_repeated_hop_answers_stored_screen_once(app, client, runner, run_jobs):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")
    first = buy_airtime(phone, "200")

    repeated = phone.post("*".join(phone.inputs))

    assert repeated == first
    assert len(purchases(app)) == 1
    assert available_minor(app, CALLER) == 800_00


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"serviceCode": "*384*123#", "phoneNumber": CALLER, "text": ""}, "sessionId"),
        ({"sessionId": "S1", "phoneNumber": CALLER, "text": ""}, "serviceCode"),
        ({"sessionId": "S1", "serviceCode": "*384*123#", "text": ""}, "phoneNumber"),
        ({"sessionId": "S1", "serviceCode": "*384*123#", "phoneNumber": CALLER}, "text"),
        ({"sessionId": "S1", "serviceCode": "*384*123#", "phoneNumber": "+23480", "text": ""}, "not a valid"),
        ({"sessionId": "S1", "serviceCode": "*384*123#", "phoneNumber": "hello", "text": ""}, "not a valid"),
    ],
)
def test_bad_request_gets_400_with_reason(client, caplog, form, reason):
    with caplog.at_level(logging.INFO, logger="app.ussd"):
        response = client.post("/ussd/africastalking", data=form)

    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)
    rejected = [record for record in caplog.records if "request rejected" in record.getMessage()]
    assert len(rejected) == 1


def test_unknown_menu_choice_asks_again(client):
    phone = AfricasTalkingPhone(client)
    phone.register()

    screen = phone.send("7")

    assert screen == f"CON Invalid choice.\n{MAIN_MENU}"


@pytest.mark.parametrize("amount", ["abc", "500.50", "N500", "NGN500", "-500", "10", "50001", "", "5 00"])
def test_malformed_amount_asks_again(client, amount):
    phone = AfricasTalkingPhone(client)
    phone.register()
    phone.send("1")
    phone.send("1")

    screen = phone.send(amount)

    assert screen == (
        "CON Enter a whole amount from 50 to 50,000.\nEnter airtime amount (NGN 50 - 50,000):\n0. Back"
    )


def test_third_invalid_answer_ends_session(client):
    phone = AfricasTalkingPhone(client)
    phone.register()
    phone.send("1")
    phone.send("1")
    phone.send("x")
    phone.send("y")

    screen = phone.send("z")

    assert screen == "END Too many invalid answers. Dial *384*123# to start again."


def test_insufficient_balance_ends_without_moving_money(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "100")

    screen = buy_airtime(phone, "500")

    assert screen == (
        "END Your balance NGN 100 is not enough for NGN 500."
        " Fund your wallet and try again. No money was taken."
    )
    assert purchases(app) == []
    assert available_minor(app, CALLER) == 100_00


def test_wrong_pin_asks_again_then_locks(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register("1357")
    credit(runner, CALLER, "1000")
    pin_screen = "Pay NGN 100 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"

    assert buy_airtime(phone, "100", pin="1111") == f"CON Wrong PIN. Tries left: 2.\n{pin_screen}"
    assert phone.send("2222") == f"CON Wrong PIN. Tries left: 1.\n{pin_screen}"
    locked = phone.send("3333")

    assert locked.startswith("END Too many wrong PINs. Purchases are locked until ")
    assert buy_airtime(phone, "100", pin="1357").startswith("END Too many wrong PINs.")
    assert purchases(app) == []
    assert available_minor(app, CALLER) == 1000_00
    alerts = [message.body for message in messages_to(app, CALLER) if "wrong PINs were entered" in message.body]
    assert len(alerts) == 1


def test_cancel_at_confirmation_moves_no_money(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")
    phone.dial()
    phone.send("1")
    phone.send("1")
    phone.send("500")

    assert phone.send("2") == "END Cancelled. No money was taken."
    assert purchases(app) == []


def test_unexpected_error_ends_with_apology(client, monkeypatch, caplog):
    from wallet.service import WalletService

    def broken(self, phone_number):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(WalletService, "find_customer", broken)
    phone = AfricasTalkingPhone(client)

    with caplog.at_level(logging.ERROR, logger="app.ussd"):
        screen = phone.dial()

    assert screen == "END Sorry, something went wrong. No money was taken. Please try again later."
    [record] = [r for r in caplog.records if r.name == "app.ussd"]
    assert phone.session_id in record.getMessage()


def test_rejected_purchase_voids_hold(app, client, runner, run_jobs):
    failing_number = "+2348030000099"
    phone = AfricasTalkingPhone(client, phone_number=failing_number)
    phone.register()
    credit(runner, failing_number, "1000")

    final = buy_airtime(phone, "300")
    run_jobs()

    reference = REFERENCE.search(final).group(1)
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.FAILED
    assert available_minor(app, failing_number) == 1000_00
    receipt = messages_to(app, failing_number)[-1]
    assert receipt.body == (
        f"NexusTop: NGN 300 airtime to 08030000099 failed. No money was taken. Ref {reference}."
    )
    assert runner.invoke(args=["ledger", "check"]).exit_code == 0


def test_unknown_outcome_keeps_hold(app, client, runner, run_jobs):
    timeout_number = "+2348030000097"
    phone = AfricasTalkingPhone(client, phone_number=timeout_number)
    phone.register()
    credit(runner, timeout_number, "1000")

    buy_airtime(phone, "300")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert available_minor(app, timeout_number) == 700_00
    assert all("airtime" not in message.body for message in messages_to(app, timeout_number))


def test_speed_dial_walks_fields_but_stops_at_confirmation(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    screen = phone.dial("1*1*500*1*2580")

    assert screen == "CON Buy MTN airtime (NGN 500) for 08030000001?\n1. Confirm\n2. Cancel\n0. Back"
    assert purchases(app) == []


def test_speed_dial_invalid_option_hint(client):
    phone = AfricasTalkingPhone(client)
    phone.register()

    screen = phone.dial("9*9")

    assert screen == f"CON Invalid choice.\n{MAIN_MENU}"


def test_speed_dial_from_new_caller_starts_onboarding(client):
    screen = AfricasTalkingPhone(client).dial("1*1*500")

    assert screen == "CON Welcome to NexusTop.\nChoose language:\n1. English\n2. Pidgin\n0. Exit"


def test_star_typed_in_answer_is_one_input(client):
    phone = AfricasTalkingPhone(client)
    phone.register()
    phone.send("1")
    phone.send("1")

    screen = phone.send("5*0")

    assert screen.startswith("CON Enter a whole amount from 50 to 50,000.")


def test_text_not_extending_previous_shows_screen_again(client):
    phone = AfricasTalkingPhone(client)
    phone.register()
    phone.send("1")
    phone.send("1")

    screen = phone.post("9*9*9")

    assert screen == "CON Enter airtime amount (NGN 50 - 50,000):\n0. Back"


def test_pin_confirmation_mismatch_starts_over(client):
    phone = AfricasTalkingPhone(client)
    phone.dial()
    phone.send("1")
    phone.send("2580")

    screen = phone.send("1470")

    assert screen == "CON The PINs did not match.\nCreate a 4-digit PIN:\n0. Exit"


@pytest.mark.parametrize(
    ("pin", "hint"),
    [
        ("123", "A PIN is 4 digits."),
        ("12345", "A PIN is 4 digits."),
        ("abcd", "A PIN is 4 digits."),
        ("12 4", "A PIN is 4 digits."),
        ("0000", "Do not repeat one digit."),
        ("7777", "Do not repeat one digit."),
        ("1234", "Do not use digits in a row."),
        ("4321", "Do not use digits in a row."),
        ("8901", "Do not use digits in a row."),
        ("0001", "Do not use the end of your number."),
    ],
)
def test_weak_new_pin_is_rejected_with_reason(client, pin, hint):
    phone = AfricasTalkingPhone(client)
    phone.dial()
    phone.send("1")

    screen = phone.send(pin)

    assert screen == f"CON {hint}\nCreate a 4-digit PIN:\n0. Exit"


def test_pin_is_stored_as_keyed_hash(app, client):
    AfricasTalkingPhone(client).register("2468")

    with app.app_context():
        customer = customers.find_customer(db.session, CALLER)
        assert customer.pin_hash is not None
        assert b"2468" not in customer.pin_hash
        assert len(customer.pin_salt) == 16


def test_pin_never_in_logs(client, caplog):
    phone = AfricasTalkingPhone(client)
    with caplog.at_level(logging.DEBUG):
        phone.register("8642")
        phone.send("1")
        phone.send("1")
        phone.send("100")
        phone.send("1")
        phone.send("8642")

    assert "8642" not in caplog.text


def test_hold_is_one_pending_transfer(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "250")

    with app.app_context():
        [purchase] = db.session.execute(sa.select(Purchase)).scalars().all()
        hold = db.session.get(Transfer, purchase.hold_transfer_id)
        assert hold.kind.value == "pending"
        assert hold.amount_minor == 250_00
        assert hold.reference == purchase.reference


def test_same_pin_hop_sent_concurrently_places_one_purchase(app, runner):
    from concurrent.futures import ThreadPoolExecutor

    first = AfricasTalkingPhone(app.test_client())
    first.register()
    credit(runner, CALLER, "1000")
    first.dial()
    for value in ("1", "1", "50", "1"):
        first.send(value)
    text = "*".join(first.inputs + ["2580"])

    def post_copy(_):
        copy = AfricasTalkingPhone(app.test_client())
        copy.session_id = first.session_id
        return copy.post(text)

    with ThreadPoolExecutor(max_workers=4) as pool:
        screens = list(pool.map(post_copy, range(4)))

    assert len(set(screens)) == 1
    assert screens[0].startswith("END Request received. Ref NT")
    assert len(purchases(app)) == 1
    assert available_minor(app, CALLER) == 950_00


def test_request_key_seen_before_returns_first_purchase(app, client, runner):
    from app.services import wallet_service

    AfricasTalkingPhone(client).register("2580")
    credit(runner, CALLER, "1000")

    with app.app_context():
        service = wallet_service()
        arguments = dict(recipient=CALLER, network="mtn", amount_minor=100_00, pin="2580", channel="ussd")
        first = service.buy_airtime(CALLER, request_key="ussd:africastalking:S9", **arguments)
        second = service.buy_airtime(CALLER, request_key="ussd:africastalking:S9", **arguments)

    assert second.reference == first.reference
    assert len(purchases(app)) == 1
    assert available_minor(app, CALLER) == 900_00


@pytest.mark.parametrize("network_code", ["", "62127", "99999"])
def test_unknown_network_code_falls_back_to_prefix(app, client, runner, network_code):
    phone = AfricasTalkingPhone(client, network_code=network_code)
    phone.register()
    credit(runner, CALLER, "1000")
    phone.dial()
    phone.send("1")

    assert phone.send("1") == "CON 08030000001 is on MTN.\n1. Continue\n2. Change network\n0. Back"
    phone.send("1")
    phone.send("100")
    phone.send("1")
    assert phone.send("2580").startswith("END Request received.")
    [purchase] = purchases(app)
    assert purchase.network == "mtn"


def test_number_without_known_network_asks_for_it(app, client, runner):
    # 0804 was allocated to Ntel, which we do not sell for.
    ntel = "+2348040000001"
    phone = AfricasTalkingPhone(client, phone_number=ntel, network_code="")
    phone.register()
    credit(runner, ntel, "1000")
    phone.dial()
    phone.send("1")

    assert phone.send("1") == "CON Choose the network of 08040000001:\n1. MTN\n2. Airtel\n3. Glo\n4. 9mobile\n0. Back"
    assert phone.send("5").startswith("CON Invalid choice.\nChoose the network")
    assert phone.send("2") == "CON Enter airtime amount (NGN 50 - 50,000):\n0. Back"
    assert phone.send("100") == "CON Buy Airtel airtime (NGN 100) for 08040000001?\n1. Confirm\n2. Cancel\n0. Back"
    phone.send("1")
    assert phone.send("2580").startswith("END Request received.")
    [purchase] = purchases(app)
    assert purchase.network == "airtel"


def test_zero_on_main_menu_ends_session(client):
    phone = AfricasTalkingPhone(client)
    phone.register()

    assert phone.send("0") == "END Thank you for using NexusTop."


def test_phone_number_with_stray_letter_is_rejected(client):
    response = client.post(
        "/ussd/africastalking",
        data={"sessionId": "S1", "serviceCode": "*384*123#", "phoneNumber": "+2348030000001x", "text": ""},
    )

    assert response.status_code == 400


def test_answer_that_is_no_pin_costs_no_attempt(client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")
    pin_screen = "Pay NGN 100 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"

    assert buy_airtime(phone, "100", pin="12345") == f"CON A PIN is 4 digits.\n{pin_screen}"
    assert phone.send("1111") == f"CON Wrong PIN. Tries left: 2.\n{pin_screen}"


def test_amount_with_thousands_comma_is_accepted(client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register()
    phone.send("1")
    phone.send("1")

    assert phone.send("1,000") == "CON Buy MTN airtime (NGN 1,000) for 08030000001?\n1. Confirm\n2. Cancel\n0. Back"


def test_locked_customer_told_before_buying(app, client, runner):
    phone = AfricasTalkingPhone(client)
    phone.register("1357")
    credit(runner, CALLER, "1000")
    buy_airtime(phone, "100", pin="1111")
    phone.send("2222")
    assert phone.send("3333").startswith("END Too many wrong PINs.")

    phone.dial()
    screen = phone.send("1")

    assert screen.startswith("END Too many wrong PINs. Purchases are locked until ")
    phone.dial()
    assert phone.send("3").startswith("CON My Wallet")


def test_apology_in_the_session_language(client, monkeypatch):
    from wallet.service import WalletService

    phone = AfricasTalkingPhone(client)
    phone.register(language="2")
    phone.dial()

    def broken(self, phone_number):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(WalletService, "get_balance", broken)
    phone.send("3")

    assert phone.send("1") == "END Sorry, something no work. We no collect any money. Abeg try again later."
