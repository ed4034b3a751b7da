"""Judge one generated call: what crossed the boundary, whether a secret leaked, what harmless
numbers were lost. Used by the property test (guard alone) and by ``dialphone eval boundary``
(the whole pipeline, where "what crossed" is every model request, audit row and log line)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from redaction.boundary_cases import BoundaryCall, TurnKind
from redaction.dtmf import DtmfGatherer
from redaction.guard import CallGuard
from redaction.leaks import digit_stream, longest_leak
from redaction.speakable import TOKEN_RE


@dataclass(frozen=True, slots=True)
class Verdict:
    leak: int  # the longest stretch of the secret beyond the last-four rule (0: none)
    harmless_said: int
    harmless_lost: int
    withheld: int  # caller turns withheld by the guard
    heldout_said: int = 0  # of the harmless numbers, those from the second held-out set (never tuned on)
    heldout_lost: int = 0


def leak_in(texts: Iterable[str], call: BoundaryCall, *, last_four_ok: bool) -> int:
    """The longest disallowed stretch of the call's secret across ``texts`` read in order, as if
    they were one document (pieces in separate messages still join). The call's harmless sentences
    ("i waited 52 minutes") are taken out first where they appear whole: their numbers are meant to
    pass, and they may share digits with the secret by chance."""
    joined = " | ".join(texts)
    for turn in call.turns:
        if turn.harmless:
            joined = joined.replace(turn.text, " ")
    return longest_leak(joined, call.secret, last_four_ok=last_four_ok and len(call.secret) >= 9)


def harmless_kept(text: str, digits: str) -> bool:
    """Whether a harmless number's digits are still in the text, in plain (outside any token)."""
    plain = "".join(d.digit for d in digit_stream(TOKEN_RE.sub(" ", text)))
    return digits in plain


def run_guard_only(call: BoundaryCall, guard: CallGuard) -> tuple[list[str], Verdict]:
    """Feed the call to the guard as the pipeline would (final transcripts, keypad sequences, the
    concierge's asks) and judge what it let through."""
    keypad = DtmfGatherer(guard)
    out: list[str] = []
    said = lost = withheld = h_said = h_lost = 0
    t = 0.0
    for turn in call.turns:
        t += 5.0
        if turn.kind is TurnKind.ASK:
            assert turn.asks_for is not None
            guard.expect(turn.asks_for)
            continue
        if turn.kind is TurnKind.TYPE:
            for k, key in enumerate(turn.text):
                typed = keypad.push(key, t + 0.1 * k)
                if typed is not None and typed.withheld is None:
                    out.append(typed.text)
            continue
        r = guard.heard(turn.text)
        if r.withheld is not None:
            withheld += 1
        else:
            out.append(r.text)
        for digits in turn.harmless:
            kept = r.withheld is None and harmless_kept(r.text, digits)
            said += 1
            lost += not kept
            h_said += turn.heldout == 2
            h_lost += turn.heldout == 2 and not kept
    return out, Verdict(leak_in(out, call, last_four_ok=guard.last_four_ok), said, lost, withheld, h_said, h_lost)
