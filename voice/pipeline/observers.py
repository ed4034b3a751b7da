"""Pipeline observers: per-turn records for the replay table and the latency breakdown."""

from __future__ import annotations

import time

from pipecat.frames.frames import (
    FunctionCallInProgressFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from voice.pipeline.calllog import CallLog


class TurnObserver(BaseObserver):
    """Fills the current :class:`TurnRecord`: reply text, tool calls, brain and TTS timings."""

    def __init__(self, log: CallLog) -> None:
        super().__init__()
        self._log = log
        self._turn_end = 0.0
        self._first_text = 0.0
        self._first_audio_seen = True
        self._tool_ids: set[str] = set()

    async def on_push_frame(self, data: FramePushed) -> None:
        if not data.first_push:
            return
        frame = data.frame
        now = time.monotonic()
        if isinstance(frame, UserStoppedSpeakingFrame):
            self._turn_end, self._first_text, self._first_audio_seen = now, 0.0, False
        elif isinstance(frame, LLMTextFrame) and self._log.turns:
            rec = self._log.current()
            rec.reply += frame.text
            if not self._first_text and self._turn_end:
                self._first_text = now
                rec.brain_ms = (now - self._turn_end) * 1000
        elif isinstance(frame, FunctionCallInProgressFrame) and self._log.turns:
            if frame.tool_call_id in self._tool_ids:
                return  # the same call travels both ways through the pipeline
            self._tool_ids.add(frame.tool_call_id)
            rec = self._log.current()
            rec.tool_calls.append(f"{frame.function_name}({_args(frame.arguments)})")
        elif isinstance(frame, TTSAudioRawFrame) and not self._first_audio_seen and self._first_text:
            self._first_audio_seen = True
            self._log.current().tts_first_ms = (now - self._first_text) * 1000


def _args(arguments: object) -> str:
    if isinstance(arguments, dict):
        return ", ".join(f"{k}={v!r}" for k, v in arguments.items() if k != "reason")
    return ""
