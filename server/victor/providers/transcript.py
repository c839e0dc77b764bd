"""Conversation repair shared by the providers, before conversion to a wire format.

Both APIs reject a conversation where an assistant's tool call is not answered right after
it, or where a tool result answers nothing. Victor's history can contain both (a turn
stopped between the call and its result, compaction dropping one side), so the providers
normalise first instead of failing the user's next request.
"""

from __future__ import annotations

from collections.abc import Sequence

from victor.protocols import Message

INTERRUPTED_RESULT = "No result: the tool call was interrupted before it finished."


def pair_tool_results(messages: Sequence[Message]) -> list[Message]:
    """A copy where every assistant tool call is followed at once by its tool result.

    - results that follow their call (in any order) are put in call order;
    - a call without a result gets an error result saying it was interrupted;
    - a result whose call is not right before it becomes a user message quoting it, so its
      content still reaches the model;
    - ``system`` messages (the prompt travels separately) become user messages, marked.
    """
    out: list[Message] = []
    i = 0
    while i < len(messages):
        msg = messages[i]
        i += 1
        if msg.role == "system":
            out.append(_as_user(msg, f"[System note]\n{msg.content}"))
            continue
        if msg.role == "tool":
            out.append(_orphan(msg))
            continue
        out.append(msg)
        if msg.role != "assistant" or not msg.tool_calls:
            continue
        run: list[Message] = []
        while i < len(messages) and messages[i].role == "tool":
            run.append(messages[i])
            i += 1
        leftovers = list(run)
        for call in msg.tool_calls:
            match = next((r for r in leftovers if r.tool_call_id == call.id), None)
            if match is None:
                out.append(Message("tool", INTERRUPTED_RESULT, tool_call_id=call.id, is_error=True))
            else:
                leftovers.remove(match)
                out.append(match)
        out.extend(_orphan(r) for r in leftovers)
    return out


def _orphan(msg: Message) -> Message:
    return _as_user(
        msg, f"[Result of an earlier tool call {msg.tool_call_id or '?'}]\n{msg.content}"
    )


def _as_user(msg: Message, content: str) -> Message:
    return Message("user", content, created_at=msg.created_at, metadata=dict(msg.metadata))
