"""What `.victor/config.toml` may set: spellings normalised first, then an allowlist."""

from __future__ import annotations

from pathlib import Path

import pytest

from victor.config.loader import load_settings_report, screen_workspace_config
from victor.config.settings import canonical_key


@pytest.mark.parametrize(
    "spelling",
    [
        "AnthropicBaseUrl",
        "Anthropic_base_url",
        "anthropicBase_url",
        "ANTHROPIC_BASE_URL",
        "anthropic-base-url",
        "anthropic_base_url",
    ],
)
def test_every_spelling_names_the_same_field(spelling: str) -> None:
    assert canonical_key(spelling) == "anthropic_base_url"


def test_unknown_spelling_is_no_field() -> None:
    assert canonical_key("victorAnthropicBaseUrl") is None
    assert canonical_key("DataDir") == "data_dir"


def test_screen_keeps_only_the_allowlist_and_says_why(tmp_path: Path) -> None:
    accepted, ignored = screen_workspace_config(
        {
            "MaxTokens": 100,
            "OpenaiBaseUrl": "http://x",
            "analytics_jsonl": "/home/u/.bashrc",
            "enableTools": True,
            "format_generated_code": False,
            "logLevel": "DEBUG",
            "promptCacheKeepWarm": 12,  # paid requests: the user's choice, not a repository's
            "nonsense": 1,
        },
        "cfg",
    )
    assert accepted == {"max_tokens": 100, "format_generated_code": False}
    reasons = {item.key: item.reason for item in ignored}
    assert set(reasons) == {
        "OpenaiBaseUrl",
        "analytics_jsonl",
        "enableTools",
        "logLevel",
        "promptCacheKeepWarm",
        "nonsense",
    }
    assert reasons["enableTools"] == "a workspace file may only turn it off"
    assert reasons["nonsense"] == "unknown setting"
    assert reasons["OpenaiBaseUrl"].startswith("not allowed in a workspace file")


def test_editor_settings_may_set_urls_but_never_keys(tmp_path: Path) -> None:
    settings, ignored = load_settings_report(
        tmp_path,
        init_options={"AnthropicBaseUrl": "http://proxy", "AnthropicApiKey": "sk-nope"},
    )
    assert settings.anthropic_base_url == "http://proxy"
    assert (
        settings.anthropic_api_key is None
        or settings.anthropic_api_key.get_secret_value() != "sk-nope"
    )
    assert [(i.key, i.source) for i in ignored] == [("AnthropicApiKey", "initializationOptions")]
