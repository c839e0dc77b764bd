"""What one turn runs with: the orchestrator's settings, then a config provider's answer for
the turn's session on top. Per turn, never written back, so one session's model cannot leak
into another session."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from victor.config.settings import Settings
from victor.errors import ConfigError

__all__ = ["PER_TURN_KEYS", "TurnConfig"]

#: Settings a config provider may choose per session (snake_case or camelCase keys).
PER_TURN_KEYS = (
    "model",
    "max_tokens",
    "enable_tools",
    "max_tools_per_request",
    "max_tool_rounds",
)


@dataclass(frozen=True, slots=True)
class TurnConfig:
    model: str
    max_tokens: int
    enable_tools: bool
    max_tools_per_request: int
    max_tool_rounds: int

    @classmethod
    def resolve(cls, settings: Settings, model: str, overrides: dict[str, Any]) -> TurnConfig:
        """``settings`` (and the orchestrator's ``model``) with a provider's ``overrides``.

        Values are validated like settings; a bad one is a ConfigError naming the key."""
        chosen: dict[str, Any] = {}
        for key, value in overrides.items():
            name = _snake(key) if isinstance(key, str) else ""
            if name in PER_TURN_KEYS and value is not None:
                chosen[name] = value
        if chosen:
            try:
                Settings.model_validate({**settings.model_dump(), **chosen})
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
                )
                raise ConfigError(f"config provider: {problems}") from exc
        values = {k: getattr(settings, k) for k in PER_TURN_KEYS}
        values["model"] = model
        values.update(chosen)
        if not values["model"]:
            values["model"] = model
        return cls(**values)


def _snake(key: str) -> str:
    """``maxTokens`` -> ``max_tokens`` (editors and JSON configs use camelCase)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).lower()
