"""RFC 3264 offer/answer for a G.711 endpoint: pick PCMU or PCMA, telephone-event, ptime, hold.

Typical use by the application when an :class:`voice.sip.events.IncomingCall` arrives::

    media = MediaConfig(address="192.0.2.10", port=40000)
    try:
        result = answer_offer(event.offer, media)
    except SdpNegotiationError:
        core.reject(event.call, 488)
    else:
        core.answer(event.call, result.answer)      # send RTP to result.remote_address/port
        # encode with result.codec.name ("PCMU"/"PCMA"), payload type result.codec.payload_type,
        # DTMF as RFC 4733 with result.dtmf_payload_type (None when the peer did not offer it)

The answerer follows the offerer's codec order among the ones we support, mirrors the offered
direction (sendonly -> recvonly, ...), rejects non-audio and extra audio streams with port 0,
and raises :class:`SdpNegotiationError` when no audio stream has a codec in common (reply 488).
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.sip.exceptions import SdpNegotiationError
from voice.sip.sdp import Connection, Direction, MediaDescription, Origin, SessionDescription

__all__ = ["Codec", "MediaConfig", "Negotiated", "answer_offer", "is_hold", "make_offer", "reanswer"]

#: Static payload types of RFC 3551 that we speak.
STATIC_CODECS: dict[int, str] = {0: "PCMU", 8: "PCMA"}
_DEFAULT_PT = {"PCMU": 0, "PCMA": 8}


@dataclass(frozen=True)
class Codec:
    name: str
    payload_type: int
    clock_rate: int = 8000


@dataclass(frozen=True, kw_only=True)
class MediaConfig:
    """Our side of the media: where we receive RTP and what we can speak."""

    address: str
    port: int
    codecs: tuple[str, ...] = ("PCMU", "PCMA")
    telephone_event: bool = True
    ptime: int = 20
    username: str = "dialphone"
    session_id: str = "1"


@dataclass(frozen=True)
class Negotiated:
    """The outcome of an offer/answer exchange."""

    answer: SessionDescription
    codec: Codec
    dtmf_payload_type: int | None
    ptime: int
    remote_address: str
    remote_port: int
    direction: Direction
    on_hold: bool


def is_hold(offer: SessionDescription, m: MediaDescription) -> bool:
    """True when the offer puts us on hold (sendonly / inactive, or the RFC 2543 c=0.0.0.0)."""
    conn = offer.media_connection(m)
    if conn is not None and conn.address in ("0.0.0.0", "::"):
        return True
    return offer.media_direction(m) in (Direction.SENDONLY, Direction.INACTIVE)


def _codec_name(m: MediaDescription, pt: int) -> tuple[str, int] | None:
    maps = m.rtpmaps()
    if pt in maps:
        name, rate, _ = maps[pt]
        return name, rate
    if pt in STATIC_CODECS:
        return STATIC_CODECS[pt], 8000
    return None


def _choose(m: MediaDescription, config: MediaConfig) -> tuple[Codec | None, int | None]:
    wanted = {c.upper() for c in config.codecs}
    codec: Codec | None = None
    dtmf: int | None = None
    for fmt in m.formats:
        if not fmt.isascii() or not fmt.isdigit() or int(fmt) > 127:
            continue
        found = _codec_name(m, int(fmt))
        if found is None:
            continue
        name, rate = found
        if codec is None and name in wanted and rate == 8000:
            codec = Codec(name, int(fmt), rate)
        elif dtmf is None and name == "TELEPHONE-EVENT" and rate == 8000 and config.telephone_event:
            dtmf = int(fmt)
    return codec, dtmf


def _rejected(m: MediaDescription) -> MediaDescription:
    return MediaDescription(media=m.media, port=0, proto=m.proto, formats=m.formats[:1])


def answer_offer(offer: SessionDescription, config: MediaConfig, *, version: int = 0) -> Negotiated:
    """Build our answer to ``offer``; ``version`` is our o= session version (bump it per re-answer)."""
    answer = SessionDescription(
        origin=Origin(
            config.username, config.session_id, str(version), "IN", _addrtype(config.address), config.address
        ),
        session_name="-",
        connection=Connection("IN", _addrtype(config.address), config.address),
    )
    chosen: tuple[MediaDescription, Codec, int | None] | None = None
    for m in offer.media:
        if chosen is not None or m.media != "audio" or m.port == 0 or "RTP/AVP" not in m.proto:
            answer.media.append(_rejected(m))
            continue
        codec, dtmf = _choose(m, config)
        if codec is None:
            answer.media.append(_rejected(m))
            continue
        chosen = (m, codec, dtmf)
        formats = [str(codec.payload_type)] + ([] if dtmf is None else [str(dtmf)])
        attrs: list[tuple[str, str | None]] = [("rtpmap", f"{codec.payload_type} {codec.name}/8000")]
        if dtmf is not None:
            attrs += [("rtpmap", f"{dtmf} telephone-event/8000"), ("fmtp", f"{dtmf} 0-16")]
        direction = offer.media_direction(m).reversed()
        attrs += [("ptime", str(config.ptime)), (direction.value, None)]
        answer.media.append(
            MediaDescription(
                media="audio", port=config.port, proto=m.proto, formats=formats, attributes=attrs
            )
        )
    if chosen is None:
        raise SdpNegotiationError("no audio codec in common")
    m, codec, dtmf = chosen
    conn = offer.media_connection(m)
    return Negotiated(
        answer=answer,
        codec=codec,
        dtmf_payload_type=dtmf,
        ptime=m.ptime or config.ptime,
        remote_address=conn.address if conn else "",
        remote_port=m.port,
        direction=offer.media_direction(m).reversed(),
        on_hold=is_hold(offer, m),
    )


def reanswer(previous: SessionDescription, offer: SessionDescription, *, version: int) -> Negotiated:
    """Answer a re-INVITE's offer keeping our address, port and codec from ``previous`` (our last answer)."""
    for m in previous.media:
        if m.media == "audio" and m.port != 0 and m.formats:
            conn = previous.media_connection(m)
            found = _codec_name(m, int(m.formats[0])) if m.formats[0].isdigit() else None
            if conn is None or found is None:
                break
            has_dtmf = any(name == "TELEPHONE-EVENT" for name, _, _ in m.rtpmaps().values())
            config = MediaConfig(
                address=conn.address,
                port=m.port,
                codecs=(found[0],),
                telephone_event=has_dtmf,
                ptime=m.ptime or 20,
                username=previous.origin.username,
                session_id=previous.origin.session_id,
            )
            return answer_offer(offer, config, version=version)
    raise SdpNegotiationError("no previous audio stream to re-answer from")


def make_offer(
    config: MediaConfig,
    *,
    version: int = 0,
    direction: Direction = Direction.SENDRECV,
    dtmf_payload_type: int = 101,
) -> SessionDescription:
    """An offer listing our codecs (in preference order) and telephone-event."""
    pts = [_DEFAULT_PT[c.upper()] for c in config.codecs if c.upper() in _DEFAULT_PT]
    attrs: list[tuple[str, str | None]] = [("rtpmap", f"{pt} {STATIC_CODECS[pt]}/8000") for pt in pts]
    formats = [str(pt) for pt in pts]
    if config.telephone_event:
        formats.append(str(dtmf_payload_type))
        attrs += [
            ("rtpmap", f"{dtmf_payload_type} telephone-event/8000"),
            ("fmtp", f"{dtmf_payload_type} 0-16"),
        ]
    attrs += [("ptime", str(config.ptime)), (direction.value, None)]
    addrtype = _addrtype(config.address)
    return SessionDescription(
        origin=Origin(config.username, config.session_id, str(version), "IN", addrtype, config.address),
        connection=Connection("IN", addrtype, config.address),
        media=[MediaDescription(media="audio", port=config.port, formats=formats, attributes=attrs)],
    )


def _addrtype(address: str) -> str:
    return "IP6" if ":" in address else "IP4"
