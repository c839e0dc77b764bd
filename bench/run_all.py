"""Run every benchmark, each in its own process, then print one table of all figures.

    python bench/run_all.py [--quick] [--json PATH] [--only NAME ...]

Each script writes bench/results/NAME.json; the combined results go to PATH (default
bench/results/all.json). ``--quick`` (CI) uses fewer repetitions and takes a couple of
minutes. Nothing here fails on a missed target: figures are printed with their targets.
A benchmark that crashes is reported and the others still run; the exit code is then 1.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import _common as c

SCRIPTS = {
    "startup": "bench_startup.py",
    "streaming": "bench_streaming.py",
    "responsiveness": "bench_responsiveness.py",
    "concurrency": "bench_concurrency.py",
    "context": "bench_context.py",
    "style": "bench_style.py",  # prompt build; written and owned separately, run as it is
    "inline": "bench_inline.py",
    "cost": "bench_cost.py",  # input billed over a 40-turn session, per prompt layout
    # facts correct on real packages; with --quick a subset; unfetchable packages are skipped
    "style_accuracy": "bench_style_accuracy.py",
}


def run_one(name: str, script: Path, quick: bool) -> dict[str, Any]:
    out = c.RESULTS / f"{name}.json"
    out.unlink(missing_ok=True)
    argv = [c.python(), str(script)]
    if quick:
        argv.append("--quick")
    argv += ["--json", str(out)]
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=c.REPO)
    if done.returncode == 2 and name == "style":
        # bench_style.py may not take our flags: run it bare and keep what it prints.
        done = subprocess.run([c.python(), str(script)], cwd=c.REPO)
    seconds = time.perf_counter() - start
    entry: dict[str, Any] = {"seconds": round(seconds, 1), "returncode": done.returncode}
    if out.exists():
        try:
            entry["result"] = json.loads(out.read_text())
        except ValueError:
            entry["result"] = None
    return entry


def figures_of(entry: dict[str, Any]) -> list[c.Figure]:
    result = entry.get("result") or {}
    out = []
    for f in result.get("figures") or []:
        if isinstance(f, dict) and {"group", "name", "value", "unit"} <= f.keys():
            out.append(c.Figure(**{k: f[k] for k in c.Figure.__dataclass_fields__ if k in f}))
    return out


def main(argv: list[str] | None = None) -> int:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--only", nargs="*", choices=sorted(SCRIPTS), help="run only these")
    args = p.parse_args(argv)
    names = args.only or list(SCRIPTS)
    c.RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    runs: dict[str, Any] = {}
    failed = []
    for name in names:
        script = c.BENCH / SCRIPTS[name]
        if not script.exists():
            print(f"\n== {name} ==\n{script.name} is not there yet: skipped", flush=True)
            runs[name] = {"skipped": f"{script.name} not found"}
            continue
        print(f"\n### {name} ({script.name})", flush=True)
        runs[name] = run_one(name, script, args.quick)
        if runs[name]["returncode"] != 0:
            failed.append(name)
            print(f"{script.name} exited with {runs[name]['returncode']}", flush=True)
    total = time.perf_counter() - start
    figures = [f for name in names for f in figures_of(runs.get(name, {}))]
    mode = "quick" if args.quick else "full"
    print(c.table(figures, f"\n==== all figures ({mode} run, {total:.0f} s) ===="))
    missed = [f for f in figures if f.met is False]
    met = [f for f in figures if f.met is True]
    print(f"\ntargets met: {len(met)}, missed: {len(missed)}")
    for f in missed:
        print(f"  MISSED  {f.group}: {f.name} = {f.shown()} (target {f.target})")
    for name in names:
        entry = runs.get(name, {})
        state = entry.get("skipped") or f"{entry.get('seconds')} s, exit {entry.get('returncode')}"
        print(f"  {name}: {state}")
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}")
    combined = {
        "mode": mode,
        "seconds": round(total, 1),
        "machine": c.machine(),
        "figures": [f.__dict__ for f in figures],
        "runs": runs,
    }
    target = args.json or c.RESULTS / "all.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(combined, indent=2, default=str) + "\n")
    print(f"(written to {target})")
    return 1 if failed else 0


if __name__ == "__main__":
    c.ensure_venv()
    sys.exit(main(sys.argv[1:]))
