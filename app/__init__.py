"""NexusTop: airtime and data from a prepaid wallet over USSD and SMS."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from sqlalchemy import event

from app import logs, queue
from app.config import Config
from app.extensions import db, migrate

log = logging.getLogger(__name__)

MIGRATIONS_DIRECTORY = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(config_class: type[Config] = Config, instance_path: str | None = None, **overrides) -> Flask:
    """Build the app from `config_class`, with `overrides` applied on top."""
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(config_class)
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    embedded = not app.config["DATABASE_URL"] and not app.config["REDIS_URL"]
    app.config["EMBEDDED"] = embedded
    _configure_database(app)
    _configure_secret_key(app)
    if app.config["SIMULATOR_ENABLED"] is None:
        app.config["SIMULATOR_ENABLED"] = embedded

    if not app.config["TESTING"]:
        logs.init_app(app)
    db.init_app(app)
    _fix_sqlite_transactions(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY)
    queue.init_app(app)

    from app import cli, health, provider_callbacks, simulator, ussd

    app.register_blueprint(ussd.bp)
    app.register_blueprint(provider_callbacks.bp)
    app.register_blueprint(health.bp)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator.bp)
    cli.init_app(app)

    if embedded:
        log.warning(
            "embedded default: SQLite in %s, in-memory Redis and a worker thread;"
            " set DATABASE_URL and REDIS_URL for production",
            app.instance_path,
        )
        if app.config["EMBEDDED_WORKER"]:
            app.before_request(lambda: queue.start_embedded_worker(app))
    elif not app.config["REDIS_URL"] or not app.config["DATABASE_URL"]:
        raise RuntimeError("set both DATABASE_URL and REDIS_URL, or neither for the embedded default")
    return app


def _configure_database(app: Flask) -> None:
    url = app.config["DATABASE_URL"] or f"sqlite:///{Path(app.instance_path) / 'nexustop.sqlite3'}"
    # Heroku-style URLs say postgres://; SQLAlchemy wants a dialect and driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            url = "postgresql+psycopg://" + url[len(prefix) :]
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("sqlite"):
        # The worker thread and request threads share the file; wait for locks, not fail.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"timeout": 30, "check_same_thread": False}}


def _fix_sqlite_transactions(app: Flask) -> None:
    """Let SQLAlchemy, not the sqlite3 module, issue BEGIN, so SAVEPOINTs work.

    BEGIN IMMEDIATE takes the write lock at the start, so two writers queue up instead of
    failing when one of them upgrades a read lock.
    """
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def disable_driver_transactions(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def begin_immediate(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _configure_secret_key(app: Flask) -> None:
    if app.config["SECRET_KEY"]:
        return
    if not app.config["EMBEDDED"]:
        raise RuntimeError("SECRET_KEY is required with DATABASE_URL and REDIS_URL (it is the PIN pepper)")
    # The key peppers PIN hashes, so a new key per start would invalidate every PIN in the
    # embedded database: keep the generated one in the instance folder.
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    app.config["SECRET_KEY"] = key_file.read_text().strip()
    log.warning("SECRET_KEY is not set: using the generated key in %s", key_file)
