"""The labelled evaluation corpus: ASR-style caller utterances generated from templates and seeded
random values (deterministic), with every entity type, hard negatives and split numbers.

A :class:`Dialog` is one or more final utterances of one call; labels give the type and the
character span of each sensitive value in each utterance (a number split across utterances is
labelled in each part).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from redaction.checksums import aba_valid, luhn_complete, ssn_valid
from redaction.entities import EntityType as T
from redaction.render import WORDS, Style, say, two_digit_words, year_words

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


class _Gen:
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


NUM_STYLES = tuple(Style)
SPLIT_STYLES = (Style.GROUPED, Style.PLAIN, Style.WORDS, Style.WORDS_DOUBLE)


def _cards(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    templates = ("my card number is {}", "it's a visa {}", "the credit card is {}", "card number {}",
                 "sure the number on the card is {}", "{} is my card", "it's {}", "my debit card is {}",
                 "the mastercard number is {}", "okay so the card is {}")
    for i in range(60):
        v, groups = g.card()
        s = g.say_digits(v, groups)
        a, b = templates[i % len(templates)].split("{}")
        out.append(Dialog(f"card-{i}", "single", (utter(g.filler() + a, (T.CREDIT_CARD, s), b, cased=i % 4 == 3),)))
    return out


def _pci_extras(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    cvv_t = ("the security code is {}", "cvv {}", "the three digits on the back are {}", "the cvv is {}",
             "security code on the back is {}", "and the code on the back of the card is {}")
    exp_t = ("it expires {}", "expiration date {}", "the expiry is {}", "expiration is {}", "valid thru {}",
             "exp date {}")
    for i in range(40):
        cvv = g.digits(4 if i % 7 == 0 else 3)
        s = g.say_digits(cvv, (len(cvv),), Style.PLAIN, Style.WORDS, Style.COMMAS, Style.WORDS_DOUBLE)
        a, b = cvv_t[i % len(cvv_t)].split("{}")
        out.append(Dialog(f"cvv-{i}", "single", (utter(g.filler() + a, (T.CVV, s), b, cased=i % 5 == 4),)))
    for i in range(40):
        m = g.r.randint(1, 12)
        y = g.r.randint(25, 33)
        form = i % 5
        if form == 0:
            s = f"{m:02d}/{y}"
        elif form == 1:
            s = f"{m:02d} {y}"
        elif form == 2:
            s = two_digit_words(m) + " " + two_digit_words(y) if m < 10 else (
                two_digit_words(m) + " " + two_digit_words(y))
        elif form == 3:
            s = MONTHS[m - 1] + " " + year_words(2000 + y)
        else:
            s = say(f"{m:02d}{y:02d}", (2, 2), Style.WORDS, g.r)
        a, b = exp_t[i % len(exp_t)].split("{}")
        out.append(Dialog(f"expiry-{i}", "single", (utter(g.filler() + a, (T.EXPIRY, s), b, cased=i % 5 == 1),)))
    return out


def _ssns(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my social is {}", "social security number {}", "my ssn is {}", "the social is {}",
           "{} that's my social", "it's {}", "my social security number is {}")
    for i in range(45):
        v = g.ssn()
        t = tpl[i % len(tpl)]
        st = (Style.GROUPED, Style.DASHED) if t == "it's {}" else NUM_STYLES
        s = g.say_digits(v, (3, 2, 4), *st)
        a, b = t.split("{}")
        out.append(Dialog(f"ssn-{i}", "single", (utter(g.filler() + a, (T.SSN, s), b, cased=i % 4 == 1),)))
    for i in range(10):
        s = g.say_digits(g.ssn()[-4:], (4,), Style.PLAIN, Style.WORDS)
        out.append(Dialog(f"ssn4-{i}", "single", (utter("the last four of my social are ", (T.SSN, s)),)))
    return out


def _phones(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("you can reach me at {}", "my phone number is {}", "call me back at {}", "my cell is {}",
           "my number is {}", "the best number is {} that's my mobile", "{}", "text me at {}")
    for i in range(45):
        v = g.phone()
        t = tpl[i % len(tpl)]
        if t == "{}":
            s = g.say_digits(v, (3, 3, 4), Style.DASHED, Style.GROUPED)
        else:
            s = g.say_digits(v, (3, 3, 4))
        a, b = t.split("{}")
        out.append(Dialog(f"phone-{i}", "single", (utter(g.filler() + a, (T.PHONE, s), b, cased=i % 4 == 2),)))
    for i in range(8):
        v = "+44 20 " + g.digits(4) + " " + g.digits(4) if i % 2 else "+49 30 " + g.digits(8)
        out.append(Dialog(f"e164-{i}", "single", (utter("my phone is ", (T.PHONE, v)),)))
    for i in range(6):
        v = "+1 " + g.phone()[:3] + " " + g.phone()[3:6] + " " + g.digits(4)
        out.append(Dialog(f"e164us-{i}", "single", (utter("it's ", (T.PHONE, v), " if you need it"),)))
    return out


def _emails(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my email is {}", "send it to {}", "the email address is {}", "it's {}", "you can email me at {}")
    for i in range(45):
        f, last = g.name()
        dom, tld = g.r.choice(DOMAINS)
        kind = i % 5
        if kind == 0:
            s = f"{f} dot {last} at {dom} dot {tld}"
        elif kind == 1:
            s = f"{f[0]}{last} at {dom} dot {tld}"
        elif kind == 2:
            s = f"{f} underscore {last} {two_digit_words(g.r.randint(10, 99))} at {dom} dot {tld}"
        elif kind == 3:
            s = f"{f}.{last}@{dom}.{tld}"
        else:
            s = f"{f}{g.r.randint(1, 99)} at {dom} dot {tld}"
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"email-{i}", "single", (utter(g.filler() + a, (T.EMAIL, s), b),)))
    return out


def _date_text(g: _Gen, d: int, m: int, y: int, form: int) -> str:
    if form == 0:
        return f"{MONTHS[m - 1]} {ORD[d - 1] if d <= 20 else 'twenty ' + ORD[d - 21]} {year_words(y)}"
    if form == 1:
        return f"{m:02d}/{d:02d}/{y}"
    if form == 2:
        return say(f"{m:02d}{d:02d}", (2, 2), Style.WORDS, g.r) + " " + year_words(y)
    if form == 3:
        return f"the {ORD[d - 1] if d <= 20 else 'twenty ' + ORD[d - 21]} of {MONTHS[m - 1]} {year_words(y)}"
    return f"{MONTHS[m - 1]} {d} {y}"


def _dobs(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my date of birth is {}", "i was born on {}", "dob {}", "my birthday is {}",
           "date of birth {}", "the patient was born {}")
    for i in range(45):
        d, m, y = g.r.randint(1, 28), g.r.randint(1, 12), g.r.randint(1940, 2006)
        s = _date_text(g, d, m, y, i % 5)
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"dob-{i}", "single", (utter(g.filler() + a, (T.DOB, s), b, cased=i % 5 == 3),)))
    return out


def _banks(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    acct_t = ("my account number is {}", "checking account {}", "the account is {}",
              "savings account number {}", "bank account {}")
    rout_t = ("the routing number is {}", "routing {}", "aba number {}", "and the routing is {}")
    for i in range(40):
        v = g.digits(g.r.randint(8, 12))
        s = g.say_digits(v, (4, 4, 4))
        a, b = acct_t[i % len(acct_t)].split("{}")
        out.append(Dialog(f"acct-{i}", "single", (utter(g.filler() + a, (T.BANK_ACCOUNT, s), b, cased=i % 4 == 0),)))
    for i in range(40):
        v = g.routing()
        s = g.say_digits(v, (9,))
        a, b = rout_t[i % len(rout_t)].split("{}")
        out.append(Dialog(f"routing-{i}", "single", (utter(g.filler() + a, (T.ROUTING_NUMBER, s), b),)))
    for i in range(8):
        r, acct = g.routing(), g.digits(10)
        out.append(Dialog(f"bank-both-{i}", "single", (utter(
            "routing number ", (T.ROUTING_NUMBER, g.say_digits(r, (9,), Style.PLAIN, Style.WORDS)),
            " and account number ", (T.BANK_ACCOUNT, g.say_digits(acct, (10,), Style.PLAIN, Style.WORDS))),)))
    return out


def _medical(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my member id is {}", "the policy number is {}", "claim number {}", "my medical record number is {}",
           "mrn {}", "my insurance id is {}", "subscriber id {}", "the patient id is {}")
    for i in range(50):
        kind = i % 4
        if kind == 0:
            s = g.say_digits(g.digits(g.r.randint(7, 10)), (3, 3, 4))
        elif kind == 1:
            letters = "".join(g.r.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(3))
            s = letters.upper() + g.digits(g.r.randint(6, 9))
        elif kind == 2:
            letters = g.r.choice("wxyzhm")
            s = letters + " " + say(g.digits(8), (8,), Style.WORDS, g.r)
        else:
            s = g.say_digits(g.digits(g.r.randint(6, 9)), (3, 3, 3), Style.WORDS, Style.GROUPED)
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"medical-{i}", "single", (utter(g.filler() + a, (T.MEDICAL_ID, s), b, cased=i % 6 == 5),)))
    return out


def _people(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my name is {}", "hi this is {}", "this is {} calling about my bill", "yeah my name is {} and i have a question",
           "the account is under the name {}", "my first name is {}", "hello my name's {}")
    for i in range(56):
        f, last = g.name()
        t = tpl[i % len(tpl)]
        s = f if "first name" in t else f"{f} {last}"
        cased = i % 3 == 0
        if cased:
            s = " ".join(w.capitalize() for w in s.split())
        a, b = t.split("{}")
        out.append(Dialog(f"person-{i}", "single", (utter(g.filler() + a, (T.PERSON, s), b, cased=cased),)))
    for i in range(12):
        f, last = g.name()
        spelled = " ".join(last) if i % 2 else "-".join(last).upper()
        out.append(Dialog(f"spelled-{i}", "single", (utter(
            "my last name is ", (T.PERSON, last), " spelled ", (T.PERSON, spelled)),)))
    for i in range(12):
        f, last = g.name()
        who = f"{f.capitalize()} {last.capitalize()}"
        t = ("I spoke with {} yesterday", "Can you transfer me to {} please", "{} told me to call back",
             "I was helped by {} last week")[i % 4]
        a, b = t.split("{}")
        out.append(Dialog(f"ner-person-{i}", "single", (utter(a, (T.PERSON, who), b, cased=True),)))
    return out


def _addresses(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("i live at {}", "my address is {}", "ship it to {} please", "the address is {} springfield",
           "it's {} in portland", "send the card to {}")
    for i in range(50):
        num = g.r.randint(1, 9999)
        house = str(num) if i % 3 else (" ".join(WORDS[int(c)] for c in str(num)) if i % 2 else (
            two_digit_words(num % 100) if num < 100 else WORDS[num // 100 % 10 or 1] + " " + two_digit_words(num % 100)))
        street = g.r.choice(STREETS)
        if i % 7 == 0:
            street = "north " + street
        s = f"{house} {street} {g.r.choice(SUFFIXES)}"
        if i % 4 == 0:
            s += f" apartment {g.r.randint(1, 40)}"
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"address-{i}", "single", (utter(g.filler() + a, (T.ADDRESS, s), b, cased=i % 5 == 2),)))
    for i in range(10):
        z = g.digits(5)
        out.append(Dialog(f"zip-{i}", "single", (utter("my zip code is ", (T.ADDRESS, g.say_digits(z, (5,), Style.PLAIN, Style.WORDS))),)))
    return out


def _ids(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my id is {}", "the confirmation number is {}", "reference {}", "my customer number is {}",
           "the order number is {}", "case number {}", "it's {} i think", "i have the number here {}",
           "my driver's license is {}", "{}")
    for i in range(50):
        v = g.digits(g.r.randint(6, 12))
        s = g.say_digits(v, (3, 3, 3, 3))
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"id-{i}", "single", (utter(g.filler() + a, (T.ID_NUMBER, s), b, cased=i % 5 == 0),)))
    return out


NEGATIVES = (
    "press 2 for billing", "i need a table for 8 people", "i'm in room 12", "can you call me back at 3 pm",
    "we moved here in 2019", "it costs 50 dollars", "my appointment is on march fifth",
    "my appointment is on june 3 2025 at 10", "i have two kids", "option four please",
    "it'll take about 20 minutes", "this is ridiculous", "this is the third time i called",
    "my card was declined", "i need to update my phone number", "what is my account balance",
    "i'm on flight 370", "call me back in 5 minutes", "it's on page 12", "it was twenty five dollars",
    "we have 3 bedrooms", "i'm calling about my claim", "can i talk to an agent", "i was born in the spring",
    "the order had 3 items", "one moment please", "okay one second", "give me two minutes",
    "i'd like to book a room for two nights", "my name is on the account", "this is my second call today",
    "i want to pay my bill", "the total was one hundred twenty dollars", "i need 4 tickets",
    "table for two at seven thirty", "is it open on sunday", "i'll be there at 9 am", "press one",
    "my flight leaves at six forty five", "the meeting is at two thirty", "we are 6 adults and 2 kids",
    "it's about 30 miles away", "the last 3 years", "my order hasn't arrived", "i'd like option 3",
    "my card is in my wallet", "what's the phone number for the pharmacy", "do you have my email",
    "i'm looking for the routing department", "yeah that's right", "no that's wrong", "oh okay thanks",
    "oh no", "i need a refill of my prescription", "my policy covers two people", "we need 5 rooms",
    "the package is 12 pounds", "it's 72 degrees today", "can you send it by friday", "i paid 200 dollars",
    "extension 42 please", "i'm on floor 9", "the gate is b 22", "version 2 of the app", "in 1999 i think",
    "since 2015", "about 45 minutes", "one two three testing", "the kids are 8 and 10", "give me 5 stars",
    "what time do you close", "this is great thank you", "this is taking forever", "i'm calling for my mother",
    "my wife wants to know", "the doctor said it was fine", "i have an appointment with the dentist",
    "the balance is 1200 dollars", "we need it by march", "in may we travel", "my birthday is coming up",
    "i lost my card", "which street is it on", "the office on main street", "take the highway 101 exit",
    "route 66", "bus 42 stops there", "the first option", "i'm the second caller", "my account was locked",
    "security is important to me", "can you repeat the number please", "the code did not work",
    "it expired last week", "my social media account", "i want to cancel my membership",
    "the claim was denied", "my member portal does not load", "i'm 45 years old", "3 of us",
    "twenty twenty five was a good year", "the game is at 7 30", "i need 2 large pizzas",
)


def _negatives(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    for i, t in enumerate(NEGATIVES):
        out.append(Dialog(f"neg-{i}", "negative", (utter(g.filler() + t, cased=i % 4 == 1),)))
    return out


def _splits(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []

    def parts_of(digits: str, cuts: list[int]) -> list[str]:
        out_p: list[str] = []
        pos = 0
        for c in cuts + [len(digits)]:
            out_p.append(digits[pos:c])
            pos = c
        return out_p

    makers: list[tuple[str, T, Callable[[], str], list[int], str]] = [
        ("id", T.ID_NUMBER, lambda: g.digits(16), [4, 8, 12], "my id is "),
        ("card", T.CREDIT_CARD, lambda: g.card()[0] if False else luhn_complete("4" + g.digits(14)), [8], "my card number is "),
        ("card4", T.CREDIT_CARD, lambda: luhn_complete("5" + g.digits(14)), [4, 8, 12], "the card is "),
        ("ssn", T.SSN, g.ssn, [3, 5], "my social is "),
        ("phone", T.PHONE, g.phone, [3, 6], "my phone number is "),
        ("acct", T.BANK_ACCOUNT, lambda: g.digits(10), [5], "account number "),
        ("member", T.MEDICAL_ID, lambda: g.digits(9), [3, 6], "my member id is "),
    ]
    for i in range(42):
        key, typ, make, cuts, lead = makers[i % len(makers)]
        v = make()
        style = g.r.choice((Style.PLAIN, Style.WORDS, Style.GROUPED))
        pieces = [say(p, (len(p),), style, g.r) for p in parts_of(v, cuts)]
        utts: list[Utterance] = []
        if i % 3 == 0:
            utts.append(utter(lead.strip()))
            utts.append(utter((typ, pieces[0])))
        else:
            utts.append(utter(lead, (typ, pieces[0])))
        for p in pieces[1:]:
            pre = g.r.choice(("", "", "and ", "then ", "uh "))
            utts.append(utter(pre, (typ, p)))
        out.append(Dialog(f"split-{key}-{i}", "split", tuple(utts)))
    return out


def _multi(g: _Gen) -> list[Dialog]:
    out: list[Dialog] = []
    for i in range(24):
        f, last = g.name()
        card, groups = g.card()
        kind = i % 4
        if kind == 0:
            u = utter("my name is ", (T.PERSON, f"{f} {last}"), " and my phone number is ",
                      (T.PHONE, g.say_digits(g.phone(), (3, 3, 4), Style.GROUPED, Style.WORDS)))
        elif kind == 1:
            u = utter("the card is ", (T.CREDIT_CARD, say(card, groups, Style.GROUPED, g.r)),
                      " expiration ", (T.EXPIRY, f"{g.r.randint(1, 12):02d} {g.r.randint(25, 31)}"),
                      " and the cvv is ", (T.CVV, g.digits(3)))
        elif kind == 2:
            u = utter("this is ", (T.PERSON, f"{f} {last}"), " my date of birth is ",
                      (T.DOB, _date_text(g, g.r.randint(1, 28), g.r.randint(1, 12), g.r.randint(1950, 2000), 0)),
                      " and my member id is ", (T.MEDICAL_ID, g.digits(9)))
        else:
            u = utter("i live at ", (T.ADDRESS, f"{g.r.randint(10, 999)} {g.r.choice(STREETS)} street"),
                      " and my email is ", (T.EMAIL, f"{f} at {g.r.choice(DOMAINS)[0]} dot com"))
        out.append(Dialog(f"multi-{i}", "multi", (u,)))
    return out


def build_corpus(seed: int = 20261128) -> list[Dialog]:
    """The whole corpus, identical for the same seed."""
    g = _Gen(seed)
    parts = (_cards, _pci_extras, _ssns, _phones, _emails, _dobs, _banks, _medical, _people, _addresses,
             _ids, _negatives, _splits, _multi)
    out: list[Dialog] = []
    for make in parts:
        out.extend(make(g))
    return out


def utterance_count(corpus: list[Dialog]) -> int:
    return sum(len(d.utterances) for d in corpus)
