"""Operator commands: wallet credit, seed and their bad input."""

import click
import pytest
import sqlalchemy as sa

from app.cli import parse_major_amount
from app.extensions import db
from tests.phones import CALLER
from tests.test_ussd_africastalking import available_minor
from wallet.models import Account, Transfer


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1500", 150000), ("19.50", 1950), ("0.10", 10), ("1500.5", 150050), ("1,500", None), ("0", None),
     ("0.00", None), ("-5", None), ("1.234", None), ("abc", None), ("NaN", None), ("Infinity", None),
     ("1e3", None), ("1e17", None), ("1000000000", None), (" 5", None), ("5.", None), ("٥", None),
     ("１０", None), ("999999999.99", 99999999999)],
)
def test_major_amount_parsing_is_exact(text, minor):
    if minor is None:
        with pytest.raises(click.BadParameter):
            parse_major_amount(text)
    else:
        assert parse_major_amount(text) == minor


def test_credit_creates_wallet_and_sms(app, runner):
    result = runner.invoke(args=["wallet", "credit", "0803 000 0001", "19.50", "--reason", "refund of ticket 12"])

    assert result.exit_code == 0, result.output
    assert "Credited NGN 19.50 to +2348030000001" in result.output
    assert available_minor(app, CALLER) == 1950
    with app.app_context():
        transfer = db.session.execute(sa.select(Transfer)).scalar_one()
        assert transfer.memo == "refund of ticket 12"
        assert transfer.code == "manual_credit"


def test_credit_with_same_idempotency_key_credits_once(app, runner):
    args = ["wallet", "credit", CALLER, "100", "--reason", "promo", "--idempotency-key", "promo-2026-12"]

    assert runner.invoke(args=args).exit_code == 0
    rerun = runner.invoke(args=args)

    assert rerun.exit_code == 0
    assert "Already credited with this idempotency key" in rerun.output
    assert available_minor(app, CALLER) == 100_00


def test_credit_reusing_key_for_other_amount_is_refused(app, runner):
    base = ["wallet", "credit", CALLER]
    assert runner.invoke(args=base + ["100", "--reason", "promo", "--idempotency-key", "k1"]).exit_code == 0

    result = runner.invoke(args=base + ["200", "--reason", "promo", "--idempotency-key", "k1"])

    assert result.exit_code == 1
    assert "idempotency key 'k1' was used before for a different credit" in result.output
    assert available_minor(app, CALLER) == 100_00


def test_credit_beyond_tier_balance_is_refused(app, runner):
    result = runner.invoke(args=["wallet", "credit", CALLER, "300000.01", "--reason", "too much"])

    assert result.exit_code == 1
    assert "maximum balance of NGN 300,000" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["wallet", "credit", "12345", "100", "--reason", "x"], "is not a valid mobile number"),
        (["wallet", "credit", CALLER, "ten", "--reason", "x"], "is not an amount"),
        (["wallet", "credit", CALLER, "100"], "Missing option '--reason'"),
        (["wallet", "credit", CALLER, "100", "--reason", "  "], "give the reason for the credit"),
        (["wallet", "credit", CALLER, "-5", "--reason", "x"], "'-5' is not an amount"),
        (["wallet", "credit", CALLER, "99999999999999999999", "--reason", "x"], "is too large"),
    ],
)
def test_credit_bad_input_exits_2_without_money(app, runner, args, message):
    result = runner.invoke(args=args)

    assert result.exit_code == 2
    assert message in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Transfer)).scalar_one() == 0


def test_seed_twice_keeps_one_set_of_accounts(app, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    result = runner.invoke(args=["seed"])

    assert result.exit_code == 0
    assert "3 system accounts" in result.output
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Account)).scalar_one() == 3


def test_ledger_check_passes_on_empty_ledger(runner):
    result = runner.invoke(args=["ledger", "check"])

    assert result.exit_code == 0
    assert "ledger check passed" in result.output
