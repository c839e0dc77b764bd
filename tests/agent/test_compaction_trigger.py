"""When a session is compacted (issue 13): before the question of a turn that would likely
pass the threshold between its tool rounds, rather than in the middle of it, where the
question is written to the cache twice and the rounds before read the whole history.
Through the real Anthropic SDK against the local model server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.model_script import count_prompt_tokens
from victor.agent.coordinators.context_coordinator import ContextCoordinator
from victor.agent.coordinators.summary_compaction import SUMMARY_REQUEST_START
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings
from victor.protocols import Message, ToolCall


def _is_summary(body: dict[str, Any]) -> bool:
    return SUMMARY_REQUEST_START in str(body["messages"][-1]) or "Summarize" in str(
        body.get("system", "")
    )


def _turn(n: int, *, result: int, answer: int = 20) -> list[Message]:
    """A turn with ``n`` tool rounds whose results are ``result`` characters each."""
    messages = [Message("user", "question")]
    for i in range(n):
        call = ToolCall(id=f"c{i}", name="read_file", arguments={"path": f"f{i}.py"})
        messages.append(Message("assistant", "reading", tool_calls=[call]))
        messages.append(Message("tool", "x" * result, tool_call_id=f"c{i}"))
    messages.append(Message("assistant", "y" * answer))
    return messages


def test_the_expected_growth_is_the_largest_recent_turn_before_its_final_answer() -> None:
    contexts = ContextCoordinator(window=200_000)
    count = contexts.count
    one_round = _turn(1, result=4000)
    history = [*_turn(3, result=4000), *one_round, *_turn(0, result=0, answer=9000)]
    contexts.load("s", history)
    # the last four turns: a 9000-character answer adds nothing the turn itself sends
    assert contexts.expected_growth("s") == count(_turn(3, result=4000)[1:-1])
    # only the last two: the tool turn with one round
    assert contexts.expected_growth("s", turns=2) == count(one_round[1:-1])
    # a turn of plain answers sends nothing after its question
    contexts.load("plain", _turn(0, result=0, answer=9000) * 3)
    assert contexts.expected_growth("plain") == 0
    assert contexts.expected_growth("new") == 0


def test_the_expected_growth_never_takes_more_than_half_the_room_above_the_target() -> None:
    contexts = ContextCoordinator(window=20_000, threshold=0.75, target=0.5)
    contexts.load("s", _turn(2, result=80_000))
    budget = contexts.budget
    room = budget.trigger_tokens - 1000 - budget.messages_target(1000)
    # else a compaction would be followed by another on the next turn, and the next
    assert contexts.expected_growth("s", overhead=1000) == room // 2 > 0


async def test_a_session_of_tool_turns_is_compacted_between_turns_not_inside_one(
    tmp_path: Path, llm, anthropic
) -> None:
    lines = (f"setting_{i:03d} = configure({i}, retries=3)  # why {i}" for i in range(70))
    (tmp_path / "settings.py").write_text("\n".join(lines) + "\n")
    settings = Settings(context_window=16_000, max_tokens=256, data_dir=tmp_path / ".data")
    orchestrator = AgentOrchestrator(settings, anthropic, "m", workspace=tmp_path)
    compacted_before: list[int] = []
    for turn in range(14):
        seen = len(llm.requests_to("/v1/messages"))
        await orchestrator.chat(
            f"Q{turn}: what does settings.py configure? "
            '[[tool:read_file {"path": "settings.py"}]]'
        )
        bodies = [r.body for r in llm.requests_to("/v1/messages")[seen:]]
        summaries = [i for i, body in enumerate(bodies) if _is_summary(body)]
        # every round of every turn is answered within the window
        assert all(count_prompt_tokens(b) + b["max_tokens"] <= 16_000 for b in bodies)
        # the summary, when there is one, comes before the turn's first request: the
        # turn's question and tool rounds all go out in the compacted conversation
        assert summaries in ([], [0]), (turn, [_is_summary(b) for b in bodies])
        if summaries:
            compacted_before.append(turn)
            chat = [b for b in bodies if not _is_summary(b)]
            assert all("[Summary of the earlier conversation]" in str(b) for b in chat)
    # the first turn's tool round teaches the session what a turn sends; later ones pass
    # the threshold halfway unless compacted before
    assert len(compacted_before) >= 2, compacted_before
    await orchestrator.aclose()
