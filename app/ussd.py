"""USSD webhooks: every hop gets `CON ` or `END ` with HTTP 200, bad requests get a 400."""

import logging

from flask import Blueprint, Response, current_app, request

from app.extensions import db
from app.queue import get_redis
from app.services import engine_settings, wallet_service
from ussd_flows.engine import Engine, Reply
from ussd_flows.gateways import InvalidHopRequest, africastalking
from ussd_flows.messages import translate
from ussd_flows.session import ResumeStore, SessionBusy, SessionStore

log = logging.getLogger(__name__)

bp = Blueprint("ussd", __name__, url_prefix="/ussd")


def _engine() -> Engine:
    config = current_app.config
    store = SessionStore(get_redis(), config["USSD_SESSION_TTL_SECONDS"])
    resume = ResumeStore(get_redis(), config["USSD_RESUME_TTL_SECONDS"])
    return Engine(store, engine_settings(), resume)


@bp.post("/africastalking")
def africastalking_hop():
    """Answer one Africa's Talking USSD hop."""
    try:
        hop = africastalking.parse(request.form, current_app.config["DEFAULT_REGION"])
    except InvalidHopRequest as error:
        log.info("ussd %s: request rejected: %s", request.form.get("sessionId", "-")[:64], error)
        return Response(f"Bad request: {error}\n", status=400, mimetype="text/plain")
    try:
        reply = _engine().handle(hop, wallet_service())
    except SessionBusy:
        log.warning("ussd %s: hop still locked by an earlier one", hop.session_id)
        reply = Reply(translate("common.busy"), end=True)
    except Exception:
        log.exception("ussd %s: hop failed", hop.session_id)
        db.session.rollback()
        reply = Reply(translate("common.apology"), end=True)
    return Response(africastalking.render(reply), mimetype="text/plain")


@bp.post("/africastalking/events")
def africastalking_session_event():
    """Record how a session ended. The `input` field carries PINs, so it is never read."""
    form = request.form
    log.info(
        "ussd %s: session ended %s after %s hop(s) in %s ms",
        form.get("sessionId", "-")[:64],
        form.get("status", "-")[:32],
        form.get("hopsCount", "-")[:8],
        form.get("durationInMillis", "-")[:12],
    )
    return Response("OK", mimetype="text/plain")
