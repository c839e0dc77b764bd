"""ConfigCoordinator: asks configuration providers in priority order."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from victor.errors import ConfigError
from victor.protocols import IConfigProvider

__all__ = ["ConfigCoordinator"]

log = logging.getLogger(__name__)


class ConfigCoordinator:
    """Loads per-session configuration from a list of providers.

    Providers are asked highest priority first; the first non-empty answer wins and ``{}``
    means "ask the next one". An answer may be a dict (any mapping) or a JSON object string
    (asyncpg returns ``jsonb`` as text); anything else raises ConfigError naming the provider.
    A provider that raises is logged and skipped, so one broken source never stops a chat.
    ``get_config()`` answers synchronously with what was loaded last, which keeps working
    while a provider is failing.
    """

    def __init__(
        self,
        providers: Iterable[IConfigProvider] = (),
        *,
        defaults: dict[str, Any] | None = None,
    ) -> None:
        self._providers = sorted(providers, key=lambda p: p.priority(), reverse=True)
        self._defaults = dict(defaults or {})
        self._loaded: dict[str, dict[str, Any]] = {}
        self._last: dict[str, Any] | None = None

    @property
    def providers(self) -> list[IConfigProvider]:
        """The providers, highest priority first."""
        return list(self._providers)

    def set_defaults(self, defaults: dict[str, Any]) -> None:
        """What ``load_config`` returns when no provider answers (the orchestrator's settings)."""
        self._defaults = dict(defaults)

    async def load_config(self, session_id: str = "default") -> dict[str, Any]:
        """The first non-empty provider answer for ``session_id``, else the defaults."""
        return await self.session_overrides(session_id) or dict(self._defaults)

    async def session_overrides(self, session_id: str = "default") -> dict[str, Any]:
        """The first non-empty provider answer for ``session_id``; ``{}`` when none answers.

        Unlike ``load_config`` this never falls back to the defaults, so a caller can tell
        what a provider chose for this session from what applies to every session.
        """
        result: dict[str, Any] = {}
        for provider in self._providers:
            try:
                answer = await provider.get_config(session_id)
            except Exception as exc:  # a broken source must not break the chat
                log.warning("config provider %s failed: %s", type(provider).__name__, exc)
                continue
            config = _as_config(answer, provider)
            if config:
                result = config
                break
        self._loaded[session_id] = result or dict(self._defaults)
        self._last = self._loaded[session_id]
        return dict(result)

    def get_config(self, session_id: str | None = None) -> dict[str, Any]:
        """The configuration loaded last (for ``session_id`` if given), else the defaults."""
        if session_id is not None and session_id in self._loaded:
            return dict(self._loaded[session_id])
        return dict(self._last if self._last is not None else self._defaults)


def _as_config(answer: object, provider: IConfigProvider) -> dict[str, Any]:
    """A provider's answer as a dict; ConfigError (naming the provider) if it is not one."""
    name = type(provider).__name__
    if answer is None:
        return {}
    if isinstance(answer, str | bytes | bytearray):
        try:
            answer = json.loads(answer) if answer.strip() else {}
        except ValueError as exc:
            raise ConfigError(
                f"config provider {name} returned a string that is not JSON: {exc}"
            ) from exc
        if not isinstance(answer, dict):
            raise ConfigError(
                f"config provider {name} returned JSON {type(answer).__name__}, "
                "expected a JSON object"
            )
    if not isinstance(answer, Mapping):
        raise ConfigError(
            f"config provider {name} returned {type(answer).__name__}, "
            "expected a dict (or a JSON object string)"
        )
    if not all(isinstance(key, str) for key in answer):
        raise ConfigError(f"config provider {name} returned a dict with non-string keys")
    return dict(answer)
