"""Layered settings for one workspace folder.

Precedence, highest first: the editor's ``workspace/configuration`` section ``victor`` >
``initializationOptions`` > ``.victor/config.toml`` in the folder > environment > defaults.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from victor.config.settings import Settings, canonical_key
from victor.workspace.guarded_read import ReadRefusedError, UnreadableFileError, read_guarded

log = logging.getLogger(__name__)

WORKSPACE_CONFIG = Path(".victor") / "config.toml"
MAX_WORKSPACE_CONFIG_BYTES = 1_000_000

# A cloned repository must not choose where the user's key, sessions or analytics go, nor
# anything Victor runs. So ``.victor/config.toml`` may set only the keys named here (an
# allowlist: a setting added later is refused until someone decides it is harmless), after
# the key's spelling is normalised (``AnthropicBaseUrl`` is ``anthropic_base_url``). URLs,
# paths, keys and data locations come from the environment or the editor's settings only,
# whether the folder is trusted or not.
WORKSPACE_FILE_KEYS = frozenset(
    {
        "provider",
        "model",
        "max_tokens",
        "context_window",
        "context_compaction_threshold",
        "context_compaction_target",
        "compaction_strategy",
        "tool_selection_strategy",
        "tool_selection_hybrid_alpha",
        "max_tools_per_request",
        "max_tool_rounds",
        "max_retries",
        "request_timeout",
        "completion_model",
        "completion_fim",
        "inline_completions_disabled_languages",
    }
)
# Switches a workspace file may only turn off: turning one on would override the user's own
# choice in the environment (the file ranks above it).
WORKSPACE_FILE_OFF_ONLY = frozenset(
    {"enable_tools", "enable_analytics", "format_generated_code", "inline_completions"}
)
# Keys a workspace file may set only to the values named here: a repository may keep chats in
# ask mode, never put them in agent mode (edits and commands are the user's choice).
WORKSPACE_FILE_ONLY_VALUES: dict[str, frozenset[str]] = {"default_chat_mode": frozenset({"ask"})}
_SECRET_KEYS = frozenset({"anthropic_api_key", "openai_api_key"})


# One ConfigError for the whole package (a VictorError and a ValueError), importable here too.
from victor.errors import ConfigError as ConfigError  # noqa: E402


@dataclass(frozen=True, slots=True)
class IgnoredSetting:
    """A key some configuration source set that Victor did not apply, and why."""

    source: str
    key: str  # as spelt in the source
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.key}: {self.reason}"


def read_workspace_config(root: Path) -> dict[str, Any]:
    """The ``[victor]`` table (or the top-level table) of ``.victor/config.toml``, unscreened;
    empty if absent."""
    path = root / WORKSPACE_CONFIG
    try:
        # Guarded: a link out of the folder, a FIFO or /dev/stdin is refused without blocking.
        raw = read_guarded(root, WORKSPACE_CONFIG, max_bytes=MAX_WORKSPACE_CONFIG_BYTES)
    except UnreadableFileError as exc:
        if exc.missing:
            return {}
        raise ConfigError(f"{path}: {exc.reason}") from exc
    except ReadRefusedError as exc:
        log.warning("%s skipped: %s", path, exc.reason)
        return {}
    try:
        data = tomllib.loads(raw.data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = data.get("victor", data)
    return table if isinstance(table, dict) else {}


def screen_workspace_config(
    table: dict[str, Any], source: str
) -> tuple[dict[str, Any], list[IgnoredSetting]]:
    """(the keys a workspace file may set, by field name; what was refused and why)."""
    accepted: dict[str, Any] = {}
    ignored: list[IgnoredSetting] = []
    for key, value in table.items():
        name = canonical_key(key)
        if name in WORKSPACE_FILE_KEYS:
            accepted[name] = value
        elif name in WORKSPACE_FILE_ONLY_VALUES:
            allowed = WORKSPACE_FILE_ONLY_VALUES[name]
            if isinstance(value, str) and value.lower() in allowed:
                accepted[name] = value
            else:
                choices = ", ".join(sorted(allowed))
                ignored.append(
                    IgnoredSetting(source, key, f"a workspace file may only set it to {choices}")
                )
        elif name in WORKSPACE_FILE_OFF_ONLY:
            if value is False:
                accepted[name] = value
            else:
                ignored.append(IgnoredSetting(source, key, "a workspace file may only turn it off"))
        elif name is None:
            ignored.append(IgnoredSetting(source, key, "unknown setting"))
        else:
            ignored.append(
                IgnoredSetting(
                    source,
                    key,
                    "not allowed in a workspace file (URLs, paths, keys and data locations "
                    "come from the editor's settings or the environment)",
                )
            )
    return accepted, ignored


def _screen_editor_layer(
    values: dict[str, Any], source: str
) -> tuple[dict[str, Any], list[IgnoredSetting]]:
    """The user's own settings may set anything but API keys (environment or secret storage
    only: settings files get synced and shared)."""
    accepted: dict[str, Any] = {}
    ignored: list[IgnoredSetting] = []
    for key, value in values.items():
        if isinstance(value, dict):
            continue  # nested sections (trace, server options) are not settings
        if canonical_key(key) in _SECRET_KEYS:
            ignored.append(IgnoredSetting(source, key, "API keys come from the environment only"))
            continue
        accepted[key] = value
    return accepted, ignored


def load_settings(
    root: Path | None,
    *,
    init_options: dict[str, Any] | None = None,
    client_config: dict[str, Any] | None = None,
    base: Settings | None = None,
) -> Settings:
    """Settings for ``root`` with every layer applied; ConfigError names a bad value."""
    settings, ignored = load_settings_report(
        root, init_options=init_options, client_config=client_config, base=base
    )
    for item in ignored:
        log.warning("setting ignored: %s", item)
    return settings


def load_settings_report(
    root: Path | None,
    *,
    init_options: dict[str, Any] | None = None,
    client_config: dict[str, Any] | None = None,
    base: Settings | None = None,
) -> tuple[Settings, list[IgnoredSetting]]:
    """``load_settings`` plus the keys that were not applied (the caller reports them)."""
    settings = base or Settings()
    layers: list[tuple[str, dict[str, Any]]] = []
    ignored: list[IgnoredSetting] = []
    if root is not None:
        source = str(root / WORKSPACE_CONFIG)
        accepted, refused = screen_workspace_config(read_workspace_config(root), source)
        layers.append((source, accepted))
        ignored += refused
    for source, values in (
        ("initializationOptions", init_options),
        ("workspace/configuration", client_config),
    ):
        if values:
            accepted, refused = _screen_editor_layer(values, source)
            layers.append((source, accepted))
            ignored += refused
    for source, values in layers:
        try:
            settings = settings.merged(values)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise ConfigError(f"{source}: {problems}") from exc
    return settings, ignored
