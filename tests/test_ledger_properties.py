"""Random sequences of ledger operations on PostgreSQL, checked against a model after every step.

Credits, holds, posts, voids, replays and limit breaches run in any order; after each one the
stored balances equal the model's and `ledger.check` finds nothing: debits equal credits,
balances equal their transfers, no wallet is negative and no hold resolves twice.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from app.extensions import db
from wallet import ledger
from wallet.errors import (
    ExceedsCredits,
    IdempotencyConflict,
    LimitExceeded,
    PendingTransferAlreadyPosted,
    PendingTransferAlreadyVoided,
)
from wallet.models import AccountDailyDebit, AccountKind

NGN = "NGN"
DAY = date(2026, 12, 4)
MAX_BALANCE_MINOR = 20_000
MAX_DAILY_DEBITS_MINOR = 8_000
COLUMNS = ("debits_pending", "debits_posted", "credits_pending", "credits_posted")


@dataclass
class PendingModel:
    transfer_id: int
    wallet: int
    amount_minor: int
    counted_on_limit: bool
    resolution: str | None = None


@dataclass
class KeyModel:
    transfer_id: int
    arguments: dict = field(default_factory=dict)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        with db.session.begin():
            kinds = [
                (AccountKind.MANUAL_ADJUSTMENTS, "operations"),
                (AccountKind.CUSTOMER_WALLET, "w0"),
                (AccountKind.CUSTOMER_WALLET, "w1"),
                (AccountKind.PROVIDER_CLEARING, "sandbox"),
            ]
            ids = [ledger.get_or_create_account(db.session, kind, owner, NGN).id for kind, owner in kinds]
        self.source, self.wallets, self.clearing = ids[0], ids[1:3], ids[3]
        self.balances = {account_id: dict.fromkeys(COLUMNS, 0) for account_id in ids}
        self.daily_debits = dict.fromkeys(self.wallets, 0)
        self.pendings: list[PendingModel] = []
        self.keys: dict[str, KeyModel] = {}
        self.counter = 0

    def _key(self) -> str:
        self.counter += 1
        return f"key-{self.counter}"

    def _transfer(self, **arguments):
        with db.session.begin():
            return ledger.create_transfer(db.session, ledger=NGN, **arguments).id

    @rule(wallet=st.integers(0, 1), amount=st.integers(1, 12_000), limited=st.booleans())
    def credit(self, wallet, amount, limited):
        wallet_id = self.wallets[wallet]
        model = self.balances[wallet_id]
        arguments = dict(
            idempotency_key=self._key(),
            debit_account_id=self.source,
            credit_account_id=wallet_id,
            amount_minor=amount,
            code="manual_credit",
            max_credit_balance_minor=MAX_BALANCE_MINOR if limited else None,
        )
        balance_after = model["credits_posted"] + model["credits_pending"] + amount - model["debits_posted"]
        if limited and balance_after > MAX_BALANCE_MINOR:
            with pytest.raises(LimitExceeded):
                self._transfer(**arguments)
            return
        transfer_id = self._transfer(**arguments)
        self.keys[arguments["idempotency_key"]] = KeyModel(transfer_id, arguments)
        model["credits_posted"] += amount
        self.balances[self.source]["debits_posted"] += amount

    @rule(wallet=st.integers(0, 1), amount=st.integers(1, 6_000), limited=st.booleans())
    def hold(self, wallet, amount, limited):
        wallet_id = self.wallets[wallet]
        model = self.balances[wallet_id]
        arguments = dict(
            idempotency_key=self._key(),
            debit_account_id=wallet_id,
            credit_account_id=self.clearing,
            amount_minor=amount,
            code="airtime_purchase",
            pending=True,
            max_daily_debits_minor=MAX_DAILY_DEBITS_MINOR if limited else None,
            limit_day=DAY if limited else None,
        )
        if model["debits_pending"] + model["debits_posted"] + amount > model["credits_posted"]:
            with pytest.raises(ExceedsCredits):
                self._transfer(**arguments)
            return
        if limited and self.daily_debits[wallet_id] + amount > MAX_DAILY_DEBITS_MINOR:
            with pytest.raises(LimitExceeded):
                self._transfer(**arguments)
            return
        transfer_id = self._transfer(**arguments)
        self.keys[arguments["idempotency_key"]] = KeyModel(transfer_id, arguments)
        self.pendings.append(PendingModel(transfer_id, wallet_id, amount, limited))
        if limited:
            self.daily_debits[wallet_id] += amount
        model["debits_pending"] += amount
        self.balances[self.clearing]["credits_pending"] += amount

    @precondition(lambda self: self.pendings)
    @rule(data=st.data(), void=st.booleans(), share=st.sampled_from([1.0, 0.5, 0.0]))
    def resolve(self, data, void, share):
        pending = data.draw(st.sampled_from(self.pendings))
        posted = 0 if void else int(pending.amount_minor * share)
        with db.session.begin():
            if pending.resolution is not None:
                expected = PendingTransferAlreadyPosted if pending.resolution == "post" else PendingTransferAlreadyVoided
                with pytest.raises(expected):
                    if void:
                        ledger.void_pending(db.session, pending.transfer_id, idempotency_key=self._key())
                    else:
                        ledger.post_pending(db.session, pending.transfer_id, idempotency_key=self._key(), amount_minor=posted)
                return
            if void:
                ledger.void_pending(db.session, pending.transfer_id, idempotency_key=self._key())
            else:
                ledger.post_pending(db.session, pending.transfer_id, idempotency_key=self._key(), amount_minor=posted)
        pending.resolution = "void" if void else "post"
        if pending.counted_on_limit:
            self.daily_debits[pending.wallet] -= pending.amount_minor - posted
        self.balances[pending.wallet]["debits_pending"] -= pending.amount_minor
        self.balances[pending.wallet]["debits_posted"] += posted
        self.balances[self.clearing]["credits_pending"] -= pending.amount_minor
        self.balances[self.clearing]["credits_posted"] += posted

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def replay_same_key(self, data):
        key = data.draw(st.sampled_from(sorted(self.keys)))
        original = self.keys[key]

        assert self._transfer(**original.arguments) == original.transfer_id

    @precondition(lambda self: self.keys)
    @rule(data=st.data())
    def replay_key_with_other_amount(self, data):
        key = data.draw(st.sampled_from(sorted(self.keys)))
        arguments = dict(self.keys[key].arguments, amount_minor=self.keys[key].arguments["amount_minor"] + 1)

        with pytest.raises(IdempotencyConflict):
            self._transfer(**arguments)

    @invariant()
    def balances_match_model_and_check_passes(self):
        with db.session.begin():
            for account_id, expected in self.balances.items():
                stored = ledger.get_balance(db.session, account_id)
                assert {column: getattr(stored, column) for column in COLUMNS} == expected, account_id
            for wallet_id in self.wallets:
                assert ledger.get_balance(db.session, wallet_id).available_minor >= 0
            counted = dict(
                db.session.execute(sa.select(AccountDailyDebit.account_id, AccountDailyDebit.amount_minor)).all()
            )
            for wallet_id in self.wallets:
                assert counted.get(wallet_id, 0) == self.daily_debits[wallet_id]
            assert ledger.check(db.session) == []


def test_random_ledger_operations_keep_invariants(app_context):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
