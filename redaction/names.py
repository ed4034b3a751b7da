"""Person names from cue phrases: "my name is", "this is", "last name is", "spelled j o h n".

spaCy NER (through Presidio, see :mod:`redaction.nlp`) adds names in cased text; this module
covers the lower-case, unpunctuated text ASR often gives, where NER alone misses most names.
"""

from __future__ import annotations

from redaction.spoken import FILLERS, Word
from redaction.textual import WordSpan

NAME_CUES: tuple[tuple[str, ...], ...] = (
    ("my", "name", "is"), ("name", "is"), ("hi", "it's"), ("hey", "it's"), ("hello", "it's"), ("name's",), ("names",), ("this", "is"),
    ("first", "name", "is"), ("last", "name", "is"), ("surname", "is"), ("full", "name", "is"),
    ("under", "the", "name"), ("under", "the", "name", "of"), ("it's", "under"), ("speaking", "with"),
    ("spoke", "with"), ("spoke", "to"), ("talked", "to"), ("talking", "to"), ("my", "name's"),
    ("patient", "name", "is"), ("patient", "is"), ("i", "am"), ("i'm",), ("mister",), ("mr",),
    ("mrs",), ("ms",), ("miss",), ("doctor",), ("dr",), ("called",), ("named",), ("for",),
    ("behalf", "of"), ("husband",), ("wife",), ("son",), ("daughter",), ("mother",), ("father",),
)
_WEAK_CUES = frozenset({("i", "am"), ("i'm",), ("for",), ("called",), ("husband",), ("wife",), ("son",),
                        ("daughter",), ("mother",), ("father",), ("this", "is"), ("patient", "is"),
                        ("doctor",), ("dr",), ("mister",), ("mr",), ("mrs",), ("ms",), ("miss",)})
_TITLES = frozenset({("mister",), ("mr",), ("mrs",), ("ms",), ("miss",), ("doctor",), ("dr",)})
SPELL_CUES: tuple[tuple[str, ...], ...] = (("spelled",), ("spelt",), ("spelling",), ("spell", "it"),
                                           ("that's", "spelled"), ("spelled", "as"))

# Words that follow a name cue but are not names.
NON_NAMES = frozenset("""
a about above after again against all also always am an and any anyone are around as at away back
bad be because been before being best better between both busy but by calling can cannot card
checking confused correct could did do does doing done down during each early either else enough
even ever every everyone fine for from frustrated frustrating further get getting give glad go
going gonna good got great had happy has have having he her here hers him his how however i if
important in interested into is it its it's just kind late less like looking made make many may
me might mine more most much must my myself need needs new next nice no nobody none nor not nothing
now of off ok okay on once one only or other our out over own please pretty quite rather
ready really regarding right ridiculous same she should so some someone something sorry still such
sure than thank thanks that the their them then there these they this those though through to
too trying under until up upset urgent us very wait waiting want wanted was we well were what
when where which while who whom why will with without would wrong yeah yes yet you your yours
hi hello hey calling about just so the phone bill account card number address email here there
appointment help question issue problem order payment reservation booking doctor nurse office
weird strange taking taken getting available listening speaking still home work calling called
not going gonna wondering fine alright absolutely definitely exactly totally second minute moment
today tomorrow tonight morning afternoon evening week month year time dollars people room
regards ma'am sir madam guys everybody all unacceptable crazy insane amazing awesome terrible
reaching reached following followup follow trying tried wanting hoping email mail
yesterday earlier again last before recently said says told asked gave wants wanted thinks thought put sent called
hi hello bye goodbye thanks yes no yeah okay sure
monday tuesday wednesday thursday friday saturday sunday weekend weekday
january february march april june july august september october november december
fraud fraudulent scam theft stolen lost billing bill bills invoice refund refunds charge charges sales support
service services customer technical tech emergency urgent serious important critical dangerous unclear
absurd awful horrible useless pointless confusing annoying odd true false perfect fine correct incorrect broken
outrageous unbelievable insane ridiculous unacceptable shocking disappointing concerning worrying overdue late
regarding concerning re about why how what where exactly really actually definitely probably possibly maybe
everything nothing something anything everyone nobody somebody anybody private personal confidential
pharmacy prescription prescriptions clinic clinical hospital insurance claims claim coverage appointment
appointments scheduling reception receptionist front desk returns return shipping delivery account accounts
password login internet wifi cable outage repair repairs maintenance payments pay paying
""".split())


def _match_cue(words: list[Word], i: int, cues: tuple[tuple[str, ...], ...]) -> tuple[tuple[str, ...], int] | None:
    """The longest cue ending at word ``i - 1`` (so a name would start at ``i``)."""
    best: tuple[tuple[str, ...], int] | None = None
    for cue in cues:
        k = len(cue)
        if i - k < 0:
            continue
        if all(words[i - k + j].text == cue[j] for j in range(k)) and (best is None or k > len(best[0])):
            best = (cue, i - k)
    return best


def _name_word(w: Word, extra: frozenset[str] = frozenset()) -> bool:
    t = w.text
    if t in NON_NAMES or t in FILLERS or t in extra:
        return False
    core = t.replace("'", "").replace("-", "").replace(".", "")
    if not core.isalpha() or len(core) < 2:
        return False
    return not (t.endswith("ing") or t.endswith("ly") or t.endswith("ed"))


def find_names(words: list[Word], *, extra_non_names: frozenset[str] = frozenset()) -> list[WordSpan]:
    """Names after cue phrases (one to three words) and spelled letters after "spelled".

    ``extra_non_names``: the business's own words (department names and keywords): "this is billing"
    names a department, not a person."""
    out: list[WordSpan] = []
    n = len(words)
    i = 0
    while i < n:
        spell = _match_cue(words, i, SPELL_CUES)
        if spell is not None:
            j = i
            while j < n and (len(words[j].text) == 1 and words[j].text.isalpha()
                             or (len(words[j].text) > 2 and all(len(p) == 1 for p in words[j].text.split("-")))):
                j += 1
            if j - i >= 2 or (j > i and "-" in words[i].text):
                out.append(WordSpan(i, j - 1))
                i = j
                continue
        cue = _match_cue(words, i, NAME_CUES)
        if cue is not None and _name_word(words[i], extra_non_names):
            weak = cue[0] in _WEAK_CUES
            if weak and not words[i].raw[:1].isupper() and cue[0] not in (("this", "is"),):
                i += 1
                continue
            j = i
            cased = words[i].raw[:1].isupper()
            while j < n and j - i < 3 and _name_word(words[j], extra_non_names) \
                    and (not cased or words[j].raw[:1].isupper()):
                j += 1
            start = cue[1] if cue[0] in _TITLES else i  # "Ms. Rodriguez": the title names the person too
            out.append(WordSpan(start, j - 1))
            i = j
            continue
        i += 1
    return out
