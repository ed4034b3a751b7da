"""Corpus parts that test the hard cases: harmless numbers, numbers split across utterances,
several entities in one utterance."""

from __future__ import annotations

from collections.abc import Callable

from redaction.checksums import luhn_complete
from redaction.corpus_base import DOMAINS, STREETS, Dialog, Gen, Utterance, date_text, utter
from redaction.entities import EntityType as T
from redaction.render import Style, say

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


def negatives(g: Gen) -> list[Dialog]:
    out: list[Dialog] = []
    for i, t in enumerate(NEGATIVES):
        out.append(Dialog(f"neg-{i}", "negative", (utter(g.filler() + t, cased=i % 4 == 1),)))
    return out


def splits(g: Gen) -> list[Dialog]:
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
        ("card", T.CREDIT_CARD, lambda: luhn_complete("4" + g.digits(14)), [8], "my card number is "),
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


def multi(g: Gen) -> list[Dialog]:
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
                      (T.DOB, date_text(g, g.r.randint(1, 28), g.r.randint(1, 12), g.r.randint(1950, 2000), 0)),
                      " and my member id is ", (T.MEDICAL_ID, g.digits(9)))
        else:
            u = utter("i live at ", (T.ADDRESS, f"{g.r.randint(10, 999)} {g.r.choice(STREETS)} street"),
                      " and my email is ", (T.EMAIL, f"{f} at {g.r.choice(DOMAINS)[0]} dot com"))
        out.append(Dialog(f"multi-{i}", "multi", (u,)))
    return out


