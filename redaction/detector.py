"""Find PII/PHI/PCI in one utterance of ASR text: numbers by cue and shape, dates, e-mails,
addresses, names; Presidio (spaCy NER, e-mail) only when cheap cues say it can help."""

from __future__ import annotations

from dataclasses import dataclass, replace

from redaction.cues import cue_at, nearest_cue
from redaction.entities import EntityType as T
from redaction.names import NON_NAMES, find_names
from redaction.nlp import get_engine
from redaction.numeric import classify_bare, classify_with_cue, is_harmless_after
from redaction.spoken import FILLERS, Chunk, NumberRun, Word, number_runs, tokenize
from redaction.textual import WordSpan, find_addresses, find_dates, find_spoken_emails

CUE_WINDOW = 8
AFTER_WINDOW = 4
# Words that may open an utterance continuing a number ("... and 1256", "then 7299").
LEADERS = frozenset(FILLERS | {"and", "then", "the", "rest", "is", "it's", "its", "continuing", "next", "yeah",
                               "yes", "okay", "ok", "so", "more", "after", "that", "followed", "by", "last",
                               "part", "digits", "numbers", "are", "oh", "sorry", "um,", "right"})
MAX_DIGITS = {
    T.CREDIT_CARD: 19, T.CVV: 4, T.EXPIRY: 6, T.SSN: 9, T.PHONE: 15, T.ROUTING_NUMBER: 9,
    T.DOB: 8, T.BANK_ACCOUNT: 17, T.MEDICAL_ID: 20, T.ID_NUMBER: 24, T.ADDRESS: 9,
    T.NUMBER: 24,
}


@dataclass(frozen=True, slots=True)
class Detection:
    """An entity in the original text ``[start, end)``; ``value`` is its canonical form."""

    type: T
    start: int
    end: int
    value: str
    first_word: int
    last_word: int
    run: NumberRun | None = None


@dataclass(frozen=True, slots=True)
class Analysis:
    """Detections of one utterance plus what streaming needs across utterances."""

    detections: tuple[Detection, ...]
    words: tuple[Word, ...]
    runs: tuple[NumberRun, ...]
    leading_run: NumberRun | None
    trailing_cue: T | None
    ends_with_run: bool
    harmless_words: frozenset[int] = frozenset()  # word indexes of harmless dates ("on june 3 2025")


MAX_BRIDGE = 2
LEAD_SLACK = 2  # stray ASR words allowed before a number that continues the last utterance


def _free_parts(run: NumberRun, taken: _Taken) -> list[NumberRun]:
    """The parts of ``run`` outside words already claimed (a date, an address ...)."""
    if taken.free(run.first, run.last):
        return [run]
    parts: list[NumberRun] = []
    cur: list[Chunk] = []
    for c in (*run.chunks, None):
        if c is not None and taken.free(c.first, c.last):
            cur.append(replace(c, group_start=c.group_start or not cur))
            continue
        if cur:
            parts.append(NumberRun(cur[0].first, cur[-1].last, cur[0].start, cur[-1].end, tuple(cur),
                                   run.plus and cur[0].first == run.first, run.has_words))
            cur = []
    return parts


def _bridge(words: list[Word], runs: list[NumberRun], carried_cue: T | None, taken: _Taken) -> list[NumberRun]:
    """Join runs split by one or two stray words ("4 aunt, 7, 4 ...", "or 3982 by 977") when the
    utterance is about a number: a cue, a carried cue, or mostly number tokens."""
    if len(runs) < 2:
        return runs
    numeric_words = sum(r.last - r.first + 1 for r in runs)
    dominant = numeric_words * 2 > len(words)
    out: list[NumberRun] = [runs[0]]
    for run in runs[1:]:
        prev = out[-1]
        gap = range(prev.last + 1, run.first)
        if len(gap) <= MAX_BRIDGE and not any(cue_at(words, i) for i in gap) and taken.free(prev.last + 1, run.first - 1):
            context = dominant or carried_cue is not None or nearest_cue(
                words, max(0, prev.first - CUE_WINDOW), prev.first) is not None
            if context:
                chunks = prev.chunks + tuple(replace(c, group_start=True) if k == 0 else c
                                             for k, c in enumerate(run.chunks))
                out[-1] = NumberRun(prev.first, run.last, prev.start, run.end, chunks, prev.plus, True)
                continue
        out.append(run)
    return out


def _id_prefix(words: list[Word], i: int) -> bool:
    """Letters an ID may open with: "a b c", "JQX", "PL", "C dash"."""
    w = words[i]
    if w.text in ("dash", "-"):
        return i > 0 and _id_prefix(words, i - 1)
    if len(w.text) == 1 and w.text.isalpha():
        return True
    return 2 <= len(w.raw) <= 4 and w.raw.isalpha() and w.raw.isupper()


def _first_content(words: list[Word]) -> int:
    i = 0
    while i < len(words) and words[i].text in LEADERS:
        i += 1
    return i


def _last_content(words: list[Word]) -> int:
    i = len(words) - 1
    while i >= 0 and words[i].text in FILLERS:
        i -= 1
    return i


_NOT_NAME_CAPS = frozenset({"i", "i'm", "i'll", "i've", "i'd", "ok", "okay"})


def _ner_worthwhile(text: str, words: list[Word], taken: _Taken) -> bool:
    """Cheap cue for the NER pass: a capitalized word that does not open a sentence, not yet taken."""
    for i, w in enumerate(words):
        if not w.raw[:1].isupper() or w.text in _NOT_NAME_CAPS or w.text in NON_NAMES:
            continue
        before = text[:w.start].rstrip()
        if not before or before[-1] in ".!?":
            continue
        if taken.free(i, i):
            return True
    return False


def _plausible_ner_name(text: str, span: list[Word]) -> bool:
    if not all(w.raw[:1].isupper() and w.text not in NON_NAMES for w in span):
        return False
    if len(span) == 1:
        before = text[:span[0].start].rstrip()
        if not before or before[-1] in ".!?":
            return False  # a lone capitalized word opening a sentence
    return True


def _email_value(words: list[Word], span: WordSpan) -> str:
    out: list[str] = []
    for w in words[span.first:span.last + 1]:
        t = w.text
        out.append({"dot": ".", "period": ".", "point": ".", "at": "@", "underscore": "_", "dash": "-",
                    "hyphen": "-"}.get(t, t))
    return "".join(out)


class _Taken:
    """Word indexes already claimed by a detection."""

    def __init__(self) -> None:
        self._taken: set[int] = set()

    def free(self, first: int, last: int) -> bool:
        return not any(i in self._taken for i in range(first, last + 1))

    def take(self, first: int, last: int) -> None:
        self._taken.update(range(first, last + 1))


def analyze(text: str, *, carried_cue: T | None = None, use_ner: bool = True,
            extra_non_names: frozenset[str] = frozenset()) -> Analysis:
    """Detect entities in one final utterance. ``carried_cue``: a cue the previous utterance
    ended with ("my card number is" ... "4111 ..."), applied to a number that opens this one."""
    words = tokenize(text)
    raw_runs = number_runs(text, words)
    taken = _Taken()
    dets: list[Detection] = []
    n = len(words)
    harmless: set[int] = set()
    first_content = _first_content(words)
    last_content = _last_content(words)

    def add(typ: T, first: int, last: int, value: str, run: NumberRun | None = None) -> None:
        taken.take(first, last)
        dets.append(Detection(typ, words[first].start, words[last].end, value, first, last, run))

    for span in find_spoken_emails(words):
        if taken.free(span.first, span.last):
            add(T.EMAIL, span.first, span.last, _email_value(words, span))

    for span in find_dates(words, raw_runs):
        if not taken.free(span.first, span.last):
            continue
        cue = nearest_cue(words, max(0, span.first - CUE_WINDOW), span.first)
        date_cue = cue[0] if cue is not None else carried_cue if span.first <= first_content else None
        value = text[words[span.first].start:words[span.last].end].lower()
        if date_cue is T.DOB:
            add(T.DOB, span.first, span.last, value)
        elif date_cue is T.EXPIRY:
            add(T.EXPIRY, span.first, span.last, value)
        else:
            taken.take(span.first, span.last)  # an appointment date: harmless, keep the runs out
            harmless.update(range(span.first, span.last + 1))

    for span in find_addresses(words, raw_runs):
        if taken.free(span.first, span.last):
            add(T.ADDRESS, span.first, span.last, text[words[span.first].start:words[span.last].end].lower())

    for span in find_names(words, extra_non_names=extra_non_names):
        if taken.free(span.first, span.last):
            add(T.PERSON, span.first, span.last, text[words[span.first].start:words[span.last].end])

    runs = _bridge(words, [p for r in raw_runs for p in _free_parts(r, taken)], carried_cue, taken)
    leading_run: NumberRun | None = None  # a number opening the utterance (continues the last one)
    cued_run: NumberRun | None = None  # the number a carried cue applies to (a few stray words allowed)
    prev_end = -1
    for run in runs:
        if run is runs[0] and run.first <= first_content + LEAD_SLACK:
            cued_run = run
            nxt_word = words[run.last + 1] if run.last + 1 < n else None
            if run.first <= first_content and not is_harmless_after(nxt_word):
                leading_run = run
        lo = max(prev_end + 1, run.first - CUE_WINDOW)
        cue = nearest_cue(words, lo, run.first)
        prev_end = run.last
        nxt = words[run.last + 1] if run.last + 1 < n else None
        prev = words[run.first - 1] if run.first > 0 else None
        at_end = run.last >= last_content
        if cue is None:
            # "504813221 that's my social": a cue right after the number
            after = nearest_cue(words, run.last + 1, min(n, run.last + 1 + AFTER_WINDOW))
            if after is not None and after[0] is not T.ID_NUMBER:
                cue = after
        cue_type = cue[0] if cue is not None else (carried_cue if run is cued_run else None)
        typ: T | None = None
        if cue_type is not None and not (run.n_digits <= 5 and is_harmless_after(nxt)):
            typ = classify_with_cue(run, cue_type)
            if typ is None and cue is None and run is cued_run and cue_type.is_numeric:
                typ = cue_type  # the number asked for, however short the ASR made it
        if typ is None:
            typ = classify_bare(run, at_end=at_end, prev=prev, nxt=nxt)
        if typ is None and run.n_digits >= 3 and run.first <= first_content and at_end \
                and all(w.text in LEADERS for w in words[:run.first]):
            typ = T.ID_NUMBER  # an utterance that is nothing but a number: an answer, maybe a first part
        if typ is None:
            continue
        first = run.first
        last = run.last
        # digits glued to letters by ASR ("4ues 8, 4, 6", "8-fold 1") go with the number
        while first - 1 >= 0 and taken.free(first - 1, first - 1) and any(ch.isdigit() for ch in words[first - 1].text):
            first -= 1
        while last + 1 < n and taken.free(last + 1, last + 1) and any(ch.isdigit() for ch in words[last + 1].text):
            last += 1
        if typ in (T.MEDICAL_ID, T.ID_NUMBER):
            stop = cue[1] + 1 if cue is not None and cue[1] < run.first else 0
            while first - 1 >= stop and _id_prefix(words, first - 1):
                first -= 1
            while first < run.first and words[first].text in ("dash", "-"):
                first += 1
            if first < run.first and run.first - first == 1 and words[first].text in ("a", "i"):
                first += 1
        value = "".join(w.text for w in words[first:run.first]) + run.digits
        value += "".join(ch for w in words[run.last + 1:last + 1] for ch in w.text if ch.isdigit())
        add(typ, first, last, value, run)

    if use_ner and n:
        cased = _ner_worthwhile(text, words, taken)
        has_at = "@" in text
        if cased or has_at:
            for cs in get_engine().analyze(text, persons=cased, emails=has_at):
                idx = [i for i, w in enumerate(words) if w.start < cs.end and w.end > cs.start]
                if not idx or not taken.free(idx[0], idx[-1]):
                    continue
                if cs.type is T.PERSON and not _plausible_ner_name(text, [words[i] for i in idx]):
                    continue
                add(cs.type, idx[0], idx[-1], text[words[idx[0]].start:words[idx[-1]].end])

    dets.sort(key=lambda d: d.start)
    trailing_cue: T | None = None
    last_det_word = max((d.last_word for d in dets), default=-1)
    last_run_word = max((r.last for r in runs), default=-1)
    if n:
        found = nearest_cue(words, max(0, n - CUE_WINDOW, last_run_word + 1, last_det_word + 1), n)
        if found is not None:
            trailing_cue = found[0]
    ends_with_run = bool(runs) and runs[-1].last >= last_content
    return Analysis(tuple(dets), tuple(words), tuple(runs), leading_run, trailing_cue, ends_with_run,
                    frozenset(harmless))
