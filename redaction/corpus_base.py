"""Building blocks of the evaluation corpus: labelled utterances, word lists, a seeded generator."""

from __future__ import annotations

import random
from dataclasses import dataclass

from redaction.checksums import aba_valid, luhn_complete, ssn_valid
from redaction.entities import EntityType as T
from redaction.render import Style, say, year_words

FIRST = ("john", "maria", "david", "priya", "wei", "fatima", "carlos", "olga", "james", "aisha", "liam",
         "sofia", "kwame", "yuki", "noah", "elena", "omar", "grace", "mateo", "hannah", "raj", "chloe",
         "dmitri", "amara", "lucas", "isabel", "tom", "nadia", "samuel", "leila")
LAST = ("smith", "garcia", "nguyen", "patel", "kowalski", "okafor", "johnson", "rossi", "kim", "mueller",
        "haddad", "lopez", "brown", "ivanova", "tanaka", "williams", "schmidt", "mensah", "cohen",
        "fernandez", "oconnor", "singh", "dubois", "park", "andersen", "moreau", "baker", "castillo")
STREETS = ("main", "oak", "maple", "elm", "washington", "lake", "hill", "park", "cedar", "pine",
           "sunset", "river", "highland", "church", "mill", "spring", "valley", "franklin", "lincoln")
SUFFIXES = ("street", "avenue", "road", "drive", "lane", "boulevard", "court", "way", "place")
DOMAINS = (("gmail", "com"), ("yahoo", "com"), ("example", "org"), ("outlook", "com"), ("acme", "net"),
           ("hotmail", "com"), ("company", "io"), ("school", "edu"))
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december")
ORD = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
       "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
       "eighteenth", "nineteenth", "twentieth")
FILLERS = ("", "", "", "um ", "uh ", "yeah ", "so ", "okay ", "uh yeah ")


@dataclass(frozen=True, slots=True)
class Label:
    type: T
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Utterance:
    text: str
    labels: tuple[Label, ...]


@dataclass(frozen=True, slots=True)
class Dialog:
    id: str
    kind: str
    utterances: tuple[Utterance, ...]


Part = str | tuple[T, str]


def utter(*parts: Part, cased: bool = False) -> Utterance:
    """Join text parts; ``(type, text)`` parts are labelled. ``cased``: Whisper-like capitals."""
    text = ""
    labels: list[Label] = []
    for p in parts:
        if isinstance(p, tuple):
            typ, s = p
            labels.append(Label(typ, len(text), len(text) + len(s)))
            text += s
        else:
            text += p
    if cased and text:
        text = text[0].upper() + text[1:] + "."
    return Utterance(text, tuple(labels))


class Gen:
    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def style(self, *allowed: Style) -> Style:
        return self.r.choice(allowed or tuple(Style))

    def digits(self, n: int) -> str:
        return "".join(self.r.choice("0123456789") for _ in range(n))

    def card(self) -> tuple[str, tuple[int, ...]]:
        kind = self.r.random()
        if kind < 0.15:
            return luhn_complete("37" + self.digits(12)), (4, 6, 5)
        prefix = "4" if kind < 0.6 else self.r.choice(("51", "52", "53", "54", "55"))
        return luhn_complete(prefix + self.digits(15 - len(prefix))), (4, 4, 4, 4)

    def ssn(self) -> str:
        while True:
            s = self.r.choice("1234567") + self.digits(8)
            if ssn_valid(s):
                return s

    def phone(self) -> str:
        return self.r.choice("23456789") + self.digits(2) + self.r.choice("23456789") + self.digits(6)

    def routing(self) -> str:
        while True:
            s = self.r.choice(("0", "1", "2", "3")) + self.digits(8)
            if aba_valid(s):
                return s

    def name(self) -> tuple[str, str]:
        return self.r.choice(FIRST), self.r.choice(LAST)

    def say_digits(self, digits: str, groups: tuple[int, ...], *styles: Style) -> str:
        return say(digits, groups, self.style(*styles), self.r)

    def filler(self) -> str:
        return self.r.choice(FILLERS)


def date_text(g: Gen, d: int, m: int, y: int, form: int) -> str:
    if form == 0:
        return f"{MONTHS[m - 1]} {ORD[d - 1] if d <= 20 else 'twenty ' + ORD[d - 21]} {year_words(y)}"
    if form == 1:
        return f"{m:02d}/{d:02d}/{y}"
    if form == 2:
        return say(f"{m:02d}{d:02d}", (2, 2), Style.WORDS, g.r) + " " + year_words(y)
    if form == 3:
        return f"the {ORD[d - 1] if d <= 20 else 'twenty ' + ORD[d - 21]} of {MONTHS[m - 1]} {year_words(y)}"
    return f"{MONTHS[m - 1]} {d} {y}"
