"""PNG plots for the cards (matplotlib, Agg backend, no metadata timestamps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PLOTS = ("asr-accent.png", "redaction-recall.png", "redaction-fsdd-accent.png", "tts-roundtrip.png")


def _bars(path: Path, title: str, labels: Sequence[str], values: Sequence[float],
          intervals: Sequence[Sequence[float]], ylabel: str, *, horizontal: bool = False) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    lower = [v - lo for v, (lo, _) in zip(values, intervals, strict=True)]
    upper = [hi - v for v, (_, hi) in zip(values, intervals, strict=True)]
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(labels) + 1.6) if horizontal else (6.5, 4))
    pos = range(len(labels))
    if horizontal:
        ax.barh(pos, values, xerr=[lower, upper], capsize=4, color="#4c78a8")
        ax.set_yticks(list(pos), labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        ax.set_xlim(0, 1.05)
    else:
        ax.bar(pos, values, yerr=[lower, upper], capsize=6, color="#4c78a8")
        ax.set_xticks(list(pos), labels)
        ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x" if horizontal else "y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def _grouped(path: Path, title: str, groups: Sequence[str], series: Mapping[str, Sequence[Mapping[str, Any]]],
             ylabel: str) -> None:
    """Bars per group, one colour per series (proportion dicts with ``p`` and ``ci95``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2))
    width = 0.8 / max(len(series), 1)
    for i, (name, values) in enumerate(series.items()):
        xs = [g + (i - (len(series) - 1) / 2) * width for g in range(len(groups))]
        err = [[d["p"] - d["ci95"][0] for d in values], [d["ci95"][1] - d["p"] for d in values]]
        ax.bar(xs, [d["p"] for d in values], width, yerr=err, capsize=5, label=name)
    ax.set_xticks(list(range(len(groups))), groups)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.05)
    ax.legend(loc="lower right")
    ax.set_title(title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(fig)


def write_plots(section: Mapping[str, Any], out: Path) -> list[Path]:
    """Four PNGs from one metrics section (full when present); returns their paths."""
    paths = [out / name for name in PLOTS]
    fsdd = section["asr"]["fsdd"]
    accents = list(fsdd["no_hint"]["by_accent"])
    labels = [f"{g}\n(n={fsdd['no_hint']['by_accent'][g]['n']})" for g in accents]
    _grouped(paths[0], f"ASR 4-digit accuracy by accent group ({fsdd['sequences']} FSDD sequences, 95% Wilson)",
             labels, {"no hint": [fsdd["no_hint"]["by_accent"][g] for g in accents],
                      "hint=digits": [fsdd["digits_hint"]["by_accent"][g] for g in accents]}, "accuracy")
    types = section["redaction"]["corpus"]["types"]
    _bars(paths[1], "Redaction recall by entity type (corpus, 95% Wilson)",
          [f"{t} (n={d['recall']['n']})" for t, d in types.items()], [d["recall"]["p"] for d in types.values()],
          [d["recall"]["ci95"] for d in types.values()], "recall", horizontal=True)
    acc = section["redaction"]["fsdd"]["by_accent"]
    _bars(paths[2], "FSDD numbers tokenized through ASR, by accent (95% Wilson)",
          [f"{g}\n(n={d['n']})" for g, d in acc.items()], [d["p"] for d in acc.values()],
          [d["ci95"] for d in acc.values()], "share with no digit reaching the brain")
    rates = section["tts"]["by_rate"]
    _bars(paths[3], "TTS intelligibility: ASR round-trip WER (95% bootstrap)",
          list(rates), [d["wer"] for d in rates.values()], [d["ci95"] for d in rates.values()], "WER")
    return paths
