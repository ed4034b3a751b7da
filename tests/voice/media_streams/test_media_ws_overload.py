"""Overload over a media stream with ``overload.action: refuse``: the stream is closed with 1013 (try
again later) before any call starts; with ``ivr`` the caller is answered by the plain IVR and the
report says so (``ai: false``)."""

from __future__ import annotations

import asyncio

import pytest
from media_server import SECRET, MediaServer
from websockets.exceptions import ConnectionClosed

from concierge.config import OverloadAction
from voice.testing.remote_ws import MediaStreamCaller

pytestmark = pytest.mark.slow


async def test_an_overloaded_server_closes_a_new_stream_with_try_again_later(media_server: MediaServer) -> None:
    with media_server.overloaded(OverloadAction.REFUSE):
        call = MediaStreamCaller(media_server.ws, secret=SECRET, caller="+12125550177")
        with pytest.raises(ConnectionClosed) as closed:
            await call.open()  # closed right after the upgrade: our "start" finds it closed
        await call.finish(report_timeout_s=2.0)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
    assert not call.line.received.times  # nothing was said: refused before the call started
    assert media_server.active_calls() == 0


async def test_with_action_ivr_the_stream_is_answered_by_the_ivr(media_server: MediaServer) -> None:
    with media_server.overloaded(OverloadAction.IVR):
        call = MediaStreamCaller(media_server.ws, secret=SECRET, caller="+12125550178")
        await call.open()
        try:
            await call.line.wait_onset(since=0.0, timeout_s=8.0)  # the IVR's greeting
            await asyncio.sleep(0.5)
        finally:
            await call.finish()
    assert call.peer.report is not None and call.peer.report["ai"] is False
    assert "asr.transcribed" not in call.peer.report["events"]
