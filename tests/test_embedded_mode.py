"""The embedded default (no DATABASE_URL, no REDIS_URL) as `make run` serves it."""

import time

import pytest

from app import create_app
from app.config import Config
from tests.phones import CALLER, AfricasTalkingPhone


@pytest.fixture
def embedded_app(tmp_path):
    # TESTING only keeps pytest's log capture; everything else is the `make run` path.
    app = create_app(
        Config, instance_path=str(tmp_path), DATABASE_URL=None, REDIS_URL=None, SECRET_KEY=None, TESTING=True
    )
    runner = app.test_cli_runner()
    for command in (["db", "upgrade"], ["seed"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    return app


def wait_for_inbox(client, phone_number: str, count: int, timeout_seconds: float = 20) -> list[dict]:
    """Poll the inbox until `count` messages have been sent, or the time is up."""
    deadline = time.monotonic() + timeout_seconds
    while True:
        inbox = client.get(f"/simulator/inbox?phone={phone_number}").get_json()
        sent = [message for message in inbox if message["status"] == "sent"]
        if len(sent) >= count or time.monotonic() > deadline:
            return inbox
        time.sleep(0.1)


def test_embedded_dialogue_delivers_receipt(embedded_app, tmp_path):
    client = embedded_app.test_client()
    phone = AfricasTalkingPhone(client)
    assert phone.register("2580").startswith("CON PIN created.\nNexusTop\n1. Buy Airtime")
    credited = embedded_app.test_cli_runner().invoke(
        args=["wallet", "credit", "08030000001", "1500", "--reason", "demo funding"]
    )
    assert credited.exit_code == 0, credited.output

    phone.send("1")
    phone.send("1")
    phone.send("200")
    phone.send("1")
    final = phone.send("2580")

    assert final.startswith("END Request received. Ref NT")
    reference = final.split("Ref ")[1][:10]
    inbox = wait_for_inbox(client, CALLER, count=2)
    bodies = [message["body"] for message in inbox]
    assert f"NexusTop: NGN 200 airtime sent to 08030000001. Ref {reference}. Balance NGN 1,300." in bodies
    assert "NexusTop: your wallet was credited with NGN 1,500. Balance NGN 1,500." in bodies
    assert all(message["status"] == "sent" for message in inbox)
    assert (tmp_path / "nexustop.sqlite3").exists()
    check = embedded_app.test_cli_runner().invoke(args=["ledger", "check"])
    assert check.exit_code == 0, check.output


def test_embedded_secret_key_survives_restart(tmp_path):
    first = create_app(Config, instance_path=str(tmp_path), DATABASE_URL=None, REDIS_URL=None, SECRET_KEY=None, TESTING=True)
    second = create_app(Config, instance_path=str(tmp_path), DATABASE_URL=None, REDIS_URL=None, SECRET_KEY=None, TESTING=True)

    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32


def test_production_mode_requires_secret_key(tmp_path):
    with pytest.raises(RuntimeError, match="SECRET_KEY is required"):
        create_app(
            Config,
            instance_path=str(tmp_path),
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
            REDIS_URL="redis://127.0.0.1:6379/15",
            SECRET_KEY=None,
            TESTING=True,
        )


def test_half_configured_production_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="set both DATABASE_URL and REDIS_URL"):
        create_app(
            Config,
            instance_path=str(tmp_path),
            DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/test",
            REDIS_URL=None,
            SECRET_KEY="x" * 40,
            TESTING=True,
        )
