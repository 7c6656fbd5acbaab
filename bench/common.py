"""Helpers shared by the benchmarks: a fresh PostgreSQL database built by the migrations."""

import os
import statistics

import flask_migrate
import sqlalchemy as sa

from app import create_app
from app.config import Config

# The server the benchmarks measure; each benchmark makes its own databases on it.
BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def recreate_database(name: str) -> str:
    """Drop and create database `name` on the benchmark server; return its URL."""
    base = sa.engine.make_url(BENCH_DATABASE_URL)
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def migrated_app(database_url: str, **overrides):
    """Return an app on `database_url` with the schema built by the migrations."""
    app = create_app(
        Config, DATABASE_URL=database_url, REDIS_URL=BENCH_REDIS_URL, SECRET_KEY="benchmark-key", **overrides
    )
    with app.app_context():
        flask_migrate.upgrade()
    return app


def libpq_arguments(database_url: str) -> list[str]:
    """Return pgbench's connection options for a SQLAlchemy URL."""
    url = sa.engine.make_url(database_url)
    return ["-h", url.host or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres", url.database]


def percentile(values: list[float], share: float) -> float:
    """Return the value below which `share` (0..1) of `values` fall."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def mean(values: list[float]) -> float:
    return statistics.fmean(values)
