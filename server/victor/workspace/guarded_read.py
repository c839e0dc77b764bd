"""The one way Victor reads a file of the workspace: rules, configs, the style scan, tools, file
context, generate and code actions all come through here.

A repository may be hostile. Its files can be symlinks to ``~/.ssh/id_rsa`` or
``/proc/self/environ``, a FIFO or a link to ``/dev/stdin`` (a read that never returns), a link
to ``/dev/zero`` (a read that never ends), or simply huge. So a read here:

- resolves symlinks and insists the real path is inside the workspace root;
- refuses secret files (``victor.workspace.paths.is_secret_path``), judged on both the name the
  caller gave and the real path, so ``AGENTS.md -> .env`` is refused too;
- opens with ``O_NONBLOCK`` (a FIFO cannot block the open) and ``O_NOFOLLOW`` (the checked
  path cannot be swapped for a link in between), then ``fstat``s the *open* descriptor and
  accepts regular files only;
- checks the size on the open file and reads at most ``max_bytes + 1`` bytes, so a file that
  lies about its size or grows while read cannot take more memory than asked for.

Every refusal is a ``ReadRefusedError`` naming the path and the reason. Blocking: async
callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from victor.workspace.paths import (
    PathOutsideWorkspaceError,
    SecretPathError,
    is_secret_path,
    resolve_inside,
)

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK = 1 << 20


class ReadRefusedError(Exception):
    """A workspace file was not read; ``reason`` says why in words a user understands."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{display_name(self.path)}: {reason}")


class OutsideWorkspaceError(ReadRefusedError, PathOutsideWorkspaceError):
    """The path (or a symlink on the way) leads out of the workspace folder."""


class SecretFileError(ReadRefusedError, SecretPathError):
    """The path (or what a symlink points at) is a secret file."""


class NotRegularFileError(ReadRefusedError):
    """A directory, FIFO, socket or device: nothing a text read may touch."""


class FileTooLargeError(ReadRefusedError):
    """Larger than the caller's cap (and the caller did not ask for a truncated read)."""


class UnreadableFileError(ReadRefusedError):
    """The operating system refused (missing file, permissions, a link loop)."""

    def __init__(self, path: Path | str, reason: str, *, missing: bool = False) -> None:
        super().__init__(path, reason)
        self.missing = missing


@dataclass(frozen=True, slots=True)
class FileContent:
    real: Path  # the resolved path inside the workspace
    data: bytes  # at most the cap asked for
    size: int  # st_size of the open file when it was opened
    truncated: bool  # there was more than the cap

    def text(self) -> str:
        """UTF-8 with undecodable bytes replaced and a leading BOM dropped."""
        return self.data.decode("utf-8", "replace").removeprefix("\ufeff")


def display_name(name: str) -> str:
    """A file system name made safe to show: bytes that are not UTF-8 (kept by Python as lone
    surrogates) become U+FFFD, so the name can be written as JSON and to the log."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return name


def confine(root: Path | str, path: Path | str) -> Path:
    """The real path of ``path`` (relative to ``root`` unless absolute), or a refusal.

    Refuses paths outside the workspace and secret files; does not touch the file itself.
    """
    try:
        return resolve_inside(Path(root), path)
    except PathOutsideWorkspaceError:
        raise OutsideWorkspaceError(
            path, f"outside the workspace folder {display_name(str(root))}"
        ) from None
    except SecretPathError:
        raise SecretFileError(
            path, "a secret file (.env, keys, credentials); Victor never reads it"
        ) from None
    except OSError as exc:  # a link loop, a name too long
        raise UnreadableFileError(path, exc.strerror or str(exc)) from None


def secret_refusal(root: Path | str, path: Path | str) -> str | None:
    """Why the text of ``path`` must not reach the model, or None when it may.

    For text the editor already holds (a selection, an open buffer): the secret policy alone,
    applied to the name as given and to what a symlink points at.
    """
    root_real = os.path.realpath(root)
    given = os.path.normpath(os.path.join(root_real, path))  # an absolute path stays as it is
    try:
        real: str | None = os.path.realpath(given)
    except OSError:
        real = None
    return secret_refusal_resolved(root_real, given, real)


def secret_refusal_resolved(root_real: str, given: str, real: str | None) -> str | None:
    """``secret_refusal`` for a caller that has resolved already (one resolve per path, not
    three): ``root_real`` the real root, ``given`` the normalised absolute path as given,
    ``real`` its ``os.path.realpath`` (None when that failed)."""
    name = display_name(os.path.basename(given))
    if is_secret_path(_as_judged(given, root_real)):
        return f"{name} is a secret file (.env, keys, credentials); its text is never sent"
    if real is None:
        return None
    if real != given and is_secret_path(_as_judged(real, root_real)):
        return f"{name} links to a secret file; its text is never sent"
    return None


def _as_judged(path: str, root_real: str) -> str:
    """Inside the workspace a path is judged from the root down (a workspace kept under a
    folder called ``.aws`` is not all secret); outside, every part of it counts."""
    rel = os.path.relpath(path, root_real)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return path
    return rel


@contextlib.contextmanager
def open_guarded(root: Path | str, path: Path | str) -> Iterator[tuple[Path, BinaryIO, int]]:
    """``(real path, binary file, size)`` of a confined regular file, closed on exit."""
    direct = _open_direct(root, path)
    if direct is None:
        real = confine(root, path)
        fd, size = _open_regular(root, real, path)
    else:
        real, fd, size = direct
    try:
        with os.fdopen(fd, "rb", closefd=True) as fh:
            fd = -1  # the file object owns it now
            yield real, fh, size
    finally:
        if fd >= 0:
            os.close(fd)


def read_guarded(
    root: Path | str, path: Path | str, *, max_bytes: int, truncate: bool = False
) -> FileContent:
    """The first ``max_bytes`` of a confined regular file.

    With ``truncate`` a larger file gives its head (``truncated`` set); without, it is refused
    with FileTooLargeError.
    """
    with open_guarded(root, path) as (real, fh, size):
        if size > max_bytes and not truncate:
            raise FileTooLargeError(path, f"{size} bytes, more than the {max_bytes} read")
        data = _read_at_most(fh, max_bytes + 1)
    truncated = len(data) > max_bytes
    if truncated and not truncate:
        raise FileTooLargeError(path, f"more than {max_bytes} bytes (it grew while read)")
    return FileContent(real, data[:max_bytes], size, truncated)


def _open_direct(root: Path | str, path: Path | str) -> tuple[Path, int, int] | None:
    """The common case proved in three system calls: ``(real, fd, size)``, or None when it
    cannot be proved here, and the full path (resolve, then open) gives the verdict.

    The path as given (no ``..``, under the root as given, not a secret name) is opened with
    O_NOFOLLOW; the kernel then says where the open file really is (``/proc/self/fd``). When
    that is exactly the path asked for, no symlink was followed anywhere on the way, root
    included: the file is inside the workspace and its real name is the one judged by the
    secret policy. A folder swapped for a link at any moment shows as another path and goes to
    the full path, which refuses it. Saves the per-component ``realpath`` walks (three per read)
    that cost the style scan more than the reads themselves.
    """
    if not _PROC_FD:
        return None
    root_s = os.path.normpath(os.fspath(root))
    given = os.fspath(path)
    if not os.path.isabs(root_s) or os.pardir in given.split(os.sep):
        return None
    candidate = os.path.normpath(os.path.join(root_s, given))  # no "..": a textual join
    prefix = root_s.rstrip(os.sep) + os.sep
    if not candidate.startswith(prefix) or is_secret_path(candidate[len(prefix) :]):
        return None
    try:
        fd = os.open(candidate, _OPEN_FLAGS)
    except FileNotFoundError:
        if _is_real_folder(os.path.dirname(candidate)):
            # The full path would resolve to this same name, inside, and find it missing.
            raise UnreadableFileError(path, "no such file", missing=True) from None
        return None
    except OSError:
        return None  # a link (ELOOP), a parent that is a link to a file...
    try:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and os.readlink(f"{_PROC_FD}{fd}") == candidate:
            return Path(candidate), fd, st.st_size
    except OSError:
        pass
    os.close(fd)
    return None


def _is_real_folder(folder: str) -> bool:
    """``folder`` is a directory reached without following any link (config lookups ask for
    many names that are absent: this proves it in three system calls, not a resolve)."""
    try:
        fd = os.open(folder, _DIR_FLAGS)
    except OSError:
        return False
    try:
        return os.readlink(f"{_PROC_FD}{fd}") == folder
    except OSError:
        return False
    finally:
        os.close(fd)


_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_PROC_FD = "/proc/self/fd/" if os.path.isdir("/proc/self/fd") else ""


def _open_regular(root: Path | str, real: Path, given: Path | str) -> tuple[int, int]:
    """``(fd, size)`` of the regular file at ``real``, checked on the open descriptor."""
    try:
        fd = os.open(real, _OPEN_FLAGS)
    except FileNotFoundError:
        raise UnreadableFileError(given, "no such file", missing=True) from None
    except OSError as exc:
        # ELOOP: the last part became a symlink after it was resolved (O_NOFOLLOW).
        raise UnreadableFileError(given, exc.strerror or str(exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFileError(given, f"not a regular file ({_kind(st.st_mode)}); not read")
        _check_still_inside(root, fd, given)
    except BaseException:
        os.close(fd)
        raise
    return fd, st.st_size


def _check_still_inside(root: Path | str, fd: int, given: Path | str) -> None:
    """Where the kernel says the open file is: a folder swapped for a link between the
    resolve and the open would show here (Linux; elsewhere the resolve is what we have)."""
    link = f"/proc/self/fd/{fd}"
    try:
        opened = os.readlink(link)
    except OSError:
        return
    root_real = os.path.realpath(root)
    if opened != root_real and not opened.startswith(root_real.rstrip(os.sep) + os.sep):
        raise OutsideWorkspaceError(given, "moved outside the workspace folder while opened")


def _read_at_most(fh: BinaryIO, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = fh.read(min(left, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a plain file"
