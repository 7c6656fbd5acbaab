"""Africa's Talking airtime through its SDK, with AT's HTTP intercepted at the transport."""

import json
from urllib.parse import parse_qs

import pytest
import responses

from providers import Outcome
from providers.africastalking import AfricasTalkingAirtimeProvider, interpret
from tests.phones import AfricasTalkingPhone
from tests.test_requery import assert_ledger_consistent
from tests.test_ussd_africastalking import available_minor, buy_airtime, credit, messages_to, purchases
from wallet.models import PurchaseStatus

SEND_URL = "https://api.africastalking.com/version1/airtime/send"
CALLER = "+2348030000001"


def at_answer(status: str, error_message: str = "None", num_sent: int = 1) -> dict:
    # The shape of the SDK's own test fixture, with Nigerian values.
    return {
        "errorMessage": error_message,
        "numSent": num_sent,
        "totalAmount": "NGN 100.0000",
        "totalDiscount": "NGN 4.0000",
        "responses": [
            {
                "phoneNumber": "+2348030000002",
                "errorMessage": "None",
                "amount": "NGN 100.0000",
                "status": status,
                "requestId": "ATQid_000001",
                "discount": "NGN 4.0000",
            }
        ],
    }


def provider() -> AfricasTalkingAirtimeProvider:
    return AfricasTalkingAirtimeProvider("nexustop", "at-key-1", 5, 25)


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (at_answer("Sent"), Outcome.UNKNOWN),
        (at_answer("Success"), Outcome.SUCCEEDED),
        (at_answer("Queued"), Outcome.UNKNOWN),
        (at_answer("Failed", num_sent=0), Outcome.FAILED),
        (at_answer("InvalidRequest", num_sent=0), Outcome.FAILED),
        (at_answer("NotSupported", num_sent=0), Outcome.FAILED),
        (at_answer("SomethingNew"), Outcome.UNKNOWN),
        ({"errorMessage": "A duplicate request was received within the last 5 minutes", "responses": []}, Outcome.UNKNOWN),
        ({"errorMessage": "None", "numSent": 0, "responses": []}, Outcome.UNKNOWN),
        ("not json", Outcome.UNKNOWN),
    ],
)
def test_answer_maps_to_outcome(body, outcome):
    assert interpret(body)[0] == outcome


@responses.activate
def test_send_posts_naira_amount_and_our_key():
    responses.post(SEND_URL, json=at_answer("Sent"), status=201)

    result = provider().send_airtime("NTABC", "+2348030000002", 100_00, "NGN", "mtn", "NTABC")

    assert result.outcome == Outcome.UNKNOWN
    assert result.external_id == "ATQid_000001"
    request = responses.calls[0].request
    assert request.headers["Idempotency-Key"] == "NTABC"
    assert request.headers["apiKey"] == "at-key-1"
    form = parse_qs(request.body)
    assert form["username"] == ["nexustop"]
    assert json.loads(form["recipients"][0]) == [{"phoneNumber": "+2348030000002", "amount": "NGN 100"}]
    assert "at-key-1" not in str(result.exchange)


@responses.activate
def test_each_send_carries_only_its_own_key():
    responses.post(SEND_URL, json=at_answer("Sent"), status=201)
    adapter = provider()

    adapter.send_airtime("NTAAA", "+2348030000002", 100_00, "NGN", "mtn", "NTAAA")
    adapter.send_airtime("NTBBB", "+2348030000003", 100_00, "NGN", "mtn", "NTBBB")

    assert [call.request.headers["Idempotency-Key"] for call in responses.calls] == ["NTAAA", "NTBBB"]


def test_currency_not_of_the_number_is_refused_before_sending():
    result = provider().send_airtime("NTABC", "+2348030000002", 100_00, "KES", "mtn", "NTABC")

    assert result.outcome == Outcome.FAILED


@responses.activate
def test_server_error_is_unknown():
    responses.post(SEND_URL, body="Internal Server Error", status=500)

    result = provider().send_airtime("NTABC", "+2348030000002", 100_00, "NGN", "mtn", "NTABC")

    assert result.outcome == Outcome.UNKNOWN


@pytest.fixture
def at_route(override_config):
    override_config(AT_USERNAME="nexustop", AT_API_KEY="at-key-1", PROVIDER_ROUTES="*.airtime=africastalking")


def buy(client, runner) -> None:
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")
    assert buy_airtime(phone, "100").startswith("END Request received.")


@responses.activate
def test_failed_recipient_refunds_once(app, client, runner, run_jobs, at_route):
    responses.post(SEND_URL, json=at_answer("Failed", num_sent=0), status=201)
    buy(client, runner)
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.FAILED
    assert available_minor(app, CALLER) == 1000_00
    assert len([m for m in messages_to(app, CALLER) if "No money was taken" in m.body]) == 1
    assert_ledger_consistent(app)


@responses.activate
@pytest.mark.parametrize(("callback_status", "final", "available"), [("Failed", PurchaseStatus.FAILED, 1000_00), ("Success", PurchaseStatus.SUCCEEDED, 900_00)])
def test_sent_waits_for_status_callback(app, client, runner, run_jobs, at_route, callback_status, final, available):
    responses.post(SEND_URL, json=at_answer("Sent"), status=201)
    buy(client, runner)
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert available_minor(app, CALLER) == 900_00

    form = {"requestId": "ATQid_000001", "status": callback_status, "phoneNumber": "+2348030000002"}
    assert client.post("/providers/africastalking/callback", data=form).status_code == 200
    assert client.post("/providers/africastalking/callback", data=form).status_code == 200
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == final
    assert available_minor(app, CALLER) == available
    receipts = [m.body for m in messages_to(app, CALLER) if "airtime" in m.body]
    assert len(receipts) == 1
    assert_ledger_consistent(app)


@responses.activate
def test_duplicate_within_five_minutes_is_not_refunded(app, client, runner, run_jobs, at_route):
    duplicate = {"errorMessage": "A duplicate request was received within the last 5 minutes", "responses": []}
    responses.post(SEND_URL, json=duplicate, status=201)
    buy(client, runner)
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert available_minor(app, CALLER) == 900_00


def test_bad_at_callback_gets_400(client):
    assert client.post("/providers/africastalking/callback", data={"requestId": "x"}).status_code == 400
    assert client.post("/providers/africastalking/callback", data={"status": "Success"}).status_code == 400
