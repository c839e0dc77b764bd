"""Path confinement and secret detection, shared by tools and file context.

A path is usable only if it resolves (symlinks followed) inside the workspace root and is not
a secret. Secrets are never read, whatever asks: ``.env*`` files, private keys, credential
stores. Git-ignored files are refused by callers that check ``is_git_ignored`` unless the user
has the file open in the editor.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
from pathlib import Path

SECRET_NAME_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    "credentials",
    "credentials.json",
    "secrets.*",
    "*.secret",
    "*.secrets",
)
SECRET_DIR_NAMES: frozenset[str] = frozenset({".ssh", ".gnupg", ".aws", ".azure", ".kube"})


class PathOutsideWorkspaceError(ValueError):
    """The path escapes the workspace (``..``, absolute path elsewhere, symlink out)."""


class SecretPathError(PermissionError):
    """The path names a secret file, which Victor never reads."""


def is_secret_path(path: Path | str) -> bool:
    """True for files that hold secrets, judged by name (case-insensitively)."""
    p = Path(path)
    if any(part.lower() in SECRET_DIR_NAMES for part in p.parts[:-1]):
        return True
    name = p.name.lower()
    return any(fnmatch.fnmatchcase(name, pat) for pat in SECRET_NAME_PATTERNS)


def resolve_inside(root: Path, path: Path | str) -> Path:
    """Resolve ``path`` (relative to ``root`` unless absolute) and insist it stays inside.

    Raises PathOutsideWorkspaceError or SecretPathError, naming the path as given.
    """
    root_real = Path(os.path.realpath(root))
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = root_real / candidate
    real = Path(os.path.realpath(candidate))
    if not _is_within(real, root_real):
        raise PathOutsideWorkspaceError(f"{path}: outside the workspace folder {root}")
    if is_secret_path(real.relative_to(root_real)) or is_secret_path(candidate.name):
        raise SecretPathError(f"{path}: secret files (.env, keys, credentials) are never read")
    return real


def _is_within(path: Path, root: Path) -> bool:
    if os.path.normcase(str(path)) == os.path.normcase(str(root)):
        return True
    try:
        path.relative_to(root)
    except ValueError:
        # Case-insensitive file systems: compare normalised forms too.
        return os.path.normcase(str(path)).startswith(os.path.normcase(str(root)) + os.sep)
    return True


def is_git_ignored(root: Path, paths: list[Path]) -> set[Path]:
    """The subset of ``paths`` that git ignores in the repository at ``root``.

    Returns an empty set when ``root`` is not a git work tree or git is not installed.
    Blocking: call from a thread.
    """
    if not paths:
        return set()
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "--no-index", "-z", "--stdin"],
            input="\0".join(str(p) for p in paths).encode(),
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if proc.returncode not in (0, 1):
        return set()
    out = proc.stdout.decode(errors="replace").split("\0")
    return {Path(p) for p in out if p}
