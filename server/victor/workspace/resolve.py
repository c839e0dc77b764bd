"""Resolving a Snapshot into the StyleCard of one file.

Per tool, the nearest config wins whole (as ruff, black, Prettier... find theirs). Across
tools and .editorconfig, each fact comes from the nearest folder that sets it; at equal
distance the formatter's config beats a linter's, which beats .editorconfig. Observed facts
fill only what nothing declares.
"""

from __future__ import annotations

import os
from pathlib import Path

from victor.workspace.card import StyleCard, StyleFact, sort_facts
from victor.workspace.declared_types import RANK_EDITORCONFIG, Declaration
from victor.workspace.editorconfig_source import editorconfig_facts
from victor.workspace.language_rules import DROP_OBSERVED, LANGUAGE_FACTS
from victor.workspace.languages import CODE_LANGUAGES, main_extension
from victor.workspace.scan import Snapshot


def folder_chain(root: str, folder: str) -> list[str]:
    """Folders from ``root`` down to ``folder`` (which must be inside root)."""
    rel = os.path.relpath(folder, root)
    chain = [root]
    if rel != ".":
        cur = root
        for part in rel.split(os.sep):
            cur = os.path.join(cur, part)
            chain.append(cur)
    return chain


def dominant_language(snap: Snapshot) -> str | None:
    counts = {k: v for k, v in snap.language_counts.items() if k in CODE_LANGUAGES}
    return max(counts, key=lambda k: (counts[k], k)) if counts else None


def resolve_card(snap: Snapshot, file: str, language: str | None) -> list[StyleFact]:
    """The facts for ``file`` (absolute, inside ``snap.root``) written in ``language``."""
    chain = folder_chain(snap.root, os.path.dirname(file))
    depth = len(chain) - 1
    # Nearest config per tool; at the same folder the higher-ranked declaration.
    chosen: dict[str, tuple[int, Declaration]] = {}
    for i in range(depth, -1, -1):
        distance = depth - i
        for decl in snap.declarations.get(chain[i], ()):
            if language not in decl.languages and not decl.tool.startswith("broken:"):
                continue
            prev = chosen.get(decl.tool)
            if prev is None or (prev[0] == distance and decl.rank > prev[1].rank):
                chosen[decl.tool] = (distance, decl)
    best: dict[str, tuple[tuple[int, int], StyleFact]] = {}
    notes: list[StyleFact] = []
    for distance, decl in chosen.values():
        for fact in decl.facts:
            if fact.key == "note":
                notes.append(fact)
                continue
            order = (distance, -decl.rank)
            if fact.key not in best or order < best[fact.key][0]:
                best[fact.key] = (order, fact)
    ec_chain = [snap.editorconfigs[d] for d in chain if d in snap.editorconfigs]
    if ec_chain:
        for fact, conf in editorconfig_facts(file, ec_chain):
            order = (depth - chain.index(os.path.dirname(conf.path)), -RANK_EDITORCONFIG)
            if fact.key not in best or order < best[fact.key][0]:
                best[fact.key] = (order, fact)
    facts = {key: fact for key, (_, fact) in best.items()}
    for fact in LANGUAGE_FACTS.get(language or "", ()):
        if fact.key == "note":
            notes.append(fact)
        elif fact.key not in facts:
            facts[fact.key] = fact
    drop = DROP_OBSERVED.get(language or "", frozenset())
    # The file's own area (top-level folder) first: tests, a vendored tree or a sub-project
    # may be written differently from the rest; then the workspace as a whole.
    area = snap.observed_areas.get(area_of(snap.root, file), {})
    for fact in (*area.get(language or "", ()), *snap.observed.get(language or "", ())):
        if fact.key in facts or fact.key in drop:
            continue
        if fact.key == "indent_size" and facts.get("indent_style", fact).value == "tab":
            continue  # a width observed in space-indented files says nothing about tabs
        facts[fact.key] = fact
    return sort_facts(list(facts.values()) + notes)


def area_of(root: str, path: str) -> str:
    """The top-level folder of ``path`` inside ``root`` ("" for files at the root)."""
    rel = os.path.relpath(path, root)
    head, sep, _ = rel.partition(os.sep)
    return head if sep and head != ".." else ""


def build_card(snap: Snapshot, file: str | None, language: str | None) -> StyleCard:
    """A StyleCard for ``file``; None gives the card of the workspace's main language."""
    root_path = Path(snap.root)
    if file is None:
        language = dominant_language(snap)
        probe = os.path.join(snap.root, "_workspace_" + main_extension(language or ""))
        return StyleCard(None, language, resolve_card(snap, probe, language), root_path)
    return StyleCard(Path(file), language, resolve_card(snap, file, language), root_path)
