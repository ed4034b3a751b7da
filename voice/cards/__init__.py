"""Model cards generated from measured evaluation, bias tests, and the release gate.

- :mod:`voice.cards.run` runs every evaluation (ASR, redaction, routing, TTS round trip) with progress;
- :mod:`voice.cards.cli` (``dialphone eval all``) writes ``docs/model-cards/``: ``metrics.json``, one
  card per AI feature (``card_*.py``, rendered from ``metrics.json`` alone) and PNG plots;
- :mod:`voice.cards.gate` (``dialphone eval gate``) compares a new measurement with the stored figures.
"""
