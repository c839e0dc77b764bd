"""Typed provider errors. Each message says what happened and what the user can do."""

from __future__ import annotations

from victor.errors import VictorError


class ProviderError(VictorError):
    """A model API request failed. ``retryable`` errors were already retried."""

    retryable: bool = False
    #: short machine-readable kind, sent to LSP clients in error data
    kind: str = "provider"

    def __init__(self, message: str, *, status: int | None = None, provider: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.provider = provider


class AuthenticationError(ProviderError):
    kind = "auth"


class RateLimitError(ProviderError):
    kind = "rate_limit"
    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class OverloadedError(ProviderError):
    kind = "overloaded"
    retryable = True


class ServerError(ProviderError):
    kind = "server"
    retryable = True


class ContextTooLongError(ProviderError):
    kind = "context_too_long"


class InvalidRequestError(ProviderError):
    kind = "invalid_request"


class ProviderConnectionError(ProviderError):
    """The API could not be reached, the connection broke, or it stopped answering."""

    kind = "network"
    retryable = True


class ProviderTimeoutError(ProviderConnectionError):
    kind = "timeout"


class StreamInterruptedError(ProviderError):
    """The stream broke after part of the answer had arrived; ``partial`` holds that part.

    Never retried: a retry would produce a second, different answer."""

    kind = "interrupted"

    def __init__(self, message: str, *, partial: str = "", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.partial = partial
