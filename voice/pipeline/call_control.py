"""Call control backed by a running pipeline: what the concierge asks, the transport does.

The transport-specific part (SIP REFER, a WebSocket event, a data-channel message, a recorded
in-process transfer) is a ``transfer`` callable; speaking and hanging up go through the pipeline
the control is bound to (:class:`FrameQueue`: a call session queues frames into its pipeline).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from pipecat.frames.frames import EndFrame, Frame, TTSSpeakFrame

from concierge.call_control import TransferResult

TransferFn = Callable[[str, str], Awaitable[bool | TransferResult]]


class FrameQueue(Protocol):
    """A running call's pipeline, as call control sees it."""

    async def queue(self, frame: Frame) -> None:
        """Queue ``frame`` at the head of the pipeline."""
        ...


class PipelineCallControl:
    def __init__(self, *, transfer: TransferFn, on_ivr: Callable[[str], Awaitable[None]] | None = None) -> None:
        self._transfer = transfer
        self._on_ivr = on_ivr
        self.session: FrameQueue | None = None
        self.to_ivr_reasons: list[str] = []

    def bind(self, session: FrameQueue) -> None:
        self.session = session

    async def transfer(self, department: str, target: str) -> bool | TransferResult:
        return await self._transfer(department, target)

    async def to_ivr(self, reason: str) -> None:
        self.to_ivr_reasons.append(reason)
        if self._on_ivr is not None:
            await self._on_ivr(reason)

    async def hangup(self, reason: str) -> None:
        if self.session is not None:
            await self.session.queue(EndFrame())

    async def say(self, text: str) -> None:
        if self.session is not None:
            await self.session.queue(TTSSpeakFrame(text, append_to_context=False))
