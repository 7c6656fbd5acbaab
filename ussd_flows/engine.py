"""The USSD engine: one hop in, one screen out.

Africa's Talking sends every input of the session joined by `*`. The engine keeps the text it
has already seen and takes the new input as the suffix after it, so an input that contains
`*` is not split, and a hop repeated with the same text gets the stored screen again without
acting twice.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from providers.numbers import mask
from ussd_flows import menus
from ussd_flows.messages import translate
from ussd_flows.screens import End, Goto, Retry, Screen
from ussd_flows.session import SessionState, SessionStore

log = logging.getLogger(__name__)

BACK = "0"
HOME = "00"
# Lagos time (WAT) has no daylight saving, so a fixed offset is exact.
LAGOS = timezone(timedelta(hours=1), "WAT")


@dataclass(frozen=True)
class Hop:
    """One gateway request, normalised."""

    gateway: str
    session_id: str
    phone_number: str
    network: str | None
    service_code: str
    text: str


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


class HopContext:
    """The hop, session state, wallet service and settings a screen works with."""

    def __init__(self, hop: Hop, state: SessionState, wallet, settings: EngineSettings):
        self.hop = hop
        self.state = state
        self.wallet = wallet
        self.settings = settings

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


def extract_new_input(seen_text: str, text: str) -> str | None:
    """Return the input typed since `seen_text`, or None when `text` does not extend it."""
    if seen_text == "":
        return text
    if text.startswith(seen_text + "*"):
        return text[len(seen_text) + 1 :]
    return None


class Engine:
    def __init__(self, store: SessionStore, settings: EngineSettings, menu: dict[str, Screen] | None = None):
        self.store = store
        self.settings = settings
        self.menu = menu or menus.MENU

    def handle(self, hop: Hop, wallet) -> Reply:
        """Answer one hop and save the session state, one hop of a session at a time.

        :raises SessionBusy: an earlier hop of the session is still running.
        """
        with self.store.lock(hop.gateway, hop.session_id):
            return self._handle(hop, wallet)

    def _handle(self, hop: Hop, wallet) -> Reply:
        state = self.store.load(hop.gateway, hop.session_id)
        if state is not None and state.hops > 0 and hop.text == state.seen_text:
            log.info("ussd %s: repeated hop, answered from the stored screen", hop.session_id)
            return Reply(state.last_text, state.last_end)
        if state is None:
            reply, state = self._start(hop, wallet)
        else:
            reply = self._continue(hop, state, wallet)
        state.seen_text = hop.text
        state.last_text, state.last_end = reply.text, reply.end
        state.hops += 1
        try:
            self.store.save(hop.gateway, hop.session_id, state)
        except Exception:
            # The hop may already have placed a purchase: answer it rather than apologise.
            log.exception("ussd %s: session state not saved", hop.session_id)
        return reply

    def _start(self, hop: Hop, wallet) -> tuple[Reply, SessionState]:
        profile = wallet.find_customer(hop.phone_number)
        root = menus.ROOT_REGISTERED if profile and profile.has_pin else menus.ROOT_NEW_CALLER
        state = SessionState(phone_number=hop.phone_number, screen=root)
        state.data["language"] = profile.language if profile else "en"
        context = HopContext(hop, state, wallet, self.settings)
        log.info("ussd %s: new session for %s on %s", hop.session_id, mask(hop.phone_number), root)
        reply = self._render(context)
        if hop.text:
            # A speed-dial string (*384*123*1*500#): walk it one field at a time.
            for value in hop.text.split("*"):
                if self.menu[state.screen].interactive_only:
                    break
                reply = self._apply(context, value)
                if reply.end or state.invalid_inputs:
                    break
        return reply, state

    def _continue(self, hop: Hop, state: SessionState, wallet) -> Reply:
        context = HopContext(hop, state, wallet, self.settings)
        value = extract_new_input(state.seen_text, hop.text)
        if value is None:
            log.info("ussd %s: text does not extend the previous one; showing the screen again", hop.session_id)
            return self._render(context)
        return self._apply(context, value)

    def _apply(self, context: HopContext, value: str) -> Reply:
        state = context.state
        screen = self.menu[state.screen]
        # Onboarding has no way back or home: the caller has no account until the PIN is set.
        navigable = state.screen not in menus.ONBOARDING
        if value == HOME and navigable:
            return self._goto(context, Goto(menus.MAIN, reset=True))
        if value == BACK and navigable and screen.allows_back:
            if not state.stack:
                return Reply(context.t("common.goodbye"), end=True)
            state.screen = state.stack.pop()
            state.invalid_inputs = 0
            return self._render(context)

        step = screen.handle(context, value)
        if isinstance(step, End):
            return self._reply(context, step.text, end=True)
        if isinstance(step, Retry):
            state.invalid_inputs += 1
            log.info("ussd %s: invalid input on %s (%s in a row)", context.session_id, state.screen, state.invalid_inputs)
            if state.invalid_inputs >= self.settings.max_invalid_inputs:
                return self._reply(
                    context, context.t("common.too_many_invalid", service_code=self.settings.service_code), end=True
                )
            return self._render(context, notice=step.hint)
        return self._goto(context, step)

    def _goto(self, context: HopContext, step: Goto) -> Reply:
        state = context.state
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
            log.error("ussd %s: screen %s is %s characters, cut to %s", context.session_id, context.state.screen, len(text), limit)
            text = text[:limit]
        return Reply(text, end)
