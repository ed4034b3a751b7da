"""``dialphone eval redaction`` and ``bench redaction``: the redaction package's own commands, given the
speech model they need (for the FSDD part of ``eval``) only after :func:`voice.models.resolve_whisper`
has verified its files against their SHA-256 digests."""

from __future__ import annotations

from redaction.cli import main as redaction_main
from voice.models.resolver import resolve_whisper


def main(argv: list[str]) -> int:
    needs_model = bool(argv) and argv[0] == "eval" and not {"--no-fsdd", "-h", "--help"} & set(argv)
    return redaction_main(argv, model_dir=resolve_whisper().path if needs_model else None)
