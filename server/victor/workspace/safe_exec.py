"""How Victor runs another program: a scrubbed environment, and git that ignores the repository.

Every subprocess Victor starts (git, formatters, later the agent's check commands) gets
``scrubbed_env()``: an allowlist of harmless variables, never API keys, tokens or anything a
credential helper reads. Git runs through ``git_command()``, which turns off what a hostile
repository's ``.git/config`` could make git execute (fsmonitor, hooks, pagers, external diff
and text conversion drivers, credential helpers) and ignores the system configuration.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Mapping
from pathlib import Path

# Allowlist, not denylist: a variable is passed on only if it is named here (or starts with
# ``LC_``). Everything else (ANTHROPIC_API_KEY, OPENAI_API_KEY, AWS_*, GITHUB_TOKEN, SSH agent
# sockets, proxies with credentials in them ...) stays in Victor's process.
_PASSED_VARIABLES = frozenset(
    {
        "PATH",
        "HOME",
        "USER",
        "LOGNAME",
        "LANG",
        "LANGUAGE",
        "TZ",
        "TMPDIR",
        "TEMP",
        "TMP",
        "SYSTEMROOT",  # Windows needs it to start anything
        "COMSPEC",
        "PATHEXT",
        "XDG_CACHE_HOME",
        "XDG_CONFIG_HOME",
    }
)

# Git settings a repository's own config could use to run a program. Passed with ``-c`` they
# override .git/config (command-line configuration has the highest precedence).
_GIT_SAFE_CONFIG = (
    "core.fsmonitor=false",
    "core.hooksPath=/dev/null",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.askPass=",
    "credential.helper=",
    "diff.external=",
    "protocol.allow=never",
    "safe.bareRepository=explicit",
)


def scrubbed_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process: allowlisted variables only, plus ``extra``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name.upper() in _PASSED_VARIABLES or name.upper().startswith("LC_")
    }
    if extra:
        env.update(extra)
    return env


def git_env() -> dict[str, str]:
    """``scrubbed_env()`` plus what keeps git from reading system config or prompting."""
    return scrubbed_env(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_OPTIONAL_LOCKS": "0",  # read-only commands must not take the index lock
            "GIT_PAGER": "cat",
            "GIT_EXTERNAL_DIFF": "",
        }
    )


def git_command(root: Path | str, *args: str) -> list[str]:
    """``git -C root <args>`` with every repository-controlled program turned off."""
    cmd = ["git"]
    for setting in _GIT_SAFE_CONFIG:
        cmd += ["-c", setting]
    cmd += ["-C", str(root), *args]
    return cmd


def kill_process_group(proc: asyncio.subprocess.Process) -> None:
    """Kill a child started with ``start_new_session=True`` and everything it started (the
    whole process group; the process alone on Windows)."""
    try:
        if os.name == "nt":
            proc.kill()
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone
