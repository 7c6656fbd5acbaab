"""Provider status callbacks: `POST /providers/<name>/callback`.

Where the provider can be requeried (VTpass) a callback is not trusted: it only makes the
purchase's requery due at once, and the response to that requery decides. Africa's Talking
offers no query of an airtime transaction that we could confirm, so its callback settles an
unknown purchase whose AT request id it names. Each provider gets the reply it expects, and
an unknown purchase is acknowledged too, so the provider stops resending it.
"""

import logging

import sqlalchemy as sa
from flask import Blueprint, Response, jsonify, request

from app.extensions import db
from app.queue import JOB_FUNCTIONS, get_queue
from providers import Outcome
from wallet.models import Purchase, PurchaseStatus, utcnow

log = logging.getLogger(__name__)

bp = Blueprint("provider_callbacks", __name__, url_prefix="/providers")


def _vtpass_request_id() -> str | None:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("type") != "transaction-update":
        return None
    data = body.get("data") or {}
    return str(data.get("requestId") or "") or None


@bp.post("/africastalking/callback")
def africastalking_callback():
    """Settle an unknown Africa's Talking airtime purchase from AT's final status."""
    at_request_id = request.form.get("requestId", "").strip()
    status = request.form.get("status", "").strip()
    if not at_request_id or status not in {"Success", "Failed"}:
        log.info("provider africastalking: callback rejected: requestId %r, status %r", at_request_id[:64], status[:16])
        return jsonify(error="requestId and a status of Success or Failed are required"), 400
    with db.session.begin():
        purchase_id = db.session.execute(
            sa.select(Purchase.id).where(
                Purchase.provider == "africastalking",
                Purchase.external_id == at_request_id,
                Purchase.status == PurchaseStatus.UNKNOWN,
            )
        ).scalar_one_or_none()
    if purchase_id is None:
        log.info("provider africastalking: callback for %s, no unknown purchase", at_request_id[:64])
        return Response("OK", mimetype="text/plain")
    outcome = Outcome.SUCCEEDED if status == "Success" else Outcome.FAILED
    detail = f"status callback: {status} {request.form.get('description', '')}"[:200]
    get_queue().enqueue("app.jobs.apply_provider_report", purchase_id, outcome.value, detail)
    log.info("provider africastalking: callback %s for purchase %s queued", status, purchase_id)
    return Response("OK", mimetype="text/plain")


# Providers whose callbacks trigger a requery: how to read the request id, and their reply.
REQUERY_CALLBACKS = {
    "vtpass": (_vtpass_request_id, lambda: jsonify(response="success")),
}


@bp.post("/<name>/callback")
def provider_callback(name: str):
    """Make the purchase a provider reports on due for an immediate requery."""
    if name not in REQUERY_CALLBACKS:
        return jsonify(error=f"no provider named {name!r} sends callbacks here"), 404
    read_request_id, reply = REQUERY_CALLBACKS[name]
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


