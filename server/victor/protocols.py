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
    "ChangeOutcome",
    "CommandDecision",
    "Context",
    "ExportResult",
    "FileChange",
    "IAgentHost",
    "IAnalyticsExporter",
    "ICompactionStrategy",
    "IConfigProvider",
    "IEmbeddingService",
    "IPromptContributor",
    "IToolSelectionStrategy",
    "Message",
    "OpenText",
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
#: metadata key: the editor sections the model holds once that message is sent (memory only,
#: dropped with the editor context; see victor/agent/editor_delta.py)
EDITOR_VIEWS = "editor_views"
#: ``Message.metadata["kind"]`` of the note a summary compaction puts in place of what it
#: summarized (victor/agent/coordinators/summary_compaction.py)
SUMMARY_KIND = "summary"


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


# --------------------------------------------------------------------------- agent mode

ChangeKind = Literal["edit", "create", "delete", "rename"]
#: accepted | rejected | conflict (the file changed since) | failed | dropped (turn cancelled)
ChangeStatus = Literal["accepted", "rejected", "conflict", "failed", "dropped"]
#: the user's answer to "may the agent run this command?"
CommandDecision = Literal["once", "always", "deny"]


@dataclass(slots=True)
class FileChange:
    """One file the agent changed in its turn, as the editor should review it.

    ``path`` / ``new_path`` are absolute. ``before`` is the text the change was computed from
    (None for a create or a rename), ``after`` the text it leads to (None for a delete or a
    rename). ``version`` is the editor's document version of ``before`` when the file was open,
    None when it was read from disk."""

    id: str
    kind: ChangeKind
    path: Any  # pathlib.Path; Any keeps this module free of imports
    before: str | None
    after: str | None
    version: int | None = None
    new_path: Any = None


@dataclass(slots=True)
class ChangeOutcome:
    """What became of one FileChange."""

    id: str
    kind: ChangeKind
    path: Any
    status: ChangeStatus
    reason: str | None = None
    new_path: Any = None


@dataclass(slots=True)
class OpenText:
    """An editor buffer: its (possibly unsaved) text and version."""

    text: str
    version: int | None


class IAgentHost(ABC):
    """What agent mode needs from the editor; the LSP layer implements it per request.

    The agent never writes files: it asks the host to have the user review its changes (the
    editor applies what is accepted) and to approve commands. The ``*_happened`` callbacks
    stream progress to the user; they must not block."""

    @abstractmethod
    def open_text(self, path: Any) -> OpenText | None:
        """The editor's buffer of ``path`` (absolute) when it is open, else None. Called from
        worker threads: a cheap lookup."""

    @abstractmethod
    async def review(self, changes: list[FileChange]) -> list[ChangeOutcome]:
        """Show ``changes`` to the user; one outcome per change (any order)."""

    @abstractmethod
    async def approve_command(self, command: list[str], cwd: Any) -> CommandDecision:
        """Ask the user whether the agent may run ``command`` in ``cwd``."""

    def changes_pending(self, changes: list[FileChange]) -> None:  # noqa: B027 - optional
        """The turn's pending change set grew."""

    def reviewed(self, outcomes: list[ChangeOutcome]) -> None:  # noqa: B027 - optional
        """A review ended with these outcomes."""

    def command_output(self, call_id: str, text: str) -> None:  # noqa: B027 - optional
        """A chunk of a running command's output."""


def __getattr__(name: str) -> Any:
    # AnalyticsEvent is a pydantic model (the seed calls ``.model_dump()``); importing pydantic
    # costs ~40 ms, which the language server's start-up should not pay before it is needed.
    if name == "AnalyticsEvent":
        from victor.protocol_models import AnalyticsEvent

        return AnalyticsEvent
    raise AttributeError(f"module 'victor.protocols' has no attribute {name!r}")


# --------------------------------------------------------------------------- conversation shape
# What compaction keeps as it is (summary_compaction.py), and where the Anthropic provider
# puts the breakpoint that outlives compactions: one definition for both.


def opening_exchange(messages: Sequence[Message]) -> int:
    """How many messages open the conversation: its first question up to the first answer
    that calls no tool (the tool rounds between included); 0 when it does not start with a
    question (a summary, a system message) or has no such answer yet.

    The summary strategy keeps them verbatim when there is room, editor snapshot included:
    the question that set the conversation going stays in the model's words, and the request
    after each compaction reads tools, system prompt and opening from the prompt cache
    (providers/anthropic.py marks its end) instead of writing them again.
    """
    if not messages or messages[0].role != "user" or is_summary(messages[0]):
        return 0
    for index, message in enumerate(messages):
        if message.role == "assistant" and not message.tool_calls:
            return index + 1
    return 0


def stable_head(messages: Sequence[Message]) -> int:
    """How many messages form the part of the conversation that compaction keeps as it is:
    the opening exchange and the summary notes of earlier compactions right after it. A
    summary compaction adds its own note after them (while they fit), so each compaction's
    summary stays a cached prefix through the next ones, and is not summarized again."""
    index = opening_exchange(messages)
    while index < len(messages) and is_summary(messages[index]):
        index += 1
    return index


def is_summary(message: Message) -> bool:
    """Whether ``message`` is a summary compaction's note."""
    return message.role == "user" and message.metadata.get("kind") == SUMMARY_KIND
