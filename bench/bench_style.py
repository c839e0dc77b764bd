"""Benchmark of the workspace style machinery on a real code base (Django's sdist).

    python bench/bench_style.py [--quick] [--json PATH] [--workspace DIR] [--django VERSION]

Downloads the Django sdist once with ``pip download --no-deps --no-binary :all:`` into
bench/.cache, extracts it and works on a temporary copy (the edit test writes to it). Prints:

- cold: scan of the workspace and the first card (``WorkspaceStyle.scan_sync``), against a
  naive per-request uncached resolution (``editorconfig.get_properties`` plus reading every
  config up the tree, per call);
- warm: the system-prompt sections built by StyleCardContributor + RulesContributor +
  FileContextContributor for varying files (1,000 builds; 200 with --quick), p50/p95/p99,
  against the same naive uncached resolution per build. Each build has another background
  buffer open; the copy is made a git work tree (with Django's .gitignore), so the file
  context asks git whether that buffer is ignored, as in a user's checkout;
- update: from a pyproject.toml edit to the card showing it, with the watcher running.

Targets (2 cores): cold < 1 s, warm p95 < 5 ms, update < 1 s. Timings are printed with their
targets; nothing fails on a missed target (shared machines are noisy).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

try:
    import editorconfig

    from victor.protocols import PromptContext
    from victor.workspace.contributors import (
        FileContextContributor,
        RulesContributor,
        StyleCardContributor,
    )
    from victor.workspace.file_context import FileContextInput
    from victor.workspace.formatter_config import declared_for
    from victor.workspace.git_ignore import GitIgnoreChecker
    from victor.workspace.style import WorkspaceStyle
except ImportError:  # started with another interpreter: run again with the project's venv
    _venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
    if _venv.exists() and Path(sys.executable) != _venv:
        os.execv(str(_venv), [str(_venv), *sys.argv])
    raise

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache"
DJANGO_VERSION = "5.1.4"
RULES_TEXT = "# Agent rules\n\n" + "".join(
    f"- Rule {i}: keep functions short and documented; prefer explicit imports.\n"
    for i in range(30)
)
EDITORCONFIG_TEXT = """root = true

[*]
indent_style = space
indent_size = 4
insert_final_newline = true
trim_trailing_whitespace = true
end_of_line = lf
charset = utf-8

[*.py]
max_line_length = 88

[*.{html,js,css}]
indent_size = 2

[*.{yml,yaml}]
indent_size = 2

[Makefile]
indent_style = tab
"""

# Django's own .gitignore (its sdist does not ship it).
GITIGNORE_TEXT = """*.egg-info
*.pot
*.py[co]
.tox/
__pycache__
MANIFEST
dist/
docs/_build/
docs/locale/
node_modules/
tests/coverage_html/
tests/.coverage*
build/
tests/report/
tests/screenshots/
"""

# --------------------------------------------------------------------------- the workspace


def fetch_django(version: str) -> Path:
    """The extracted Django sdist in bench/.cache (downloaded on first use)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    extracted = CACHE / f"django-{version}"
    if (extracted / "pyproject.toml").exists():
        return extracted
    archives = list(CACHE.glob(f"[Dd]jango-{version}.tar.gz"))
    if not archives:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        cmd += [f"django=={version}", "-d", str(CACHE), "-q"]
        print("downloading:", " ".join(cmd[2:]), flush=True)
        subprocess.run(cmd, check=True)
        archives = list(CACHE.glob(f"[Dd]jango-{version}.tar.gz"))
    tmp = CACHE / f".extract-{os.getpid()}"
    with tarfile.open(archives[0]) as tar:
        try:
            tar.extractall(tmp, filter="data")
        except TypeError:  # Python < 3.11.4 has no extraction filters
            tar.extractall(tmp)  # a PyPI sdist of a pinned version
    (tmp / f"Django-{version}").rename(extracted)
    shutil.rmtree(tmp, ignore_errors=True)
    return extracted


def make_git_checkout(root: Path) -> None:
    """Make the copy a git work tree of its own, with Django's .gitignore, as a user's
    checkout is: the file context then asks git which background buffers it ignores (outside
    any repository nothing is ignored, and git is never asked)."""
    (root / ".gitignore").write_text(GITIGNORE_TEXT)
    subprocess.run(["git", "init", "-q", str(root)], check=True)


def python_files(root: Path, limit: int) -> list[Path]:
    found = sorted(p for p in root.rglob("*.py") if "tests" not in p.parts[len(root.parts) :][:1])
    step = max(1, len(found) // limit)
    return found[::step][:limit]


# --------------------------------------------------------------------------- measurements


def pct(values: list[float], p: float) -> float:
    data = sorted(values)
    if not data:
        return float("nan")
    rank = (len(data) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(data) - 1)
    return data[low] + (data[high] - data[low]) * (rank - low)


def naive_request(file: Path, root: Path) -> None:
    """What an uncached implementation does per request: the editorconfig package's lookup and
    every declaring config up the tree read and parsed again, plus the rules files."""
    editorconfig.get_properties(str(file))
    declared_for(file, root)
    for name in ("AGENTS.md", "CLAUDE.md"):
        path = root / name
        if path.exists():
            path.read_text()


def cold(root: Path, runs: int) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        style = WorkspaceStyle(root)
        style.scan_sync()
        style.style_card(root / "django" / "db" / "models" / "query.py").render()
        times.append(time.perf_counter() - start)
    snap = style.snapshot
    assert snap is not None
    return {
        "median_s": statistics.median(times),
        "min_s": min(times),
        "runs": runs,
        "folders": len(snap.dirs),
        "files_by_language": snap.language_counts,
    }


async def warm(root: Path, builds: int) -> dict[str, Any]:
    style = WorkspaceStyle(root)
    style.scan_sync()
    contributors = [
        StyleCardContributor(style),
        RulesContributor(style),
        FileContextContributor(root),
    ]
    files = python_files(root, 200)
    texts = {f: f.read_text(errors="replace") for f in files}
    contexts = []
    for i in range(builds):
        f = files[i % len(files)]
        other = files[(i * 7 + 3) % len(files)]
        lines = texts[f].count("\n") or 1
        inp = FileContextInput(
            active_path=f,
            active_text=texts[f],
            position=((i * 37) % lines, 4),
            diagnostics=[
                {
                    "range": {"start": {"line": (i * 11) % lines, "character": 0}},
                    "severity": 2,
                    "message": "line too long",
                    "source": "flake8",
                    "code": "E501",
                }
            ],
            open_documents={other: texts[other]},
        )
        contexts.append(PromptContext(file=str(f), file_context=inp))
    # As the editor does: a buffer is opened (didOpen: git is asked then, in a thread) some
    # time before a prompt is built with it. Each build has another buffer open.
    checker = GitIgnoreChecker()
    contributors[2] = FileContextContributor(root, git_ignore=checker)
    per_part: dict[str, list[float]] = {c.name: [] for c in contributors}
    totals = []
    cpu = []  # CPU time of the build: what it costs without other processes' interference
    size = 0
    for ctx in contexts:
        opened = list(ctx["file_context"].open_documents)
        await asyncio.to_thread(checker.ignored, root, opened)
        start = time.perf_counter()
        cpu_start = time.thread_time()
        parts = []
        for contrib in contributors:
            t0 = time.perf_counter()
            parts.append(await contrib.get_contribution(ctx))
            per_part[contrib.name].append(time.perf_counter() - t0)
        totals.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - cpu_start)
        size = max(size, sum(len(p) for p in parts))
    checker.close()
    # The same builds with buffers git was never asked about (a build right after didOpen):
    # the answer comes from the folder's running git, in a thread.
    unasked = []
    fresh_checker = GitIgnoreChecker()
    fresh = FileContextContributor(root, git_ignore=fresh_checker)
    for ctx in contexts:
        start = time.perf_counter()
        await fresh.get_contribution(ctx)
        unasked.append(time.perf_counter() - start)
    fresh_checker.close()
    peer = []
    for ctx in contexts[: max(50, builds // 5)]:
        start = time.perf_counter()
        naive_request(Path(ctx["file"]), root)
        peer.append(time.perf_counter() - start)
    lib_only = []
    for ctx in contexts[: max(50, builds // 5)]:
        start = time.perf_counter()
        editorconfig.get_properties(ctx["file"])
        lib_only.append(time.perf_counter() - start)
    return {
        "builds": builds,
        "distinct_files": len(files),
        "p50_ms": pct(totals, 50) * 1e3,
        "p95_ms": pct(totals, 95) * 1e3,
        "p99_ms": pct(totals, 99) * 1e3,
        "max_ms": max(totals) * 1e3,
        "cpu_p95_ms": pct(cpu, 95) * 1e3,
        "p95_by_part_ms": {k: pct(v, 95) * 1e3 for k, v in per_part.items()},
        "file_context_unasked_p50_ms": pct(unasked, 50) * 1e3,
        "file_context_unasked_p95_ms": pct(unasked, 95) * 1e3,
        "largest_prompt_chars": size,
        "peer_naive_p50_ms": pct(peer, 50) * 1e3,
        "peer_naive_p95_ms": pct(peer, 95) * 1e3,
        "peer_editorconfig_get_properties_p50_ms": pct(lib_only, 50) * 1e3,
    }


async def update(root: Path, edits: int) -> dict[str, Any]:
    style = WorkspaceStyle(root)
    await style.start(watch=True)
    await style.wait_ready(60)
    await asyncio.sleep(2.5)  # past the start-up catch-up checks: measure the watcher itself
    probe = root / "django" / "db" / "models" / "query.py"
    pyproject = root / "pyproject.toml"
    original = pyproject.read_text()
    latencies = []
    try:
        for i in range(edits):
            width = 90 + i
            pyproject.write_text(
                original.replace("[tool.black]", f"[tool.black]\nline-length = {width}")
            )
            start = time.perf_counter()
            while style.style_card(probe).value("line_length") != width:
                if time.perf_counter() - start > 10:
                    break
                await asyncio.sleep(0.002)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.2)
    finally:
        pyproject.write_text(original)
        await style.stop()
    return {
        "edits": edits,
        "p50_ms": statistics.median(latencies) * 1e3,
        "max_ms": max(latencies) * 1e3,
    }


# --------------------------------------------------------------------------- report


def figure(
    group: str, name: str, value: float, unit: str, target: float | None, note: str = ""
) -> dict[str, Any]:
    """One figure in the shape bench/run_all.py reads (group, name, value, unit, target, met)."""
    met = None if target is None else value <= target
    shown = f"< {target:g} {unit}" if target is not None else ""
    return {
        "group": group,
        "name": name,
        "value": round(value, 3),
        "unit": unit,
        "target": shown,
        "met": met,
        "note": note,
    }


def run(root: Path, quick: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="victor-bench-style-"))
    try:
        copy = work / root.name
        shutil.copytree(root, copy, symlinks=True)
        (copy / "AGENTS.md").write_text(RULES_TEXT)  # so the rules section has work to do
        # Django's repository has an .editorconfig that its sdist does not ship: one like it.
        (copy / ".editorconfig").write_text(EDITORCONFIG_TEXT)
        make_git_checkout(copy)
        c = cold(copy, 1 if quick else 3)
        w = asyncio.run(warm(copy, 200 if quick else 1000))
        u = asyncio.run(update(copy, 3 if quick else 10))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    figures = [
        figure(
            "style",
            "cold scan + first card",
            c["median_s"] * 1e3,
            "ms",
            1000,
            f"{c['folders']} folders, {sum(c['files_by_language'].values())} source files",
        ),
        figure("style", "warm prompt build p50", w["p50_ms"], "ms", None),
        figure("style", "warm prompt build p95", w["p95_ms"], "ms", 5),
        figure("style", "warm prompt build p95, CPU time", w["cpu_p95_ms"], "ms", None),
        figure(
            "style",
            "file context, buffer not asked about before: p95",
            w["file_context_unasked_p95_ms"],
            "ms",
            None,
            f"p50 {w['file_context_unasked_p50_ms']:.2f} ms; git asked in a thread",
        ),
        figure(
            "style",
            "peer: uncached per-request p95",
            w["peer_naive_p95_ms"],
            "ms",
            None,
            "editorconfig.get_properties + configs re-read per call",
        ),
        figure(
            "style",
            "peer: editorconfig.get_properties p50",
            w["peer_editorconfig_get_properties_p50_ms"],
            "ms",
            None,
        ),
        figure("style", "config edit -> updated card p50", u["p50_ms"], "ms", 1000),
        figure("style", "config edit -> updated card max", u["max_ms"], "ms", 1000),
    ]
    return {"name": "style", "figures": figures, "details": {"cold": c, "warm": w, "update": u}}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer builds and edits (CI)")
    ap.add_argument("--json", type=Path, help="write the results to this file")
    ap.add_argument("--workspace", type=Path, help="benchmark this folder instead of Django")
    ap.add_argument("--django", default=DJANGO_VERSION, help="Django version to download")
    args = ap.parse_args(argv)
    root = args.workspace.resolve() if args.workspace else fetch_django(args.django)
    result = run(root, args.quick)
    result["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "workspace": root.name,
        "quick": args.quick,
    }
    print(
        f"\nstyle benchmark on {root.name} ({os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}{', quick' if args.quick else ''})"
    )
    for f in result["figures"]:
        status = {True: "met", False: "MISSED", None: ""}[f["met"]]
        print(
            f"  {f['name']:<42} {f['value']:>10.2f} {f['unit']:<3} {f['target']:<10} {status:<6} "
            f"{f['note']}"
        )
    parts = result["details"]["warm"]["p95_by_part_ms"]
    print("  warm p95 by contributor:", ", ".join(f"{k} {v:.3f} ms" for k, v in parts.items()))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
