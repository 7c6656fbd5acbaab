"""My Wallet (balance, funding, history), Settings (PIN, language), Help, and resuming."""

import hmac
from dataclasses import dataclass

from ussd_flows.menus import onboarding
from ussd_flows.menus.purchase import ORDER_FIELDS, is_pin_shaped, order_summary
from ussd_flows.screens import Choice, End, Goto, Info, Input, PagedList, Retry, Select, Step
from wallet.money import format_amount, parse_whole_major
from wallet.service import PinCheckStatus

FINISH_OPTION = "9"
PURCHASE_STARTS = {"airtime.recipient", "data.recipient"}
# Amounts a customer may ask funding instructions for, in kobo: NGN 100 to NGN 1,000,000.
FUND_MIN_MINOR = 100_00
FUND_MAX_MINOR = 1_000_000_00

# Statement codes and how the history screen names them.
HISTORY_LABELS = {
    "airtime_purchase": "history.airtime",
    "data_purchase": "history.data",
    "manual_credit": "history.credit",
}


def balance_text(context) -> str:
    balance = context.wallet.get_balance(context.phone_number)
    currency = context.settings.currency
    return context.t(
        "wallet.balance",
        available=format_amount(balance.available_minor, currency),
        on_hold=format_amount(balance.on_hold_minor, currency),
    )


def accept_fund_amount(context, value: str) -> Step:
    amount_minor = parse_whole_major(value)
    if amount_minor is None or not FUND_MIN_MINOR <= amount_minor <= FUND_MAX_MINOR:
        return Retry(context.t("wallet.fund_amount_invalid"))
    context.wallet.request_funding(context.phone_number, amount_minor)
    return End(context.t("wallet.fund_sent", amount=format_amount(amount_minor, context.settings.currency)))


def history_items(context) -> list[tuple[str, object]]:
    lines = context.wallet.recent_transactions(context.phone_number, limit=5)
    items = []
    for line in lines:
        label = context.t(HISTORY_LABELS.get(line.code, "history.other"))
        amount = f"{'+' if line.amount_minor > 0 else '-'}N{abs(line.amount_minor) // 100:,}"
        items.append((f"{context.local_date(line.created_at)} {label} {amount}", line.transfer_id))
    return items


def accept_old_pin(context, value: str) -> Step:
    if not is_pin_shaped(value):
        return Retry(context.t("pin.rejected_format"))
    result = context.wallet.verify_pin(context.phone_number, value)
    if result.status == PinCheckStatus.WRONG_PIN:
        return Retry(context.t("pin.wrong", attempts_left=result.attempts_left))
    if result.status == PinCheckStatus.PIN_LOCKED:
        return End(context.t("pin.locked", until=context.local_time(result.locked_until)))
    context.data["pin_verified"] = True
    context.data["old_pin_digest"] = onboarding.pin_digest(context, value)
    return Goto("settings.new_pin")


def accept_new_pin(context, value: str) -> Step:
    hint = onboarding.weak_pin_hint(context, value)
    if hint is not None:
        return Retry(hint)
    if hmac.compare_digest(context.data.get("old_pin_digest", ""), onboarding.pin_digest(context, value)):
        return Retry(context.t("pin.same_as_old"))
    context.data["new_pin_digest"] = onboarding.pin_digest(context, value)
    return Goto("settings.confirm_pin")


def accept_confirm_pin(context, value: str) -> Step:
    expected = context.data.pop("new_pin_digest", "")
    if not context.data.pop("pin_verified", False):
        return End(context.t("common.apology"))
    if not hmac.compare_digest(expected, onboarding.pin_digest(context, value)):
        context.data["pin_verified"] = True
        return Goto("settings.new_pin", notice=context.t("onboarding.pin_mismatch"))
    context.wallet.replace_pin(context.phone_number, value)
    return End(context.t("settings.pin_changed"))


def accept_language(context, language: str) -> Step:
    context.wallet.set_language(context.phone_number, language)
    context.sessions.forget_profile(context.phone_number)
    context.data["language"] = language
    return Goto("main", notice=context.t("settings.language_changed"), reset=True)


@dataclass
class MainMenu(Choice):
    """The main menu, with `9. Finish ...` when the caller left an order unpaid.

    The offer is an extra option rather than a screen of its own, so a customer who types
    their usual path (1, 1, 100) from memory still gets where they meant to go.
    """

    def body(self, context):
        text = super().body(context)
        order = context.data.get("unfinished")
        if order:
            text += f"\n{FINISH_OPTION}. " + context.t("resume.option", order=order_summary(context, order))
        return text

    def handle(self, context, value):
        order = context.data.get("unfinished")
        if order and value == FINISH_OPTION:
            context.data.update({name: order.get(name) for name in ORDER_FIELDS})
            return self._unless_locked(context, Goto(f"{order['product']}.pin"))
        step = super().handle(context, value)
        if isinstance(step, Goto) and step.screen in PURCHASE_STARTS:
            return self._unless_locked(context, step)
        return step

    @staticmethod
    def _unless_locked(context, step: Step) -> Step:
        # Say so before the customer walks the menu to a PIN prompt that will refuse them.
        locked_until = context.wallet.purchases_locked_until(context.phone_number)
        if locked_until is not None:
            return End(context.t("pin.locked", until=context.local_time(locked_until)))
        return step

    def targets(self):
        return super().targets() + ["airtime.pin", "data.pin"]


SCREENS = {
    "main": MainMenu(
        title="main.title",
        options=[
            ("main.buy_airtime", "airtime.recipient"),
            ("main.buy_data", "data.recipient"),
            ("main.my_wallet", "wallet.menu"),
            ("main.settings", "settings.menu"),
            ("main.help", "help"),
        ],
        footer="common.exit",
    ),
    "wallet.menu": Choice(
        title="wallet.title",
        options=[
            ("wallet.check_balance", "wallet.balance"),
            ("wallet.fund", "wallet.fund_amount"),
            ("wallet.history", "wallet.history"),
        ],
    ),
    "wallet.balance": Info(text=balance_text),
    "wallet.fund_amount": Input(prompt=lambda context: context.t("wallet.fund_amount"), accept=accept_fund_amount),
    "wallet.history": PagedList(
        key="wallet.history.page",
        title=lambda context: context.t("history.title"),
        items=history_items,
        empty="history.empty",
    ),
    "settings.menu": Choice(
        title="settings.title",
        options=[("settings.change_pin", "settings.old_pin"), ("settings.language", "settings.choose_language")],
    ),
    "settings.old_pin": Input(
        prompt=lambda context: context.t("settings.old_pin"),
        accept=accept_old_pin,
        next_screens=["settings.new_pin"],
        interactive_only=True,
    ),
    "settings.new_pin": Input(
        prompt=lambda context: context.t("settings.new_pin"),
        accept=accept_new_pin,
        next_screens=["settings.confirm_pin"],
        interactive_only=True,
    ),
    "settings.confirm_pin": Input(
        prompt=lambda context: context.t("onboarding.confirm_pin"),
        accept=accept_confirm_pin,
        next_screens=["settings.new_pin"],
        interactive_only=True,
    ),
    "settings.choose_language": Select(
        title=lambda context: context.t("settings.choose_language"),
        options=lambda context: [(name, code) for code, name in onboarding.LANGUAGES],
        accept=accept_language,
        next_screens=["main"],
    ),
    "help": Info(text=lambda context: context.t("help.text", base=context.settings.service_code.rstrip("#"))),
}
