"""Interop: Debian's baresip calls the SIP listener on loopback, speaks, presses keys, gets transferred.

baresip runs as the caller with a temporary config folder (``-f DIR``): ``aufile`` plays a fixture
as its microphone, ``sndfile`` records what it hears, ``ctrl_tcp`` takes our commands (dial,
sndcode for RFC 4733 digits), ``g711`` only, no sound card (``aubridge`` stands in for a player).
The caller asks about a bill: the concierge proposes a transfer to billing (no approval needed),
the server sends REFER to a small answering UAS standing in for the billing desk, baresip calls
it, NOTIFY reports 200, and the server hangs up its leg with BYE. Checked: the tokenized
transcript in the call log, the audit trail, the digits exact, the reply baresip recorded is
intelligible (tiny.en on the recording), and the BYE was answered.

baresip is installed by ``scripts/system-deps.sh``; the test is skipped only when it is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import pytest_asyncio
import soundfile as sf

from concierge.config import Transport, load_workspace
from voice.audio import resample
from voice.pipeline.engines import Engines
from voice.server.process import ServerProcess
from voice.sip import CallEnded, IncomingCall, MediaConfig, SipConfig, SipEvent, answer_offer
from voice.telephony.call import CallPhase
from voice.telephony.endpoint import SipEndpoint
from voice.telephony.listener import SipServer

REPO = Path(__file__).resolve().parents[2]
BARESIP = shutil.which("baresip")
MODULES = Path("/usr/lib/baresip/modules")
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))
DIGITS = "42#"  # not 0: 0 is the opt-out key that leaves the AI loop

pytestmark = [
    pytest.mark.skipif(BARESIP is None, reason="baresip not installed (scripts/system-deps.sh installs it)"),
    pytest.mark.asyncio(loop_scope="session"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BillingDesk:
    """A minimal answering UAS (the transfer target): answers every INVITE, counts calls and BYEs."""

    def __init__(self) -> None:
        self.invites = 0
        self.ended = 0
        self.endpoint: SipEndpoint | None = None

    async def start(self) -> int:
        self.endpoint = SipEndpoint(SipConfig(host="127.0.0.1", port=0), on_event=self._on_event)
        await self.endpoint.listen_udp("127.0.0.1", 0)
        return self.endpoint.port

    def _on_event(self, ep: SipEndpoint, event: SipEvent) -> None:
        if isinstance(event, IncomingCall) and event.offer is not None:
            self.invites += 1
            neg = answer_offer(event.offer, MediaConfig(address="127.0.0.1", port=_free_port()))
            now = asyncio.get_running_loop().time()
            ep.core.answer(event.call, neg.answer, now)
        elif isinstance(event, CallEnded):
            self.ended += 1


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def desk_and_server(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[BillingDesk, SipServer]]:
    desk = BillingDesk()
    desk_port = await desk.start()
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    for dept in ws.departments:
        if dept.name == "billing":
            dept.targets[Transport.SIP] = f"sip:billing@127.0.0.1:{desk_port}"
    engines = Engines.load(ws, tmp_path_factory.mktemp("baresip-var"))
    await engines.start()
    state = ServerProcess(workspace=ws, data_dir=tmp_path_factory.mktemp("baresip-state"))
    state.engines = engines
    server = SipServer(state=state, host="127.0.0.1", port=0)
    await server.start()
    try:
        yield desk, server
    finally:
        await server.stop(deadline_s=3)
        assert desk.endpoint is not None
        await desk.endpoint.close()
        await engines.close()


def _caller_wav(folder: Path) -> Path:
    """The billing fixture as 8 kHz s16 (aufile's format): quiet while the greeting plays, then speech."""
    pcm, rate = sf.read(REPO / "fixtures" / "audio" / "billing_8k.wav", dtype="int16")
    assert rate == 8000
    lead, tail = np.zeros(int(4.5 * rate), np.int16), np.zeros(int(14 * rate), np.int16)
    path = folder / "caller.wav"
    sf.write(path, np.concatenate([lead, pcm, tail]), rate, subtype="PCM_16")
    return path


def _config(folder: Path, wav: Path, ctrl_port: int, sip_port: int) -> None:
    (folder / "rec").mkdir()
    mods = ["g711", "aufile", "sndfile", "aubridge", "ctrl_tcp", "menu", "account"]
    lines = [
        "poll_method epoll",
        f"sip_listen 127.0.0.1:{sip_port}",
        f"module_path {MODULES}",
        f"audio_source aufile,{wav}",
        "audio_player aubridge,nil",
        "audio_alert aubridge,nil",
        "ausrc_srate 8000",
        "auplay_srate 8000",
        "ausrc_channels 1",
        "auplay_channels 1",
        f"snd_path {folder / 'rec'}",
        f"ctrl_tcp_listen 127.0.0.1:{ctrl_port}",
        "rtp_timeout 0",
        "audio_buffer 20-160",
    ] + [f"module {m}.so" for m in mods[:-3]] + ["module_app menu.so", "module_app account.so", "module ctrl_tcp.so"]
    (folder / "config").write_text("\n".join(lines) + "\n")
    (folder / "accounts").write_text("<sip:caller@127.0.0.1>;regint=0;audio_codecs=PCMU;answermode=manual\n")
    (folder / "contacts").write_text("")


class Ctrl:
    """baresip's ctrl_tcp: netstring JSON commands, responses and events."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.events: list[dict[str, Any]] = []
        self.task = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def connect(cls, port: int) -> Ctrl:
        deadline = time.monotonic() + 10 * FACTOR
        while True:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                return cls(reader, writer)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def _read(self) -> None:
        buf = b""
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while data := await self.reader.read(4096):
                buf += data
                while b":" in buf:
                    length, _, rest = buf.partition(b":")
                    n = int(length)
                    if len(rest) < n + 1:
                        break
                    self.events.append(json.loads(rest[:n]))
                    buf = rest[n + 1 :]

    def send(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.writer.write(str(len(body)).encode() + b":" + body + b",")

    def types(self) -> list[str]:
        return [str(e.get("type")) for e in self.events if e.get("event")]

    async def close(self) -> None:
        self.writer.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.task


@contextlib.contextmanager
def _baresip(folder: Path) -> Iterator[subprocess.Popen[bytes]]:
    assert BARESIP is not None
    log = (folder / "baresip.log").open("wb")
    proc = subprocess.Popen([BARESIP, "-f", str(folder)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


async def _until(cond: Any, within_s: float) -> bool:
    deadline = time.monotonic() + within_s * FACTOR
    while time.monotonic() < deadline:
        if cond():
            return True
        await asyncio.sleep(0.05)
    return bool(cond())


def _recording(folder: Path) -> np.ndarray:
    """What baresip heard on its first call (sndfile's decoder-side dump), as float32."""
    files = sorted((folder / "rec").glob("*dec*.wav"), key=lambda p: p.stat().st_mtime)
    assert files, "sndfile wrote no recording"
    pcm, rate = sf.read(files[0], dtype="float32")
    return resample(pcm if pcm.ndim == 1 else pcm[:, 0], rate, 16000)


async def test_baresip_calls_speaks_presses_keys_and_is_transferred(
    desk_and_server: tuple[BillingDesk, SipServer], tmp_path: Path
) -> None:
    desk, server = desk_and_server
    wav = _caller_wav(tmp_path)
    ctrl_port = _free_port()
    _config(tmp_path, wav, ctrl_port, _free_port())
    with _baresip(tmp_path) as proc:
        ctrl = await Ctrl.connect(ctrl_port)
        try:
            ctrl.send("dial", f"sip:concierge@127.0.0.1:{server.port}")
            assert await _until(lambda: any(c.phase is CallPhase.CONFIRMED for c in server.calls.values()), 10)
            call = next(iter(server.calls.values()))
            await asyncio.sleep(2.0)  # during the greeting, before the caller speaks
            ctrl.send("sndcode", DIGITS)
            # the caller's question, the concierge's transfer, REFER, NOTIFY, our BYE
            assert await _until(lambda: call.phase is CallPhase.ENDED, 40), ctrl.types()
            assert proc.poll() is None
            await _until(lambda: ctrl.types().count("CALL_CLOSED") >= 1, 5)
        finally:
            await ctrl.close()
    session = call.session
    assert session is not None
    # DTMF digits exact (RFC 4733 from baresip, each press once)
    assert call.transport is not None and "".join(call.transport.digits) == DIGITS
    # the REFER: baresip called the billing desk, NOTIFY said 200, the concierge audited it
    # (once transferred, the call takes no second REFER: the dialog is being torn down)
    assert [(d, s) for d, _, s in call.transfers] == [("billing", 200)]
    assert desk.invites == 1
    events = session.log.events
    assert "transfer.proposed" in events and "transfer.executed" in events and "transfer.failed" not in events
    assert set(session.log.transfers) == {("billing", call.transfers[0][1])}
    # the tokenized transcript of the caller's turn
    texts = " ".join(t.caller_text for t in session.log.turns).lower()
    assert "bill" in texts and "late" in texts
    # a clean end: our BYE was answered (baresip reports the call closed, nothing timed out)
    assert "CALL_CLOSED" in ctrl.types()
    # the reply baresip heard is intelligible: the greeting, transcribed from its own recording
    heard = _recording(tmp_path)
    loud = np.abs(heard) > 0.02
    assert loud.any()
    start = max(0, int(np.argmax(loud)) - 1600)
    text = engines_text(session.engines, heard[start : start + 16000 * 6])
    assert "acme" in text or "help" in text, text


def engines_text(engines: Any, pcm16k: np.ndarray) -> str:
    result = engines.asr.transcribe(pcm16k.astype(np.float32))
    return str(result.text).lower()
