"""Workspace trust: whether Victor may run what a folder contains.

A folder is untrusted unless the user said otherwise, in one of three ways:

- the editor: VS Code's workspace trust (``initializationOptions.trustedWorkspace`` at start,
  ``victor/setTrust`` when the user grants it), or any client setting that flag;
- the per-user trust store, ``victor trust DIR`` (like ``direnv allow``): a JSON file in the
  user's config directory, written with mode 0600, listing trusted folders; a folder inside a
  listed one is trusted too;
- nothing: untrusted (limited mode).

An editor's explicit answer wins over the store: a VS Code window in Restricted Mode stays
restricted even for a folder ``victor trust`` listed. Trust unlocks running the workspace's own
executables (formatters from its .venv or node_modules, later the agent's check commands); it
never widens what ``.victor/config.toml`` may set.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from victor.config.private_json import read_private_json, write_private_json

STORE_NAME = "trusted-folders.json"


@dataclass(slots=True)
class WorkspaceTrust:
    """One folder's trust, shared by the LSP layer (which changes it) and the folder's agent
    (whose formatter and, later, tools read it). ``source`` says who decided."""

    trusted: bool = False
    source: str = "default"  # "default" | "client" | "trust store"

    def describe(self) -> str:
        state = "trusted" if self.trusted else "untrusted (limited mode)"
        return f"{state}, by {self.source}"


def default_store_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("victor", appauthor=False)) / STORE_NAME


class TrustStore:
    """The user's list of trusted folders (absolute, resolved paths)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_store_path()

    def folders(self) -> list[Path]:
        """The trusted folders; empty when the file is missing, unreadable or unsafe."""
        data = read_private_json(self.path, "trust store", "every folder is untrusted")
        entries = data.get("folders", []) if isinstance(data, dict) else []
        return [Path(e) for e in entries if isinstance(e, str) and os.path.isabs(e)]

    def trusted_by(self, folder: Path) -> Path | None:
        """The listed folder that makes ``folder`` trusted (itself or a parent), if any."""
        target = Path(os.path.realpath(folder))
        for entry in self.folders():
            if target == entry or entry in target.parents:
                return entry
        return None

    def trust(self, folder: Path) -> Path:
        target = Path(os.path.realpath(folder))
        entries = self.folders()
        if target not in entries:
            self._write([*entries, target])
        return target

    def untrust(self, folder: Path) -> bool:
        """Remove ``folder`` from the list; False if it was not listed."""
        target = Path(os.path.realpath(folder))
        entries = self.folders()
        if target not in entries:
            return False
        self._write([e for e in entries if e != target])
        return True

    def _write(self, entries: list[Path]) -> None:
        data = {"version": 1, "folders": sorted(str(e) for e in entries)}
        write_private_json(self.path, data, ".trusted-")


def resolve_trust(folder: Path, client_says: bool | None, store: TrustStore) -> WorkspaceTrust:
    """The folder's trust from the client's explicit answer, else the store, else untrusted.
    Reads the store: call it off the event loop."""
    if client_says is not None:
        return WorkspaceTrust(client_says, "client")
    if store.trusted_by(folder) is not None:
        return WorkspaceTrust(True, "trust store")
    return WorkspaceTrust(False, "default")
