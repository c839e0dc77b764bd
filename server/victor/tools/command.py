"""run_command: the agent runs a check (tests, a linter, a type checker) in the workspace.

Offered only in trusted folders. Each command is an argv (no shell: no pipes, globs or
``$VARS``), runs with its working directory inside the folder, the scrubbed environment of
``safe_exec`` (no API keys or tokens), a timeout, in its own process group (killed whole on
timeout or when the turn is cancelled), with its output streamed and capped. A command runs
only if the user's allowlist for the folder allows it or the user says so when asked.
"""

from __future__ import annotations

import asyncio
import codecs
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

from victor.protocols import CommandDecision, ToolSpec
from victor.tools.access import WorkspaceAccess
from victor.tools.base import CURRENT_CALL_ID, Tool, ToolError, ToolResult
from victor.workspace.safe_exec import kill_process_group, scrubbed_env

#: what the model gets of the output: the head and the tail (test summaries are at the end)
OUTPUT_HEAD_CHARS = 8_000
OUTPUT_TAIL_CHARS = 24_000
#: what is streamed to the editor; past it the chat shows a note, the command goes on
STREAM_CAP_CHARS = 200_000
READ_CHUNK = 8192
_IS_WINDOWS = os.name == "nt"


class Allowlist(Protocol):
    def allows(self, folder: Path, argv: list[str]) -> bool: ...
    def allow(self, folder: Path, argv: list[str]) -> bool: ...


Approve = Callable[[list[str], Path], Awaitable[CommandDecision]]
#: reviews the pending changes before the command runs; returns what to tell the model
BeforeRun = Callable[[], Awaitable[str | None]]
Output = Callable[[str, str], None]


def shown_command(argv: list[str]) -> str:
    import shlex

    return shlex.join(argv)


class RunCommandTool(Tool):
    spec = ToolSpec(
        name="run_command",
        description=(
            "Run a command in the workspace to check your work: tests, a linter, a type "
            "checker, a build. command is the argv list (no shell: no pipes, redirections, "
            'globs or variables), e.g. ["pytest", "-q", "tests/test_app.py"]. cwd is a '
            "folder relative to the workspace root (default: the root). The user approves "
            "each command unless they allowed it before; your pending edits are shown to them "
            "for review first, so the command sees what they accepted. Returns the exit "
            "status and the output (long output is cut in the middle)."
        ),
        input_schema={
            "type": "object",
            "properties": {
                "command": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": 'Program and arguments, e.g. ["pytest", "-q"].',
                },
                "cwd": {"type": "string", "description": "Working folder, relative; default '.'"},
            },
            "required": ["command"],
            "additionalProperties": False,
        },
    )

    def __init__(
        self,
        access: WorkspaceAccess,
        *,
        allowlist: Allowlist,
        approve: Approve,
        before_run: BeforeRun,
        output: Output,
        timeout: float,
        trusted: Callable[[], bool] = lambda: True,
    ) -> None:
        self.access = access
        self.trusted = trusted
        self.allowlist = allowlist
        self.approve = approve
        self.before_run = before_run
        self.output = output
        self.timeout = timeout

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        argv = arguments["command"]
        if not self.trusted():  # trust can be revoked while a turn runs
            raise ToolError("this folder is no longer trusted: commands cannot run here")
        if not argv or not all(isinstance(a, str) and a and "\0" not in a for a in argv):
            raise ToolError("command must be a non-empty list of non-empty strings")
        cwd = await asyncio.to_thread(self._cwd, arguments.get("cwd") or ".")
        root = self.access.root
        line = shown_command(argv)
        if not await asyncio.to_thread(self.allowlist.allows, root, argv):
            decision = await self.approve(argv, cwd)
            if decision == "deny":
                raise ToolError(f"the user denied running `{line}`; do not run it again")
            if decision == "always":
                await asyncio.to_thread(self.allowlist.allow, root, argv)
        review = await self.before_run()
        env = scrubbed_env({"PATH": self._path()})
        exe = await asyncio.to_thread(self._executable, argv[0], cwd, env["PATH"])
        status, text = await self._run([exe, *argv[1:]], cwd, env)
        where = self.access.shown(cwd)
        parts = [review] if review else []
        parts += [f"$ {line}   (in {where})", status, text or "(no output)"]
        return ToolResult("\n".join(parts), is_error=False)

    def _cwd(self, given: str) -> Path:
        real = self.access.resolve(given)
        if not real.is_dir():
            raise ToolError(f"cwd {given}: not a folder of the workspace")
        return real

    def _path(self) -> str:
        """PATH with the folder's own virtualenv first (the folder is trusted: its tools are
        what its tests run with)."""
        own = [str(self.access.root / env / "bin") for env in (".venv", "venv")]
        rest = scrubbed_env().get("PATH", os.defpath)
        return os.pathsep.join([*(d for d in own if os.path.isdir(d)), rest])

    def _executable(self, name: str, cwd: Path, path: str) -> str:
        if "/" in name or (os.sep != "/" and os.sep in name):
            # a script of the workspace (./scripts/check.sh): confined like every path
            real = self.access.resolve(os.path.relpath(cwd / name, self.access.root))
            if not os.access(real, os.X_OK) or not real.is_file():
                raise ToolError(f"{name}: not an executable file of the workspace")
            return str(real)
        found = shutil.which(name, path=path)
        if found is None:
            raise ToolError(f"{name}: command not found (PATH and the folder's .venv searched)")
        return found

    async def _run(self, argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[str, str]:
        call_id = CURRENT_CALL_ID.get()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=str(cwd),
                env=env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=not _IS_WINDOWS,  # its own group: killed whole
            )
        except OSError as exc:
            raise ToolError(f"could not start {argv[0]}: {exc}") from exc
        collected = _Collected()
        decoder = codecs.getincrementaldecoder("utf-8")("replace")
        streamed = 0
        timed_out = False

        async def pump() -> None:
            nonlocal streamed
            assert proc.stdout is not None
            while chunk := await proc.stdout.read(READ_CHUNK):
                text = decoder.decode(chunk)
                collected.add(text)
                if streamed < STREAM_CAP_CHARS and text:
                    piece = text[: STREAM_CAP_CHARS - streamed]
                    streamed += len(piece)
                    if streamed >= STREAM_CAP_CHARS:
                        piece += "\n[output shown here stops; the command goes on]\n"
                    self.output(call_id, piece)
            collected.add(decoder.decode(b"", final=True))
            await proc.wait()

        try:
            await asyncio.wait_for(pump(), self.timeout)
        except TimeoutError:
            timed_out = True
        finally:
            if proc.returncode is None:  # timed out, or the turn was cancelled
                kill_process_group(proc)
        if timed_out:
            await proc.wait()
            status = f"timed out after {self.timeout:g}s (setting agentCommandTimeout); killed"
        else:
            status = f"exit status {proc.returncode}"
        return status, collected.text()


class _Collected:
    """The head and the tail of a long output, with a note on what was cut."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.head_len = 0
        self.tail = ""
        self.total = 0

    def add(self, text: str) -> None:
        self.total += len(text)
        room = OUTPUT_HEAD_CHARS - self.head_len
        if room > 0:
            self.head.append(text[:room])
            self.head_len += min(room, len(text))
            text = text[room:]
        if text:
            self.tail = (self.tail + text)[-OUTPUT_TAIL_CHARS:]

    def text(self) -> str:
        head = "".join(self.head)
        cut = self.total - len(head) - len(self.tail)
        if cut > 0:
            return f"{head}\n[... {cut} characters of output cut ...]\n{self.tail}"
        return head + self.tail
