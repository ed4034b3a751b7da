"""A local HTTP server that speaks the Anthropic Messages API, for tests and offline demos.

``POST /v1/messages`` (JSON, or SSE when ``"stream": true``) answers from a queue of
:class:`~concierge.messages_script.ScriptedResponse` and records every request body, so a test
asserts what the model received. The real ``anthropic`` SDK reaches it through ``base_url``::

    async with MessagesApiServer() as server:
        server.enqueue(ScriptedResponse.reply("Hello."))
        client = AsyncAnthropic(api_key="test", base_url=server.base_url)

``dialphone messages-api [--port N] [--script FILE.yaml]`` serves a script (a tester's stand-in for
Claude: ``examples/messages-script.yaml`` shows the format, ``docs/testing.md`` the set-up). With an
empty queue the server answers 400 (never retried), naming the request number.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from aiohttp import web

from concierge.messages_script import ScriptedResponse


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    path: str
    query: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str


Responder = Callable[[dict[str, Any]], ScriptedResponse]


class MessagesApiServer:
    """``responder``, when given, answers every request the queue has no scripted response for
    (a stand-in model for long runs such as ``dialphone eval boundary``)."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, responder: Responder | None = None) -> None:
        self.host = host
        self.port = port
        self.responder = responder
        self._queue: deque[ScriptedResponse] = deque()
        self.requests: list[RecordedRequest] = []
        self._runner: web.AppRunner | None = None

    # -- script -------------------------------------------------------------
    def enqueue(self, *responses: ScriptedResponse) -> None:
        self._queue.extend(responses)

    def enqueue_all(self, responses: Iterable[ScriptedResponse]) -> None:
        self._queue.extend(responses)

    @property
    def remaining(self) -> int:
        return len(self._queue)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- lifecycle ------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/v1/messages", self._messages)
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MessagesApiServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- handler --------------------------------------------------------------
    async def _messages(self, request: web.Request) -> web.StreamResponse:
        raw = await request.text()
        try:
            body = json.loads(raw)
        except ValueError:
            return web.json_response(ScriptedResponse.error(400).error_body(), status=400)
        if not isinstance(body, dict):
            body = {"_": body}
        keep = ("anthropic-version", "anthropic-beta", "content-type", "x-stainless-retry-count")
        headers = {k.lower(): v for k, v in request.headers.items() if k.lower() in keep}
        self.requests.append(RecordedRequest(request.path, request.query_string, headers, body, raw))
        if not self._queue and self.responder is not None:
            self._queue.append(self.responder(body))
        if not self._queue:
            err = {"type": "error", "error": {"type": "invalid_request_error",
                                              "message": f"no scripted response for request {len(self.requests)}"}}
            return web.json_response(err, status=400, headers={"x-should-retry": "false"})
        script = self._queue.popleft()
        if script.delay_s > 0:
            await asyncio.sleep(script.delay_s)
        if script.status != 200:
            return web.json_response(
                script.error_body(),
                status=script.status,
                headers={"retry-after-ms": str(script.retry_after_ms), "x-should-retry": "true"},
            )
        model = str(body.get("model", "unknown"))
        input_tokens = max(1, len(raw) // 4)
        if not body.get("stream"):
            return web.json_response(script.message(model, input_tokens))
        resp = web.StreamResponse(
            status=200, headers={"content-type": "text/event-stream", "cache-control": "no-cache"}
        )
        await resp.prepare(request)
        for n, (event, data) in enumerate(script.sse_events(model, input_tokens)):
            if script.cut_after_events is not None and n >= script.cut_after_events:
                if request.transport is not None:
                    request.transport.abort()  # the stream dies mid-way, as a dropped connection does
                return resp
            if script.event_delay_s > 0 and n:
                await asyncio.sleep(script.event_delay_s)
            await resp.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())
        await resp.write_eof()
        return resp


def load_script(path: str | Path) -> list[ScriptedResponse]:
    items = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or []
    return [ScriptedResponse.from_mapping(i) for i in items]


async def _serve(port: int, script: list[ScriptedResponse]) -> None:
    async with MessagesApiServer(port=port) as server:
        server.enqueue_all(script)
        print(f"Messages API test server on {server.base_url} ({server.remaining} scripted responses)",
              file=sys.stderr, flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dialphone messages-api", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    ap.add_argument("--script", help="YAML list of scripted responses (examples/messages-script.yaml)")
    args = ap.parse_args(argv)
    try:
        script = load_script(args.script) if args.script else []
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as exc:
        print(f"{ap.prog}: --script {args.script}: not a list of scripted responses ({type(exc).__name__}); "
              "see examples/messages-script.yaml", file=sys.stderr)
        return 2
    try:
        asyncio.run(_serve(args.port, script))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
