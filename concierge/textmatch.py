"""Text normalization and similarity for ASR-style caller text (no network, no models).

Caller text arrives lower case, with fillers, misrecognitions and redaction tokens such as
``[CREDIT_CARD_1]``. :func:`normalize` turns it into content stems; :func:`trigram_similarity`
scores two words by their character trigrams (so "internat" still matches "internet").
"""

from __future__ import annotations

import re
from functools import lru_cache

_ENTITY = re.compile(r"\[([A-Z][A-Z_]*?)_\d+\]")
_WORD = re.compile(r"[a-z0-9_]+(?:'[a-z]+)?")

# Phrases joined before tokenizing so that "sign in" never reads as "sign (up)".
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(rf"\b{p}\b"), r)
    for p, r in (
        (r"(?:log|logging|logged|sign|signing|signed) ?(?:in|on)(?:to)?", " login "),
        (r"wi ?-?fi|why fi|wifey", " wifi "),
        (r"money back", " refund "),
        (r"pass ?words?", " password "),
        (r"in ?voice", " invoice "),
        (r"inter ?net", " internet "),
        (r"not working|doesn't work|does not work|won't work|stopped working|isn't working|is not working",
         " broken "),
        (r"no a ?i|no artificial intelligence|not a (?:robot|bot|machine)", " no_ai "),
        (r"in my name|social security(?: number)?", " identity "),
        (r"(?:didn't|did not|never) (?:make|authori[sz]e|order|buy)|without (?:my )?permission", " unauthorized "),
        (r"real person|live person|actual person|a person|a human|human being", " human "),
    )
)

STOPWORDS = frozenset(
    """a an the i i'm im me my mine we us our you your it its it's is are was were be been being am
    to of in on at for from with about into by as and or but so if then than that this these those
    there here what which who whom whose when where why how do does did doing done have has had
    having can could would should will shall may might must just like um uh uhm umm er erm ah oh
    okay ok yeah yes yep hi hello hey please thanks thank well so really actually basically kind sort
    want wanted wanna need needs needed get got gotta go going gonna calling call called talk speak
    someone somebody some any anything something help hoping trying try think thought know let
    one also again still very much lot bit today now right morning afternoon evening sorry ma'am sir
    'm 've 're 'll 'd not no i'd i've i'll we've you're we're that's there's what's here's let's
    dont cant didnt doesnt wont isnt wasnt arent havent hasnt couldnt wouldnt shouldnt aint""".split()
)


def entity_types(text: str) -> list[str]:
    """The redaction token types in ``text`` ("[CREDIT_CARD_1]" -> "credit_card")."""
    return [m.group(1).lower() for m in _ENTITY.finditer(text)]


@lru_cache(maxsize=8192)
def stem(word: str) -> str:
    """A small, deterministic suffix stripper (Porter-like, enough for routing)."""
    w = word.lower()
    if w.endswith("'s"):
        w = w[:-2]
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    elif len(w) > 4 and w.endswith("ied"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("ies"):
        w = w[:-3] + "y"
    elif len(w) > 4 and w.endswith("ed"):
        w = w[:-2]
        if len(w) > 2 and w[-1] == w[-2] and w[-1] not in "ls":
            w = w[:-1]
    elif len(w) > 4 and w.endswith(("ches", "shes", "sses", "xes")):
        w = w[:-2]
    elif len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        w = w[:-1]
    if len(w) > 4 and w.endswith("ly"):
        w = w[:-2]
    if len(w) > 4 and w.endswith("e"):
        w = w[:-1]
    return w


def words(text: str) -> list[str]:
    """Lower-case words after phrase joining; a redaction token becomes one marker word
    (``[PERSON_1]`` -> ``tok_person``) that no vocabulary holds: a token never reads as an ordinary
    word ("this is [PERSON_1]" is not a request for a person)."""
    return list(_words(text))


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, ...]:
    t = _ENTITY.sub(lambda m: " tok_" + m.group(1).lower() + " ", text).lower()
    t = t.replace("’", "'")
    for pattern, repl in _PHRASES:
        t = pattern.sub(repl, t)
    return tuple(w.replace("'", "") if w.endswith("n't") else w for w in _WORD.findall(t))


def phrase_concepts(text: str) -> set[str]:
    """Stems of the concept words that multi-word phrases in ``text`` stand for ("didn't make")."""
    t = text.lower().replace("’", "'")
    return {stem(r.strip()) for pattern, r in _PHRASES if pattern.search(t)}


def content_stems(text: str) -> list[str]:
    """Stems of the content words of ``text``, in order, stopwords and fillers removed."""
    return list(_content_stems(text))


@lru_cache(maxsize=1024)
def _content_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _words(text) if w not in STOPWORDS and len(w) > 1)


@lru_cache(maxsize=16384)
def trigrams(word: str) -> frozenset[str]:
    padded = f"^{word}$"
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def trigram_similarity(a: str, b: str) -> float:
    """Dice coefficient of the two words' padded character trigrams (0..1)."""
    if a == b:
        return 1.0
    ta, tb = trigrams(a), trigrams(b)
    if not ta or not tb:
        return 0.0
    return 2.0 * len(ta & tb) / (len(ta) + len(tb))


def overlap(query: set[str], target: set[str]) -> float:
    """How much of ``target`` the query covers, softened for short targets (0..1)."""
    if not query or not target:
        return 0.0
    return len(query & target) / (len(target) + 1.0)
