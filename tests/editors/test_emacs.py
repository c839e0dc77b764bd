"""A real Emacs (batch mode) with eglot uses Victor as docs/editors.md sets it up: status,
streamed chat with an unsaved buffer, a code action whose edit eglot applies, a clear error
for bad params, and the methods eglot sends regardless of capabilities answered quietly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.model_server import ModelServer, Reply

EMACS = shutil.which("emacs")
INSTALL = "apt-get install emacs-nox elpa-eglot (scripts/test.sh does)"


def _emacs_with_eglot() -> None:
    """Skip when Emacs with eglot is not installed, except in CI (CI=true), where
    scripts/test.sh installs it and the test must run."""
    if os.environ.get("CI"):
        assert EMACS is not None, f"CI=true but emacs is missing: {INSTALL}"
        return
    if EMACS is None:
        pytest.skip(f"emacs is not installed: {INSTALL}")
    probe = subprocess.run(
        [EMACS, "--batch", "-q", "--eval", "(require 'eglot)"],
        capture_output=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    if probe.returncode != 0:
        pytest.skip(f"eglot is not available to this Emacs: {INSTALL}")


REFACTORED = "def refactored_by_victor():\n    return 1\n"
EXPLANATION = "It returns **one**."
DOCS = Path(__file__).parents[2] / "docs" / "editors.md"


def documented_elisp() -> str:
    """The elisp blocks of the Emacs section of docs/editors.md, in order."""
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## Emacs (eglot)") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"```elisp\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 3, "docs/editors.md: the Emacs section lost its elisp blocks"
    return "\n".join(blocks)


def test_emacs_eglot_chat_code_action_and_errors(tmp_path: Path) -> None:
    _emacs_with_eglot()
    assert EMACS is not None
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text("def on_disk():\n    return 0\n")
    out = tmp_path / "out.json"
    with ModelServer() as llm:
        # in the order the script asks: the chat turn, Refactor, Explain
        llm.enqueue(
            Reply(text="Echo: hello from emacs", chunk_size=4),
            Reply(text=f"```python\n{REFACTORED}```"),
            Reply(text=EXPLANATION),
        )
        docs_el = tmp_path / "victor-docs.el"
        docs_el.write_text(documented_elisp(), encoding="utf-8")
        env = {
            **os.environ,
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": llm.url,
            "VICTOR_DATA_DIR": str(tmp_path / "data"),
            "VICTOR_EMACS_OUT": str(out),
            "VICTOR_EMACS_ROOT": str(root),
            "VICTOR_EMACS_DOCS": str(docs_el),
            # the documented `victor serve` command, from this environment
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
        }
        script = Path(__file__).with_name("eglot_client.el")
        # -q: no init file, but the site start-up that makes Debian's elpa-eglot loadable
        proc = subprocess.run(
            [EMACS, "--batch", "-q", "-l", str(script)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            stdin=subprocess.DEVNULL,
        )
        assert out.exists(), proc.stdout + proc.stderr
        results = json.loads(out.read_text())
        requests = llm.requests_to("/v1/messages")

    assert "lisp_error" not in results, (results, proc.stderr[-3000:])
    assert results["initialized"]
    assert results["status"]["provider"] == "anthropic"

    # the documented chat command: only $/progress deltas write to *victor*, so the answer
    # there was streamed; the model saw the unsaved buffer
    assert results["chat_done"]
    assert "> hello from emacs\n\nEcho: hello from emacs" in results["chat_buffer"]
    chat_body = requests[0].body
    assert chat_body["model"] == "model-from-emacs"  # from eglot-workspace-configuration
    # the editor context travels with the question
    question = "".join(b["text"] for b in chat_body["messages"][-1]["content"] if "text" in b)
    system = "".join(block["text"] for block in chat_body["system"])
    assert "unsaved_marker_fn" in question and "on_disk" not in question + system

    # the code action: the command answered at once, eglot applied the edit to the buffer
    assert {"Victor: Explain", "Victor: Refactor", "Victor: Add docstring"} <= set(
        results["code_actions"]
    )
    assert results["command_result"] == "null"
    assert results["applied"], results.get("buffer_after_action")
    assert results["buffer_after_action"].startswith(REFACTORED)

    # the explanation reached *victor* through the documented victor/explanation handler
    assert results["explained"], results.get("victor_buffer")
    assert EXPLANATION in results["victor_buffer"]

    assert results["bad_params"]["code"] == -32602
    assert "message" in results["bad_params"]["message"]

    assert results["document_symbol_error"] == -32601
    assert results["error_logs"] == []
    stderr = results["server_stderr"]
    assert "emacs-marker" in stderr  # the server's stderr was read up to after didSave
    assert "didSave" not in stderr and "documentSymbol" not in stderr, stderr
