"""Errors of the IVR package.

    IvrError              base of everything raised here
    └── PromptError       a prompt that cannot be rendered or an admin WAV that cannot be read

Messages name prompts and files only, never caller data (digits a caller pressed included).
"""

from __future__ import annotations


class IvrError(Exception):
    """Base class for IVR errors."""


class PromptError(IvrError):
    """A prompt that cannot be rendered, or an admin-provided WAV that cannot be read."""
