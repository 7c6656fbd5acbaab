"""Reloadly top-ups, with its HTTP intercepted at the transport in its documented shapes."""

import json

import pytest
import requests
import responses

import providers.reloadly
from providers import Outcome
from providers.reloadly import ReloadlyProvider
from tests.phones import AfricasTalkingPhone
from tests.test_requery import assert_ledger_consistent, shift, sweep_and_run
from tests.test_ussd_africastalking import available_minor, buy_airtime, credit, purchases
from wallet.models import PurchaseStatus, utcnow

BASE_URL = "https://topups.reloadly.test"
AUTH_URL = "https://auth.reloadly.test"
DETECT_URL = f"{BASE_URL}/operators/auto-detect/phone/2348030000002/countries/NG"
CALLER = "+2348030000001"


@pytest.fixture(autouse=True)
def fresh_token_cache():
    providers.reloadly._tokens.clear()
    yield
    providers.reloadly._tokens.clear()


def provider() -> ReloadlyProvider:
    return ReloadlyProvider(BASE_URL, AUTH_URL, "client-1", "client-secret-1", 5, 25)


def topup(status: str, transaction_id: int = 500001) -> dict:
    return {
        "transactionId": transaction_id,
        "status": status,
        "operatorTransactionId": None,
        "customIdentifier": "NTABC",
        "requestedAmount": 500,
        "requestedAmountCurrencyCode": "NGN",
        "deliveredAmount": 500,
        "deliveredAmountCurrencyCode": "NGN",
    }


def stub_token_and_operator(token: str = "token-1") -> None:
    responses.post(f"{AUTH_URL}/oauth/token", json={"access_token": token, "token_type": "Bearer", "expires_in": 86400})
    responses.get(DETECT_URL, json={"operatorId": 341, "name": "MTN Nigeria", "denominationType": "RANGE"})


@responses.activate
@pytest.mark.parametrize(
    ("status", "outcome"),
    [("SUCCESSFUL", Outcome.SUCCEEDED), ("PROCESSING", Outcome.UNKNOWN), ("REFUNDED", Outcome.FAILED), ("FAILED", Outcome.FAILED)],
)
def test_topup_status_maps_to_outcome(status, outcome):
    stub_token_and_operator()
    responses.post(f"{BASE_URL}/topups", json=topup(status))

    result = provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "NTABC")

    assert result.outcome == outcome


@responses.activate
def test_topup_request_shape_and_token_cached():
    stub_token_and_operator()
    responses.post(f"{BASE_URL}/topups", json=topup("SUCCESSFUL"))
    adapter = provider()

    adapter.send_airtime("NTAAA", "+2348030000002", 500_00, "NGN", "mtn", "NTAAA")
    adapter.send_airtime("NTBBB", "+2348030000002", 500_00, "NGN", "mtn", "NTBBB")

    token_calls = [call for call in responses.calls if call.request.url.endswith("/oauth/token")]
    assert len(token_calls) == 1
    assert json.loads(token_calls[0].request.body)["audience"] == BASE_URL
    topups = [call.request for call in responses.calls if call.request.url.endswith("/topups")]
    assert json.loads(topups[0].body) == {
        "operatorId": 341,
        "amount": 500,
        "useLocalAmount": True,
        "customIdentifier": "NTAAA",
        "recipientPhone": {"countryCode": "NG", "number": "+2348030000002"},
    }
    assert topups[0].headers["Authorization"] == "Bearer token-1"
    assert topups[0].headers["Accept"] == "application/com.reloadly.topups-v1+json"


@responses.activate
def test_expired_token_refreshed_once_with_same_identifier():
    responses.post(f"{AUTH_URL}/oauth/token", json={"access_token": "old", "expires_in": 86400})
    responses.post(f"{AUTH_URL}/oauth/token", json={"access_token": "new", "expires_in": 86400})
    responses.get(DETECT_URL, json={"operatorId": 341})
    responses.post(f"{BASE_URL}/topups", json={"errorCode": "TOKEN_EXPIRED", "message": "expired"}, status=401)
    responses.post(f"{BASE_URL}/topups", json=topup("SUCCESSFUL"))

    result = provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "NTABC")

    assert result.outcome == Outcome.SUCCEEDED
    topups = [call.request for call in responses.calls if call.request.url.endswith("/topups")]
    assert [json.loads(request.body)["customIdentifier"] for request in topups] == ["NTABC", "NTABC"]
    assert topups[1].headers["Authorization"] == "Bearer new"


@responses.activate
@pytest.mark.parametrize(
    ("error_code", "outcome"),
    [("CUSTOM_IDENTIFIER_ALREADY_USED", Outcome.UNKNOWN), ("PHONE_RECENTLY_RECHARGED", Outcome.FAILED), ("INVALID_AMOUNT", Outcome.FAILED)],
)
def test_rejections(error_code, outcome):
    stub_token_and_operator()
    responses.post(f"{BASE_URL}/topups", json={"errorCode": error_code, "message": "rejected"}, status=400)

    assert provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "NTABC").outcome == outcome


@responses.activate
def test_timeouts_before_and_after_sending():
    stub_token_and_operator()
    responses.post(f"{BASE_URL}/topups", body=requests.ReadTimeout("read timed out"))
    assert provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "NTABC").outcome == Outcome.UNKNOWN

    responses.replace(responses.POST, f"{BASE_URL}/topups", body=requests.ConnectTimeout("connect timed out"))
    assert provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "NTABC").outcome == Outcome.FAILED


@responses.activate
def test_requery_reads_report_by_identifier():
    stub_token_and_operator()
    responses.get(f"{BASE_URL}/topups/reports/transactions", json={"content": [topup("SUCCESSFUL")]})

    result = provider().requery("NTABC", "+2348030000002", "NTABC")

    assert result.outcome == Outcome.SUCCEEDED
    assert responses.calls[-1].request.params == {"customIdentifier": "NTABC"}


@pytest.fixture
def reloadly_route(override_config):
    override_config(
        RELOADLY_BASE_URL=BASE_URL,
        RELOADLY_AUTH_URL=AUTH_URL,
        RELOADLY_CLIENT_ID="client-1",
        RELOADLY_CLIENT_SECRET="client-secret-1",
        PROVIDER_ROUTES="*.airtime=reloadly",
    )


@responses.activate
def test_lost_response_recovered_through_report(app, client, runner, run_jobs, reloadly_route):
    responses.post(f"{AUTH_URL}/oauth/token", json={"access_token": "token-1", "expires_in": 86400})
    responses.get(f"{BASE_URL}/operators/auto-detect/phone/2348030000001/countries/NG", json={"operatorId": 341})
    responses.post(f"{BASE_URL}/topups", body=requests.ReadTimeout("read timed out"))
    responses.get(f"{BASE_URL}/topups/reports/transactions", json={"content": [topup("SUCCESSFUL")]})
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    shift(app, next_check_at=utcnow())
    sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert purchase.external_id == "500001"
    assert available_minor(app, CALLER) == 500_00
    topups = [call for call in responses.calls if call.request.url.endswith("/topups")]
    assert len(topups) == 1
    assert_ledger_consistent(app)


@responses.activate
def test_recently_recharged_says_try_again_later(app, client, runner, run_jobs, reloadly_route):
    from tests.test_ussd_africastalking import messages_to

    responses.post(f"{AUTH_URL}/oauth/token", json={"access_token": "token-1", "expires_in": 86400})
    responses.get(f"{BASE_URL}/operators/auto-detect/phone/2348030000001/countries/NG", json={"operatorId": 341})
    responses.post(
        f"{BASE_URL}/topups", json={"errorCode": "PHONE_RECENTLY_RECHARGED", "message": "recently recharged"}, status=400
    )
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "200")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.FAILED
    assert available_minor(app, CALLER) == 1000_00
    assert messages_to(app, CALLER)[-1].body.startswith(
        "NexusTop: 08030000001 was topped up moments ago, so NGN 200 airtime was not sent. No money was taken."
    )
    assert len([call for call in responses.calls if call.request.url.endswith("/topups")]) == 1
