"""GET /healthz for the load balancer."""

import redis

from app import queue


def test_healthy_service_answers_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "redis": "ok"}


def test_ping_answers_without_services(client):
    response = client.get("/ping")

    assert response.status_code == 200
    assert response.get_data(as_text=True) == "pong\n"


def test_redis_down_answers_503(app, client, monkeypatch):
    class DownRedis:
        def ping(self):
            raise redis.ConnectionError("connection refused")

    monkeypatch.setattr("app.health.get_redis", lambda: DownRedis())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "redis": "unavailable"}
    assert queue.get_redis(app).ping()


def test_simulator_inbox_rejects_invalid_phone(client):
    response = client.get("/simulator/inbox?phone=12")

    assert response.status_code == 400
    assert response.get_json() == {"error": "phone is missing or not a valid mobile number"}


def test_ussd_session_event_is_acknowledged(client, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="app.ussd"):
        response = client.post(
            "/ussd/africastalking/events",
            data={
                "sessionId": "ATUid_1",
                "status": "Incomplete",
                "hopsCount": "3",
                "durationInMillis": "41000",
                "input": "1*500*1*9753",
                "phoneNumber": "+2348030000001",
            },
        )

    assert response.status_code == 200
    assert "9753" not in caplog.text
    assert "session ended Incomplete after 3 hop(s)" in caplog.text
