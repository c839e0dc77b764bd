"""PromptCoordinator: the system prompt = base prompt + contributions by priority, and the
turn layout: a stable system prompt plus the editor context that travels with each turn."""

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


# PromptContext keys that describe where the editor is: they change from turn to turn, so
# the turn layout's system prompt is built without them (see ``build_layout``).
EDITOR_KEYS = ("file", "file_context")


@dataclass(slots=True)
class Contribution:
    name: str
    priority: int
    text: str
    #: changes from request to request (the editor's context)
    volatile: bool = False


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
        """The text as a SystemPrompt, so providers can cache the stable prefix (the legacy
        layout: the editor's context at the end of the system prompt)."""
        stable = None if self.stable_length < 0 else self.stable_length
        return SystemPrompt(self.text, stable, legacy=True)


@dataclass(slots=True)
class PromptLayout:
    """What a turn sends besides the conversation, in the turn layout.

    ``system`` is built without the editor's position (base prompt, rules and the
    workspace's style card): the same on every turn, so it is cached with the tools and the
    earlier turns. ``editor`` is the editor-context block that travels with the turn's user
    message: the file context, plus the active file's style card and rules where they say
    more than the system prompt's."""

    system_contributions: list[Contribution]
    editor_contributions: list[Contribution]

    @property
    def system_text(self) -> str:
        return "\n\n".join(c.text for c in self.system_contributions)

    @property
    def system(self) -> SystemPrompt:
        """The system prompt, entirely stable (one cache breakpoint after it)."""
        return SystemPrompt(self.system_text)

    @property
    def editor(self) -> str:
        return "\n\n".join(c.text for c in self.editor_contributions)


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

    async def build_layout(self, context: PromptContext | None = None) -> PromptLayout:
        """The turn layout for ``context``: a system prompt built without the editor keys
        (``EDITOR_KEYS``) and the editor-context block of the turn."""
        ctx = context if context is not None else PromptContext()
        full = await self.build(ctx)
        session = await self.build(
            PromptContext({k: v for k, v in ctx.items() if k not in EDITOR_KEYS})
        )
        system = [c for c in session.contributions if not c.volatile]
        in_system = {c.name: c.text for c in system}
        editor = [
            c
            for c in full.contributions
            if c.volatile or not _same_body(c.text, in_system.get(c.name))
        ]
        return PromptLayout(system, editor)

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
                volatile = _volatile(contributor)
                if stable_count is None and volatile:
                    stable_count = len(contributions)
                name, priority = _name(contributor), _priority(contributor)
                contributions.append(Contribution(name, priority, text.strip("\n"), volatile))
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


def _same_body(text: str, other: str | None) -> bool:
    """Whether two versions of a contribution say the same, apart from a heading naming the
    file they are for ("## Code style for src/app.py" vs "... for this workspace")."""
    if other is None:
        return False

    def body(value: str) -> str:
        first, _, rest = value.partition("\n")
        return rest if first.startswith("#") else value

    return body(text) == body(other)


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
