"""A local HTTP server that speaks the part of Twilio's REST API the server uses, for tests and evaluations.

    POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json     (form body: Twiml=..., or Url=...)

Basic authentication must be the configured account SID and auth token (else 401, Twilio's error
20003). A call SID the server was not told about (:meth:`TwilioApiServer.add_call`, when
``known_calls_only``) answers 404 (error 20404); :meth:`TwilioApiServer.fail_next` scripts an error
status for the next updates (a 500, a 429, a slow answer). Every request is recorded with its form
body, so a test asserts what reached "Twilio" and that nothing of the caller's speech is in it. The
official SDK reaches it through :class:`voice.media_streams.twilio_rest.RoutedHttpClient`::

    async with TwilioApiServer(account_sid="AC...", auth_token="...") as api:
        rest = TwilioRest(account_sid=api.account_sid, auth_token=api.auth_token, api_base=api.base_url)
"""

from __future__ import annotations

import asyncio
import base64
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from aiohttp import web

_PATH = "/2010-04-01/Accounts/{account}/Calls/{call}.json"


@dataclass(frozen=True, slots=True)
class UpdateRequest:
    account_sid: str
    call_sid: str
    form: dict[str, str]
    raw: str
    status: int


class TwilioApiServer:
    def __init__(self, *, account_sid: str = "AC" + "0" * 32, auth_token: str = "local-twilio-token",
                 host: str = "127.0.0.1", port: int = 0, known_calls_only: bool = False) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.host = host
        self.port = port
        self.known_calls_only = known_calls_only
        self.requests: list[UpdateRequest] = []
        self._calls: set[str] = set()
        self._failures: deque[tuple[int, float]] = deque()
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def add_call(self, call_sid: str) -> None:
        self._calls.add(call_sid)

    def fail_next(self, status: int, *, times: int = 1, delay_s: float = 0.0) -> None:
        """The next ``times`` updates answer ``status`` (after ``delay_s``)."""
        self._failures.extend([(status, delay_s)] * times)

    def updates(self, call_sid: str | None = None) -> list[UpdateRequest]:
        return [r for r in self.requests if call_sid is None or r.call_sid == call_sid]

    # -- lifecycle ------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post(_PATH, self._update)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> TwilioApiServer:
        await self.start()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    # -- the API ----------------------------------------------------------------------------
    def _authorized(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return user == self.account_sid and password == self.auth_token

    async def _update(self, request: web.Request) -> web.Response:
        account, call = request.match_info["account"], request.match_info["call"]
        raw = await request.text()
        form = {k: str(v) for k, v in (await request.post()).items()}
        status = 200
        if not self._authorized(request) or account != self.account_sid:
            status = 401
        elif self.known_calls_only and call not in self._calls:
            status = 404
        elif self._failures:
            status, delay = self._failures.popleft()
            if delay > 0:
                await asyncio.sleep(delay)
        self.requests.append(UpdateRequest(account, call, form, raw, status))
        if status != 200:
            return web.json_response(_error(status), status=status)
        return web.json_response(_call(account, call, "in-progress"))


def _error(status: int) -> dict[str, Any]:
    code = {401: 20003, 404: 20404, 429: 20429}.get(status, 20500)
    message = {401: "Authenticate", 404: "The requested resource was not found", 429: "Too Many Requests"}.get(
        status, "Internal Server Error")
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def _call(account: str, call: str, status: str) -> dict[str, Any]:
    return {"sid": call, "account_sid": account, "status": status, "direction": "inbound",
            "api_version": "2010-04-01", "uri": _PATH.format(account=account, call=call)}
