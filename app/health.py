"""Health check for the load balancer."""

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify

from app.extensions import db
from app.queue import get_redis

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@bp.get("/ping")
def ping():
    """Return 200 without touching the database or Redis: the process is up."""
    return Response("pong\n", mimetype="text/plain")


@bp.get("/healthz")
def healthz():
    """Return 200 when the database and Redis answer, 503 with the failing part otherwise."""
    status = {"database": "ok", "redis": "ok"}
    try:
        with db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        log.error("health: database check failed: %s", error)
        status["database"] = "unavailable"
    try:
        get_redis().ping()
    except Exception as error:
        log.error("health: redis check failed: %s", error)
        status["redis"] = "unavailable"
    healthy = all(value == "ok" for value in status.values())
    return jsonify(status), 200 if healthy else 503
