"""Fuzz the sans-I/O parsers with 100,000 inputs and print a table of inputs, crashes and time.

Inputs are mutations of the RFC 4475 torture messages (byte flips, inserted separators, deleted
and duplicated spans, splices, truncations), grammar-shaped header soup and random bytes. Each
SIP input goes through ``SipMessage.parse`` and a long-lived ``SipCore`` (with timers ticking);
SDP bodies, RTP packets and RFC 4733 payloads derived from the same stream go through their
parsers. A crash is any exception other than the documented one of the parser.

    python bench/bench_sip_fuzz.py                 # 100,000 inputs
    python bench/bench_sip_fuzz.py --inputs 5000 --seed 7
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from voice.rtp.dtmf import TelephoneEvent
from voice.rtp.exceptions import RtpParseError
from voice.rtp.packet import RtpPacket
from voice.sip.core import SipConfig, SipCore
from voice.sip.exceptions import SdpNegotiationError, SdpParseError, SipParseError
from voice.sip.message import SipMessage
from voice.sip.offer_answer import MediaConfig, answer_offer
from voice.sip.sdp import SessionDescription

REPO = Path(__file__).resolve().parent.parent
TOKENS = [
    b"\r\n",
    b" ",
    b"\t",
    b";",
    b",",
    b'"',
    b"<",
    b">",
    b"%",
    b":",
    b"=",
    b"\\",
    b"\x00",
    b"\xff",
    b"@",
    b"\r\n ",
    b"SIP/2.0",
    b";tag=",
    b";branch=z9hG4bK",
    b"Content-Length: 99999\r\n",
    b"\r\n\r\n",
]
HEADERS = [
    b"Via",
    b"v",
    b"From",
    b"To",
    b"t",
    b"Contact",
    b"m",
    b"Call-ID",
    b"CSeq",
    b"Max-Forwards",
    b"l",
    b"Content-Type",
    b"Route",
    b"Record-Route",
    b"Require",
    b"Accept",
    b"Event",
    b"X-Any",
]
MEDIA = MediaConfig(address="192.0.2.10", port=40000)


@dataclass
class Target:
    name: str
    inputs: int = 0
    accepted: int = 0
    rejected: int = 0
    crashes: int = 0
    seconds: float = 0.0
    samples: list[str] = field(default_factory=list)

    def run(self, fn: Callable[[], bool]) -> None:
        start = time.perf_counter()
        self.inputs += 1
        try:
            ok = fn()
        except (SipParseError, SdpParseError, RtpParseError, SdpNegotiationError):
            ok = False
        except Exception as exc:  # any other exception is what the benchmark counts
            self.crashes += 1
            if len(self.samples) < 5:
                self.samples.append(f"{type(exc).__name__}: {exc}")
            ok = False
        self.seconds += time.perf_counter() - start
        if ok:
            self.accepted += 1
        else:
            self.rejected += 1


def seeds() -> list[bytes]:
    shared = Path(os.environ.get("DIALPHONE_SHARED") or REPO.parent / "shared")
    found = [p.read_bytes() for p in sorted((shared / "sip" / "rfc4475").glob("*.dat"))]
    if not found:
        sys.exit(f"no RFC 4475 messages under {shared}/sip/rfc4475 (set DIALPHONE_SHARED)")
    return found


def mutate(rng: random.Random, pool: list[bytes]) -> bytes:
    data = bytearray(rng.choice(pool))
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3, 5, 10))):
        pos = rng.randrange(len(data) + 1)
        op = rng.randrange(6)
        if op == 0 and data:
            data[min(pos, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[pos:pos] = rng.choice(TOKENS)
        elif op == 2:
            del data[pos : pos + rng.randint(1, 32)]
        elif op == 3 and data:
            src = rng.randrange(len(data))
            data[pos:pos] = data[src : src + rng.randint(1, 64)]
        elif op == 4:
            other = rng.choice(pool)
            cut = rng.randrange(len(other) + 1)
            data = data[:pos] + bytearray(other[cut:])
        else:
            del data[pos:]
    return bytes(data)


def shaped(rng: random.Random) -> bytes:
    start = rng.choice(
        [
            b"INVITE sip:a@b.example.com SIP/2.0",
            b"SIP/2.0 200 OK",
            b"OPTIONS sip:x SIP/2.0",
            b"BYE sip:q@r SIP/2.0",
            b"NOTIFY sip:y SIP/2.0",
        ]
    )
    lines = [start]
    for _ in range(rng.randint(0, 10)):
        value = b"".join(
            rng.choice(TOKENS + [b"a", b"sip:", b"x.example.com", b"1", b"z9hG4bK1"])
            for _ in range(rng.randint(0, 12))
        )
        lines.append(rng.choice(HEADERS) + b": " + value)
    return b"\r\n".join(lines) + b"\r\n\r\n" + rng.randbytes(rng.randint(0, 40))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=4475)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = seeds()
    sip, core_t, sdp, rtp, dtmf = (Target(n) for n in ("SIP parse", "SipCore", "SDP", "RTP", "RFC 4733"))
    core = SipCore(SipConfig(host="192.0.2.10", max_calls=50))
    now = 0.0

    def parse_sip(data: bytes) -> Callable[[], bool]:
        def run() -> bool:
            msg = SipMessage.parse(data)
            once = bytes(msg)
            if bytes(SipMessage.parse(once)) != once:
                raise AssertionError("serialization is not stable")
            return True

        return run

    def feed_core(data: bytes, t: float) -> Callable[[], bool]:
        def run() -> bool:
            core.receive_datagram(data, ("192.0.2.9", 5060 + int(t) % 3), t)
            core.tick(t)
            core.datagrams_to_send()
            core.events()
            return True

        return run

    def parse_sdp(body: bytes) -> Callable[[], bool]:
        def run() -> bool:
            answer_offer(SessionDescription.parse(body), MEDIA)
            return True

        return run

    def parse_rtp(data: bytes) -> Callable[[], bool]:
        def run() -> bool:
            pkt = RtpPacket.parse(data)
            if RtpPacket.parse(bytes(pkt)) != pkt:
                raise AssertionError("RTP round trip differs")
            return True

        return run

    def parse_event(data: bytes) -> Callable[[], bool]:
        def run() -> bool:
            return bytes(TelephoneEvent.parse(data)) == data

        return run

    for i in tqdm(range(args.inputs), desc="fuzz", unit="input", file=sys.stderr, mininterval=0.5):
        kind = rng.random()
        data = (
            mutate(rng, pool)
            if kind < 0.65
            else shaped(rng)
            if kind < 0.85
            else rng.randbytes(rng.randint(0, 400))
        )
        now += 0.01
        sip.run(parse_sip(data))
        core_t.run(feed_core(data, now))
        sdp.run(parse_sdp(data.partition(b"\r\n\r\n")[2] or data))
        header = bytes([0x80 | rng.randrange(64), rng.randrange(256)]) if i % 2 else b""
        rtp.run(parse_rtp(header + data[rng.randrange(len(data) + 1) :][: rng.randint(0, 200)]))
        dtmf.run(parse_event(data[: rng.choice([3, 4, 4, 5])]))

    table = Table(title=f"sans-I/O parser fuzzing ({args.inputs:,} inputs, seed {args.seed})")
    for col in ("target", "inputs", "accepted", "rejected", "crashes", "time (s)", "inputs/s"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for t in (sip, core_t, sdp, rtp, dtmf):
        rate = t.inputs / t.seconds if t.seconds else 0.0
        table.add_row(
            t.name,
            f"{t.inputs:,}",
            f"{t.accepted:,}",
            f"{t.rejected:,}",
            str(t.crashes),
            f"{t.seconds:.2f}",
            f"{rate:,.0f}",
        )
    console = Console()
    console.print(table)
    crashes = [s for t in (sip, core_t, sdp, rtp, dtmf) for s in t.samples]
    for sample in crashes:
        console.print(f"[red]crash[/red] {sample}")
    return 1 if any(t.crashes for t in (sip, core_t, sdp, rtp, dtmf)) else 0


if __name__ == "__main__":
    raise SystemExit(main())
