"""The seed API as a Python user meets it (issue 11, items 2, 4, 5, 6 and 7), end to end
through the real Anthropic SDK against the local model server."""

from __future__ import annotations

import asyncio
import inspect
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from victor.agent.coordinators import (
    AnalyticsCoordinator,
    ChatCoordinator,
    ConfigCoordinator,
    ContextCoordinator,
    PromptCoordinator,
    SessionCoordinator,
    ToolCoordinator,
)
from victor.agent.coordinators.analytics_coordinator import BaseAnalyticsExporter
from victor.agent.coordinators.context_coordinator import BaseCompactionStrategy
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.errors import ConfigError, InvalidArgumentError, VictorError
from victor.protocols import ExportResult, IConfigProvider


def _texts(body: dict[str, Any]) -> list[str]:
    out = []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, str):
            out.append(content)
        else:
            out.extend(b.get("text", "") for b in content if b.get("type") == "text")
    return out


class PerSessionConfig(IConfigProvider):
    """Answers for some sessions only, like a database row per session."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers

    def priority(self) -> int:
        return 100

    async def get_config(self, session_id: str) -> Any:
        return self.answers.get(session_id, {})


# ------------------------------------------------------------------ item 2: config providers


async def test_a_sessions_model_and_max_tokens_apply_to_that_session_only(llm, anthropic):
    config = ConfigCoordinator(
        providers=[PerSessionConfig({"vip": {"model": "model-vip", "maxTokens": 1000}})]
    )
    orchestrator = AgentOrchestrator(
        Settings(max_tokens=2000), anthropic, "model-default", _config_coordinator=config
    )
    await orchestrator.chat("hello", session_id="vip")
    await orchestrator.chat("hello", session_id="other")
    vip, other = (r.body for r in llm.requests_to("/v1/messages"))
    assert (vip["model"], vip["max_tokens"]) == ("model-vip", 1000)
    # the other session's provider answered {}: the orchestrator's own model and settings
    assert (other["model"], other["max_tokens"]) == ("model-default", 2000)


async def test_a_config_provider_may_answer_a_json_object_string(llm, anthropic):
    config = ConfigCoordinator(providers=[PerSessionConfig({"s": '{"model": "from-jsonb"}'})])
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _config_coordinator=config)
    await orchestrator.chat("hello", session_id="s")
    assert llm.requests_to("/v1/messages")[-1].body["model"] == "from-jsonb"
    assert await config.load_config("s") == {"model": "from-jsonb"}


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ("[1, 2]", "expected a JSON object"),
        ("not json", "not JSON"),
        (42, "returned int"),
        ({"max_tokens": "lots"}, "max_tokens"),
    ],
)
async def test_an_unusable_config_answer_is_a_clear_config_error(llm, anthropic, answer, says):
    config = ConfigCoordinator(providers=[PerSessionConfig({"s": answer})])
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _config_coordinator=config)
    with pytest.raises(ConfigError) as info:
        await orchestrator.chat("hello", session_id="s")
    assert says in str(info.value) and "config provider" in str(info.value)
    assert isinstance(info.value, VictorError)
    assert llm.requests_to("/v1/messages") == []  # nothing was sent with a broken config


# ------------------------------------------------------------------ item 4: reset


async def test_reset_starts_over_and_a_restart_does_not_bring_the_messages_back(
    tmp_path: Path, llm, anthropic
):
    settings = Settings(data_dir=tmp_path / "data")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    await orchestrator.chat("my secret number is 42")
    await orchestrator.chat("and my name is Ada")
    orchestrator._context_coordinator.reset()  # the seed's example 7, synchronous
    await orchestrator.chat("what do you know about me?")
    assert _texts(llm.requests_to("/v1/messages")[-1].body) == ["what do you know about me?"]
    sid = orchestrator.session_id
    await orchestrator.aclose()

    from victor.providers.anthropic import AnthropicProvider

    again = AgentOrchestrator(
        settings, AnthropicProvider(api_key="k", base_url=llm.url), "m", workspace=tmp_path
    )
    await again.chat("still there?", session_id=sid)
    sent = _texts(llm.requests_to("/v1/messages")[-1].body)
    assert "my secret number is 42" not in sent and sent[0] == "what do you know about me?"
    # the transcript is kept: reset starts the conversation over, it does not delete it
    transcript = again._session_coordinator.store.transcript(sid)
    assert transcript[0].content == "my secret number is 42"
    again.reset()  # the orchestrator's own reset() does the same for its current session
    await again.chat("fresh start")
    assert _texts(llm.requests_to("/v1/messages")[-1].body) == ["fresh start"]
    await again.aclose()


# ------------------------------------------------------------------ item 5: analytics, bases


async def test_a_user_built_analytics_coordinator_exports_after_each_turn(llm, anthropic):
    exported = asyncio.Event()
    seen: list[str] = []

    class Collecting(BaseAnalyticsExporter):
        async def export(self, events):
            seen.extend(e.type for e in events)
            exported.set()
            return ExportResult(success=True, exported_count=len(events))

    analytics = AnalyticsCoordinator(exporters=[Collecting()])
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m", _analytics_coordinator=analytics)
    await orchestrator.chat("hello")
    await asyncio.wait_for(exported.wait(), 5)  # no export_analytics() call, no aclose()
    assert "chat_end" in seen


def test_a_strategy_or_exporter_without_its_method_fails_at_instantiation():
    class ForgotCompact(BaseCompactionStrategy):
        pass

    class ForgotExport(BaseAnalyticsExporter):
        pass

    with pytest.raises(TypeError, match="compact"):
        ForgotCompact()
    with pytest.raises(TypeError, match="export"):
        ForgotExport()


# ------------------------------------------------------------------ item 6: default workspace


async def test_without_workspace_the_tools_read_the_current_directory(
    tmp_path: Path, monkeypatch, llm, anthropic
):
    (tmp_path / "app.py").write_text("def main():\n    return 'marker-from-cwd'\n")
    monkeypatch.chdir(tmp_path)
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    assert str(orchestrator.workspace) == os.path.realpath(os.getcwd())  # noqa: ASYNC240
    await orchestrator.chat('what is in it? [[tool:read_file {"path": "app.py"}]]')
    last = llm.requests_to("/v1/messages")[-1].body
    assert any(t["name"] == "read_file" for t in last["tools"])
    assert "marker-from-cwd" in str(last["messages"])
    # sessions are persisted only for an explicit workspace
    assert orchestrator._session_coordinator.store.path == ":memory:"
    await orchestrator.aclose()


# ------------------------------------------------------------------ item 7: library polish


def test_one_exception_base_and_old_import_paths_still_work():
    from victor.config.loader import ConfigError as LoaderConfigError
    from victor.providers.errors import AuthenticationError, ProviderError
    from victor.storage.session_store import SessionNotFoundError

    assert LoaderConfigError is ConfigError
    for cls in (ConfigError, InvalidArgumentError, ProviderError, AuthenticationError):
        assert issubclass(cls, VictorError)
    assert issubclass(SessionNotFoundError, VictorError)
    assert issubclass(SessionNotFoundError, KeyError)  # existing except clauses keep working
    assert issubclass(InvalidArgumentError, ValueError)


async def test_api_misuse_raises_a_victor_error_not_a_bare_value_error(
    tmp_path: Path, llm, anthropic
):
    with pytest.raises(InvalidArgumentError, match="workspace"):
        AgentOrchestrator(Settings(), anthropic, "m", workspace=tmp_path / "no-such-folder")
    orchestrator = AgentOrchestrator(Settings(), anthropic, "m")
    with pytest.raises(InvalidArgumentError, match="message"):
        await orchestrator.chat("   ")
    with pytest.raises(InvalidArgumentError, match="prompt_context"):
        await orchestrator.chat("hi", prompt_context="not a dict")  # type: ignore[arg-type]
    assert llm.requests == []


async def test_chat_takes_its_real_keyword_parameters(llm, anthropic):
    class Echo(BasePromptContributor):
        async def get_contribution(self, context):
            return f"task={context.get('task')} team={context.get('team')}"

    orchestrator = AgentOrchestrator(
        Settings(), anthropic, "m", _prompt_coordinator=PromptCoordinator(contributors=[Echo()])
    )
    params = inspect.signature(AgentOrchestrator.chat).parameters
    assert {"prompt_context", "task", "pinned"} <= set(params)
    assert not any(p.kind is p.VAR_KEYWORD for p in params.values())
    await orchestrator.chat(
        "hi", prompt_context={"team": "core"}, task="code_generation", pinned=True
    )
    system = llm.requests_to("/v1/messages")[-1].body["system"]
    assert "task=code_generation team=core" in str(system)
    stored = orchestrator._context_coordinator.get_context().messages
    assert stored[0].pinned
    with pytest.raises(TypeError):
        await orchestrator.chat("hi", temperature=0.2)  # type: ignore[call-arg]


async def test_async_with_closes_what_the_orchestrator_opened(
    tmp_path: Path, monkeypatch, llm, anthropic
):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", llm.url)
    settings = Settings(data_dir=tmp_path / "data")
    async with AgentOrchestrator(settings, workspace=tmp_path) as orchestrator:
        await orchestrator.chat("hello")
        store = orchestrator._session_coordinator.store
    with pytest.raises(sqlite3.ProgrammingError):
        store.list_sessions()  # the store it opened is closed

    # What the caller passed in stays open for the caller.
    shared_store = SessionCoordinator().store
    async with AgentOrchestrator(Settings(), anthropic, "m", store=shared_store) as orchestrator:
        await orchestrator.chat("hello")
    assert shared_store.list_sessions()
    assert (await anthropic.chat([_user("still usable")], model="m", max_tokens=16)).content


def _user(text: str):
    from victor.protocols import Message

    return Message("user", text)


def test_public_classes_and_methods_have_docstrings():
    for cls in (
        AgentOrchestrator,
        Settings,
        AnalyticsCoordinator,
        ChatCoordinator,
        ConfigCoordinator,
        ContextCoordinator,
        PromptCoordinator,
        SessionCoordinator,
        ToolCoordinator,
    ):
        assert inspect.getdoc(cls), cls
        for name, member in vars(cls).items():
            if name.startswith("_") or not (
                inspect.isfunction(member) or isinstance(member, property | classmethod)
            ):
                continue
            assert inspect.getdoc(member), f"{cls.__name__}.{name} has no docstring"


class OwnProvider:
    """A library user's provider written against the protocol, not derived from Provider:
    none of the attributes Victor's own providers add (prompt_cache_lifetime ...)."""

    name = "own"
    default_model = "own-model"

    def __init__(self) -> None:
        self.asked: list[int] = []

    async def chat(self, messages: Any, **kwargs: Any) -> Any:
        from victor.providers.base import ChatResponse, Usage

        self.asked.append(kwargs.get("max_tokens", 0))
        return ChatResponse("ok", Usage(100, 1, cache_read_tokens=50))

    def stream(self, messages: Any, **kwargs: Any) -> Any:
        return self._stream(kwargs.get("max_tokens", 0))

    async def _stream(self, max_tokens: int) -> Any:
        from victor.providers.base import ChatResponse, StreamEvent, Usage

        self.asked.append(max_tokens)
        yield StreamEvent("text", text="ok")
        yield StreamEvent("done", response=ChatResponse("ok", Usage(100, 1, 50)))

    def context_window(self, model: str) -> int:
        return 200_000

    async def aclose(self) -> None:
        return None


async def test_a_provider_of_ones_own_needs_only_the_protocol():
    provider = OwnProvider()
    async with AgentOrchestrator(Settings(), provider) as orchestrator:
        assert (await orchestrator.chat("hello")).content == "ok"
        assert (await orchestrator.chat("again")).content == "ok"
        # its API's cache (it reported reads) has no known lifetime: nothing kept warm
        assert orchestrator._cache_keeper.session_id is None
    assert provider.asked and 1 not in provider.asked
