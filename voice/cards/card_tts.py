"""The speech synthesis card (``speech-synthesis.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voice.cards import markdown as md
from voice.cards.details import TRAINING
from voice.cards.gate import BIAS_LIMITS
from voice.cards.measure_tts import RATES

NAME = "speech-synthesis"


def analyses(s: Mapping[str, Any]) -> list[str]:
    t = s["tts"]
    out = [f"ASR round trip over {t['sentences']} bot sentences (WER, 95% CI: bootstrap over sentences):", ""]
    rows = [["all", r, md.wer_cell(t["by_rate"][r]), md.ci(t["by_rate"][r]["ci95"])] for r in RATES]
    for c, per in t["by_category"].items():
        rows += [[c, r, md.wer_cell(per[r]), md.ci(per[r]["ci95"])] for r in RATES]
    out += md.table(("sentences", "audio", "WER", "95% CI"), rows)
    g = t["rate_gap"]
    out += [f"- Telephone penalty: WER at {RATES[1]} minus WER at {RATES[0]} = {md.signed(g['gap'])} (95% CI "
            f"{md.signed(g['ci95'][0])} to {md.signed(g['ci95'][1])}, paired bootstrap); the release gate's ceiling "
            f"is {BIAS_LIMITS['tts.telephone_gap'][1] * 100:.1f} points.", ""]
    return out


def render(metrics: Mapping[str, Any]) -> str:
    main = metrics.get("full") or metrics["quick"]
    t = main["tts"]
    out = ["# Model card: speech synthesis (hibari, voice heart)", "", md.GENERATED, "", "## Model details", ""]
    out += md.details(metrics["models"]["tts"])
    out += ["Synthesis: `voice.tts.HibariEngine` (speed 1.05, seed 0, leading silence trimmed), resampled with "
            "soxr to the transport rate.", "",
            "## Intended use", "",
            "- Speaking the concierge's short replies, IVR prompts and masked renderings of tokens (\"the card "
            "ending in 1111\") to callers in American English, at telephone (8 kHz) or wideband (16 kHz) rates.", "",
            "Out of scope: impersonating a real person or presenting the voice as human; other languages; long-form reading; reading full sensitive values aloud "
            "(the speakable renderer never passes them).", "",
            "## Factors", "",
            "- Audio path: 16 kHz wideband, 8 kHz through G.711 µ-law (the telephone path).",
            "- Sentence type: greeting, routing, menu, masked value, FAQ.",
            "- Not covered: listeners (intelligibility is measured by an ASR, not by people), hearing-impaired "
            "listeners, noisy or lossy networks, other voices (only the bundled voice works offline).", "",
            "## Metrics", "",
            "- Round-trip WER: the sentence synthesized, recognized by the project's ASR (tiny.en) and scored "
            "against the text (numbers scored digit by digit); 95% CI by a seeded bootstrap over sentences. It includes the recognizer's own "
            "errors, so it is an upper bound on what a listener would mishear.",
            "- Telephone penalty: paired difference of WER between the two audio paths.", "",
            "## Evaluation data", "",
            f"- {t['sentences']} fixed bot sentences (`voice/cards/measure_tts.py`): greetings, routing lines, "
            "IVR menu prompts, masked values and FAQ answers of the example workspace.", "",
            "## Training data", "", TRAINING["tts"], ""]
    out += md.sections(metrics, analyses, "Full run", "Quick subset (CI)")
    if metrics.get("full"):
        out += ["![Round-trip WER by audio path with 95% intervals](tts-roundtrip.png)", ""]
    worst = max(t["by_category"].items(), key=lambda kv: kv[1][RATES[1]]["wer"])
    out += ["## Ethical considerations", "",
            "- A synthetic voice must not be mistaken for a person: a deployment's greeting should say that the "
            "caller is talking to an automated assistant (the example workspace's greeting does not yet).",
            "- One female American voice serves every caller; callers who find it hard to follow can press 0 "
            "for the menu or ask for a person.", "",
            "## Caveats and known failure modes (measured)", "",
            f"- Hardest sentence type on the telephone path: {worst[0]} ({md.wer_cell(worst[1][RATES[1]])}).",
            "- The round trip cannot tell a synthesis error from a recognition error; a listening test is the "
            "better measure and has not been run.", ""]
    return "\n".join(out)
