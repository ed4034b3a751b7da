"""The concierge routing card (``concierge-routing.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voice.cards import markdown as md
from voice.cards.details import TRAINING

NAME = "concierge-routing"


def analyses(s: Mapping[str, Any]) -> list[str]:
    r = s["routing"]
    out = [f"Scripts: {r['scenarios']} distinct scenario scripts (the {r['files']} fixture files are each script in "
           f"two bands; each script is routed once), {r['accuracy']['n']} distinct routed turns: accuracy "
           f"{md.prop(r['accuracy'])} (95% CI {md.ci(r['accuracy']['ci95'])}).", ""]
    out += md.table(("expected outcome", "n", "routed correctly", "95% CI"), md.prop_rows(r["by_expected"]))
    out += [md.gap_line("accuracy by expected outcome", r["expected_gap"]), ""]
    out += ["End to end, per band (each turn recognized by the project's ASR, passed through the call's privacy "
            "guard (`redaction.CallGuard`: tokenized, or withheld when unsure), then routed; a leak is a turn "
            "carrying a sensitive value whose text as the brain receives it still holds a digit or number word; a "
            "withheld turn reaches the brain as nothing and the caller is asked again). Screened: "
            "`fixtures/audio`, voices chosen by audition; blind: `fixtures/audio-blind`, voices and rates drawn by "
            "seed:", ""]
    rows = []
    for kind in ("screened", "blind"):
        for band, d in r["end_to_end"][kind].items():
            rows.append([kind, band, str(d["accuracy"]["n"]), md.prop(d["accuracy"]), md.ci(d["accuracy"]["ci95"]),
                         md.prop(d["leaked"]) if d["leaked"]["n"] else "-", str(d["withheld_turns"])])
    out += md.table(("set", "band", "routed turns", "routed correctly", "95% CI", "leaked (turns with a value)",
                     "withheld turns"), rows)
    return out


def render(metrics: Mapping[str, Any]) -> str:
    main = metrics.get("full") or metrics["quick"]
    misses = main["routing"]["misses"] + [
        {**m, "scenario": f"{m['scenario']} ({kind}, ASR)"}
        for kind, bands in main["routing"]["end_to_end"].items() for d in bands.values() for m in d["misses"]]
    out = ["# Model card: concierge routing (embedded brain)", "", md.GENERATED, "", "## Model details", ""]
    out += md.details(metrics["models"]["routing"])
    out += ["## Intended use", "",
            "- Choosing where a caller goes (a department of the workspace, a human, an FAQ answer, or a "
            "clarifying question) from the tokenized transcript of a turn, offline, in well under a millisecond; "
            "every transfer is proposed to the transfer gate, which may deny it or ask a human.", "",
            "Out of scope: open conversation; answering questions beyond the configured FAQ; any decision about "
            "a caller's eligibility, credit, care or identity; configurations with many overlapping departments "
            "(re-measure on your own workspace).", "",
            "## Factors", "",
            "- Expected outcome (department, human, FAQ, unclear), the caller's wording (scripted fixture turns, "
            "clarified follow-ups, numbers split across turns).",
            "- Recognition errors: the end-to-end figures route what the ASR heard, per band, on the screened "
            "fixtures and on a blind rendering whose voices were drawn by seed.",
            "- Not covered: other workspaces, real callers' voices, languages other than English.", "",
            "## Metrics", "",
            "- Routing accuracy per turn (the first tool call names the expected department or outcome), 95% "
            "Wilson interval, by expected outcome.", "",
            "## Evaluation data", "",
            "- The caller scenarios of `fixtures/audio/*.yaml` (both renderings of each scenario, 8 kHz and 16 kHz, "
            "carry the same script: scripts are counted once), routed against `examples/workspace.yaml` "
            "(`concierge.evaluate.evaluate_routing`); the same scenarios rendered blind "
            "(`fixtures/audio-blind`, `make_fixtures.py --blind`) for the end-to-end figures.", "",
            "## Training data", "", TRAINING["routing"], ""]
    out += md.sections(metrics, analyses, "Full run", "Quick subset (CI)")
    out += ["## Ethical considerations", "",
            "- Misrouting costs the caller time, not a decision: transfers go through the transfer gate and the "
            "caller can always ask for a person.",
            "- The brain sees tokens only (redaction runs first); nothing here depends on who the caller is.", "",
            "## Caveats and known failure modes (measured)", ""]
    if misses:
        out += [f"- {m['scenario']} turn {m['turn']}: expected {m['expected']}, routed {m['got']}." for m in misses]
    else:
        out.append(f"- No misrouted turn among the {main['routing']['accuracy']['n']} scripted turns or the recognized "
                   "ones; the fixtures were written with the router, so this is an optimistic figure.")
    for kind, bands in main["routing"]["end_to_end"].items():
        for band, d in bands.items():
            if d["leaked"]["k"]:
                out.append(f"- Leaks ({kind}, {band}): in {d['leaked']['k']} of {d['leaked']['n']} turns that carry a "
                           "sensitive value, what reached the brain still held a digit or number word: the "
                           "recognizer garbled the number, and the guard passed the garbled words on.")
    out += ["- Word overlap routing fails on paraphrases that share no stem or example with any department; it "
            "then asks a clarifying question rather than guessing.", ""]
    return "\n".join(out)
