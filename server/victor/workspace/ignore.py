"""The workspace's .gitignore files, applied while walking it (no git needed).

The walk honours what the project itself says is not its source (build output, vendored
dependencies it does not own, coverage reports) instead of guessing from folder names: a
folder called ``build`` or ``vendor`` can be real source. Supported: blank lines and comments,
``!`` negation, a trailing ``/`` (folders only), a leading or inner ``/`` (anchored to the
.gitignore's folder), ``*``, ``?``, ``[...]`` and ``**``. Global and .git/info excludes are
not read: they are the user's, not the project's.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from victor.workspace.declared import read_config_text

# Never the project's own code, whatever .gitignore says (and often not listed in it).
ALWAYS_SKIP = frozenset({"node_modules", "__pycache__", "site-packages", "bower_components"})


MAX_WILDCARDS = 8


@dataclass(frozen=True, slots=True)
class _Rule:
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool
    anchored: bool  # matched against the path from the .gitignore's folder, not the name


@dataclass(frozen=True, slots=True)
class IgnoreFile:
    folder: str  # absolute folder holding the .gitignore
    rules: tuple[_Rule, ...]


def _glob_regex(pattern: str) -> str:
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return "".join(out)


def parse_gitignore(folder: str, text: str) -> IgnoreFile:
    rules = []
    for raw in text.splitlines():
        line = raw.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        if negated:
            line = line[1:]
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        anchored = "/" in line
        line = re.sub(r"(?:\*\*/)+", "**/", line.lstrip("/"))
        if not line or line.count("*") > MAX_WILDCARDS:
            continue  # a hostile file's many wildcards would make matching slow
        try:
            regex = re.compile(_glob_regex(line) + r"\Z")
        except re.error:
            continue
        rules.append(_Rule(regex, negated, dir_only, anchored))
    return IgnoreFile(folder, tuple(rules))


def load_gitignore(root: str, folder: str, names: set[str]) -> IgnoreFile | None:
    """The rules of ``folder``'s own .gitignore (read through the guarded reader, confined to
    the workspace ``root``), or None when it has none."""
    if ".gitignore" not in names:
        return None
    text = read_config_text(root, os.path.join(folder, ".gitignore"))
    if not text:
        return None
    found = parse_gitignore(folder, text)
    return found if found.rules else None


def is_ignored(path: str, is_dir: bool, active: tuple[IgnoreFile, ...]) -> bool:
    """Whether ``path`` is ignored by the .gitignore files in ``active`` (outermost first);
    the last matching rule wins, as in git."""
    ignored = False
    for ig in active:
        rel = os.path.relpath(path, ig.folder).replace(os.sep, "/")
        name = rel.rsplit("/", 1)[-1]
        for rule in ig.rules:
            if rule.dir_only and not is_dir:
                continue
            if rule.regex.match(rel if rule.anchored else name):
                ignored = not rule.negated
    return ignored
