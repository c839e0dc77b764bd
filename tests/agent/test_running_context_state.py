"""The context coordinator keeps per session a running token total and the editor views the
model holds, so a turn does not walk a 10k-message history (bench/bench_context.py). They
must always equal a recomputation from the session's messages: after plain turns, tool
rounds, an interrupted turn, a compaction, a reset and a reload from the store. A stale
view would make a question refer to file text the model no longer has.

Through the real Anthropic SDK against the local model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.interrupt import interrupted_turn
from victor.agent.coordinators import ContextCoordinator, PromptCoordinator
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.editor_delta import held_views
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.protocols import EDITOR_VIEWS, Message

_UNCHANGED = "unchanged since your last view of it"


class OpenFile(BasePromptContributor):
    """The editor's file context: one open buffer, as the real contributor renders it."""

    name = "file_context"

    def __init__(self) -> None:
        self.body = "def load(path):\n    return open(path).read()\n"

    async def get_contribution(self, context: Any) -> str:
        return f"## Open files\n### `src/app.py` (open in the editor)\n```python\n{self.body}```"


def _agrees(orchestrator: AgentOrchestrator) -> None:
    """The running state equals a recomputation from the messages."""
    contexts = orchestrator._context_coordinator
    sid = orchestrator.session_id
    messages = contexts.get_context(sid).messages
    assert contexts.session_tokens(sid) == contexts.count(messages)
    assert contexts.held_views(sid) == held_views(messages)


def _question(llm) -> str:
    """The text of the last user message of the last chat request."""
    last = llm.requests_to("/v1/messages")[-1].body["messages"][-1]
    return "".join(b.get("text", "") for b in last["content"] if b.get("type") == "text")


def _orchestrator(tmp_path: Path, anthropic, editor: OpenFile) -> AgentOrchestrator:
    settings = Settings(max_tokens=256, data_dir=tmp_path / ".data")
    prompts = PromptCoordinator(contributors=[editor])
    return AgentOrchestrator(
        settings, anthropic, "m", workspace=tmp_path, _prompt_coordinator=prompts
    )


async def test_running_totals_and_views_equal_a_recount_through_a_sessions_life(
    tmp_path: Path, llm, anthropic
):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("x = 1\n")
    editor = OpenFile()
    orchestrator = _orchestrator(tmp_path, anthropic, editor)

    await orchestrator.chat("what does load do?")
    _agrees(orchestrator)
    assert "return open(path).read()" in _question(llm)
    await orchestrator.chat("and if the file is missing?")
    _agrees(orchestrator)
    assert _UNCHANGED in _question(llm)

    # a turn with a tool round: several messages, only the first carries views
    await orchestrator.chat('look at it [[tool:read_file {"path": "src/app.py"}]]')
    _agrees(orchestrator)
    assert len(orchestrator._context_coordinator.get_context().messages) == 8

    # an interrupted turn: its messages are appended on the cancellation path
    await interrupted_turn(orchestrator, "tell me slowly [[slow]]", after_deltas=2)
    assert orchestrator._context_coordinator.get_context().messages[-1].interrupted
    _agrees(orchestrator)

    editor.body += "\ndef save(path, text):\n    open(path, 'w').write(text)\n"
    await orchestrator.chat("I added save")
    _agrees(orchestrator)
    assert _UNCHANGED not in _question(llm) and "def save" in _question(llm)

    # a compaction drops the snapshots but the opening's (kept verbatim): the model holds the
    # file as the first question showed it, so the next question sends what changed since
    contexts = orchestrator._context_coordinator
    opening_views = contexts.get_context().messages[0].metadata[EDITOR_VIEWS]
    await orchestrator.compact()
    _agrees(orchestrator)
    assert contexts.held_views() == opening_views
    await orchestrator.chat("after the compaction")
    _agrees(orchestrator)
    assert "def save" in _question(llm) and _UNCHANGED not in _question(llm)
    await orchestrator.chat("once more")
    assert _UNCHANGED in _question(llm)

    # a reset starts over: nothing held
    orchestrator.reset()
    _agrees(orchestrator)
    await orchestrator.chat("after the reset")
    _agrees(orchestrator)
    assert "def save" in _question(llm) and _UNCHANGED not in _question(llm)
    await orchestrator.aclose()

    # reloaded from the store (a restart): the store keeps no snapshots
    again = _orchestrator(tmp_path, anthropic, editor)
    await again.chat("after the restart")
    _agrees(again)
    assert "def save" in _question(llm) and _UNCHANGED not in _question(llm)
    await again.chat("and now?")
    _agrees(again)
    assert _UNCHANGED in _question(llm)
    await again.aclose()


def _views(n: int) -> dict[str, str]:
    return {"file a.py": f"version {n}"}


def test_a_message_list_rewritten_behind_the_coordinators_back_is_recounted():
    contexts = ContextCoordinator()
    messages = [
        Message("user", "one", metadata={EDITOR_VIEWS: _views(1)}),
        Message("assistant", "answer one"),
        Message("user", "two", metadata={EDITOR_VIEWS: _views(2)}),
        Message("assistant", "answer two"),
    ]
    contexts.load("s", messages)
    live = contexts.get_context("s").messages

    def agrees() -> None:
        assert contexts.session_tokens("s") == contexts.count(live)
        assert contexts.held_views("s") == held_views(live)

    agrees()
    assert contexts.held_views("s") == _views(2)
    # the last two replaced by other messages: as many as before, other objects
    del live[2:]
    live += [Message("user", "three, a much longer question " * 5), Message("assistant", "3")]
    agrees()
    assert contexts.held_views("s") == _views(1)
    live[-1] = Message("assistant", "an answer", metadata={EDITOR_VIEWS: _views(4)})
    agrees()
    live.clear()
    agrees()
    assert contexts.held_views("s") == {} and contexts.session_tokens("s") == 0
    contexts.get_context("s").messages = live = [Message("user", "x" * 400)]
    agrees()
    contexts.append("s", [Message("assistant", "y" * 40, metadata={EDITOR_VIEWS: _views(5)})])
    agrees()
    assert contexts.held_views("s") == _views(5)
