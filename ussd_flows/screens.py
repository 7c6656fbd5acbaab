"""Screen types: each renders its text and turns one input into the next step."""

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


Step = Goto | Retry | End


class Screen:
    """A USSD screen of the menu.

    `interactive_only` screens never take a field of a speed-dial string: the customer must see
    them and answer in a hop of their own (PIN entry, for one).
    """

    interactive_only = False
    allows_back = True

    def render(self, context) -> str:
        raise NotImplementedError

    def handle(self, context, value: str) -> Step:
        raise NotImplementedError

    def targets(self) -> list[str]:
        """Return the ids of the screens this one can lead to (for the menu check)."""
        return []


@dataclass
class Choice(Screen):
    """A numbered list of options, each leading to a screen."""

    title: str
    options: list[tuple[str, str]]

    def render(self, context):
        lines = [context.t(self.title)]
        lines += [f"{number}. {context.t(label)}" for number, (label, _) in enumerate(self.options, 1)]
        return "\n".join(lines)

    def handle(self, context, value):
        if value.isascii() and value.isdigit() and 1 <= int(value) <= len(self.options):
            return Goto(self.options[int(value) - 1][1])
        return Retry(context.t("common.invalid_choice"))

    def targets(self):
        return [target for _, target in self.options]


@dataclass
class Input(Screen):
    """A prompt whose answer is checked by `accept`, which returns the next step."""

    prompt: Callable[[object], str]
    accept: Callable[[object, str], Step]
    next_screens: list[str] = field(default_factory=list)
    interactive_only: bool = False

    def render(self, context):
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

    def render(self, context):
        return "\n".join([self.prompt(context), context.t("common.confirm"), context.t("common.cancel")])

    def handle(self, context, value):
        if value == "1":
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

    def render(self, context):
        return "\n".join([self.text(context), context.t("common.back"), context.t("common.home")])

    def handle(self, context, value):
        return Retry(context.t("common.invalid_choice"))


def static(message_id: str) -> Callable[[object], str]:
    """Return a text function for a catalogue message with no parameters."""
    return lambda context: context.t(message_id)


__all__ = ["Choice", "Confirm", "End", "Goto", "Info", "Input", "Retry", "Screen", "Step", "static"]
