"""Fixtures: a real PostgreSQL database and Redis database per pytest-xdist worker.

The schema is built by the Alembic migrations, tables are emptied and Redis is flushed around
every test. Without PostgreSQL or Redis the tests that need them are skipped, except with
CI=true, where they fail.
"""

import os

import flask_migrate
import pytest
import redis
import sqlalchemy as sa
from rq import SimpleWorker

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.queue import get_queue, get_redis

IN_CI = os.environ.get("CI", "").lower() == "true"


def _unavailable(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: tests that need it must not be skipped)", pytrace=False)
    pytest.skip(reason)


def _worker_number(worker_id: str) -> int:
    return 0 if worker_id == "master" else int(worker_id.removeprefix("gw"))


@pytest.fixture(scope="session")
def database_url(worker_id) -> str:
    """Create an empty database for this test process next to TEST_DATABASE_URL's."""
    base_url = sa.engine.make_url(TestConfig.DATABASE_URL)
    name = f"{base_url.database}_{worker_id}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        _unavailable(f"PostgreSQL at {base_url.render_as_string(hide_password=True)} is unavailable: {error}")
    finally:
        admin.dispose()
    return base_url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def redis_url(worker_id) -> str:
    """Use a Redis database of this test process's own: TEST_REDIS_URL's number + worker number."""
    server_url, _, number = TestConfig.REDIS_URL.rpartition("/")
    url = f"{server_url}/{int(number or 0) + _worker_number(worker_id)}"
    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        _unavailable(f"Redis at {url} is unavailable: {error}")
    return url


@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    app = create_app(
        TestConfig,
        instance_path=str(tmp_path_factory.mktemp("instance")),
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        EMBEDDED_WORKER=False,
    )
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_state(request):
    """Empty every table and flush Redis before each test that uses the app."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        tables = ", ".join(f'"{table.name}"' for table in db.metadata.sorted_tables)
        with db.engine.begin() as connection:
            connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        get_redis(app).flushdb()
    yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def run_jobs(app):
    """Return a function that drains the queue with a real RQ burst worker in this process."""
    from app import jobs

    def run() -> None:
        jobs.set_job_app(app)
        worker = SimpleWorker([get_queue(app)], connection=get_redis(app))
        with app.app_context():
            worker.work(burst=True)

    return run


@pytest.fixture
def app_context(app):
    with app.app_context():
        yield


@pytest.fixture
def override_config(app, monkeypatch):
    """Return a function that sets app config values for one test.

    It also drops the cached service settings, so routes and limits are read again.
    """

    def override(**values) -> None:
        for name, value in values.items():
            monkeypatch.setitem(app.config, name, value)
        app.extensions.pop("nexustop.service_settings", None)

    yield override
    app.extensions.pop("nexustop.service_settings", None)
