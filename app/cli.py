"""Operator commands: `flask --app app <command>`."""

import logging
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests
import sqlalchemy as sa

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from app.extensions import db
from app.queue import WORKER_SWEEP_INTERVAL_SECONDS, dispatch, get_queue, get_redis, start_sweeper, sweep
from app.services import service_settings
from providers.numbers import mask, to_e164
from providers.routing import parse_routes
from sms import messages, outbound
from wallet import catalogue, customers, ledger
from wallet.errors import IdempotencyConflict, LimitExceeded
from wallet.limits import limits_for
from wallet.models import AccountKind
from wallet.money import MINOR_PER_MAJOR, format_amount
from wallet.service import run_in_transaction

log = logging.getLogger(__name__)

wallet_cli = AppGroup("wallet", help="Wallet operations.")
ledger_cli = AppGroup("ledger", help="Ledger checks.")

OPERATIONS_OWNER = "operations"


catalogue_cli = AppGroup("catalogue", help="Data plan catalogue.")


def init_app(app: Flask) -> None:
    app.cli.add_command(wallet_cli)
    app.cli.add_command(ledger_cli)
    app.cli.add_command(catalogue_cli)
    app.cli.add_command(reconcile)
    app.cli.add_command(seed)
    app.cli.add_command(worker)


# Major units in ASCII digits with at most two decimals; no signs, exponents or separators.
_MAJOR_AMOUNT = re.compile(r"([0-9]+)(\.[0-9]{1,2})?")
MAX_MAJOR_DIGITS = 9


def parse_major_amount(text: str) -> int:
    """Convert '1500' or '1500.50' (major units) to minor units exactly, without floats.

    :raises click.BadParameter: not a positive amount of at most nine digits and two decimals.
    """
    match = _MAJOR_AMOUNT.fullmatch(text)
    if match is None:
        raise click.BadParameter(f"{text!r} is not an amount; write it like 1500 or 1500.50")
    if len(match.group(1).lstrip("0")) > MAX_MAJOR_DIGITS:
        raise click.BadParameter(f"{text!r} is too large: at most {MAX_MAJOR_DIGITS} digits before the point")
    minor = int(Decimal(text) * MINOR_PER_MAJOR)
    if minor <= 0:
        raise click.BadParameter(f"{text!r} must be more than zero")
    return minor


@wallet_cli.command("credit", context_settings={"ignore_unknown_options": True})
@click.argument("phone")
@click.argument("amount")
@click.option("--reason", required=True, help="Why the wallet is credited; kept on the transfer.")
@click.option(
    "--idempotency-key",
    default=None,
    help="Key that makes a rerun of this exact credit do nothing (default: a new key each run).",
)
def wallet_credit(phone: str, amount: str, reason: str, idempotency_key: str | None) -> None:
    """Credit PHONE's wallet with AMOUNT in major units (naira), from manual adjustments."""
    if not reason.strip():
        raise click.BadParameter("give the reason for the credit", param_hint="--reason")
    config = current_app.config
    phone_number = to_e164(phone, config["DEFAULT_REGION"])
    if phone_number is None:
        raise click.BadParameter(f"{phone!r} is not a valid mobile number", param_hint="PHONE")
    amount_minor = parse_major_amount(amount)
    currency = config["CURRENCY"]
    key = idempotency_key or f"manual-credit:{uuid.uuid4()}"
    tiers = service_settings().tier_limits

    def work(session):
        replayed = ledger.find_transfer(session, key) is not None
        customer = customers.get_or_create_customer(session, phone_number, currency)
        source = ledger.get_or_create_account(session, AccountKind.MANUAL_ADJUSTMENTS, OPERATIONS_OWNER, currency)
        transfer = customers.credit_wallet(
            session,
            customer,
            amount_minor=amount_minor,
            currency=currency,
            source=source,
            idempotency_key=key,
            code="manual_credit",
            limits=limits_for(tiers, customer.tier),
            memo=reason[:255],
        )
        balance = ledger.get_balance(session, transfer.credit_account_id)
        if not replayed:
            body = messages.render(
                "wallet.credited",
                customer.language,
                amount=format_amount(amount_minor, currency),
                balance=format_amount(balance.available_minor, currency),
            )
            outbound.queue_message(session, phone_number, body)
        return transfer.id, balance.available_minor, replayed

    try:
        transfer_id, available, replayed = run_in_transaction(db.session, work, dispatch)
    except LimitExceeded as error:
        log.info("manual credit to %s rejected: %s", mask(phone_number), error)
        raise click.ClickException(
            f"not credited: the wallet would pass its tier's maximum balance of"
            f" {format_amount(error.limit_minor, currency)}"
        )
    except IdempotencyConflict:
        log.info("manual credit to %s rejected: key %s reused with other values", mask(phone_number), key)
        raise click.ClickException(
            f"not credited: idempotency key {key!r} was used before for a different credit"
        )
    if replayed:
        click.echo(f"Already credited with this idempotency key (transfer {transfer_id}); nothing changed.")
        return
    log.info("transfer %s: manual credit of %s to %s: %s", transfer_id, amount_minor, mask(phone_number), reason)
    click.echo(
        f"Credited {format_amount(amount_minor, currency)} to {phone_number} (transfer {transfer_id});"
        f" available {format_amount(available, currency)}."
    )


@ledger_cli.command("check")
def ledger_check() -> None:
    """Recompute every balance from transfers; exit 1 and list mismatches if any."""
    with db.session.begin():
        mismatches = ledger.check(db.session)
    for mismatch in mismatches:
        click.echo(str(mismatch), err=True)
    if mismatches:
        raise SystemExit(1)
    click.echo("ledger check passed: balances match transfers and debits equal credits")


@click.command("seed")
@with_appcontext
def seed() -> None:
    """Create the system accounts and the default data plans; safe to run twice."""
    config = current_app.config
    currency = config["CURRENCY"]
    routes = parse_routes(config["PROVIDER_ROUTES"])
    provider_names = {"sandbox"} | {name for names in routes.values() for name in names}

    def work(session):
        accounts = [ledger.get_or_create_account(session, AccountKind.MANUAL_ADJUSTMENTS, OPERATIONS_OWNER, currency)]
        accounts.append(ledger.get_or_create_account(session, AccountKind.REVENUE, OPERATIONS_OWNER, currency))
        for name in sorted(provider_names):
            accounts.append(ledger.get_or_create_account(session, AccountKind.PROVIDER_CLEARING, name, currency))
        return len(accounts), catalogue.seed_default_plans(session)

    accounts, plans = run_in_transaction(db.session, work, dispatch)
    click.echo(f"seed: {accounts} system accounts present, {plans} data plans added")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Drain the queues, then exit.")
@click.option(
    "--fork/--no-fork",
    default=False,
    help="Run each job in a forked work horse (RQ's Worker) instead of in this process (SimpleWorker).",
)
@with_appcontext
def worker(burst: bool, fork: bool) -> None:
    """Run an RQ worker with the app context on every queue the app uses.

    Jobs run in the worker process by default: forking a work horse per job costs about
    200 ms here, more than a fulfilment itself. Every job is idempotent, so a worker that dies
    mid-job loses nothing the sweeper does not recover.
    """
    from rq import SimpleWorker, Worker

    from app import jobs

    app = current_app._get_current_object()
    if app.config["EMBEDDED"]:
        raise click.ClickException(
            "REDIS_URL is not set: in the embedded default the web process runs its own worker"
        )
    jobs.set_job_app(app)
    worker_class = Worker if fork else SimpleWorker
    rq_worker = worker_class([get_queue(app)], connection=get_redis(app))
    if burst:
        sweep(app)
    else:
        start_sweeper(app, WORKER_SWEEP_INTERVAL_SECONDS)
    rq_worker.work(burst=burst, with_scheduler=not burst)


@catalogue_cli.command("sync")
@click.option("--provider", "provider_name", type=click.Choice(["vtpass"]), required=True, help="Whose plans to import.")
def catalogue_sync(provider_name: str) -> None:
    """Add the provider's data plans missing from the catalogue, at its prices."""
    from app.jobs import provider_settings
    from providers import get_provider
    from providers.vtpass import DATA_SERVICE_IDS

    config = current_app.config
    if not config["VTPASS_API_KEY"] or not config["VTPASS_SECRET_KEY"] or not config["VTPASS_PUBLIC_KEY"]:
        raise click.ClickException("set VTPASS_API_KEY, VTPASS_SECRET_KEY and VTPASS_PUBLIC_KEY to sync from VTpass")
    provider = get_provider(provider_name, provider_settings(config, provider_name))
    total, failures = 0, 0
    for network, service_id in DATA_SERVICE_IDS.items():
        try:
            plans = provider.fetch_variations(service_id, config["VTPASS_PUBLIC_KEY"])
        except (requests.RequestException, ValueError) as error:
            log.error("catalogue sync: %s %s failed: %s", provider_name, service_id, error)
            click.echo(f"{service_id}: not synced ({error})", err=True)
            failures += 1
            continue
        added, unreadable = run_in_transaction(
            db.session, lambda session: catalogue.import_plans(session, network, plans), dispatch
        )
        total += added
        click.echo(f"{service_id}: {len(plans)} plans, {added} added, {len(unreadable)} with unreadable names")
        for name in unreadable:
            click.echo(f"  not imported, size or validity unreadable: {name}", err=True)
    click.echo(f"catalogue sync: {total} plans added")
    if failures:
        raise click.ClickException(f"{failures} of {len(DATA_SERVICE_IDS)} services could not be synced")


@click.command("reconcile")
@click.option(
    "--provider",
    "provider_name",
    required=True,
    type=click.Choice(["sandbox", "africastalking", "vtpass", "reloadly"]),
    help="Provider whose purchases to check.",
)
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="Business day, YYYY-MM-DD.")
@with_appcontext
def reconcile(provider_name: str, day) -> None:
    """Requery the provider for each of our purchases of a day and list where we disagree.

    Exits 1 when there is a difference, like `ledger check`.
    """
    from app.jobs import provider_settings
    from providers import get_provider
    from wallet.models import Purchase

    config = current_app.config
    zone = ZoneInfo(config["BUSINESS_TIMEZONE"])
    start = day.replace(tzinfo=zone)
    end = start + timedelta(days=1)
    try:
        provider = get_provider(provider_name, provider_settings(config, provider_name))
    except ValueError as error:
        raise click.ClickException(f"cannot query {provider_name}: {error}")
    with db.session.begin():
        rows = db.session.execute(
            sa.select(Purchase.reference, Purchase.recipient, Purchase.provider_request_id, Purchase.status)
            .where(Purchase.provider == provider_name, Purchase.created_at >= start, Purchase.created_at < end)
            .order_by(Purchase.id)
        ).all()
    differences = 0
    for reference, recipient, request_id, status in rows:
        theirs = provider.requery(reference, recipient, request_id)
        ours = status.value
        agrees = (ours, theirs.outcome.value) in {
            ("succeeded", "succeeded"),
            ("failed", "failed"),
            ("unknown", "unknown"),
            ("needs_review", "unknown"),
        } or ours in {"placed", "submitting"}
        if not agrees:
            differences += 1
            click.echo(f"{reference}: ours {ours}, {provider_name} {theirs.outcome.value} ({theirs.detail})")
    click.echo(f"reconcile {provider_name} {day:%Y-%m-%d}: {len(rows)} purchases, {differences} differences")
    if differences:
        raise SystemExit(1)
