"""Start-up and idle memory: Victor against jedi-language-server and copilot-language-server.

For each server, the same minimal client (bench/_lsp.py), the same workspace and the same
``initialize`` params:

- spawn -> ``initialize`` result;
- spawn -> first answer to a status request sent right after ``initialized``: ``victor/status``
  for Victor, ``checkStatus {localChecksOnly: true}`` for Copilot; jedi-language-server has no
  such request, so only ``initialize`` is measured for it;
- idle RSS: VmRSS of the server and all its child processes, a few seconds after
  ``initialized`` (for Victor, after ``victor/status`` says ``ready``: its folder agent is
  up and the style scan has finished).

Runs are interleaved (one run of each server in turn, the order rotating), after one untimed
warm-up run each; figures are medians. Peers are installed into bench/.cache on first use; a
peer that cannot be installed or started is reported and skipped.

    python bench/bench_startup.py [--quick] [--json PATH]
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _common as c
from _lsp import LspClient, cpu_seconds, initialize_params, rss_kib


@dataclass
class Server:
    key: str
    label: str
    argv: list[str]
    env: dict[str, str]
    status: tuple[str, Any] | None
    init_options: Any = None
    init: list[float] = field(default_factory=list)
    status_times: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    processes: int = 0
    errors: list[str] = field(default_factory=list)


async def one_run(server: Server, root: Path, settle: float, record: bool) -> None:
    t0 = time.perf_counter()
    client = await LspClient.spawn(server.argv, cwd=root, env=server.env, name=server.key)
    try:
        _, t_init = await client.request_timed(
            "initialize", initialize_params(root, options=server.init_options), timeout=60
        )
        cpu = cpu_seconds(client.pid)
        client.notify("initialized", {})
        t_status = None
        if server.status is not None:
            _, t_status = await client.request_timed(*server.status, timeout=60)
        if server.key == "victor":  # idle = its folder agent is up and the style scan done
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if (await client.request("victor/status", {})).get("ready"):
                    break
                await asyncio.sleep(0.05)
        await asyncio.sleep(settle)
        rss, procs = rss_kib(client.pid)
        if record:
            server.init.append(t_init - t0)
            server.cpu.append(cpu)
            if t_status is not None:
                server.status_times.append(t_status - t0)
            server.rss.append(rss / 1024.0)
            server.processes = procs
    except Exception as exc:  # a peer that fails must not stop the benchmark
        tail = b"".join(client.stderr_tail[-5:]).decode(errors="replace").strip()
        server.errors.append(f"{type(exc).__name__}: {exc} {tail[-400:]}")
    finally:
        await client.close()


def servers(home: Path) -> tuple[list[Server], list[str]]:
    notes: list[str] = []
    # Victor as a user with an API key runs it: the Anthropic provider (nothing is contacted
    # at start-up; the URL is never reached).
    out = [
        Server(
            "victor",
            "victor (python -m victor)",
            c.victor_argv(),
            c.victor_env(home, "http://127.0.0.1:9"),
            ("victor/status", {}),
        )
    ]
    jedi = c.install_jedi()
    if isinstance(jedi, str):
        notes.append(f"jedi-language-server skipped: {jedi}")
        print(notes[-1], flush=True)
    else:
        out.append(Server("jedi", "jedi-language-server", jedi, c.base_env(home), None))
    copilot = c.install_copilot()
    if isinstance(copilot, str):
        notes.append(f"copilot-language-server skipped: {copilot}")
        print(notes[-1], flush=True)
    else:
        for kind, argv in copilot.items():
            out.append(
                Server(
                    f"copilot-{kind.replace(' ', '-')}",
                    f"copilot-language-server ({kind})",
                    argv,
                    c.base_env(home),
                    ("checkStatus", {"localChecksOnly": True}),
                    init_options=c.copilot_init_options(),
                )
            )
    return out, notes


async def run(quick: bool) -> tuple[list[c.Figure], dict[str, Any]]:
    reps = 3 if quick else 7
    settle = 1.5 if quick else 3.0
    home = Path(tempfile.mkdtemp(prefix="victor-bench-home-"))
    root = c.make_workspace(home)
    try:
        todo, notes = servers(home)
        for server in todo:  # warm-up: page cache, .pyc files, first-run set-up of each peer
            await one_run(server, root, 0.2, record=False)
            if server.errors:
                print(f"{server.label}: could not be started: {server.errors[-1]}", flush=True)
        live = [s for s in todo if not s.errors]
        for s in todo:
            if s.errors:
                notes.append(f"{s.label} skipped: {s.errors[-1][:300]}")
        for rep in range(reps):
            order = live[rep % len(live) :] + live[: rep % len(live)]
            for server in order:
                await one_run(server, root, settle, record=True)
            print(f"  start-up run {rep + 1}/{reps} done", flush=True)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return figures(todo, notes), details(todo, notes, reps, settle)


def _med(values: list[float]) -> float | None:
    return c.median(values) if values else None


def _cpu_note(server: Server) -> str:
    return f"CPU {c.ms(c.median(server.cpu)):.0f} ms" if server.cpu else ""


def _cpu_ratio(a: Server, b: Server) -> str:
    if not (a.cpu and b.cpu and c.median(b.cpu)):
        return "n/a"
    return f"{c.median(a.cpu) / c.median(b.cpu):.2f}x"


def figures(todo: list[Server], notes: list[str]) -> list[c.Figure]:
    by = {s.key: s for s in todo}
    victor = by["victor"]
    v_init = _med(victor.init)
    v_status = _med(victor.status_times)
    v_rss = _med(victor.rss)
    g = "start-up"
    out = [
        c.Figure(
            g,
            "victor: spawn -> initialize",
            c.ms(v_init) if v_init else None,
            "ms",
            "< 300 ms",
            c.check(v_init, 0.3),
            _cpu_note(victor),
        ),
        c.Figure(
            g,
            "victor: spawn -> victor/status",
            c.ms(v_status) if v_status else None,
            "ms",
            "< 300 ms",
            c.check(v_status, 0.3),
        ),
    ]
    peers = [s for s in todo if s.key != "victor"]
    for peer in peers:
        p_init = _med(peer.init)
        if p_init is None:
            out.append(c.Figure(g, f"{peer.label}: initialize", None, "ms", note="not run"))
            continue
        out.append(
            c.Figure(
                g, f"{peer.label}: spawn -> initialize", c.ms(p_init), "ms", note=_cpu_note(peer)
            )
        )
        p_status = _med(peer.status_times)
        if p_status is not None:
            out.append(c.Figure(g, f"{peer.label}: spawn -> checkStatus", c.ms(p_status), "ms"))
    jedi = by.get("jedi")
    if jedi and jedi.init and v_init:
        ratio = v_init / c.median(jedi.init)
        out.append(
            c.Figure(
                g,
                "victor/jedi initialize",
                round(ratio, 3),
                "x",
                "<= 0.7x",
                c.check(ratio, 0.7),
                f"CPU time {_cpu_ratio(victor, jedi)}; jedi has no status request",
            )
        )
    for peer in (p for p in peers if p.key.startswith("copilot") and p.init):
        ratio = v_init / c.median(peer.init) if v_init else None
        out.append(
            c.Figure(
                g,
                f"victor/{peer.label} initialize",
                round(ratio, 3) if ratio else None,
                "x",
                "<= 0.5x",
                c.check(ratio, 0.5),
                f"CPU time {_cpu_ratio(victor, peer)}",
            )
        )
        if peer.status_times and v_status:
            ratio = v_status / c.median(peer.status_times)
            out.append(
                c.Figure(
                    g,
                    f"victor/{peer.label} status",
                    round(ratio, 3),
                    "x",
                    "<= 0.5x",
                    c.check(ratio, 0.5),
                    "victor/status vs checkStatus",
                )
            )
    g = "idle RSS"
    out.append(
        c.Figure(
            g,
            f"victor ({victor.processes} process(es))",
            round(v_rss, 1) if v_rss else None,
            "MB",
            "< 80 MB",
            c.check(v_rss, 80),
        )
    )
    for peer in peers:
        p_rss = _med(peer.rss)
        out.append(
            c.Figure(
                g,
                f"{peer.label} ({peer.processes} process(es))",
                round(p_rss, 1) if p_rss else None,
                "MB",
            )
        )
        if peer.key.startswith("copilot") and p_rss and v_rss:
            ratio = v_rss / p_rss
            out.append(
                c.Figure(
                    g, f"victor/{peer.label}", round(ratio, 3), "x", "<= 0.5x", c.check(ratio, 0.5)
                )
            )
    for note in notes:
        out.append(c.Figure("start-up", "note", None, "", note=note))
    return out


def details(todo: list[Server], notes: list[str], reps: int, settle: float) -> dict[str, Any]:
    return {
        "repetitions": reps,
        "settle_seconds": settle,
        "notes": notes,
        "servers": {
            s.key: {
                "label": s.label,
                "argv": s.argv,
                "initialize_s": s.init,
                "status_s": s.status_times,
                "status_request": s.status[0] if s.status else None,
                "idle_rss_mb": s.rss,
                "cpu_to_initialize_s": s.cpu,
                "processes": s.processes,
                "errors": s.errors,
            }
            for s in todo
        },
    }


def main(argv: list[str] | None = None) -> dict:
    args = c.parser(__doc__.splitlines()[0]).parse_args(argv)
    figs, det = asyncio.run(run(args.quick))
    return c.report("startup", figs, det, args.json)


if __name__ == "__main__":
    c.ensure_venv()
    main(sys.argv[1:])
