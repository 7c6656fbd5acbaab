"""The customer's USSD menu, described as data over the screen types.

Actions reach the wallet only through `context.wallet` (a `wallet.service.WalletService`).
"""

import hashlib
import hmac

from providers.numbers import NETWORK_NAMES, detect_network, to_national
from ussd_flows.screens import Choice, Confirm, End, Goto, Info, Input, Retry, Step
from wallet.errors import InvalidPin
from wallet.money import format_amount, parse_whole_major
from wallet.service import AttemptStatus

MAIN = "main"
NETWORK_CHOICES = ["mtn", "airtel", "glo", "9mobile"]
NEW_PIN = "onboarding.new_pin"


def _pin_digest(context, pin: str) -> str:
    # The first PIN waits in Redis for its confirmation; keep only a keyed digest of it there.
    message = f"{context.session_id}:{pin}".encode()
    return hmac.new(context.settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def choose_new_pin(context, value: str) -> Step:
    if len(value) != 4 or not value.isascii() or not value.isdigit():
        return Retry(context.t("onboarding.pin_invalid"))
    context.data["new_pin_digest"] = _pin_digest(context, value)
    return Goto("onboarding.confirm_pin")


def confirm_new_pin(context, value: str) -> Step:
    expected = context.data.pop("new_pin_digest", "")
    if not hmac.compare_digest(expected, _pin_digest(context, value)):
        return Goto(NEW_PIN, notice=context.t("onboarding.pin_mismatch"), reset=True)
    try:
        context.wallet.register(context.phone_number, value, context.language)
    except InvalidPin:
        return Goto(NEW_PIN, notice=context.t("onboarding.pin_invalid"), reset=True)
    return Goto(MAIN, notice=context.t("onboarding.done"), reset=True)


def _limits(context) -> tuple[str, str]:
    settings = context.settings
    return f"{settings.airtime_min_minor // 100:,}", f"{settings.airtime_max_minor // 100:,}"


def airtime_amount_prompt(context) -> str:
    minimum, maximum = _limits(context)
    return context.t("airtime.amount", min=minimum, max=maximum)


def accept_airtime_amount(context, value: str) -> Step:
    amount_minor = parse_whole_major(value)
    settings = context.settings
    if amount_minor is None or not settings.airtime_min_minor <= amount_minor <= settings.airtime_max_minor:
        minimum, maximum = _limits(context)
        return Retry(context.t("airtime.amount_invalid", min=minimum, max=maximum))
    context.data["amount_minor"] = amount_minor
    context.data["recipient"] = context.phone_number
    network = context.network or detect_network(context.phone_number)
    if network is None:
        return Goto("airtime.network")
    context.data["network"] = network
    return Goto("airtime.confirm")


def network_prompt(context) -> str:
    lines = [context.t("airtime.network")]
    lines += [f"{number}. {NETWORK_NAMES[code]}" for number, code in enumerate(NETWORK_CHOICES, 1)]
    return "\n".join(lines)


def accept_network(context, value: str) -> Step:
    if not (value.isascii() and value.isdigit() and 1 <= int(value) <= len(NETWORK_CHOICES)):
        return Retry(context.t("common.invalid_choice"))
    context.data["network"] = NETWORK_CHOICES[int(value) - 1]
    return Goto("airtime.confirm")


def _amount_text(context) -> str:
    return format_amount(context.data["amount_minor"], context.settings.currency)


def airtime_confirm_prompt(context) -> str:
    return context.t("airtime.confirm", amount=_amount_text(context), recipient=to_national(context.data["recipient"]))


def airtime_pin_prompt(context) -> str:
    return context.t("airtime.pin", amount=_amount_text(context))


def accept_airtime_pin(context, value: str) -> Step:
    attempt = context.wallet.buy_airtime(
        context.phone_number,
        recipient=context.data["recipient"],
        network=context.data["network"],
        amount_minor=context.data["amount_minor"],
        pin=value,
        channel="ussd",
        request_key=f"ussd:{context.hop.gateway}:{context.session_id}",
    )
    currency = context.settings.currency
    if attempt.status == AttemptStatus.PLACED:
        return End(context.t("airtime.placed", reference=attempt.reference))
    if attempt.status == AttemptStatus.WRONG_PIN:
        return Retry(context.t("pin.wrong", attempts_left=attempt.attempts_left))
    if attempt.status == AttemptStatus.PIN_LOCKED:
        return End(context.t("pin.locked", until=context.local_time(attempt.locked_until)))
    if attempt.status == AttemptStatus.INSUFFICIENT_FUNDS:
        return End(
            context.t(
                "airtime.insufficient",
                available=format_amount(attempt.available_minor, currency),
                amount=_amount_text(context),
            )
        )
    if attempt.status == AttemptStatus.LIMIT_EXCEEDED:
        return End(context.t("airtime.daily_limit", limit=format_amount(attempt.limit_minor, currency)))
    return Goto("airtime.amount", reset=False)


def balance_text(context) -> str:
    balance = context.wallet.get_balance(context.phone_number)
    currency = context.settings.currency
    return context.t(
        "wallet.balance",
        available=format_amount(balance.available_minor, currency),
        on_hold=format_amount(balance.on_hold_minor, currency),
    )


MENU = {
    NEW_PIN: Input(prompt=lambda c: c.t(NEW_PIN), accept=choose_new_pin,
                   next_screens=["onboarding.confirm_pin"], interactive_only=True),
    "onboarding.confirm_pin": Input(prompt=lambda c: c.t("onboarding.confirm_pin"), accept=confirm_new_pin,
                                    next_screens=[NEW_PIN, MAIN], interactive_only=True),
    MAIN: Choice(title="main.title", options=[("main.buy_airtime", "airtime.amount"),
                                              ("main.my_wallet", "wallet.balance")]),
    "airtime.amount": Input(prompt=airtime_amount_prompt, accept=accept_airtime_amount,
                            next_screens=["airtime.confirm", "airtime.network"]),
    "airtime.network": Input(prompt=network_prompt, accept=accept_network, next_screens=["airtime.confirm"]),
    "airtime.confirm": Confirm(prompt=airtime_confirm_prompt, next_screen="airtime.pin"),
    "airtime.pin": Input(prompt=airtime_pin_prompt, accept=accept_airtime_pin,
                         next_screens=["airtime.amount"], interactive_only=True),
    "wallet.balance": Info(text=balance_text),
}

# Screens where a new session may start, by whether the caller is registered.
ROOT_REGISTERED = MAIN
ROOT_NEW_CALLER = NEW_PIN
ONBOARDING = {NEW_PIN, "onboarding.confirm_pin"}
