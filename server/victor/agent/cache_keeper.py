"""Keeping an idle session's prompt cache warm.

Anthropic keeps a cached prompt prefix for 5 minutes after its last use. A user who reads an
answer, edits for six minutes and asks again would otherwise pay for the whole conversation
written to the cache again (1.25x its tokens) instead of read from it (0.1x). So after a
turn, when the idle time reaches the lifetime minus a margin, one request is sent that
extends the conversation exactly as the next question will (same tools, system prompt and
messages, the answer included) with a one-line note in place of the question and
``max_tokens=1``: it reads the cached prefix (refreshing it), and writes the answer, which
the next question then reads instead of writing. It costs about a tenth of the prompt each
time; ``prompt_cache_keep_warm`` says how many times per idle stretch (default once, so a
pause of up to about 9.5 minutes is covered and a user who walks away pays one tenth once).

Plain asyncio; nothing here knows LSP or the coordinators. The decision whether a turn's
session is worth keeping warm is the caller's (``turn.keep_cache_warm``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from victor.protocols import Message, ToolSpec
from victor.providers.base import Provider, Usage

__all__ = ["KEEP_WARM_NOTE", "CachedPrompt", "PromptCacheKeeper"]

log = logging.getLogger(__name__)

#: Stands in for the next question. The API needs a non-empty user turn after the answer.
KEEP_WARM_NOTE = "(Not a question: the user is still working. Reply with OK.)"


@dataclass(frozen=True, slots=True)
class CachedPrompt:
    """What the next request of a session will start with."""

    session_id: str
    messages: tuple[Message, ...]  # the conversation, ending with the latest answer
    system: str
    tools: tuple[ToolSpec, ...]
    model: str


class PromptCacheKeeper:
    """Refreshes one session's cached prompt while the user is idle (the most recent
    session of an orchestrator: another session's turn cancels it, as does any turn)."""

    def __init__(
        self,
        on_refresh: Callable[[str, Usage], None],
        *,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self._on_refresh = on_refresh
        self._sleep = sleep
        self._task: asyncio.Task[None] | None = None
        self._session: str | None = None

    @property
    def session_id(self) -> str | None:
        """The session being kept warm, if any."""
        return self._session if self._task is not None and not self._task.done() else None

    def keep(self, prompt: CachedPrompt, provider: Provider, *, times: int, every: float) -> None:
        """Refresh ``prompt``'s cache ``times`` times, ``every`` seconds apart, from now;
        replaces whatever was being kept warm."""
        self.cancel()
        if times <= 0 or not prompt.messages:
            return
        self._session = prompt.session_id
        self._task = asyncio.get_running_loop().create_task(
            self._run(prompt, provider, times, every), name="victor-cache-keep-warm"
        )

    def cancel(self, session_id: str | None = None) -> None:
        """Stop refreshing (only if it is ``session_id``'s, when given). A refresh in flight
        is aborted: its HTTP request is closed."""
        if self._task is None or (session_id is not None and session_id != self._session):
            return
        self._task.cancel()
        self._task = None

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(
        self, prompt: CachedPrompt, provider: Provider, times: int, every: float
    ) -> None:
        note = Message(role="user", content=KEEP_WARM_NOTE)
        messages: Sequence[Message] = [*prompt.messages, note]
        for _ in range(times):
            await self._sleep(every)
            try:
                response = await provider.chat(
                    messages,
                    model=prompt.model,
                    system=prompt.system,
                    tools=prompt.tools,
                    max_tokens=1,
                )
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a background task: never let it end unseen
                kind = getattr(exc, "kind", type(exc).__name__)
                log.warning("keeping the prompt cache warm failed (%s); not retried", kind)
                return
            self._on_refresh(prompt.session_id, response.usage)
