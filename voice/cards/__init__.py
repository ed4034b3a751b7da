"""Model cards generated from measured evaluation, bias tests, and the release gate.

- :mod:`voice.cards.run` runs every evaluation (ASR, redaction, routing, TTS round trip) with progress;
- :mod:`voice.cards.cli` (``dialphone eval all``) writes ``docs/model-cards/``: ``metrics.json``, one
  card per AI feature (``card_*.py``, rendered from ``metrics.json`` alone) and PNG plots;
- :mod:`voice.cards.gate` (``dialphone eval gate``) compares a new measurement with the stored figures.
"""

import sys as _sys

# The cards' figures must come out the same on every host: CI regenerates the quick section and
# compares it with the committed one. CTranslate2 chooses its CPU kernels once, when it is first
# imported: Intel MKL on an Intel CPU, oneDNN on others, and their int8 products round differently.
# Measured on an Intel Xeon host against the committed cards (made on an AMD EPYC host): with MKL the
# blind 8 kHz card_number turn is heard differently and that row's leak count moves from 1/6 to 2/6;
# with oneDNN at AVX2 every quick figure matches. ``dialphone eval all`` and ``eval gate`` set these
# (unless already set) before anything loads CTranslate2; the server keeps the host's fastest kernels
# (on that Intel host MKL decodes a 5 s turn in 96 ms, oneDNN in 158 ms).
PORTABLE_KERNELS = {"CT2_USE_MKL": "0", "CT2_FORCE_CPU_ISA": "AVX2"}
#: True when CTranslate2 was loaded before this package (its kernels were chosen by then).
CT2_LOADED_FIRST = "ctranslate2" in _sys.modules
