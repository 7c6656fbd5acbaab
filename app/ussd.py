"""USSD webhooks: every hop gets `CON ` or `END ` with HTTP 200, bad requests get a 400."""

import hmac
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db
from app.models import UssdSessionEnd
from app.queue import get_redis
from app.services import engine_settings, wallet_service
from ussd_flows.engine import Engine, Reply
from providers.numbers import to_e164
from ussd_flows.gateways import InvalidHopRequest, africastalking, mtn
from ussd_flows.messages import translate
from ussd_flows.session import ResumeStore, SessionBusy, SessionStore
from wallet.models import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("ussd", __name__, url_prefix="/ussd")


def _engine() -> Engine:
    """Return this app's USSD engine, building it on first use.

    Built once because every hop would otherwise register the session store's Lua scripts
    and build its settings again.
    """
    engine = current_app.extensions.get("nexustop.ussd_engine")
    if engine is None:
        config = current_app.config
        store = SessionStore(get_redis(), config["USSD_SESSION_TTL_SECONDS"])
        resume = ResumeStore(get_redis(), config["USSD_RESUME_TTL_SECONDS"])
        engine = current_app.extensions["nexustop.ussd_engine"] = Engine(store, engine_settings(), resume)
    return engine


@bp.post("/africastalking")
def africastalking_hop():
    """Return the screen for one Africa's Talking USSD hop."""
    try:
        hop = africastalking.parse(request.form, current_app.config["DEFAULT_REGION"])
    except InvalidHopRequest as error:
        log.info("ussd %s: request rejected: %s", request.form.get("sessionId", "-")[:64], error)
        return Response(f"Bad request: {error}\n", status=400, mimetype="text/plain")
    return Response(africastalking.render(_answer(hop)), mimetype="text/plain")


def _answer(hop) -> Reply:
    """Run a hop through the engine; any failure becomes a final screen, never a 5xx."""
    try:
        return _engine().handle(hop, wallet_service())
    except SessionBusy:
        log.warning("ussd %s: hop still locked by an earlier one", hop.session_id)
        return Reply(translate("common.busy", _language_of(hop)), end=True)
    except Exception:
        log.exception("ussd %s: hop failed", hop.session_id)
        db.session.rollback()
        return Reply(translate("common.apology", _language_of(hop)), end=True)


def _language_of(hop) -> str:
    """Return the language of the hop's session, or English when it cannot be read."""
    try:
        state = SessionStore(get_redis(), current_app.config["USSD_SESSION_TTL_SECONDS"]).load(
            hop.gateway, hop.session_id
        )
    except Exception:
        log.exception("ussd %s: session not readable for its language", hop.session_id)
        return "en"
    return state.data.get("language", "en") if state is not None else "en"


@bp.post("/africastalking/events")
def africastalking_session_event():
    """Record how a session ended. The `input` field carries PINs, so it is never read."""
    form = request.form
    session_id = form.get("sessionId", "").strip()
    status = form.get("status", "").strip()
    if not session_id or not status:
        log.info("ussd %s: session event rejected: sessionId or status missing", session_id[:64] or "-")
        return Response("Bad request: missing field(s): sessionId, status\n", status=400, mimetype="text/plain")
    record_session_end(
        gateway=africastalking.GATEWAY,
        session_id=session_id[:128],
        phone_number=to_e164(form.get("phoneNumber", ""), current_app.config["DEFAULT_REGION"]),
        network_code=form.get("networkCode", "")[:16] or None,
        status=status[:32],
        hops_count=_integer(form.get("hopsCount")),
        duration_ms=_integer(form.get("durationInMillis")),
        cost=form.get("cost", "")[:32] or None,
        error_message=form.get("errorMessage", "")[:255] or None,
    )
    return Response("OK", mimetype="text/plain")


@bp.post("/mtn")
def mtn_hop():
    """Return the screen for one hop from MTN's USSD gateway (MADAPI), or record a session end."""
    expected_key = current_app.config["MTN_USSD_API_KEY"]
    if expected_key and not hmac.compare_digest(request.headers.get("x-api-key", ""), expected_key):
        log.warning("ussd mtn: request with a missing or wrong x-api-key rejected")
        return jsonify(mtn.render_error("invalid x-api-key", "4010")), 401
    body = request.get_json(silent=True)
    try:
        kind = mtn.message_type(body)
        if kind in mtn.SESSION_ENDINGS or kind == mtn.NOTIFICATION:
            return _record_mtn_ending(body, kind)
        hop = mtn.parse(body, current_app.config["DEFAULT_REGION"])
    except InvalidHopRequest as error:
        session_id = str(body.get("sessionId", "-"))[:64] if isinstance(body, dict) else "-"
        log.info("ussd %s: request rejected: %s", session_id, error)
        return jsonify(mtn.render_error(f"Bad request: {error}", "4000")), 400
    return jsonify(mtn.render(_answer(hop), body))


def _record_mtn_ending(body: dict, kind: str):
    session_id = str(body.get("sessionId", "")).strip()[:128]
    if session_id:
        # A later Continue on this session id must not reopen it.
        SessionStore(get_redis(), current_app.config["USSD_SESSION_TTL_SECONDS"]).end(mtn.GATEWAY, session_id)
    if kind in mtn.SESSION_ENDINGS and session_id:
        msisdn = str(body.get("msisdn", ""))
        record_session_end(
            gateway=mtn.GATEWAY,
            session_id=session_id,
            phone_number=to_e164(f"+{msisdn.lstrip('+')}", current_app.config["DEFAULT_REGION"]),
            network_code="mtn",
            status=mtn.SESSION_ENDINGS[kind],
            hops_count=None,
            duration_ms=None,
            cost=None,
            # On Cancel the ussdString carries the reason; on End it could be the last input.
            error_message=str(body.get("ussdString", ""))[:255] if kind == mtn.CANCEL else None,
        )
    return jsonify(mtn.render_error("Success", mtn.SUCCESS_CODE))


def record_session_end(**fields) -> None:
    """Store one end-of-session notification; a repeated one for the same session is ignored."""
    table = UssdSessionEnd.__table__
    dialect_insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    statement = dialect_insert(table).values(ended_at=utcnow(), **fields).on_conflict_do_nothing(
        index_elements=[table.c.gateway, table.c.session_id]
    )
    with db.session.begin():
        db.session.execute(statement)
    log.info(
        "ussd %s: session ended %s after %s hop(s) in %s ms",
        fields["session_id"][:64],
        fields["status"],
        fields["hops_count"],
        fields["duration_ms"],
    )


def _integer(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 16 else None
