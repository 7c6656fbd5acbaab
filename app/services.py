"""The wallet service bound to this app's database session, settings and queue."""

from flask import current_app

from app.extensions import db
from app.queue import dispatch
from app.provider_health import is_cooling_down
from providers.routing import choose_provider, parse_routes
from providers.numbers import to_national
from sms import messages, outbound
from ussd_flows.engine import LAGOS, EngineSettings
from wallet.money import format_amount
from wallet.customers import PinPolicy
from wallet.limits import parse_tier_limits
from wallet.purchases import AmountLimits
from wallet.service import ServiceSettings, WalletService


def service_settings() -> ServiceSettings:
    app = current_app
    settings = app.extensions.get("nexustop.service_settings")
    if settings is None:
        config = app.config
        routes = parse_routes(config["PROVIDER_ROUTES"])
        settings = ServiceSettings(
            currency=config["CURRENCY"],
            pin_policy=PinPolicy(
                pepper=config["SECRET_KEY"].encode(),
                iterations=config["PIN_HASH_ITERATIONS"],
                max_attempts=config["PIN_MAX_ATTEMPTS"],
                lock_minutes=config["PIN_LOCK_MINUTES"],
            ),
            airtime_limits=AmountLimits(config["AIRTIME_MIN_MINOR"], config["AIRTIME_MAX_MINOR"]),
            tier_limits=parse_tier_limits(config["TIER_LIMITS"]),
            business_timezone=config["BUSINESS_TIMEZONE"],
            route=lambda network, kind: choose_provider(routes, network, kind, is_cooling_down),
        )
        app.extensions["nexustop.service_settings"] = settings
    return settings


def wallet_service() -> WalletService:
    """Return a wallet service whose outbox entries are enqueued after each commit."""
    return WalletService(db.session, service_settings(), after_commit=dispatch, notify=notify)


def notify(session, phone_number: str, message_id: str, language: str, parameters: dict) -> None:
    """Write an SMS from the catalogue to a customer, in the caller's transaction."""
    currency = current_app.config["CURRENCY"]
    values = {}
    for name, value in parameters.items():
        if name == "amount_minor":
            values["amount"] = format_amount(value, currency)
        elif name == "locked_until":
            values["until"] = value.astimezone(LAGOS).strftime("%H:%M")
        elif name == "phone_number":
            values["phone"] = to_national(value)
        else:
            values[name] = value
    body = messages.render(message_id, language, **values)
    outbound.queue_message(session, phone_number, body)


def engine_settings() -> EngineSettings:
    config = current_app.config
    return EngineSettings(
        service_code=config["USSD_SERVICE_CODE"],
        screen_limit=config["USSD_SCREEN_LIMIT"],
        max_invalid_inputs=config["USSD_MAX_INVALID_INPUTS"],
        currency=config["CURRENCY"],
        airtime_min_minor=config["AIRTIME_MIN_MINOR"],
        airtime_max_minor=config["AIRTIME_MAX_MINOR"],
        secret_key=config["SECRET_KEY"],
        region=config["DEFAULT_REGION"],
    )
