"""Path confinement and secret detection, shared by tools and file context.

A path is usable only if it resolves (symlinks followed) inside the workspace root and is not
a secret. Secrets are never read, whatever asks: ``.env*`` files, private keys, credential
stores. Git-ignored files are refused by callers that check ``is_git_ignored`` unless the user
has the file open in the editor.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import subprocess
from pathlib import Path

from victor.workspace.safe_exec import git_command, git_env

SECRET_NAME_PATTERNS: tuple[str, ...] = (
    # environment files
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    # private keys, key stores, password databases
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.ppk",
    "*.kdb",
    "*.kdbx",
    "*.keychain",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "master.key",
    # credential stores of common tools
    ".netrc",
    "_netrc",
    ".pgpass",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".dockercfg",
    ".vault-token",
    ".htpasswd",
    "proftpdpasswd",
    ".s3cfg",
    ".boto",
    ".passwd-s3fs",
    ".my.cnf",
    ".mylogin.cnf",
    "kubeconfig",
    "*.kubeconfig",
    "credentials",
    "credentials.json",
    "credentials.xml",
    "credentials.yml",
    "credentials.yaml",
    ".credentials",
    "application_default_credentials.json",
    "service-account*.json",
    "*service-account-key*.json",
    "*service_account*.json",
    "sftp-config.json",
    ".ftpconfig",
    ".remote-sync.json",
    "recentservers.xml",
    # infrastructure state and variables (hold passwords and keys in clear text)
    "*.tfstate",
    "*.tfstate.backup",
    "*.tfvars",
    "*.tfvars.json",
    # shell and REPL histories (secrets typed at a prompt)
    ".*_history",
    ".*history",
    "secrets.*",
    "*.secret",
    "*.secrets",
)
# Names that are secrets only in a known folder: matched against the last parts of the path.
SECRET_PATH_PATTERNS: tuple[tuple[str, ...], ...] = (
    (".docker", "config.json"),
    ("gh", "hosts.yml"),
    (".config", "hub"),
    ("gcloud", "*.db"),  # credentials.db, access_tokens.db
    ("legacy_credentials", "*", "*"),
    (".vscode", "sftp.json"),
    ("etc", "shadow"),
)
SECRET_DIR_NAMES: frozenset[str] = frozenset(
    {".ssh", ".gnupg", ".aws", ".azure", ".kube", ".password-store"}
)


class PathOutsideWorkspaceError(ValueError):
    """The path escapes the workspace (``..``, absolute path elsewhere, symlink out)."""


class SecretPathError(PermissionError):
    """The path names a secret file, which Victor never reads."""


@functools.cache
def _secret_name() -> re.Pattern[str]:
    """One expression for all name patterns (checked for every file a search lists), compiled
    on first use so that loading settings at start-up does not pay for it."""
    return re.compile("|".join(fnmatch.translate(p) for p in SECRET_NAME_PATTERNS))


@functools.cache
def _secret_tail() -> re.Pattern[str]:
    """One expression for all SECRET_PATH_PATTERNS, matched against the path's parts joined by
    "/" (a part never holds one): each ``*`` stays within a part, as fnmatch per part did."""
    tails = (
        "/".join(re.escape(part).replace(r"\*", "[^/]*") for part in pattern)
        for pattern in SECRET_PATH_PATTERNS
    )
    return re.compile(r"(?:^|/)(?:" + "|".join(tails) + r")\Z", re.S)


def is_secret_path(path: Path | str) -> bool:
    """True for files that hold secrets, judged by name (case-insensitively)."""
    # Split as text (Path() costs more than the check itself, and every read asks); empty and
    # "." parts dropped as Path.parts does; ".." kept, it is judged like any name.
    text = os.fspath(path).lower()
    if os.altsep:
        text = text.replace(os.altsep, os.sep)
    parts = [part for part in text.split(os.sep) if part and part != "."]
    if not parts:
        return False
    if len(parts) > 1 and not SECRET_DIR_NAMES.isdisjoint(parts[:-1]):
        return True
    if _secret_name().match(parts[-1]):
        return True
    return len(parts) > 1 and _secret_tail().search("/".join(parts)) is not None


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


def is_git_ignored(root: Path, paths: list[Path], timeout: float = 10.0) -> set[Path]:
    """The subset of ``paths`` that git ignores in the repository at ``root``.

    Returns an empty set when ``root`` is not a git work tree, git is not installed or does not
    answer within ``timeout`` seconds. Git runs with the repository's programs turned off
    (victor.workspace.safe_exec). Names are passed as the file system's bytes, so a name that
    is not UTF-8 is asked about like any other. Blocking: call from a thread.
    """
    if not paths:
        return set()
    try:
        proc = subprocess.run(
            git_command(root, "check-ignore", "--no-index", "-z", "--stdin"),
            input=b"\0".join(os.fsencode(p) for p in paths),
            capture_output=True,
            timeout=max(0.1, timeout),
            check=False,
            env=git_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    if proc.returncode not in (0, 1):
        return set()
    return {Path(os.fsdecode(p)) for p in proc.stdout.split(b"\0") if p}
