"""Errors of the model-card generator and the release gate.

- :class:`CardsError` is the base class.
- :class:`MeasurementError`: a measurement could not be made or did not check out (for example the
  per-speaker FSDD breakdown did not reproduce the redaction run's own share).
- :class:`MetricsFileError`: ``metrics.json`` is missing, unreadable, or lacks a section the gate needs.
"""

from __future__ import annotations


class CardsError(Exception):
    """Base class of the model-card errors."""


class MeasurementError(CardsError):
    """A measurement failed its own consistency check."""


class MetricsFileError(CardsError):
    """``metrics.json`` cannot be used."""
