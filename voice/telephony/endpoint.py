"""The asyncio shell around one :class:`voice.sip.SipCore`: a UDP socket or a TCP listener, and its timers.

::

    ep = SipEndpoint(core_config, on_event=handle)        # handle(endpoint, event)
    await ep.listen_udp("0.0.0.0", 5060)                  # or: await ep.listen_tcp(host, port)
    ep.act(lambda now: ep.core.answer(call, sdp, now))    # run a core action, then send and dispatch

Everything the core produces is drained right after each input (datagram, stream message, timer,
application action): datagrams go out on the transport the peer used, events go to ``on_event``,
and one ``loop.call_at`` timer follows ``core.next_deadline()``. On TCP each connection gets a
:class:`voice.sip.framing.StreamFramer`; a stream that cannot be framed is closed (only that one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from voice.sip import SipConfig, SipCore, SipEvent, SipParseError
from voice.sip.framing import StreamFramer

log = logging.getLogger("dialphone.sip")

Addr = tuple[str, int]
EventHandler = Callable[["SipEndpoint", SipEvent], None]


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, endpoint: SipEndpoint) -> None:
        self.endpoint = endpoint

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        self.endpoint.receive(data, (str(addr[0]), int(addr[1])), reliable=False)

    def error_received(self, exc: Exception) -> None:
        log.debug("sip udp socket error: %s", type(exc).__name__)


class SipEndpoint:
    """One transport (UDP or TCP) and its core. ``config.port`` 0 is replaced by the bound port."""

    def __init__(self, config: SipConfig, *, on_event: EventHandler) -> None:
        self.config = config
        self.core = SipCore(config)
        self.on_event = on_event
        self.reliable = config.transport.upper() != "UDP"
        self.port = config.port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._conns: dict[Addr, asyncio.StreamWriter] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: float | None = None
        self._loop = asyncio.get_running_loop()

    # ------------------------------------------------------------------ listening

    async def listen_udp(self, host: str, port: int) -> None:
        transport, _ = await self._loop.create_datagram_endpoint(lambda: _UdpProtocol(self), local_addr=(host, port))
        self._udp = transport
        self._bound(int(transport.get_extra_info("sockname")[1]))

    async def listen_tcp(self, host: str, port: int) -> None:
        self._tcp = await asyncio.start_server(self._serve_stream, host, port)
        self._bound(int(self._tcp.sockets[0].getsockname()[1]))

    def _bound(self, port: int) -> None:
        self.port = port
        if self.config.port != port:  # Via / Contact name the port we really have
            self.config = replace(self.config, port=port)
            self.core.config = self.config

    async def _serve_stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        addr: Addr = (str(peer[0]), int(peer[1]))
        self._conns[addr] = writer
        framer = StreamFramer()
        try:
            while data := await reader.read(65536):
                try:
                    messages = framer.feed(data)
                except SipParseError:
                    log.info("sip tcp: closing a stream that cannot be framed")
                    break
                for message in messages:
                    self.receive(message, addr, reliable=True)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.pop(addr, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    # ------------------------------------------------------------------ core I/O

    def receive(self, data: bytes, addr: Addr, *, reliable: bool) -> None:
        try:
            self.core.receive_datagram(data, addr, self._loop.time(), reliable=reliable)
        except Exception:  # the core contains bad input itself; this guards the shell
            log.exception("sip core failed on one message (dropped)")
        self.flush()

    def act(self, action: Callable[[float], Any]) -> Any:
        """Run ``action(now)`` on the core, then send and dispatch what it produced."""
        try:
            return action(self._loop.time())
        finally:
            self.flush()

    def flush(self) -> None:
        for dgram in self.core.datagrams_to_send():
            self._send(dgram.data, dgram.addr)
        for event in self.core.events():
            try:
                self.on_event(self, event)
            except Exception:
                log.exception("sip event handler failed (%s)", type(event).__name__)
        for dgram in self.core.datagrams_to_send():  # what the handlers did
            self._send(dgram.data, dgram.addr)
        self._schedule()

    def _send(self, data: bytes, addr: Addr) -> None:
        if self._udp is not None:
            self._udp.sendto(data, addr)
            return
        writer = self._conns.get(addr)
        if writer is not None and not writer.is_closing():
            writer.write(data)

    def _schedule(self) -> None:
        deadline = self.core.next_deadline()
        if deadline == self._timer_at:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._timer_at = deadline
        if deadline is not None:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self._timer_at = None
        try:
            self.core.tick(self._loop.time())
        except Exception:
            log.exception("sip timer failed")
        self.flush()

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._conns.values()):
                writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), timeout=2)
