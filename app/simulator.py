"""Simulator endpoints for testers: read the SMS a phone would have received."""

import logging

from flask import Blueprint, current_app, jsonify, request

from app.extensions import db
from providers.numbers import to_e164
from sms.outbound import list_for_phone

log = logging.getLogger(__name__)

bp = Blueprint("simulator", __name__, url_prefix="/simulator")


@bp.get("/inbox")
def inbox():
    """Return the outbound SMS to `phone`, newest first."""
    raw = request.args.get("phone", "")
    phone_number = to_e164(raw, current_app.config["DEFAULT_REGION"]) if raw else None
    if phone_number is None:
        log.info("simulator: inbox request with invalid phone %r", raw[:20])
        return jsonify(error="phone is missing or not a valid mobile number"), 400
    with db.session.begin():
        messages = list_for_phone(db.session, phone_number)
        return jsonify(
            [
                {
                    "body": message.body,
                    "status": message.status.value,
                    "created_at": message.created_at.isoformat(),
                }
                for message in messages
            ]
        )
