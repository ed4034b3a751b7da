"""The server the audit-coverage evaluation calls: one process, every transport, local stand-ins.

Built from the listeners themselves (the SIP listener, ``/media/twilio``, ``POST /api/offer``) on
loopback ports, around one set of engines whose audit log is a SQLite file, with the two services a
real deployment reaches over the network replaced by local stand-ins: the Messages API
(:class:`~concierge.messages_api_server.MessagesApiServer`, answering from a deterministic
:func:`stand_in_claude`) and Twilio's REST API (:class:`~voice.testing.twilio_api.TwilioApiServer`).
:meth:`CoverageServer.use_brain` switches every call from then on between the embedded brain, Claude,
and a Claude that fails every request.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import socket
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from concierge.config import BrainBackend, Workspace
from concierge.messages_api_server import MessagesApiServer
from concierge.messages_script import ScriptedResponse
from concierge.router import IntentKind, IntentRouter
from voice.media_streams.websocket import media_router
from voice.pipeline.engines import Engines
from voice.telephony.listener import SipServer
from voice.testing.twilio_api import TwilioApiServer
from voice.webrtc.admission import RateLimiter
from voice.webrtc.signalling import webrtc_router

KEY_ENV = "DIALPHONE_EVAL_KEY"
RETURNED_MODEL = "claude-sonnet-4-5-20250929"  # what the stand-in answers with: not the configured alias
STREAM_SECRET = "audit-coverage-stream-secret"
BRAINS = ("embedded", "claude", "claude_failing")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stand_in_claude(workspace: Workspace) -> Any:
    """A deterministic Claude for the evaluation: it routes the caller's last words with the embedded
    router (the same decisions, reached through the Messages API, tool calls and all), speaks a tool
    result's ``say`` line, and names a dated model id."""
    router = IntentRouter(workspace)

    def answer(body: dict[str, Any]) -> ScriptedResponse:
        messages = body.get("messages") or []
        last = messages[-1] if messages else {}
        parts = _parts(last.get("content"))
        results = [p for p in parts if isinstance(p, dict) and p.get("type") == "tool_result"]
        text = _text(parts)
        if results and not text.strip():  # (a caller who spoke on is in the same user message)
            said = []
            for r in results:
                try:
                    data = json.loads(str(r.get("content") or "{}"))
                except ValueError:
                    data = {}
                if isinstance(data, dict) and isinstance(data.get("say"), str):
                    said.append(data["say"])
            return ScriptedResponse.reply(" ".join(said) or "Okay.", model=RETURNED_MODEL)
        intent = router.classify(text)
        if intent.kind is IntentKind.UNCLEAR:  # as a model would: the caller's earlier words still count
            said = [_text(_parts(m.get("content"))) for m in messages if m.get("role") == "user"]
            intent = router.classify(" ".join(said))
        if intent.kind is IntentKind.DEPARTMENT and intent.department:
            return ScriptedResponse.tool_use("propose_transfer", {"department": intent.department,
                                                                  "reason": "the caller's request"},
                                             text="Sure, one moment.", model=RETURNED_MODEL)
        if intent.kind is IntentKind.HUMAN:
            return ScriptedResponse.tool_use("caller_requests_human", {}, model=RETURNED_MODEL)
        if intent.kind is IntentKind.FAQ:
            return ScriptedResponse.tool_use("answer_from_knowledge_base", {"question": text}, model=RETURNED_MODEL)
        if intent.kind is IntentKind.END:
            return ScriptedResponse.tool_use("end_call", {"reason": "caller finished"}, text="Goodbye.",
                                             model=RETURNED_MODEL)
        return ScriptedResponse.reply("I can help with that. Could you tell me a little more?", model=RETURNED_MODEL)

    return answer


def _parts(content: Any) -> list[Any]:
    return content if isinstance(content, list) else [{"type": "text", "text": content or ""}]


def _text(parts: list[Any]) -> str:
    return " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")


def _failing(_body: dict[str, Any]) -> ScriptedResponse:
    return ScriptedResponse.error(500)


class _State:
    """What the listeners see of this process (:class:`voice.pipeline.server_state.ServerState`)."""

    def __init__(self, workspace: Workspace, engines: Engines) -> None:
        self.workspace = workspace
        self.engines: Engines | None = engines
        self.ready = True
        self.calls: dict[str, Any] = {}
        self.webrtc_limiter = RateLimiter(rate_per_min=600, burst=100)  # one caller address places them all


def eval_workspace(base: Workspace) -> Workspace:
    """The workspace the evaluation runs: the given one with short approval waits, no SDK retries,
    a stream secret, and (set by :meth:`CoverageServer.start`) the Twilio stand-in's credentials."""
    ws = copy.deepcopy(base)
    ws.transfer.approval_timeout_s = 1.5
    ws.brain.max_retries = 0
    ws.brain.timeout_s = 5.0
    ws.security.media_stream_secret = STREAM_SECRET
    ws.sip.max_calls = 64
    return ws


class CoverageServer:
    def __init__(self, workspace: Workspace, data_dir: Path) -> None:
        self.workspace = eval_workspace(workspace)
        self.data_dir = data_dir
        self.engines: Engines | None = None
        self.state: _State | None = None
        self.sip: SipServer | None = None
        self.messages = MessagesApiServer()
        self.twilio = TwilioApiServer()
        self.http_port = free_port()
        self._uv: uvicorn.Server | None = None
        self._serve: asyncio.Task[None] | None = None
        self.brain = "embedded"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}/media/twilio"

    @property
    def sip_address(self) -> str:
        assert self.sip is not None
        return f"127.0.0.1:{self.sip.port}"

    async def start(self) -> None:
        await self.messages.start()
        await self.twilio.start()
        sec = self.workspace.security
        sec.twilio_account_sid, sec.twilio_auth_token = self.twilio.account_sid, self.twilio.auth_token
        sec.twilio_api_base = self.twilio.base_url
        loop = asyncio.get_running_loop()
        self.engines = await loop.run_in_executor(
            None, lambda: Engines.load(self.workspace, self.data_dir, audit_db=self.data_dir / "audit.db"))
        await self.engines.start()
        self.state = _State(self.workspace, self.engines)
        app = FastAPI()
        app.include_router(media_router(self.state))
        app.include_router(webrtc_router(self.state))
        self._uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.http_port, log_level="warning",
                                                 lifespan="off", ws_max_size=65536))
        self._uv.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        self._serve = asyncio.create_task(self._uv.serve(), name="coverage-http")
        while not self._uv.started:
            if self._serve.done():
                self._serve.result()
            await asyncio.sleep(0.02)
        self.sip = SipServer(state=self.state, host="127.0.0.1", port=0)
        await self.sip.start()

    def use_brain(self, brain: str) -> None:
        """``embedded``, ``claude`` (the stand-in) or ``claude_failing`` (every request answers 500)."""
        if brain not in BRAINS:
            raise ValueError(f"unknown brain {brain!r}")
        self.brain = brain
        b = self.workspace.brain
        if brain == "embedded":
            b.backend = BrainBackend.EMBEDDED
            return
        os.environ.setdefault(KEY_ENV, "eval-key")
        b.backend, b.base_url, b.api_key_env = BrainBackend.ANTHROPIC, self.messages.base_url, KEY_ENV
        self.messages.responder = stand_in_claude(self.workspace) if brain == "claude" else _failing

    async def stop(self) -> None:
        if self.sip is not None:
            await self.sip.stop(deadline_s=5)
        if self._uv is not None and self._serve is not None:
            self._uv.should_exit = True
            await asyncio.wait_for(self._serve, timeout=15)
        if self.engines is not None:
            await self.engines.close()
        await self.twilio.stop()
        await self.messages.stop()
