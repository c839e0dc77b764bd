"""The commands the user lets the agent run without asking, per workspace folder.

Stored beside the trust store (``config/trust.py``), in the user's config directory, never in
the repository: a JSON file written with mode 0600, ignored when another user could have
written it. An entry is an argv prefix: ``["pytest", "-q"]`` allows ``pytest -q`` and
``pytest -q tests/test_app.py``, not ``pytest --rootdir=/``. Only the user adds entries (the
"Always allow" answer, ``victor commands allow``, ``victor/commands/allow``); nothing a
repository contains can.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from victor.config.private_json import read_private_json, write_private_json

STORE_NAME = "allowed-commands.json"


def default_allowlist_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("victor", appauthor=False)) / STORE_NAME


def command_line(argv: list[str]) -> str:
    """``argv`` as a user would type it (for messages, never for running)."""
    import shlex

    return shlex.join(argv)


class CommandAllowlist:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_allowlist_path()
        self._lock = threading.Lock()

    def _load(self) -> dict[str, list[list[str]]]:
        data = read_private_json(self.path, "command allowlist", "every command asks")
        folders = data.get("folders") if isinstance(data, dict) else None
        out: dict[str, list[list[str]]] = {}
        for folder, entries in (folders or {}).items():
            if not isinstance(folder, str) or not os.path.isabs(folder):
                continue
            if isinstance(entries, list):
                out[folder] = [
                    e
                    for e in entries
                    if isinstance(e, list) and e and all(isinstance(a, str) for a in e)
                ]
        return out

    @staticmethod
    def _key(folder: Path) -> str:
        return os.path.realpath(folder)

    def entries(self, folder: Path) -> list[list[str]]:
        """The argv prefixes allowed in ``folder`` (blocking: a file read)."""
        return self._load().get(self._key(folder), [])

    def allows(self, folder: Path, argv: list[str]) -> bool:
        return any(argv[: len(entry)] == entry for entry in self.entries(folder))

    def allow(self, folder: Path, argv: list[str]) -> bool:
        """Add ``argv`` for ``folder``; False when it was already there."""
        if not argv or not all(isinstance(a, str) and a for a in argv):
            raise ValueError("command: expected a non-empty list of non-empty strings")
        with self._lock:
            data = self._load()
            entries = data.setdefault(self._key(folder), [])
            if argv in entries:
                return False
            entries.append(list(argv))
            self._write(data)
        return True

    def remove(self, folder: Path, argv: list[str]) -> bool:
        """Remove the entry ``argv`` from ``folder``'s list; False when it was not there."""
        with self._lock:
            data = self._load()
            entries = data.get(self._key(folder), [])
            if argv not in entries:
                return False
            entries.remove(argv)
            if not entries:
                data.pop(self._key(folder), None)
            self._write(data)
        return True

    def _write(self, data: dict[str, list[list[str]]]) -> None:
        payload = {"version": 1, "folders": dict(sorted(data.items()))}
        write_private_json(self.path, payload, ".allowed-")
