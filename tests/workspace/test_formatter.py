"""Formatter pass: the workspace's formatter and config, snippets, failures, timeouts.

ruff and black come from the running interpreter's bin folder (Victor's .venv), the second
place format_code looks after the workspace's own .venv/venv/node_modules/.bin.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import sys
from pathlib import Path

import pytest

from tests.workspace.conftest import FIXTURES
from victor.workspace.formatter import find_executable, format_code

BIN = Path(sys.executable).parent
needs_ruff = pytest.mark.skipif(shutil.which("ruff", path=str(BIN)) is None, reason="no ruff")
needs_black = pytest.mark.skipif(shutil.which("black", path=str(BIN)) is None, reason="no black")

# 95 characters: fits the fixture's 100, not ruff's default 88.
CALL = (
    'result = compute_something("alpha", "beta", "gamma", "delta", "epsilon", "zeta", '
    '"eta12345678")\n'
)


def _script(folder: Path, name: str, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


@needs_ruff
async def test_ruff_uses_workspace_line_length_and_quotes() -> None:
    root = FIXTURES / "python_project"
    assert len(CALL.rstrip()) == 95
    res = await format_code(CALL, root / "src" / "shop" / "new.py", root)
    assert res.error is None and res.formatter == "ruff format"
    assert res.text == CALL.replace('"', "'")  # single quotes, still one line at 100


@needs_ruff
async def test_ruff_default_width_would_split_that_line(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff.format]\nquote-style = 'double'\n")
    res = await format_code(CALL, tmp_path / "x.py", tmp_path)
    assert res.formatter == "ruff format"
    assert res.text.startswith("result = compute_something(\n")


@needs_ruff
async def test_indented_method_snippet_comes_out_right() -> None:
    root = FIXTURES / "python_project"
    snippet = (
        "    def total(self)->Decimal:\n"
        '        return sum(self.items.values(),Decimal("0"))\n'
        "    def count(self): return len(self.items)\n"
    )
    res = await format_code(snippet, root / "src" / "shop" / "cart.py", root)
    assert res.error is None
    assert res.text == (
        "    def total(self) -> Decimal:\n"
        "        return sum(self.items.values(), Decimal('0'))\n"
        "\n"  # one blank line between methods, as inside a class
        "    def count(self):\n"
        "        return len(self.items)\n"
    )


@needs_ruff
async def test_snippet_width_accounts_for_its_indentation() -> None:
    root = FIXTURES / "python_project"
    # 95 characters of code fits 100 at the top level, not under 12 spaces of indentation.
    res = await format_code("            " + CALL, root / "src" / "shop" / "cart.py", root)
    assert res.error is None
    assert all(len(line) <= 100 for line in res.text.splitlines())
    assert res.text.startswith("            result = compute_something(\n")


@needs_ruff
async def test_snippet_without_trailing_newline_keeps_none() -> None:
    root = FIXTURES / "python_project"
    res = await format_code("        x=1", root / "src" / "shop" / "cart.py", root)
    assert res.text == "        x = 1"


@needs_ruff
async def test_broken_snippet_returns_original_with_reason() -> None:
    root = FIXTURES / "python_project"
    bad = "    x = 1\n        y = (\n"
    res = await format_code(bad, root / "src" / "shop" / "cart.py", root)
    assert res.text == bad and res.formatter == "ruff format"
    assert res.error is not None and res.error.startswith("ruff format:")


@needs_black
async def test_black_when_the_workspace_declares_black(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.black]\nline-length = 60\n")
    code = "value = some_function(argument_one, argument_two, argument_three)\n"
    res = await format_code(code, tmp_path / "m.py", tmp_path)
    assert res.formatter == "black" and res.error is None
    assert res.text.startswith("value = some_function(\n")


async def test_left_as_generated_when_formatter_not_installed() -> None:
    root = FIXTURES / "python_project"
    res = await format_code("x  =  'a'\n", root / "src" / "a.py", root, bin_dirs=[], trusted=True)
    assert res.text == "x  =  'a'\n" and res.formatter is None and res.error is None
    assert res.note == "ruff format is the formatter here but is not installed"


async def test_left_as_generated_when_nothing_declared_or_installed_in_workspace() -> None:
    # ruff is in Victor's environment, but this workspace neither declares nor installs it.
    root = FIXTURES / "python_noconfig"
    res = await format_code("x  =  'a'\n", root / "new.py", root)
    assert res.text == "x  =  'a'\n" and res.formatter is None


async def test_workspace_venv_comes_before_victors_environment(tmp_path) -> None:
    _script(tmp_path / ".venv" / "bin", "ruff", "cat >/dev/null; echo FROM_WORKSPACE_VENV\n")
    assert find_executable("ruff", tmp_path, trusted=True) == str(
        tmp_path / ".venv" / "bin" / "ruff"
    )
    # Nothing declared, but ruff installed in the workspace's own .venv: that is its formatter.
    res = await format_code("x=1\n", tmp_path / "a.py", tmp_path, trusted=True)
    assert res.formatter == "ruff format" and res.text == "FROM_WORKSPACE_VENV\n"


async def test_node_modules_bin_found_from_nested_package(tmp_path) -> None:
    pkg = tmp_path / "packages" / "web"
    _script(tmp_path / "node_modules" / ".bin", "prettier", 'cat >/dev/null; echo "PRETTIER $*"\n')
    (pkg / "src").mkdir(parents=True)
    (pkg / ".prettierrc").write_text('{"semi": false}')
    res = await format_code("let a=1\n", pkg / "src" / "a.ts", tmp_path, trusted=True)
    assert res.formatter == "prettier"
    assert res.text == f"PRETTIER --stdin-filepath {pkg / 'src' / 'a.ts'}\n"


async def test_timeout_returns_original_and_does_not_block_the_loop(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 90\n[tool.ruff.format]\n")
    fake = _script(tmp_path / "fakebin", "ruff", "sleep 5\n")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        res = await format_code(
            "x=1\n", tmp_path / "a.py", tmp_path, timeout=0.5, bin_dirs=[fake.parent], trusted=True
        )
    finally:
        task.cancel()
    assert res.text == "x=1\n" and res.error == "ruff format: timed out after 0.5s"
    assert ticks >= 20  # the loop kept running while the formatter hung


async def test_formatter_failure_exit_status(tmp_path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 90\n[tool.ruff.format]\n")
    fake = _script(
        tmp_path / "fakebin", "ruff", "cat >/dev/null; echo 'boom: bad input' >&2; exit 2\n"
    )
    res = await format_code(
        "x=1\n", tmp_path / "a.py", tmp_path, bin_dirs=[fake.parent], trusted=True
    )
    assert res.text == "x=1\n" and res.error == "ruff format: boom: bad input"


@pytest.mark.skipif(shutil.which("rustfmt") is None, reason="no rustfmt")
async def test_rustfmt_for_rust_files(tmp_path) -> None:
    (tmp_path / "rustfmt.toml").write_text("hard_tabs = true\n")
    res = await format_code("fn main(){let x=1;}\n", tmp_path / "src" / "main.rs", tmp_path)
    assert res.formatter == "rustfmt" and res.text == "fn main() {\n\tlet x = 1;\n}\n"


async def test_no_formatter_for_unknown_language(tmp_path) -> None:
    res = await format_code("hello", tmp_path / "notes.txt", tmp_path)
    assert res.text == "hello" and res.formatter is None
    assert res.note == "no formatter configured for this file type"


def test_lookup_falls_back_to_path(tmp_path, monkeypatch) -> None:
    _script(tmp_path / "onpath", "made-up-formatter", "exit 0\n")
    monkeypatch.setenv("PATH", str(tmp_path / "onpath") + os.pathsep + os.environ.get("PATH", ""))
    assert find_executable("made-up-formatter", tmp_path, trusted=True) == str(
        tmp_path / "onpath" / "made-up-formatter"
    )
    assert find_executable("made-up-formatter", tmp_path, bin_dirs=[], trusted=True) is None


async def test_untrusted_folder_never_runs_its_own_executables(tmp_path, monkeypatch) -> None:
    """Limited mode: the workspace's .venv, node_modules and PATH entries inside it are skipped;
    the note says so."""
    canary = tmp_path / "ran"
    script = f"touch {canary}; cat\n"
    _script(tmp_path / ".venv" / "bin", "ruff", script)
    _script(tmp_path / "tools", "ruff", script)
    _script(tmp_path / "node_modules" / ".bin", "prettier", script)
    monkeypatch.setenv("PATH", f"{tmp_path / 'tools'}{os.pathsep}.{os.pathsep}/nonexistent")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.executable", "/nonexistent/bin/python")
    assert find_executable("ruff", tmp_path) is None
    res = await format_code("x=1\n", tmp_path / "a.py", tmp_path)
    assert res.formatter is None and res.text == "x=1\n"
    assert res.note and "not trusted" in res.note and "outside the workspace" in res.note
    res = await format_code("let a=1\n", tmp_path / "a.ts", tmp_path)
    assert res.formatter is None and "prettier not run" in (res.note or "")
    assert not canary.exists()


async def test_untrusted_folder_uses_a_formatter_from_outside(tmp_path) -> None:
    # a format table is the evidence that ruff formats here (a lint-only [tool.ruff] is not)
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 90\n[tool.ruff.format]\n")
    res = await format_code("x=1\n", tmp_path / "a.py", tmp_path)  # ruff of Victor's .venv
    assert res.formatter == "ruff format" and res.text == "x = 1\n"
    assert res.note and "not trusted" in res.note and str(tmp_path) not in res.note


async def test_a_formatter_victor_does_not_run_is_not_replaced_by_another(tmp_path) -> None:
    (tmp_path / ".style.yapf").write_text("[style]\nbased_on_style = yapf\n")
    fake = _script(tmp_path / "fakebin", "black", "cat\n")
    (tmp_path / ".venv" / "bin").mkdir(parents=True)
    (tmp_path / ".venv" / "bin" / "black").symlink_to(fake)
    res = await format_code("x=1\n", tmp_path / "a.py", tmp_path, bin_dirs=[fake.parent])
    assert res.text == "x=1\n" and res.formatter is None
    assert res.note == "yapf formats here; Victor does not run it"
