"""The wallet service bound to this app's database session, settings and queue."""

from flask import current_app

from app.extensions import db
from app.queue import dispatch
from providers.routing import parse_routes, providers_for
from ussd_flows.engine import EngineSettings
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
            route=lambda network, kind: providers_for(routes, network, kind)[0],
        )
        app.extensions["nexustop.service_settings"] = settings
    return settings


def wallet_service() -> WalletService:
    """Return a wallet service whose outbox entries are enqueued after each commit."""
    return WalletService(db.session, service_settings(), after_commit=dispatch)


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
    )
