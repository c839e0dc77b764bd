"""Running figures of a session's message list, so a turn reads them without walking a
10k-message history (bench/bench_context.py): the sum of the messages' raw token estimates
and the editor views the model holds (editor_delta.py)."""

from __future__ import annotations

from collections.abc import Sequence

from victor.agent.tokens import TokenCounter
from victor.protocols import EDITOR_VIEWS, Message


class RunningTotals:
    """What is known of ``messages`` up to ``length``. It stays valid while the list is the
    same object and its first ``length`` messages still end with the same one (the list was
    appended to, not rewritten); ``follows`` tells, and the owner starts over when not."""

    __slots__ = ("last", "length", "messages", "raw", "views")

    def __init__(self, messages: list[Message]) -> None:
        self.messages = messages
        self.length = 0
        self.last: Message | None = None
        self.raw = 0  # raw token estimates of messages[:length], summed (TokenCounter.raw)
        self.views: dict[str, str] = {}  # held_views(messages[:length])

    def follows(self, messages: list[Message]) -> bool:
        """Whether ``messages`` is this list, only appended to since it was last read."""
        n = self.length
        return (
            messages is self.messages
            and len(messages) >= n
            and (n == 0 or messages[n - 1] is self.last)
        )

    def take_in(self, counter: TokenCounter) -> None:
        """Add the messages appended since the last call."""
        if len(self.messages) <= self.length:
            return
        new = self.messages[self.length :]
        self.raw += sum(counter.raw(m) for m in new)
        views = latest_views(new)
        if views is not None:
            self.views = views
        self.length, self.last = len(self.messages), self.messages[-1]


def held_views(messages: Sequence[Message]) -> dict[str, str]:
    """The editor sections the model holds in ``messages`` (the latest message's views)."""
    views = latest_views(messages)
    return {} if views is None else views


def latest_views(messages: Sequence[Message]) -> dict[str, str] | None:
    """The views (``EDITOR_VIEWS``) of the latest message that has them; None if none has."""
    for message in reversed(messages):
        views = message.metadata.get(EDITOR_VIEWS)
        if views is not None:
            return views
    return None
