"""Settings: defaults < environment (``VICTOR_*`` and the providers' usual variables).

Workspace files (``.victor/config.toml``) and the editor's settings are layered on top by
``Settings.merged(...)``; see docs/configuration.md for the full precedence.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ProviderName = Literal["auto", "anthropic", "openai", "preview"]


__all__ = ["ProviderName", "Settings"]


class Settings(BaseSettings):
    """Victor's settings: defaults, then ``VICTOR_*`` environment variables (and the
    providers' usual ``ANTHROPIC_API_KEY`` / ``OPENAI_BASE_URL`` ...), then what you pass.

    ``Settings(max_tokens=1024)`` overrides a value; assignments are validated. A library
    user passes one to ``AgentOrchestrator(settings=...)``; the language server builds one
    per workspace folder with every layer applied (``victor.config.loader.load_settings``).
    Every field is described in docs/configuration.md.
    """

    model_config = SettingsConfigDict(
        env_prefix="VICTOR_",
        extra="ignore",
        populate_by_name=True,
        validate_assignment=True,
    )

    provider: ProviderName = Field(
        default="auto",
        description="Which model API to use. 'auto' picks Anthropic when an Anthropic key is "
        "set, an OpenAI-compatible server when a base URL or key for it is set, else preview.",
    )
    model: str = Field(default="", description="Model name; empty picks the provider's default.")
    max_tokens: int = Field(default=4096, ge=1, description="Most tokens one answer may have.")
    context_window: int | None = Field(
        default=None, ge=256, description="Override the model's context window (tokens)."
    )
    context_compaction_threshold: float = Field(
        default=0.75, gt=0.0, le=1.0, description="Compact when the context fills this share."
    )
    context_compaction_target: float = Field(
        default=0.5, gt=0.0, lt=1.0, description="Compaction aims for this share of the window."
    )
    compaction_strategy: Literal["summarize", "recent", "task"] = "summarize"
    prompt_layout: Literal["turn", "legacy"] = Field(
        default="turn",
        description="'turn': the editor context travels with each user turn, earlier turns "
        "stay as sent, so the prompt cache reads the conversation before the new question. "
        "'legacy', the earlier layout, for measurement only (bench/bench_cost.py).",
    )
    prompt_cache_keep_warm: int = Field(
        default=1,
        ge=0,
        le=12,
        description="Anthropic: how many times an idle session's cached prompt is refreshed "
        "(a one-token request reading the cache, about a tenth of the prompt's price) so a "
        "question after a pause does not write the whole conversation again (1.25x); 0: never.",
    )
    prompt_cache_keep_warm_after: float = Field(
        default=270.0,
        ge=1.0,
        le=3600.0,
        description="Seconds of idleness before each refresh (prompt_cache_keep_warm); kept "
        "below the cache's lifetime (5 minutes).",
    )
    enable_analytics: bool = True
    analytics_jsonl: Path | None = Field(default=None, description="Append analytics events here.")
    analytics_webhook: str | None = Field(default=None, description="POST analytics events here.")
    tool_selection_strategy: Literal["keyword", "semantic", "hybrid", "all"] = "hybrid"
    tool_selection_hybrid_alpha: float = Field(default=0.7, ge=0.0, le=1.0)
    max_tools_per_request: int = Field(default=8, ge=0)
    max_tool_rounds: int = Field(default=8, ge=0)
    enable_tools: bool = True
    max_retries: int = Field(default=3, ge=0, le=10)
    request_timeout: float = Field(
        default=120.0, gt=0, description="Seconds without data before giving up."
    )
    data_dir: Path | None = Field(default=None, description="Where session databases live.")
    format_generated_code: bool = True
    completion_model: str = Field(
        default="", description="Model for inline completions; empty uses the chat model."
    )
    inline_completions: bool = Field(
        default=True, description="Answer textDocument/inlineCompletion."
    )
    inline_completions_disabled_languages: list[str] = Field(
        default_factory=list, description="LSP language ids with inline completions off."
    )
    completion_fim: Literal["auto", "on", "off"] = Field(
        default="auto",
        description="OpenAI-compatible servers: fill-in-the-middle through /v1/completions "
        "('auto' tries it once and falls back to chat completions if the server refuses).",
    )
    default_chat_mode: Literal["ask", "agent"] = Field(
        default="ask",
        description="victor/chat without a mode: 'ask' (read-only tools) or 'agent' (edits and "
        "commands, under review). A workspace file may only choose 'ask'.",
    )
    agent_max_tool_rounds: int = Field(
        default=25, ge=1, le=200, description="Agent mode: most tool rounds in one turn."
    )
    agent_max_files: int = Field(
        default=20, ge=1, le=500, description="Agent mode: most files one turn may touch."
    )
    agent_command_timeout: float = Field(
        default=120.0, gt=0, le=3600, description="Agent mode: seconds a command may run."
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    anthropic_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "anthropic_api_key", "ANTHROPIC_API_KEY", "VICTOR_ANTHROPIC_API_KEY"
        ),
    )
    anthropic_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "anthropic_base_url", "ANTHROPIC_BASE_URL", "VICTOR_ANTHROPIC_BASE_URL"
        ),
    )
    openai_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("openai_api_key", "OPENAI_API_KEY", "VICTOR_OPENAI_API_KEY"),
    )
    openai_base_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "openai_base_url", "OPENAI_BASE_URL", "VICTOR_OPENAI_BASE_URL"
        ),
    )

    @field_validator(
        "tool_selection_strategy",
        "compaction_strategy",
        "prompt_layout",
        "provider",
        "completion_fim",
        "default_chat_mode",
        mode="before",
    )
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return value.lower() if isinstance(value, str) else value

    def merged(self, overrides: dict[str, Any]) -> Settings:
        """A copy with ``overrides`` applied (validated; unknown keys are ignored).

        Keys may be spelt in any case, with or without underscores or dashes (``maxTokens``,
        ``max_tokens``, ``MaxTokens``, ``MAX-TOKENS``): ``canonical_key`` names the field."""
        data = self.model_dump()
        for key, value in overrides.items():
            name = canonical_key(key)
            if name is not None and value is not None:
                data[name] = value
        return type(self).model_validate(data)

    def resolved_provider(self) -> str:
        """The provider ``auto`` stands for, given which keys and base URLs are set."""
        if self.provider != "auto":
            return self.provider
        if self.anthropic_api_key or self.anthropic_base_url:
            return "anthropic"
        if self.openai_base_url or self.openai_api_key:
            return "openai"
        return "preview"

    def public_dump(self) -> dict[str, Any]:
        """Settings safe to show a user or a log: keys reduced to whether they are set."""
        data = self.model_dump(mode="json")
        for name in ("anthropic_api_key", "openai_api_key"):
            data[name] = "set" if getattr(self, name) else None
        return data


def _squash(name: str) -> str:
    return "".join(ch for ch in name if ch not in "_-").lower()


# Every spelling of a field maps to one name. Checks on keys (what a workspace file may set,
# what an editor may not) must run on this name: a check on the raw spelling is bypassed by
# ``AnthropicBaseUrl`` or ``anthropicBase_url``.
_FIELD_BY_SQUASHED = {_squash(name): name for name in Settings.model_fields}


def canonical_key(key: str) -> str | None:
    """The Settings field ``key`` names in any spelling (``AnthropicBaseUrl``,
    ``anthropic-base-url``, ``ANTHROPIC_BASE_URL`` -> ``anthropic_base_url``), else None."""
    return _FIELD_BY_SQUASHED.get(_squash(key)) if isinstance(key, str) else None
