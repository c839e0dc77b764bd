"""Clients for inline completions: one short, non-streamed, never-retried request each.

OpenAI-compatible servers get fill-in-the-middle through the legacy ``/v1/completions``
endpoint (``prompt`` + ``suffix``, as Ollama, llama.cpp server and vLLM offer for code models)
and chat completions when the server refuses that; Anthropic gets the Messages API with the
prefix and suffix in the prompt. Cancelling the awaiting task aborts the HTTP request (the
connection is closed), which is how a superseded completion stops costing anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

import httpx

from victor.providers.errors import (
    AuthenticationError,
    ProviderConnectionError,
    ProviderError,
    ProviderTimeoutError,
)
from victor.providers.http1 import Http1Client, HttpError, Response, needs_proxy
from victor.providers.retry import error_for_status, parse_retry_after
from victor.text import clean_value

if TYPE_CHECKING:
    from victor.config.settings import Settings

log = logging.getLogger(__name__)

FimMode = Literal["auto", "on", "off"]
#: statuses with which a server says "no /v1/completions or no ``suffix`` here"
_NO_FIM_STATUSES = frozenset({400, 404, 405, 422, 501})
_OPENAI_AUTH_HINT = "Set OPENAI_API_KEY to a key this server accepts."
_ANTHROPIC_AUTH_HINT = 'Set ANTHROPIC_API_KEY, or run the "Victor: Set API key" command.'
_MODEL_HINT = "Check victor.completionModel (or victor.model)."


@dataclass(frozen=True, slots=True)
class CompletionPrompt:
    """One completion request in both shapes; the client picks the one its API takes.

    ``fim_prefix``/``suffix`` go to fill-in-the-middle endpoints (the prefix may start with
    context as comments); ``system``/``user`` go to chat models, whose answer is the text to
    insert, closed by one of ``chat_stop``."""

    fim_prefix: str
    suffix: str
    system: str
    user: str
    chat_stop: tuple[str, ...] = ()
    max_tokens: int = 256


class CompletionClient(Protocol):
    async def complete(self, prompt: CompletionPrompt, model: str) -> str: ...

    async def aclose(self) -> None: ...


class OpenAICompletionClient:
    """``/v1/completions`` with ``suffix`` when the server offers it, else chat completions.

    With ``fim="auto"`` the first refusal (404, 400 ...) of the completions endpoint is
    remembered: later requests go straight to chat completions."""

    name = "openai"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        fim: FimMode = "auto",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self._client = _json_poster(self.base_url, headers, timeout, transport)
        #: None: not known yet; True/False: the server does / does not take FIM requests
        self.fim_supported: bool | None = None if fim == "auto" else fim == "on"

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompletionClient(base_url={self.base_url!r}, fim={self.fim_supported})"

    async def complete(self, prompt: CompletionPrompt, model: str) -> str:
        if self.fim_supported is not False:
            response = await self._post(
                "/completions",
                {
                    "model": model,
                    "prompt": prompt.fim_prefix,
                    "suffix": prompt.suffix,
                    "max_tokens": prompt.max_tokens,
                    "temperature": 0.2,
                },
            )
            if response.status_code in _NO_FIM_STATUSES and self.fim_supported is None:
                log.info(
                    "%s refused fill-in-the-middle (HTTP %d); using chat completions",
                    self.base_url,
                    response.status_code,
                )
                self.fim_supported = False
            else:
                choice = self._first_choice(response)
                self.fim_supported = True
                return str(choice.get("text") or "")
        body: dict[str, Any] = {
            "model": model,
            "messages": [
                {"role": "system", "content": prompt.system},
                {"role": "user", "content": prompt.user},
            ],
            "max_tokens": prompt.max_tokens,
            "temperature": 0.2,
        }
        if prompt.chat_stop:
            body["stop"] = list(prompt.chat_stop)[:4]
        choice = self._first_choice(await self._post("/chat/completions", body))
        message = choice.get("message") or {}
        return str(message.get("content") or "")

    async def _post(self, path: str, body: dict[str, Any]) -> Response:
        try:
            return await self._client.post(path, body)
        except TimeoutError:
            raise ProviderTimeoutError(
                "The model server did not answer a completion in time", provider="openai"
            ) from None
        except (HttpError, OSError) as exc:
            raise ProviderConnectionError(
                f"Cannot reach the model server at {self.base_url}: {exc}", provider="openai"
            ) from None

    def _first_choice(self, response: Response) -> dict[str, Any]:
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            error = payload.get("error") if isinstance(payload, dict) else response.text[:300]
            if isinstance(error, dict):
                message = str(error.get("message") or "")
                etype = str(error.get("code") or error.get("type") or "")
            else:
                message, etype = str(error or ""), ""
            raise error_for_status(
                response.status_code,
                provider="openai",
                error_type=etype,
                message=message,
                retry_after=parse_retry_after(response.headers),
                auth_hint=_OPENAI_AUTH_HINT,
                model_hint=_MODEL_HINT,
            )
        choices = payload.get("choices") if isinstance(payload, dict) else None
        if not choices or not isinstance(choices[0], dict):
            raise ProviderError(
                "The model server's completion has no choices", status=200, provider="openai"
            )
        return choices[0]

    async def aclose(self) -> None:
        await self._client.aclose()


class AnthropicCompletionClient:
    """The Messages API over kept-alive connections: prefix and suffix in the prompt, stop
    sequences.

    Not the official SDK (the chat provider's): per request it costs 2.5-4 ms more than the
    same POST through httpx (request options, response models), and its import about a second
    on the first completion; an inline completion is one small non-streamed request whose
    wire format (``/v1/messages``, ``x-api-key``, ``anthropic-version``) is stable."""

    name = "anthropic"
    API_VERSION = "2023-06-01"

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        from victor.providers.anthropic import NO_KEY, OFFICIAL_URL

        self.base_url = (base_url or OFFICIAL_URL).rstrip("/")
        self._has_key = bool(api_key)
        self._official = self.base_url.startswith(OFFICIAL_URL)
        headers = {
            # a placeholder lets keyless proxies and local servers work, as in chat
            "x-api-key": api_key or NO_KEY,
            "anthropic-version": self.API_VERSION,
        }
        self._client = _json_poster(self.base_url, headers, timeout, transport)

    def __repr__(self) -> str:  # never show the key
        return f"AnthropicCompletionClient(base_url={self.base_url!r})"

    async def complete(self, prompt: CompletionPrompt, model: str) -> str:
        if not self._has_key and self._official:
            raise AuthenticationError(
                f"No Anthropic API key is set. {_ANTHROPIC_AUTH_HINT}",
                status=None,
                provider=self.name,
            )
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": prompt.max_tokens,
            "system": prompt.system,
            "messages": [{"role": "user", "content": prompt.user}],
        }
        if prompt.chat_stop:
            body["stop_sequences"] = list(prompt.chat_stop)
        try:
            response = await self._client.post("/v1/messages", clean_value(body))
        except TimeoutError:
            raise ProviderTimeoutError(
                "Anthropic did not answer a completion in time", provider="anthropic"
            ) from None
        except (HttpError, OSError) as exc:
            raise ProviderConnectionError(
                f"Cannot reach {self.base_url}: {exc}", provider="anthropic"
            ) from None
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if response.status_code >= 400:
            error = payload.get("error") if isinstance(payload, dict) else None
            error = error if isinstance(error, dict) else {}
            raise error_for_status(
                response.status_code,
                provider="anthropic",
                error_type=str(error.get("type") or ""),
                message=str(error.get("message") or "")[:300],
                retry_after=parse_retry_after(response.headers),
                auth_hint=_ANTHROPIC_AUTH_HINT,
                model_hint=_MODEL_HINT,
            )
        content = payload.get("content") if isinstance(payload, dict) else None
        if not isinstance(content, list):
            raise ProviderError(
                "Anthropic's completion has no content", status=200, provider="anthropic"
            )
        return "".join(
            str(b.get("text") or "")
            for b in content
            if isinstance(b, dict) and b.get("type") == "text"
        )

    async def aclose(self) -> None:
        await self._client.aclose()


class JsonPoster(Protocol):
    async def post(self, path: str, body: Any) -> Response: ...

    async def aclose(self) -> None: ...


class _HttpxPoster:
    """httpx behind the same face as Http1Client: used where a proxy is configured (httpx
    honours HTTP(S)_PROXY) or a test passes its own transport."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post(self, path: str, body: Any) -> Response:
        try:
            response = await self._client.post(path, json=body)
        except httpx.TimeoutException:
            raise TimeoutError from None
        except httpx.HTTPError as exc:
            raise HttpError(str(exc)) from None
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Response(response.status_code, headers, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()


def _json_poster(
    base_url: str,
    headers: dict[str, str],
    timeout: float,
    transport: httpx.AsyncBaseTransport | None,
) -> JsonPoster:
    """Http1Client (a fraction of httpx's CPU per request), or httpx behind a proxy."""
    connect = min(timeout, 5.0)
    if transport is None and not needs_proxy(base_url):
        try:
            return Http1Client(base_url, headers, timeout=timeout, connect_timeout=connect)
        except ValueError:
            pass  # not http(s): httpx says what is wrong on the first request
    return _HttpxPoster(
        httpx.AsyncClient(
            base_url=base_url,
            headers=headers,
            timeout=httpx.Timeout(timeout, connect=connect),
            transport=transport,
        )
    )


def create_completion_client(settings: Settings) -> tuple[CompletionClient, str] | None:
    """The client and model for ``settings``; None when no model is configured (preview)."""
    from victor.providers import default_model

    name = settings.resolved_provider()
    model = settings.completion_model or settings.model or default_model(name)
    timeout = min(settings.request_timeout, 30.0)
    if name == "anthropic":
        key = settings.anthropic_api_key
        client: CompletionClient = AnthropicCompletionClient(
            key.get_secret_value() if key else None, settings.anthropic_base_url, timeout=timeout
        )
        return client, model
    if name == "openai":
        from victor.providers.openai_compat import DEFAULT_BASE_URL

        key = settings.openai_api_key
        client = OpenAICompletionClient(
            settings.openai_base_url or DEFAULT_BASE_URL,
            key.get_secret_value() if key else None,
            fim=settings.completion_fim,
            timeout=timeout,
        )
        return client, model
    return None
