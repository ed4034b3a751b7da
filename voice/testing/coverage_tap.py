"""What the AI did, counted where it happened, not where it was logged: the ground truth of the
audit-coverage evaluation.

:class:`ActionTap` wraps, for the evaluation's process only, the places an AI action starts, and
counts each per call id:

- ``transcript``: a final transcript reaches the privacy boundary (expects ``asr.transcribed`` or
  ``redaction.withheld``);
- ``inference``: a brain starts a turn (expects ``brain.turn`` or ``brain.failed``);
- ``tool_call``: the model asked for a tool, as pipecat is handed it (expects an entry in
  ``brain.turn.tool_calls``);
- ``proposal``: a transfer proposal reaches the coordinator (expects ``transfer.proposed`` and its
  ``transfer.decided``);
- ``optout``: the IVR takes a call because the caller asked (a lone 0, "agent"; expects
  ``optout.applied``).

Approval requests are read from the approval queue and transfers from the far side (the Twilio
stand-in, the SIP caller that got the REFER, the WebRTC peer, the in-process recording); model
requests from the Messages API stand-in. Nothing here is used by a server.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from unittest import mock

from pipecat.frames.frames import InterimTranscriptionFrame, TranscriptionFrame
from pipecat.processors.frame_processor import FrameDirection

from concierge.claude_brain import ClaudeBrainService
from concierge.embedded_brain import EmbeddedBrainService
from concierge.guard import TurnGuard
from concierge.transfers import TransferCoordinator
from voice.ivr.switch import CALLER_REASONS, IvrSwitch
from voice.pipeline.redaction_stage import RedactionStage

KINDS = ("transcript", "inference", "tool_call", "proposal", "optout")


class ActionTap:
    def __init__(self) -> None:
        self.counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add(self, call_id: str, kind: str, n: int = 1) -> None:
        if call_id and n:
            self.counts[call_id][kind] += n

    @contextmanager
    def installed(self) -> Iterator[ActionTap]:
        tap = self

        def wrap(cls: type, name: str, count: Callable[..., None]) -> Any:
            original = getattr(cls, name)

            @functools.wraps(original)
            async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                count(self, *args, **kwargs)
                return await original(self, *args, **kwargs)

            return mock.patch.object(cls, name, wrapper)

        def sync_wrap(cls: type, name: str, count: Callable[..., None]) -> Any:
            original = getattr(cls, name)

            @functools.wraps(original)
            def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
                count(self, *args, **kwargs)
                return original(self, *args, **kwargs)

            return mock.patch.object(cls, name, wrapper)

        def transcript(stage: Any, frame: Any, direction: Any = FrameDirection.DOWNSTREAM) -> None:
            if isinstance(frame, TranscriptionFrame) and not isinstance(frame, InterimTranscriptionFrame) \
                    and direction is FrameDirection.DOWNSTREAM and frame.text.strip():
                tap.add(stage._call_id, "transcript")

        def inference(guard: Any, *_: Any) -> None:
            tap.add(guard.call.call_id, "inference")

        def tool_calls(brain: Any, calls: Any) -> None:
            tap.add(brain.call.call_id, "tool_call", len(list(calls)))

        def proposal(coordinator: Any, *_: Any, **__: Any) -> None:
            tap.add(coordinator.call.call_id, "proposal")

        def optout(switch: Any, reason: str) -> None:
            if reason in CALLER_REASONS and switch.mode.value == "ai":
                tap.add(switch._call_id, "optout")

        with ExitStack() as stack:
            stack.enter_context(wrap(RedactionStage, "process_frame", transcript))
            stack.enter_context(sync_wrap(TurnGuard, "begin", inference))
            stack.enter_context(wrap(ClaudeBrainService, "run_function_calls", tool_calls))
            stack.enter_context(wrap(EmbeddedBrainService, "run_function_calls", tool_calls))
            stack.enter_context(wrap(TransferCoordinator, "propose", proposal))
            stack.enter_context(wrap(IvrSwitch, "take_over", optout))
            yield self
