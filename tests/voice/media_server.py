"""A real server for the media tests: the app on uvicorn, on a free loopback port, in its own thread.

The engines load once (about 8 s) and the server runs its own event loop, so each test's loop talks
to it over the network only, as a provider or a browser would.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

from concierge.config import Overload, OverloadAction, load_workspace
from voice.pipeline.admission import AdmissionControl
from voice.server.app import create_app
from voice.server.process import ServerProcess
from voice.webrtc.admission import RateLimiter

REPO = Path(__file__).resolve().parents[2]
SECRET = "media-test-secret-7d1f"
WS_MAX_SIZE = 65536  # as voice/server/main.py configures uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MediaServer:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.state: ServerProcess | None = None
        self._uv: uvicorn.Server | None = None
        self.limiter: RateLimiter | None = None
        self._ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._main, name="media-server", daemon=True)

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/media/twilio"

    def start(self) -> MediaServer:
        self._thread.start()
        self._ready.result(timeout=180)
        return self

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._serve())
        except BaseException as exc:  # surface start-up failures to the test thread
            if not self._ready.done():
                self._ready.set_exception(exc)
            raise

    async def _serve(self) -> None:
        from voice.pipeline.engines import Engines

        workspace = load_workspace(REPO / "examples" / "workspace.yaml", env={})
        workspace.security.media_stream_secret = SECRET
        engines = Engines.load(workspace, self.data_dir, audit_db=self.data_dir / "audit.db")
        # The first brain imports pipecat's OpenAI adapter (openai, seconds) on the event loop;
        # do it before serving so the first call's timing is a call's, not an import's.
        import pipecat.adapters.llm.services.open_ai_adapter  # noqa: F401
        await engines.start()
        self.state = ServerProcess(workspace=workspace, data_dir=self.data_dir)
        self.state.webrtc_limiter = self.limiter = RateLimiter()  # type: ignore[attr-defined]
        self.state.engines = engines
        self.state.ready = True
        self._uv = uvicorn.Server(
            uvicorn.Config(
                create_app(self.state), host="127.0.0.1", port=self.port, log_level="warning",
                lifespan="off", ws_max_size=WS_MAX_SIZE,
            )
        )
        self._uv.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
        task = asyncio.create_task(self._uv.serve())
        while not self._uv.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)
        self._ready.set_result(None)
        try:
            await task
        finally:
            await engines.close()

    def call(self, fn: Any) -> Any:
        """Run ``fn()`` (sync) on the server's loop and return its result."""
        fut: Future[Any] = Future()

        def run() -> None:
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)

        self.loop.call_soon_threadsafe(run)
        return fut.result(timeout=10)

    def set_security(self, **fields: Any) -> None:
        """Change the running workspace's ``security`` fields (Twilio credentials, on and off)."""

        def apply() -> None:
            assert self.state is not None
            for name, value in fields.items():
                setattr(self.state.workspace.security, name, value)

        self.call(apply)

    def reset_rate_limit(self) -> None:
        """Forget the call-token rate of every address (one test's requests do not hold back the next)."""
        self.call(lambda: self.limiter._buckets.clear())

    def set_max_calls(self, n: int) -> None:
        def apply() -> None:
            assert self.state is not None
            self.state.workspace.sip.max_calls = n

        self.call(apply)

    @contextmanager
    def overloaded(self, action: OverloadAction) -> Iterator[None]:
        """Admission as if one AI call already filled ``max_ai_calls=1``: new calls meet ``action``."""
        cfg = Overload(action=action, max_ai_calls=1)

        def swap() -> AdmissionControl:
            assert self.state is not None and self.state.engines is not None
            engines = self.state.engines
            before = engines.admission
            engines.admission = AdmissionControl(queue=engines.asr_queue, settings=lambda: cfg, live_ai_calls=lambda: 1)
            return before

        before = self.call(swap)
        try:
            yield
        finally:
            self.call(lambda: setattr(self.state.engines, "admission", before))  # type: ignore[union-attr]

    def active_calls(self) -> int:
        return int(self.call(lambda: len(self.state.calls) if self.state else 0))

    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        if self._uv is not None:
            self._uv.should_exit = True
        self._thread.join(timeout=30)


def traced_memory_mb() -> float:
    current, _peak = tracemalloc.get_traced_memory()
    return current / 1e6


def wait_until(pred: Any, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return bool(pred())
