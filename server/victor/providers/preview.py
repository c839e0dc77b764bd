"""The provider used when no model is configured.

It never pretends to be a model: every answer says that no model is configured, how to
configure one, and shows the request Victor would have sent (system prompt, conversation,
tools) so the rest of the product can be tried and prompts inspected offline.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Sequence

from victor.protocols import Message, ToolSpec
from victor.providers.base import ChatResponse, Provider, StreamEvent, Usage

PREVIEW_MODEL = "preview"
CHUNK_CHARS = 400

INSTRUCTIONS = """\
**No model is configured**, so Victor answered with a preview of the request it would send. \
Nothing was sent anywhere.

To use a model, configure one of:

- **Anthropic (Claude):** set `ANTHROPIC_API_KEY`; in VS Code, run the **Victor: Set API key** \
command.
- **An OpenAI-compatible server** (Ollama, vLLM, LM Studio, llama.cpp server): set \
`OPENAI_BASE_URL`, e.g. `http://localhost:11434/v1` for Ollama, and `OPENAI_API_KEY` if the \
server needs a key.
- To choose explicitly, set `VICTOR_PROVIDER` (`anthropic` or `openai`) and `VICTOR_MODEL`.
"""


def _fenced(text: str) -> str:
    """A code fence longer than any backtick run inside, so content cannot break out."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def render_preview(messages: Sequence[Message], system: str, tools: Sequence[ToolSpec]) -> str:
    parts = [INSTRUCTIONS, "### System prompt", _fenced(system) if system else "_(empty)_"]
    parts.append(f"### Conversation ({len(messages)} messages)")
    for msg in messages:
        label = f"**{msg.role}**"
        if msg.role == "tool":
            label += f" (result of `{msg.tool_call_id}`{', error' if msg.is_error else ''})"
        parts.append(label)
        if msg.content:
            parts.append(_fenced(msg.content))
        for call in msg.tool_calls:
            parts.append(f"- calls `{call.name}` with `{json.dumps(call.arguments)}`")
    if tools:
        parts.append(f"### Tools offered ({len(tools)})")
        parts.append("\n".join(f"- `{t.name}`: {t.description}" for t in tools))
    return "\n\n".join(parts) + "\n"


class PreviewProvider(Provider):
    name = "preview"
    default_model = PREVIEW_MODEL

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> ChatResponse:
        text = render_preview(messages, system, tools)
        return ChatResponse(text, Usage(), [], "end_turn", PREVIEW_MODEL)

    async def stream(  # type: ignore[override]  # an async generator is what base.py describes
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> AsyncIterator[StreamEvent]:
        text = render_preview(messages, system, tools)
        for start in range(0, len(text), CHUNK_CHARS):
            # a real await between chunks: cancellation and Stop behave as with a model
            await asyncio.sleep(0)
            yield StreamEvent("text", text=text[start : start + CHUNK_CHARS])
        response = ChatResponse(text, Usage(), [], "end_turn", PREVIEW_MODEL)
        yield StreamEvent("done", response=response)

    def context_window(self, model: str) -> int:
        return 200_000
