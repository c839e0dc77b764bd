"""Which open files git ignores, answered by one long-lived ``git check-ignore`` per folder.

The file context asks about every background buffer on every prompt build. Starting ``git
check-ignore`` for each build cost about 8 ms; a process kept running with ``--stdin`` answers
in tens of microseconds, and its answers are git's own (nested .gitignore files, negation,
folder patterns, .git/info/exclude, core.excludesFile).

Answers are remembered until a file they depend on changes. Before answering, the checker
stats the .gitignore of every folder between the repository's top and each asked file, the
repository's info/exclude and config, the user's global excludes file and git config, and the
``.git`` entries it looked for while finding the repository: when any of them changed (or
appeared), every answer is forgotten and the git process is started again (a running ``git
check-ignore`` keeps the top-level .gitignore it read first). A stat costs about a
microsecond; no watcher is needed, and edits in folders the style watcher does not watch
count too.

The LSP layer asks about a file when it is opened (didOpen), so a prompt build usually finds
every answer in memory: ``from_memory`` answers with stats only, fit for the event loop, and
raises GitAnswerNeeded otherwise (the caller then asks in a thread).

Git runs through ``safe_exec.git_command`` (no hooks, fsmonitor, pager; scrubbed environment)
with ``--no-index``. Only resolved paths inside the repository are asked about (git ends the
process on a path outside it or beyond a symbolic link). A folder outside any git repository
ignores nothing, as git says. If the process dies or does not answer within ``timeout``, that
build falls back to a one-shot ``git check-ignore`` and the next one starts a new process.
Blocking: call from a thread. Thread-safe (one lock per checker).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from victor.workspace.paths import is_git_ignored
from victor.workspace.safe_exec import git_command, git_env

log = logging.getLogger(__name__)

MAX_ANSWERS = 4096
_Stamp = tuple[int, int, int, int] | None  # (mtime ns, ctime ns, size, inode); None: absent


def _stamp(path: str) -> _Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)


class _CheckIgnoreProcess:
    """``git check-ignore --stdin -z --non-matching -v`` in ``top``; a reader thread turns
    its output into (pattern, path) answers on a queue."""

    def __init__(self, top: str) -> None:
        env = git_env()
        env["GIT_FLUSH"] = "1"  # an answer per path as soon as it is known
        args = ("check-ignore", "--no-index", "--stdin", "-z", "--non-matching", "-v")
        self.proc = subprocess.Popen(
            git_command(top, *args),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.answers: queue.Queue[tuple[bytes, bytes] | None] = queue.Queue()
        threading.Thread(target=self._read, name="git-check-ignore", daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        pending = b""
        fields: list[bytes] = []
        try:
            while chunk := os.read(fd, 65536):
                parts = (pending + chunk).split(b"\0")
                pending = parts.pop()
                for part in parts:
                    fields.append(part)
                    if len(fields) == 4:  # source, line number, pattern, path
                        self.answers.put((fields[2], fields[3]))
                        fields = []
        except OSError:
            pass
        self.answers.put(None)  # ended

    def ask(self, queries: list[bytes], timeout: float) -> dict[bytes, bool] | None:
        """Ignored or not for each query; None if git died or was too slow."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(b"".join(q + b"\0" for q in queries))
            self.proc.stdin.flush()
        except OSError:
            return None
        out: dict[bytes, bool] = {}
        for _ in queries:
            try:
                answer = self.answers.get(timeout=timeout)
            except queue.Empty:
                return None
            if answer is None:
                return None
            pattern, path = answer
            # With -v a matching negated pattern ("!keep.log") is reported too: not ignored.
            out[path] = bool(pattern) and not pattern.startswith(b"!")
        return out

    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()  # git ends at the end of its input
        try:
            self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class _Repo:
    """What the checker knows about one workspace folder."""

    root: str
    top: str | None = None  # the repository's top folder; None: not in a repository
    #: the .git entries discovery looked at, info/exclude, config and global excludes files
    found_by: dict[str, _Stamp] = field(default_factory=dict)
    #: the .gitignore files the answers so far depend on
    ignore_files: dict[str, _Stamp] = field(default_factory=dict)
    answers: dict[str, bool] = field(default_factory=dict)  # query (path from top) -> ignored
    process: _CheckIgnoreProcess | None = None
    #: path as asked -> (the file it reaches, the queries for it): realpath is ~10 syscalls
    resolved: dict[str, tuple[tuple[int, int], list[str]]] = field(default_factory=dict)
    #: query -> the .gitignore files its answer depends on
    files_of: dict[str, tuple[str, ...]] = field(default_factory=dict)


class GitAnswerNeeded(Exception):
    """A memory-only question needs git (a path not asked before, or rules that changed)."""


class IgnoredPaths(Protocol):
    def ignored(self, root: Path, paths: list[Path]) -> set[Path]: ...


class GitIgnoreChecker:
    """``ignored(root, paths)``: the subset of ``paths`` git ignores in the folder ``root``."""

    def __init__(self, timeout: float = 5.0) -> None:
        self.timeout = timeout
        self._lock = threading.Lock()
        self._repos: dict[str, _Repo] = {}  # by the folder's real path
        self._real: dict[str, str] = {}  # root as given -> its real path

    def ignored(self, root: Path, paths: list[Path], *, ask_git: bool = True) -> set[Path]:
        """Without ``ask_git`` only remembered answers are used (a few stats, no process: fit
        for the event loop); GitAnswerNeeded when they do not cover ``paths``."""
        if not paths:
            return set()
        # From memory, never wait: another thread may be talking to git (or starting it).
        if not self._lock.acquire(blocking=ask_git):
            raise GitAnswerNeeded(str(root))
        try:
            real_root = self._real.get(str(root))
            if real_root is None:
                real_root = self._real[str(root)] = os.path.realpath(root)
            repo = self._repos.get(real_root)
            if repo is None or any(_stamp(f) != st for f, st in repo.found_by.items()):
                if not ask_git:
                    raise GitAnswerNeeded(str(root))
                if repo is not None:
                    self._forget(repo)
                repo = self._repos[real_root] = self._discover(real_root)
            if repo.top is None:
                return set()
            queries = {p: self._queries(repo, p) for p in paths}
            wanted = {q for qs in queries.values() for q in qs}
            if not self._check_ignore_files(repo, wanted, may_restart=ask_git):
                raise GitAnswerNeeded(str(root))
            unknown = [q for q in wanted if q not in repo.answers]
            if unknown and not ask_git:
                raise GitAnswerNeeded(str(root))
            self._answer(repo, unknown)
            return {p for p, qs in queries.items() if any(repo.answers.get(q) for q in qs)}
        finally:
            self._lock.release()

    @property
    def from_memory(self) -> IgnoredPaths:
        """This checker answering from memory only (``ask_git=False``)."""
        return _FromMemory(self)

    def pid(self, root: Path) -> int | None:
        """The running git process for ``root`` (for tests and diagnostics)."""
        repo = self._repos.get(os.path.realpath(root))
        process = repo.process if repo is not None else None
        return process.proc.pid if process is not None and process.alive() else None

    def close(self) -> None:
        """End every git process (the folder is closed or the server shuts down)."""
        with self._lock:
            for repo in self._repos.values():
                self._forget(repo)
            self._repos.clear()
            self._real.clear()

    # ------------------------------------------------------------------ internals

    def _forget(self, repo: _Repo) -> None:
        if repo.process is not None:
            repo.process.close()
            repo.process = None
        repo.answers.clear()
        repo.ignore_files.clear()

    def _discover(self, root: str) -> _Repo:
        """Find the repository holding ``root`` and the files its answers depend on."""
        repo = _Repo(root)
        folder, found = root, False
        while True:  # the .git entries git's own discovery looks at (a new one changes it)
            dot_git = os.path.join(folder, ".git")
            repo.found_by[dot_git] = _stamp(dot_git)
            if repo.found_by[dot_git] is not None:
                found = True
                break
            parent = os.path.dirname(folder)
            if parent == folder:
                break
            folder = parent
        if not found:
            return repo
        top, common = self._git_lines(root, "rev-parse", "--show-toplevel", "--git-common-dir")[:2]
        if not top or not common:
            return repo  # not a work tree git accepts (bare, unsafe owner, no git): nothing
        repo.top = os.path.realpath(top)
        common = os.path.join(root, common)
        home = os.path.expanduser("~")
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config")
        excludes = self._git_lines(root, "config", "--path", "--get", "core.excludesFile")[0]
        for path in (
            os.path.join(common, "info", "exclude"),
            os.path.join(common, "config"),
            os.path.join(home, ".gitconfig"),
            os.path.join(xdg, "git", "config"),
            os.path.join(root, excludes) if excludes else os.path.join(xdg, "git", "ignore"),
        ):
            repo.found_by[path] = _stamp(path)
        return repo

    def _git_lines(self, root: str, *args: str) -> list[str]:
        try:
            done = subprocess.run(
                git_command(root, *args),
                capture_output=True,
                timeout=self.timeout,
                check=False,
                env=git_env(),
            )
        except (OSError, subprocess.TimeoutExpired):
            return ["", ""]
        if done.returncode != 0:
            return ["", ""]
        return [*os.fsdecode(done.stdout).splitlines(), "", ""]

    def _queries(self, repo: _Repo, path: Path) -> list[str]:
        """What to ask git about ``path``: its resolved path and, when it differs and only its
        last part is a link, the path as given (either one ignored keeps the file out).
        Remembered while the path still reaches the same file (device and inode)."""
        assert repo.top is not None
        given = os.path.join(repo.root, path)
        try:
            st = os.stat(given)
            reaches: tuple[int, int] | None = (st.st_dev, st.st_ino)
        except OSError:
            reaches = None  # not on disk (a new buffer): resolved each time
        known = repo.resolved.get(given)
        if known is not None and known[0] == reaches:
            return known[1]
        real = os.path.realpath(given)
        candidates = [real]
        if real != given:
            given_abs = os.path.abspath(given)
            folder = os.path.dirname(given_abs)
            if os.path.realpath(folder) == folder:  # git refuses a path beyond a link (and ends)
                candidates.append(given_abs)
        out: list[str] = []
        for candidate in candidates:
            rel = os.path.relpath(candidate, repo.top)
            if rel in (".", "..") or rel.startswith(".." + os.sep) or rel in out:
                continue  # git refuses a path outside the repository (and ends)
            out.append(rel)
        if reaches is not None:
            if len(repo.resolved) >= MAX_ANSWERS:
                repo.resolved.clear()
                repo.files_of.clear()
            repo.resolved[given] = (reaches, out)
        return out

    def _check_ignore_files(self, repo: _Repo, queries: set[str], *, may_restart: bool) -> bool:
        """Record the .gitignore files the answers to ``queries`` depend on; forget every
        answer (and the running git, which may hold the old rules) if one of them changed.
        False, changing nothing, when one changed and ``may_restart`` is not set."""
        files: set[str] = set()
        for q in queries:
            of = repo.files_of.get(q)
            if of is None:
                of = repo.files_of[q] = _ignore_files(repo, q)
            files.update(of)
        now = {f: _stamp(f) for f in files}
        known = repo.ignore_files
        changed = any(f in known and known[f] != st for f, st in now.items())
        if changed or len(known) >= MAX_ANSWERS:
            if not may_restart:
                return False
            self._forget(repo)
        known.update(now)
        return True

    def _answer(self, repo: _Repo, queries: list[str]) -> None:
        assert repo.top is not None
        if not queries:
            return
        if len(repo.answers) + len(queries) > MAX_ANSWERS:
            repo.answers.clear()
        if repo.process is not None and not repo.process.alive():
            repo.process.close()
            repo.process = None
        if repo.process is None:
            try:
                repo.process = _CheckIgnoreProcess(repo.top)
            except OSError as exc:
                log.info("cannot start git check-ignore: %s", exc)
        encoded = [os.fsencode(q) for q in queries]
        got = repo.process.ask(encoded, self.timeout) if repo.process is not None else None
        if got is None:
            if repo.process is not None:
                log.info("git check-ignore ended or stalled; asking once instead")
                repo.process.proc.kill()
                repo.process.close()
                repo.process = None
            top = Path(repo.top)
            found = {str(p) for p in is_git_ignored(top, [top / q for q in queries])}
            got = {e: str(top / q) in found for e, q in zip(encoded, queries, strict=True)}
        for e, q in zip(encoded, queries, strict=True):
            repo.answers[q] = got.get(e, False)


def _ignore_files(repo: _Repo, query: str) -> tuple[str, ...]:
    """The .gitignore files from the repository's top down to the folder of ``query``."""
    assert repo.top is not None
    folder, files = repo.top, [os.path.join(repo.top, ".gitignore")]
    for part in query.split(os.sep)[:-1]:
        folder = os.path.join(folder, part)
        files.append(os.path.join(folder, ".gitignore"))
    return tuple(files)


class _FromMemory:
    def __init__(self, checker: GitIgnoreChecker) -> None:
        self._checker = checker

    def ignored(self, root: Path, paths: list[Path]) -> set[Path]:
        return self._checker.ignored(root, paths, ask_git=False)
