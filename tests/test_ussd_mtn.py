"""Dialogues posted to POST /ussd/mtn as MTN's USSD gateway (MADAPI) posts them."""

import itertools

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import UssdSessionEnd
from tests.test_ussd_africastalking import available_minor, credit, messages_to, purchases
from wallet.models import PurchaseStatus

MSISDN = "2348030000001"
CALLER = "+2348030000001"
_sessions = itertools.count(1)


class MtnPhone:
    """Posts one JSON request per hop, with only the latest input in `ussdString`."""

    def __init__(self, client, msisdn: str = MSISDN, api_key: str | None = None):
        self.client = client
        self.msisdn = msisdn
        self.api_key = api_key
        self.session_id = ""

    def post(self, message_type: str, ussd_string: str):
        headers = {"x-api-key": self.api_key} if self.api_key else {}
        return self.client.post(
            "/ussd/mtn",
            json={
                "sessionId": self.session_id,
                "messageType": message_type,
                "msisdn": self.msisdn,
                "serviceCode": "*384*123#",
                "ussdString": ussd_string,
                "cellId": "621301234",
                "language": "en",
            },
            headers=headers,
        )

    def dial(self, dialled: str = "*384*123#") -> dict:
        self.session_id = f"mtn-{next(_sessions)}"
        return self._data(self.post("0", dialled))

    def send(self, value: str) -> dict:
        return self._data(self.post("1", value))

    @staticmethod
    def _data(response) -> dict:
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert body["statusCode"] == "0000"
        return body["data"]

    def register(self, pin: str = "2580") -> dict:
        self.dial()
        self.send("1")
        self.send(pin)
        return self.send(pin)


def test_mtn_whole_airtime_purchase(app, client, runner, run_jobs):
    phone = MtnPhone(client)
    first = phone.dial()
    assert first["inboundResponse"] == "Welcome to NexusTop.\nChoose language:\n1. English\n2. Pidgin\n0. Exit"
    assert first["userInputRequired"] is True
    assert first["messageType"] == "1"
    assert first["msisdn"] == MSISDN
    assert phone.send("1")["inboundResponse"] == "Create a 4-digit PIN:\n0. Exit"
    phone.send("2580")
    assert phone.send("2580")["inboundResponse"].startswith("PIN created.\nNexusTop")
    credit(runner, CALLER, "1000")

    assert phone.send("1")["inboundResponse"] == "Buy airtime for:\n1. My number\n2. Another number\n0. Back"
    assert phone.send("1")["inboundResponse"] == "Enter airtime amount (NGN 50 - 50,000):\n0. Back"
    phone.send("250")
    phone.send("1")
    final = phone.send("2580")
    run_jobs()

    assert final["userInputRequired"] is False
    assert final["messageType"] == "2"
    assert final["inboundResponse"].startswith("Request received. Ref NT")
    [purchase] = purchases(app)
    assert purchase.network == "mtn"
    assert purchase.status == PurchaseStatus.SUCCEEDED
    assert available_minor(app, CALLER) == 750_00
    assert messages_to(app, CALLER)[-1].body.startswith("NexusTop: NGN 250 airtime sent to 08030000001.")


def test_mtn_star_in_input_is_one_input(client):
    phone = MtnPhone(client)
    phone.register()
    phone.dial()
    phone.send("1")
    phone.send("1")

    screen = phone.send("5*0")

    assert screen["inboundResponse"].startswith("Enter a whole amount from 50 to 50,000.")


def test_mtn_speed_dial_in_dialled_string(app, client, runner):
    phone = MtnPhone(client)
    phone.register()
    credit(runner, CALLER, "1000")

    screen = phone.dial("*384*123*300*08050000002#")

    assert screen["inboundResponse"] == "Pay NGN 300 for Glo airtime to 08050000002.\nEnter PIN:\n0. Back"
    assert phone.send("2580")["inboundResponse"].startswith("Request received.")
    [purchase] = purchases(app)
    assert purchase.recipient == "+2348050000002"


@pytest.mark.parametrize(("message_type", "status"), [("2", "End"), ("4", "Cancel"), ("5", "Timeout")])
def test_mtn_session_ending_is_recorded(app, client, message_type, status):
    phone = MtnPhone(client)
    phone.dial()

    response = phone.post(message_type, "user aborted")

    assert response.status_code == 200
    assert response.get_json()["statusCode"] == "0000"
    with app.app_context():
        [ending] = db.session.execute(sa.select(UssdSessionEnd)).scalars().all()
        assert (ending.gateway, ending.session_id, ending.status) == ("mtn", phone.session_id, status)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"messageType": "0", "msisdn": MSISDN, "serviceCode": "*384*123#"}, "sessionId"),
        ({"sessionId": "S", "msisdn": MSISDN, "serviceCode": "*384*123#"}, "messageType"),
        ({"sessionId": "S", "messageType": "7", "msisdn": MSISDN, "serviceCode": "*384*123#"}, "messageType"),
        ({"sessionId": "S", "messageType": "0", "serviceCode": "*384*123#"}, "msisdn"),
        ({"sessionId": "S", "messageType": "0", "msisdn": "23480", "serviceCode": "*384*123#"}, "msisdn"),
        ([1, 2, 3], "not a JSON object"),
    ],
)
def test_mtn_bad_request_gets_400_with_reason(client, body, reason):
    response = client.post("/ussd/mtn", json=body)

    assert response.status_code == 400
    assert reason in response.get_json()["statusMessage"]


def test_mtn_body_that_is_not_json_gets_400(client):
    response = client.post("/ussd/mtn", data="sessionId=1", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 400
    assert "not a JSON object" in response.get_json()["statusMessage"]


def test_mtn_cancelled_session_cannot_go_on(app, client):
    phone = MtnPhone(client)
    phone.register()
    assert phone.post("4", "user cancelled").status_code == 200

    screen = phone.send("1")

    assert screen["userInputRequired"] is False
    assert screen["inboundResponse"] == "This session has ended. Dial *384*123# to start again."


def test_mtn_continue_of_unknown_session_ends(client):
    phone = MtnPhone(client)
    phone.session_id = "never-begun"

    screen = phone.send("1")

    assert screen["userInputRequired"] is False


def test_mtn_wrong_api_key_gets_401(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MTN_USSD_API_KEY", "secret-key-1")

    assert MtnPhone(client, api_key="wrong").post("0", "*384*123#").status_code == 401
    assert MtnPhone(client).post("0", "*384*123#").status_code == 401
    assert MtnPhone(client, api_key="secret-key-1").dial()["userInputRequired"] is True
