"""Money as integers of kobo: parsing, formatting, percentages, and no floats anywhere."""

import ast
import random
from pathlib import Path

import pytest

from app.extensions import db
from wallet import ledger
from wallet.models import AccountKind
from wallet.money import format_amount, parse_whole_major, percentage_of

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("amount_minor", "text"),
    [(150050, "NGN 1,500.50"), (150000, "NGN 1,500"), (10, "NGN 0.10"), (0, "NGN 0"), (-1950, "NGN -19.50")],
)
def test_format_amount(amount_minor, text):
    assert format_amount(amount_minor, "NGN") == text


@pytest.mark.parametrize(
    ("amount_minor", "basis_points", "expected"),
    [(2000, 350, 70), (10000, 350, 350), (1, 5000, 1), (3, 5000, 2), (1, 4999, 0), (0, 350, 0)],
)
def test_percentage_rounds_half_up(amount_minor, basis_points, expected):
    assert percentage_of(amount_minor, basis_points) == expected


@pytest.mark.parametrize(("text", "minor"), [("500", 50000), ("0500", 50000), ("500.5", None), ("5e2", None), ("", None)])
def test_parse_whole_major(text, minor):
    assert parse_whole_major(text) == minor


def test_random_credits_and_debits_net_to_zero(app_context):
    generator = random.Random(20261204)
    with db.session.begin():
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "operations", "NGN").id
        wallet = ledger.get_or_create_account(db.session, AccountKind.CUSTOMER_WALLET, "1", "NGN").id
        for pair in range(300):
            amount = generator.randint(1, 10_000_00)
            for direction, (debit, credit) in enumerate([(source, wallet), (wallet, source)]):
                ledger.create_transfer(
                    db.session,
                    idempotency_key=f"walk-{pair}-{direction}",
                    debit_account_id=debit,
                    credit_account_id=credit,
                    amount_minor=amount,
                    ledger="NGN",
                    code="walk",
                )
        assert ledger.get_balance(db.session, wallet).available_minor == 0
        assert ledger.check(db.session) == []


def test_three_credits_of_ten_kobo_less_thirty_is_zero(app_context):
    with db.session.begin():
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "operations", "NGN").id
        wallet = ledger.get_or_create_account(db.session, AccountKind.CUSTOMER_WALLET, "1", "NGN").id
        for number in range(3):
            ledger.create_transfer(db.session, idempotency_key=f"c{number}", debit_account_id=source,
                                   credit_account_id=wallet, amount_minor=10, ledger="NGN", code="credit")
        ledger.create_transfer(db.session, idempotency_key="d", debit_account_id=wallet,
                               credit_account_id=source, amount_minor=30, ledger="NGN", code="debit")
        assert ledger.get_balance(db.session, wallet).available_minor == 0


@pytest.mark.parametrize("package", ["wallet", "providers", "sms", "ussd_flows"])
def test_no_float_on_money_path(package):
    # The packages amounts pass through; `app` is left out because it times things in seconds.
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"
            assert not (isinstance(node, ast.Name) and node.id == "float"), f"{where} uses float"
            assert not (isinstance(node, ast.Constant) and isinstance(node.value, float)), f"{where} has a float literal"
