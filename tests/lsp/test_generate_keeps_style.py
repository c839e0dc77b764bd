"""Generated code keeps the file's style: the formatter pass may not undo the style card.

The workspace of the issue: its only style config is ``[tool.ruff] line-length = 79`` (lint
settings, no format table) and its code is 2-space indented and single-quoted. The recording
model server answers in the file's style; what reaches the editor must still be in it.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from lsprotocol import types

from tests.lsp.conftest import make_folder
from tests.lsp.test_code_actions import code_actions, run
from tests.support.model_server import Reply

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent))

TWO_SPACE = """\
def greet(name):
  return 'Hello, ' + name


def farewell(name):
  if not name:
    return 'Bye'
  return 'Bye, ' + name
"""
SHOUT = "def shout(name):\n  if name:\n    return name.upper() + '!'\n  return ''\n"
DOCUMENTED = "def greet(name):\n  '''Greet someone.'''\n  return 'Hello, ' + name\n"


def fenced(code: str) -> str:
    return f"```python\n{code}```\n"


async def _generate(daemon, uri: str) -> dict:
    return await daemon.request(
        "victor/generate",
        {
            "textDocument": {"uri": uri},
            "instruction": "shout",
            "position": {"line": 8, "character": 0},
        },
    )


async def test_lint_only_ruff_config_generate_and_docstring_keep_two_spaces_and_quotes(
    start, tmp_path: Path
) -> None:
    root = make_folder(
        tmp_path / "proj",
        {"pyproject.toml": "[tool.ruff]\nline-length = 79\n", "app.py": TWO_SPACE},
    )
    daemon = await start([root])
    uri = daemon.open(root / "app.py")
    daemon.model.enqueue(Reply(text=fenced(SHOUT)))

    result = await _generate(daemon, uri)

    assert result["text"] == SHOUT
    assert result["formatter"] is None
    assert "no formatter" in result["formatNote"]

    docstring = (
        await code_actions(daemon, uri, types.Range(types.Position(0, 0), types.Position(2, 0)))
    )["Add docstring"]
    daemon.model.enqueue(Reply(text=fenced(DOCUMENTED)))
    await run(daemon, docstring)
    (edit,) = daemon.client.applied_edits[-1]["edit"]["changes"][uri]
    assert edit["newText"] == DOCUMENTED  # 'Hello, ' and the 2-space body kept
    assert edit["range"]["start"]["line"] == 0 and edit["range"]["end"]["line"] <= 2


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed next to the interpreter")
async def test_a_formatter_that_would_contradict_the_card_is_not_used(
    start, tmp_path: Path
) -> None:
    # ruff format is declared (format table) but not told the indent width: run as it is, it
    # would re-indent by 4. The card says 2 (the code's own): the formatter is set aside.
    pyproject = '[tool.ruff]\nline-length = 79\n\n[tool.ruff.format]\nquote-style = "preserve"\n'
    root = make_folder(tmp_path / "proj", {"pyproject.toml": pyproject, "app.py": TWO_SPACE})
    daemon = await start([root])
    uri = daemon.open(root / "app.py")
    daemon.model.enqueue(Reply(text=fenced(SHOUT)))

    result = await _generate(daemon, uri)

    assert result["text"] == SHOUT
    assert result["formatter"] is None
    assert result["formatNote"] == ("ruff format not used: it indents by 4 spaces; the card says 2")
