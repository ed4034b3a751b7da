"""A browser or softphone call over WebRTC: pipecat's SmallWebRTC transport (aiortc), Opus audio.

ICE: host candidates only (no STUN or TURN servers are configured, so aiortc gathers none other,
and :func:`host_candidates_only` drops any that a peer's answer might carry). Transfers go to the
peer as a data-channel message ``{"type": "dialphone.transfer", "department", "target"}``; the page
or softphone turns it into its own action. The peer may send ``{"type": "dialphone.hangup"}`` and
keypad presses ``{"type": "dialphone.dtmf", "digit": "4"}`` (the page's keypad): each becomes an
``InputDTMFFrame``, so typed numbers and secure keypad capture work as on SIP and media streams. A
malformed message is dropped and counted, never logged with its content.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import InputDTMFFrame
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport

from concierge.call_control import TransferResult

log = logging.getLogger("dialphone.transports.webrtc")

PIPELINE_RATE = 16000  # Opus carries wideband audio; the pipeline runs at 16 kHz
HANGUP = "dialphone.hangup"
DTMF = "dialphone.dtmf"
KEYS = frozenset("0123456789*#")
_CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ \S+ \d+ \S+ \d+ typ (\S+)")


def host_candidates_only(sdp: str) -> str:
    """Drop every ``a=candidate`` line that is not of type ``host`` (srflx, prflx, relay)."""
    keep = []
    for line in sdp.splitlines():
        m = _CANDIDATE.match(line)
        if m and m.group(1) != "host":
            continue
        keep.append(line)
    return "\r\n".join(keep) + "\r\n"


def audio_codecs(sdp: str) -> list[str]:
    """The audio codecs of an SDP in preference order, e.g. ``["opus/48000/2", "PCMU/8000"]``."""
    pts: list[str] = []
    names: dict[str, str] = {}
    in_audio = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            in_audio = line.startswith("m=audio")
            if in_audio and not pts:
                pts = line.split()[3:]
        elif in_audio and line.startswith("a=rtpmap:"):
            pt, _, name = line[len("a=rtpmap:") :].partition(" ")
            names.setdefault(pt, name)
    return [names[p] for p in pts if p in names]


class WebRtcCall:
    """One WebRTC call's transport and its call control seam."""

    def __init__(self, connection: SmallWebRTCConnection, *, on_hangup: Callable[[], None]) -> None:
        self.connection = connection
        params = TransportParams(
            audio_in_enabled=True,
            audio_in_sample_rate=PIPELINE_RATE,
            audio_out_enabled=True,
            audio_out_sample_rate=PIPELINE_RATE,
            audio_out_10ms_chunks=2,
            audio_out_end_silence_secs=0,
        )
        self.transport = SmallWebRTCTransport(webrtc_connection=connection, params=params)
        self.transfers: list[tuple[str, str]] = []
        self._on_hangup = on_hangup
        self.keys_received = 0
        self.malformed = 0

        @self.transport.event_handler("on_app_message")
        async def _message(_transport: Any, message: Any, _sender: Any) -> None:
            if not isinstance(message, dict):
                self.malformed += 1
                return
            if message.get("type") == HANGUP:
                self._on_hangup()
            elif message.get("type") == DTMF:
                digit = message.get("digit")
                if not isinstance(digit, str) or digit not in KEYS:
                    self.malformed += 1
                    log.debug("webrtc call: dropped a malformed keypad message")
                    return
                self.keys_received += 1
                await self.transport.input().push_frame(InputDTMFFrame(button=KeypadEntry(digit)))

    def send(self, message: dict[str, Any]) -> None:
        """A data-channel message to the peer (queued by pipecat until the channel opens)."""
        self.connection.send_app_message(message)

    async def send_async(self, message: dict[str, Any]) -> None:
        self.send(message)

    async def transfer(self, department: str, target: str) -> TransferResult:
        """Call-control transfer: a ``dialphone.transfer`` data-channel message to the peer, which
        carries it out itself (``confirmed_by`` says so: the message went out on an open channel)."""
        if self.connection.pc.connectionState in ("closed", "failed"):
            return TransferResult(False, error_kind="peer_gone")
        self.send({"type": "dialphone.transfer", "department": department, "target": target})
        self.transfers.append((department, target))
        log.info("webrtc call: transfer sent to the peer")
        return TransferResult(True, confirmed_by="data_channel")
