"""Screen types: each renders its text and turns one input into the next step.

Every screen but the main menu and onboarding ends with `0. Back` (the engine handles `0` and
`00`), so a customer always has a way back or out.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Goto:
    """Show another screen; `reset` empties the back stack (a new start such as the main menu)."""

    screen: str
    notice: str = ""
    reset: bool = False


@dataclass(frozen=True)
class Retry:
    """Ask the same screen again, after a short hint of what was wrong."""

    hint: str


@dataclass(frozen=True)
class End:
    """Close the session with a final text."""

    text: str


@dataclass(frozen=True)
class Stay:
    """Show the same screen again without counting an invalid input (a new page of a list)."""


Step = Goto | Retry | End | Stay

# Characters a list keeps free for the engine's hint line (the longest is under 30).
NOTICE_ROOM_CHARACTERS = 30


class Screen:
    """A USSD screen of the menu.

    `interactive_only` screens never take a field of a speed-dial string: the customer must see
    them and type the answer in a hop of their own (PIN entry, for one).
    """

    interactive_only = False
    footer = "common.back"

    def render(self, context) -> str:
        text = self.body(context)
        return f"{text}\n{context.t(self.footer)}" if self.footer else text

    def body(self, context) -> str:
        raise NotImplementedError

    def handle(self, context, value: str) -> Step:
        raise NotImplementedError

    def handle_back(self, context) -> Step | None:
        """Return a step for `0` that stays on this screen, or None to go back (the default)."""
        return None

    def targets(self) -> list[str]:
        """Return the ids of the screens this one can lead to (for the menu check)."""
        return []


def _option_number(value: str, count: int) -> int | None:
    if value.isascii() and value.isdigit() and len(value) <= 2 and 1 <= int(value) <= count:
        return int(value)
    return None


@dataclass
class Choice(Screen):
    """A numbered list of options, each leading to a screen."""

    title: str
    options: list[tuple[str, str]]
    footer: str | None = "common.back"

    def body(self, context):
        lines = [context.t(self.title)]
        lines += [f"{number}. {context.t(label)}" for number, (label, _) in enumerate(self.options, 1)]
        return "\n".join(lines)

    def handle(self, context, value):
        number = _option_number(value, len(self.options))
        if number is None:
            return Retry(context.t("common.invalid_choice"))
        return Goto(self.options[number - 1][1])

    def targets(self):
        return [target for _, target in self.options]


@dataclass
class Select(Screen):
    """A numbered list of values; the chosen one goes to `accept`, which returns the next step."""

    title: Callable[[object], str]
    options: Callable[[object], list[tuple[str, object]]]
    accept: Callable[[object, object], Step]
    next_screens: list[str] = field(default_factory=list)
    footer: str | None = "common.back"

    def body(self, context):
        lines = [self.title(context)]
        lines += [f"{number}. {label}" for number, (label, _) in enumerate(self.options(context), 1)]
        return "\n".join(lines)

    def handle(self, context, value):
        options = self.options(context)
        number = _option_number(value, len(options))
        if number is None:
            return Retry(context.t("common.invalid_choice"))
        return self.accept(context, options[number - 1][1])

    def targets(self):
        return list(self.next_screens)


@dataclass
class Input(Screen):
    """A prompt whose answer is checked by `accept`, which returns the next step."""

    prompt: Callable[[object], str]
    accept: Callable[[object, str], Step]
    next_screens: list[str] = field(default_factory=list)
    interactive_only: bool = False
    footer: str | None = "common.back"

    def body(self, context):
        return self.prompt(context)

    def handle(self, context, value):
        return self.accept(context, value)

    def targets(self):
        return list(self.next_screens)


@dataclass
class Confirm(Screen):
    """A question answered 1 (confirm, go to `next_screen`) or 2 (cancel, end)."""

    prompt: Callable[[object], str]
    next_screen: str
    on_confirm: Callable[[object], None] | None = None
    interactive_only: bool = False

    def body(self, context):
        return "\n".join([self.prompt(context), context.t("common.confirm"), context.t("common.cancel")])

    def handle(self, context, value):
        if value == "1":
            if self.on_confirm is not None:
                self.on_confirm(context)
            return Goto(self.next_screen)
        if value == "2":
            return End(context.t("common.cancelled"))
        return Retry(context.t("common.invalid_choice"))

    def targets(self):
        return [self.next_screen]


@dataclass
class Info(Screen):
    """A text to read, with only the way back or home."""

    text: Callable[[object], str]
    footer: str | None = "common.back_home"

    def body(self, context):
        return self.text(context)

    def handle(self, context, value):
        return Retry(context.t("common.invalid_choice"))


@dataclass
class PagedList(Screen):
    """A list split into pages that fit the screen: `98` shows more, `0` the page before.

    `items(context)` returns (label, value) pairs. With `accept`, a number picks an item of the
    page shown; without it the list is only read.
    """

    key: str
    title: Callable[[object], str]
    items: Callable[[object], list[tuple[str, object]]]
    accept: Callable[[object, object], Step] | None = None
    next_screens: list[str] = field(default_factory=list)
    empty: str = "common.empty_list"

    def pages(self, context) -> list[list[tuple[str, object]]]:
        """Pack the items greedily into pages of at most the screen limit, footer included."""
        items = self.items(context)
        footer = len(context.t("common.more")) + len(context.t("common.back"))
        # Three line breaks, and room for a hint the engine may put on top after an invalid input.
        budget = context.settings.screen_limit - len(self.title(context)) - footer - 3 - NOTICE_ROOM_CHARACTERS
        pages, page, used = [], [], 0
        for label, value in items:
            line = f"{len(page) + 1}. {label}" if self.accept else label
            if page and used + len(line) + 1 > budget:
                pages.append(page)
                page, used = [], 0
                line = f"1. {label}" if self.accept else label
            page.append((label, value))
            used += len(line) + 1
        if page:
            pages.append(page)
        return pages

    def _page_number(self, context, count: int) -> int:
        return min(context.data.get(self.key, 0), max(count - 1, 0))

    def render(self, context):
        pages = self.pages(context)
        if not pages:
            return "\n".join([self.title(context), context.t(self.empty), context.t("common.back")])
        number = self._page_number(context, len(pages))
        lines = [self.title(context)]
        for index, (label, _) in enumerate(pages[number], 1):
            lines.append(f"{index}. {label}" if self.accept else label)
        if number + 1 < len(pages):
            lines.append(context.t("common.more"))
        lines.append(context.t("common.back"))
        return "\n".join(lines)

    def handle(self, context, value):
        pages = self.pages(context)
        number = self._page_number(context, len(pages))
        if value == "98" and number + 1 < len(pages):
            context.data[self.key] = number + 1
            return Stay()
        if self.accept is not None and pages:
            picked = _option_number(value, len(pages[number]))
            if picked is not None:
                return self.accept(context, pages[number][picked - 1][1])
        return Retry(context.t("common.invalid_choice"))

    def handle_back(self, context):
        number = context.data.get(self.key, 0)
        if number > 0:
            context.data[self.key] = number - 1
            return Stay()
        return None

    def targets(self):
        return list(self.next_screens)
