"""Extension points of Victor: the seed API's protocols and the data they exchange.

Everything else in the package imports from here; this module imports nothing of Victor
but ``victor.text`` (a leaf: the lone-surrogate cleaner every message goes through).
The abstract classes are meant to be subclassed (the seed examples do exactly that).
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from victor.text import clean_text, clean_value

if TYPE_CHECKING:
    from victor.protocol_models import AnalyticsEvent

__all__ = [
    "AnalyticsEvent",
    "Context",
    "ExportResult",
    "IAnalyticsExporter",
    "ICompactionStrategy",
    "IConfigProvider",
    "IEmbeddingService",
    "IPromptContributor",
    "IToolSelectionStrategy",
    "Message",
    "PromptContext",
    "Role",
    "ToolCall",
    "ToolSpec",
]


Role = Literal["system", "user", "assistant", "tool"]


@dataclass(slots=True)
class ToolCall:
    """A model's request to run one tool."""

    id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # model output is JSON: "\udce9" escapes decode to lone surrogates (see victor.text)
        self.id, self.name = clean_value(self.id), clean_value(self.name)
        self.arguments = clean_value(self.arguments)


#: metadata key of a user message's editor context (see ``Message``)
EDITOR_CONTEXT = "editor_context"


@dataclass(slots=True)
class Message:
    """One message of a conversation.

    A user message may carry the editor's context of its turn (file text, cursor, selection,
    diagnostics) in ``metadata[EDITOR_CONTEXT]``: providers send it with the message, while
    ``content`` stays what the user typed (what the session shows).

    ``content`` is always plain text so strategies can search it (``m.content.lower()``).
    An assistant message may carry ``tool_calls``; a ``tool`` message answers the call named
    by ``tool_call_id``. ``pinned`` messages survive every compaction.
    """

    role: Role
    content: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    tool_call_id: str | None = None
    is_error: bool = False
    pinned: bool = False
    interrupted: bool = False
    created_at: float = field(default_factory=time.time)
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Whatever a tool, an editor buffer or a model produced: a lone surrogate kept here
        # would make every later request of the session unencodable (see victor.text).
        if isinstance(self.content, str):
            self.content = clean_text(self.content)
        if isinstance(self.tool_call_id, str):
            self.tool_call_id = clean_text(self.tool_call_id)


@dataclass(slots=True)
class Context:
    """A conversation as the context coordinator holds it."""

    messages: list[Message] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class PromptContext(dict[str, Any]):
    """What prompt contributors may look at: a plain dict (``ctx.get("task")``).

    Keys Victor itself fills in: ``workspace`` (folder path), ``file`` (path of the active
    document), ``session_id``, ``task`` ("chat" | "code_generation" | ...), ``file_context``
    (a structure from the editor: documents, selection, diagnostics).
    """


# --------------------------------------------------------------------------- config


class IConfigProvider(ABC):
    """A source of per-session configuration. Higher priority is asked first."""

    @abstractmethod
    def priority(self) -> int:
        """Order among providers: higher is asked first."""

    @abstractmethod
    async def get_config(self, session_id: str) -> dict[str, Any]:
        """Return the configuration, or ``{}`` to let the next provider answer.

        A JSON object string (asyncpg returns ``jsonb`` columns as text) is accepted too;
        anything else is a ConfigError. Keys that change a turn: ``model``, ``max_tokens``,
        ``enable_tools``, ``max_tools_per_request``, ``max_tool_rounds`` (snake_case or
        camelCase); other keys are kept for ``ConfigCoordinator.get_config()``.
        """


# --------------------------------------------------------------------------- prompt


class IPromptContributor(ABC):
    """Adds a section to the system prompt. Higher priority comes first."""

    @abstractmethod
    def priority(self) -> int:
        """Order of the sections: higher comes first."""

    @abstractmethod
    async def get_contribution(self, context: PromptContext) -> str:
        """Return text to add, or ``""`` to add nothing."""

    @property
    def name(self) -> str:
        return type(self).__name__


# --------------------------------------------------------------------------- context


class ICompactionStrategy(ABC):
    """Turns a context that grew too large into a smaller one."""

    @abstractmethod
    async def compact(self, context: Context) -> Context:
        """Return the messages to keep (the coordinator then enforces its invariants)."""

    @property
    def name(self) -> str:
        return type(self).__name__


class IEmbeddingService(ABC):
    """Maps text to a vector, for semantic compaction and tool selection."""

    @abstractmethod
    def embed(self, text: str) -> Sequence[float]:
        """A vector for ``text``; vectors of one service have one length."""


# --------------------------------------------------------------------------- analytics


@dataclass(slots=True)
class ExportResult:
    """What an exporter reports: whether it worked and how many events it handed over."""

    success: bool
    exported_count: int = 0
    error: str | None = None


class IAnalyticsExporter(ABC):
    """Sends analytics events somewhere (a file, a webhook, Prometheus, OpenTelemetry)."""

    @abstractmethod
    async def export(self, events: list[AnalyticsEvent]) -> ExportResult:
        """Send ``events``; report failure in the result rather than raising."""


# --------------------------------------------------------------------------- tools


@dataclass(slots=True)
class ToolSpec:
    """A tool as the model sees it: name, description and JSON schema of its input."""

    name: str
    description: str
    input_schema: dict[str, Any]


class IToolSelectionStrategy(ABC):
    """Picks which tools a request carries."""

    @abstractmethod
    def select(self, query: str, tools: Sequence[ToolSpec], limit: int) -> list[ToolSpec]:
        """At most ``limit`` of ``tools``, the most useful for ``query`` first."""


def __getattr__(name: str) -> Any:
    # AnalyticsEvent is a pydantic model (the seed calls ``.model_dump()``); importing pydantic
    # costs ~40 ms, which the language server's start-up should not pay before it is needed.
    if name == "AnalyticsEvent":
        from victor.protocol_models import AnalyticsEvent

        return AnalyticsEvent
    raise AttributeError(f"module 'victor.protocols' has no attribute {name!r}")
