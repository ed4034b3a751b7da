"""RFC 4475 torture messages: every message handled as ../shared/sip/rfc4475/MANIFEST.tsv says.

Each .dat file is fed to a fresh SipCore as one UDP datagram. ``EXPECTED`` is the status our UAS
sends (None: nothing sent); ``test_expectations_follow_manifest`` checks that every entry agrees
with the manifest's own words, so the table cannot drift from it.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from voice.sip.body import find_sdp, parse_multipart
from voice.sip.core import SipConfig, SipCore
from voice.sip.events import IncomingCall, OptionsReceived
from voice.sip.exceptions import SipParseError
from voice.sip.framing import frame_datagram
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.validate import ALLOWED_METHODS

# file -> status our UAS answers with (None: discarded, nothing sent)
EXPECTED: dict[str, int | None] = {
    "wsinv.dat": 481,  # valid INVITE carrying a To tag of a dialog we do not have (RFC 3261 12.2.2)
    "intmeth.dat": 501,
    "esc01.dat": 100,
    "escnull.dat": 405,  # REGISTER: we are not a registrar
    "esc02.dat": 501,
    "lwsdisp.dat": 200,
    "longreq.dat": 100,
    "dblreq.dat": 405,
    "semiuri.dat": 200,
    "transports.dat": 200,
    "mpart01.dat": 405,  # MESSAGE is not one of our methods
    "unreason.dat": None,
    "noreason.dat": None,
    "badinv01.dat": 400,
    "clerr.dat": 400,
    "ncl.dat": 400,
    "scalar02.dat": 400,
    "scalarlg.dat": None,
    "quotbal.dat": 400,
    "ltgtruri.dat": 400,
    "lwsruri.dat": 400,
    "lwsstart.dat": 400,
    "trws.dat": 400,
    "escruri.dat": 400,
    "baddate.dat": 100,  # RFC 4475 3.1.2.12 allows ignoring the Date header: we never read it
    "regbadct.dat": 400,
    "badaspec.dat": 400,
    "baddn.dat": 400,
    "badvers.dat": 505,
    "mismatch01.dat": 400,
    "mismatch02.dat": 400,
    "bigcode.dat": None,
    "badbranch.dat": 200,
    "insuf.dat": 400,
    "unkscm.dat": 416,
    "novelsc.dat": 416,  # RFC 4475 3.3.3: a scheme the element never accepts -> 416
    "unksm2.dat": 405,
    "bext01.dat": 420,
    "invut.dat": 415,
    "regaut01.dat": 405,  # RFC 4475 3.3.7: only a registrar challenges; we are none
    "multi01.dat": 400,
    "mcl01.dat": 400,
    "bcast.dat": None,
    "zeromf.dat": 200,
    "cparam01.dat": 405,
    "cparam02.dat": 405,
    "regescrt.dat": 405,
    "sdp01.dat": 406,
    "inv2543.dat": 100,
}


def _manifest(shared_dir: Path) -> list[dict[str, str]]:
    with (shared_dir / "sip" / "rfc4475" / "MANIFEST.tsv").open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def _handling(row: dict[str, str]) -> str:
    return next(v for k, v in row.items() if k.startswith("expected_handling"))


def test_expectations_follow_manifest(shared_dir: Path) -> None:
    rows = _manifest(shared_dir)
    assert len(rows) == 49
    assert {r["file"] for r in rows} == set(EXPECTED)
    for row in rows:
        text = _handling(row)
        expected = EXPECTED[row["file"]]
        codes = [int(c) for c in re.findall(r"\b([1-6]\d\d)\b", text)]
        if "discard" in text:
            assert expected is None, row["file"]
        elif text.startswith("response: parse"):
            assert expected is None, row["file"]  # a stray response: parsed, matches no transaction
        elif codes and "ignore" not in text:
            assert expected in codes, (row["file"], text)
        elif "ignore the Date" in text:
            assert expected in codes + [100], row["file"]  # we ignore Date: the INVITE proceeds
        elif "unknown method" in text:
            assert expected in (405, 501), row["file"]
        elif "REGISTER" in text or "trailing octets" in text or "SDP part" in text:
            assert expected == 405, row["file"]  # parsed, then refused as a method we do not serve
        else:  # "process normally" and the "see RFC" rows: no 400, the request reaches its handler
            assert expected in (100, 200, 405, 416, 481), (row["file"], text)
            if expected == 405:  # processed normally = refused as a method we do not serve
                msg = SipMessage.parse((shared_dir / "sip" / "rfc4475" / row["file"]).read_bytes())
                assert isinstance(msg, SipRequest) and msg.method not in ALLOWED_METHODS


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_torture_message(shared_dir: Path, name: str) -> None:
    rows = {r["file"]: r for r in _manifest(shared_dir)}
    row = rows[name]
    data = (shared_dir / "sip" / "rfc4475" / name).read_bytes()
    if row["class"] == "valid" or EXPECTED[name] not in (400, None):
        msg = SipMessage.parse(data)  # every valid message, and every one answered past the syntax checks
        assert isinstance(msg, SipRequest | SipResponse)
        assert bytes(SipMessage.parse(bytes(msg))) == bytes(msg)
    core = SipCore(SipConfig(host="192.0.2.200"))
    core.receive_datagram(data, ("192.0.2.9", 5060), now=0.0)
    out = core.datagrams_to_send()
    events = core.events()
    expected = EXPECTED[name]
    if expected is None:
        assert out == [] and events == []
        return
    assert len(out) == 1
    assert out[0].addr == ("192.0.2.9", 5060)
    status_line = frame_datagram(out[0].data).start_line
    assert int(status_line.split(" ")[1]) == expected
    if expected == 100:
        assert [type(e) for e in events] == [IncomingCall]
    elif expected == 200:
        assert [type(e) for e in events] == [OptionsReceived]
    else:
        assert events == []


def test_invalid_messages_fail_parse_with_raw(shared_dir: Path) -> None:
    """Syntax-invalid requests raise SipParseError carrying the framed message (used for the 400)."""
    for name in (
        "badinv01.dat",
        "clerr.dat",
        "ncl.dat",
        "scalar02.dat",
        "quotbal.dat",
        "ltgtruri.dat",
        "lwsruri.dat",
        "lwsstart.dat",
        "trws.dat",
        "regbadct.dat",
        "badaspec.dat",
        "baddn.dat",
        "multi01.dat",
        "mcl01.dat",
    ):
        with pytest.raises(SipParseError) as info:
            SipMessage.parse((shared_dir / "sip" / "rfc4475" / name).read_bytes())
        assert info.value.raw is not None and info.value.raw.is_request, name
    for name in ("scalarlg.dat", "bigcode.dat"):
        with pytest.raises(SipParseError):
            SipMessage.parse((shared_dir / "sip" / "rfc4475" / name).read_bytes())


def test_special_cases(shared_dir: Path) -> None:
    base = shared_dir / "sip" / "rfc4475"
    wsinv = SipMessage.parse((base / "wsinv.dat").read_bytes())
    assert isinstance(wsinv, SipRequest)
    assert [v.host for v in wsinv.vias] == ["192.0.2.2", "spindle.example.com", "192.168.255.111"]
    assert wsinv.vias[1].branch == "z9hG4bK9ikj8"
    assert wsinv.from_addr.display_name == 'J Rosenberg \\"'
    assert wsinv.to_addr.tag == "1918181833n"
    assert wsinv.max_forwards == 68 and wsinv.cseq.number == 9 and wsinv.cseq.method == "INVITE"
    assert wsinv.contacts[0].display_name == 'Quoted string ""'
    assert wsinv.contacts[0].param("q") == "0.33"
    assert wsinv.headers.get("NewFangledHeader") == "newfangled value continued newfangled value"
    longreq = SipMessage.parse((base / "longreq.dat").read_bytes())
    assert len(longreq.vias) == 34
    dbl = SipMessage.parse((base / "dblreq.dat").read_bytes())
    assert isinstance(dbl, SipRequest) and dbl.method == "REGISTER" and dbl.body == b""
    mpart = SipMessage.parse((base / "mpart01.dat").read_bytes())
    assert mpart.content_type is not None
    parts = parse_multipart(mpart.content_type, mpart.body)
    assert [p.content_type.mime if p.content_type else None for p in parts] == [
        "text/plain",
        "application/octet-stream",
    ]
    assert find_sdp(mpart.content_type, mpart.body) is None
    intmeth = SipMessage.parse((base / "intmeth.dat").read_bytes())
    assert isinstance(intmeth, SipRequest)
    assert intmeth.to_addr.display_name == "BEL:\x07 NUL:\x00 DEL:\x7f"
    bext = SipCore(SipConfig(host="192.0.2.200"))
    bext.receive_datagram((base / "bext01.dat").read_bytes(), ("192.0.2.9", 5060), now=0.0)
    reply = SipMessage.parse(bext.datagrams_to_send()[0].data)
    assert reply.headers.get("Unsupported") == "nothingSupportsThis, nothingSupportsThisEither"
    invut = SipCore(SipConfig(host="192.0.2.200"))
    invut.receive_datagram((base / "invut.dat").read_bytes(), ("192.0.2.9", 5060), now=0.0)
    assert SipMessage.parse(invut.datagrams_to_send()[0].data).headers.get("Accept") == "application/sdp"
