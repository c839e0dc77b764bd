"""The user's own small JSON stores (trusted folders, allowed commands): read only when the
file is the user's and nobody else can write it, written atomically as 0600."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_private_json(path: Path, what: str, fallback: str) -> Any:
    """The parsed file, or None when it is missing, unreadable, unsafe or not JSON (logged as
    ``"<what> <path> ...: <fallback>"``)."""
    try:
        st = path.stat()
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s %s unreadable (%s): %s", what, path, exc, fallback)
        return None
    # Like vim.secure: a file another user could have written is not the user's word.
    if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
        log.warning("%s %s is writable by others or not yours: ignored (chmod 600 it)", what, path)
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        log.warning("%s %s is not valid JSON (%s): ignored", what, path, exc)
        return None


def write_private_json(path: Path, payload: Any, prefix: str) -> None:
    """mkstemp creates the file 0600 in the same directory, then it is renamed over ``path``:
    never a moment where the file is half-written or readable by others."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=prefix, dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(payload, out, indent=2)
            out.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
