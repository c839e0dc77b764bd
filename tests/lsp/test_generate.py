"""``victor/generate``: code for one spot, returned as text plus a WorkspaceEdit."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tests.lsp.daemon import Daemon, system_text, turn_text, user_texts
from tests.support.model_server import Reply

RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent))

GREET_V2 = "def greet(name: str) -> str:\n    return 'Hello, ' + name.title()\n"


def fenced(code: str) -> str:
    return f"Here you go:\n\n```python\n{code}```\n\nThat should do it."


def only_edit(result: dict, uri: str) -> dict:
    changes = result["edit"]["changes"]
    assert list(changes) == [uri]
    assert len(changes[uri]) == 1
    return changes[uri][0]


async def test_generate_with_a_range_replaces_it_with_the_fenced_code(
    daemon: Daemon, workspace: Path
) -> None:
    uri = daemon.open(workspace / "app.py")
    whole_greet = {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}}
    daemon.model.enqueue(Reply(text=fenced(GREET_V2)))

    result = await daemon.request(
        "victor/generate",
        {"textDocument": {"uri": uri}, "instruction": "add type hints", "range": whole_greet},
    )

    assert result["text"] == GREET_V2  # already formatted: the formatter leaves it alone
    edit = only_edit(result, uri)
    assert edit["range"] == whole_greet
    assert edit["newText"] == result["text"]
    assert "Here you go" not in result["text"] and "```" not in result["text"]
    assert result["sessionId"] and result["turnId"]
    # the model was told what to replace and why, with the file's style in the system prompt
    asked = user_texts(daemon.last_body())[-1]
    assert "add type hints" in asked
    assert 'return "Hello, " + name' in asked  # the selected code
    system = system_text(daemon.last_body())
    assert "Code style" in system and "100" in system  # the style card, even right at start-up


async def test_generate_at_a_position_inserts_there(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    code = "def shout(name):\n    return name.upper()\n"
    daemon.model.enqueue(Reply(text=fenced(code)))
    position = {"line": 3, "character": 0}

    result = await daemon.request(
        "victor/generate",
        {"textDocument": {"uri": uri}, "instruction": "a shout function", "position": position},
    )

    assert result["text"].strip() == code.strip()
    edit = only_edit(result, uri)
    assert edit["range"] == {"start": position, "end": position}
    assert edit["newText"] == result["text"]
    assert "line 4" in user_texts(daemon.last_body())[-1]


async def test_generate_streams_the_raw_answer(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py")
    answer = fenced("def shout(name):\n    return name.upper()\n")
    daemon.model.enqueue(Reply(text=answer, delay=0.02))

    result, partials, seen_at_response = await daemon.streamed(
        "victor/generate",
        {
            "textDocument": {"uri": uri},
            "instruction": "shout",
            "position": {"line": 0, "character": 0},
        },
    )

    assert "".join(p["delta"] for p in partials if "delta" in p) == answer
    assert seen_at_response == len(partials) > 1
    assert {p["turnId"] for p in partials} == {result["turnId"]}


async def test_generate_uses_the_unsaved_text(daemon: Daemon, workspace: Path) -> None:
    uri = daemon.open(workspace / "app.py", "def brand_new():\n    pass\n")
    daemon.model.enqueue(Reply(text=fenced("def brand_new():\n    return 1\n")))
    await daemon.request(
        "victor/generate",
        {
            "textDocument": {"uri": uri},
            "instruction": "return 1",
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 2, "character": 0}},
        },
    )
    body = daemon.last_body()
    assert "def brand_new():\n    pass" in user_texts(body)[-1]
    assert "def brand_new" in turn_text(body)  # the editor context travels with the turn
    assert "def greet" not in system_text(body) + turn_text(body)  # the saved file is not
    # what the user has


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed next to the interpreter")
async def test_generated_code_is_formatted_with_the_workspace_ruff_settings(
    daemon: Daemon, workspace: Path
) -> None:
    uri = daemon.open(workspace / "app.py")
    # 95 characters on one line: fits line-length 100, not ruff's default 88.
    messy = (
        "def  describe( first_name,last_name ):\n"
        '  return "Name: " + first_name + " " + last_name + " (" + str(len(first_name)) + ")"\n'
    )
    daemon.model.enqueue(Reply(text=fenced(messy)))

    result = await daemon.request(
        "victor/generate",
        {
            "textDocument": {"uri": uri},
            "instruction": "describe a name",
            "position": {"line": 6, "character": 0},
        },
    )

    expected_body = (
        "    return 'Name: ' + first_name + ' ' + last_name + ' (' + str(len(first_name)) + ')'"
    )
    assert len(expected_body) <= 100
    assert result["text"] == f"def describe(first_name, last_name):\n{expected_body}\n"
    assert only_edit(result, uri)["newText"] == result["text"]
    assert result["formatter"] == "ruff"


async def test_formatting_can_be_turned_off(start, workspace: Path) -> None:
    daemon = await start([workspace], init_options={"formatGeneratedCode": False})
    uri = daemon.open(workspace / "app.py")
    messy = "def  f( a,b ):\n  return a\n"
    daemon.model.enqueue(Reply(text=fenced(messy)))
    result = await daemon.request(
        "victor/generate",
        {"textDocument": {"uri": uri}, "instruction": "f", "position": {"line": 0, "character": 0}},
    )
    assert result["text"] == messy
    assert result["formatter"] is None
