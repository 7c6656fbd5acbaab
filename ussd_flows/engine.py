"""The USSD engine: one hop in, one screen out.

Gateways differ in what a hop carries. Africa's Talking sends every input of the session
joined by `*`: the engine keeps the text it has already seen and takes the new input as the
suffix after it, so an input that contains `*` stays one input. A hop repeated with the same
text gets the stored screen again and acts no second time. Gateways such as MTN's send only
the latest input, which the engine takes as it is.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from providers.numbers import mask
from ussd_flows import menus
from ussd_flows.messages import translate
from ussd_flows.screens import End, Goto, Retry, Screen, Stay
from ussd_flows.session import ResumeStore, SessionState, SessionStore

log = logging.getLogger(__name__)

BACK = "0"
HOME = "00"
# Lagos time (WAT) has no daylight saving, so a fixed offset is exact.
LAGOS = timezone(timedelta(hours=1), "WAT")


@dataclass(frozen=True)
class Hop:
    """One gateway request, normalised.

    `text` is the cumulative input for gateways that send it (None for the others), `input`
    the latest input for gateways that send only that, and `is_new` whether the gateway marks
    the session as starting here (None when it does not).
    """

    gateway: str
    session_id: str
    phone_number: str
    network: str | None
    service_code: str
    text: str | None = None
    input: str | None = None
    is_new: bool | None = None


@dataclass(frozen=True)
class Reply:
    text: str
    end: bool


@dataclass(frozen=True)
class EngineSettings:
    service_code: str
    screen_limit: int
    max_invalid_inputs: int
    currency: str
    airtime_min_minor: int
    airtime_max_minor: int
    secret_key: str
    region: str = "NG"


class HopContext:
    """The hop, session state, wallet service and settings a screen works with."""

    def __init__(
        self,
        hop: Hop,
        state: SessionState,
        wallet,
        settings: EngineSettings,
        resume: ResumeStore,
        sessions: SessionStore | None = None,
    ):
        self.hop = hop
        self.state = state
        self.wallet = wallet
        self.settings = settings
        self.resume = resume
        self.sessions = sessions

    @property
    def session_id(self) -> str:
        return self.hop.session_id

    @property
    def phone_number(self) -> str:
        return self.state.phone_number

    @property
    def network(self) -> str | None:
        return self.hop.network

    @property
    def data(self) -> dict:
        return self.state.data

    @property
    def language(self) -> str:
        return self.state.data.get("language", "en")

    def t(self, message_id: str, **params) -> str:
        return translate(message_id, self.language, **params)

    @staticmethod
    def local_time(moment: datetime) -> str:
        return moment.astimezone(LAGOS).strftime("%H:%M")

    @staticmethod
    def local_date(moment: datetime) -> str:
        return moment.astimezone(LAGOS).strftime("%d/%m")


def extract_new_input(seen_text: str, text: str) -> str | None:
    """Return the input typed since `seen_text`, or None when `text` does not extend it."""
    if seen_text == "":
        return text
    if text.startswith(seen_text + "*"):
        return text[len(seen_text) + 1 :]
    return None


def dialled_fields(service_code: str, base_code: str) -> list[str]:
    """Return the fields dialled after our code: `*384*123*500*0803...#` gives ['500', '0803...']."""
    dialled, base = service_code.strip().rstrip("#"), base_code.strip().rstrip("#")
    if not dialled.startswith(base + "*"):
        return []
    return [field for field in dialled[len(base) + 1 :].split("*") if field]


class Engine:
    def __init__(
        self,
        store: SessionStore,
        settings: EngineSettings,
        resume: ResumeStore,
        menu: dict[str, Screen] | None = None,
    ):
        self.store = store
        self.settings = settings
        self.resume = resume
        self.menu = menu or menus.MENU

    def handle(self, hop: Hop, wallet) -> Reply:
        """Answer one hop and save the session state, one hop of a session at a time.

        :raises SessionBusy: an earlier hop of the session is still running.
        """
        checkout = self.store.check_out(hop.gateway, hop.session_id, hop.phone_number)
        saved = None
        try:
            reply, saved = self._handle(hop, wallet, checkout)
        finally:
            try:
                self.store.check_in(hop.gateway, hop.session_id, checkout.token, saved)
            except Exception:
                # The hop may already have placed a purchase: return its screen, not an apology.
                log.exception("ussd %s: session state not saved", hop.session_id)
        return reply

    def _handle(self, hop: Hop, wallet, checkout) -> tuple[Reply, SessionState | None]:
        """Return the reply and the state to save (None leaves the stored state as it is)."""
        state = checkout.state
        if state is not None and hop.is_new:
            # The gateway reuses a session id for a new dial: start afresh.
            state = None
        if state is not None and hop.text is not None and state.hops > 0 and hop.text == state.seen_text:
            log.info("ussd %s: repeated hop, returned the stored screen", hop.session_id)
            return Reply(state.last_text, state.last_end), None
        if state is not None and state.ended:
            log.info("ussd %s: hop after the session ended", hop.session_id)
            if state.last_end:
                return Reply(state.last_text, True), None
            # The gateway ended it (cancel, timeout) while a screen still waited for input.
            text = translate("common.session_ended", state.data.get("language", "en"), service_code=self.settings.service_code)
            return Reply(text, True), None
        if state is None and hop.is_new is False:
            log.info("ussd %s: continue of a session that is not open", hop.session_id)
            text = translate("common.session_ended", "en", service_code=self.settings.service_code)
            return Reply(text, True), None
        if state is None:
            reply, state = self._start(hop, wallet, checkout)
        else:
            reply = self._continue(hop, state, wallet)
        state.ended = reply.end
        state.seen_text = hop.text or ""
        state.last_text, state.last_end = reply.text, reply.end
        state.hops += 1
        return reply, state

    def _profile(self, hop: Hop, wallet, checkout) -> dict | None:
        """Return the caller's profile, from the cache when a recent session stored it."""
        if checkout.profile is not None:
            return checkout.profile
        found = wallet.find_customer(hop.phone_number)
        if found is None:
            return None
        profile = {"language": found.language, "has_pin": found.has_pin}
        if found.has_pin:
            self.store.cache_profile(hop.phone_number, profile)
        return profile

    def _start(self, hop: Hop, wallet, checkout) -> tuple[Reply, SessionState]:
        profile = self._profile(hop, wallet, checkout)
        registered = profile is not None and profile["has_pin"]
        state = SessionState(phone_number=hop.phone_number, screen=menus.ROOT_NEW_CALLER)
        state.data["language"] = profile["language"] if profile else "en"
        context = HopContext(hop, state, wallet, self.settings, self.resume, self.store)
        if not registered:
            log.info("ussd %s: new session for new caller %s", hop.session_id, mask(hop.phone_number))
            return self._render(context), state

        state.screen = menus.ROOT_REGISTERED
        fields = hop.text.split("*") if hop.text else dialled_fields(hop.service_code, self.settings.service_code)
        log.info("ussd %s: new session for %s with %s dialled field(s)", hop.session_id, mask(hop.phone_number), len(fields))
        if fields:
            return self._speed_dial(context, fields), state
        if checkout.resume and checkout.resume.get("product"):
            state.data["unfinished"] = checkout.resume
        return self._render(context), state

    def _speed_dial(self, context: HopContext, fields: list[str]) -> Reply:
        """Act on a dial string: an airtime shortcut, or a path through the menu walked field by field."""
        step = menus.start_speed_dial(context, fields)
        if step is not None:
            return self._step(context, step)
        reply = self._render(context)
        for value in fields:
            if self.menu[context.state.screen].interactive_only:
                break
            reply = self._apply(context, value)
            if reply.end or context.state.invalid_inputs:
                break
        return reply

    def _continue(self, hop: Hop, state: SessionState, wallet) -> Reply:
        context = HopContext(hop, state, wallet, self.settings, self.resume, self.store)
        if hop.text is None:
            value = hop.input or ""
        else:
            value = extract_new_input(state.seen_text, hop.text)
            if value is None:
                log.info("ussd %s: text does not extend the previous one; showing the screen again", hop.session_id)
                return self._render(context)
        return self._apply(context, value)

    def _apply(self, context: HopContext, value: str) -> Reply:
        state = context.state
        screen = self.menu[state.screen]
        # Onboarding has no way back or home, only out: the caller has no account until the
        # PIN is set, and `0` can be no PIN or language.
        navigable = state.screen not in menus.ONBOARDING
        if value == BACK and not navigable:
            return Reply(context.t("common.goodbye"), end=True)
        if value == HOME and navigable:
            return self._step(context, Goto(menus.MAIN, reset=True))
        if value == BACK and navigable:
            step = screen.handle_back(context)
            if step is not None:
                return self._step(context, step)
            if not state.stack:
                return Reply(context.t("common.goodbye"), end=True)
            state.screen = state.stack.pop()
            state.invalid_inputs = 0
            return self._render(context)
        return self._step(context, screen.handle(context, value))

    def _step(self, context: HopContext, step) -> Reply:
        state = context.state
        if isinstance(step, End):
            return self._reply(context, step.text, end=True)
        if isinstance(step, Stay):
            state.invalid_inputs = 0
            return self._render(context)
        if isinstance(step, Retry):
            state.invalid_inputs += 1
            log.info("ussd %s: invalid input on %s (%s in a row)", context.session_id, state.screen, state.invalid_inputs)
            if state.invalid_inputs >= self.settings.max_invalid_inputs:
                text = context.t("common.too_many_invalid", service_code=self.settings.service_code)
                return self._reply(context, text, end=True)
            return self._render(context, notice=step.hint)
        if step.reset:
            state.stack = []
        else:
            state.stack.append(state.screen)
        state.screen = step.screen
        state.invalid_inputs = 0
        return self._render(context, notice=step.notice)

    def _render(self, context: HopContext, notice: str = "") -> Reply:
        text = self.menu[context.state.screen].render(context)
        return self._reply(context, f"{notice}\n{text}" if notice else text, end=False)

    def _reply(self, context: HopContext, text: str, end: bool) -> Reply:
        limit = self.settings.screen_limit
        if len(text) > limit:
            log.error(
                "ussd %s: screen %s is %s characters, cut to %s",
                context.session_id,
                context.state.screen,
                len(text),
                limit,
            )
            text = text[:limit]
        return Reply(text, end)
