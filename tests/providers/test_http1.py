"""The completions' small HTTP/1.1 client against real sockets: chunked bodies, a keep-alive
connection the server closed while idle, answers cut short, proxies left to httpx."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from victor.providers.completion import AnthropicCompletionClient, _HttpxPoster, _json_poster
from victor.providers.http1 import Http1Client, HttpError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> dict:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return json.loads(await reader.readexactly(length))


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        connections = 0

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            try:
                await handler(reader, writer, connections)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        servers.append(server)
        return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"

    yield start
    for server in servers:
        server.close()


async def test_chunked_answer_and_keep_alive_reuse(serve) -> None:
    async def handler(reader, writer, n) -> None:
        while True:
            body = await _read_request(reader)
            text = json.dumps({"echo": body["q"], "connection": n}).encode()
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            for i in range(0, len(text), 7):
                piece = text[i : i + 7]
                writer.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            writer.write(b"0\r\n\r\n")
            await writer.drain()

    client = Http1Client(await serve(handler), {}, timeout=5, connect_timeout=5)
    try:
        first = await client.post("/x", {"q": "one"})
        second = await client.post("/x", {"q": "two \udce9"})
    finally:
        await client.aclose()
    assert first.status_code == 200 and first.json() == {"echo": "one", "connection": 1}
    assert second.json() == {"echo": "two \udce9", "connection": 1}  # the same connection


async def test_an_idle_connection_the_server_closed_is_replaced(serve) -> None:
    async def handler(reader, writer, n) -> None:
        await _read_request(reader)
        text = json.dumps({"connection": n}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
        await writer.drain()  # then closes: the client's idle connection is dead

    client = Http1Client(await serve(handler), {}, timeout=5, connect_timeout=5)
    try:
        assert (await client.post("/x", {})).json() == {"connection": 1}
        await asyncio.sleep(0.05)
        assert (await client.post("/x", {})).json() == {"connection": 2}
    finally:
        await client.aclose()


async def test_an_answer_cut_short_is_an_error_not_a_retry(serve) -> None:
    async def handler(reader, writer, n) -> None:
        await _read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"par')
        await writer.drain()

    client = Http1Client(await serve(handler), {}, timeout=5, connect_timeout=5)
    with pytest.raises(HttpError, match="mid-answer"):
        await client.post("/x", {})


async def test_not_http_is_a_clear_error(serve) -> None:
    async def handler(reader, writer, n) -> None:
        await _read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        await writer.drain()

    client = AnthropicCompletionClient("k", await serve(handler))
    from tests.providers.test_completion_client import PROMPT
    from victor.providers.errors import ProviderConnectionError

    with pytest.raises(ProviderConnectionError, match="not HTTP"):
        await client.complete(PROMPT, "claude-haiku-4-5")
    await client.aclose()


def test_a_configured_proxy_goes_through_httpx(monkeypatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert isinstance(_json_poster("https://api.anthropic.com", {}, 5, None), _HttpxPoster)
    assert isinstance(_json_poster("http://127.0.0.1:8080/v1", {}, 5, None), Http1Client)
