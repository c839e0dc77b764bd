"""A minimal JSON-RPC 2.0 client over a child process's stdio (LSP base protocol).

Only what the benchmarks need: requests with receive timestamps, notifications, answers to
the few requests servers send to clients (``workspace/configuration``, capability
registration, progress creation), and a clean shutdown that never leaves the child behind.
Every message gets a ``time.perf_counter()`` stamp the moment it has been read and parsed.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Handler = Callable[[Any, float], None]


class LspError(Exception):
    def __init__(self, method: str, error: dict[str, Any]) -> None:
        super().__init__(f"{method}: {error.get('code')} {error.get('message')}")
        self.code = error.get("code")
        self.error = error


class ServerExited(Exception):
    pass


def default_server_request(method: str, params: Any) -> Any:
    """Answers a plain editor would give: no settings, accept registrations."""
    if method == "workspace/configuration":
        items = (params or {}).get("items") or []
        return [None for _ in items]
    if method == "workspace/applyEdit":
        return {"applied": False}
    return None


class LspClient:
    def __init__(self, proc: asyncio.subprocess.Process, name: str) -> None:
        self.proc = proc
        self.name = name
        self._ids = itertools.count(1)
        self._pending: dict[int, tuple[str, asyncio.Future[tuple[Any, float]]]] = {}
        self._handlers: dict[str, list[Handler]] = {}
        self.server_request: Callable[[str, Any], Any] = default_server_request
        self.received = 0
        self._reader = asyncio.ensure_future(self._read_loop())
        self._stderr = asyncio.ensure_future(self._drain_stderr())
        self.stderr_tail: list[bytes] = []

    # ------------------------------------------------------------------ start and stop

    @classmethod
    async def spawn(
        cls,
        argv: list[str],
        *,
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        name: str = "",
    ) -> LspClient:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(cwd) if cwd else None,
            env=env,
            start_new_session=True,  # its own process group: children are stopped with it
            limit=1 << 20,
        )
        return cls(proc, name or Path(argv[0]).name)

    @property
    def pid(self) -> int:
        return self.proc.pid

    async def close(self, timeout: float = 3.0) -> None:
        """``shutdown`` + ``exit``; then SIGTERM, then SIGKILL to the process group."""
        if self.proc.returncode is None:
            with contextlib.suppress(Exception):
                await self.request("shutdown", None, timeout=timeout)
                self.notify("exit", None)
            with contextlib.suppress(Exception):
                self.proc.stdin.close()  # type: ignore[union-attr]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.proc.wait(), timeout)
        self.kill_group()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.proc.wait(), timeout)
        for task in (self._reader, self._stderr):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task

    def kill_group(self) -> None:
        """Stop what is left of this server's own process group (helpers it spawned)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
            except (ProcessLookupError, PermissionError):
                return
            time.sleep(0.05)

    # ------------------------------------------------------------------ sending

    def _write(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, separators=(",", ":")).encode()
        stdin = self.proc.stdin
        if stdin is None or stdin.is_closing():
            raise ServerExited(f"{self.name}: stdin closed")
        stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def notify(self, method: str, params: Any) -> None:
        self._write({"jsonrpc": "2.0", "method": method, "params": params})

    def send_request(self, method: str, params: Any) -> tuple[int, asyncio.Future]:
        """Send now; the future resolves to ``(result, receive_time)``."""
        rid = next(self._ids)
        future: asyncio.Future[tuple[Any, float]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = (method, future)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self._write(message)
        return rid, future

    async def request_timed(
        self, method: str, params: Any, timeout: float = 30.0
    ) -> tuple[Any, float]:
        _, future = self.send_request(method, params)
        return await asyncio.wait_for(future, timeout)

    async def request(self, method: str, params: Any, timeout: float = 30.0) -> Any:
        result, _ = await self.request_timed(method, params, timeout)
        return result

    def cancel(self, rid: int) -> None:
        self.notify("$/cancelRequest", {"id": rid})

    # ------------------------------------------------------------------ receiving

    def on(self, method: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler(params, receive_time)`` for each notification; returns an undo."""
        self._handlers.setdefault(method, []).append(handler)
        return lambda: self._handlers[method].remove(handler)

    async def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None
        try:
            while True:
                header = await stdout.readuntil(b"\r\n\r\n")
                length = 0
                for line in header.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = await stdout.readexactly(length)
                now = time.perf_counter()
                self.received += 1
                self._dispatch(json.loads(body), now)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            error = ServerExited(f"{self.name} closed its output")
            for _, future in self._pending.values():
                if not future.done():
                    future.set_exception(error)
            self._pending.clear()

    def _dispatch(self, message: dict[str, Any], now: float) -> None:
        if "method" in message:
            method, params = message["method"], message.get("params")
            if "id" in message:  # a request from the server
                try:
                    result = self.server_request(method, params)
                    reply = {"jsonrpc": "2.0", "id": message["id"], "result": result}
                except Exception as exc:  # noqa: BLE001 - answer, never die
                    reply = {
                        "jsonrpc": "2.0",
                        "id": message["id"],
                        "error": {"code": -32603, "message": str(exc)},
                    }
                with contextlib.suppress(ServerExited):
                    self._write(reply)
                return
            for handler in list(self._handlers.get(method, ())):
                handler(params, now)
            return
        entry = self._pending.pop(message.get("id"), None)  # type: ignore[arg-type]
        if entry is None:
            return
        method, future = entry
        if future.done():
            return
        if "error" in message:
            future.set_exception(LspError(method, message["error"]))
        else:
            future.set_result((message.get("result"), now))

    async def _drain_stderr(self) -> None:
        stderr = self.proc.stderr
        assert stderr is not None
        while True:
            line = await stderr.readline()
            if not line:
                return
            self.stderr_tail.append(line)
            del self.stderr_tail[:-40]


def initialize_params(root: Path, *, name: str = "victor-bench", options: Any = None) -> dict:
    """The same ``initialize`` params for every server (a modest, typical editor)."""
    uri = root.as_uri()
    return {
        "processId": os.getpid(),
        "clientInfo": {"name": name, "version": "1.0"},
        "rootUri": uri,
        "rootPath": str(root),
        "workspaceFolders": [{"uri": uri, "name": root.name}],
        "capabilities": {
            "workspace": {
                "configuration": True,
                "workspaceFolders": True,
                "didChangeConfiguration": {"dynamicRegistration": True},
                "applyEdit": True,
            },
            "textDocument": {
                "synchronization": {"didSave": True, "dynamicRegistration": True},
                "codeAction": {
                    "codeActionLiteralSupport": {
                        "codeActionKind": {"valueSet": ["", "quickfix", "refactor", "source"]}
                    }
                },
                "completion": {"completionItem": {"snippetSupport": True}},
                "hover": {"contentFormat": ["markdown", "plaintext"]},
            },
            "window": {"workDoneProgress": True, "showMessage": {}},
            "general": {"positionEncodings": ["utf-16"]},
        },
        "initializationOptions": options,
        "trace": "off",
    }


def process_tree(pid: int) -> list[int]:
    """``pid`` and every live descendant."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: fields follow the last ')'
        ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        todo.extend(children.get(current, ()))
    return out


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS of ``pid`` plus every descendant in KiB, how many processes that is)."""
    total = count = 0
    for current in process_tree(pid):
        try:
            with open(f"/proc/{current}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        count += 1
                        break
        except OSError:
            continue
    return total, count


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) used so far by ``pid`` and its descendants, reaped ones
    included. Less sensitive to a busy machine than wall time (10 ms resolution)."""
    total = 0
    for current in process_tree(pid):
        try:
            with open(f"/proc/{current}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        # utime, stime, cutime, cstime are fields 14-17 (1-based), 11-14 here
        total += sum(int(x) for x in fields[11:15])
    return total / _TICK
