"""Exceptions from the agent layer -> JSON-RPC errors the client can act on."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar

from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams

log = logging.getLogger(__name__)

REQUEST_FAILED = -32803
T = TypeVar("T")


def to_jsonrpc(exc: Exception) -> JsonRpcException:
    from victor.config.loader import ConfigError
    from victor.providers.errors import ProviderError
    from victor.storage.session_store import SessionNotFoundError

    if isinstance(exc, JsonRpcException):
        return exc
    if isinstance(exc, SessionNotFoundError):
        # str(), not args[0]: args holds the bare id, str() the documented sentence
        return JsonRpcInvalidParams(f"sessionId: {exc}")
    if isinstance(exc, ProviderError):
        return JsonRpcException(
            str(exc),
            REQUEST_FAILED,
            {
                "kind": exc.kind,
                "provider": exc.provider,
                "status": exc.status,
                "retryable": exc.retryable,
            },
        )
    if isinstance(exc, ConfigError):
        return JsonRpcException(str(exc), REQUEST_FAILED, {"kind": "config"})
    if isinstance(exc, ValueError):
        return JsonRpcInvalidParams(str(exc))
    log.exception("unexpected error in a request")
    return JsonRpcException(f"internal error: {type(exc).__name__}: {exc}", -32603)


def jsonrpc_errors(
    func: Callable[..., Awaitable[T]],
) -> Callable[..., Awaitable[T]]:
    """Decorator: whatever a handler raises reaches the client as a proper JSON-RPC error."""

    @wraps(func)
    async def wrapper(*args: Any, **kwargs: Any) -> T:
        try:
            return await func(*args, **kwargs)
        except Exception as exc:
            raise to_jsonrpc(exc) from exc

    return wrapper
