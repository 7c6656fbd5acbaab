"""Settings read from the environment (and `.env`), with the embedded defaults."""

import os

from dotenv import load_dotenv

load_dotenv()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _bool(name: str, default: bool | None) -> bool | None:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production settings; every value can be overridden by an environment variable.

    Without `DATABASE_URL` and `REDIS_URL` the app runs in the embedded default: SQLite in the
    instance folder, an in-memory Redis and one RQ worker thread in the web process.
    """

    SECRET_KEY = os.environ.get("SECRET_KEY")
    DATABASE_URL = os.environ.get("DATABASE_URL")
    REDIS_URL = os.environ.get("REDIS_URL")

    USSD_SERVICE_CODE = os.environ.get("USSD_SERVICE_CODE", "*384*123#")
    USSD_SCREEN_LIMIT = _int("USSD_SCREEN_LIMIT", 160)
    # Africa's Talking ends a session after 180 s, so state is kept a little longer.
    USSD_SESSION_TTL_SECONDS = _int("USSD_SESSION_TTL_SECONDS", 200)
    USSD_MAX_INVALID_INPUTS = _int("USSD_MAX_INVALID_INPUTS", 3)
    # How long a confirmed but unpaid order waits for the caller's next dial.
    USSD_RESUME_TTL_SECONDS = _int("USSD_RESUME_TTL_SECONDS", 600)

    # MTN's USSD gateway sends this in x-api-key; unset, POST /ussd/mtn takes any caller.
    MTN_USSD_API_KEY = os.environ.get("MTN_USSD_API_KEY")

    DEFAULT_REGION = os.environ.get("DEFAULT_REGION", "NG")
    CURRENCY = os.environ.get("CURRENCY", "NGN")
    AIRTIME_MIN_MINOR = _int("AIRTIME_MIN_MINOR", 50_00)
    AIRTIME_MAX_MINOR = _int("AIRTIME_MAX_MINOR", 50_000_00)

    # Daily limits reset at midnight in this time zone.
    BUSINESS_TIMEZONE = os.environ.get("BUSINESS_TIMEZONE", "Africa/Lagos")
    TIER_LIMITS = os.environ.get(
        "TIER_LIMITS",
        '{"basic": {"max_balance_minor": 30000000, "max_daily_debits_minor": 5000000}}',
    )

    PIN_HASH_ITERATIONS = _int("PIN_HASH_ITERATIONS", 60_000)
    PIN_MAX_ATTEMPTS = _int("PIN_MAX_ATTEMPTS", 3)
    PIN_LOCK_MINUTES = _int("PIN_LOCK_MINUTES", 30)

    SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")
    AT_USERNAME = os.environ.get("AT_USERNAME")
    AT_API_KEY = os.environ.get("AT_API_KEY")
    AT_SENDER_ID = os.environ.get("AT_SENDER_ID")

    SANDBOX_LATENCY_MS = _int("SANDBOX_LATENCY_MS", 0)
    VTPASS_BASE_URL = os.environ.get("VTPASS_BASE_URL", "https://vtpass.com/api")
    VTPASS_API_KEY = os.environ.get("VTPASS_API_KEY")
    VTPASS_SECRET_KEY = os.environ.get("VTPASS_SECRET_KEY")
    # VTpass's GET requests (plan variations) authenticate with the public key.
    VTPASS_PUBLIC_KEY = os.environ.get("VTPASS_PUBLIC_KEY")
    RELOADLY_BASE_URL = os.environ.get("RELOADLY_BASE_URL", "https://topups.reloadly.com")
    RELOADLY_AUTH_URL = os.environ.get("RELOADLY_AUTH_URL", "https://auth.reloadly.com")
    RELOADLY_CLIENT_ID = os.environ.get("RELOADLY_CLIENT_ID")
    RELOADLY_CLIENT_SECRET = os.environ.get("RELOADLY_CLIENT_SECRET")
    # Every provider call gives up connecting after the first and reading after the second,
    # both well under JOB_TIMEOUT_SECONDS so a job gets a timeout error before RQ kills it.
    PROVIDER_CONNECT_TIMEOUT_SECONDS = _int("PROVIDER_CONNECT_TIMEOUT_SECONDS", 5)
    PROVIDER_READ_TIMEOUT_SECONDS = _int("PROVIDER_READ_TIMEOUT_SECONDS", 25)
    PROVIDER_ROUTES = os.environ.get("PROVIDER_ROUTES", "")

    # RQ kills a job after this long; provider HTTP timeouts must stay well below it.
    JOB_TIMEOUT_SECONDS = _int("JOB_TIMEOUT_SECONDS", 120)

    # Unset: on in the embedded default, off otherwise.
    SIMULATOR_ENABLED = _bool("SIMULATOR_ENABLED", None)
    # The embedded default runs RQ in a thread of the web process; tests drive workers themselves.
    EMBEDDED_WORKER = _bool("EMBEDDED_WORKER", True)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")

    # Flask-SQLAlchemy reads these two; create_app fills the URL in.
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}

    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: real PostgreSQL and Redis unless a test overrides them."""

    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    DATABASE_URL = os.environ.get(
        "TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")
    PIN_HASH_ITERATIONS = 1_000
    SIMULATOR_ENABLED = True
    SMS_BACKEND = "console"
    AT_USERNAME = None
    AT_API_KEY = None
