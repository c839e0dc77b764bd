"""Model providers and the factory that picks one from the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from victor.providers.base import ChatResponse, Provider, StreamEvent, Usage

if TYPE_CHECKING:
    from victor.config.settings import Settings

__all__ = [
    "ChatResponse",
    "Provider",
    "StreamEvent",
    "Usage",
    "create_provider",
    "default_model",
]

_DEFAULT_MODELS = {
    "anthropic": "claude-sonnet-4-6",
    "openai": "llama3.2",
    "preview": "preview",
}


def default_model(provider_name: str) -> str:
    """The model used when the settings name none ("" for an unknown provider)."""
    return _DEFAULT_MODELS.get(provider_name, "")


def create_provider(settings: Settings) -> Provider:
    """The provider ``settings.resolved_provider()`` names, configured from the settings.

    Imports are local so that importing this package stays cheap (the SDK is large)."""
    name = settings.resolved_provider()
    model = settings.model or default_model(name)
    common = {
        "max_retries": settings.max_retries,
        "timeout": settings.request_timeout,
        "default_model": model,
    }
    if name == "anthropic":
        from victor.providers.anthropic import AnthropicProvider

        key = settings.anthropic_api_key
        return AnthropicProvider(
            api_key=key.get_secret_value() if key else None,
            base_url=settings.anthropic_base_url,
            **common,
        )
    if name == "openai":
        from victor.providers.openai_compat import DEFAULT_BASE_URL, OpenAICompatProvider

        key = settings.openai_api_key
        return OpenAICompatProvider(
            base_url=settings.openai_base_url or DEFAULT_BASE_URL,
            api_key=key.get_secret_value() if key else None,
            **common,
        )
    from victor.providers.preview import PreviewProvider

    return PreviewProvider()
