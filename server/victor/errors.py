"""Turning exceptions into one clear line for users (CLI and LSP alike)."""

from __future__ import annotations


def user_message(exc: BaseException) -> str | None:
    """The message to show for errors the user can act on; None for bugs."""
    from victor.config.loader import ConfigError
    from victor.providers.errors import ProviderError

    if isinstance(exc, ProviderError | ConfigError | ValueError | LookupError | PermissionError):
        text = str(exc)
        if isinstance(exc, KeyError) and text.startswith(("'", '"')):
            text = text[1:-1]
        return text
    return None
