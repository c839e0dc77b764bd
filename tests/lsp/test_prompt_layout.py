"""The turn layout over stdio: the model gets the editor's current context with every question,
and the requests are laid out so the prompt cache reads what earlier turns sent."""

from __future__ import annotations

import asyncio
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


UNCHANGED = ": unchanged since your last view of it"


async def test_every_turn_carries_the_current_file_context_after_cursor_moves(
    start, workspace: Path
) -> None:
    write(workspace / "other.py", OTHER_PY)
    # a model the cache simulation knows no minimum for: 1024 tokens (Sonnet 4.6: 2048)
    settings = {"model": "test-model"}
    daemon: Daemon = await start([workspace], configuration={"": {"victor": settings}})
    app = daemon.open(workspace / "app.py")
    other = daemon.open(workspace / "other.py")
    app_text = (workspace / "app.py").read_text()
    lines = OTHER_PY.count("\n") + 1
    # (document, cursor line, unsaved edit before the question, compact the session first)
    spots = [
        (app, 0, None, False),
        (other, 40, None, False),
        (other, 7, "BRAND_NEW = 1\n", False),
        (app, 4, None, False),
        (app, 1, None, True),
    ]
    session = None
    systems = []
    sent: list[str] = []  # the user messages as the model received them, turn by turn
    for turn, (uri, line, edit, compact) in enumerate(spots):
        if edit:
            daemon.edit(uri, types.Range(types.Position(line, 0), types.Position(line, 0)), edit)
        if compact:
            report = await daemon.request("victor/compact", {"sessionId": session})
            assert report["compacted"] is True
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
        # the newest question carries where the editor is now
        assert now.startswith("<editor_context>\n") and now.endswith(f"\n\nquestion {turn}")
        assert f"Active file: `{name}`" in now
        assert f"cursor at line {line + 1}, column 5" in now
        if not compact:
            # earlier turns go exactly as they were sent: each request extends the last one
            assert user_texts(body)[:-1] == sent
        sent.append(now)
        # tools in a fixed order, and at most the API's 4 breakpoints, where the layout says
        names = [t["name"] for t in body.get("tools", [])]
        assert names == sorted(names)
        marks = breakpoints(body)
        assert len(marks) <= 4
        assert "system 0" in marks and marks[-1].startswith("message -1 ")
        if turn:
            assert any(m.startswith("message -2 ") for m in marks)
        if turn == 0:  # nothing in the conversation yet: every text in full
            assert app_text.strip() in now and "def helper_59" in now and UNCHANGED not in now
        if turn == 1:  # both texts are in turn 0's snapshot: referred to, not repeated
            assert f"### `other.py` (whole file, {lines} lines){UNCHANGED}" in now
            assert f"### `app.py` (open in the editor){UNCHANGED}" in now
            assert "def helper_" not in now and "def greet" not in now
        if turn == 2:  # other.py changed: a diff against the earlier snapshot, app.py not
            changed = f"### `other.py` (whole file, {lines + 1} lines): changed since your last"
            assert changed in now
            assert "\n+BRAND_NEW = 1\n" in now and "```diff\n" in now
            assert len(now) < len(OTHER_PY) / 4  # not the whole file again
            assert f"### `app.py` (open in the editor){UNCHANGED}" in now
        if turn == 3:  # nothing changed since turn 2: references only
            assert now.count(UNCHANGED) == 2 and "BRAND_NEW" not in now
            assert "def greet" in sent[0] and "def helper_59" in sent[0]  # still sent
        if turn == 4:  # compacted: the snapshots are gone but the opening's (kept verbatim),
            # so the texts are referred to or diffed against that copy
            earlier = user_texts(body)[:-1]
            assert earlier[0] == sent[0]
            assert not any("<editor_context>" in t for t in earlier[1:])
            app_lines = app_text.count("\n") + 1
            assert f"### `app.py` (whole file, {app_lines} lines){UNCHANGED}" in now
            assert "`other.py` (open in the editor): changed since your last view" in now
            assert "\n+BRAND_NEW = 1\n" in now and "def greet" not in now
    # the breakpoint that outlives compactions: the end of the opening exchange they keep
    shown = await daemon.request("victor/prompt", {"sessionId": session})
    assert shown["cacheBreakpoints"][1] == "opening exchange"
    # the system prompt never moved with the cursor or the file
    assert len(set(systems)) == 1 and "Active file" not in systems[0]
    assert not daemon.model.violations


async def test_a_session_loaded_from_the_store_gets_the_full_text_again(
    start, workspace: Path, tmp_path: Path
) -> None:
    """The store never keeps the snapshots, so after a restart no reference may point at
    one: the model would not have the text."""
    write(workspace / "other.py", OTHER_PY)
    data = tmp_path / "data"
    data.mkdir()
    settings = {"": {"victor": {"model": "test-model"}}}
    first: Daemon = await start([workspace], configuration=settings, data_dir=data)
    uri = first.open(workspace / "other.py")
    where = {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 0}}
    session = (await first.chat("question 0", **where))["sessionId"]
    await first.chat("question 1", sessionId=session, **where)
    assert UNCHANGED in turn_text(first.last_body())
    await first.stop()

    second: Daemon = await start([workspace], configuration=settings, data_dir=data)
    second.open(workspace / "other.py")
    await second.chat("question 2", sessionId=session, **where)
    body = second.last_body()
    assert user_texts(body)[:-1] == ["question 0", "question 1"]
    now = turn_text(body)
    assert UNCHANGED not in now and "def helper_59" in now


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
    # later turns read everything the previous request sent (tools, system, earlier turns
    # with their snapshots) and write only the answer and the new question, whose editor
    # context refers to the file text the conversation holds
    for usage in (second, third):
        assert usage["cache_read_input_tokens"] > 0 and usage["input_tokens"] == 0
    assert third["cache_read_input_tokens"] > second["cache_read_input_tokens"]
    # the cursor moved, yet what is written stays about one snapshot, not the whole prompt
    total = sum(third.values())
    assert third["cache_creation_input_tokens"] < 0.75 * total


async def test_an_idle_session_is_kept_warm_over_a_pause(start, workspace: Path) -> None:
    """The daemon refreshes the cache of the session the user last asked in, once, after the
    configured idleness (the editor's ``promptCacheKeepWarmAfter``; 270 s by default), and
    the question after a pause longer than the cache's life reads the conversation."""
    write(workspace / "other.py", OTHER_PY)
    settings = {"model": "test-model", "promptCacheKeepWarmAfter": 1}
    daemon: Daemon = await start([workspace], configuration={"": {"victor": settings}})
    other = daemon.open(workspace / "other.py")
    where = {"textDocument": {"uri": other}, "position": {"line": 3, "character": 0}}
    session = (await daemon.chat("what does helper_3 do?", **where))["sessionId"]
    asked = daemon.model.requests_to("/v1/messages")[-1]
    daemon.model.advance_clock(270)  # before the daemon's second of idleness is over
    for _ in range(200):
        if len(daemon.model.requests_to("/v1/messages")) > 1:
            break
        await asyncio.sleep(0.05)
    refresh = daemon.model.requests_to("/v1/messages")[-1]
    assert refresh is not asked, "no refresh came"
    assert refresh.body["max_tokens"] == 1
    assert refresh.body["messages"][-2]["role"] == "assistant"
    cached = sum(asked.usage.values())
    assert refresh.usage["cache_read_input_tokens"] >= cached
    daemon.model.advance_clock(90)  # six minutes after the question
    await daemon.chat("and helper_4?", sessionId=session, **where)
    after = daemon.model.requests_to("/v1/messages")[-1].usage
    assert after["cache_read_input_tokens"] > cached
    assert not daemon.model.violations
