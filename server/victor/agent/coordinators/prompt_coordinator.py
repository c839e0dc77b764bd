"""PromptCoordinator: the system prompt = base prompt + contributions by priority."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from victor.protocols import IPromptContributor, PromptContext
from victor.providers.base import SystemPrompt

log = logging.getLogger(__name__)

DEFAULT_BASE_PROMPT = """\
You are Victor, a coding assistant running inside the user's editor.
Answer precisely and briefly. When you write code, follow the code style described below
exactly (indentation, quotes, line length, naming) so it fits the file it goes into.
Put code in fenced blocks with a language tag. Never invent files or APIs you have not seen;
use the workspace tools to read what you need. You cannot change files yourself: edits you
propose are shown to the user, who applies them."""


class BasePromptContributor(IPromptContributor):
    """Convenience base for contributors: a default priority and name."""

    def priority(self) -> int:
        """50 unless overridden."""
        return 50

    async def get_contribution(self, context: PromptContext) -> str:
        """Nothing unless overridden."""
        return ""


@dataclass(slots=True)
class Contribution:
    name: str
    priority: int
    text: str


@dataclass(slots=True)
class BuiltPrompt:
    """A built system prompt: its text, the contributions it was made of, and how much of
    it is stable from request to request."""

    text: str
    contributions: list[Contribution]
    #: characters of ``text`` before the first volatile contribution (cacheable prefix)
    stable_length: int = -1

    @property
    def system(self) -> SystemPrompt:
        """The text as a SystemPrompt, so providers can cache the stable prefix."""
        return SystemPrompt(self.text, None if self.stable_length < 0 else self.stable_length)


class PromptCoordinator:
    """Builds the system prompt.

    The base prompt comes first, then every non-empty contribution, highest priority first
    (ties keep registration order). Contributors run concurrently; one that raises is logged
    and left out. Results without a volatile contribution (editor context) are cached per
    prompt context until ``invalidate()`` is called (the workspace watcher calls it when a
    style, config or rules file changes).
    """

    def __init__(
        self,
        contributors: Iterable[IPromptContributor] = (),
        *,
        base_prompt: str = DEFAULT_BASE_PROMPT,
        cache_size: int = 64,
    ) -> None:
        self._contributors: list[IPromptContributor] = list(contributors)
        self.base_prompt = base_prompt
        self._cache: dict[str, BuiltPrompt] = {}
        self._cache_size = cache_size

    @property
    def contributors(self) -> list[IPromptContributor]:
        """The contributors, in registration order."""
        return list(self._contributors)

    def add_contributor(self, contributor: IPromptContributor) -> None:
        """Add a contributor (the cached prompts are dropped)."""
        self._contributors.append(contributor)
        self.invalidate()

    def invalidate(self) -> None:
        """Forget the cached prompts (a style, config or rules file changed)."""
        self._cache.clear()

    async def build_system_prompt(self, context: PromptContext | None = None) -> str:
        """The system prompt's text for ``context`` (the seed's method)."""
        return (await self.build(context)).text

    async def build(self, context: PromptContext | None = None) -> BuiltPrompt:
        """The system prompt for ``context`` with its contributions and cacheable prefix."""
        ctx = context if context is not None else PromptContext()
        key = _cache_key(ctx)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        ordered = sorted(
            enumerate(self._contributors), key=lambda item: (-_priority(item[1]), item[0])
        )
        texts = await asyncio.gather(
            *(_contribution(c, ctx) for _, c in ordered), return_exceptions=False
        )
        contributions = [Contribution("base", 100, self.base_prompt)] if self.base_prompt else []
        stable_count: int | None = None
        for (_, contributor), text in zip(ordered, texts, strict=True):
            if text and text.strip():
                if stable_count is None and _volatile(contributor):
                    stable_count = len(contributions)
                contributions.append(
                    Contribution(_name(contributor), _priority(contributor), text.strip("\n"))
                )
        text = "\n\n".join(c.text for c in contributions)
        stable_length = -1
        if stable_count is not None:
            stable_length = len("\n\n".join(c.text for c in contributions[:stable_count]))
            stable_length += 2 if stable_count else 0  # the separator stays with the prefix
        built = BuiltPrompt(text, contributions, stable_length)
        if stable_count is not None:
            # Editor context is read afresh for every prompt: what it says depends on more than
            # the request (files on disk, which buffers git ignores after a .gitignore edit).
            return built
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = built
        return built


async def _contribution(contributor: IPromptContributor, ctx: PromptContext) -> str:
    try:
        return await contributor.get_contribution(ctx) or ""
    except Exception as exc:  # one broken contributor must not cost the user their prompt
        log.warning("prompt contributor %s failed: %s", _name(contributor), exc)
        return ""


def _volatile(contributor: IPromptContributor) -> bool:
    """Contributors whose text changes from request to request (the editor's context)."""
    return bool(getattr(contributor, "volatile", False)) or _name(contributor) == "file_context"


def _priority(contributor: IPromptContributor) -> int:
    try:
        return int(contributor.priority())
    except Exception:
        return 0


def _name(contributor: IPromptContributor) -> str:
    return getattr(contributor, "name", None) or type(contributor).__name__


def _cache_key(ctx: PromptContext) -> str:
    # repr of the values is enough: contexts hold plain data (paths, strings, dataclasses).
    return hashlib.blake2b(
        repr(sorted(ctx.items(), key=lambda kv: str(kv[0]))).encode(), digest_size=16
    ).hexdigest()
