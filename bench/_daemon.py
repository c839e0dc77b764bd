"""A running Victor daemon for the streaming benchmarks, and one timed ``victor/chat``."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common as c
from _lsp import LspClient, initialize_params

_tokens = itertools.count(1)


@dataclass
class Bench:
    client: LspClient
    root: Path
    home: Path
    model: c.ModelServerProcess

    @property
    def app_uri(self) -> str:
        return (self.root / c.APP_URI_NAME).as_uri()


@contextlib.asynccontextmanager
async def victor_daemon(ready_timeout: float = 30.0) -> AsyncIterator[Bench]:
    """Model server + workspace + ``python -m victor`` initialized, its folder agent ready."""
    home = Path(tempfile.mkdtemp(prefix="victor-bench-home-"))
    root = c.make_workspace(home)
    try:
        with c.ModelServerProcess() as model:
            client = await LspClient.spawn(
                c.victor_argv(), cwd=root, env=c.victor_env(home, model.url), name="victor"
            )
            try:
                await client.request("initialize", initialize_params(root), timeout=60)
                client.notify("initialized", {})
                deadline = time.monotonic() + ready_timeout
                while time.monotonic() < deadline:
                    status = await client.request("victor/status", {})
                    if status.get("ready"):
                        break
                    await asyncio.sleep(0.05)
                yield Bench(client, root, home, model)
            finally:
                await client.close()
    finally:
        shutil.rmtree(home, ignore_errors=True)


@dataclass
class ChatTiming:
    sent: float
    first_delta: float | None = None
    done: float | None = None
    progress: int = 0
    text_parts: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None

    @property
    def first_s(self) -> float:
        assert self.first_delta is not None
        return self.first_delta - self.sent

    @property
    def last_s(self) -> float:
        assert self.done is not None
        return self.done - self.sent

    @property
    def streamed(self) -> str:
        return "".join(self.text_parts)


async def new_session(client: LspClient, title: str = "bench") -> str:
    return (await client.request("victor/sessions/new", {"title": title}))["sessionId"]


async def timed_chat(
    client: LspClient, message: str, session_id: str | None, timeout: float = 120.0
) -> ChatTiming:
    """``victor/chat`` with a partialResultToken; stamps the first delta and the response."""
    token = f"bench-{next(_tokens)}"
    timing = ChatTiming(sent=0.0)

    def on_progress(params: Any, now: float) -> None:
        if params.get("token") != token:
            return
        delta = (params.get("value") or {}).get("delta")
        if delta is None:
            return
        timing.progress += 1
        timing.text_parts.append(delta)
        if timing.first_delta is None:
            timing.first_delta = now

    undo = client.on("$/progress", on_progress)
    try:
        params: dict[str, Any] = {"message": message, "partialResultToken": token}
        if session_id:
            params["sessionId"] = session_id
        timing.sent = time.perf_counter()
        _, future = client.send_request("victor/chat", params)
        timing.result, timing.done = await asyncio.wait_for(future, timeout)
    finally:
        undo()
    return timing
