"""An idle session's prompt cache is kept warm (issue 13): after a pause longer than the
cache's 5 minutes, the next question reads the conversation instead of writing it again.

Through the real Anthropic SDK against the local model server, whose prompt cache expires on
its own (simulated) clock; the keeper's sleep is a gate the test opens, so the refresh comes
exactly when the test has moved the server's clock to it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.support.model_cache import without_breakpoints
from tests.support.model_script import Reply
from victor.agent.cache_keeper import KEEP_WARM_NOTE, PromptCacheKeeper
from victor.agent.coordinators import PromptCoordinator
from victor.agent.coordinators.prompt_coordinator import BasePromptContributor
from victor.agent.coordinators.summary_compaction import SUMMARY_REQUEST_START
from victor.agent.orchestrator import AgentOrchestrator
from victor.config.settings import Settings


class Notes(BasePromptContributor):
    """A large, stable system prompt, so the prompt passes the cache minimum (1024 tokens)."""

    async def get_contribution(self, context: Any) -> str:
        return "## Team notes\n" + "Prefer small functions with clear names. " * 220


class GatedSleep:
    """Stands in for asyncio.sleep in the keeper: returns when the test opens the gate."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self._gates: asyncio.Queue[None] = asyncio.Queue()
        self.cancelled = 0
        self._waiting = 0

    @property
    def waiting(self) -> int:
        return self._waiting

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        self._waiting += 1
        try:
            await self._gates.get()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        finally:
            self._waiting -= 1

    def open(self) -> None:
        self._gates.put_nowait(None)


def _orchestrator(anthropic, sleep: GatedSleep, **settings: Any) -> AgentOrchestrator:
    values = {"max_tokens": 256, "enable_tools": False, **settings}
    prompts = PromptCoordinator(contributors=[Notes()])
    orchestrator = AgentOrchestrator(
        Settings(**values), anthropic, "m", _prompt_coordinator=prompts
    )
    orchestrator._cache_keeper = PromptCacheKeeper(orchestrator._cache_refreshed, sleep=sleep)
    return orchestrator


def _refreshes(llm) -> list[Any]:
    return [r for r in llm.requests_to("/v1/messages") if _is_refresh(r.body)]


def _is_refresh(body: dict[str, Any]) -> bool:
    return KEEP_WARM_NOTE in json.dumps(body["messages"][-1])


async def _until(check, what: str, timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not check():
        assert loop.time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.02)


async def _two_questions(orchestrator: AgentOrchestrator) -> None:
    await orchestrator.chat("How does the loader retry? " * 20)
    await orchestrator.chat("And what does it log on the last attempt? " * 20)


async def _analytics_once_refreshed(orchestrator: AgentOrchestrator, timeout: float = 10.0):
    """The session's analytics, once they hold a cache refresh."""
    coordinator = orchestrator._analytics_coordinator
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        analytics = await coordinator.get_session_analytics(orchestrator.session_id)
        if analytics.totals.get("cache_refreshes"):
            return analytics
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting for the refresh"
        await asyncio.sleep(0.02)


async def _refresh_after(llm, sleep: GatedSleep, seconds: float) -> None:
    """``seconds`` pass for the model server, then the keeper's wait ends and it refreshes."""
    before = len(_refreshes(llm))
    await _until(lambda: sleep.waiting == 1, "the keeper to wait")
    llm.advance_clock(seconds)
    sleep.open()
    await _until(lambda: len(_refreshes(llm)) > before, "the refresh request")


async def _pause_with_refresh(llm, sleep: GatedSleep) -> None:
    """Six minutes pass; the keeper refreshes 270 s into them (its setting's default)."""
    await _refresh_after(llm, sleep, 270)
    llm.advance_clock(90)


async def test_a_question_after_a_six_minute_pause_reads_the_conversation_from_the_cache(
    llm, anthropic
):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep)
    await orchestrator.chat("How does the loader retry? " * 20)
    # the user reads the answer (the event loop runs: a turn's start may not yield at all)
    await _until(lambda: sleep.waiting == 1, "the keeper to wait")
    await orchestrator.chat("And what does it log on the last attempt? " * 20)
    before = llm.requests_to("/v1/messages")[-1]
    await _pause_with_refresh(llm, sleep)
    assert sleep.asked == [270.0, 270.0]  # after each answer; the second question ended the first
    assert sleep.cancelled == 1

    (refresh,) = _refreshes(llm)
    # the request the next question will extend: same model, tools and system prompt, the
    # conversation with the last answer, then the note; one token of answer
    body, previous = refresh.body, before.body
    assert body["max_tokens"] == 1 and body["model"] == previous["model"]
    assert without_breakpoints(body["system"]) == without_breakpoints(previous["system"])
    sent = without_breakpoints(previous["messages"])
    assert without_breakpoints(body["messages"][: len(sent)]) == sent
    answer = body["messages"][len(sent)]
    assert answer["role"] == "assistant" and answer["content"][0]["text"].startswith("Echo:")
    assert len(body["messages"]) == len(sent) + 2
    # it read everything the last question had cached (and so kept it alive)
    cached = before.usage["cache_read_input_tokens"] + before.usage["cache_creation_input_tokens"]
    assert refresh.usage["cache_read_input_tokens"] >= cached
    # what it cost shows in the session's analytics, with the turns' (once the answer is
    # in: the server records the request before the keeper has read the response)
    analytics = await _analytics_once_refreshed(orchestrator)
    assert analytics.totals["cache_refreshes"] == 1
    (event,) = [e for e in analytics.events if e.type == "cache_refresh"]
    assert event.data["cache_read_tokens"] == refresh.usage["cache_read_input_tokens"]

    await orchestrator.chat("Then where is the retry limit set?")
    after = llm.requests_to("/v1/messages")[-1]
    # nothing of the conversation is written again, not even the last answer (the refresh
    # wrote it): only the new question
    assert after.usage["cache_read_input_tokens"] > cached
    assert 0 < after.usage["cache_creation_input_tokens"] < 100
    await orchestrator.aclose()


async def test_without_keep_warm_the_same_pause_writes_the_whole_conversation_again(llm, anthropic):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep, prompt_cache_keep_warm=0)
    await _two_questions(orchestrator)
    llm.advance_clock(360)
    await orchestrator.chat("Then where is the retry limit set?")
    after = llm.requests_to("/v1/messages")[-1]
    assert sleep.asked == [] and _refreshes(llm) == []
    assert after.usage["cache_read_input_tokens"] == 0
    assert after.usage["cache_creation_input_tokens"] > 1024
    await orchestrator.aclose()


async def test_a_new_question_cancels_the_pending_refresh(llm, anthropic):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep)
    await orchestrator.chat("How does the loader retry? " * 20)
    await _until(lambda: len(sleep.asked) == 1, "the keeper to wait")
    session = orchestrator.session_id
    assert orchestrator._cache_keeper.session_id == session
    await orchestrator.chat("And what does it log? " * 20)
    assert sleep.cancelled == 1  # the first wait ended with the second question
    await _until(lambda: len(sleep.asked) == 2, "the keeper to wait again")
    orchestrator.reset(session)  # a reset conversation has nothing to keep warm
    assert orchestrator._cache_keeper.session_id is None
    sleep.open()
    await asyncio.sleep(0.1)
    assert _refreshes(llm) == []
    await orchestrator.aclose()


async def test_it_refreshes_as_many_times_as_set_then_lets_the_cache_go(llm, anthropic):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep, prompt_cache_keep_warm=2)
    await orchestrator.chat("How does the loader retry? " * 20)
    await _refresh_after(llm, sleep, 270)
    await _refresh_after(llm, sleep, 270)  # 540 s after the answer: alive thanks to the first
    first, second = _refreshes(llm)
    assert first.usage["cache_read_input_tokens"] > 1024
    assert second.usage["cache_read_input_tokens"] > first.usage["cache_read_input_tokens"]
    await asyncio.sleep(0.1)
    assert len(sleep.asked) == 2 and sleep.waiting == 0  # no third refresh
    await orchestrator.aclose()


async def test_a_failed_refresh_is_logged_and_the_next_question_still_works(llm, anthropic, caplog):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep, max_retries=0)
    await orchestrator.chat("How does the loader retry? " * 20)
    await _until(lambda: len(sleep.asked) == 1, "the keeper to wait")
    llm.enqueue(Reply(status=400, error_type="invalid_request_error", error_message="nope"))
    sleep.open()
    await _until(lambda: "keeping the prompt cache warm failed" in caplog.text, "the warning")
    assert "test-key" not in caplog.text
    done = await orchestrator.chat("Still there?")
    assert done.content.startswith("Echo: Still there?")
    await orchestrator.aclose()


@pytest.mark.parametrize("why", ["short prompt", "no expiring cache"])
async def test_nothing_is_kept_warm_when_there_is_nothing_to_keep(llm, anthropic, why):
    sleep = GatedSleep()
    if why == "short prompt":  # below the minimum cacheable length: the API cached nothing
        orchestrator = AgentOrchestrator(Settings(enable_tools=False), anthropic, "m")
        orchestrator._cache_keeper = PromptCacheKeeper(orchestrator._cache_refreshed, sleep=sleep)
    else:  # an OpenAI-compatible server: its KV cache is evicted, not timed out
        from victor.providers.openai_compat import OpenAICompatProvider

        openai = OpenAICompatProvider(base_url=llm.url + "/v1", api_key="k")
        orchestrator = _orchestrator(openai, sleep)
    await orchestrator.chat("How does the loader retry? " * 20)
    await asyncio.sleep(0.05)
    assert sleep.asked == [] and orchestrator._cache_keeper.session_id is None
    await orchestrator.aclose()


async def test_before_a_turn_that_compacts_the_refresh_keeps_the_summary_cheap(llm, anthropic):
    """The summary of a compaction continues the conversation (summary_compaction.py), so
    the session is kept warm even when its next turn compacts: after the pause the summary
    request reads the conversation instead of writing it again."""
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep, context_window=10_000)
    llm.enqueue(
        Reply(text="It retries three times."),
        Reply(text="It logs the attempt and the delay. " * 520),  # past the threshold
    )
    await _two_questions(orchestrator)
    last = llm.requests_to("/v1/messages")[-1]
    await _pause_with_refresh(llm, sleep)

    await orchestrator.chat("Then where is the retry limit set?")
    (summary,) = [
        r for r in llm.requests_to("/v1/messages") if SUMMARY_REQUEST_START in str(r.body)
    ]
    cached = last.usage["cache_read_input_tokens"] + last.usage["cache_creation_input_tokens"]
    assert summary.usage["cache_read_input_tokens"] >= cached > 1024
    assert summary.usage["cache_creation_input_tokens"] == 0
    await orchestrator.aclose()


async def test_compacting_or_switching_it_off_cancels_the_pending_refresh(llm, anthropic):
    sleep = GatedSleep()
    orchestrator = _orchestrator(anthropic, sleep, context_window=16_000)
    await _two_questions(orchestrator)
    await _until(lambda: sleep.waiting == 1, "the keeper to wait")
    await orchestrator.compact()  # the refresh would read a history that is gone
    assert orchestrator._cache_keeper.session_id is None
    await _until(lambda: sleep.waiting == 0, "the wait to end")

    await orchestrator.chat("Where is the limit set? " * 20)
    await _until(lambda: sleep.waiting == 1, "the keeper to wait")
    orchestrator.apply_settings(orchestrator.settings.merged({"promptCacheKeepWarm": 0}))
    await _until(lambda: sleep.waiting == 0, "the wait to end")
    await orchestrator.chat("And the delay?")
    await asyncio.sleep(0.05)
    assert sleep.waiting == 0 and _refreshes(llm) == []
    await orchestrator.aclose()
