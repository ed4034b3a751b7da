"""Seeded calls that try every way of giving a number, for the privacy-boundary evaluation.

Each :class:`BoundaryCall` holds one secret (a Luhn-valid card, an SSN, a phone, account or member
number, or a CVV) split at random into pieces of 1 to 4 digits, each piece said as digits, spaced
digits, words, with "oh"/"double", as two-digit words, typed on the keypad, or half and half; with and
without a cue; with fillers, barge-ins (a piece that continues the turn before it), corrections
("sorry, 4 1 not 4 7") and unrelated turns between pieces, some of them holding harmless numbers
("I have 2 questions", "3 pm") whose loss the evaluation counts as false positives. Some calls open
with a routing request whose department the evaluation checks.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from redaction.checksums import luhn_complete, nanp_valid, ssn_valid
from redaction.entities import EntityType as T
from redaction.render import WORDS, two_digit_words


class TurnKind(enum.StrEnum):
    SAY = "say"  # a final transcript
    TYPE = "type"  # keys ending with '#'
    ASK = "ask"  # the concierge asks for the number (the pipeline calls expect())


@dataclass(frozen=True, slots=True)
class Turn:
    kind: TurnKind
    text: str = ""  # what the caller said (SAY) or the keys (TYPE)
    continues: bool = False  # a barge-in: the caller kept talking after a pause
    asks_for: T | None = None  # ASK: the type asked for
    harmless: tuple[str, ...] = ()  # digits of harmless numbers in this turn (must survive)
    heldout: int = 0  # the harmless sentence is from HARMLESS_HELDOUT (1) or HARMLESS_HELDOUT_2 (2)


@dataclass(frozen=True, slots=True)
class BoundaryCall:
    id: str
    secret_type: T
    secret: str  # the digits that must never cross
    turns: tuple[Turn, ...]
    department: str | None = None  # the department a routing turn asks for
    styles: tuple[str, ...] = field(default_factory=tuple)


CUES = {
    T.CREDIT_CARD: ("my card number is", "the card is", "it's a visa", "card number", "my credit card is"),
    T.SSN: ("my social is", "my social security number is", "the ssn is"),
    T.PHONE: ("my phone number is", "you can reach me at", "my cell is", "call me back on"),
    T.BANK_ACCOUNT: ("my account number is", "the checking account is", "account"),
    T.MEDICAL_ID: ("my member id is", "the member number is", "my policy number is"),
    T.CVV: ("the security code is", "the cvv is", "the code on the back is"),
}
FILLERS = ("um", "uh", "okay", "so", "let me see", "hold on", "right", "sorry")
UNRELATED = (
    "what are your hours", "can you hold on a second", "sorry my dog is barking", "is this being recorded",
    "wait let me find my wallet", "okay one moment please", "hang on", "can you repeat that",
)
# Harmless numbers a caller says in passing: (template, width) where width 1 draws 2-9, 2 draws 2-60,
# 3 draws 100-999, 4 draws an amount of 1000-9999, 5 a year (1990-2025). Written before the guard's
# rules were tuned against them: what they lose is the false-positive rate.
HARMLESS = (
    ("i have {n} questions", 1), ("we are a party of {n} people", 1), ("can i come at {n} pm", 1),
    ("it was {n} dollars", 2), ("i waited {n} minutes", 2), ("i'm in room {n}", 2), ("it took {n} days", 1),
    ("the bill was {n} dollars", 3), ("we moved here in {n}", 5), ("i'm on flight {n}", 3),
    ("it's {n} percent off right", 2), ("i'm on floor {n}", 1), ("i have {n} kids", 1),
    ("i ordered {n} large pizzas", 1), ("you are open between {n} and 5 right", 1), ("call me in {n} minutes", 2),
    ("the appointment is around {n} pm", 1), ("i paid ${n} last month", 3), ("it costs about {n} dollars a year", 4),
    ("can i get {n} tickets", 1), ("i've been a customer for {n} years", 2), ("my son is {n} years old", 2),
)
# Written after the rules were tuned on HARMLESS and never used to tune them: the false-positive rate
# reported apart for these is the honest one.
HARMLESS_HELDOUT = (
    ("my flight leaves at {n} in the morning", 1), ("i need a table for {n} tonight", 1),
    ("the package weighs about {n} pounds", 2), ("we have {n} employees", 3), ("i live on the {n}th floor", 1),
    ("it happened {n} weeks ago", 1), ("the rent went up by {n} dollars", 3), ("i bought it back in {n}", 5),
    ("there are {n} of us", 1), ("i was on hold for {n} minutes", 2), ("the fee was {n} bucks", 2),
    ("my daughter turns {n} next week", 2), ("i can be there by {n} o'clock", 1), ("we need {n} rooms", 1),
    ("the order had {n} items", 2), ("i called {n} times already", 1), ("the total came to {n} dollars", 4),
    ("it's a {n} minute drive", 2), ("i'm calling about the {n} plan", 2), ("channel {n} is not working", 3),
)

# A second held-out set, written after the general fixes that the first one showed were missing
# ("a table for 5", "5 of us", "a 45 minute drive", "the 45 plan"), and measured once as written.
HARMLESS_HELDOUT_2 = (
    ("my mother is {n} and lives alone", 2), ("we stayed {n} nights last time", 1),
    ("the shop closes at {n} on sundays", 1), ("i was charged {n} dollars twice", 3),
    ("can you hold for {n} seconds", 2), ("i have been waiting since {n}", 5), ("i need it in {n} days", 1),
    ("we are {n} people", 1), ("the printer prints {n} pages a minute", 2), ("it's about a {n} hour wait", 1),
    ("there were {n} charges on the statement", 1), ("my dog is {n} years old", 1),
    ("the upgrade costs {n} dollars a month", 2), ("i'll be {n} minutes late", 2),
    ("i've called {n} times this week", 1), ("the ticket was {n} euros", 3), ("the box had {n} parts", 2),
    ("we've lived here for {n} years", 2), ("my appointment was at {n} thirty", 1), ("gate {n} please", 2),
)

ROUTING = (
    ("i have a question about my bill", "billing"), ("my internet is not working", "technical_support"),
    ("i want to cancel my subscription", "billing"), ("i was charged twice this month", "billing"),
    ("i can't log in to my account", "technical_support"), ("i think my card was stolen", "fraud"),
    ("someone may have stolen my identity", "fraud"),
)


class CaseGen:
    """Deterministic for a seed."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def secret(self) -> tuple[T, str]:
        kind = self.r.choice((T.CREDIT_CARD, T.CREDIT_CARD, T.SSN, T.PHONE, T.BANK_ACCOUNT, T.MEDICAL_ID, T.CVV))
        r = self.r
        if kind is T.CREDIT_CARD:
            if r.random() < 0.15:
                return kind, luhn_complete("3" + r.choice("47") + self.digits(12))
            return kind, luhn_complete(r.choice("4" * 3 + "5" * 2 + "6") + self.digits(14))
        if kind is T.SSN:
            while True:
                v = self.digits(9)
                if ssn_valid(v):
                    return kind, v
        if kind is T.PHONE:
            while True:
                v = r.choice("23456789") + self.digits(9)
                if nanp_valid(v):
                    return kind, v
        if kind is T.BANK_ACCOUNT:
            return kind, r.choice("123456789") + self.digits(r.randint(7, 11))
        if kind is T.MEDICAL_ID:
            return kind, r.choice("123456789") + self.digits(r.randint(8, 9))
        return kind, self.digits(3)

    def pieces(self, value: str) -> list[str]:
        out: list[str] = []
        i = 0
        while i < len(value):
            n = self.r.randint(1, 4)
            out.append(value[i:i + n])
            i += n
        return out

    def say(self, piece: str) -> tuple[str, str]:
        """A piece as an ASR would write it; returns (text, style)."""
        r = self.r
        style = r.choice(("digits", "spaced", "words", "double", "pairs", "mixed"))
        if style == "digits":
            return piece, style
        if style == "spaced":
            return " ".join(piece), style
        if style == "pairs" and len(piece) >= 2 and piece[0] != "0":
            head = two_digit_words(int(piece[:2]))
            rest = " ".join(WORDS[int(d)] for d in piece[2:])
            return (head + " " + rest).strip(), style
        if style == "double":
            out: list[str] = []
            k = 0
            while k < len(piece):
                d = piece[k]
                if k + 1 < len(piece) and piece[k + 1] == d:
                    out.append("double " + ("oh" if d == "0" else WORDS[int(d)]))
                    k += 2
                    continue
                out.append("oh" if d == "0" else WORDS[int(d)])
                k += 1
            return " ".join(out), style
        if style == "mixed":
            return " ".join(d if r.random() < 0.5 else WORDS[int(d)] for d in piece), style
        return " ".join(("oh" if d == "0" and r.random() < 0.5 else WORDS[int(d)]) for d in piece), "words"

    def decorate(self, text: str) -> str:
        r = self.r
        if r.random() < 0.3:
            text = f"{r.choice(FILLERS)} {text}"
        if r.random() < 0.2:
            text = f"{text} {r.choice(('uh', 'i think', 'yeah'))}"
        return text

    def harmless(self) -> Turn:
        roll = self.r.random()
        heldout = roll < 0.5
        pool = HARMLESS if not heldout else HARMLESS_HELDOUT if roll < 0.25 else HARMLESS_HELDOUT_2
        template, width = self.r.choice(pool)
        if width == 1:
            n = self.r.randint(2, 9)
        elif width == 2:
            n = self.r.randint(2, 60)
        elif width == 3:
            n = self.r.randint(100, 999)
        elif width == 4:
            n = self.r.randint(1000, 9999)
        else:
            n = self.r.randint(1990, 2025)
        return Turn(TurnKind.SAY, template.format(n=n), harmless=(str(n),),
                    heldout=2 if pool is HARMLESS_HELDOUT_2 else int(heldout))

    def call(self, index: int) -> BoundaryCall:
        r = self.r
        typ, value = self.secret()
        turns: list[Turn] = []
        styles: list[str] = []
        department = None
        if r.random() < 0.4:
            text, department = r.choice(ROUTING)
            turns.append(Turn(TurnKind.SAY, text))
        how = r.random()
        cue_text = r.choice(CUES[typ])
        first_cue = False
        if how < 0.25:
            turns.append(Turn(TurnKind.ASK, asks_for=typ))
        elif how < 0.5:
            turns.append(Turn(TurnKind.SAY, cue_text))
        elif how < 0.7:
            first_cue = True
        # else: no cue at all
        mode = r.choice(("voice", "voice", "keypad", "mixed"))
        for k, piece in enumerate(self.pieces(value)):
            keypad = mode == "keypad" or (mode == "mixed" and r.random() < 0.5)
            if keypad:
                turns.append(Turn(TurnKind.TYPE, piece + "#"))
                styles.append("typed")
            else:
                text, style = self.say(piece)
                styles.append(style)
                if k == 0 and first_cue:
                    text = f"{cue_text} {text}"
                elif r.random() < 0.08 and len(piece) >= 2:
                    wrong = str((int(piece[-1]) + 3) % 10)
                    text = f"{text} sorry {' '.join(piece)} not {' '.join(piece[:-1] + wrong)}"
                    styles.append("correction")
                turns.append(Turn(TurnKind.SAY, self.decorate(text), continues=k > 0 and r.random() < 0.15))
            roll = r.random()
            if roll < 0.12:
                turns.append(Turn(TurnKind.SAY, r.choice(UNRELATED)))
            elif roll < 0.2:
                turns.append(self.harmless())
        if department is None and r.random() < 0.3:
            turns.append(self.harmless())
        return BoundaryCall(f"boundary-{index}", typ, value, tuple(turns), department, tuple(styles))


def generate(n: int, *, seed: int = 20261202) -> list[BoundaryCall]:
    """``n`` calls from ``seed`` (the same list every time)."""
    g = CaseGen(seed)
    return [g.call(i) for i in range(n)]
