"""The Twilio Media Streams JSON protocol, sans I/O: one text message in, one typed event out.

Inbound (provider -> us): ``connected``, ``start`` (stream/call SIDs, media format, custom
parameters), ``media`` (base64 µ-law 8 kHz), ``dtmf``, ``mark`` (echo of one of ours), ``stop``.
Outbound (us -> provider): ``media``, ``mark``, ``clear`` (barge-in: drop buffered audio), plus
``dialphone.report`` when the peer asked for one. Call control (a transfer) is not a stream message:
Twilio understands none, so it goes through the REST API (:mod:`voice.media_streams.twilio_rest`).

:func:`parse_message` raises :class:`MalformedMessage` with a fixed reason (never the payload) for
anything unusable; the caller logs the reason, skips the message and the call goes on. Size limits
bound what one message can cost: :data:`MAX_MESSAGE_CHARS`, :data:`MAX_MEDIA_BYTES`, and the
number and size of custom parameters.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from voice.media_streams.exceptions import MalformedMessage

MAX_MESSAGE_CHARS = 16_384  # a 20 ms media message is ~300 characters; ``start`` well under 4 KiB
MAX_MEDIA_BYTES = 4_000  # 0.5 s of µ-law at 8 kHz in one message
MAX_CUSTOM_PARAMETERS = 16
MAX_PARAMETER_CHARS = 512
MAX_SID_CHARS = 64
PROVIDER_RATE = 8000


class EventKind(StrEnum):
    CONNECTED = "connected"
    START = "start"
    MEDIA = "media"
    DTMF = "dtmf"
    MARK = "mark"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class Connected:
    kind: EventKind = EventKind.CONNECTED


@dataclass(frozen=True, slots=True)
class Start:
    stream_sid: str
    call_sid: str
    account_sid: str = ""
    custom: dict[str, str] = field(default_factory=dict)
    kind: EventKind = EventKind.START


@dataclass(frozen=True, slots=True)
class Media:
    payload: bytes  # µ-law, 8 kHz, mono
    kind: EventKind = EventKind.MEDIA


@dataclass(frozen=True, slots=True)
class Dtmf:
    digit: str
    kind: EventKind = EventKind.DTMF


@dataclass(frozen=True, slots=True)
class Mark:
    name: str
    kind: EventKind = EventKind.MARK


@dataclass(frozen=True, slots=True)
class Stop:
    kind: EventKind = EventKind.STOP


Event = Connected | Start | Media | Dtmf | Mark | Stop
DTMF_DIGITS = frozenset("0123456789*#")


def parse_message(data: str | bytes) -> Event:
    """Parse one inbound WebSocket message; raise :class:`MalformedMessage` if it is unusable."""
    if isinstance(data, (bytes, bytearray)):
        raise MalformedMessage("binary frame")
    if len(data) > MAX_MESSAGE_CHARS:
        raise MalformedMessage("message too large")
    try:
        msg = json.loads(data)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise MalformedMessage("invalid JSON") from exc
    if not isinstance(msg, dict):
        raise MalformedMessage("not a JSON object")
    event = msg.get("event")
    if not isinstance(event, str):
        raise MalformedMessage("missing event")
    try:
        kind = EventKind(event)
    except ValueError:
        raise MalformedMessage("unknown event") from None
    return _PARSERS[kind](msg)


def _section(msg: dict[str, Any], name: str) -> dict[str, Any]:
    sec = msg.get(name)
    if not isinstance(sec, dict):
        raise MalformedMessage(f"missing {name} object")
    return sec


def _sid(sec: dict[str, Any], key: str, *, required: bool = True) -> str:
    value = sec.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value or len(value) > MAX_SID_CHARS or not value.isprintable():
        raise MalformedMessage(f"missing or bad {key}")
    return value


def _start(msg: dict[str, Any]) -> Start:
    sec = _section(msg, "start")
    fmt = sec.get("mediaFormat")
    if fmt is not None:
        if not isinstance(fmt, dict):
            raise MalformedMessage("bad mediaFormat")
        if fmt.get("encoding", "audio/x-mulaw") != "audio/x-mulaw" or fmt.get("sampleRate", PROVIDER_RATE) != PROVIDER_RATE:
            raise MalformedMessage("unsupported media format")
    raw = sec.get("customParameters") or {}
    if not isinstance(raw, dict) or len(raw) > MAX_CUSTOM_PARAMETERS:
        raise MalformedMessage("bad customParameters")
    custom: dict[str, str] = {}
    for k, v in raw.items():
        if not isinstance(v, str) or len(k) > MAX_PARAMETER_CHARS or len(v) > MAX_PARAMETER_CHARS:
            raise MalformedMessage("bad customParameters")
        custom[k] = v
    return Start(
        stream_sid=_sid(sec, "streamSid"),
        call_sid=_sid(sec, "callSid"),
        account_sid=_sid(sec, "accountSid", required=False),
        custom=custom,
    )


def _media(msg: dict[str, Any]) -> Media:
    sec = _section(msg, "media")
    track = sec.get("track", "inbound")
    if track not in ("inbound", "inbound_track"):
        raise MalformedMessage("not the inbound track")
    b64 = sec.get("payload")
    if not isinstance(b64, str) or not b64:
        raise MalformedMessage("missing media.payload")
    if len(b64) > (MAX_MEDIA_BYTES * 4) // 3 + 4:
        raise MalformedMessage("media payload too large")
    try:
        payload = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedMessage("bad base64 in media.payload") from None
    if not payload:
        raise MalformedMessage("empty media payload")
    return Media(payload=payload)


def _dtmf(msg: dict[str, Any]) -> Dtmf:
    digit = _section(msg, "dtmf").get("digit")
    if not isinstance(digit, str) or digit not in DTMF_DIGITS:
        raise MalformedMessage("bad dtmf.digit")
    return Dtmf(digit=digit)


def _mark(msg: dict[str, Any]) -> Mark:
    name = _section(msg, "mark").get("name")
    if not isinstance(name, str) or len(name) > MAX_PARAMETER_CHARS:
        raise MalformedMessage("bad mark.name")
    return Mark(name=name)


_PARSERS: dict[EventKind, Callable[[dict[str, Any]], Event]] = {
    EventKind.CONNECTED: lambda msg: Connected(),
    EventKind.START: _start,
    EventKind.MEDIA: _media,
    EventKind.DTMF: _dtmf,
    EventKind.MARK: _mark,
    EventKind.STOP: lambda msg: Stop(),
}


# Outbound messages ---------------------------------------------------------------------------


def media_message(stream_sid: str, ulaw: bytes) -> str:
    return json.dumps(
        {"event": "media", "streamSid": stream_sid, "media": {"payload": base64.b64encode(ulaw).decode()}}
    )


def mark_message(stream_sid: str, name: str) -> str:
    return json.dumps({"event": "mark", "streamSid": stream_sid, "mark": {"name": name}})


def clear_message(stream_sid: str) -> str:
    return json.dumps({"event": "clear", "streamSid": stream_sid})
