"""The IVR's audio: every prompt pre-rendered before the caller needs it (or WAVs an admin provides).

Texts come from the workspace's ``ivr`` section plus a few fixed lines (:func:`prompt_texts`).
Rendering goes through the engines' :class:`voice.tts.PromptCache`, which the server fills at
start-up, so a call's first prompt plays without synthesis. When ``ivr.prompts_dir`` names a
folder, a WAV there replaces the synthesized prompt of the same name: ``greeting.wav``,
``option_1.wav`` ... ``option_#.wav``, ``invalid.wav``, ``goodbye.wav``, ``closed.wav``.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Executor
from pathlib import Path
from typing import Protocol

from concierge.config import Workspace
from concierge.guard import FALLBACK
from concierge.tools import HUMAN_MESSAGE
from concierge.transfers import NOT_APPROVED_MESSAGE, TRANSFER_FAILED_MESSAGE
from voice.audio import read_audio, to_int16_bytes
from voice.ivr.exceptions import PromptError
from voice.ivr.menu import (
    CLOSED_TEXT,
    REMEMBER_OFFER_TEXT,
    REMEMBERED_TEXT,
    Prompt,
    PromptKey,
    option_key,
)

#: What the caller hears first when a running AI call moves to the IVR, by the reason given.
LEAD_IN_TEXTS: dict[str, str] = {
    "caller_requested_human": HUMAN_MESSAGE,
    "dtmf_0": HUMAN_MESSAGE,
    "supervisor_rejected": NOT_APPROVED_MESSAGE,
    "approval_timeout": NOT_APPROVED_MESSAGE,
    "caller_opted_out": NOT_APPROVED_MESSAGE,
    "supervisor_approved": TRANSFER_FAILED_MESSAGE,  # approved, but the transfer failed
    "brain_failed": FALLBACK,
}


class Renderer(Protocol):
    def get(self, text: str, rate: int) -> bytes: ...


def prompt_texts(workspace: Workspace) -> dict[PromptKey, str]:
    ivr = workspace.ivr
    texts: dict[PromptKey, str] = {
        Prompt.GREETING: ivr.greeting,
        Prompt.INVALID: ivr.invalid_prompt,
        Prompt.GOODBYE: ivr.goodbye_prompt,
        Prompt.CLOSED: CLOSED_TEXT,
        Prompt.REMEMBER_OFFER: REMEMBER_OFFER_TEXT,
        Prompt.REMEMBERED: REMEMBERED_TEXT,
    }
    for o in ivr.options:
        texts[option_key(o.digit)] = o.prompt
    for reason, text in LEAD_IN_TEXTS.items():
        texts[f"lead_in:{reason}"] = text
    return texts


def all_texts(workspace: Workspace) -> list[str]:
    """Every text the IVR may speak for ``workspace`` (pre-render these at start or on change)."""
    return list(dict.fromkeys(prompt_texts(workspace).values()))


def _wav_name(key: PromptKey) -> str:
    name = key.value if isinstance(key, Prompt) else key.replace(":", "_")
    return f"{name}.wav"


_WAV_CACHE: dict[tuple[str, float, int], bytes] = {}
_WAV_LOCK = threading.Lock()


def _load_wav(path: Path, rate: int) -> bytes:
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise PromptError(f"cannot read prompt file {path.name}: {exc.strerror}") from None
    key = (str(path), mtime, rate)
    with _WAV_LOCK:
        hit = _WAV_CACHE.get(key)
    if hit is None:
        try:
            samples, _ = read_audio(path, rate)
        except Exception as exc:  # soundfile raises its own types for unreadable files
            raise PromptError(f"prompt file {path.name} is not readable audio ({type(exc).__name__})") from None
        hit = to_int16_bytes(samples)
        with _WAV_LOCK:
            _WAV_CACHE[key] = hit
    return hit


class IvrPrompts:
    """Audio of one workspace's prompts at one sample rate (16-bit PCM), rendered on first use.

    A prompt already in the renderer's cache (pre-rendered at start-up) costs a dict look-up; a
    miss is synthesized on ``executor`` so the event loop never blocks.
    """

    def __init__(
        self, workspace: Workspace, rate: int, renderer: Renderer, *, executor: Executor | None = None
    ) -> None:
        self.rate = rate
        self._texts = prompt_texts(workspace)
        self._folder = Path(workspace.ivr.prompts_dir) if workspace.ivr.prompts_dir else None
        self._renderer = renderer
        self._executor = executor

    def has(self, key: PromptKey) -> bool:
        return key in self._texts

    def lead_in(self, reason: str) -> PromptKey | None:
        key = f"lead_in:{reason}"
        return key if key in self._texts else None

    def render(self, key: PromptKey) -> bytes:
        """Blocking on a cache miss (synthesis or WAV decoding)."""
        text = self._texts.get(key)
        if text is None:
            raise PromptError(f"no prompt named {key}")
        wav = self._folder / _wav_name(key) if self._folder is not None else None
        if wav is not None and wav.is_file():
            return _load_wav(wav, self.rate)
        return self._renderer.get(text, self.rate)

    def cached(self, key: PromptKey) -> bool:
        """True when :meth:`render` needs no synthesis and no decoding (safe on the event loop)."""
        text = self._texts.get(key)
        if text is None:
            return False
        if self._folder is not None:
            wav = self._folder / _wav_name(key)
            try:
                mtime = wav.stat().st_mtime
            except OSError:
                mtime = None
            if mtime is not None:
                with _WAV_LOCK:
                    return (str(wav), mtime, self.rate) in _WAV_CACHE
        contains = getattr(self._renderer, "__contains__", None)
        return contains is not None and bool(contains((text, self.rate)))

    async def audio(self, key: PromptKey) -> bytes:
        if self.cached(key):
            return self.render(key)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self.render, key)


def prerender(workspace: Workspace, renderer: Renderer, rates: tuple[int, ...] = (8000, 16000)) -> None:
    """Render every IVR prompt at every rate into the renderer's cache (start-up, config change)."""
    for rate in rates:
        prompts = IvrPrompts(workspace, rate, renderer)
        for key in prompt_texts(workspace):
            prompts.render(key)
