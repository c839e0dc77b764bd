"""Retries and HTTP error classification shared by the providers.

The SDKs' own retries are switched off so that one policy applies everywhere and, above all,
so that a streamed answer is never retried once part of it reached the user: a second attempt
would be a different answer glued onto the first. After that point a failure becomes
``StreamInterruptedError`` carrying what had arrived.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import aclosing
from dataclasses import dataclass
from typing import TypeVar

from victor.providers.base import StreamEvent
from victor.providers.errors import (
    AuthenticationError,
    ContextTooLongError,
    InvalidRequestError,
    OverloadedError,
    ProviderError,
    RateLimitError,
    ServerError,
    StreamInterruptedError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; ``retry-after`` wins when sent."""

    max_retries: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: a server asking us to wait longer than this is not waited for: the error goes to the
    #: user at once (with the wait in its message) instead of a silently frozen request
    max_retry_after: float = 60.0

    def delay(self, attempt: int, error: ProviderError) -> float | None:
        """Seconds to wait before retry ``attempt + 1``, or ``None`` to give up."""
        if not error.retryable or attempt >= self.max_retries:
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return None if retry_after > self.max_retry_after else max(0.0, retry_after)
        backoff = min(self.max_delay, self.base_delay * 2**attempt)
        # jitter spreads clients that failed together so they do not retry together
        return backoff * random.uniform(0.5, 1.0)


def _log_retry(error: ProviderError, wait: float, attempt: int, policy: RetryPolicy) -> None:
    # kind and status only: messages may quote server text, which is not ours to log
    log.warning(
        "%s request failed (%s, status %s); retry %d/%d in %.2fs",
        error.provider or "model",
        error.kind,
        error.status,
        attempt + 1,
        policy.max_retries,
        wait,
    )


async def call_with_retries(op: Callable[[], Awaitable[T]], policy: RetryPolicy) -> T:
    """Run ``op`` until it succeeds, fails for good, or the policy gives up."""
    attempt = 0
    while True:
        try:
            return await op()
        except ProviderError as error:
            wait = policy.delay(attempt, error)
            if wait is None:
                raise
            _log_retry(error, wait, attempt, policy)
            await asyncio.sleep(wait)
            attempt += 1


async def stream_with_retries(
    open_stream: Callable[[], AsyncIterator[StreamEvent]], policy: RetryPolicy
) -> AsyncIterator[StreamEvent]:
    """Yield the events of ``open_stream()``, retrying only while nothing has been yielded.

    Closing this generator closes the attempt in progress at once (``aclosing``), which is
    what aborts the HTTP request upstream."""
    attempt = 0
    while True:
        shown: list[str] = []
        started = False
        try:
            async with aclosing(open_stream()) as events:
                async for event in events:
                    if event.type != "done":
                        started = True
                        shown.append(event.text)
                    yield event
            return
        except StreamInterruptedError:
            raise
        except ProviderError as error:
            if started:
                raise StreamInterruptedError(
                    f"The answer was cut off: {error} The part that arrived was kept; "
                    "ask again to get a complete answer.",
                    partial="".join(shown),
                    status=error.status,
                    provider=error.provider,
                ) from error
            wait = policy.delay(attempt, error)
            if wait is None:
                raise
            _log_retry(error, wait, attempt, policy)
            await asyncio.sleep(wait)
            attempt += 1


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from ``retry-after-ms`` or ``retry-after`` (HTTP dates are ignored)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue
    return None


_TOO_LONG = ("prompt is too long", "context length", "context_length", "maximum context")


def error_for_status(
    status: int,
    *,
    provider: str,
    error_type: str | None,
    message: str,
    retry_after: float | None,
    auth_hint: str,
    model_hint: str,
) -> ProviderError:
    """Classify an HTTP (or in-stream) error; the message says what the user can do.

    ``error_type`` is the API's own name for the error (Anthropic's ``overloaded_error``,
    OpenAI's ``code``); errors sent inside a stream arrive with status 200 and only that."""
    label = {"anthropic": "Anthropic", "openai": "The model server"}.get(provider, provider)
    etype = (error_type or "").lower()
    detail = f" ({message})" if message else ""
    kw: dict = {"status": status, "provider": provider}
    if status == 401 or etype in ("authentication_error", "invalid_api_key"):
        return AuthenticationError(f"{label} rejected the API key (401). {auth_hint}", **kw)
    if status == 403 or etype == "permission_error":
        return AuthenticationError(
            f"{label} refused access (403): this key may not use this model.{detail} {auth_hint}",
            **kw,
        )
    lowered = message.lower()
    too_long = any(s in lowered for s in _TOO_LONG) or etype == "context_length_exceeded"
    if too_long or status == 413 or etype == "request_too_large":
        return ContextTooLongError(
            f"The conversation is too long for the model{detail}. Compact it or start a new "
            "session, or drop large files from the context.",
            **kw,
        )
    if status == 429 or etype in ("rate_limit_error", "rate_limit_exceeded"):
        wait = f" The server asked to wait {retry_after:g}s." if retry_after else ""
        return RateLimitError(
            f"{label} rate limit reached.{wait} Wait a moment and try again.",
            retry_after=retry_after,
            **kw,
        )
    if status in (503, 529) or etype in ("overloaded_error", "overloaded"):
        error: ProviderError = OverloadedError(
            f"{label} is overloaded right now ({status or etype}). Try again in a moment.", **kw
        )
    elif status >= 500 or etype in ("api_error", "server_error"):
        error = ServerError(
            f"{label} had an internal error ({status or etype}). Try again in a moment.", **kw
        )
    elif status == 404 or etype in ("not_found_error", "model_not_found"):
        return InvalidRequestError(f"{label} does not know this model{detail}. {model_hint}", **kw)
    elif 400 <= status < 500:
        return InvalidRequestError(f"{label} rejected the request ({status}){detail}.", **kw)
    else:
        error = ServerError(f"{label} reported an error{detail}. Try again.", **kw)
    error.retry_after = retry_after  # type: ignore[attr-defined] # honoured by RetryPolicy
    return error
