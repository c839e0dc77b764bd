"""A real Neovim (headless, its built-in LSP client) uses Victor: status, chat with the unsaved
buffer, code actions, a clear error for bad params."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.model_script import ScriptedToolCall
from tests.support.model_server import ModelServer, Reply

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(
    NVIM is None, reason="neovim is not installed (apt-get install neovim)"
)


def test_neovim_chat_code_actions_and_errors(tmp_path: Path):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text("def on_disk():\n    return 0\n")
    out = tmp_path / "out.json"
    with ModelServer() as llm:
        env = {
            **os.environ,
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": llm.url,
            "VICTOR_DATA_DIR": str(tmp_path / "data"),
            "VICTOR_NVIM_OUT": str(out),
            "VICTOR_NVIM_ROOT": str(root),
            "VICTOR_PYTHON": sys.executable,
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "share"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
        }
        script = Path(__file__).with_name("neovim_client.lua")
        proc = subprocess.run(
            [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert out.exists(), proc.stdout + proc.stderr
        results = json.loads(out.read_text())
        requests = llm.requests_to("/v1/messages")

    assert "lua_error" not in results, results
    assert results["initialized"]
    assert results["status"]["provider"] == "anthropic"
    assert results["chat"]["content"] == "Echo: hello from neovim", results
    assert requests[-1].body["model"] == "model-from-neovim"  # settings from Neovim's config
    # the editor context travels with the question
    body = requests[-1].body
    question = "".join(b["text"] for b in body["messages"][-1]["content"] if "text" in b)
    system = "".join(block["text"] for block in body["system"])
    assert "unsaved_marker_fn" in question and "on_disk" not in question + system
    assert {"Victor: Explain", "Victor: Refactor", "Victor: Add docstring"} <= set(
        results["code_actions"]
    )
    assert results["bad_params"]["code"] == -32602
    assert "message" in results["bad_params"]["message"]


def test_neovim_agent_turn_edits_the_buffer_through_apply_edit(tmp_path: Path):
    """Neovim applies the agent's one workspace/applyEdit with its own handler: the unsaved
    buffer gets the edit, a created file becomes a buffer. Neovim ignores change annotations
    (it advertises no changeAnnotationSupport): it applies without asking, see docs/editors.md."""
    root = tmp_path / "ws"
    root.mkdir()
    (root / "app.py").write_text("def on_disk():\n    return 0\n")
    out = tmp_path / "out.json"
    with ModelServer() as llm:
        llm.enqueue(
            Reply(
                tool_calls=[
                    ScriptedToolCall(
                        "edit_file",
                        {"path": "app.py", "old_text": "return 0", "new_text": "return 42"},
                    ),
                    ScriptedToolCall("create_file", {"path": "new.py", "content": "VALUE = 2\n"}),
                ]
            ),
            Reply(text="Done."),
        )
        env = {
            **os.environ,
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": llm.url,
            "VICTOR_DATA_DIR": str(tmp_path / "data"),
            "VICTOR_NVIM_OUT": str(out),
            "VICTOR_NVIM_ROOT": str(root),
            "VICTOR_PYTHON": sys.executable,
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "share"),
            "XDG_STATE_HOME": str(tmp_path / "state"),
        }
        script = Path(__file__).with_name("neovim_agent.lua")
        proc = subprocess.run(
            [NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            stdin=subprocess.DEVNULL,
        )
        assert out.exists(), proc.stdout + proc.stderr
        results = json.loads(out.read_text())

    assert "lua_error" not in results, results
    assert results["chat"] is not None, results
    assert results["chat"]["mode"] == "agent"
    assert [c["status"] for c in results["chat"]["changes"]] == ["accepted", "accepted"], results
    assert results["buffer"] == ["def unsaved():", "    return 42"]  # the unsaved buffer, edited
    # (Neovim 0.7 keeps the empty line its new buffer had after the inserted text)
    assert results["new_buffer"][0] == "VALUE = 2" and not "".join(results["new_buffer"][1:])
    assert (root / "app.py").read_text() == "def on_disk():\n    return 0\n"  # not saved by us
