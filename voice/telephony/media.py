"""One call's RTP on its own UDP socket, and the media thread that drives every call's RTP.

::

    clock = MediaClock()                      # or MediaClock(ports=PortRange(20000, 20999))
    media = RtpSession.open(host="127.0.0.1", clock=clock)       # ephemeral port (or the range's): media.port
    media.on_audio = lambda pcm8k: ...        # 20 ms of caller audio per tick (after the jitter buffer)
    media.on_dtmf = lambda digit: ...         # RFC 4733, once per key press
    media.configure(codec="PCMU", audio_pt=0, dtmf_pt=101, remote=("127.0.0.1", 40000))
    media.queue_audio(pcm8k)                  # bot audio, sent 20 ms per tick; silence when idle
    media.clear_audio()                       # barge-in: drop what is queued
    media.send_dtmf("5")
    media.close()

Why a thread: the event loop also runs every call's pipeline, and one slow step there (a
synthesis, a redaction pass) would hold back every call's packets. The media thread reads every
RTP socket as packets arrive (a selector); a frame plays out of the jitter buffer as soon as its
packet is there (in order), and when the next one is late or lost the 20 ms clock plays on
(concealment, comfort noise), so the pipeline hears a continuous line with the least delay. On
each tick the thread also sends one packet per call: a queued telephone-event,
queued bot audio, or silence, so the stream the peer hears has no gaps (and a NAT binding stays
open). On hold (the peer sent sendonly / inactive) nothing is sent. Caller audio and digits reach
the event loop in one ``call_soon_threadsafe`` per tick. Packets are parsed and checked by
:class:`voice.rtp.RtpReceiver`; nothing a peer sends raises. In the server process the thread also
runs the full garbage-collection passes, right after a tick's packets are sent
(:mod:`voice.telephony.gc_pacing`), so such a pass does not land on the next tick.

Ports: ephemeral by default; with a :class:`PortRange` (a deployment setting, so a firewall or a
media relay can be told which ports a worker uses) each call binds the next free even port of it.
The clock keeps plain counters for the server's metrics (:class:`MediaStats`): send gaps over
40 ms, late ticks, frames concealed for lost caller packets; no call or caller is named in them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import selectors
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from voice.rtp import DtmfSender, FrameKind, JitterBuffer, Packetizer, RtpReceiver
from voice.telephony.gc_pacing import PACER

log = logging.getLogger("dialphone.sip.media")

FRAME_S = 0.02
FRAME_SAMPLES = 160
FRAME_BYTES = FRAME_SAMPLES * 2
#: the next packet is this late: conceal it and let the clock play on. Each frame concealed for a
#: packet that then arrives late stretches the caller's timeline by 20 ms (more turn-end delay),
#: so only an outage this long counts; shorter hiccups just deliver the late packets together.
LATE_AFTER_S = 5 * FRAME_S
_SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
Addr = tuple[str, int]
Delivery = tuple[Callable[[str], None] | Callable[[bytes], None], object]


class PortRange:
    """RTP ports ``low``..``high`` (inclusive); :meth:`bind` takes the next free even port (RTP
    on even ports, RFC 3550 11), going round the range, and raises OSError when none is free."""

    def __init__(self, low: int, high: int) -> None:
        if not 0 < low <= high <= 65535:
            raise ValueError("RTP port range must be 1..65535 with low <= high")
        self.low = low + (low % 2)
        self.high = high
        if self.low > self.high:
            raise ValueError("RTP port range holds no even port")
        self._next = self.low
        self._lock = threading.Lock()

    @property
    def size(self) -> int:
        return (self.high - self.low) // 2 + 1

    def bind(self, sock: socket.socket, host: str) -> int:
        with self._lock:
            for _ in range(self.size):
                port = self._next
                self._next = port + 2 if port + 2 <= self.high else self.low
                try:
                    sock.bind((host, port))
                except OSError:
                    continue
                return port
        raise OSError(f"no free RTP port in {self.low}-{self.high}")


@dataclass
class MediaStats:
    """Counters over every call the clock served (written by the media thread, read by metrics)."""

    send_gaps: int = 0  # gaps over 40 ms between two packets sent to one caller
    late_ticks: int = 0  # ticks skipped after a long stall
    concealed: int = 0  # caller frames concealed (lost or late packets), added when a call's media ends
    packets_sent: int = 0


class MediaClock:
    """The media thread: a 20 ms tick and a selector over every registered session's socket.

    It starts with the first session and ends when the last one is gone."""

    def __init__(self, *, frame_s: float = FRAME_S, max_lag_s: float = 0.2, ports: PortRange | None = None) -> None:
        self.frame_s = frame_s
        self.max_lag_s = max_lag_s
        self.ports = ports
        self.stats = MediaStats()
        self._lock = threading.Lock()
        self._ops: deque[tuple[bool, RtpSession]] = deque()
        self._sessions: list[RtpSession] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, session: RtpSession) -> None:
        self._loop = asyncio.get_running_loop()
        with self._lock:
            self._ops.append((True, session))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rtp-media", daemon=True)
                self._thread.start()

    def remove(self, session: RtpSession) -> None:
        with self._lock:
            if self._thread is not None:
                self._ops.append((False, session))
                return
        session._close_socket()

    def _apply_ops(self, selector: selectors.BaseSelector) -> bool:
        """Apply adds/removes; False when the thread should end (nothing left to serve)."""
        with self._lock:
            while self._ops:
                add, session = self._ops.popleft()
                if add and session not in self._sessions:
                    self._sessions.append(session)
                    selector.register(session.sock, selectors.EVENT_READ, session)
                elif not add and session in self._sessions:
                    self._sessions.remove(session)
                    selector.unregister(session.sock)
                    session._close_socket()
                elif not add:
                    session._close_socket()
            if not self._sessions:
                self._thread = None
                return False
            return True

    def _run(self) -> None:
        selector = selectors.DefaultSelector()
        next_at = time.monotonic()
        PACER.clock_started()
        try:
            while self._apply_ops(selector):
                wait = next_at - time.monotonic()
                if wait > 0:
                    for key, _ in selector.select(wait):
                        key.data.read_ready()
                    continue
                out: list[Delivery] = []
                for session in self._sessions:
                    try:
                        session.tick(out)
                    except Exception:  # one call's media must not stop the others
                        log.exception("rtp tick failed")
                loop = self._loop
                if out and loop is not None:
                    with contextlib.suppress(RuntimeError):  # the loop is closing
                        loop.call_soon_threadsafe(_deliver, out)
                PACER.after_tick()  # a full GC pass, when one is due, in the slack before the next tick
                next_at += self.frame_s
                now = time.monotonic()
                if now - next_at > self.max_lag_s:  # a long stall: skip ahead instead of bursting
                    self.stats.late_ticks += 1
                    next_at = now
        finally:
            selector.close()
            PACER.clock_stopped()


def _deliver(out: list[Delivery]) -> None:
    for callback, arg in out:
        try:
            callback(arg)  # type: ignore[arg-type]
        except Exception:
            log.exception("rtp delivery failed")


@dataclass
class SendStats:
    packets: int = 0
    dtmf_packets: int = 0
    max_gap_s: float = 0.0
    gaps_over_40ms: int = 0
    last_at: float = 0.0


class RtpSession:
    """A call's RTP endpoint; build with :meth:`open`, then :meth:`configure` after offer/answer."""

    def __init__(self, *, sock: socket.socket, clock: MediaClock, prefetch: int = 2) -> None:
        self.sock = sock
        self.clock = clock
        self.prefetch = prefetch
        self.port = int(sock.getsockname()[1])
        self.on_audio: Callable[[bytes], None] | None = None
        self.on_dtmf: Callable[[str], None] | None = None
        self.on_hold = False
        self.stats = SendStats()
        self.receiver: RtpReceiver | None = None
        self._packetizer: Packetizer | None = None
        self._dtmf: DtmfSender | None = None
        self._lock = threading.Lock()  # the packetizer and the out queues: loop and media thread
        self._out: deque[bytes] = deque()
        self._dtmf_out: deque[bytes] = deque()
        self._closed = False
        self._played_at = 0.0
        self._clock_mode = False  # packets stopped coming: the clock plays each frame

    @classmethod
    def open(cls, *, host: str, clock: MediaClock, prefetch: int = 2) -> RtpSession:
        """A UDP socket on ``host``: the next free port of the clock's range, else an ephemeral one."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_DGRAM)
        try:
            if clock.ports is not None:
                clock.ports.bind(sock, host)
            else:
                sock.bind((host, 0))
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return cls(sock=sock, clock=clock, prefetch=prefetch)

    # ------------------------------------------------------------------ set-up (event loop)

    def configure(self, *, codec: str, audio_pt: int, dtmf_pt: int | None, remote: Addr | None) -> None:
        """Start the media with the negotiated codec; the media thread serves it from now on."""
        jitter = JitterBuffer(codec=codec, payload_types=frozenset({audio_pt}), prefetch=self.prefetch)
        self.receiver = RtpReceiver(
            codec=codec, audio_payload_type=audio_pt, dtmf_payload_type=dtmf_pt, signalled=remote, jitter=jitter
        )
        self._packetizer = Packetizer(payload_type=audio_pt, codec=codec)
        self._dtmf = DtmfSender(self._packetizer, payload_type=dtmf_pt) if dtmf_pt is not None else None
        self.clock.add(self)

    def update_remote(self, remote: Addr | None) -> None:
        """A re-INVITE moved the peer's media (the latch still wins once packets arrive)."""
        if self.receiver is not None and remote is not None:
            self.receiver.latch.signalled = remote

    # ------------------------------------------------------------------ outbound (event loop)

    @property
    def queued_frames(self) -> int:
        return len(self._out)

    def queue_audio(self, pcm8k: bytes) -> None:
        """Queue 16-bit 8 kHz bot audio; it goes out 20 ms per tick (a partial frame is padded)."""
        for i in range(0, len(pcm8k), FRAME_BYTES):
            chunk = pcm8k[i : i + FRAME_BYTES]
            if len(chunk) < FRAME_BYTES:
                chunk += b"\x00" * (FRAME_BYTES - len(chunk))
            self._out.append(chunk)

    async def wait_below(self, frames: int, poll_s: float = 0.01) -> None:
        """Back-pressure for the writer: return once at most ``frames`` are queued."""
        while True:  # polled: the media thread drains the queue at 20 ms pace
            if len(self._out) <= frames or self._closed:
                return
            await asyncio.sleep(poll_s)

    def clear_audio(self) -> None:
        """Barge-in: stop sending what is queued; the next talkspurt carries the marker bit."""
        with self._lock:
            self._out.clear()
            if self._packetizer is not None:
                self._packetizer.mark_talkspurt()

    def send_dtmf(self, digit: str, duration_ms: int = 160) -> bool:
        """Queue one RFC 4733 key press; False when the peer did not negotiate telephone-event."""
        if self._dtmf is None:
            return False
        with self._lock:
            self._dtmf_out.extend(bytes(p) for p in self._dtmf.digit_packets(digit, duration_ms))
        return True

    # ------------------------------------------------------------------ the media thread

    def read_ready(self) -> None:
        rx = self.receiver
        loop = self.clock._loop
        out: list[Delivery] = []
        for _ in range(64):
            try:
                data, addr = self.sock.recvfrom(2048)
            except OSError:  # nothing more to read (BlockingIOError), or ICMP port unreachable
                break
            if rx is None or self._closed:
                continue
            digit = rx.receive_datagram(data, (str(addr[0]), int(addr[1])), time.monotonic())
            if digit is not None and self.on_dtmf is not None:
                out.append((self.on_dtmf, digit))
            self._play_ready(out)
        if out and loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closing
                loop.call_soon_threadsafe(_deliver, out)

    def _play(self, out: list[Delivery]) -> None:
        assert self.receiver is not None
        frame = self.receiver.get_frame()
        if frame.kind is FrameKind.PREFETCH:
            return
        self._played_at = time.monotonic()
        if self.on_audio is not None:
            out.append((self.on_audio, frame.pcm.astype("<i2").tobytes()))

    def _play_ready(self, out: list[Delivery]) -> None:
        """Play every frame whose packet is here, as it arrives (no waiting for the tick)."""
        rx = self.receiver
        while rx is not None and rx.jitter.ready():
            self._play(out)
            self._clock_mode = False

    def tick(self, out: list[Delivery]) -> None:
        rx, pk = self.receiver, self._packetizer
        if rx is None or pk is None or self._closed:
            return
        # Inbound: frames normally play on arrival; when the next one is late or lost, the clock
        # plays on (concealment, then comfort noise) so the pipeline hears a continuous line.
        if rx.latch.latched is not None and (
            self._clock_mode or time.monotonic() - self._played_at >= LATE_AFTER_S
        ):
            self._play(out)
            self._clock_mode = True
            self._play_ready(out)
        with self._lock:
            if self._dtmf_out:
                data = self._dtmf_out.popleft()
                self.stats.dtmf_packets += 1
            else:
                pcm = np.frombuffer(self._out.popleft(), dtype="<i2") if self._out else _SILENCE
                data = bytes(pk.push(pcm)[0])
        remote = rx.remote
        if self.on_hold or remote is None:
            return
        try:
            self.sock.sendto(data, remote)
        except OSError:
            return
        now = time.monotonic()
        totals = self.clock.stats
        if self.stats.last_at:
            gap = now - self.stats.last_at
            self.stats.max_gap_s = max(self.stats.max_gap_s, gap)
            if gap > 0.04:
                self.stats.gaps_over_40ms += 1
                totals.send_gaps += 1
        self.stats.last_at = now
        self.stats.packets += 1
        totals.packets_sent += 1

    # ------------------------------------------------------------------ closing

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._out.clear()
        if self.receiver is not None:
            self.clock.stats.concealed += self.receiver.jitter.stats.concealed
        if self.receiver is None:
            self._close_socket()
        else:
            self.clock.remove(self)

    def _close_socket(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
