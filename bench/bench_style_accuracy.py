"""How right ``victor style`` is on real code: facts correct / wrong / missing per package.

    python bench/bench_style_accuracy.py [--quick] [--cached-only] [--json PATH] [--only NAME ...]
                                         [--show]

The packages and the truth about each are in bench/style_truth.toml: pinned versions of real
public packages (Python, JavaScript/TypeScript, Go, Rust), and for a few representative files
of each, the facts a correct card states, each with its evidence (the config file and setting
that says so, or what the code measurably does). Packages are fetched from their registries on
first use with the ordinary clients - PyPI sdists with ``pip download``, npm tarballs with
``npm pack``, Go and Rust sources from Debian's source-carrying ``golang-*-dev`` /
``librust-*-dev`` packages with ``apt-get download`` - and kept in bench/.cache.

For every listed file the card comes from the machinery ``victor style`` uses
(``WorkspaceStyle.scan_sync`` + ``style_card``) with the package folder as the workspace.
A fact the truth lists is *correct* when the card states that value, *wrong* when it states
another one, *missing* when it states none. ``absent`` in the truth means the card must not
state the key at all (stating it counts as wrong). Every declared (not observed) source on
every card is also checked to be literally true: the file it names exists and says so.

A package that cannot be fetched (no network, a registry that dropped the version, Debian
package lists not yet loaded: run ``apt-get update`` once) is reported as skipped; it never
fails the run. Target: >= 98% of facts correct, every source true.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

try:
    from victor.workspace.card import StyleCard
    from victor.workspace.style import WorkspaceStyle
except ImportError:  # started with another interpreter: run again with the project's venv
    _venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "python"
    if _venv.exists() and Path(sys.executable) != _venv:
        os.execv(str(_venv), [str(_venv), *sys.argv])
    raise

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".cache" / "accuracy"
TRUTH = REPO / "bench" / "style_truth.toml"
TARGET_PCT = 98.0
FETCH_TIMEOUT_S = 300
# Quick mode (CI): a subset that still covers the four languages.
QUICK = ("yapf", "flask", "chalk", "buffer", "pkg-errors", "memchr")


# --------------------------------------------------------------------------- fetching


class FetchError(Exception):
    """The package could not be fetched or extracted (reported, never fatal)."""


def _run(cmd: list[str], cwd: Path) -> None:
    try:
        done = subprocess.run(
            cmd, cwd=cwd, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"{cmd[0]}: {exc}") from exc
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
        raise FetchError(f"{' '.join(cmd[:3])}: {(lines or ['failed'])[-1][:200]}")


def _extract_tar(archive: Path, dest: Path) -> None:
    with tarfile.open(archive) as tar:
        try:
            tar.extractall(dest, filter="data")
        except TypeError:  # Python < 3.11.4 has no extraction filters
            tar.extractall(dest)  # a registry archive of a pinned version


def fetch(pkg: dict[str, Any], cached_only: bool) -> Path:
    """The package's source folder in the cache (downloaded and extracted on first use)."""
    key = f"{pkg['name']}-{re.sub(r'[^A-Za-z0-9.+~-]', '_', pkg['spec'])}"
    base = CACHE / key
    root = base / pkg["root"]
    if root.is_dir():
        return root
    if cached_only:
        raise FetchError("not in bench/.cache and --cached-only")
    downloads = CACHE / "downloads" / key
    shutil.rmtree(downloads, ignore_errors=True)
    downloads.mkdir(parents=True)
    tmp = CACHE / f".extract-{os.getpid()}-{key}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        if pkg["registry"] == "pypi":
            if shutil.which("pip") is None and not _has_pip():
                raise FetchError("pip is not available")
            _run(
                [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
                + [pkg["spec"], "-d", str(downloads), "-q"],
                downloads,
            )
            archives = list(downloads.glob("*.tar.gz"))
            if not archives:
                raise FetchError("pip download left no sdist")
            _extract_tar(archives[0], tmp)
        elif pkg["registry"] == "npm":
            if shutil.which("npm") is None:
                raise FetchError("npm is not installed")
            _run(["npm", "pack", pkg["spec"], "--silent"], downloads)
            archives = list(downloads.glob("*.tgz"))
            if not archives:
                raise FetchError("npm pack left no tarball")
            _extract_tar(archives[0], tmp)
        elif pkg["registry"] == "debian":
            if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
                raise FetchError("apt-get / dpkg-deb are not available")
            _run(["apt-get", "download", pkg["spec"]], downloads)
            debs = list(downloads.glob("*.deb"))
            if not debs:
                raise FetchError("apt-get download left no .deb")
            _run(["dpkg-deb", "-x", str(debs[0]), str(tmp)], downloads)
        else:
            raise FetchError(f"unknown registry {pkg['registry']!r}")
        if not (tmp / pkg["root"]).is_dir():
            raise FetchError(f"{pkg['root']} is not in the archive")
        shutil.rmtree(base, ignore_errors=True)
        tmp.rename(base)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(downloads, ignore_errors=True)
    return root


def _has_pip() -> bool:
    try:
        import pip  # noqa: F401
    except ImportError:
        return False
    return True


# --------------------------------------------------------------------------- scoring


@dataclass
class Score:
    correct: int = 0
    wrong: int = 0
    missing: int = 0
    errors: list[str] = field(default_factory=list)
    bad_sources: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.correct + self.wrong + self.missing

    def add(self, other: Score) -> None:
        self.correct += other.correct
        self.wrong += other.wrong
        self.missing += other.missing
        self.errors += other.errors
        self.bad_sources += other.bad_sources


def expected_for(pkg: dict[str, Any], rel: str) -> dict[str, dict[str, Any]]:
    """The truth for file ``rel``: the package's facts, then each matching area's (in order)."""
    facts = dict(pkg.get("expect", {}))
    for glob, area in pkg.get("areas", {}).items():
        if fnmatch(rel, glob):
            facts.update(area)
    lang_facts = pkg.get("by_extension", {}).get(os.path.splitext(rel)[1], {})
    facts.update(lang_facts)
    return facts


def _matches(stated: Any, want: Any) -> bool:
    wants = want if isinstance(want, list) else [want]
    for w in wants:
        if isinstance(w, str) and w.startswith("~"):  # a prefix, for free-text values
            if isinstance(stated, str) and stated.startswith(w[1:]):
                return True
        elif stated == w and type(stated) is type(w):
            return True
    return False


def score_card(card: StyleCard, expected: dict[str, dict[str, Any]], rel: str) -> Score:
    score = Score()
    for key, truth in expected.items():
        want = truth["value"]
        fact = card.get(key)
        if want == "absent":
            if fact is None:
                score.correct += 1
            else:
                score.wrong += 1
                score.errors.append(f"{rel}: {key} stated as {fact.value!r} ({fact.source})")
            continue
        if fact is None:
            score.missing += 1
            score.errors.append(f"{rel}: {key} missing (truth {want!r}: {truth['evidence']})")
        elif _matches(fact.value, want):
            score.correct += 1
        else:
            score.wrong += 1
            score.errors.append(
                f"{rel}: {key} = {fact.value!r} ({fact.source}); truth {want!r}: "
                f"{truth['evidence']}"
            )
    return score


_SECTION = re.compile(r"\[([^\]]+)\]")


def check_source(root: Path, key: str, fact_source: str, value: Any) -> str | None:
    """Why a declared source is not literally true, or None when it is.

    A source names a file (relative to the workspace) and maybe a section or key; the file
    must exist, hold the section, and - unless the value is stated as a tool's default -
    hold the value itself.
    """
    if fact_source.startswith(("observed", "language standard")):
        return None
    name = fact_source.split(" ", 1)[0]
    path = root / name
    if not path.is_file():
        return f"names {name}, which does not exist"
    text = path.read_text(errors="replace")
    rest = fact_source[len(name) :]
    quoted = re.findall(r'"([^"]+)"', rest.split("(", 1)[0])
    for section in _SECTION.findall(rest.split("(", 1)[0]):
        head = section.split(".")[-1] if section.startswith("tool.") else section
        if section not in text and head not in text:
            return f"{name} has no [{section}]"
    for word in quoted:
        if word not in text:
            return f"{name} does not mention {word!r}"
    if key == "formatter":  # the file must name the tool (a format section, hook or call)
        tool = str(value).split()[0]
        if tool.lower() not in text.lower() and tool.lower() not in name.lower():
            return f"{name} does not mention {tool}"
        return None
    if "default" in rest or "preset" in rest or "hook" in rest or "runs" in rest:
        return None
    if isinstance(value, bool) or value in ("space", "tab", "single", "double"):
        return None  # spelled many ways (useTabs, indent_style, hard_tabs, quote-style...)
    if isinstance(value, int) and not re.search(rf"(?<!\d){value}(?!\d)", text):
        return f"{name} does not say {value}"
    return None


def run_package(pkg: dict[str, Any], cached_only: bool, show: bool) -> dict[str, Any]:
    try:
        root = fetch(pkg, cached_only)
    except FetchError as exc:
        return {"name": pkg["name"], "skipped": str(exc)}
    start = time.perf_counter()
    style = WorkspaceStyle(root)
    style.scan_sync()
    scan_s = time.perf_counter() - start
    score = Score()
    for rel in pkg["files"]:
        path = root / rel
        if not path.is_file():
            score.errors.append(f"{rel}: not in the package (truth table out of date)")
            continue
        card = style.style_card(path)
        if show:
            print(card.render(), "\n")
        score.add(score_card(card, expected_for(pkg, rel), rel))
        for fact in card.facts:
            why = check_source(root, fact.key, fact.source, fact.value)
            if why:
                score.bad_sources.append(f"{rel}: {fact.key} — {fact.source}: {why}")
    return {
        "name": pkg["name"],
        "version": pkg["spec"],
        "language": pkg["language"],
        "files": len(pkg["files"]),
        "correct": score.correct,
        "wrong": score.wrong,
        "missing": score.missing,
        "errors": score.errors,
        "bad_sources": sorted(set(score.bad_sources)),
        "scan_s": round(scan_s, 3),
    }


def main(argv: list[str] | None = None) -> int:
    global CACHE
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"only {', '.join(QUICK)} (CI)")
    ap.add_argument("--cached-only", action="store_true", help="never download")
    ap.add_argument("--only", nargs="*", help="only these packages")
    ap.add_argument("--show", action="store_true", help="print every card")
    ap.add_argument("--json", type=Path, help="write the results to this file")
    ap.add_argument("--cache", type=Path, help=f"keep the packages here (default {CACHE})")
    args = ap.parse_args(argv)
    if args.cache:
        CACHE = args.cache.resolve()
    packages = tomllib.loads(TRUTH.read_text())["package"]
    if args.only:
        packages = [p for p in packages if p["name"] in args.only]
    elif args.quick:
        packages = [p for p in packages if p["name"] in QUICK]
    CACHE.mkdir(parents=True, exist_ok=True)
    results = []
    total = Score()
    bad_total = 0
    print(f"style accuracy on {len(packages)} packages (truth: {TRUTH.relative_to(REPO)})")
    for pkg in packages:
        res = run_package(pkg, args.cached_only, args.show)
        results.append(res)
        if "skipped" in res:
            print(f"  {pkg['name']:<14} skipped: cannot fetch {pkg['spec']}: {res['skipped']}")
            continue
        n = res["correct"] + res["wrong"] + res["missing"]
        total.correct += res["correct"]
        total.wrong += res["wrong"]
        total.missing += res["missing"]
        bad_total += len(res["bad_sources"])
        print(
            f"  {pkg['name']:<14} {pkg['language']:<11} {res['correct']:>3}/{n:<3} correct, "
            f"{res['wrong']} wrong, {res['missing']} missing, "
            f"{len(res['bad_sources'])} untrue sources"
        )
        for line in res["errors"] + [f"untrue source: {s}" for s in res["bad_sources"]]:
            print(f"      - {line}")
    done = [r for r in results if "skipped" not in r]
    pct = 100.0 * total.correct / total.total if total.total else 0.0
    skipped = len(results) - len(done)
    print(
        f"\ntotal: {total.correct}/{total.total} facts correct ({pct:.1f}%, target >= "
        f"{TARGET_PCT:g}%), {total.wrong} wrong, {total.missing} missing; {bad_total} untrue "
        f"sources; {len(done)} packages of {len({r['language'] for r in done})} languages"
        + (f"; {skipped} skipped (could not be fetched)" if skipped else "")
    )
    figures = []
    if total.total:
        figures = [
            {
                "group": "style accuracy",
                "name": "facts correct",
                "value": round(pct, 1),
                "unit": "%",
                "target": f">= {TARGET_PCT:g} %",
                "met": pct >= TARGET_PCT,
                "note": f"{total.correct}/{total.total} facts, {len(done)} packages",
            },
            {
                "group": "style accuracy",
                "name": "untrue sources",
                "value": bad_total,
                "unit": "",
                "target": "0",
                "met": bad_total == 0,
                "note": "declared sources whose file does not say so",
            },
        ]
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        out = {"name": "style_accuracy", "figures": figures, "details": results}
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
