"""The turn layout over stdio: the model gets the editor's current context with every question,
and the requests are laid out so the prompt cache reads what earlier turns sent."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from tests.lsp.daemon import Daemon, system_text, turn_text, user_texts, write

OTHER_PY = "".join(
    f"def helper_{i}(value: int) -> int:\n    return value * {i}  # helper {i}\n\n\n"
    for i in range(60)
)


def breakpoints(body: dict) -> list[str]:
    """Where the request's cache_control blocks are, by part."""
    found = [f"tool {t['name']}" for t in body.get("tools", []) if "cache_control" in t]
    found += [f"system {i}" for i, b in enumerate(body["system"]) if "cache_control" in b]
    for i, message in enumerate(body["messages"]):
        for j, block in enumerate(message["content"]):
            if "cache_control" in block:
                found.append(f"message {i - len(body['messages'])} block {j}")
    return found


async def test_every_turn_carries_the_current_file_context_after_cursor_moves(
    start, workspace: Path
) -> None:
    write(workspace / "other.py", OTHER_PY)
    # a model the cache simulation knows no minimum for: 1024 tokens (Sonnet 4.6: 2048)
    settings = {"model": "test-model"}
    daemon: Daemon = await start([workspace], configuration={"": {"victor": settings}})
    app = daemon.open(workspace / "app.py")
    other = daemon.open(workspace / "other.py")
    # (document, cursor line, unsaved edit before the question)
    spots = [(app, 0, None), (other, 40, None), (other, 7, "BRAND_NEW = 1\n"), (app, 4, None)]
    session = None
    systems = []
    for turn, (uri, line, edit) in enumerate(spots):
        if edit:
            daemon.edit(uri, types.Range(types.Position(line, 0), types.Position(line, 0)), edit)
        result = await daemon.chat(
            f"question {turn}",
            textDocument={"uri": uri},
            position={"line": line, "character": 4},
            sessionId=session,
        )
        session = result["sessionId"]
        assert result["content"] == f"Echo: question {turn}"
        body = daemon.last_body()
        systems.append(system_text(body))
        now = turn_text(body)
        name = "app.py" if uri == app else "other.py"
        # the newest question carries where the editor is now, and the unsaved text
        assert now.startswith("<editor_context>\n") and now.endswith(f"\n\nquestion {turn}")
        assert f"Active file: `{name}`" in now
        assert f"cursor at line {line + 1}, column 5" in now
        if edit:
            assert "BRAND_NEW = 1" in now
        # earlier questions go as the user typed them: no stale cursor or file text
        assert user_texts(body)[:-1] == [f"question {i}" for i in range(turn)]
        # tools in a fixed order, and at most the API's 4 breakpoints, where the layout says
        names = [t["name"] for t in body.get("tools", [])]
        assert names == sorted(names)
        marks = breakpoints(body)
        assert len(marks) <= 4
        assert "system 0" in marks and marks[-1].startswith("message -1 ")
        if turn:
            assert any(m.startswith("message -2 ") for m in marks)
    # the system prompt never moved with the cursor or the file
    assert len(set(systems)) == 1 and "Active file" not in systems[0]
    assert not daemon.model.violations


async def test_the_next_turn_reads_the_conversation_from_the_cache(start, workspace: Path) -> None:
    write(workspace / "other.py", OTHER_PY)
    daemon: Daemon = await start(
        [workspace], configuration={"": {"victor": {"model": "test-model"}}}
    )
    other = daemon.open(workspace / "other.py")
    session = None
    for turn, line in enumerate((3, 50, 20)):
        result = await daemon.chat(
            f"question {turn} " + "about this helper " * 40,
            textDocument={"uri": other},
            position={"line": line, "character": 0},
            sessionId=session,
        )
        session = result["sessionId"]
    first, second, third = (r.usage for r in daemon.model.requests_to("/v1/messages"))
    # the first turn writes its whole prompt; nothing is billed uncached after a breakpoint
    assert first["cache_read_input_tokens"] == 0 and first["cache_creation_input_tokens"] > 1024
    assert first["input_tokens"] == 0
    # later turns read everything before the previous question (tools, system, earlier
    # turns) and write only the previous question without its snapshot, the answer and the
    # new question with the current editor context
    for usage in (second, third):
        assert usage["cache_read_input_tokens"] > 0 and usage["input_tokens"] == 0
    assert third["cache_read_input_tokens"] > second["cache_read_input_tokens"]
    # the cursor moved, yet what is written stays about one snapshot, not the whole prompt
    total = sum(third.values())
    assert third["cache_creation_input_tokens"] < 0.75 * total
