"""Formatting generated code with the workspace's own formatter and configuration.

The formatter is the one the workspace declares (ruff, black, Prettier, clang-format) or, for
Go and Rust, the language's standard one; with nothing declared, a ruff/black/Prettier found
in the workspace's own environment is taken as its formatter. Executables are looked up in:

1. the workspace's own environment: ``<root>/.venv`` and ``<root>/venv`` (bin/ or Scripts/),
   and ``node_modules/.bin`` in the file's folder and each parent up to the root, **only when
   the folder is trusted** (a cloned repository can commit a ``.venv/bin/ruff`` of its own);
2. the running interpreter's bin folder (Victor's own environment, which may carry ruff/black);
3. ``PATH``; for an untrusted folder, only absolute entries outside the workspace.

Whatever runs gets ``scrubbed_env()``: no API keys or tokens in its environment. Prettier
loads JavaScript (``prettier.config.js``, plugins) from the workspace, so it runs only in a
trusted folder; ruff, black, gofmt, rustfmt and clang-format read data-only configuration.

Snippets that are not whole files (an indented method, a block body) are dedented, formatted
and re-indented; Python ones are wrapped in a function so blank-line rules come out as they
would inside a class or function. Any failure returns the original text with the reason.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from victor.workspace.formatter_config import declared_for, line_length_default
from victor.workspace.safe_exec import kill_process_group, scrubbed_env

_WRAP = "async def _victor_snippet():\n"  # async so `await` in the snippet stays valid
_IS_WINDOWS = os.name == "nt"


@dataclass(frozen=True, slots=True)
class FormatResult:
    text: str
    formatter: str | None  # the formatter used or tried ("ruff format", "prettier", ...)
    error: str | None = None  # why the original text came back, when formatting failed
    note: str | None = None  # why nothing was run, when no formatter applies


def find_executable(
    name: str,
    root: Path,
    start: Path | None = None,
    bin_dirs: Sequence[Path] | None = None,
    *,
    trusted: bool = False,
) -> str | None:
    """Where ``name`` runs from, in the lookup order of the module docstring; for an untrusted
    folder, never from inside ``root``.

    ``bin_dirs`` replaces the whole search (tests, embedders that pin their tools).
    """
    if not trusted:
        return _outside_workspace(name, root, bin_dirs)
    if bin_dirs is not None:
        return _first_in(name, list(bin_dirs))
    dirs: list[Path] = []
    for env in (".venv", "venv"):
        dirs.append(root / env / ("Scripts" if _IS_WINDOWS else "bin"))
    folder = (start or root).resolve()
    root_real = root.resolve()
    while True:
        dirs.append(folder / "node_modules" / ".bin")
        if folder == root_real or folder.parent == folder or root_real not in folder.parents:
            break
        folder = folder.parent
    dirs.append(Path(sys.executable).parent)
    return _first_in(name, dirs) or shutil.which(name)


def _outside_workspace(name: str, root: Path, bin_dirs: Sequence[Path] | None) -> str | None:
    """``name`` from Victor's environment or PATH, skipping every folder (and executable,
    after symlinks) inside the workspace, and PATH entries that are relative (``.``, empty:
    the current directory may be the workspace)."""
    root_real = Path(os.path.realpath(root))
    if bin_dirs is not None:
        dirs = list(bin_dirs)
    else:
        dirs = [Path(sys.executable).parent]
        dirs += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    for d in dirs:
        if not d.is_absolute() or _inside(Path(os.path.realpath(d)), root_real):
            continue
        found = shutil.which(name, path=str(d))
        if found and not _inside(Path(os.path.realpath(found)), root_real):
            return found
    return None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _first_in(name: str, dirs: list[Path]) -> str | None:
    for d in dirs:
        found = shutil.which(name, path=str(d))
        if found:
            return found
    return None


_TOOLS = {  # fact value -> executable
    "ruff format": "ruff",
    "black": "black",
    "prettier": "prettier",
    "gofmt": "gofmt",
    "rustfmt": "rustfmt",
    "clang-format": "clang-format",
}


def _choose(language: str | None, declared: str | None, root: Path, start: Path) -> str | None:
    if declared in _TOOLS:
        return declared
    # Nothing declared: a formatter installed in the workspace itself is its formatter.
    own = [root / ".venv", root / "venv"]
    if language == "python":
        for tool, exe in (("ruff format", "ruff"), ("black", "black")):
            if _first_in(exe, [d / ("Scripts" if _IS_WINDOWS else "bin") for d in own]):
                return tool
    if language in ("javascript", "typescript") and _first_in("prettier", _node_bins(root, start)):
        return "prettier"
    return {"go": "gofmt", "rust": "rustfmt"}.get(language or "")


def _node_bins(root: Path, start: Path) -> list[Path]:
    out, folder = [], start
    while True:
        out.append(folder / "node_modules" / ".bin")
        if folder == root or folder.parent == folder or root not in folder.parents:
            return out
        folder = folder.parent


def _command(tool: str, exe: str, path: Path, width: int | None) -> list[str]:
    if tool == "ruff format":
        return [exe, "format", "--stdin-filename", str(path), "-"] + (
            ["--line-length", str(width)] if width else []
        )
    if tool == "black":
        return [exe, "-q", "--stdin-filename", str(path), "-"] + (
            ["-l", str(width)] if width else []
        )
    if tool == "prettier":
        return [exe, "--stdin-filepath", str(path)] + (
            ["--print-width", str(width)] if width else []
        )
    if tool == "rustfmt":
        return [exe, "--emit", "stdout", "--edition", "2021"] + (
            ["--config", f"max_width={width}"] if width else []
        )
    if tool == "clang-format":
        return [exe, f"--assume-filename={path}", "--style=file"]
    return [exe]  # gofmt reads stdin, fragments included


@dataclass(frozen=True, slots=True)
class _Plan:
    tool: str
    cmd: list[str]
    cwd: Path
    source: str  # what goes to the formatter's stdin
    prefix: str  # indentation to put back
    wrapped: bool
    note: str | None  # passed on in the result (which executable an untrusted folder got)


def _plan(
    text: str, path: Path, root: Path, bin_dirs: Sequence[Path] | None, trusted: bool
) -> _Plan | FormatResult:
    """Everything that touches the disk, done before the subprocess (and off the loop)."""
    root = Path(os.path.realpath(root))
    path = Path(path) if Path(path).is_absolute() else root / path
    start = path.parent if path.parent.is_dir() else root
    try:
        language, facts = declared_for(path, root)
    except OSError as exc:
        return FormatResult(text, None, error=f"reading the workspace config failed: {exc}")
    declared = facts.get("formatter")
    if isinstance(declared, str) and declared not in _TOOLS:
        # yapf, pyink, biome...: the workspace's formatter, which Victor does not run; another
        # one would contradict it.
        return FormatResult(text, None, note=f"{declared} formats here; Victor does not run it")
    tool = _choose(language, declared, root, start)
    if tool is None:
        note = f"no formatter configured for {language or 'this file type'}"
        return FormatResult(text, None, note=note)
    limited = "this folder is not trusted (limited mode)"
    if tool == "prettier" and not trusted:
        note = f"prettier not run: {limited}, and prettier loads JavaScript from the workspace"
        return FormatResult(text, None, note=note)
    exe = find_executable(_TOOLS[tool], root, start, bin_dirs, trusted=trusted)
    if exe is None and not trusted:
        note = f"{tool} not run: {limited}; no {_TOOLS[tool]} found outside the workspace"
        return FormatResult(text, None, note=note)
    if exe is None:
        return FormatResult(text, None, note=f"{tool} is the formatter here but is not installed")
    prefix, body = _split_indent(text)
    wrapped = language == "python" and bool(prefix)
    width = None
    unit = 0
    if prefix and tool in ("ruff format", "black", "prettier", "rustfmt"):
        # The re-indented lines must still fit the workspace's limit.
        full = facts.get("line_length") or line_length_default(tool)
        unit = int(facts.get("indent_size") or 4) if wrapped else 0
        width = max(20, int(full) - len(prefix.expandtabs(4)) + unit)
    source = _wrap(body, unit) if wrapped else body
    cwd = start if tool == "rustfmt" else root  # rustfmt finds its config from the cwd
    note = None if trusted else f"{limited}: {_TOOLS[tool]} from outside the workspace ({exe})"
    return _Plan(tool, _command(tool, exe, path, width), cwd, source, prefix, wrapped, note)


async def format_code(
    text: str,
    path: Path,
    root: Path,
    timeout: float = 10.0,
    *,
    bin_dirs: Sequence[Path] | None = None,
    trusted: bool = False,
) -> FormatResult:
    """``text`` as the workspace's formatter would write it at ``path`` (which need not exist).

    ``trusted``: whether the folder may run its own executables (see the module docstring)."""
    plan = await asyncio.to_thread(_plan, text, path, root, bin_dirs, trusted)
    if isinstance(plan, FormatResult):
        return plan
    out, err = await _run(plan.cmd, plan.source, plan.cwd, timeout)
    if err is not None:
        return FormatResult(text, plan.tool, error=f"{plan.tool}: {err}", note=plan.note)
    assert out is not None
    if plan.wrapped:
        out = _unwrap(out)
        if out is None:
            error = f"{plan.tool}: unexpected snippet output"
            return FormatResult(text, plan.tool, error=error, note=plan.note)
    result = _reindent(out, plan.prefix)
    if not text.endswith("\n"):
        result = result.rstrip("\n")
    return FormatResult(result, plan.tool, note=plan.note)


async def _run(
    cmd: list[str], text: str, cwd: Path, timeout: float
) -> tuple[str | None, str | None]:
    try:
        proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=str(cwd),
            env=scrubbed_env(),  # never the user's API keys
            # Its own process group, so a timeout also ends what a wrapper script started
            # (node_modules/.bin entries are often shell scripts).
            start_new_session=not _IS_WINDOWS,
        )
    except OSError as exc:
        return None, f"could not start: {exc}"
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(text.encode()), timeout)
    except TimeoutError:
        kill_process_group(proc)
        await proc.wait()
        return None, f"timed out after {timeout:g}s"
    if proc.returncode != 0:
        lines = [ln for ln in stderr.decode(errors="replace").splitlines() if ln.strip()]
        return None, (lines[0] if lines else f"exit status {proc.returncode}")[:300]
    return stdout.decode(errors="replace"), None


def _split_indent(text: str) -> tuple[str, str]:
    """(common leading whitespace of the non-blank lines, the text without it)."""
    lines = text.split("\n")
    leads = [ln[: len(ln) - len(ln.lstrip())] for ln in lines if ln.strip()]
    if not leads:
        return "", text
    prefix = os.path.commonprefix(leads)
    if not prefix:
        return "", text
    return prefix, "\n".join(ln[len(prefix) :] if ln.strip() else "" for ln in lines)


def _wrap(body: str, unit: int) -> str:
    pad = " " * (unit or 4)
    inner = "\n".join(pad + ln if ln.strip() else "" for ln in body.strip("\n").split("\n"))
    return _WRAP + inner + "\n"


def _unwrap(out: str) -> str | None:
    if not out.startswith(_WRAP.rstrip("\n")):
        return None
    _, body = _split_indent(out[len(_WRAP) :])
    return body.strip("\n") + "\n"


def _reindent(text: str, prefix: str) -> str:
    if not prefix:
        return text
    return "\n".join(prefix + ln if ln.strip() else "" for ln in text.split("\n"))
