"""A hand-written set, written after the recognizers, in phrasings the templates do not use.

Its first run (before any change prompted by it) scored recall EMAIL 0.67 (2/3), MEDICAL_ID 0.50
(3/6, letter prefixes "JQX", "PL", "C dash" were left outside the token) and ID_NUMBER precision
0.75; the three generic fixes that followed (ID letter prefixes, an 8-word cue window, an initial
before an e-mail local part) bring it to 1.0, so it is no longer strictly held out.

Set B (50 utterances, the second block) was then written and run once before any change: recall
CVV 0/1 ("the little code is ..."), DOB 2/3, MEDICAL_ID 2/3 ("patient account number"), PERSON
4/6 ("hi it's tanya", "Ms. Rodriguez"); precision BANK_ACCOUNT 1/2, PERSON 5/6, ID_NUMBER 6/7
("1 thousand 250 dollars"); every other type 1.0. Generic fixes followed ("code" cues, dates
before bridging, title + surname, "hi it's", "N thousand M"); "this is john's wife" is still
redacted (counted as a false positive).

Inline tags mark entities (``<SSN>123 45 6789</SSN>``); `` || `` separates the utterances of one
call. Scores on it are reported beside the templated corpus as a check on over-fitting.
"""

from __future__ import annotations

import re

from redaction.corpus import Dialog, Label, Utterance
from redaction.entities import EntityType

HELDOUT: tuple[str, ...] = (
    "yeah hi um i wanted to pay my bill with my visa it's <CREDIT_CARD>4532 0151 1283 0366</CREDIT_CARD>",
    "okay the number is <CREDIT_CARD>five four two five, two three three four, three zero one zero, nine nine zero three</CREDIT_CARD>",
    "card ending uh actually the full number is <CREDIT_CARD>6011 1111 1111 1117</CREDIT_CARD> and it expires <EXPIRY>oh nine twenty eight</EXPIRY>",
    "the code on the back says <CVV>four four two</CVV>",
    "expiry date is <EXPIRY>11/29</EXPIRY> and cvc <CVV>013</CVV>",
    "so my social security is <SSN>five three one, four four, two two one oh</SSN>",
    "ssn <SSN>078-05-1120</SSN>",
    "i can give you the last four of the social it's <SSN>1120</SSN>",
    "please call me back on <PHONE>617 555 0199</PHONE> after five",
    "my cell phone is <PHONE>two one two, five five five, oh one four two</PHONE>",
    "the number to reach me is <PHONE>(415) 555-2671</PHONE>",
    "oh and my work phone <PHONE>+1 646 555 0134</PHONE>",
    "my email address is <EMAIL>peter dot parker at dailybugle dot com</EMAIL>",
    "you can send the receipt to <EMAIL>anna_k@fastmail.com</EMAIL> thanks",
    "it's <EMAIL>m garcia eighty eight at yahoo dot com</EMAIL>",
    "my birthday is <DOB>july fourth nineteen seventy six</DOB>",
    "date of birth <DOB>twelve thirty one nineteen ninety</DOB>",
    "i was born <DOB>the third of january two thousand one</DOB>",
    "my checking account number is <BANK_ACCOUNT>0029 3847 5612</BANK_ACCOUNT>",
    "the routing is <ROUTING_NUMBER>011000015</ROUTING_NUMBER> and the account is <BANK_ACCOUNT>8812 3300 19</BANK_ACCOUNT>",
    "my insurance member id is <MEDICAL_ID>JQX 8840 1923</MEDICAL_ID>",
    "the claim number on the letter is <MEDICAL_ID>C dash 2024 dash 55781</MEDICAL_ID>",
    "my medical record number is <MEDICAL_ID>seven seven three two one nine oh</MEDICAL_ID>",
    "policy number <MEDICAL_ID>PL 448 120 993</MEDICAL_ID>",
    "hi my name is <PERSON>giovanni rossi</PERSON> i'm calling about an order",
    "this is <PERSON>dr amelia watson</PERSON> from the clinic",
    "yes this is <PERSON>bob</PERSON>",
    "Hello, my name is <PERSON>Chen Wei</PERSON> and I have a problem with my account.",
    "I talked to <PERSON>Jennifer Lawrence</PERSON> in your office last week.",
    "my surname is <PERSON>okonkwo</PERSON> spelled <PERSON>o k o n k w o</PERSON>",
    "the package should go to <ADDRESS>77 sunset boulevard apartment 12</ADDRESS> los angeles",
    "my address is <ADDRESS>two forty one elm street</ADDRESS>",
    "I live at <ADDRESS>1600 Pennsylvania Avenue</ADDRESS>.",
    "zip is <ADDRESS>90210</ADDRESS>",
    "my booking reference is <ID_NUMBER>8 4 4 7 1 2 9</ID_NUMBER>",
    "the tracking number is <ID_NUMBER>1Z999AA10123456784</ID_NUMBER>",
    "my customer id is <ID_NUMBER>77281934</ID_NUMBER>",
    "my card number is || <CREDIT_CARD>4716</CREDIT_CARD> || <CREDIT_CARD>2901</CREDIT_CARD> || <CREDIT_CARD>3351</CREDIT_CARD> || <CREDIT_CARD>0290</CREDIT_CARD>",
    "my member number is <MEDICAL_ID>123 456</MEDICAL_ID> || uh <MEDICAL_ID>789 12</MEDICAL_ID>",
    "the phone is <PHONE>three one two</PHONE> || <PHONE>five five five</PHONE> || <PHONE>one two one two</PHONE>",
    # hard negatives
    "i need to change my reservation from 7 to 8 people",
    "can i get the 2 for 1 deal",
    "we were charged twice 49 dollars each",
    "i've been on hold for 25 minutes",
    "my son is 12 and my daughter is 9",
    "it happened on tuesday the 14th",
    "the store on 5th avenue",
    "is this the number for billing",
    "this is a joke",
    "my name is not important",
    "press 9 to repeat",
    "about 300 dollars last month",
    "the year 2020 was hard",
    "order 3 of the blue ones",
    "we open at 8 30 tomorrow",
    "i'm at gate 23",
    "call me anytime",
    "the card reader is broken",
    "my social worker suggested i call",
    "number 2 please",
    # set B: written later still, after every change above; first run noted in the docstring
    "hey so i'm trying to pay and the card is <CREDIT_CARD>3782 822463 10005</CREDIT_CARD> amex",
    "uh the visa is <CREDIT_CARD>four eight five three, nine eight one two, seven seven four four, three two one six</CREDIT_CARD> hmm wait let me check",
    "it's my mastercard <CREDIT_CARD>5105105105105100</CREDIT_CARD>",
    "and the little code is <CVV>five one five</CVV>",
    "expiration month <EXPIRY>zero four</EXPIRY> year <EXPIRY>twenty eight</EXPIRY>",
    "social is <SSN>two one nine oh nine nine nine nine nine</SSN> i think",
    "my s s n <SSN>321 54 9876</SSN>",
    "yeah the phone on file should be <PHONE>nine one seven, four four four, one two three four</PHONE>",
    "reach me at <PHONE>312-555-0187</PHONE> any time after noon",
    "my mobile number is <PHONE>07700 900123</PHONE>",
    "the email i used was <EMAIL>kelly underscore brooks at outlook dot com</EMAIL>",
    "<EMAIL>dave.m@protonmail.com</EMAIL> is my email",
    "born <DOB>may sixteenth nineteen fifty two</DOB>",
    "my date of birth is <DOB>4/17/1993</DOB>",
    "d o b <DOB>october twenty first two thousand</DOB>",
    "the account number for the direct deposit is <BANK_ACCOUNT>4417 2280 0913</BANK_ACCOUNT>",
    "my routing number <ROUTING_NUMBER>two six oh oh seven three six zero five</ROUTING_NUMBER>",
    "my blue cross member id <MEDICAL_ID>XEH 553 228 190</MEDICAL_ID>",
    "prescription number <MEDICAL_ID>6 6 1 0 4 2 8</MEDICAL_ID>",
    "the patient account number is <MEDICAL_ID>00457731</MEDICAL_ID>",
    "hi it's <PERSON>tanya</PERSON> from the third floor",
    "my full name is <PERSON>robert james mcallister</PERSON>",
    "This is <PERSON>Father Michael</PERSON> from St. Anne's.",
    "Can I speak with <PERSON>Ms. Rodriguez</PERSON>?",
    "name is <PERSON>li</PERSON> spelled <PERSON>l i</PERSON>",
    "we're at <ADDRESS>3150 west oak ridge road suite 200</ADDRESS>",
    "deliver to <ADDRESS>eighteen fifty five mission street</ADDRESS> please",
    "My address is <ADDRESS>42 Wallaby Way</ADDRESS>, Sydney.",
    "the confirmation code is <ID_NUMBER>X7 44 91 B2</ID_NUMBER>",
    "my reservation number <ID_NUMBER>five five two nine one eight three</ID_NUMBER>",
    "my employee id is <ID_NUMBER>40021</ID_NUMBER>",
    "my id is || <ID_NUMBER>four four one</ID_NUMBER> || <ID_NUMBER>nine two</ID_NUMBER> || <ID_NUMBER>oh oh seven</ID_NUMBER>",
    "social <SSN>219</SSN> || <SSN>09</SSN> || <SSN>9999</SSN>",
    "i'd like 2 large coffees",
    "it's apartment 5 i mean the building has 5 floors",
    "can you call back in 10 minutes",
    "the invoice total was 1 thousand 250 dollars",
    "we booked 3 rooms for 4 nights",
    "this is john's wife calling",
    "the number 7 bus is late",
    "my kid scored 98 percent",
    "i have a 2019 honda civic",
    "this is about order 12",
    "i'm in suite 400",
    "we'll arrive around 6 15",
)

_TAG = re.compile(r"<([A-Z_]+)>(.*?)</\1>")


def _parse(line: str) -> Utterance:
    text = ""
    labels: list[Label] = []
    pos = 0
    for m in _TAG.finditer(line):
        text += line[pos:m.start()]
        labels.append(Label(EntityType(m.group(1)), len(text), len(text) + len(m.group(2))))
        text += m.group(2)
        pos = m.end()
    text += line[pos:]
    return Utterance(text, tuple(labels))


def build_heldout() -> list[Dialog]:
    out: list[Dialog] = []
    for i, line in enumerate(HELDOUT):
        utts = tuple(_parse(part.strip()) for part in line.split("||"))
        kind = "split" if len(utts) > 1 else ("negative" if not utts[0].labels else "single")
        out.append(Dialog(f"heldout-{i}", kind, utts))
    return out
