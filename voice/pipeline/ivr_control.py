"""Call control for a call that can leave the AI loop: ``to_ivr`` switches the running call.

Wraps the transport's own control (SIP REFER, a REST call update, a data-channel message, a
recorded in-process transfer): every action goes to it, and ``to_ivr`` also lets the call's
:class:`~voice.ivr.switch.IvrSwitch` take over, so the concierge's "take the caller to the menu" (the
caller asked for a person, a supervisor rejected a transfer, the brain kept failing) plays the DTMF
menu at once. These are effects only: the call's authority (:mod:`concierge.authority`) decided,
under its lock, that they may run.
"""

from __future__ import annotations

from typing import Any

from concierge.call_control import TransferResult
from voice.ivr.switch import IvrSwitch, Mode
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.session import CallSession


class IvrCallControl:
    """``inner`` is the transport's control; None means the session's default (recorded transfers)."""

    def __init__(self, *, inner: Any, switch: IvrSwitch) -> None:
        self.inner = inner
        self.switch = switch
        self.session: CallSession | None = None

    def bind(self, session: CallSession) -> None:
        self.session = session
        if self.inner is None:
            self.inner = PipelineCallControl(transfer=session._record_transfer)
        if hasattr(self.inner, "bind"):
            self.inner.bind(session)

    async def transfer(self, department: str, target: str) -> bool | TransferResult:
        result = await self.inner.transfer(department, target)
        return result if isinstance(result, TransferResult) else bool(result)

    async def to_ivr(self, reason: str) -> None:
        await self.inner.to_ivr(reason)
        await self.switch.take_over(reason)

    async def hangup(self, reason: str) -> None:
        await self.inner.hangup(reason)

    async def say(self, text: str) -> None:
        if self.switch.mode is Mode.AI:  # the IVR speaks only its own pre-rendered prompts
            await self.inner.say(text)
