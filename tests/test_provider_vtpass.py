"""VTpass: its documented responses row by row, and purchases through it end to end.

VTpass's HTTP API is intercepted at the transport with `responses`, in its documented shapes.
"""

from datetime import UTC, datetime

import pytest
import requests
import responses
import sqlalchemy as sa

from app.extensions import db
from providers import Outcome
from providers.vtpass import VTpassProvider, interpret, make_request_id
from tests.phones import AfricasTalkingPhone
from tests.test_requery import assert_ledger_consistent, shift, sweep_and_run
from tests.test_ussd_africastalking import available_minor, buy_airtime, credit, messages_to, purchases
from wallet.models import Account, AccountKind, ProviderExchange, PurchaseStatus, utcnow

BASE_URL = "https://vtpass.test/api"
CALLER = "+2348030000001"


def answer(code: str, status: str | None = None, transaction_id: str = "17000000001") -> dict:
    body = {"code": code, "response_description": "TRANSACTION SUCCESSFUL", "requestId": "202501020030NT"}
    if status is not None:
        body["content"] = {"transactions": {"status": status, "transactionId": transaction_id, "amount": 500}}
    return body


def provider(clock=lambda: datetime(2025, 1, 1, 23, 30, tzinfo=UTC)) -> VTpassProvider:
    return VTpassProvider(BASE_URL, "api-key-1", "secret-key-1", 5, 25, clock=clock)


@pytest.mark.parametrize(
    ("body", "outcome"),
    [
        (answer("000", "delivered"), Outcome.SUCCEEDED),
        (answer("000", "initiated"), Outcome.UNKNOWN),
        (answer("000", "pending"), Outcome.UNKNOWN),
        (answer("000", "reversed"), Outcome.FAILED),
        (answer("000", "resolved"), Outcome.UNKNOWN),
        (answer("001", "delivered"), Outcome.SUCCEEDED),
        (answer("099"), Outcome.UNKNOWN),
        (answer("044"), Outcome.UNKNOWN),
        (answer("014"), Outcome.UNKNOWN),
        (answer("019"), Outcome.UNKNOWN),
        (answer("015"), Outcome.FAILED),
        (answer("091"), Outcome.FAILED),
        (answer("016"), Outcome.FAILED),
        (answer("010"), Outcome.FAILED),
        (answer("011"), Outcome.FAILED),
        (answer("012"), Outcome.FAILED),
        (answer("013"), Outcome.FAILED),
        (answer("017"), Outcome.FAILED),
        (answer("018"), Outcome.FAILED),
        (answer("021"), Outcome.FAILED),
        (answer("024"), Outcome.FAILED),
        (answer("555"), Outcome.UNKNOWN),
        ({"unexpected": True}, Outcome.UNKNOWN),
        ([1, 2], Outcome.UNKNOWN),
    ],
)
def test_answer_maps_to_outcome(body, outcome):
    assert interpret(body)[0] == outcome


def test_request_id_uses_lagos_time():
    assert make_request_id("NTABC", datetime(2025, 1, 1, 23, 30, tzinfo=UTC)) == "202501020030NTABC"


@responses.activate
def test_pay_request_has_documented_shape():
    responses.post(f"{BASE_URL}/pay", json=answer("000", "delivered"))

    result = provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "202501020030NTABC")

    assert result.outcome == Outcome.SUCCEEDED
    assert result.external_id == "17000000001"
    request = responses.calls[0].request
    assert request.headers["api-key"] == "api-key-1"
    assert request.headers["secret-key"] == "secret-key-1"
    assert request.req_kwargs["timeout"] == (5, 25)
    assert request.body == (
        b'{"request_id": "202501020030NTABC", "serviceID": "mtn", "amount": 500, "phone": "08030000002"}'
    )
    assert "secret-key-1" not in str(result.exchange)


@responses.activate
@pytest.mark.parametrize(
    ("failure", "outcome"),
    [
        (requests.ReadTimeout("read timed out"), Outcome.UNKNOWN),
        (requests.ConnectTimeout("connect timed out"), Outcome.FAILED),
    ],
)
def test_transport_failure_before_and_after_sending(failure, outcome):
    responses.post(f"{BASE_URL}/pay", body=failure)

    result = provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "202501020030NTABC")

    assert result.outcome == outcome


@responses.activate
def test_html_502_is_unknown():
    responses.post(f"{BASE_URL}/pay", body="<html><body>502 Bad Gateway</body></html>", status=502)

    result = provider().send_airtime("NTABC", "+2348030000002", 500_00, "NGN", "mtn", "202501020030NTABC")

    assert result.outcome == Outcome.UNKNOWN
    assert result.exchange["status"] == 502


def test_kobo_amount_is_refused_before_sending():
    result = provider().send_airtime("NTABC", "+2348030000002", 500_50, "NGN", "mtn", "202501020030NTABC")

    assert result.outcome == Outcome.FAILED


@pytest.fixture
def vtpass_route(override_config):
    override_config(
        VTPASS_BASE_URL=BASE_URL,
        VTPASS_API_KEY="api-key-1",
        VTPASS_SECRET_KEY="secret-key-1",
        PROVIDER_ROUTES="*.airtime=vtpass",
    )


@responses.activate
def test_pending_then_delivered_after_requeries(app, client, runner, run_jobs, vtpass_route):
    responses.post(f"{BASE_URL}/pay", json=answer("099"))
    responses.post(f"{BASE_URL}/requery", json=answer("000", "pending"))
    responses.post(f"{BASE_URL}/requery", json=answer("000", "delivered"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert purchase.provider == "vtpass"
    request_id = purchase.provider_request_id
    assert request_id.endswith(purchase.reference)
    for _ in range(2):
        shift(app, next_check_at=utcnow())
        sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert available_minor(app, CALLER) == 500_00
    receipts = [message.body for message in messages_to(app, CALLER) if "airtime" in message.body]
    assert len(receipts) == 1
    assert responses.calls[1].request.body == f'{{"request_id": "{request_id}"}}'.encode()
    with app.app_context():
        operations = db.session.execute(
            sa.select(ProviderExchange.operation, ProviderExchange.outcome).order_by(ProviderExchange.id)
        ).all()
        assert operations == [("send", "unknown"), ("requery", "unknown"), ("requery", "succeeded")]
        assert "secret-key-1" not in str(db.session.execute(sa.select(ProviderExchange.exchange)).scalars().all())
    assert_ledger_consistent(app)


@responses.activate
def test_reversed_voids_once_and_says_no_charge(app, client, runner, run_jobs, vtpass_route):
    responses.post(f"{BASE_URL}/pay", json=answer("000", "reversed"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.FAILED
    assert available_minor(app, CALLER) == 1000_00
    failures = [message.body for message in messages_to(app, CALLER) if "No money was taken" in message.body]
    assert len(failures) == 1
    assert_ledger_consistent(app)


@responses.activate
def test_timeout_then_015_fails_once(app, client, runner, run_jobs, vtpass_route):
    responses.post(f"{BASE_URL}/pay", body=requests.ReadTimeout("read timed out"))
    responses.post(f"{BASE_URL}/requery", json=answer("015"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()
    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert available_minor(app, CALLER) == 500_00
    shift(app, next_check_at=utcnow())
    sweep_and_run(app, run_jobs)

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.FAILED
    assert available_minor(app, CALLER) == 1000_00
    assert [call.request.url for call in responses.calls] == [f"{BASE_URL}/pay", f"{BASE_URL}/requery"]
    assert_ledger_consistent(app)


@pytest.fixture
def vtpass_then_sandbox(override_config, vtpass_route):
    override_config(PROVIDER_ROUTES="mtn.airtime=vtpass,sandbox")


@responses.activate
def test_refusal_fails_over_to_next_provider(app, client, runner, run_jobs, vtpass_then_sandbox):
    responses.post(f"{BASE_URL}/pay", json=answer("016"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert purchase.provider == "sandbox"
    assert available_minor(app, CALLER) == 500_00
    receipts = [message.body for message in messages_to(app, CALLER) if "airtime" in message.body]
    assert len(receipts) == 1
    assert receipts[0].startswith("NexusTop: NGN 500 airtime sent to")
    with app.app_context():
        clearing = dict(
            db.session.execute(
                sa.select(Account.owner, Account.credits_posted - Account.debits_posted).where(
                    Account.kind == AccountKind.PROVIDER_CLEARING
                )
            ).all()
        )
    assert clearing == {"vtpass": 0, "sandbox": 500_00}
    assert_ledger_consistent(app)


@responses.activate
def test_unknown_outcome_never_fails_over(app, client, runner, run_jobs, vtpass_then_sandbox):
    responses.post(f"{BASE_URL}/pay", json=answer("099"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    buy_airtime(phone, "500")
    run_jobs()

    [purchase] = purchases(app)
    assert purchase.status == PurchaseStatus.UNKNOWN
    assert purchase.provider == "vtpass"
    assert len(responses.calls) == 1


@responses.activate
def test_unreachable_provider_cools_down(app, client, runner, run_jobs, vtpass_then_sandbox):
    responses.post(f"{BASE_URL}/pay", body=requests.ConnectTimeout("connect timed out"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "5000")

    for _ in range(4):
        buy_airtime(phone, "100")
        run_jobs()

    statuses = [purchase.status for purchase in purchases(app)]
    assert statuses == [PurchaseStatus.SUCCEEDED] * 4
    # Three failed connections put VTpass in cool-down: the fourth purchase goes straight to the sandbox.
    assert len(responses.calls) == 3
    assert [purchase.provider for purchase in purchases(app)] == ["sandbox"] * 4


@responses.activate
def test_callback_triggers_requery_not_trust(app, client, runner, run_jobs, vtpass_route):
    responses.post(f"{BASE_URL}/pay", json=answer("099"))
    responses.post(f"{BASE_URL}/requery", json=answer("000", "delivered"))
    phone = AfricasTalkingPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")
    buy_airtime(phone, "500")
    run_jobs()
    [purchase] = purchases(app)
    callback = {
        "type": "transaction-update",
        "data": {
            "code": "000",
            "content": {"transactions": {"status": "reversed"}},
            "requestId": purchase.provider_request_id,
        },
    }

    response = client.post("/providers/vtpass/callback", json=callback)
    run_jobs()

    assert response.status_code == 200
    assert response.get_json() == {"response": "success"}
    [purchase] = purchases(app)
    # The callback reports reversed and the requery returns delivered: the requery decides.
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert available_minor(app, CALLER) == 500_00


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/providers/nobody/callback", {"type": "transaction-update"}, 404),
        ("/providers/vtpass/callback", {"type": "variations-update"}, 400),
        ("/providers/vtpass/callback", {"type": "transaction-update", "data": {}}, 400),
    ],
)
def test_bad_callback_gets_4xx(client, path, body, status):
    assert client.post(path, json=body).status_code == status


def test_callback_for_unknown_request_is_acknowledged(client):
    body = {"type": "transaction-update", "data": {"requestId": "202501020030NTNOPE"}}

    response = client.post("/providers/vtpass/callback", json=body)

    assert response.status_code == 200
    assert response.get_json() == {"response": "success"}
