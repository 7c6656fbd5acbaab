"""Outbound SMS through Africa's Talking's SDK, with its HTTP intercepted at the transport."""

import json
from urllib.parse import parse_qs

import pytest
import responses
import sqlalchemy as sa

from app.extensions import db
from sms.models import MessageStatus, OutboundMessage
from sms.outbound import queue_message
from sms.senders import AfricasTalkingSender, ConsoleSender, build_sender
from wallet.service import run_in_transaction

LIVE_URL = "https://api.africastalking.com/version1/messaging"
SANDBOX_URL = "https://api.sandbox.africastalking.com/version1/messaging"


def at_success(number="+2348030000001"):
    # The shape of the SDK's own test fixture for a successful send.
    return {
        "SMSMessageData": {
            "Message": "Sent to 1/1 Total Cost: NGN 2.2000",
            "Recipients": [
                {"statusCode": 101, "number": number, "status": "Success", "cost": "NGN 2.2000", "messageId": "ATPid_1"}
            ],
        }
    }


@responses.activate
def test_africastalking_sender_posts_documented_form():
    responses.post(LIVE_URL, json=at_success(), status=201)
    sender = AfricasTalkingSender("nexustop", "key-123", sender_id="NexusTop")

    result = sender.send("+2348030000001", "Hello")

    assert result.accepted
    assert result.external_id == "ATPid_1"
    request = responses.calls[0].request
    assert request.headers["apiKey"] == "key-123"
    form = parse_qs(request.body)
    assert form == {
        "username": ["nexustop"],
        "to": ["+2348030000001"],
        "message": ["Hello"],
        "bulkSMSMode": ["1"],
        "from": ["NexusTop"],
    }


@responses.activate
def test_africastalking_sandbox_username_uses_sandbox_host():
    responses.post(SANDBOX_URL, json=at_success(), status=201)

    result = AfricasTalkingSender("sandbox", "key").send("+2348030000001", "Hi")

    assert result.accepted


@responses.activate
def test_africastalking_blacklisted_recipient_fails_without_retry():
    body = at_success()
    body["SMSMessageData"]["Recipients"][0].update(statusCode=406, status="UserInBlacklist", messageId="None")
    responses.post(LIVE_URL, json=body, status=201)

    result = AfricasTalkingSender("nexustop", "key").send("+2348030000004", "Hi")

    assert not result.accepted
    assert not result.retryable
    assert result.error == "UserInBlacklist"


@responses.activate
def test_africastalking_http_error_is_rejected():
    responses.post(LIVE_URL, body="The supplied authentication is invalid", status=401)

    result = AfricasTalkingSender("nexustop", "bad-key").send("+2348030000001", "Hi")

    assert not result.accepted
    assert not result.retryable
    assert "authentication is invalid" in result.error


@responses.activate
def test_africastalking_timeout_is_retryable():
    import requests

    responses.post(LIVE_URL, body=requests.ConnectTimeout("connect timed out"))

    result = AfricasTalkingSender("nexustop", "key").send("+2348030000001", "Hi")

    assert not result.accepted
    assert result.retryable


def test_build_sender_needs_credentials():
    with pytest.raises(ValueError, match="AT_USERNAME and AT_API_KEY"):
        build_sender({"SMS_BACKEND": "africastalking", "AT_USERNAME": None, "AT_API_KEY": None})
    with pytest.raises(ValueError, match="unknown SMS_BACKEND"):
        build_sender({"SMS_BACKEND": "pigeon"})
    assert isinstance(build_sender({"SMS_BACKEND": "console"}), ConsoleSender)


@responses.activate
def test_send_job_records_external_id(app, run_jobs, monkeypatch):
    responses.post(LIVE_URL, json=at_success(), status=201)
    monkeypatch.setitem(app.config, "SMS_BACKEND", "africastalking")
    monkeypatch.setitem(app.config, "AT_USERNAME", "nexustop")
    monkeypatch.setitem(app.config, "AT_API_KEY", "key-123")
    from app.queue import dispatch

    with app.app_context():
        message = run_in_transaction(
            db.session, lambda s: queue_message(s, "+2348030000001", "Your receipt").id, dispatch
        )

    run_jobs()

    with app.app_context():
        stored = db.session.get(OutboundMessage, message)
        assert stored.status == MessageStatus.SENT
        assert stored.external_id == "ATPid_1"
        assert stored.backend == "africastalking"
    assert parse_qs(responses.calls[0].request.body)["message"] == ["Your receipt"]
    assert json.loads(responses.calls[0].response.text)["SMSMessageData"]["Recipients"][0]["status"] == "Success"
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(OutboundMessage)).scalar_one() == 1
