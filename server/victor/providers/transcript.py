"""Conversation repair shared by the providers, before conversion to a wire format.

Both APIs reject a conversation where an assistant's tool call is not answered right after
it, or where a tool result answers nothing. Victor's history can contain both (a turn
stopped between the call and its result, compaction dropping one side), so the providers
normalise first instead of failing the user's next request.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import replace

from victor.protocols import EDITOR_CONTEXT, Message

INTERRUPTED_RESULT = "No result: the tool call was interrupted before it finished."


# A turn's editor context is written before what the user typed, in tags, so the model
# tells the question from the file text it comes with.
EDITOR_CONTEXT_START = "<editor_context>\n"
EDITOR_CONTEXT_END = "\n</editor_context>\n\n"


def with_editor_context(messages: Sequence[Message]) -> list[Message]:
    """A copy where each user message carrying an editor context (``EDITOR_CONTEXT``) has it
    written before its text, exactly as it was when the turn was sent: earlier turns keep
    their snapshot verbatim, so the request is a byte-identical extension of the previous
    one and the provider's prompt cache reads it (until compaction drops old snapshots)."""
    out: list[Message] = []
    for msg in messages:
        editor = msg.metadata.get(EDITOR_CONTEXT) if msg.role == "user" else None
        if editor:
            text = f"{EDITOR_CONTEXT_START}{editor}{EDITOR_CONTEXT_END}{msg.content}"
            msg = replace(msg, content=text)
        out.append(msg)
    return out


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


def tool_turns_as_text(messages: Sequence[Message]) -> list[Message]:
    """A copy with tool calls and results written out as plain text.

    For a request without tools (``enableTools`` turned off mid-session, or no tool selected):
    the Messages API rejects tool_use/tool_result blocks when ``tools`` is absent ("Requests
    which include tool_use or tool_result blocks must define tools"), yet what the tools
    returned is still part of the conversation. Expects ``pair_tool_results`` output."""
    names: dict[str, str] = {}
    out: list[Message] = []
    for msg in messages:
        if msg.role == "assistant" and msg.tool_calls:
            lines = [msg.content] if msg.content.strip() else []
            for call in msg.tool_calls:
                names[call.id] = call.name
                args = json.dumps(call.arguments, ensure_ascii=False, sort_keys=True)
                lines.append(f"[Called tool {call.name} with {args}]")
            out.append(replace(msg, content="\n".join(lines), tool_calls=[]))
        elif msg.role == "tool":
            name = names.get(msg.tool_call_id or "", "a tool")
            label = "Error from" if msg.is_error else "Result of"
            text = f"[{label} {name}]\n{msg.content or '(no output)'}"
            out.append(_as_user(msg, text))
        else:
            out.append(msg)
    return out


def remap_tool_ids(
    messages: Sequence[Message], valid: re.Pattern[str] | None = None
) -> list[Message]:
    """A copy where every tool call id is unique in the request (and matches ``valid``).

    Ids come from whichever provider answered: an OpenAI-compatible server may send
    ``functions.read_file:0`` (not allowed by Anthropic's ``^[a-zA-Z0-9_-]+$``) or no id at
    all, and ids repeat across answers. The mapping is a pure function of the transcript,
    so the same history gives the same ids (prompt caching keeps working), and results are
    renamed with the call right before them. Expects ``pair_tool_results`` output."""
    used: set[str] = set()
    current: dict[str, list[str]] = {}  # old id -> new ids of the latest assistant message
    out: list[Message] = []
    for msg in messages:
        if msg.role == "assistant" and msg.tool_calls:
            current = {}
            calls = []
            for call in msg.tool_calls:
                new = _fresh_id(call.id, used, valid)
                current.setdefault(call.id, []).append(new)
                calls.append(replace(call, id=new) if new != call.id else call)
            out.append(replace(msg, tool_calls=calls))
        elif msg.role == "tool" and current.get(msg.tool_call_id or ""):
            new = current[msg.tool_call_id or ""].pop(0)
            out.append(msg if new == msg.tool_call_id else replace(msg, tool_call_id=new))
        else:
            out.append(msg)
    return out


def _fresh_id(old: str, used: set[str], valid: re.Pattern[str] | None) -> str:
    base = old or "call"
    if valid is not None and not valid.fullmatch(base):
        base = re.sub(r"[^a-zA-Z0-9_-]", "_", base) or "call"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    used.add(candidate)
    return candidate
