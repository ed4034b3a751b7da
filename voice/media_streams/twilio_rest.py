"""Transfers of Twilio media-stream calls through Twilio's REST API, with the official ``twilio`` SDK.

A media stream carries audio only; the call itself is controlled over REST. A transfer updates the
live call with new TwiML (``POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json``,
``Twiml=<Response><Dial><Number>+15550100</Number></Dial></Response>``): Twilio leaves the
``<Connect><Stream>`` (the stream stops) and dials the department. The transfer counts as done only
when the API answered 2xx for that update (:class:`~concierge.call_control.TransferResult` with
``confirmed_by="twilio_rest"``); an HTTP error, a timeout or an unreachable API is a failure with
its kind and the provider's status, and the concierge takes its fallback path.

Targets (the department's ``targets.ws``): an E.164 number (``+15550100``, ``tel:+15550100``) is
dialled with ``<Number>``, ``sip:...`` with ``<Sip>``, ``client:NAME`` with ``<Client>``, and
``queue:NAME`` enqueues the caller (``<Enqueue>``) for agents; anything else is refused as not
dialable without a request. The request body holds the TwiML only: nothing the caller said.

``api_base`` points the SDK at another origin than ``https://api.twilio.com`` (a regional proxy, or
the local stand-in the tests and evaluations run, :mod:`voice.testing.twilio_api`).
"""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
from twilio.base.exceptions import TwilioRestException
from twilio.http import AsyncHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from twilio.twiml.voice_response import Dial, VoiceResponse

from concierge.call_control import TransferResult

log = logging.getLogger("dialphone.transports.twilio")

TWILIO_API = "https://api.twilio.com"
_E164 = re.compile(r"\+?[1-9]\d{6,14}\Z")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\Z")


class NotDialable(ValueError):
    """A department target that is not a number, SIP URI, client or queue."""


def dial_twiml(target: str) -> str:
    """The TwiML that hands the live call to ``target``."""
    t = target.strip()
    response = VoiceResponse()
    if t.startswith("queue:") and _NAME.match(t[6:]):
        response.enqueue(t[6:])
        return str(response)
    dial = Dial()
    number = t[4:] if t.startswith("tel:") else t
    if _E164.match(number.replace(" ", "").replace("-", "")):
        dial.number(number.replace(" ", "").replace("-", ""))
    elif t.startswith(("sip:", "sips:")):
        dial.sip(t)
    elif t.startswith("client:") and _NAME.match(t[7:]):
        dial.client(t[7:])
    else:
        raise NotDialable("the target is not a number, SIP URI, client or queue")
    response.append(dial)
    return str(response)


class RoutedHttpClient(AsyncHttpClient):  # type: ignore[misc]
    """The SDK's asyncio HTTP client interface on aiohttp, sending to ``api_base`` instead of
    ``https://api.twilio.com``. Unlike the SDK's own client it logs no request (no body, no URL)."""

    def __init__(self, *, api_base: str | None = None, timeout_s: float = 10.0) -> None:
        super().__init__(log, True, timeout_s)
        self.api_base = api_base.rstrip("/") if api_base else None

    async def request(
        self, method: str, url: str, params: dict[str, object] | None = None, data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None, auth: tuple[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - the SDK's interface names it so
        allow_redirects: bool = False,
    ) -> Response:
        if self.api_base is not None and url.startswith(TWILIO_API):
            url = self.api_base + url[len(TWILIO_API):]
        headers = dict(headers or {})
        if auth is not None:
            headers["Authorization"] = aiohttp.encode_basic_auth(auth[0], auth[1])
        limit = aiohttp.ClientTimeout(total=timeout or self.timeout)
        # One session per request, inside the running loop (transfers are rare).
        async with aiohttp.ClientSession(timeout=limit) as session, session.request(
            method.upper(), url, params={k: str(v) for k, v in (params or {}).items()}, data=data, headers=headers,
            allow_redirects=allow_redirects,
        ) as resp:
            return Response(resp.status, await resp.text(), resp.headers)


class TwilioRest:
    """One process's REST client for call updates (account SID and auth token from the settings)."""

    def __init__(self, *, account_sid: str, auth_token: str, api_base: str | None = None,
                 timeout_s: float = 10.0) -> None:
        self.account_sid = account_sid
        self._client = Client(account_sid, auth_token, http_client=RoutedHttpClient(api_base=api_base,
                                                                                   timeout_s=timeout_s))
        self.timeout_s = timeout_s

    async def redirect(self, call_sid: str, twiml: str) -> str:
        """Update the live call with ``twiml``; returns the call's status as the API reports it."""
        call = await asyncio.wait_for(self._client.calls(call_sid).update_async(twiml=twiml),
                                      timeout=self.timeout_s + 1.0)
        return str(getattr(call, "status", "") or "")


class TwilioCallControl:
    """The transfer of one media-stream call (its call SID) through :class:`TwilioRest`."""

    def __init__(self, rest: TwilioRest | None, call_sid: str) -> None:
        self.rest = rest
        self.call_sid = call_sid
        self.transfers: list[tuple[str, str]] = []  # confirmed ones

    async def transfer(self, department: str, target: str) -> TransferResult:
        if self.rest is None:
            return TransferResult(False, error_kind="transfer_not_configured")
        try:
            twiml = dial_twiml(target)
        except NotDialable:
            return TransferResult(False, error_kind="target_not_dialable")
        try:
            await self.rest.redirect(self.call_sid, twiml)
        except TwilioRestException as exc:
            log.warning("twilio transfer refused by the API (HTTP %s, code %s)", exc.status, exc.code)
            return TransferResult(False, error_kind=f"twilio_http_{exc.status}", provider_status=int(exc.status))
        except TimeoutError:
            log.warning("twilio transfer: the API did not answer in time")
            return TransferResult(False, error_kind="twilio_timeout")
        except aiohttp.ClientError as exc:
            log.warning("twilio transfer: the API is unreachable (%s)", type(exc).__name__)
            return TransferResult(False, error_kind="twilio_unreachable")
        self.transfers.append((department, target))
        return TransferResult(True, confirmed_by="twilio_rest", provider_status=200)
