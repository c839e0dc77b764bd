"""Shared pieces of the benchmark scripts: paths, the venv, statistics, figures and tables,
the benchmark workspace, the local model server, and the commands that start each server.

Figures are printed with their target and whether it is met on this run; nothing here asserts
a timing (the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "results"
CACHE = BENCH / ".cache"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"

if str(REPO) not in sys.path:  # tests.support.model_server
    sys.path.insert(0, str(REPO))


def ensure_venv() -> None:
    """Re-run this script with the project's venv Python when started with another one."""
    if not VENV_PYTHON.exists() or os.environ.get("VICTOR_BENCH_NO_REEXEC"):
        return
    if Path(sys.prefix).resolve() == (REPO / ".venv").resolve():
        return
    os.environ["VICTOR_BENCH_NO_REEXEC"] = "1"
    os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), *sys.argv])


def python() -> str:
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


# --------------------------------------------------------------------------- arguments


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="fewer repetitions (CI)")
    p.add_argument("--json", type=Path, help="write the results here (default bench/results/)")
    return p


# --------------------------------------------------------------------------- statistics


def median(values: Iterable[float]) -> float:
    data = list(values)
    return statistics.median(data) if data else float("nan")


def percentile(values: Iterable[float], pct: float) -> float:
    """Linear-interpolated percentile (pct in 0..100)."""
    data = sorted(values)
    if not data:
        return float("nan")
    if len(data) == 1:
        return data[0]
    rank = (len(data) - 1) * pct / 100.0
    low = int(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


# --------------------------------------------------------------------------- figures


@dataclass
class Figure:
    """One measured figure, with its target when it has one (``met`` None = no target)."""

    group: str
    name: str
    value: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def shown(self) -> str:
        if self.value is None:
            return "n/a"
        if self.unit == "x":
            return f"{self.value:.2f}x"
        if self.unit == "MB":
            return f"{self.value:.1f} MB"
        if self.unit == "ms":
            return f"{self.value:.2f} ms" if abs(self.value) < 10 else f"{self.value:.1f} ms"
        return f"{self.value:g} {self.unit}".strip()

    def status(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.met]


def check(value: float | None, limit: float, *, at_most: bool = True) -> bool | None:
    if value is None or value != value:  # None or NaN
        return None
    return value <= limit if at_most else value >= limit


def table(figures: list[Figure], title: str = "") -> str:
    rows = [("group", "figure", "value", "target", "status", "note")]
    for f in figures:
        rows.append((f.group, f.name, f.shown(), f.target, f.status(), f.note))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    lines = [title] if title else []
    for i, row in enumerate(rows):
        cells = [row[c].ljust(widths[c]) for c in range(5)] + [row[5]]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def report(name: str, figures: list[Figure], details: dict[str, Any], path: Path | None) -> dict:
    """Print the table, write JSON (``path`` or bench/results/NAME.json); return the data."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(table(figures, f"\n== {name} == (load average {load} on {os.cpu_count()} cores)"))
    data = {
        "benchmark": name,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine(),
        "figures": [asdict(f) for f in figures],
        "details": details,
    }
    target = path or RESULTS / f"{name}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data, indent=2, default=str) + "\n")
    print(f"(written to {_rel(target)})", flush=True)
    return data


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    node = ""
    if shutil.which("node"):
        node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "node": node.strip(),
        "load": os.getloadavg(),
    }


# --------------------------------------------------------------------------- workspace

_APP = '''"""A small application module: the kind of file a user edits."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass
class Item:
    name: str
    price: float
    tags: list[str]


def slugify(value: str) -> str:
    """Lower-case, dashes for runs of other characters."""
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")


def total(items: list[Item]) -> float:
    return round(sum(item.price for item in items), 2)


def by_tag(items: list[Item], tag: str) -> list[Item]:
    # Generate a function that groups items by their first tag
    return [item for item in items if tag in item.tags]
'''


def make_workspace(parent: Path | None = None) -> Path:
    """A small Python project (the same for every server): pyproject, a package, tests."""
    root = Path(tempfile.mkdtemp(prefix="victor-bench-ws-", dir=parent))
    (root / "pyproject.toml").write_text(
        '[project]\nname = "shop"\nversion = "0.1.0"\n\n[tool.ruff]\nline-length = 100\n'
    )
    (root / ".editorconfig").write_text("root = true\n\n[*.py]\nindent_size = 4\n")
    pkg = root / "shop"
    pkg.mkdir()
    (pkg / "__init__.py").write_text('"""Shop."""\n')
    (pkg / "app.py").write_text(_APP)
    for i in range(12):
        body = "\n\n".join(
            f"def helper_{i}_{j}(value: int) -> int:\n"
            f'    """Helper {j} of module {i}."""\n    return value * {j} + {i}\n'
            for j in range(15)
        )
        (pkg / f"mod_{i}.py").write_text(f'"""Module {i}."""\n\n\n{body}')
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_app.py").write_text(
        "from shop.app import slugify\n\n\ndef test_slugify():\n"
        '    assert slugify("A b") == "a-b"\n'
    )
    return root


APP_URI_NAME = "shop/app.py"


def base_env(home: Path) -> dict[str, str]:
    """Environment for every server: the caller's, with user dirs moved to ``home`` and no
    model keys (each benchmark adds what it needs)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "OPENAI_", "VICTOR_", "GITHUB_", "GH_", "COPILOT"))
    }
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[var] = str(home / sub)
    env["VICTOR_DATA_DIR"] = str(home / "victor-data")
    env.pop("VICTOR_BENCH_NO_REEXEC", None)
    return env


def victor_env(home: Path, model_url: str | None) -> dict[str, str]:
    env = base_env(home)
    if model_url:
        env["ANTHROPIC_BASE_URL"] = model_url
        env["ANTHROPIC_API_KEY"] = "bench-key"
        env["VICTOR_PROVIDER"] = "anthropic"
        env["VICTOR_MODEL"] = "claude-sonnet-4-5"
    return env


def victor_argv() -> list[str]:
    return [python(), "-m", "victor"]


# --------------------------------------------------------------------------- model server


class ModelServerProcess:
    """``python -m tests.support.model_server --port 0`` in its own process, so its work does
    not share a GIL with the client that takes the timings."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> ModelServerProcess:
        self.proc = subprocess.Popen(
            [python(), "-m", "tests.support.model_server", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("READY "):
            self.proc.kill()
            raise RuntimeError(f"model server did not start: {line!r}")
        self.url = line.split(" ", 1)[1]
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def _post(self, path: str, payload: Any) -> Any:
        req = urllib.request.Request(
            self.url + path,
            data=json.dumps(payload).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"null")

    def script(self, *replies: dict[str, Any]) -> None:
        self._post("/_control/script", {"replies": list(replies)})

    def reset(self) -> None:
        self._post("/_control/reset", {})

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid


# --------------------------------------------------------------------------- peers


def install_jedi() -> list[str] | str:
    """argv of jedi-language-server (installed into bench/.cache/jedi on demand), or why not."""
    target = CACHE / "jedi"
    if not (target / "jedi_language_server").is_dir():
        print("installing jedi-language-server into bench/.cache/jedi ...", flush=True)
        done = subprocess.run(
            [python(), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            + ["--target", str(target), "jedi-language-server"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"pip install jedi-language-server failed: {done.stderr.strip()[-300:]}"
    # -c rather than bin/jedi-language-server: the script's shebang is whatever pip used.
    code = (
        f"import sys; sys.path.insert(0, {str(target)!r}); "
        "from jedi_language_server.cli import cli; sys.exit(cli())"
    )
    return [python(), "-c", code]


def install_copilot() -> dict[str, list[str]] | str:
    """argv of @github/copilot-language-server (npm, bench/.cache/copilot), or why not.

    Two ways to start it: the package's ``bin`` (``node dist/language-server.js``; on Node
    older than 22.13 that launcher runs the platform binary as a child process) and that
    platform binary directly."""
    prefix = CACHE / "copilot"
    pkg = prefix / "node_modules" / "@github" / "copilot-language-server"
    if not (pkg / "dist" / "language-server.js").exists():
        if not shutil.which("npm"):
            return "npm is not installed"
        print("installing @github/copilot-language-server into bench/.cache/copilot ...")
        done = subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(prefix)]
            + ["@github/copilot-language-server"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            return f"npm install failed: {done.stderr.strip()[-300:]}"
    out: dict[str, list[str]] = {}
    node = shutil.which("node")
    if node:
        out["npm bin"] = [node, str(pkg / "dist" / "language-server.js"), "--stdio"]
    arch = {"x86_64": "x64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
    native = (
        prefix
        / "node_modules"
        / "@github"
        / f"copilot-language-server-linux-{arch}"
        / "copilot-language-server"
    )
    if native.exists():
        out["native"] = [str(native), "--stdio"]
    return out or "no way to start it (neither node nor the platform binary)"


def copilot_init_options() -> dict[str, Any]:
    # The README asks for editorInfo / editorPluginInfo in initializationOptions.
    return {
        "editorInfo": {"name": "victor-bench", "version": "1.0"},
        "editorPluginInfo": {"name": "victor-bench", "version": "1.0"},
    }
