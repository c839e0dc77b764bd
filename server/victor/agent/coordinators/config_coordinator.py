"""ConfigCoordinator: asks configuration providers in priority order."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from victor.protocols import IConfigProvider

log = logging.getLogger(__name__)


class ConfigCoordinator:
    """Loads per-session configuration from a list of providers.

    Providers are asked highest priority first; the first non-empty dict wins and ``{}``
    means "ask the next one". A provider that raises is logged and skipped, so one broken
    source never stops a chat. ``get_config()`` answers synchronously with what was loaded
    last, which keeps working while a provider is failing.
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
        return list(self._providers)

    def set_defaults(self, defaults: dict[str, Any]) -> None:
        self._defaults = dict(defaults)

    async def load_config(self, session_id: str = "default") -> dict[str, Any]:
        for provider in self._providers:
            try:
                config = await provider.get_config(session_id)
            except Exception as exc:  # a broken source must not break the chat
                log.warning("config provider %s failed: %s", type(provider).__name__, exc)
                continue
            if config:
                result = dict(config)
                break
        else:
            result = dict(self._defaults)
        self._loaded[session_id] = result
        self._last = result
        return result

    def get_config(self, session_id: str | None = None) -> dict[str, Any]:
        """The configuration loaded last (for ``session_id`` if given), else the defaults."""
        if session_id is not None and session_id in self._loaded:
            return dict(self._loaded[session_id])
        return dict(self._last if self._last is not None else self._defaults)
