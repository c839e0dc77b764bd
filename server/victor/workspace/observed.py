"""Observed style: what the workspace's own files do, when no config says.

A bounded sample (``sample_files`` files, ``sample_bytes`` bytes in all) spread evenly over each
language's files, so a big repository costs the same as a medium one. Every fact says how
many sampled files it rests on.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable

from victor.workspace.card import StyleFact
from victor.workspace.guarded_read import ReadRefusedError, display_name, read_guarded
from victor.workspace.observed_stats import FileStats, measure

MAX_FILE_BYTES = 64_000  # the head of a file shows its style; generated giants are skipped
MIN_PER_LANGUAGE = 10
MIN_READ_BYTES = 2048
_KINDS = {
    "functions": "function",
    "classes": "class",
    "variables": "variable",
    "constants": "constant",
}


# Declarations, not code: stubs and type declarations have no bodies to measure.
_NOT_CODE_SUFFIXES = (".pyi", ".d.ts", ".d.mts", ".d.cts")
MIN_AREA_FILES = 3  # an area's own figures need at least this many sampled files


def _area(root: str, path: str) -> str:
    # Paths come from the walk of root: a prefix cut is enough (relpath costs 10x more).
    rel = path[len(root) + 1 :] if path.startswith(root + os.sep) else os.path.relpath(path, root)
    head, sep, _ = rel.partition(os.sep)
    return head if sep else ""


def _spread(files: list[str], k: int) -> list[str]:
    ordered = sorted(files)
    return [ordered[i * len(ordered) // k] for i in range(min(k, len(ordered)))]


def plan_sample(
    files_by_language: dict[str, list[str]], sample_files: int, root: str = ""
) -> dict[str, list[str]]:
    """Pick files per language in proportion to its share; within a language, every top-level
    folder (area) gets its share of the quota, files evenly spaced through it, so that tests/,
    a vendored tree or a sub-project are sampled as well as the main source."""
    files_by_language = {
        lang: [p for p in paths if not p.endswith(_NOT_CODE_SUFFIXES)]
        for lang, paths in files_by_language.items()
    }
    files_by_language = {k: v for k, v in files_by_language.items() if v}
    total = sum(len(v) for v in files_by_language.values())
    if total == 0 or sample_files <= 0:
        return {}
    quotas = {
        lang: min(len(files), max(MIN_PER_LANGUAGE, sample_files * len(files) // total))
        for lang, files in files_by_language.items()
    }
    while sum(quotas.values()) > sample_files and any(q > 1 for q in quotas.values()):
        biggest = max(quotas, key=lambda k: quotas[k])
        quotas[biggest] -= max(1, (sum(quotas.values()) - sample_files) // 2)
        quotas[biggest] = max(1, quotas[biggest])
    plan: dict[str, list[str]] = {}
    for lang, files in files_by_language.items():
        areas: dict[str, list[str]] = {}
        for path in files:
            areas.setdefault(_area(root, path) if root else "", []).append(path)
        # Equal shares, a small area's unused share going to the others (water-filling).
        shares = dict.fromkeys(areas, 0)
        left = quotas[lang]
        while left > 0:
            open_areas = [a for a in sorted(areas) if shares[a] < len(areas[a])]
            if not open_areas:
                break
            each = max(1, left // len(open_areas))
            for a in open_areas:
                take = min(each, len(areas[a]) - shares[a], left)
                shares[a] += take
                left -= take
                if left <= 0:
                    break
        plan[lang] = [p for a in sorted(areas) for p in _spread(areas[a], shares[a])]
    return plan


def observe(
    files_by_language: dict[str, list[str]], sample_files: int, sample_bytes: int, root: str
) -> tuple[dict[str, list[StyleFact]], dict[str, dict[str, list[StyleFact]]]]:
    """Observed facts per language, from a sample of ``files_by_language`` (absolute paths),
    and per area (top-level folder) and language for areas with enough sampled files."""
    plan = plan_sample(files_by_language, sample_files, root)
    planned = sum(len(v) for v in plan.values()) or 1
    result: dict[str, list[StyleFact]] = {}
    by_area: dict[str, dict[str, list[StyleFact]]] = {}
    for lang, paths in plan.items():
        # Each language gets a byte share proportional to its number of sampled files; each
        # file at most its even part of it, so the last areas are not starved.
        budget = sample_bytes * len(paths) // planned
        per_file = max(MIN_READ_BYTES, min(MAX_FILE_BYTES, 2 * budget // max(1, len(paths))))
        stats: list[tuple[str, str, FileStats]] = []
        for path in paths:
            if budget < MIN_READ_BYTES:
                break  # a few hundred bytes of a file say little about its style
            text = _read_head(root, path, min(per_file, budget))
            if text is None:
                continue
            budget -= len(text)
            ext = display_name(os.path.splitext(path)[1] or os.path.basename(path))
            stats.append((_area(root, path), ext, measure(text, lang)))
        if not stats:
            continue
        result[lang] = _summary(stats, lang, "")
        areas = {a for a, _, _ in stats if a}
        if len(areas) < 2 and not any(a == "" for a, _, _ in stats):
            continue  # one area: its figures are the workspace's
        for area in areas:
            mine = [s for s in stats if s[0] == area]
            if len(mine) >= MIN_AREA_FILES:
                by_area.setdefault(area, {})[lang] = _summary(mine, lang, f" in {area}/")
    return result, by_area


def _summary(stats: list[tuple[str, str, FileStats]], lang: str, where: str) -> list[StyleFact]:
    exts = Counter(ext for _, ext, _ in stats)
    return summarize([s for _, _, s in stats], lang, exts.most_common(1)[0][0], where)


def _read_head(root: str, path: str, limit: int) -> str | None:
    try:
        data = read_guarded(root, path, max_bytes=limit, truncate=True).data
    except ReadRefusedError:
        return None  # a link out of the workspace, a FIFO, a device: not a sample
    if b"\0" in data:
        return None  # binary
    text = data.decode("utf-8", errors="replace")
    if len(data) == limit and "\n" in text:
        text = text[: text.rfind("\n")]  # drop the partial last line
    return text


def summarize(stats: list[FileStats], language: str, ext: str, area: str = "") -> list[StyleFact]:
    n = len(stats)
    where = f"{n} sampled {ext} file{'s' if n != 1 else ''}{area}"
    facts: list[StyleFact] = []
    facts += _vote("indent_style", (s.indent_style for s in stats), where)
    facts += _vote("indent_size", (s.indent_width for s in stats), where)
    facts += _vote("quote_style", (s.quotes for s in stats), where)
    facts += _vote("semicolons", (s.semicolons for s in stats), where)
    facts += _line_length(stats, language, where)
    for kind, label in _KINDS.items():
        counts: Counter[str] = Counter()
        for s in stats:
            counts.update(s.names.get(kind, {}))
        facts += _naming(kind, label, counts, where)
    facts += _habits(stats, language, where)
    return facts


def _vote(key: str, votes: Iterable[str | int | None], where: str) -> list[StyleFact]:
    counts = Counter(v for v in votes if v is not None)
    if not counts:
        return []
    value, count = counts.most_common(1)[0]
    return [StyleFact(key, value, f"observed in {count} of {where}")]


def _line_length(stats: list[FileStats], language: str, where: str) -> list[StyleFact]:
    hist: Counter[int] = Counter()
    for s in stats:
        hist.update(s.line_lengths)
    total = sum(hist.values())
    if total < 50:
        return []
    # The 99th percentile, so a few long URLs or strings do not set the limit.
    seen = 0
    p99 = 0
    for length in sorted(hist):
        seen += hist[length]
        if seen >= 0.99 * total:
            p99 = length
            break
    limits = (79, 88, 100, 120) if language == "python" else (80, 100, 120)
    limit = next((x for x in limits if p99 <= x), -(-p99 // 10) * 10)
    src = f"observed: 99% of lines within {p99} characters in {where}"
    return [StyleFact("line_length", limit, src)]


def _naming(kind: str, label: str, counts: Counter[str], where: str) -> list[StyleFact]:
    total = sum(counts.values())
    if total < 3:
        return []
    top, count = counts.most_common(1)[0]
    if count / total >= 0.7:
        value = top
    else:
        value = "mixed: " + ", ".join(f"{c} {100 * k // total}%" for c, k in counts.most_common(3))
    src = f"observed: {count} of {total} {label} names in {where}"
    return [StyleFact(f"naming.{kind}", value, src)]


def _habits(stats: list[FileStats], language: str, where: str) -> list[StyleFact]:
    facts: list[StyleFact] = []
    funcs = sum(s.functions for s in stats)
    if language == "python" and funcs >= 3:
        pct = 100 * sum(s.annotated for s in stats) // funcs
        facts.append(
            StyleFact(
                "type_hints",
                f"{_share(pct)} functions annotated ({pct}%)",
                f"observed: {funcs} functions in {where}",
            )
        )
    defs = sum(s.definitions for s in stats)
    if language in ("python", "javascript", "typescript") and defs >= 3:
        pct = 100 * sum(s.documented for s in stats) // defs
        kind = "docstrings" if language == "python" else "JSDoc comments"
        what = "functions and classes" if language == "python" else "functions"
        facts.append(
            StyleFact(
                "docstrings", f"{pct}% of {what} have {kind}", f"observed: {defs} {what} in {where}"
            )
        )
    return facts


def _share(pct: int) -> str:
    if pct >= 70:
        return "most"
    if pct >= 30:
        return "some"
    return "few"
