"""First dial: language, a new PIN and its confirmation."""

import hashlib
import hmac

from ussd_flows.screens import Goto, Input, Retry, Select, Step
from wallet.customers import validate_new_pin
from wallet.errors import InvalidPin

LANGUAGE = "onboarding.language"
NEW_PIN = "onboarding.new_pin"
CONFIRM_PIN = "onboarding.confirm_pin"
SCREENS_WITHOUT_WAY_BACK = {LANGUAGE, NEW_PIN, CONFIRM_PIN}

# Languages with a complete catalogue, in menu order: (code, name in that language).
LANGUAGES = [("en", "English"), ("pcm", "Pidgin")]


def pin_digest(context, pin: str) -> str:
    """Return a keyed digest of a PIN for comparing with its confirmation.

    The first PIN waits in Redis for the second; only this digest is kept there.
    """
    message = f"{context.session_id}:{pin}".encode()
    return hmac.new(context.settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def weak_pin_hint(context, value: str) -> str | None:
    """Return why a new PIN is rejected, in the caller's language, or None if it is fine."""
    try:
        validate_new_pin(value, context.phone_number)
    except InvalidPin as error:
        return context.t(f"pin.rejected_{error.reason}")
    return None


def choose_language(context, language: str) -> Step:
    context.data["language"] = language
    return Goto(NEW_PIN)


def choose_new_pin(context, value: str) -> Step:
    hint = weak_pin_hint(context, value)
    if hint is not None:
        return Retry(hint)
    context.data["new_pin_digest"] = pin_digest(context, value)
    return Goto(CONFIRM_PIN)


def confirm_new_pin(context, value: str) -> Step:
    expected = context.data.pop("new_pin_digest", "")
    if not hmac.compare_digest(expected, pin_digest(context, value)):
        return Goto(NEW_PIN, notice=context.t("onboarding.pin_mismatch"), reset=True)
    context.wallet.register(context.phone_number, value, context.language)
    return Goto("main", notice=context.t("onboarding.done"), reset=True)


SCREENS = {
    LANGUAGE: Select(
        title=lambda context: context.t("onboarding.language"),
        options=lambda context: [(name, code) for code, name in LANGUAGES],
        accept=choose_language,
        next_screens=[NEW_PIN],
        footer="common.exit",
    ),
    NEW_PIN: Input(
        prompt=lambda context: context.t("onboarding.new_pin"),
        accept=choose_new_pin,
        next_screens=[CONFIRM_PIN],
        interactive_only=True,
        footer="common.exit",
    ),
    CONFIRM_PIN: Input(
        prompt=lambda context: context.t("onboarding.confirm_pin"),
        accept=confirm_new_pin,
        next_screens=[NEW_PIN, "main"],
        interactive_only=True,
        footer="common.exit",
    ),
}
