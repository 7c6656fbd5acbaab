"""The ledger on PostgreSQL: transfers, holds, named errors and `ledger check`."""

from datetime import date

import pytest
import sqlalchemy as sa

from app.extensions import db
from wallet import ledger
from wallet.errors import (
    ExceedsCredits,
    IdempotencyConflict,
    InvalidAmount,
    LimitExceeded,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
    PendingTransferNotFound,
)
from wallet.models import Account, AccountKind

NGN = "NGN"


@pytest.fixture
def session(app_context):
    with db.session.begin():
        yield db.session


@pytest.fixture
def accounts(app_context):
    """A funding source, a customer wallet holding NGN 5,000 and a provider clearing account."""
    with db.session.begin():
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "operations", NGN)
        wallet = ledger.get_or_create_account(db.session, AccountKind.CUSTOMER_WALLET, "1", NGN)
        clearing = ledger.get_or_create_account(db.session, AccountKind.PROVIDER_CLEARING, "sandbox", NGN)
        ledger.create_transfer(
            db.session,
            idempotency_key="fund-1",
            debit_account_id=source.id,
            credit_account_id=wallet.id,
            amount_minor=5000_00,
            ledger=NGN,
            code="manual_credit",
        )
        ids = source.id, wallet.id, clearing.id
    return ids


def hold(session, wallet_id, clearing_id, amount_minor, key="hold-1"):
    return ledger.create_transfer(
        session,
        idempotency_key=key,
        debit_account_id=wallet_id,
        credit_account_id=clearing_id,
        amount_minor=amount_minor,
        ledger=NGN,
        code="airtime_purchase",
        pending=True,
    )


def assert_ledger_consistent():
    with db.session.begin():
        assert ledger.check(db.session) == []


def test_transfer_moves_posted_balances(accounts):
    source, wallet, _ = accounts

    with db.session.begin():
        assert ledger.get_balance(db.session, wallet).available_minor == 5000_00
        assert ledger.get_balance(db.session, source).debits_posted == 5000_00
    assert_ledger_consistent()


def test_hold_reserves_then_post_settles(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 1200_00)
    with db.session.begin():
        balance = ledger.get_balance(db.session, wallet)
        assert balance.available_minor == 3800_00
        assert balance.on_hold_minor == 1200_00

    with db.session.begin():
        ledger.post_pending(db.session, pending.id, idempotency_key="post-1")

    with db.session.begin():
        balance = ledger.get_balance(db.session, wallet)
        assert balance.debits_pending == 0
        assert balance.debits_posted == 1200_00
        assert balance.available_minor == 3800_00
        assert ledger.get_balance(db.session, clearing).credits_posted == 1200_00
    assert_ledger_consistent()


def test_void_returns_whole_hold(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 700_00)
        ledger.void_pending(db.session, pending.id, idempotency_key="void-1")

    with db.session.begin():
        assert ledger.get_balance(db.session, wallet).available_minor == 5000_00
        assert ledger.get_balance(db.session, clearing).credits_pending == 0
    assert_ledger_consistent()


def test_partial_post_returns_rest(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 1000_00)
        ledger.post_pending(db.session, pending.id, idempotency_key="post-1", amount_minor=600_00)

    with db.session.begin():
        balance = ledger.get_balance(db.session, wallet)
        assert balance.debits_posted == 600_00
        assert balance.debits_pending == 0
        assert balance.available_minor == 4400_00
    assert_ledger_consistent()


def test_post_more_than_pending_is_invalid(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 100_00)
        with pytest.raises(InvalidAmount):
            ledger.post_pending(db.session, pending.id, idempotency_key="post-1", amount_minor=101_00)


def test_hold_beyond_balance_raises_and_changes_nothing(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        with pytest.raises(ExceedsCredits) as raised:
            hold(db.session, wallet, clearing, 5000_01)
        assert raised.value.account_id == wallet
        assert ledger.get_balance(db.session, wallet).available_minor == 5000_00
        assert ledger.get_balance(db.session, clearing).credits_pending == 0
    assert_ledger_consistent()


def test_replayed_key_returns_original_transfer(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        first = hold(db.session, wallet, clearing, 300_00)
        again = hold(db.session, wallet, clearing, 300_00)

        assert again.id == first.id
        assert ledger.get_balance(db.session, wallet).on_hold_minor == 300_00


def test_replayed_key_with_other_amount_conflicts(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        hold(db.session, wallet, clearing, 300_00)
        with pytest.raises(IdempotencyConflict):
            hold(db.session, wallet, clearing, 301_00)


def test_second_post_raises_already_posted(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 100_00)
        ledger.post_pending(db.session, pending.id, idempotency_key="post-1")
        with pytest.raises(PendingTransferAlreadyPosted):
            ledger.post_pending(db.session, pending.id, idempotency_key="post-2")
        with pytest.raises(PendingTransferAlreadyPosted):
            ledger.void_pending(db.session, pending.id, idempotency_key="void-1")


def test_void_after_void_raises_already_voided(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 100_00)
        ledger.void_pending(db.session, pending.id, idempotency_key="void-1")
        with pytest.raises(PendingTransferAlreadyVoided):
            ledger.void_pending(db.session, pending.id, idempotency_key="void-2")
        with pytest.raises(PendingTransferAlreadyVoided):
            ledger.post_pending(db.session, pending.id, idempotency_key="post-1")


def test_replayed_post_key_returns_original_post(accounts):
    _, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 100_00)
        posted = ledger.post_pending(db.session, pending.id, idempotency_key="post-1")

        assert ledger.post_pending(db.session, pending.id, idempotency_key="post-1").id == posted.id


def test_resolving_single_phase_transfer_is_not_found(accounts):
    source, wallet, _ = accounts
    with db.session.begin():
        single = ledger.create_transfer(
            db.session,
            idempotency_key="single",
            debit_account_id=wallet,
            credit_account_id=source,
            amount_minor=1,
            ledger=NGN,
            code="test",
        )
        with pytest.raises(PendingTransferNotFound):
            ledger.post_pending(db.session, single.id, idempotency_key="post-1")


@pytest.mark.parametrize("amount", [0, -1, 1.5, "100", True])
def test_amount_must_be_positive_integer(accounts, amount):
    source, wallet, _ = accounts
    with db.session.begin():
        with pytest.raises(InvalidAmount):
            ledger.create_transfer(
                db.session,
                idempotency_key="bad",
                debit_account_id=source,
                credit_account_id=wallet,
                amount_minor=amount,
                ledger=NGN,
                code="test",
            )


def test_check_reports_tampered_balance(accounts, runner):
    _, wallet, _ = accounts
    with db.session.begin():
        db.session.execute(sa.update(Account).where(Account.id == wallet).values(credits_posted=Account.credits_posted + 1))

    with db.session.begin():
        mismatches = ledger.check(db.session)
    result = runner.invoke(args=["ledger", "check"])

    assert [(m.account_id, m.column, m.stored, m.recomputed) for m in mismatches] == [
        (wallet, "credits_posted", 5000_01, 5000_00),
        (None, "debits_posted - credits_posted", -1, 0),
    ]
    assert result.exit_code == 1
    assert f"account {wallet}: credits_posted is 500001, transfers give 500000" in result.output


def test_statement_has_running_balance(accounts):
    source, wallet, clearing = accounts
    with db.session.begin():
        pending = hold(db.session, wallet, clearing, 1200_00)
        ledger.post_pending(db.session, pending.id, idempotency_key="post-1")
        lines = ledger.get_statement(db.session, wallet)

    assert [(line.code, line.amount_minor, line.balance_after_minor) for line in lines] == [
        ("airtime_purchase", -1200_00, 3800_00),
        ("manual_credit", 5000_00, 5000_00),
    ]


def test_get_or_create_account_returns_same_account(app_context):
    with db.session.begin():
        first = ledger.get_or_create_account(db.session, AccountKind.REVENUE, "operations", NGN)
        second = ledger.get_or_create_account(db.session, AccountKind.REVENUE, "operations", NGN)

        assert first.id == second.id
        assert not first.debits_must_not_exceed_credits


@pytest.mark.parametrize("clearing_first", [True, False])
def test_refused_transfer_leaves_no_trace_in_either_account_order(app_context, clearing_first):
    with db.session.begin():
        owners = [(AccountKind.PROVIDER_CLEARING, "sandbox"), (AccountKind.CUSTOMER_WALLET, "1")]
        if not clearing_first:
            owners.reverse()
        created = {kind: ledger.get_or_create_account(db.session, kind, owner, NGN).id for kind, owner in owners}
        source = ledger.get_or_create_account(db.session, AccountKind.MANUAL_ADJUSTMENTS, "operations", NGN).id
        wallet, clearing = created[AccountKind.CUSTOMER_WALLET], created[AccountKind.PROVIDER_CLEARING]
        ledger.create_transfer(
            db.session, idempotency_key="fund", debit_account_id=source, credit_account_id=wallet,
            amount_minor=1000, ledger=NGN, code="manual_credit",
        )

    with db.session.begin():
        with pytest.raises(ExceedsCredits):
            hold(db.session, wallet, clearing, 1001)
        with pytest.raises(LimitExceeded):
            ledger.create_transfer(
                db.session, idempotency_key="over-balance", debit_account_id=source, credit_account_id=wallet,
                amount_minor=1, ledger=NGN, code="manual_credit", max_credit_balance_minor=1000,
            )
        ledger.create_transfer(
            db.session, idempotency_key="hold-ok", debit_account_id=wallet, credit_account_id=clearing,
            amount_minor=600, ledger=NGN, code="airtime_purchase", pending=True,
            max_daily_debits_minor=1000, limit_day=date(2026, 12, 4),
        )
        with pytest.raises(LimitExceeded):
            ledger.create_transfer(
                db.session, idempotency_key="over-day", debit_account_id=wallet, credit_account_id=clearing,
                amount_minor=400, ledger=NGN, code="airtime_purchase", pending=True,
                max_daily_debits_minor=999, limit_day=date(2026, 12, 4),
            )

    with db.session.begin():
        assert ledger.find_transfer(db.session, "over-balance") is None
        assert ledger.find_transfer(db.session, "over-day") is None
        balance = ledger.get_balance(db.session, wallet)
        assert (balance.credits_posted, balance.debits_pending) == (1000, 600)
        assert ledger.get_balance(db.session, clearing).credits_pending == 600
        assert ledger.check(db.session) == []
