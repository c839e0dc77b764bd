"""Whole sessions through the orchestrator stay valid on the wire (issue 11, items 1, 15-18).

The model server rejects any request that breaks a documented API rule (model_rules), so
"the answer arrived" already means "the request was valid"; the tests also check
``server.violations`` and what the requests carried.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from tests.providers.helpers import ANTHROPIC_KEY, OPENAI_KEY
from tests.support.model_server import ModelServer, Reply
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.protocols import Message, ToolSpec
from victor.providers.anthropic import AnthropicProvider
from victor.providers.base import Provider
from victor.providers.openai_compat import OpenAICompatProvider
from victor.tools import Tool, ToolRegistry, ToolResult

CHAT_PATHS = ("/v1/messages", "/v1/chat/completions")


def make_provider(api: str, server: ModelServer) -> tuple[Provider, str]:
    if api == "anthropic":
        return AnthropicProvider(ANTHROPIC_KEY, server.url, backoff_base=0.001), "claude-x"
    provider = OpenAICompatProvider(server.url + "/v1", OPENAI_KEY, backoff_base=0.001)
    return provider, "qwen2.5-coder:7b"


def chats(server: ModelServer) -> list[Any]:
    return [r for r in server.requests if r.path in CHAT_PATHS]


def all_text(body: dict[str, Any]) -> str:
    return str(body)


# --------------------------------------------------------------------------- item 1


@pytest.mark.parametrize("api", ["anthropic", "openai"])
def test_each_asyncio_run_sends_its_request_once(model_server: ModelServer, api: str) -> None:
    """The script/notebook pattern: every ``asyncio.run`` is a new event loop."""
    provider, model = make_provider(api, model_server)
    orchestrator = AgentOrchestrator(Settings(), provider, model)
    assert asyncio.run(orchestrator.chat("first")).content == "Echo: first"
    assert asyncio.run(orchestrator.chat("second")).content == "Echo: second"
    assert asyncio.run(orchestrator.chat("third")).content == "Echo: third"
    assert len(chats(model_server)) == 3  # not 5: no request was sent twice
    asyncio.run(provider.aclose())


# --------------------------------------------------------------------------- item 15


class ListNames(Tool):
    """A tool that returns file names as Python sees them (os.listdir): a name that is not
    UTF-8 comes back with a lone surrogate (byte 0xE9 becomes U+DCE9)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.spec = ToolSpec("list_names", "List file names", {"type": "object"})

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        return ToolResult("\n".join(sorted(os.listdir(self.folder))))


@pytest.mark.parametrize("api", ["anthropic", "openai"])
async def test_a_file_name_that_is_not_utf8_does_not_poison_the_session(
    tmp_path: Path, model_server: ModelServer, api: str
) -> None:
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "app.py").write_text("x = 1\n")
    fd = os.open(os.fsencode(folder) + b"/caf\xe9.py", os.O_CREAT | os.O_WRONLY)
    os.close(fd)
    provider, model = make_provider(api, model_server)
    settings = Settings(data_dir=tmp_path / "data")
    orchestrator = AgentOrchestrator(
        settings, provider, model, workspace=folder, tools=ToolRegistry([ListNames(folder)])
    )
    model_server.enqueue(Reply.tool_use("list_names"), Reply(text="listed"))
    first = await orchestrator.chat("what files are there?")
    second = await orchestrator.chat("and now?")
    await orchestrator.aclose()
    assert (first.content, second.content) == ("listed", "Echo: and now?")
    assert not model_server.violations, model_server.violations[0].invalid
    bodies = [r.body for r in chats(model_server)]
    assert len(bodies) == 3
    assert "app.py" in all_text(bodies[1]) and "caf\ufffd.py" in all_text(bodies[1])


@pytest.mark.parametrize("api", ["anthropic", "openai"])
async def test_lone_surrogates_from_the_user_or_the_model_never_reach_the_wire(
    tmp_path: Path, model_server: ModelServer, api: str
) -> None:
    provider, model = make_provider(api, model_server)
    settings = Settings(data_dir=tmp_path / "data")
    orchestrator = AgentOrchestrator(settings, provider, model, workspace=tmp_path)
    # the server's JSON carries "\udce9" escapes: the SDKs decode them to lone surrogates
    model_server.enqueue(Reply(text="bad \udce9 answer"))
    await orchestrator.chat("caf\udce9 unsaved \ud800 text")
    third = await orchestrator.chat("still working?")
    await orchestrator.aclose()
    assert third.content == "Echo: still working?"
    assert not model_server.violations, model_server.violations[0].invalid
    last = all_text(chats(model_server)[-1].body)
    assert "caf\ufffd unsaved \ufffd text" in last and "bad \ufffd answer" in last
    # and the session store kept the cleaned text (a new orchestrator reloads it)
    again = AgentOrchestrator(
        settings, make_provider(api, model_server)[0], model, workspace=tmp_path
    )
    await again.chat("reloaded?")
    await again.aclose()
    assert "caf\ufffd unsaved" in all_text(chats(model_server)[-1].body)
    assert not model_server.violations


async def test_the_provider_cleans_what_a_caller_builds(
    claude: AnthropicProvider, model_server: ModelServer
) -> None:
    """The provider is the last line (a system prompt from an unsaved buffer, a tool call a
    library user built): the SDK would fail to encode a lone surrogate."""
    from victor.protocols import ToolCall
    from victor.providers.base import SystemPrompt

    call = ToolCall("toolu_1", "read_file", {})
    call.arguments = {"path": "caf\udce9.py"}  # set after construction: not cleaned there
    history = [
        Message("user", "look"),
        Message("assistant", "", tool_calls=[call]),
        Message("tool", "x", tool_call_id="toolu_1"),
        Message("user", "go"),
    ]
    history[-1].content = "go \udce9"  # likewise
    system = SystemPrompt("rules\n\nopen buffer: caf\udce9", stable_length=5)
    tools = [ToolSpec("read_file", "Read a file", {"type": "object"})]
    response = await claude.chat(history, model="m", system=system, tools=tools)
    assert response.content == "Echo: go \ufffd"
    assert not model_server.violations
    assert all_text(model_server.requests[-1].body).count("caf\ufffd") == 2


# --------------------------------------------------------------------------- item 16


@pytest.mark.parametrize("api", ["anthropic", "openai"])
async def test_tools_turned_off_mid_session_keep_the_history_valid(
    tmp_path: Path, model_server: ModelServer, api: str
) -> None:
    (tmp_path / "a.py").write_text("ANSWER = 42\n")
    provider, model = make_provider(api, model_server)
    settings = Settings(data_dir=tmp_path / "data")
    orchestrator = AgentOrchestrator(settings, provider, model, workspace=tmp_path)
    model_server.enqueue(Reply.tool_use("read_file", {"path": "a.py"}), Reply(text="42"))
    assert (await orchestrator.chat("what is ANSWER?")).content == "42"
    orchestrator.apply_settings(settings.model_copy(update={"enable_tools": False}))
    answer = await orchestrator.chat("and without tools?")
    await orchestrator.aclose()
    assert answer.content == "Echo: and without tools?"
    assert not model_server.violations, model_server.violations[0].invalid
    body = chats(model_server)[-1].body
    assert "tools" not in body
    text = all_text(body)
    assert "tool_use" not in text and "tool_result" not in text and "tool_calls" not in text
    assert "ANSWER = 42" in text and "read_file" in text  # what the tool said is kept


# --------------------------------------------------------------------------- item 17


async def test_switching_from_an_openai_server_to_anthropic_maps_tool_ids(
    tmp_path: Path, model_server: ModelServer
) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    local, _ = make_provider("openai", model_server)
    settings = Settings(data_dir=tmp_path / "data")
    orchestrator = AgentOrchestrator(settings, local, "kimi-k2", workspace=tmp_path)
    model_server.enqueue(
        # Kimi-style ids, then a server that sends none (twice: ids must not repeat)
        Reply.tool_use("read_file", {"path": "a.py"}, id="functions.read_file:0"),
        Reply(text="one"),
        Reply(
            tool_calls=Reply.tool_use("read_file", {"path": "a.py"}).tool_calls, omit_tool_ids=True
        ),
        Reply(text="two"),
        Reply(
            tool_calls=Reply.tool_use("read_file", {"path": "a.py"}).tool_calls, omit_tool_ids=True
        ),
        Reply(text="three"),
    )
    for question in ("first", "second", "third"):
        await orchestrator.chat(question)
    claude, _ = make_provider("anthropic", model_server)
    orchestrator.set_provider(claude, "claude-sonnet-4-6")
    answer = await orchestrator.chat("now on Anthropic")
    await orchestrator.aclose()
    assert answer.content == "Echo: now on Anthropic"
    assert not model_server.violations, model_server.violations[0].invalid
    body = model_server.requests_to("/v1/messages")[-1].body
    uses = [
        b["id"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_use"
    ]
    results = [
        b["tool_use_id"]
        for m in body["messages"]
        if isinstance(m["content"], list)
        for b in m["content"]
        if b["type"] == "tool_result"
    ]
    assert len(uses) == 3 and len(set(uses)) == 3 and results == uses


def test_generated_ids_are_unique_across_answers(model_server: ModelServer) -> None:
    local, model = make_provider("openai", model_server)
    tool = Reply.tool_use("read_file", {"path": "a.py"}).tool_calls
    model_server.enqueue(
        Reply(tool_calls=tool, omit_tool_ids=True), Reply(tool_calls=tool, omit_tool_ids=True)
    )

    async def two() -> list[str]:
        ids = []
        for _ in range(2):
            response = await local.chat([Message("user", "go")], model=model)
            ids += [c.id for c in response.tool_calls]
        await local.aclose()
        return ids

    first, second = asyncio.run(two())
    assert first != second


# --------------------------------------------------------------------------- item 18


@pytest.mark.parametrize(
    ("api", "model", "field", "sent"),
    [
        ("anthropic", "claude-sonnet-4-6", "max_tokens", 64_000),
        ("anthropic", "claude-3-5-haiku-20241022", "max_tokens", 8_192),
        ("anthropic", "my-proxy-model", "max_tokens", 100_000),  # unknown: as configured
        ("openai", "gpt-4o", "max_tokens", 16_384),
        ("openai", "gpt-5-mini", "max_completion_tokens", 100_000),
        ("openai", "o3", "max_completion_tokens", 100_000),
        ("openai", "qwen2.5-coder:7b", "max_tokens", 100_000),
    ],
)
async def test_max_tokens_is_capped_to_the_model_and_named_right(
    model_server: ModelServer,
    api: str,
    model: str,
    field: str,
    sent: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider, _ = make_provider(api, model_server)
    with caplog.at_level(logging.WARNING, logger="victor.providers.limits"):
        response = await provider.chat([Message("user", "hi")], model=model, max_tokens=100_000)
        await provider.chat([Message("user", "hi")], model=model, max_tokens=100_000)
    await provider.aclose()
    assert response.content == "Echo: hi"
    body = chats(model_server)[-1].body
    assert body[field] == sent
    other = "max_tokens" if field == "max_completion_tokens" else "max_completion_tokens"
    assert other not in body
    # Victor's own warnings: a client another test left open may be finalised (and logged
    # by asyncio) during this one.
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("victor")]
    if sent < 100_000:
        assert warnings == [
            f"{provider.name}: maxTokens 100000 is above {model}'s output "
            f"limit of {sent} tokens; {sent} is sent."
        ]  # once, not per call
    else:
        assert warnings == []
