"""The DTMF menu as a sans-I/O state machine: events in (start, digit, timeout), actions out.

The menu comes from the workspace's ``ivr`` section: a greeting, one option per digit (each naming
a department), a timeout, a number of repeats, an invalid-key prompt and a goodbye. Each timeout
or invalid key uses one repeat; when none is left the caller hears the goodbye and the call ends.
A digit that names a closed or disabled department plays :data:`CLOSED_TEXT` and the menu again.

The machine never sleeps and never plays anything itself: :class:`voice.ivr.switch.IvrSwitch`
plays the prompts it names, arms the timer it asks for, and executes routes and hang-ups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from concierge.config import Transport, Workspace

MENU_NAME = "main"
CLOSED_TEXT = "Sorry, that team is closed right now."
REMEMBER_OFFER_TEXT = "To skip the assistant on future calls from this number, press 9."
REMEMBERED_TEXT = "Done. Future calls from this number will come straight to this menu."
REMEMBER_DIGIT = "9"


class Prompt(Enum):
    """Names of the menu's prompts; options are ``("option", digit)`` keys, see :func:`option_key`."""

    GREETING = "greeting"
    INVALID = "invalid"
    GOODBYE = "goodbye"
    CLOSED = "closed"
    REMEMBER_OFFER = "remember_offer"
    REMEMBERED = "remembered"


PromptKey = Prompt | str  # a Prompt, or "option:<digit>"


def option_key(digit: str) -> str:
    return f"option:{digit}"


class MenuState(Enum):
    IDLE = "idle"
    WAITING = "waiting"
    ROUTED = "routed"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Play:
    prompts: tuple[PromptKey, ...]
    interrupt: bool = False  # stop what is playing first (a key was pressed)


@dataclass(frozen=True, slots=True)
class ArmTimer:
    """Start the no-input timer once the queued prompts have finished playing."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Route:
    digit: str
    department: str
    target: str


@dataclass(frozen=True, slots=True)
class Remember:
    """The caller consented to skip the assistant on future calls."""


@dataclass(frozen=True, slots=True)
class Hangup:
    reason: str


Action = Play | ArmTimer | Route | Remember | Hangup


class MenuMachine:
    """One caller's walk through the menu. ``offer_remember`` adds the consent option."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        transport: Transport,
        offer_remember: bool = False,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._ws = workspace
        self._transport = transport
        self._clock = clock
        menu = workspace.ivr
        self._options = {o.digit: o for o in menu.options}
        self.offer_remember = offer_remember and REMEMBER_DIGIT not in self._options
        self.state = MenuState.IDLE
        self.misses = 0
        self.routed: Route | None = None

    @property
    def menu_prompts(self) -> tuple[PromptKey, ...]:
        opts: tuple[PromptKey, ...] = tuple(option_key(o.digit) for o in self._ws.ivr.options)
        return opts + ((Prompt.REMEMBER_OFFER,) if self.offer_remember else ())

    def start(self, *, lead_in: tuple[PromptKey, ...] = ()) -> list[Action]:
        self.state = MenuState.WAITING
        return [Play((*lead_in, Prompt.GREETING, *self.menu_prompts)), ArmTimer(self._ws.ivr.timeout_s)]

    def digit(self, digit: str) -> list[Action]:
        if self.state is not MenuState.WAITING:
            return []
        if self.offer_remember and digit == REMEMBER_DIGIT:
            self.offer_remember = False
            return [Remember(), Play((Prompt.REMEMBERED, *self.menu_prompts), interrupt=True), self._arm()]
        option = self._options.get(digit)
        if option is None:
            return self._miss(Prompt.INVALID, interrupt=True)
        dept = self._ws.department(option.department)
        if dept is None or not dept.enabled or not dept.hours.is_open(self._clock()):
            return self._miss(Prompt.CLOSED, interrupt=True)
        self.state = MenuState.ROUTED
        target = dept.targets.get(self._transport) or dept.name
        self.routed = Route(digit, dept.name, target)
        return [self.routed]

    def timeout(self) -> list[Action]:
        if self.state is not MenuState.WAITING:
            return []
        return self._miss(None, interrupt=False)

    def _arm(self) -> ArmTimer:
        return ArmTimer(self._ws.ivr.timeout_s)

    def _miss(self, first: Prompt | None, *, interrupt: bool) -> list[Action]:
        self.misses += 1
        lead: tuple[PromptKey, ...] = (first,) if first is not None else ()
        if self.misses > self._ws.ivr.repeats:
            self.state = MenuState.ENDED
            return [Play((*lead, Prompt.GOODBYE), interrupt=interrupt), Hangup("ivr_no_selection")]
        return [Play((*lead, *self.menu_prompts), interrupt=interrupt), self._arm()]
