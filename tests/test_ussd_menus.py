"""Dialogues through every menu, posted as Africa's Talking posts them."""

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import UssdSessionEnd
from app.queue import get_redis
from tests.phones import CALLER, AfricasTalkingPhone
from tests.test_ussd_africastalking import (
    MAIN_MENU,
    REFERENCE,
    available_minor,
    buy_airtime,
    credit,
    messages_to,
    purchases,
)
from wallet.models import ProductKind, PurchaseStatus

OTHER = "+2348050000002"


@pytest.fixture
def phone(client, runner):
    """A registered caller with NGN 5,000 and the default data plans seeded."""
    assert runner.invoke(args=["seed"]).exit_code == 0
    caller = AfricasTalkingPhone(client)
    caller.register("2580")
    credit(runner, CALLER, "5000")
    return caller


def test_data_purchase_delivers_and_sends_receipt(app, phone, run_jobs):
    phone.dial()
    assert phone.send("2") == "CON Buy data for:\n1. My number\n2. Another number\n0. Back"
    assert phone.send("1") == "CON Choose a plan type:\n1. Daily\n2. Weekly\n3. Monthly\n0. Back"
    assert phone.send("2") == (
        "CON MTN data plans:\n1. 1GB 7 days N800\n2. 3.5GB 7 days N1,500\n3. 6GB 7 days N2,500\n0. Back"
    )
    assert phone.send("2") == "CON Buy MTN 3.5GB 7 days (NGN 1,500) for 08030000001?\n1. Confirm\n2. Cancel\n0. Back"
    assert phone.send("1") == "CON Pay NGN 1,500 for MTN 3.5GB 7 days to 08030000001.\nEnter PIN:\n0. Back"
    final = phone.send("2580")
    run_jobs()

    reference = REFERENCE.search(final).group(1)
    [purchase] = purchases(app)
    assert purchase.product_kind == ProductKind.DATA
    assert purchase.product_code == "MTN3.5GB7D"
    assert purchase.amount_minor == 1500_00
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert available_minor(app, CALLER) == 3500_00
    assert messages_to(app, CALLER)[-1].body == (
        f"NexusTop: MTN 3.5GB 7 days data sent to 08030000001 for NGN 1,500. Ref {reference}. Balance NGN 3,500."
    )


def test_data_plans_paginate_with_more_and_back(phone):
    phone.dial()
    for value in ("2", "1", "3"):
        phone.send(value)

    first_page = phone.send("98")
    assert first_page.startswith("CON MTN data plans:\n1. 12.5GB 30 days N5,500")
    assert "98. More" not in first_page
    assert phone.send("0").startswith("CON MTN data plans:\n1. 2GB 30 days N1,500")
    assert phone.send("0") == "CON Choose a plan type:\n1. Daily\n2. Weekly\n3. Monthly\n0. Back"


def test_airtime_for_other_number_confirms_network(app, phone, run_jobs):
    phone.dial()
    phone.send("1")
    assert phone.send("2") == "CON Enter the phone number (e.g. 08031234567):\n0. Back"
    assert phone.send("0805 000 0002") == "CON 08050000002 is on Glo.\n1. Continue\n2. Change network\n0. Back"
    assert phone.send("2") == "CON Choose the network of 08050000002:\n1. MTN\n2. Airtel\n3. Glo\n4. 9mobile\n0. Back"
    assert phone.send("1") == "CON Enter airtime amount (NGN 50 - 50,000):\n0. Back"
    assert phone.send("200") == "CON Buy MTN airtime (NGN 200) for 08050000002?\n1. Confirm\n2. Cancel\n0. Back"
    phone.send("1")
    phone.send("2580")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.recipient == OTHER
    assert purchase.network == "mtn"
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert messages_to(app, CALLER)[-1].body.startswith("NexusTop: NGN 200 airtime sent to 08050000002.")


@pytest.mark.parametrize("number", ["0805", "12345678901", "+15551234567", "08050000002x", "hello"])
def test_invalid_other_number_asks_again(phone, number):
    phone.dial()
    phone.send("1")
    phone.send("2")

    assert phone.send(number) == (
        "CON Not a valid Nigerian mobile number.\nEnter the phone number (e.g. 08031234567):\n0. Back"
    )


def test_history_lists_latest_movements(app, phone, run_jobs):
    buy_airtime(phone, "300")
    run_jobs()
    phone.dial()
    phone.send("3")

    screen = phone.send("3")

    lines = screen.split("\n")
    assert lines[0] == "CON Last transactions:"
    assert lines[1].endswith("Airtime -N300")
    assert lines[2].endswith("Credit +N5,000")
    assert lines[-1] == "0. Back"


def test_fund_wallet_sends_instructions(app, phone):
    phone.dial()
    phone.send("3")
    phone.send("2")

    assert phone.send("abc").startswith("CON Enter a whole amount from 100 to 1,000,000.")
    assert phone.send("2000") == "END We have sent you an SMS on how to add NGN 2,000 to your wallet."
    assert messages_to(app, CALLER)[-1].body == (
        "NexusTop: to add NGN 2,000 to your wallet, pay cash to any NexusTop agent and give them your number"
        " 08030000001. Your wallet is credited at once."
    )
    assert available_minor(app, CALLER) == 5000_00


def test_change_pin_then_old_pin_is_wrong(app, phone):
    phone.dial()
    phone.send("4")
    assert phone.send("1") == "CON Enter your current PIN:\n0. Back"
    assert phone.send("1111").startswith("CON Wrong PIN. Tries left: 2.")
    assert phone.send("2580") == "CON Enter your new 4-digit PIN:\n0. Back"
    assert phone.send("9999").startswith("CON Do not repeat one digit.")
    assert phone.send("2580").startswith("CON Choose a PIN different from the old one.")
    assert phone.send("1470") == "CON Enter the same PIN again to confirm:\n0. Back"
    assert phone.send("1470") == "END Your PIN has been changed. We have sent you an SMS."

    assert buy_airtime(phone, "100", pin="2580").startswith("CON Wrong PIN.")
    assert phone.send("1470").startswith("END Request received.")
    assert messages_to(app, CALLER)[-1].body.startswith("NexusTop: your PIN was changed.")


def test_language_change_to_pidgin(app, phone, run_jobs):
    phone.dial()
    phone.send("4")
    assert phone.send("2") == "CON Choose language:\n1. English\n2. Pidgin\n0. Back"

    screen = phone.send("2")

    assert screen == (
        "CON Language don change.\nNexusTop\n1. Buy Airtime\n2. Buy Data\n3. My Wallet\n4. Settings\n5. Help\n0. Comot"
    )
    final = buy_airtime(phone, "100")
    assert final.startswith("END We don receive am. Ref NT")
    run_jobs()
    assert messages_to(app, CALLER)[-1].body.startswith("NexusTop: NGN 100 airtime don enter 08030000001.")


def test_onboarding_in_pidgin(client):
    phone = AfricasTalkingPhone(client)
    phone.dial()

    assert phone.send("2") == "CON Make your 4-digit PIN:\n0. Comot"
    assert phone.send("1111") == "CON No use one number four times.\nMake your 4-digit PIN:\n0. Comot"


def test_help_explains_quick_dial(phone):
    phone.dial()

    assert phone.send("5") == (
        "CON Quick dial:\n*384*123*500# buys NGN 500 airtime for you\n*384*123*500*NUMBER# for another line\n"
        "0. Back 00. Menu"
    )


def test_unfinished_order_is_offered_on_next_dial(app, phone):
    phone.dial()
    for value in ("1", "1", "400", "1"):
        phone.send(value)
    ttl = get_redis(app).ttl(f"ussd:resume:{CALLER}")

    offer = phone.dial()
    assert offer == "CON " + MAIN_MENU.replace("0. Exit", "9. Finish NGN 400 MTN airtime\n0. Exit")
    assert phone.send("9") == "CON Pay NGN 400 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"
    assert phone.send("2580").startswith("END Request received.")

    assert 0 < ttl <= 600
    assert len(purchases(app)) == 1
    assert phone.dial() == f"CON {MAIN_MENU}"


def test_usual_keys_still_work_with_unfinished_order(app, phone):
    phone.dial()
    for value in ("1", "1", "400", "1"):
        phone.send(value)
    phone.dial()

    assert phone.send("1") == "CON Buy airtime for:\n1. My number\n2. Another number\n0. Back"
    assert phone.send("1") == "CON Enter airtime amount (NGN 50 - 50,000):\n0. Back"
    assert purchases(app) == []


@pytest.mark.parametrize(
    ("text", "service_code", "screen"),
    [
        ("500", "*384*123#", "CON Pay NGN 500 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"),
        ("", "*384*123*500#", "CON Pay NGN 500 for MTN airtime to 08030000001.\nEnter PIN:\n0. Back"),
        ("500*08050000002", "*384*123#", "CON Pay NGN 500 for Glo airtime to 08050000002.\nEnter PIN:\n0. Back"),
        ("", "*384*123*500*08050000002#", "CON Pay NGN 500 for Glo airtime to 08050000002.\nEnter PIN:\n0. Back"),
        ("20", "*384*123#", "CON Enter a whole amount from 50 to 50,000.\nEnter airtime amount (NGN 50 - 50,000):\n0. Back"),
        ("50001", "*384*123#", "CON Enter a whole amount from 50 to 50,000.\nEnter airtime amount (NGN 50 - 50,000):\n0. Back"),
        ("500*0805", "*384*123#", "CON Not a valid Nigerian mobile number.\nEnter the phone number (e.g. 08031234567):\n0. Back"),
        ("3*1", "*384*123#", "CON Balance: NGN 5,000\nOn hold: NGN 0\n0. Back 00. Menu"),
    ],
)
def test_speed_dial_from_text_or_service_code(app, client, phone, text, service_code, screen):
    phone.session_id = f"speed-{text}-{service_code}"
    response = client.post(
        "/ussd/africastalking",
        data={
            "sessionId": phone.session_id,
            "serviceCode": service_code,
            "phoneNumber": CALLER,
            "networkCode": "62130",
            "text": text,
        },
    )

    assert response.get_data(as_text=True) == screen
    assert purchases(app) == []


def test_speed_dial_purchase_completes_with_pin(app, phone, run_jobs):
    phone.dial("500*08050000002")

    final = phone.send("2580")
    run_jobs()

    assert final.startswith("END Request received.")
    [purchase] = purchases(app)
    assert (purchase.recipient, purchase.network, purchase.amount_minor) == (OTHER, "glo", 500_00)
    assert purchase.status == PurchaseStatus.SUCCEEDED


def test_hop_after_end_repeats_final_screen(app, phone):
    final = buy_airtime(phone, "100")

    again = phone.send("0")
    then = phone.send("1")

    assert again == final
    assert then == final
    assert len(purchases(app)) == 1


def test_daily_limit_says_what_is_left(app, phone, runner, monkeypatch):
    from app.services import service_settings
    from wallet.limits import TierLimits

    with app.app_context():
        tiers = service_settings().tier_limits
    monkeypatch.setitem(tiers, "basic", TierLimits(max_balance_minor=None, max_daily_debits_minor=1000_00))
    assert buy_airtime(phone, "700").startswith("END Request received.")

    screen = buy_airtime(phone, "400")

    assert screen == (
        "END This would pass your daily limit of NGN 1,000. You can spend NGN 300 more today. No money was taken."
    )
    assert available_minor(app, CALLER) == 4300_00


def test_session_event_is_stored_once_without_input(app, client):
    form = {
        "sessionId": "ATUid_end_1",
        "serviceCode": "*384*123#",
        "networkCode": "62130",
        "phoneNumber": CALLER,
        "status": "Incomplete",
        "hopsCount": "4",
        "durationInMillis": "41000",
        "input": "1*1*500*1*2580",
        "cost": "NGN 1.63",
        "date": "2026-12-04 12:00:00",
    }

    assert client.post("/ussd/africastalking/events", data=form).status_code == 200
    assert client.post("/ussd/africastalking/events", data=form).status_code == 200
    assert client.post("/ussd/africastalking/events", data={"status": "Success"}).status_code == 400

    with app.app_context():
        [ending] = db.session.execute(sa.select(UssdSessionEnd)).scalars().all()
        assert (ending.status, ending.hops_count, ending.duration_ms) == ("Incomplete", 4, 41000)
        assert ending.phone_number == CALLER
        assert "2580" not in repr(vars(ending))
