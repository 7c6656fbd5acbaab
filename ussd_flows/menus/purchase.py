"""Buy Airtime and Buy Data: recipient, network, amount or plan, confirmation and PIN.

Both products share the recipient and network screens, named `<product>.<step>`. Once the
customer confirms, the details are kept for ten minutes so that a session lost before the PIN
can be finished from the next dial.
"""

from providers.numbers import NETWORK_NAMES, detect_network, to_e164, to_national
from ussd_flows.screens import Confirm, End, Goto, Input, PagedList, Retry, Select, Step
from wallet.money import format_amount, parse_whole_major
from wallet.service import AttemptStatus

AIRTIME, DATA = "airtime", "data"
NETWORK_CHOICES = ["mtn", "airtel", "glo", "9mobile"]
CATEGORIES = [("data.daily", "daily"), ("data.weekly", "weekly"), ("data.monthly", "monthly")]
# Fields of the session data that describe the purchase being built.
ORDER_FIELDS = ("product", "recipient", "network", "amount_minor", "plan_id", "plan_label", "speed_dial")


def _first_step(product: str) -> str:
    return "airtime.amount" if product == AIRTIME else "data.category"


def _after_network(context, product: str) -> Step:
    if context.data.get("speed_dial"):
        return Goto(f"{product}.pin")
    return Goto(_first_step(product))


def _set_recipient(context, product: str, recipient: str, own_number: bool) -> Step:
    context.data.update(product=product, recipient=recipient)
    # The gateway's network code is the telco's own word for the caller's number; a prefix
    # is only where the number started, because numbers can be ported.
    network = context.network if own_number else None
    if network is not None:
        context.data["network"] = network
        return _after_network(context, product)
    detected = detect_network(recipient)
    if detected is None:
        return Goto(f"{product}.network_choose")
    context.data["network"] = detected
    return Goto(f"{product}.network_confirm")


def recipient_screen(product: str) -> Select:
    def accept(context, choice) -> Step:
        if choice == "own":
            return _set_recipient(context, product, context.phone_number, own_number=True)
        context.data["product"] = product
        return Goto(f"{product}.number")

    return Select(
        title=lambda context: context.t(f"{product}.recipient"),
        options=lambda context: [(context.t("purchase.my_number"), "own"), (context.t("purchase.other_number"), "other")],
        accept=accept,
        next_screens=[f"{product}.number", f"{product}.network_confirm", f"{product}.network_choose", _first_step(product)],
    )


def number_screen(product: str) -> Input:
    def accept(context, value) -> Step:
        recipient = to_e164(value.strip(), context.settings.region)
        if recipient is None:
            return Retry(context.t("purchase.number_invalid"))
        return _set_recipient(context, product, recipient, own_number=recipient == context.phone_number)

    return Input(
        prompt=lambda context: context.t("purchase.number"),
        accept=accept,
        next_screens=[f"{product}.network_confirm", f"{product}.network_choose", _first_step(product)],
    )


def network_confirm_screen(product: str) -> Select:
    def accept(context, choice) -> Step:
        if choice == "change":
            return Goto(f"{product}.network_choose")
        return _after_network(context, product)

    return Select(
        title=lambda context: context.t(
            "purchase.network_detected",
            number=to_national(context.data["recipient"]),
            network=NETWORK_NAMES[context.data["network"]],
        ),
        options=lambda context: [(context.t("purchase.continue"), "keep"), (context.t("purchase.change_network"), "change")],
        accept=accept,
        next_screens=[f"{product}.network_choose", _first_step(product), f"{product}.pin"],
    )


def network_choose_screen(product: str) -> Select:
    def accept(context, network) -> Step:
        context.data["network"] = network
        return _after_network(context, product)

    return Select(
        title=lambda context: context.t("purchase.network_choose", number=to_national(context.data["recipient"])),
        options=lambda context: [(NETWORK_NAMES[code], code) for code in NETWORK_CHOICES],
        accept=accept,
        next_screens=[_first_step(product), f"{product}.pin"],
    )


def _limits_text(context) -> tuple[str, str]:
    settings = context.settings
    return f"{settings.airtime_min_minor // 100:,}", f"{settings.airtime_max_minor // 100:,}"


def parse_airtime_amount(context, value: str) -> int | None:
    """Return an airtime amount typed in naira as kobo, or None outside the limits."""
    amount_minor = parse_whole_major(value)
    settings = context.settings
    if amount_minor is None or not settings.airtime_min_minor <= amount_minor <= settings.airtime_max_minor:
        return None
    return amount_minor


def accept_airtime_amount(context, value: str) -> Step:
    amount_minor = parse_airtime_amount(context, value)
    if amount_minor is None:
        minimum, maximum = _limits_text(context)
        return Retry(context.t("airtime.amount_invalid", min=minimum, max=maximum))
    context.data["amount_minor"] = amount_minor
    return Goto("airtime.confirm")


def _amount(context) -> str:
    return format_amount(context.data["amount_minor"], context.settings.currency)


def _product_text(context) -> str:
    """Describe what is being bought: 'MTN airtime' or 'MTN 1GB 30 days'."""
    network = NETWORK_NAMES[context.data["network"]]
    if context.data["product"] == AIRTIME:
        return context.t("airtime.product", network=network)
    return f"{network} {context.data['plan_label']}"


def order_summary(context, order: dict) -> str:
    """Name an order in a few words: 'NGN 400 MTN airtime' or 'MTN 1GB 7 days'."""
    network = NETWORK_NAMES.get(order.get("network"), "")
    if order.get("product") == AIRTIME:
        amount = format_amount(order["amount_minor"], context.settings.currency)
        return f"{amount} {context.t('airtime.product', network=network)}"
    return f"{network} {order.get('plan_label', '')}"


def confirm_prompt(context) -> str:
    return context.t(
        "purchase.confirm",
        product=_product_text(context),
        amount=_amount(context),
        recipient=to_national(context.data["recipient"]),
    )


def pin_prompt(context) -> str:
    return context.t(
        "purchase.pin",
        product=_product_text(context),
        amount=_amount(context),
        recipient=to_national(context.data["recipient"]),
    )


def remember_order(context) -> None:
    """Keep the confirmed order so the next dial can finish it if this session is lost."""
    context.resume.save(context.phone_number, {name: context.data.get(name) for name in ORDER_FIELDS})


def is_pin_shaped(value: str) -> bool:
    """Return whether an input could be a PIN at all; anything else costs no PIN attempt."""
    return len(value) == 4 and value.isascii() and value.isdigit()


def accept_pin(context, value: str) -> Step:
    if not is_pin_shaped(value):
        return Retry(context.t("pin.rejected_format"))
    data = context.data
    request_key = f"ussd:{context.hop.gateway}:{context.session_id}"
    if data["product"] == AIRTIME:
        attempt = context.wallet.buy_airtime(
            context.phone_number,
            recipient=data["recipient"],
            network=data["network"],
            amount_minor=data["amount_minor"],
            pin=value,
            channel="ussd",
            request_key=request_key,
        )
    else:
        attempt = context.wallet.buy_data(
            context.phone_number,
            recipient=data["recipient"],
            plan_id=data["plan_id"],
            pin=value,
            channel="ussd",
            request_key=request_key,
        )
    return _answer_attempt(context, attempt)


def _answer_attempt(context, attempt) -> Step:
    currency = context.settings.currency
    if attempt.status == AttemptStatus.PLACED:
        context.resume.clear(context.phone_number)
        return End(context.t("purchase.placed", reference=attempt.reference))
    if attempt.status == AttemptStatus.WRONG_PIN:
        return Retry(context.t("pin.wrong", attempts_left=attempt.attempts_left))
    context.resume.clear(context.phone_number)
    if attempt.status == AttemptStatus.PIN_LOCKED:
        return End(context.t("pin.locked", until=context.local_time(attempt.locked_until)))
    if attempt.status == AttemptStatus.INSUFFICIENT_FUNDS:
        available = format_amount(attempt.available_minor, currency)
        return End(context.t("purchase.insufficient", available=available, amount=_amount(context)))
    if attempt.status == AttemptStatus.LIMIT_EXCEEDED:
        return End(
            context.t(
                "purchase.daily_limit",
                limit=format_amount(attempt.limit_minor, currency),
                remaining=format_amount(attempt.remaining_minor, currency),
            )
        )
    return End(context.t("purchase.unavailable"))


def plan_items(context) -> list[tuple[str, object]]:
    plans = context.wallet.list_data_plans(context.data["network"], context.data["category"])
    return [(f"{plan.size_text} {plan.validity_text} N{plan.price_minor // 100:,}", plan) for plan in plans]


def accept_plan(context, plan) -> Step:
    context.data.update(
        plan_id=plan.plan_id,
        plan_label=f"{plan.size_text} {plan.validity_text}",
        amount_minor=plan.price_minor,
    )
    return Goto("data.confirm")


def accept_category(context, category) -> Step:
    context.data["category"] = category
    context.data.pop("data.plans.page", None)
    return Goto("data.plans")


# A first dialled field of this many naira or more is an amount; below it, a menu number.
SHORTCUT_MIN_NAIRA = 10


def start_speed_dial(context, fields: list[str]) -> Step | None:
    """Turn `*384*123*AMOUNT#` or `*384*123*AMOUNT*PHONE#` into an airtime order at the PIN.

    Returns None when the fields are a path through the menu instead (`1*1`, `3*1`). A bad
    amount or number in a shortcut opens the screen that asks for it, with its hint.
    """
    first = fields[0] if fields else ""
    if not 1 <= len(fields) <= 2 or not (first.isascii() and first.isdigit()) or int(first) < SHORTCUT_MIN_NAIRA:
        return None
    context.data.update(product=AIRTIME, recipient=context.phone_number)
    amount_minor = parse_airtime_amount(context, first)
    if amount_minor is None:
        minimum, maximum = _limits_text(context)
        return Goto("airtime.amount", notice=context.t("airtime.amount_invalid", min=minimum, max=maximum))
    recipient = context.phone_number
    if len(fields) == 2:
        recipient = to_e164(fields[1], context.settings.region)
        if recipient is None:
            context.data["amount_minor"] = amount_minor
            return Goto("airtime.number", notice=context.t("purchase.number_invalid"))
    context.data.update(amount_minor=amount_minor, speed_dial=True)
    step = _set_recipient(context, AIRTIME, recipient, own_number=recipient == context.phone_number)
    if isinstance(step, Goto) and step.screen == f"{AIRTIME}.network_confirm":
        # A number typed in the dial string gets its prefix's network shown with the PIN prompt;
        # the customer confirms both by entering the PIN.
        return Goto(f"{AIRTIME}.pin")
    return step


def screens() -> dict:
    built = {}
    for product in (AIRTIME, DATA):
        built[f"{product}.recipient"] = recipient_screen(product)
        built[f"{product}.number"] = number_screen(product)
        built[f"{product}.network_confirm"] = network_confirm_screen(product)
        built[f"{product}.network_choose"] = network_choose_screen(product)
        built[f"{product}.confirm"] = Confirm(
            prompt=confirm_prompt, next_screen=f"{product}.pin", on_confirm=remember_order, interactive_only=True
        )
        built[f"{product}.pin"] = Input(prompt=pin_prompt, accept=accept_pin, interactive_only=True)
    built["airtime.amount"] = Input(
        prompt=lambda context: context.t("airtime.amount", min=_limits_text(context)[0], max=_limits_text(context)[1]),
        accept=accept_airtime_amount,
        next_screens=["airtime.confirm"],
    )
    built["data.category"] = Select(
        title=lambda context: context.t("data.category"),
        options=lambda context: [(context.t(label), value) for label, value in CATEGORIES],
        accept=accept_category,
        next_screens=["data.plans"],
    )
    built["data.plans"] = PagedList(
        key="data.plans.page",
        title=lambda context: context.t("data.plans", network=NETWORK_NAMES[context.data["network"]]),
        items=plan_items,
        accept=accept_plan,
        next_screens=["data.confirm"],
        empty="data.no_plans",
    )
    return built
