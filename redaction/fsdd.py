"""Numbers spoken by real voices: card numbers, SSNs and IDs built by concatenating Free Spoken
Digit Dataset recordings, transcribed by a real ASR (passed in), then redacted.

A case counts as tokenized only if no digit of the value reaches the brain: the redacted text of
every utterance of the case holds no digit and no spoken digit word. Each number is tried spoken
in one utterance, split in two, and split into its digit groups (three or four utterances); a
context utterance ("my card number is") comes first, as a caller would say it. The same
transcripts are also redacted with no context utterance (``share_without_context``).

Takes are split: FSDD has 50 takes of each digit by each speaker; takes 0-24 (:data:`TUNING_TAKES`)
are for tuning, takes 25-49 (:data:`EVAL_TAKES`) for evaluation. ``run_fsdd_cases`` draws from the
evaluation takes unless told otherwise, so a figure it reports was not seen by any tuning.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import soundfile as sf

from redaction.checksums import luhn_complete, ssn_valid
from redaction.redactor import CallRedactor
from redaction.speakable import TOKEN_RE

Transcriber = Callable[[npt.NDArray[np.float32], int], str]
FSDD_RATE = 8000
TUNING_TAKES = range(0, 25)
EVAL_TAKES = range(25, 50)
SPLIT_NAMES = {TUNING_TAKES: "tuning-takes", EVAL_TAKES: "eval-takes"}
_LEAK_RE = re.compile(
    r"\d|\b(zero|oh|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|"
    r"hundred|thousand|double|triple)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class FsddCase:
    kind: str
    mode: str
    speaker: str
    digits: str
    groups: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class FsddResult:
    share: float
    cases: int
    by_kind: dict[str, float]
    by_mode: dict[str, float]
    share_without_context: float  # the same transcripts with no "my card number is" before them
    split: str = "eval-takes"  # which FSDD takes the audio came from (TUNING_TAKES or EVAL_TAKES)


CONTEXT = {"card": "my card number is", "ssn": "my social security number is", "id": "my member id is"}


def leaks_digits(redacted_text: str) -> bool:
    """True when redacted text, tokens set aside, still holds a digit or a spoken number word."""
    return _LEAK_RE.search(TOKEN_RE.sub(" ", redacted_text)) is not None


def _clip(path: Path) -> npt.NDArray[np.float32]:
    data, sr = sf.read(str(path), dtype="float32", always_2d=False)
    if sr != FSDD_RATE:
        raise ValueError("FSDD files are 8 kHz")
    a = np.asarray(data, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=1)
    # trim leading/trailing near-silence
    level = np.abs(a)
    thr = max(0.02 * float(level.max(initial=0.0)), 1e-4)
    idx = np.nonzero(level > thr)[0]
    return a[idx[0]:idx[-1] + 1] if idx.size else a


def make_cases(rng: random.Random, speakers: list[str], per_kind: int) -> list[FsddCase]:
    cases: list[FsddCase] = []
    for i in range(per_kind):
        card = luhn_complete("4" + "".join(rng.choice("0123456789") for _ in range(14)))
        while True:
            ssn = rng.choice("1234567") + "".join(rng.choice("0123456789") for _ in range(8))
            if ssn_valid(ssn):
                break
        mid = "".join(rng.choice("0123456789") for _ in range(10))
        for kind, digits, groups in (("card", card, (4, 4, 4, 4)), ("ssn", ssn, (3, 2, 4)), ("id", mid, (3, 3, 4))):
            for mode in ("one", "two", "groups"):
                cases.append(FsddCase(kind, mode, speakers[(i + len(cases)) % len(speakers)], digits, groups))
    return cases


def _audio(fsdd: Path, case: FsddCase, digits: str, groups: tuple[int, ...], rng: random.Random,
           takes: range = EVAL_TAKES) -> npt.NDArray[np.float32]:
    pieces: list[npt.NDArray[np.float32]] = [np.zeros(int(0.3 * FSDD_RATE), np.float32)]
    pos = 0
    for g in groups:
        for d in digits[pos:pos + g]:
            pieces.append(_clip(fsdd / f"{d}_{case.speaker}_{rng.choice(takes)}.wav"))
            pieces.append(np.zeros(int(0.08 * FSDD_RATE), np.float32))
        pieces.append(np.zeros(int(0.3 * FSDD_RATE), np.float32))
        pos += g
    return np.concatenate(pieces)


def _utterance_groups(case: FsddCase) -> list[tuple[int, ...]]:
    """The digit groups of each utterance of the case."""
    if case.mode == "one":
        return [case.groups]
    if case.mode == "two":
        cut = max(1, len(case.groups) // 2)
        return [case.groups[:cut], case.groups[cut:]]
    return [(g,) for g in case.groups]


def run_fsdd_cases(transcribe: Transcriber, shared: Path, *, per_kind: int = 10, seed: int = 7,
                   progress: bool = True, kinds: tuple[str, ...] = ("card", "ssn", "id"),
                   modes: tuple[str, ...] = ("one", "two", "groups"), takes: range = EVAL_TAKES) -> FsddResult:
    """Run every case; see the module docstring for what counts as tokenized and which takes are used."""
    fsdd = shared / "audio" / "fsdd"
    if not fsdd.is_dir():
        raise FileNotFoundError("FSDD folder not found under the shared folder")
    rng = random.Random(seed)
    speakers = sorted({p.name.split("_")[1] for p in fsdd.glob("*_*_*.wav")})
    cases = [c for c in make_cases(rng, speakers, per_kind) if c.kind in kinds and c.mode in modes]
    ok: list[tuple[FsddCase, bool]] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(cases), desc="fsdd numbers", file=sys.stderr, leave=False)
    bare: list[bool] = []
    for case in cases:
        texts: list[str] = []
        pos = 0
        for groups in _utterance_groups(case):
            n = sum(groups)
            texts.append(transcribe(_audio(fsdd, case, case.digits[pos:pos + n], groups, rng, takes), FSDD_RATE))
            pos += n
        state = CallRedactor(call_id=f"fsdd-{len(ok)}")
        clean = not leaks_digits(state.redact(CONTEXT[case.kind]).text)
        clean = not any(leaks_digits(state.redact(t).text) for t in texts) and clean
        ok.append((case, clean))
        no_context = CallRedactor(call_id=f"fsdd-bare-{len(bare)}")
        bare.append(not any(leaks_digits(no_context.redact(t).text) for t in texts))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()

    def share(sel: list[bool]) -> float:
        return sum(sel) / len(sel) if sel else 0.0

    return FsddResult(
        share=share([c for _, c in ok]),
        cases=len(ok),
        by_kind={k: share([c for cs, c in ok if cs.kind == k]) for k in ("card", "ssn", "id")},
        by_mode={m: share([c for cs, c in ok if cs.mode == m]) for m in ("one", "two", "groups")},
        share_without_context=share(bare),
        split=SPLIT_NAMES.get(takes, f"takes {takes.start}-{takes.stop - 1}"),
    )


def run_fsdd_eval(transcribe: Transcriber, shared: Path) -> float:
    """Share of FSDD-built numbers (whole and split, evaluation takes) with no digit reaching the brain."""
    return run_fsdd_cases(transcribe, shared).share
