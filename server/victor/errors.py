"""Victor's exceptions, and turning them into one clear line for users (CLI and LSP alike).

Every error Victor raises on purpose derives from ``VictorError``, so a library user can
catch them all in one ``except``::

    VictorError
    ├── ConfigError            a setting or a config provider's answer is invalid
    │                          (also a ValueError; importable from victor.config.loader)
    ├── InvalidArgumentError   the API was called with a bad argument (also a ValueError)
    ├── SessionNotFoundError   no such session (also a KeyError; victor.storage.session_store)
    └── ProviderError          a model API request failed (victor.providers.errors, with
                               AuthenticationError, RateLimitError, ... under it)

This module imports nothing of Victor at import time, so every layer may use it.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "InvalidArgumentError",
    "VictorError",
    "user_message",
]


class VictorError(Exception):
    """Base class of every exception Victor raises on purpose."""


class ConfigError(VictorError, ValueError):
    """A configuration value is invalid; the message names the key and the source."""


class InvalidArgumentError(VictorError, ValueError):
    """A public method was called with an argument it cannot use; the message names it."""


def user_message(exc: BaseException) -> str | None:
    """The message to show for errors the user can act on; None for bugs."""
    if isinstance(exc, VictorError | ValueError | LookupError | PermissionError):
        text = str(exc)
        if isinstance(exc, KeyError) and text.startswith(("'", '"')):
            text = text[1:-1]
        return text
    return None
