"""A raw, synchronous JSON-RPC client for the real Victor daemon (``python -m victor``).

Why not pytest-lsp here: the reliability tests need to send bytes no typed client would send
(wrong param types, deep nesting, non-object params), SIGKILL the process at any moment, read
its RSS, keep every byte it wrote to stdout and stderr, and run one daemon for a whole test
module under Hypothesis. A thread-based client does all of that without event-loop scoping.

``Daemon.start(model_url, data_dir, folders, ...)`` starts the process and runs
``initialize``/``initialized``. Every message received is kept in ``received`` (parsed) and
``stdout_bytes`` (raw); stderr in ``stderr_bytes``. Requests the server makes are answered:
``workspace/configuration`` with ``configuration``, ``workspace/applyEdit`` with
``applied: apply_edits`` (and recorded), everything else with ``null``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

SERVER_COMMAND = [sys.executable, "-m", "victor"]
# Generous: CI and development machines are shared; a slow answer is not a wrong one.
REQUEST_TIMEOUT = 60.0
_SCRUBBED_PREFIXES = ("VICTOR_", "ANTHROPIC_", "OPENAI_")

#: figures for the CI size and the full size (``VICTOR_RELIABILITY_FULL=1``)
FULL = os.environ.get("VICTOR_RELIABILITY_FULL", "") not in ("", "0")


def size(ci: int, full: int) -> int:
    return full if FULL else ci


class RpcError(Exception):
    """A JSON-RPC error response."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code")
        self.message = error.get("message")
        self.data = error.get("data")


class DaemonDied(Exception):
    """The daemon's stdout closed while a request was waiting."""


def server_env(
    model_url: str, data_dir: Path, api_key: str, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        {
            "ANTHROPIC_API_KEY": api_key,
            "ANTHROPIC_BASE_URL": model_url,
            "VICTOR_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",  # SIGABRT on a hang prints every thread's stack
        }
    )
    env.update(extra or {})
    return env


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


class Daemon:
    def __init__(self, proc: subprocess.Popen[bytes], folders: list[Path]) -> None:
        self.proc = proc
        self.folders = folders
        self.received: list[dict[str, Any]] = []
        self.stdout_bytes = bytearray()
        self.stderr_bytes = bytearray()
        self.partials: dict[Any, list[dict[str, Any]]] = {}
        self.notifications: dict[str, list[Any]] = {}
        self.server_requests: list[dict[str, Any]] = []
        self.applied_edits: list[dict[str, Any]] = []
        self.apply_edits = True
        self.configuration: dict[str, Any] | None = None
        self.init_result: dict[str, Any] | None = None
        #: why shutdown() had to kill the daemon (with its threads' stacks), if it did
        self.hang_report = ""
        self._pending: dict[Any, Future[Any]] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._closed = threading.Event()
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._err_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        self._err_reader.start()

    # ------------------------------------------------------------------ start / stop

    @classmethod
    def start(
        cls,
        model_url: str,
        data_dir: Path,
        folders: list[Path],
        *,
        api_key: str = "test-key",
        init_options: dict[str, Any] | None = None,
        configuration: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        initialize: bool = True,
        timeout: float = REQUEST_TIMEOUT,
    ) -> Daemon:
        proc = subprocess.Popen(
            [*SERVER_COMMAND, *(args or [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=server_env(model_url, data_dir, api_key, env),
            cwd=str(data_dir),
        )
        daemon = cls(proc, list(folders))
        daemon.configuration = configuration
        if initialize:
            try:
                daemon.initialize(init_options, timeout=timeout)
            except BaseException:
                daemon.kill()
                raise
        return daemon

    def initialize_params(self, init_options: dict[str, Any] | None) -> dict[str, Any]:
        folders = [{"uri": uri_of(f), "name": f.name} for f in self.folders]
        return {
            "processId": os.getpid(),
            "rootUri": folders[0]["uri"] if folders else None,
            "workspaceFolders": folders,
            "initializationOptions": init_options,
            "capabilities": {
                "workspace": {
                    "applyEdit": True,
                    "configuration": self.configuration is not None,
                    "workspaceFolders": True,
                },
                "window": {"workDoneProgress": True},
                "textDocument": {"synchronization": {"didSave": True}},
            },
        }

    def initialize(self, init_options: dict[str, Any] | None, timeout: float) -> None:
        params = self.initialize_params(init_options)
        self.init_result = self.request("initialize", params, timeout=timeout)
        self.notify("initialized", {})

    def shutdown(self, timeout: float = 30.0) -> int | None:
        """shutdown + exit; returns the exit code. A daemon that does not exit in time gets
        SIGABRT first (faulthandler then prints every thread's stack to its stderr, kept in
        ``hang_report``), then SIGKILL."""
        if self.proc.poll() is None:
            started = time.monotonic()
            try:
                self.request("shutdown", None, timeout=timeout)
            except Exception as exc:  # noqa: BLE001 - reported below
                self.hang_report += f"shutdown request: {type(exc).__name__}: {exc}\n"
            with contextlib.suppress(Exception):
                self.notify("exit", None)
            try:
                self.proc.wait(max(1.0, timeout - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                mark = len(self.stderr_bytes)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.proc.pid, signal.SIGABRT)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.proc.wait(3)
                self.kill()
                tail = bytes(self.stderr_bytes[mark:]).decode("utf-8", "replace")
                self.hang_report += f"no exit {timeout}s after shutdown; stacks:\n{tail}"
        self._finish()
        return self.proc.returncode

    def stop_cleanly(self, timeout: float = 30.0) -> None:
        """shutdown + exit, and insist on exit code 0 (with the hang report if not)."""
        code = self.shutdown(timeout)
        assert code == 0, f"daemon exit code {code}\n{self.hang_report[-6000:]}"

    def kill(self) -> None:
        """SIGKILL, and wait for the process to be gone."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._finish()

    def _finish(self) -> None:
        for stream in (self.proc.stdin,):
            with contextlib.suppress(Exception):
                stream.close()  # type: ignore[union-attr]
        self._reader.join(10)
        self._err_reader.join(10)

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def rss_kb(self) -> int:
        """VmRSS of the daemon in kB (from /proc)."""
        return _status_kb(self.proc.pid, "VmRSS")

    def hwm_kb(self) -> int:
        """VmHWM (peak RSS) of the daemon in kB."""
        return _status_kb(self.proc.pid, "VmHWM")

    # ------------------------------------------------------------------ messages

    def send_message(self, message: dict[str, Any]) -> None:
        body = json.dumps(message, ensure_ascii=False).encode("utf-8")
        self.send_raw(body)

    def send_raw(self, body: bytes) -> None:
        data = frame(body)
        with self._write_lock:
            try:
                self.proc.stdin.write(data)  # type: ignore[union-attr]
                self.proc.stdin.flush()  # type: ignore[union-attr]
            except (BrokenPipeError, ValueError, OSError) as exc:
                raise DaemonDied(f"cannot write to the daemon: {exc}") from exc

    def send(self, method: str, params: Any = None, *, raw_params: bytes | None = None):
        """Send a request: (id, Future of the result). ``raw_params`` is inserted as is."""
        msg_id = uuid.uuid4().hex
        future: Future[Any] = Future()
        with self._lock:
            if self._closed.is_set():
                raise DaemonDied("the daemon's stdout is closed")
            self._pending[msg_id] = future
        if raw_params is None:
            self.send_message({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
        else:
            head = json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method})[:-1]
            self.send_raw(head.encode() + b', "params": ' + raw_params + b"}")
        return msg_id, future

    def request(
        self,
        method: str,
        params: Any = None,
        *,
        timeout: float = REQUEST_TIMEOUT,
        raw_params: bytes | None = None,
    ) -> Any:
        """Send and wait: the result, or RpcError for an error response."""
        msg_id, future = self.send(method, params, raw_params=raw_params)
        try:
            return future.result(timeout)
        except FutureTimeout:
            with self._lock:
                self._pending.pop(msg_id, None)
            raise TimeoutError(f"{method}: no response within {timeout}s") from None

    def run_command(self, params: dict[str, Any], timeout: float = 30.0) -> str:
        """``workspace/executeCommand``: it answers at once (null) and the work reports with
        work-done progress; waits for the progress to end and returns its message."""
        created = "window/workDoneProgress/create"

        def tokens() -> set[Any]:
            return {m["params"]["token"] for m in self.server_requests if m["method"] == created}

        known = tokens()
        result = self.request("workspace/executeCommand", params, timeout=timeout)
        assert result is None, result

        def ended() -> str | None:
            for token in tokens() - known:
                for value in self.partials.get(token, []):
                    if isinstance(value, dict) and value.get("kind") == "end":
                        return value.get("message") or "(no message)"
            return None

        return self.wait_for(ended, timeout)

    def notify(self, method: str, params: Any = None) -> None:
        self.send_message({"jsonrpc": "2.0", "method": method, "params": params})

    def cancel(self, msg_id: Any) -> None:
        self.notify("$/cancelRequest", {"id": msg_id})

    def streamed(
        self, method: str, params: dict[str, Any], timeout: float = REQUEST_TIMEOUT
    ) -> tuple[Any, list[dict[str, Any]], RpcError | None]:
        """Send with a partialResultToken: (result or None, partials, error or None)."""
        token = f"partial-{uuid.uuid4().hex[:8]}"
        result: Any = None
        error: RpcError | None = None
        try:
            result = self.request(method, {**params, "partialResultToken": token}, timeout=timeout)
        except RpcError as exc:
            error = exc
        time.sleep(0.05)  # anything sent after the response would show up now
        return result, list(self.partials.get(token, [])), error

    # ------------------------------------------------------------------ documents

    def open(self, path: Path, text: str, language_id: str = "python") -> str:
        uri = uri_of(path)
        self.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": language_id, "version": 1, "text": text}},
        )
        return uri

    def close_document(self, uri: str) -> None:
        self.notify("textDocument/didClose", {"textDocument": {"uri": uri}})

    # ------------------------------------------------------------------ reading

    def _read_stdout(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        try:
            while True:
                length = None
                while True:
                    line = stream.readline()
                    if not line:
                        return
                    self.stdout_bytes += line
                    if line in (b"\r\n", b"\n"):
                        break
                    name, _, value = line.decode("ascii", "replace").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                if length is None:
                    continue
                body = stream.read(length)
                self.stdout_bytes += body
                if len(body) < length:
                    return
                self._dispatch(json.loads(body))
        finally:
            self._closed.set()
            with self._lock:
                pending, self._pending = self._pending, {}
            for future in pending.values():
                if not future.done():
                    future.set_exception(DaemonDied("the daemon exited before answering"))

    def _read_stderr(self) -> None:
        stream = self.proc.stderr
        assert stream is not None
        while chunk := stream.read1(65536):  # type: ignore[attr-defined]
            self.stderr_bytes += chunk

    def _dispatch(self, msg: dict[str, Any]) -> None:
        self.received.append(msg)
        method = msg.get("method")
        if method is None:
            with self._lock:
                future = self._pending.pop(msg.get("id"), None)
            if future is not None and not future.done():
                if "error" in msg:
                    future.set_exception(RpcError(msg["error"]))
                else:
                    future.set_result(msg.get("result"))
            return
        params = msg.get("params")
        if "id" in msg:
            self.server_requests.append(msg)
            threading.Thread(target=self._answer, args=(msg,), daemon=True).start()
            return
        if method == "$/progress" and isinstance(params, dict):
            self.partials.setdefault(params.get("token"), []).append(params.get("value"))
        self.notifications.setdefault(method, []).append(params)

    def _answer(self, msg: dict[str, Any]) -> None:
        method, params = msg["method"], msg.get("params") or {}
        result: Any = None
        if method == "workspace/configuration":
            result = [
                (self.configuration or {}) if item.get("section") == "victor" else None
                for item in params.get("items", [])
            ]
        elif method == "workspace/applyEdit":
            self.applied_edits.append(params)
            result = {"applied": self.apply_edits}
        with contextlib.suppress(DaemonDied):
            self.send_message({"jsonrpc": "2.0", "id": msg["id"], "result": result})

    # ------------------------------------------------------------------ reading helpers

    def stderr_text(self) -> str:
        return bytes(self.stderr_bytes).decode("utf-8", "replace")

    def messages_of(self, method: str) -> list[Any]:
        return list(self.notifications.get(method, []))

    def wait_for(self, check: Any, timeout: float = 30.0, interval: float = 0.05) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = check()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"condition still false after {timeout}s (last: {value!r})")
            time.sleep(interval)

    def wait_ready(self, timeout: float = 20.0) -> dict[str, Any]:
        """victor/status until every folder's style scan finished."""
        return self.wait_for(
            lambda: (s := self.request("victor/status", {}))["ready"] and s, timeout, 0.1
        )


def _status_kb(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(f"{field} not in /proc/{pid}/status")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def session_db(data_dir: Path) -> Path:
    """The one session database under ``data_dir/workspaces``."""
    found = sorted((data_dir / "workspaces").glob("*.sqlite3"))
    assert len(found) == 1, f"expected one session database, found {found}"
    return found[0]


def snapshot_tree(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """path -> (mode, mtime_ns, content) for every file and link under ``root``."""
    out: dict[str, tuple[int, int, bytes]] = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(directory) / name
            st = path.lstat()
            if path.is_symlink():
                content = os.readlink(path).encode()
            elif path.is_file():
                content = path.read_bytes()
            else:
                content = b""
            out[str(path.relative_to(root))] = (st.st_mode, st.st_mtime_ns, content)
    return out
