"""Layered settings for one workspace folder.

Precedence, highest first: the editor's ``workspace/configuration`` section ``victor`` >
``initializationOptions`` > ``.victor/config.toml`` in the folder > environment > defaults.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from victor.config.settings import Settings

log = logging.getLogger(__name__)

WORKSPACE_CONFIG = Path(".victor") / "config.toml"

# A cloned repository must not be able to send the user's API key elsewhere: keys and base
# URLs are refused from workspace files (and keys from the editor's settings too; they
# come from the environment or the editor's secret storage only).
_NOT_FROM_WORKSPACE = {
    "anthropic_api_key",
    "openai_api_key",
    "anthropic_base_url",
    "openai_base_url",
    "anthropicApiKey",
    "openaiApiKey",
    "anthropicBaseUrl",
    "openaiBaseUrl",
    "data_dir",
    "dataDir",
}
_NOT_FROM_EDITOR = {"anthropic_api_key", "openai_api_key", "anthropicApiKey", "openaiApiKey"}


# One ConfigError for the whole package (a VictorError and a ValueError), importable here too.
from victor.errors import ConfigError as ConfigError  # noqa: E402


def read_workspace_config(root: Path) -> dict[str, Any]:
    """The ``[victor]``-less top-level table of ``.victor/config.toml`` (empty if absent)."""
    path = root / WORKSPACE_CONFIG
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = data.get("victor", data)
    refused = sorted(k for k in table if k in _NOT_FROM_WORKSPACE)
    if refused:
        log.warning(
            "%s: ignoring %s (only allowed in the environment or editor settings)",
            path,
            ", ".join(refused),
        )
    return {k: v for k, v in table.items() if k not in _NOT_FROM_WORKSPACE}


def load_settings(
    root: Path | None,
    *,
    init_options: dict[str, Any] | None = None,
    client_config: dict[str, Any] | None = None,
    base: Settings | None = None,
) -> Settings:
    """Settings for ``root`` with every layer applied; ConfigError names a bad value."""
    settings = base or Settings()
    layers: list[tuple[str, dict[str, Any]]] = []
    if root is not None:
        layers.append((str(root / WORKSPACE_CONFIG), read_workspace_config(root)))
    for source, values in (
        ("initializationOptions", init_options),
        ("workspace/configuration", client_config),
    ):
        if values:
            layers.append(
                (
                    source,
                    {
                        k: v
                        for k, v in values.items()
                        if k not in _NOT_FROM_EDITOR and not isinstance(v, dict)
                    },
                )
            )
    for source, values in layers:
        try:
            settings = settings.merged(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{source}: {problems}") from exc
    return settings
