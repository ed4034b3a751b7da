"""The redaction card (``redaction.md``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from voice.cards import markdown as md
from voice.cards.details import TRAINING
from voice.cards.gate import BIAS_LIMITS

NAME = "redaction"


def _type_rows(scores: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for t, d in scores["types"].items():
        misses = ", ".join(f"{k} {v}" for k, v in d["misses"].items()) or "none"
        rows.append([t, str(d["recall"]["n"]), md.prop(d["recall"]), md.ci(d["recall"]["ci95"]),
                     f"{d['precision']:.3f}", f"{d['leak_rate']:.4f}", misses])
    return rows


def analyses(s: Mapping[str, Any]) -> list[str]:
    r = s["redaction"]
    out = []
    for key, title in (("corpus", "Labelled corpus"), ("heldout", "Hand-written held-out set")):
        sc = r[key]
        out += [f"{title}: {sc['utterances']} utterances, {sc['entities']} labelled entities, overall recall "
                f"{md.prop(sc['recall'])} (95% CI {md.ci(sc['recall']['ci95'])}).", ""]
        out += md.table(("entity", "n", "recall", "95% CI", "precision", "leak rate", "errors"), _type_rows(sc))
    f = r["fsdd"]
    out += [f"FSDD numbers through the project's ASR, then redacted ({f['cases']} cases, seed {f['seed']}, split "
            f"`{f.get('split', 'eval-takes')}`: takes 25-49, which no tuning heard): a case "
            "counts only if no digit of the value reaches the brain. Overall "
            f"{md.prop(f['tokenized'])} (95% CI {md.ci(f['tokenized']['ci95'])}).", ""]
    rows = []
    for kind in ("by_accent", "by_speaker", "by_kind", "by_mode"):
        rows += [[f"{kind[3:]} {g}", str(d["n"]), md.prop(d), md.ci(d["ci95"])] for g, d in f[kind].items()]
    out += md.table(("group", "n", "tokenized", "95% CI"), rows)
    out += ["Bias:", "", md.gap_line("FSDD numbers tokenized by accent group", f["accent_gap"],
                                     BIAS_LIMITS["redaction.fsdd_accent_gap"][1]), ""]
    return out


def failure_modes(s: Mapping[str, Any]) -> list[str]:
    r = s["redaction"]
    out = []
    for key, title in (("corpus", "corpus"), ("heldout", "held-out set")):
        for t, d in r[key]["types"].items():
            if d["misses"]:
                kinds = ", ".join(f"{v} {k}" for k, v in d["misses"].items())
                dialogs = ", ".join(f"`{x}`" for x in d["miss_dialogs"][:8])
                more = f" and {len(d['miss_dialogs']) - 8} more" if len(d["miss_dialogs"]) > 8 else ""
                out.append(f"- {t} ({title}): {kinds}; dialogs {dialogs}{more}.")
    if not out:
        out.append("- No miss, leak or false positive on the corpus or the held-out set in this run.")
    f = r["fsdd"]
    slices = [(f"{kind[3:]} {g}", d) for kind in ("by_accent", "by_speaker", "by_kind", "by_mode")
              for g, d in f[kind].items()]
    weak = [f"{name} {md.prop(d)}" for name, d in slices if d["k"] < d["n"]]
    if weak:
        out.append("- Spoken numbers through ASR: slices where a case leaked a digit (share tokenized): "
                   + ", ".join(weak) + ". A misrecognized digit word the rules cannot read as part of a number reaches the brain.")
    return out


def render(metrics: Mapping[str, Any]) -> str:
    main = metrics.get("full") or metrics["quick"]
    out = ["# Model card: redaction of sensitive data", "", md.GENERATED, "", "## Model details", ""]
    out += md.details(metrics["models"]["redaction"])
    out += ["## Intended use", "",
            "- Finding card numbers, CVV, expiry dates, SSNs, phone numbers, e-mail addresses, dates of birth, "
            "bank and routing numbers, medical and member IDs, names and addresses in ASR transcripts of "
            "English calls, and replacing them with tokens before the text reaches the brain, logs or the "
            "audit trail (numbers split across utterances join one token).", "",
            "Out of scope: written documents and other languages; a guarantee of de-identification for "
            "compliance purposes on its own (PCI DSS, HIPAA); redacting free-text descriptions of health "
            "conditions; entity types not listed above.", "",
            "## Factors", "",
            "- Entity type; how a number is spoken (digits, words, doubles, grouped, split over utterances).",
            "- For spoken numbers through ASR: the speaker's accent group (`speakers.json`), the speaker, the "
            "kind of number and how it is split.",
            "- Not covered: names and addresses from non-English-speaking cultures beyond the corpus lists, "
            "real caller audio with line noise.", "",
            "## Metrics", "",
            "- Recall per entity type (every character of the value covered by a token of the right type), "
            "95% Wilson interval; precision per type; leak rate (share of sensitive characters reaching the "
            "brain).",
            "- FSDD share tokenized: a case passes only if no digit or number word reaches the brain; 95% "
            "Wilson interval; accent gap with the 95% Newcombe interval.", "",
            "## Evaluation data", "",
            f"- Labelled corpus: {main['redaction']['corpus']['utterances']} ASR-style utterances generated from "
            "templates and seeded random values (`redaction/corpus.py`); every value is synthetic.",
            f"- Held-out set: {main['redaction']['heldout']['utterances']} hand-written utterances "
            "(`redaction/heldout.py`), written after the recognizers; fixes it prompted mean it is no longer "
            "strictly held out.",
            "- FSDD numbers: card numbers, SSNs and member IDs built from Free Spoken Digit Dataset takes of four "
            "speakers (`redaction/fsdd.py`), recognized by the project's `AsrEngine` (8 kHz resampled to 16 kHz); only "
            "takes 25-49 of each speaker and digit (`eval-takes`), takes 0-24 being kept for tuning.", "",
            "## Training data", "", TRAINING["redaction"], ""]
    out += md.sections(metrics, analyses, "Full run", "Quick subset (CI)")
    if metrics.get("full"):
        out += ["![Recall by entity type with 95% intervals](redaction-recall.png)", "",
                "![FSDD numbers tokenized by accent group with 95% intervals](redaction-fsdd-accent.png)", ""]
    out += ["## Ethical considerations", "",
            "- A miss sends a caller's raw value to the brain (and to a hosted LLM when one is configured); a "
            "false positive only hides harmless text. The rules favour recall for numeric types.",
            "- Raw values live only in the per-call vault; this card lists misses by type and synthetic dialog "
            "id, never values.", "",
            "## Caveats and known failure modes (measured)", ""]
    out += failure_modes(main) + [
        "- The corpus was written alongside the rules, so its figures are optimistic; the held-out and FSDD "
        "figures are the better guide to unseen speech.", ""]
    return "\n".join(out)
