"""RQ job entry points. Jobs take ids, re-check state and act at most once.

Unexpected errors propagate so RQ marks the job failed; the guarded transitions in
`wallet.fulfilment` make a rerun harmless.
"""

import logging
import os
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context

from app.extensions import db
from app.provider_health import is_cooling_down, record_transport_failure
from app.queue import dispatch
from providers import Outcome, ProviderResult, get_provider
from providers.numbers import NETWORK_NAMES, mask, to_national
from providers.routing import choose_provider, parse_routes
from sms import messages, outbound
from sms.models import MessageStatus
from sms.senders import build_sender
from wallet import catalogue, customers, fulfilment, ledger
from wallet.models import Customer, ProductKind, ProviderExchange, Purchase, PurchaseStatus, utcnow
from wallet.money import format_amount
from wallet.service import run_in_transaction

log = logging.getLogger(__name__)

_job_app: Flask | None = None


def set_job_app(app: Flask) -> None:
    """Use `app` for jobs that run outside any app context in this process and its forks."""
    global _job_app
    _job_app = app


def _app() -> Flask:
    """Return the app to run a job with, making sure its database pool belongs to this process."""
    global _job_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _job_app is None:
            from app import create_app

            _job_app = create_app()
        app = _job_app
    if app.extensions.get("nexustop.pool_pid") != os.getpid():
        # A forked work horse must not reuse the connections its parent opened.
        with app.app_context():
            db.engine.dispose(close=False)
        app.extensions["nexustop.pool_pid"] = os.getpid()
    return app


def fulfil_purchase(purchase_id: int) -> str:
    """Send a placed purchase to its provider and settle its hold by the result."""
    app = _app()
    with app.app_context():
        return _fulfil_purchase(app, purchase_id)


def _fulfil_purchase(app: Flask, purchase_id: int) -> str:
    session = db.session

    def claim(s):
        purchase = fulfilment.claim_for_submission(s, purchase_id)
        if purchase is None:
            return None
        provider = get_provider(purchase.provider, provider_settings(app.config, purchase.provider))
        # Stored before the call, so a worker that dies mid-call leaves the id to requery with.
        purchase.provider_request_id = provider.new_request_id(purchase.reference)
        # Copied out because the ORM object expires when the transaction commits.
        return _PurchaseOrder.of(purchase), provider

    claimed = run_in_transaction(session, claim, dispatch)
    if claimed is None:
        log.info("purchase %s: not in placed, nothing to send", purchase_id)
        return "skipped"
    order, provider = claimed
    log.info("purchase %s: sending to %s as %s", order.reference, order.provider, order.request_id)
    if order.product_kind == ProductKind.DATA:
        result = provider.send_data(
            order.reference,
            order.recipient,
            order.product_code,
            order.amount_minor,
            order.currency,
            order.network,
            order.request_id,
        )
    else:
        result = provider.send_airtime(
            order.reference, order.recipient, order.amount_minor, order.currency, order.network, order.request_id
        )
    log.info("purchase %s: %s returned %s (%s)", order.reference, order.provider, result.outcome, result.detail)
    if result.transport_failure:
        record_transport_failure(order.provider)
    next_provider = None
    if result.outcome == Outcome.FAILED:
        next_provider = _next_provider(app, session, purchase_id, order)
    if next_provider is not None:
        log.info("purchase %s: %s rejected it, failing over to %s", order.reference, order.provider, next_provider)
        return run_in_transaction(session, lambda s: _fail_over(s, purchase_id, result, next_provider), dispatch)
    status = run_in_transaction(session, lambda s: _record(s, purchase_id, result), dispatch)
    return str(status)


def _next_provider(app: Flask, session, purchase_id: int, order: "_PurchaseOrder") -> str | None:
    def tried(s):
        return frozenset(
            s.execute(
                sa.select(ProviderExchange.provider).where(
                    ProviderExchange.purchase_id == purchase_id, ProviderExchange.operation == "send"
                )
            ).scalars()
        )

    already = run_in_transaction(session, tried, dispatch) | {order.provider}
    routes = parse_routes(app.config["PROVIDER_ROUTES"])
    return choose_provider(routes, order.network, order.product_kind.value, is_cooling_down, already)


def _fail_over(session, purchase_id, result, next_provider) -> str:
    purchase = session.get(Purchase, purchase_id)
    fulfilment.record_exchange(session, purchase_id, purchase.provider, "send", result)
    return "failed_over" if fulfilment.fail_over(session, purchase, result, next_provider) else "skipped"


@dataclass(frozen=True)
class _PurchaseOrder:
    reference: str
    provider: str
    recipient: str
    amount_minor: int
    currency: str
    network: str
    product_kind: ProductKind
    product_code: str | None
    request_id: str | None

    @classmethod
    def of(cls, purchase: Purchase) -> "_PurchaseOrder":
        return cls(
            purchase.reference,
            purchase.provider,
            purchase.recipient,
            purchase.amount_minor,
            purchase.ledger,
            purchase.network,
            purchase.product_kind,
            purchase.product_code,
            purchase.provider_request_id,
        )


def _record(session, purchase_id, result):
    purchase = session.get(Purchase, purchase_id)
    fulfilment.record_exchange(session, purchase_id, purchase.provider, "send", result)
    status = fulfilment.record_outcome(session, purchase, result)
    if status is not None and status.is_final:
        _queue_receipt(session, purchase, status, retry_later=result.retry_later)
    return status


def apply_provider_report(purchase_id: int, outcome: str, detail: str) -> str:
    """Settle an unknown purchase from a provider's own final report (a status callback)."""
    app = _app()
    with app.app_context():
        result = ProviderResult(Outcome(outcome), None, detail, {"callback": detail})

        def record(s):
            purchase = s.get(Purchase, purchase_id)
            fulfilment.record_exchange(s, purchase_id, purchase.provider, "callback", result)
            status = fulfilment.record_requery(s, purchase, result, utcnow())
            if status is not None and status.is_final:
                _queue_receipt(s, purchase, status)
            return status

        status = run_in_transaction(db.session, record, dispatch)
        log.info("purchase %s: provider report %s gave %s", purchase_id, outcome, status)
        return str(status)


def requery_purchase(purchase_id: int) -> str:
    """Ask the provider what became of a purchase whose outcome is unknown, and act on it."""
    app = _app()
    with app.app_context():
        return _requery_purchase(app, purchase_id)


def _requery_purchase(app: Flask, purchase_id: int) -> str:
    session = db.session

    def claim(s):
        purchase = fulfilment.claim_for_requery(s, purchase_id, utcnow())
        return None if purchase is None else _PurchaseOrder.of(purchase)

    order = run_in_transaction(session, claim, dispatch)
    if order is None:
        log.info("purchase %s: no requery due", purchase_id)
        return "skipped"
    provider = get_provider(order.provider, provider_settings(app.config, order.provider))
    result = provider.requery(order.reference, order.recipient, order.request_id)
    log.info("purchase %s: requery at %s returned %s (%s)", order.reference, order.provider, result.outcome, result.detail)

    def record(s):
        purchase = s.get(Purchase, purchase_id)
        fulfilment.record_exchange(s, purchase_id, purchase.provider, "requery", result)
        status = fulfilment.record_requery(s, purchase, result, utcnow())
        if status is not None and status.is_final:
            _queue_receipt(s, purchase, status)
        if status == PurchaseStatus.NEEDS_REVIEW:
            log.warning("purchase %s: outcome still unknown after 24 h, needs review", order.reference)
        return status

    return str(run_in_transaction(session, record, dispatch))


def _queue_receipt(session, purchase: Purchase, status: PurchaseStatus, retry_later: bool = False) -> None:
    customer = session.get(Customer, purchase.customer_id)
    wallet = customers.get_wallet(session, customer, purchase.ledger)
    balance = ledger.get_balance(session, wallet.id)
    outcome = "succeeded" if status == PurchaseStatus.SUCCEEDED else "failed"
    message_id = f"receipt.{purchase.product_kind.value}_{outcome}"
    if retry_later and f"{message_id}_retry_later" in messages.CATALOGUE["en"]:
        message_id += "_retry_later"
    body = messages.render(
        message_id,
        customer.language,
        amount=format_amount(purchase.amount_minor, purchase.ledger),
        product=_product_label(session, purchase),
        recipient=to_national(purchase.recipient),
        reference=purchase.reference,
        balance=format_amount(balance.available_minor, purchase.ledger),
    )
    outbound.queue_message(session, customer.phone_number, body, purchase_id=purchase.id)


def _product_label(session, purchase: Purchase) -> str:
    """Name a data purchase's plan as a receipt shows it: 'MTN 1GB 30 days'."""
    if purchase.product_kind != ProductKind.DATA:
        return ""
    plan = catalogue.find_plan(session, purchase.network, purchase.product_code)
    network = NETWORK_NAMES.get(purchase.network, purchase.network)
    if plan is None:
        return f"{network} {purchase.product_code}"
    return f"{network} {plan.size_text} {plan.validity_text}"


def provider_settings(config, name: str) -> dict:
    """Return the constructor settings of a provider adapter from the app config."""
    if name == "sandbox":
        return {"latency_ms": config["SANDBOX_LATENCY_MS"]}
    if name == "africastalking":
        return {
            "username": config["AT_USERNAME"],
            "api_key": config["AT_API_KEY"],
            "connect_timeout_seconds": config["PROVIDER_CONNECT_TIMEOUT_SECONDS"],
            "read_timeout_seconds": config["PROVIDER_READ_TIMEOUT_SECONDS"],
        }
    if name == "reloadly":
        return {
            "base_url": config["RELOADLY_BASE_URL"],
            "auth_url": config["RELOADLY_AUTH_URL"],
            "client_id": config["RELOADLY_CLIENT_ID"],
            "client_secret": config["RELOADLY_CLIENT_SECRET"],
            "connect_timeout_seconds": config["PROVIDER_CONNECT_TIMEOUT_SECONDS"],
            "read_timeout_seconds": config["PROVIDER_READ_TIMEOUT_SECONDS"],
        }
    if name == "vtpass":
        return {
            "base_url": config["VTPASS_BASE_URL"],
            "api_key": config["VTPASS_API_KEY"],
            "secret_key": config["VTPASS_SECRET_KEY"],
            "connect_timeout_seconds": config["PROVIDER_CONNECT_TIMEOUT_SECONDS"],
            "read_timeout_seconds": config["PROVIDER_READ_TIMEOUT_SECONDS"],
        }
    return {}


def send_sms(message_id: int) -> str:
    """Send one queued outbound message through the configured sender."""
    app = _app()
    with app.app_context():
        session = db.session

        def claim(s):
            message = outbound.claim_for_sending(s, message_id)
            return None if message is None else (message.phone_number, message.body)

        claimed = run_in_transaction(session, claim, dispatch)
        if claimed is None:
            log.info("sms %s: not queued, nothing to send", message_id)
            return "skipped"
        phone_number, body = claimed
        sender = build_sender(app.config)
        result = sender.send(phone_number, body)
        status = run_in_transaction(
            session, lambda s: outbound.record_result(s, message_id, sender.name, result), dispatch
        )
        log.info("sms %s: %s to %s via %s", message_id, status, mask(phone_number), sender.name)
        if status == MessageStatus.QUEUED:
            # Raising lets RQ retry the job on its schedule (see app.queue.JOB_RETRIES).
            raise SmsNotSent(f"sms {message_id}: {result.error}")
        return str(status)


class SmsNotSent(Exception):
    """A send failed in a way worth retrying (the SMS API could not be reached)."""
