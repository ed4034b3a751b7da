"""The Messages API test server, driven by the real anthropic SDK over loopback."""

from __future__ import annotations

import anthropic
import httpx2
import pytest
from anthropic import AsyncAnthropic

from concierge.messages_api_server import MessagesApiServer, load_script
from concierge.messages_script import ScriptedResponse


def _client(server: MessagesApiServer, **kw: object) -> AsyncAnthropic:
    return AsyncAnthropic(api_key="test-key", base_url=server.base_url, **kw)  # type: ignore[arg-type]


async def test_json_reply_and_recorded_body(api_server: MessagesApiServer) -> None:
    api_server.enqueue(ScriptedResponse.reply("Hello there."))
    client = _client(api_server)
    msg = await client.messages.create(
        model="claude-test-1", max_tokens=50, messages=[{"role": "user", "content": "hi [PERSON_1]"}]
    )
    assert msg.content[0].type == "text" and msg.content[0].text == "Hello there."
    assert msg.model == "claude-test-1" and msg.stop_reason == "end_turn"
    body = api_server.requests[0].body
    assert body["messages"] == [{"role": "user", "content": "hi [PERSON_1]"}]
    assert api_server.requests[0].headers["anthropic-version"]
    await client.close()


async def test_streaming_tool_use_events(api_server: MessagesApiServer) -> None:
    api_server.enqueue(
        ScriptedResponse.tool_use("propose_transfer", {"department": "billing", "reason": "refund"}, text="Sure.")
    )
    client = _client(api_server)
    stream = await client.messages.create(
        model="m", max_tokens=50, stream=True, messages=[{"role": "user", "content": "refund"}]
    )
    types, partial, text = [], "", ""
    async for ev in stream:
        types.append(ev.type)
        if ev.type == "content_block_delta" and ev.delta.type == "input_json_delta":
            partial += ev.delta.partial_json
        if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
            text += ev.delta.text
        if ev.type == "message_delta":
            assert ev.delta.stop_reason == "tool_use"
    assert types[0] == "message_start" and types[-1] == "message_stop"
    assert types.count("content_block_start") == 2 and types.count("content_block_stop") == 2
    assert text == "Sure." and partial == '{"department": "billing", "reason": "refund"}'
    assert api_server.requests[0].body["stream"] is True
    await client.close()


@pytest.mark.parametrize(("status", "exc"), [(429, anthropic.RateLimitError), (500, anthropic.InternalServerError),
                                             (529, anthropic.APIStatusError)])
async def test_errors_are_retried_then_raised(api_server: MessagesApiServer, status: int, exc: type[Exception]) -> None:
    api_server.enqueue(*[ScriptedResponse.error(status)] * 3)
    client = _client(api_server, max_retries=2)
    with pytest.raises(exc) as info:
        await client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert getattr(info.value, "status_code", None) == status
    assert len(api_server.requests) == 3  # one try plus two retries with back-off
    assert api_server.requests[2].headers.get("x-stainless-retry-count") == "2"
    await client.close()


async def test_exhausted_script_is_a_clear_400(api_server: MessagesApiServer) -> None:
    client = _client(api_server, max_retries=3)
    with pytest.raises(anthropic.BadRequestError, match="no scripted response for request 1"):
        await client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    assert len(api_server.requests) == 1
    await client.close()


async def test_slow_response_times_out_in_the_sdk(api_server: MessagesApiServer) -> None:
    api_server.enqueue(ScriptedResponse.reply("late", delay_s=2.0))
    client = _client(api_server, max_retries=0, timeout=0.3)
    with pytest.raises(anthropic.APITimeoutError):
        await client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    await client.close()


async def test_cut_stream_raises_mid_way(api_server: MessagesApiServer) -> None:
    api_server.enqueue(ScriptedResponse.cut("This reply never finishes properly.", after_events=4, chunk_chars=4))
    client = _client(api_server, max_retries=0)
    got = ""
    with pytest.raises(httpx2.RemoteProtocolError):  # the SDK's HTTP client sees the dropped connection
        stream = await client.messages.create(
            model="m", max_tokens=50, stream=True, messages=[{"role": "user", "content": "x"}]
        )
        async for ev in stream:
            if ev.type == "content_block_delta" and ev.delta.type == "text_delta":
                got += ev.delta.text
    assert got == "This"  # message_start, block start, ping, one delta, then the connection died
    await client.close()


def test_load_script(tmp_path) -> None:  # type: ignore[no-untyped-def]
    f = tmp_path / "s.yaml"
    f.write_text(
        "- {text: hi}\n- {tool_use: {name: end_call, input: {reason: done}}}\n- {error: 529}\n"
        "- {cut: partial, after_events: 3, delay_s: 0.1}\n"
    )
    s = load_script(f)
    assert [x.kind for x in s] == ["text", "tool_use", "error", "text"]
    assert s[2].status == 529 and s[3].cut_after_events == 3 and s[3].delay_s == 0.1


async def test_module_entry_serves_a_script(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import re
    import socket
    import sys

    script = tmp_path / "s.yaml"
    script.write_text("- {text: from the script}\n")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "concierge.messages_api_server", "--port", str(port), "--script", str(script),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        line = (await asyncio.wait_for(proc.stderr.readline(), 20)).decode()
        assert re.search(rf"http://127\.0\.0\.1:{port} \(1 scripted responses\)", line)
        client = AsyncAnthropic(api_key="k", base_url=f"http://127.0.0.1:{port}", max_retries=0)
        msg = await client.messages.create(model="m", max_tokens=5, messages=[{"role": "user", "content": "x"}])
        assert msg.content[0].type == "text" and msg.content[0].text == "from the script"
        await client.close()
    finally:
        proc.terminate()
        await proc.wait()
