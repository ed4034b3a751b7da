"""Entry points of ``dialphone eval all`` and ``dialphone eval gate`` (the code is in :mod:`voice.cards`)."""

from __future__ import annotations

from voice.cards.cli import main
from voice.cards.gate import gate_main

__all__ = ["gate_main", "main"]
