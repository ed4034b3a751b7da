"""Errors raised by the ASR engine.

Exception tree (messages never contain transcript text or audio content)::

    AsrError                 base class; catch this to handle any ASR failure
    ├── AsrInputError        the PCM given is not mono 16 kHz int16/float audio (wrong dtype or shape)
    └── AsrModelError        the CTranslate2 model could not be loaded or run; wraps the cause

Model resolution and verification errors come from :mod:`voice.models` (``ModelError`` and its
subclasses) and propagate unchanged from ``AsrEngine(...)``.
"""

from __future__ import annotations


class AsrError(Exception):
    """Base class of every ASR engine error."""


class AsrInputError(AsrError, ValueError):
    """The audio given to the engine has the wrong dtype or shape."""


class AsrModelError(AsrError):
    """The CTranslate2 model failed to load or to run."""
