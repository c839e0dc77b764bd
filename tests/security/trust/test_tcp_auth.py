"""Attack 7: on TCP anyone local could drive the daemon.

Bound to 127.0.0.1 but with no authentication, another local user could connect, open the
victim's ``$HOME`` as a workspace, read ``~/.bash_history`` through ``victor/systemPrompt``,
and set ``anthropicBaseUrl`` in ``initializationOptions`` to receive the victim's key; a web
page POSTing to the port was accepted as a ``victor/chat``.

Now ``victor serve --tcp`` requires the token from a 0600 file as
``initializationOptions.token`` on the first message, parses the stream strictly (an HTTP
request is closed unanswered), and ``victor serve --socket`` offers a 0600 Unix socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import stat
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.lsp.daemon import server_env
from tests.security.trust.conftest import Victim, new_folder
from tests.support.model_server import ModelServer

READ_TIMEOUT = 90.0  # a hang guard, not a speed check: the first chat starts the agent


class RawClient:
    """Just enough LSP over a stream to play both the attacker and the user's editor."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def tcp(cls, port: int) -> RawClient:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    @classmethod
    async def unix(cls, path: Path) -> RawClient:
        return cls(*await asyncio.open_unix_connection(str(path)))

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_raw(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def receive(self) -> dict[str, Any] | None:
        """The next message, or None when the server closed the connection."""
        length = None
        while True:
            line = await asyncio.wait_for(self.reader.readline(), READ_TIMEOUT)
            if not line:
                return None
            if line == b"\r\n":
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        assert length is not None
        return json.loads(await self.reader.readexactly(length))

    async def response_to(self, msg_id: int) -> dict[str, Any] | None:
        """Wait for the response to ``msg_id``, answering the server's own requests."""
        while True:
            message = await self.receive()
            if message is None or message.get("id") == msg_id and "method" not in message:
                return message
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})

    async def closed_without_answer(self) -> bool:
        return await self.receive() is None

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def initialize(msg_id: int, root: Path, **options: Any) -> dict[str, Any]:
    return {
        "id": msg_id,
        "method": "initialize",
        "params": {
            "processId": None,
            "rootUri": root.as_uri(),
            "capabilities": {},
            "initializationOptions": options,
        },
    }


async def start_listener(victim: Victim, model: ModelServer, *args: str) -> AsyncIterator[Any]:
    stderr = victim.log.with_suffix(".stderr")
    env = server_env(model.url, victim.data_dir, victim.env())
    with stderr.open("wb") as err:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "victor",
            "serve",
            *args,
            env=env,
            stderr=err,
            stdin=asyncio.subprocess.DEVNULL,
            cwd=str(victim.data_dir),
        )
    try:
        for _ in range(400):
            match = re.search(r"victor: listening on (\S+?)(?:;|$)", stderr.read_text(), re.M)
            if match or proc.returncode is not None:
                break
            await asyncio.sleep(0.05)
        assert match, f"the daemon did not start: {stderr.read_text()[-2000:]}"
        yield proc, match.group(1)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()


@pytest.fixture
def victims_home(victim: Victim) -> Path:
    (victim.home / ".bash_history").write_text("export SECRET_HISTORY=canary-history-1337\n")
    return victim.home


async def test_tcp_requires_the_token_and_refuses_what_is_not_lsp(
    tmp_path: Path,
    victim: Victim,
    victims_home: Path,
    model_server: ModelServer,
    attacker: ModelServer,
) -> None:
    token_file = tmp_path / "run" / "victor.token"
    listener = start_listener(
        victim, model_server, "--tcp", "127.0.0.1:0", "--token-file", str(token_file)
    )
    proc, address = await anext(listener)
    try:
        port = int(address.rsplit(":", 1)[1])
        info = token_file.stat()
        assert stat.S_IMODE(info.st_mode) == 0o600 and info.st_uid == os.getuid()
        token = token_file.read_text().strip()
        assert len(token) >= 32

        # A web page POSTing a victor/chat to the port: closed without an answer.
        page = await RawClient.tcp(port)
        chat = json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "victor/chat", "params": {"message": "hello"}}
        ).encode()
        page.send_raw(
            b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(chat) + chat
        )
        assert await page.closed_without_answer()

        # Another local user: no token, or a guessed one, with the victim's home as workspace
        # and their own server as the base URL, everything sent at once.
        for presented in ({}, {"token": "guessed"}, {"token": token[:-1]}):
            peer = await RawClient.tcp(port)
            peer.send(initialize(1, victims_home, anthropicBaseUrl=attacker.url, **presented))
            peer.send({"method": "initialized", "params": {}})
            peer.send({"id": 2, "method": "victor/systemPrompt", "params": {}})
            peer.send(
                {"id": 3, "method": "victor/chat", "params": {"message": "cat ~/.bash_history"}}
            )
            refusal = await peer.receive()
            assert refusal is not None and refusal["id"] == 1 and "result" not in refusal
            assert "token" in refusal["error"]["message"]
            assert await peer.closed_without_answer()  # nothing after the refusal
            await peer.close()

        assert model_server.requests == [] and attacker.requests == []
        assert proc.returncode is None  # refusals do not stop the daemon

        # The user's editor, with the token: a normal session.
        editor = await RawClient.tcp(port)
        editor.send(initialize(1, tmp_path / "project", token=token))
        new_folder(tmp_path / "project", {"app.py": "x = 1\n"})
        init = await editor.response_to(1)
        assert init is not None and "capabilities" in init["result"]
        editor.send({"method": "initialized", "params": {}})
        editor.send({"id": 2, "method": "victor/chat", "params": {"message": "hello"}})
        answer = await editor.response_to(2)
        assert answer is not None and answer["result"]["content"] == "Echo: hello"
        # While a client is connected, nobody else gets in, token or not.
        second = await RawClient.tcp(port)
        second.send(initialize(1, victims_home, token=token))
        busy = await second.receive()
        assert busy is not None and "another client" in busy["error"]["message"]
        assert await second.closed_without_answer()
        editor.send({"id": 3, "method": "shutdown"})
        assert await editor.response_to(3) is not None
        editor.send({"method": "exit"})
        assert await asyncio.wait_for(proc.wait(), READ_TIMEOUT) == 0
    finally:
        await listener.aclose()

    assert attacker.requests == []
    sent = json.dumps([r.body for r in model_server.requests])
    assert "canary-history-1337" not in sent
    assert victim.leaks(attacker=attacker) == []
    assert not token_file.exists()  # removed when the daemon ends


async def test_unix_socket_is_private_and_strict(
    tmp_path: Path, victim: Victim, model_server: ModelServer
) -> None:
    path = tmp_path / "victor.sock"
    listener = start_listener(victim, model_server, "--socket", str(path))
    proc, _ = await anext(listener)
    try:
        info = path.stat()
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600

        http = await RawClient.unix(path)
        http.send_raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert await http.closed_without_answer()
        not_initialize = await RawClient.unix(path)
        not_initialize.send({"id": 1, "method": "victor/chat", "params": {"message": "hi"}})
        assert await not_initialize.closed_without_answer()

        editor = await RawClient.unix(path)
        editor.send(initialize(1, new_folder(tmp_path / "project", {"app.py": "x = 1\n"})))
        assert (await editor.response_to(1) or {}).get("result")
        editor.send({"method": "initialized", "params": {}})
        editor.send({"id": 2, "method": "victor/chat", "params": {"message": "hello"}})
        answer = await editor.response_to(2)
        assert answer is not None and answer["result"]["content"] == "Echo: hello"
        editor.send({"id": 3, "method": "shutdown"})
        await editor.response_to(3)
        editor.send({"method": "exit"})
        assert await asyncio.wait_for(proc.wait(), READ_TIMEOUT) == 0
    finally:
        await listener.aclose()
    assert not path.exists()
