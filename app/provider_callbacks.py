"""Provider status callbacks: `POST /providers/<name>/callback`.

A callback is never trusted: it only makes the purchase's requery due at once, and the
provider's answer to that requery decides. Each provider gets the reply it expects, and an
unknown purchase is acknowledged too, so the provider stops resending it.
"""

import logging

import sqlalchemy as sa
from flask import Blueprint, jsonify, request

from app.extensions import db
from app.queue import JOB_FUNCTIONS, get_queue
from wallet.models import Purchase, PurchaseStatus, utcnow

log = logging.getLogger(__name__)

bp = Blueprint("provider_callbacks", __name__, url_prefix="/providers")


def _vtpass_request_id() -> str | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("type") != "transaction-update":
        return None
    data = body.get("data") or {}
    return str(data.get("requestId") or "") or None


# Per provider: how to read the request id from a callback, and the reply it expects.
CALLBACKS = {
    "vtpass": (_vtpass_request_id, lambda: jsonify(response="success")),
}


@bp.post("/<name>/callback")
def provider_callback(name: str):
    """Make the purchase a provider reports on due for an immediate requery."""
    if name not in CALLBACKS:
        return jsonify(error=f"no provider named {name!r} sends callbacks here"), 404
    read_request_id, reply = CALLBACKS[name]
    request_id = read_request_id()
    if request_id is None:
        log.info("provider %s: callback rejected: no request id of a transaction update", name)
        return jsonify(error="not a transaction update with a requestId"), 400
    with db.session.begin():
        purchase_id = db.session.execute(
            sa.update(Purchase)
            .where(
                Purchase.provider == name,
                Purchase.provider_request_id == request_id,
                Purchase.status == PurchaseStatus.UNKNOWN,
            )
            .values(next_check_at=utcnow())
            .returning(Purchase.id)
        ).scalar_one_or_none()
    if purchase_id is None:
        log.info("provider %s: callback for %s, no unknown purchase to requery", name, request_id[:64])
        return reply()
    get_queue().enqueue(JOB_FUNCTIONS["requery_purchase"], purchase_id)
    log.info("provider %s: callback for purchase %s, requery queued", name, purchase_id)
    return reply()


