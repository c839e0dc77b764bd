"""OpenAI-compatible chat completions provider (Ollama, vLLM, LM Studio, llama.cpp server,
OpenAI itself), on plain httpx: these servers differ in small ways an SDK would hide badly."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import httpx

from victor.protocols import Message, ToolCall, ToolSpec
from victor.providers.base import ChatResponse, Provider, StreamEvent, Usage
from victor.providers.errors import ProviderConnectionError, ProviderError, ProviderTimeoutError
from victor.providers.limits import (
    OPENAI_MAX_OUTPUT,
    TokenCap,
    TokenCapper,
    is_openai_reasoning_model,
)
from victor.providers.loop_client import LoopBoundClient
from victor.providers.retry import (
    RetryPolicy,
    call_with_retries,
    error_for_status,
    parse_retry_after,
    stream_with_retries,
)
from victor.providers.transcript import (
    pair_tool_results,
    remap_tool_ids,
    tool_turns_as_text,
    with_editor_context,
)
from victor.text import clean_value

DEFAULT_BASE_URL = "http://localhost:11434/v1"
DEFAULT_MODEL = "llama3.2"
AUTH_HINT = "Set OPENAI_API_KEY to a key this server accepts."
MODEL_HINT = "Check VICTOR_MODEL (with Ollama, run `ollama pull <model>` first)."
DEFAULT_WINDOW = 8192  # unknown local models: small, so compaction starts early, not late

# Keys are model-name stems without punctuation ("llama3.1:8b" -> "llama318b"); the longest
# stem found in the name wins. Figures are the models' native windows.
_CONTEXT_WINDOWS = {
    "llama3": 8192,
    "llama31": 131_072,
    "llama32": 131_072,
    "llama33": 131_072,
    "llama4": 131_072,
    "codellama": 16_384,
    "qwen25": 32_768,
    "qwen25coder": 32_768,
    "qwen3": 40_960,
    "mistral": 32_768,
    "mixtral": 32_768,
    "gemma2": 8192,
    "gemma3": 131_072,
    "phi4": 16_384,
    "deepseekr1": 131_072,
    "gpt4o": 128_000,
    "gpt41": 1_047_576,
}
_FINISH = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}


def to_openai_messages(
    messages: Sequence[Message], system: str = "", *, with_tools: bool = True
) -> list[dict[str, Any]]:
    """Victor messages -> chat completions ``messages``, the system prompt first.

    Tool call ids are made unique within the request (servers that send none, or another
    provider's, may repeat them); ``with_tools=False`` writes tool turns out as text, as for
    Anthropic, so a request without tools never carries tool messages."""
    out: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
    paired = pair_tool_results(with_editor_context(messages))
    paired = remap_tool_ids(paired) if with_tools else tool_turns_as_text(paired)
    for msg in paired:
        if msg.role == "tool":
            content = msg.content
            if msg.is_error and not content.lower().startswith("error"):
                content = f"Error: {content}"  # the format has no is_error flag
            out.append({"role": "tool", "tool_call_id": msg.tool_call_id, "content": content})
        elif msg.role == "assistant":
            if not msg.content and not msg.tool_calls:
                continue
            item: dict[str, Any] = {"role": "assistant", "content": msg.content or None}
            if msg.tool_calls:
                item["tool_calls"] = [
                    {
                        "id": c.id,
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in msg.tool_calls
                ]
            out.append(item)
        else:
            out.append({"role": "user", "content": msg.content})
    return out


def _arguments(raw: str) -> dict[str, Any]:
    """Small local models do emit invalid JSON: keep it so the tool error can tell them."""
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"input": value}


class OpenAICompatProvider(Provider):
    name = "openai"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        max_retries: int = 3,
        timeout: float = 120.0,
        default_model: str = DEFAULT_MODEL,
        backoff_base: float = 0.5,
    ) -> None:
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.default_model = default_model or DEFAULT_MODEL
        self.timeout = timeout
        self.retry = RetryPolicy(max_retries=max_retries, base_delay=backoff_base)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._clients: LoopBoundClient[httpx.AsyncClient] = LoopBoundClient(
            self._new_client, httpx.AsyncClient.aclose
        )
        self._caps = TokenCapper(OPENAI_MAX_OUTPUT, self.name)

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base_url,
            headers=self._headers,
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0)),
        )

    @property
    def _client(self) -> httpx.AsyncClient:
        """The client of the running event loop (a new loop gets its own: ``loop_client``)."""
        return self._clients.get()

    def max_tokens_for(self, model: str, requested: int) -> TokenCap:
        return self._caps.cap(model or self.default_model, requested)

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(base_url={self.base_url!r})"

    def _body(
        self,
        messages: Sequence[Message],
        model: str,
        system: str,
        tools: Sequence[ToolSpec],
        max_tokens: int,
        stream: bool,
    ) -> dict[str, Any]:
        model = model or self.default_model
        # reasoning models (gpt-5, o-series) refuse max_tokens: see limits.py
        budget = "max_completion_tokens" if is_openai_reasoning_model(model) else "max_tokens"
        # Key order follows the prompt the server renders (tools before the conversation),
        # and what changes between requests comes last: the conversation only grows, and
        # the answer's budget may shrink with the room left. So each request's body starts
        # with the previous one's, byte for byte (docs/design.md, "Prompt layout").
        body: dict[str, Any] = {"model": model, "stream": stream}
        if stream:
            body["stream_options"] = {"include_usage": True}
        if tools:
            body["tools"] = [
                {
                    "type": "function",
                    "function": {
                        "name": t.name,
                        "description": t.description,
                        "parameters": t.input_schema,
                    },
                }
                for t in tools
            ]
        body["messages"] = to_openai_messages(messages, system, with_tools=bool(tools))
        body[budget] = self.max_tokens_for(model, max_tokens).sent
        # Last line of defence: no lone surrogate reaches the wire (see victor.text).
        return clean_value(body)

    async def chat(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> ChatResponse:
        body = self._body(messages, model, system, tools, max_tokens, stream=False)

        async def once() -> ChatResponse:
            try:
                response = await self._client.post("/chat/completions", json=body)
                if response.status_code >= 400:
                    raise self._status_error(response)
                data = response.json()
                choice = data["choices"][0]
                message = choice.get("message") or {}
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
                raise self._error(exc) from exc
            calls = [
                ToolCall(
                    c.get("id") or _new_call_id(),
                    c["function"]["name"],
                    _arguments(c["function"].get("arguments", "")),
                )
                for c in message.get("tool_calls") or []
            ]
            stop = _FINISH.get(choice.get("finish_reason") or "stop", "end_turn")
            usage = _usage(data.get("usage"))
            return ChatResponse(
                message.get("content") or "", usage, calls, stop, data.get("model", "")
            )

        return await call_with_retries(once, self.retry)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        model: str,
        system: str = "",
        tools: Sequence[ToolSpec] = (),
        max_tokens: int = 4096,
    ) -> AsyncIterator[StreamEvent]:
        body = self._body(messages, model, system, tools, max_tokens, stream=True)
        return stream_with_retries(lambda: self._stream_once(body), self.retry)

    async def _stream_once(self, body: dict[str, Any]) -> AsyncIterator[StreamEvent]:
        try:
            request = self._client.build_request("POST", "/chat/completions", json=body)
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._error(exc) from exc
        state = _ChunkState(body["model"])
        try:
            if response.status_code >= 400:
                await response.aread()
                raise self._status_error(response)
            async for line in response.aiter_lines():
                for event in state.feed(line):
                    yield event
                if state.error is not None:
                    raise self._in_stream_error(state.error)
            if not state.complete:
                raise ProviderConnectionError(
                    "The model server's stream ended before the answer was complete.",
                    provider=self.name,
                )
        except (httpx.HTTPError, ValueError) as exc:
            raise self._error(exc) from exc
        finally:
            await response.aclose()  # at once, so the server stops generating
        for event in state.flush_tools():
            yield event
        yield StreamEvent("done", response=state.response())

    def context_window(self, model: str) -> int:
        stem = re.sub(r"[^a-z0-9]", "", (model or self.default_model).lower())
        matches = [k for k in _CONTEXT_WINDOWS if k in stem]
        return _CONTEXT_WINDOWS[max(matches, key=len)] if matches else DEFAULT_WINDOW

    async def aclose(self) -> None:
        await self._clients.aclose()

    # ----------------------------------------------------------------- errors

    def _status_error(self, response: httpx.Response) -> ProviderError:
        try:
            error = response.json().get("error")
        except ValueError:
            error = response.text[:300]
        return self._classify(response.status_code, error, parse_retry_after(response.headers))

    def _in_stream_error(self, error: Any) -> ProviderError:
        return self._classify(200, error, None)

    def _classify(self, status: int, error: Any, retry_after: float | None) -> ProviderError:
        # OpenAI: {"error": {"message", "type", "code"}}; Ollama: {"error": "text"}
        if isinstance(error, dict):
            message = str(error.get("message") or "")
            etype = str(error.get("code") or error.get("type") or "")
        else:
            message, etype = str(error or ""), ""
        return error_for_status(
            status,
            provider=self.name,
            error_type=etype,
            message=message,
            retry_after=retry_after,
            auth_hint=AUTH_HINT,
            model_hint=MODEL_HINT,
        )

    def _error(self, exc: BaseException) -> ProviderError:
        if isinstance(exc, ProviderError):
            return exc
        if isinstance(exc, httpx.TimeoutException):
            return ProviderTimeoutError(
                f"The model server at {self.base_url} sent nothing for {self.timeout:g}s. "
                "Local models can be slow to load: try again, or raise VICTOR_REQUEST_TIMEOUT.",
                provider=self.name,
            )
        if isinstance(exc, httpx.TransportError):
            return ProviderConnectionError(
                f"Could not reach the model server at {self.base_url}, or the connection broke. "
                "Is it running (e.g. `ollama serve`)? Check OPENAI_BASE_URL.",
                provider=self.name,
            )
        return ProviderError(
            f"The model server at {self.base_url} sent a response Victor could not read "
            "(malformed data). Check that it speaks the OpenAI chat completions API.",
            provider=self.name,
        )


class _ChunkState:
    """Accumulates chat.completion.chunk events into Victor's StreamEvents."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.text: list[str] = []
        self.tools: dict[int, dict[str, Any]] = {}
        self.calls: list[ToolCall] = []
        self.usage = Usage()
        self.finish: str | None = None
        self.done = False
        self.error: Any = None

    @property
    def complete(self) -> bool:
        return self.done or self.finish is not None

    def feed(self, line: str) -> list[StreamEvent]:
        if not line.startswith("data:") or self.done:
            return []  # comments, event names, keep-alives
        data = line[5:].strip()
        if data == "[DONE]":
            self.done = True
            return []
        chunk = json.loads(data)  # ValueError -> malformed
        if "error" in chunk:
            self.error = chunk["error"]
            return []
        self.model = chunk.get("model") or self.model
        if chunk.get("usage"):
            self.usage = _usage(chunk["usage"])
        events: list[StreamEvent] = []
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                self.text.append(delta["content"])
                events.append(StreamEvent("text", text=delta["content"]))
            for part in delta.get("tool_calls") or []:
                slot = self.tools.setdefault(part.get("index", 0), {"args": []})
                slot.setdefault("id", part.get("id"))
                function = part.get("function") or {}
                if function.get("name"):
                    slot["name"] = function["name"]
                slot["args"].append(function.get("arguments") or "")
            if choice.get("finish_reason"):
                self.finish = choice["finish_reason"]
                events += self.flush_tools()
        return events

    def flush_tools(self) -> list[StreamEvent]:
        """Tool calls are complete once the choice finishes (or the stream ends)."""
        events = []
        for index in sorted(self.tools):
            slot = self.tools[index]
            call_id = slot.get("id") or _new_call_id()
            call = ToolCall(call_id, slot.get("name", ""), _arguments("".join(slot["args"])))
            self.calls.append(call)
            events.append(StreamEvent("tool_call", tool_call=call))
        self.tools.clear()
        return events

    def response(self) -> ChatResponse:
        stop = _FINISH.get(self.finish or "stop", "end_turn")
        return ChatResponse("".join(self.text), self.usage, self.calls, stop, self.model)


def _new_call_id() -> str:
    """For a server that sends no id: unique, so ids never repeat across answers."""
    return f"call_{uuid.uuid4().hex[:24]}"


def _usage(raw: dict[str, Any] | None) -> Usage:
    if not raw:
        return Usage()
    prompt = int(raw.get("prompt_tokens") or 0)
    cached = int((raw.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return Usage(
        input_tokens=prompt - cached,
        output_tokens=int(raw.get("completion_tokens") or 0),
        cache_read_tokens=cached,
    )
