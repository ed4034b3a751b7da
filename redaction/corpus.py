"""The labelled evaluation corpus: ASR-style caller utterances generated from templates and seeded
random values (deterministic), with every entity type, hard negatives and split numbers.

A :class:`Dialog` is one or more final utterances of one call; labels give the type and the
character span of each sensitive value in each utterance (a number split across utterances is
labelled in each part).
"""

from __future__ import annotations

from redaction.corpus_base import (
    DOMAINS,
    MONTHS,
    STREETS,
    SUFFIXES,
    Dialog,
    Gen,
    Label,
    Utterance,
    date_text,
    utter,
)
from redaction.corpus_hard import multi, negatives, splits
from redaction.entities import EntityType as T
from redaction.render import WORDS, Style, say, two_digit_words, year_words

__all__ = ["Dialog", "Label", "Utterance", "build_corpus", "utterance_count"]

NUM_STYLES = tuple(Style)
SPLIT_STYLES = (Style.GROUPED, Style.PLAIN, Style.WORDS, Style.WORDS_DOUBLE)


def _cards(g: Gen) -> list[Dialog]:
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


def _pci_extras(g: Gen) -> list[Dialog]:
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


def _ssns(g: Gen) -> list[Dialog]:
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


def _phones(g: Gen) -> list[Dialog]:
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


def _emails(g: Gen) -> list[Dialog]:
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


def _dobs(g: Gen) -> list[Dialog]:
    out: list[Dialog] = []
    tpl = ("my date of birth is {}", "i was born on {}", "dob {}", "my birthday is {}",
           "date of birth {}", "the patient was born {}")
    for i in range(45):
        d, m, y = g.r.randint(1, 28), g.r.randint(1, 12), g.r.randint(1940, 2006)
        s = date_text(g, d, m, y, i % 5)
        a, b = tpl[i % len(tpl)].split("{}")
        out.append(Dialog(f"dob-{i}", "single", (utter(g.filler() + a, (T.DOB, s), b, cased=i % 5 == 3),)))
    return out


def _banks(g: Gen) -> list[Dialog]:
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


def _medical(g: Gen) -> list[Dialog]:
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


def _people(g: Gen) -> list[Dialog]:
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


def _addresses(g: Gen) -> list[Dialog]:
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


def _ids(g: Gen) -> list[Dialog]:
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


def build_corpus(seed: int = 20261128) -> list[Dialog]:
    """The whole corpus, identical for the same seed."""
    g = Gen(seed)
    parts = (_cards, _pci_extras, _ssns, _phones, _emails, _dobs, _banks, _medical, _people, _addresses,
             _ids, negatives, splits, multi)
    out: list[Dialog] = []
    for make in parts:
        out.extend(make(g))
    return out


def utterance_count(corpus: list[Dialog]) -> int:
    return sum(len(d.utterances) for d in corpus)
