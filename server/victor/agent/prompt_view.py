"""What the model receives on a turn besides the conversation (``victor/prompt``): the system
blocks as sent, the editor-context block that travels with the next question, and where the
cache breakpoints sit. Plain Python; the LSP handler maps it to JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from victor.agent.coordinators.prompt_coordinator import Contribution
from victor.agent.editor_delta import editor_turn
from victor.protocols import is_summary, opening_exchange, stable_head

if TYPE_CHECKING:
    from victor.agent.orchestrator import AgentOrchestrator

# Where the Anthropic provider puts its four breakpoints in each layout (anthropic.py): in the
# turn layout the end of the opening exchange, which compaction keeps as it is, takes the
# tools' once the conversation is past it, and the latest summary after it the system
# prompt's (the opening's covers both).
TURN_BREAKPOINTS = ("tools", "system", "previous request", "last message")
LEGACY_BREAKPOINTS = ("tools", "system (stable part)", "message before the newest")


@dataclass(slots=True)
class SystemBlock:
    text: str
    cache_breakpoint: bool


@dataclass(slots=True)
class PromptView:
    layout: str
    system: list[SystemBlock]
    #: written before the text of the next user message ("" in the legacy layout); texts
    #: the session's context already holds are referred to, not repeated
    editor_context: str
    #: (contribution, "system" | "editor")
    contributions: list[tuple[Contribution, str]]
    cache_breakpoints: tuple[str, ...]

    @property
    def system_text(self) -> str:
        return "".join(block.text for block in self.system)

    @property
    def text(self) -> str:
        """Everything in one text: the system prompt, then the editor context."""
        parts = [self.system_text, self.editor_context]
        return "\n\n".join(part for part in parts if part)


async def prompt_view(
    orchestrator: AgentOrchestrator, prompt_context: dict[str, Any], session_id: str | None
) -> PromptView:
    """The prompt of the next turn at the spot ``prompt_context`` describes."""
    if orchestrator.settings.prompt_layout == "legacy":
        built = await orchestrator.build_system_prompt(prompt_context, session_id=session_id)
        cut = built.stable_length if built.stable_length >= 0 else len(built.text)
        blocks = [SystemBlock(built.text[:cut], True)]
        if built.text[cut:].strip():
            blocks.append(SystemBlock(built.text[cut:], False))
        parts = [(c, "system") for c in built.contributions]
        return PromptView("legacy", blocks, "", parts, LEGACY_BREAKPOINTS)
    layout = await orchestrator.build_prompt(prompt_context, session_id=session_id)
    parts = [(c, "system") for c in layout.system_contributions]
    parts += [(c, "editor") for c in layout.editor_contributions]
    blocks = [SystemBlock(layout.system_text, True)] if layout.system_text else []
    # As the next question of that session would carry it: a reference or a diff for the
    # texts the session's context holds (editor_delta.py); in full without a session.
    contexts = orchestrator._context_coordinator
    held = {}
    breakpoints = TURN_BREAKPOINTS
    if session_id and contexts.has_session(session_id):
        held = contexts.held_views(session_id)
        history = contexts.get_context(session_id).messages
        head, opening = stable_head(history), opening_exchange(history)
        if 0 < head < len(history):
            kept = [
                *(["opening exchange"] if opening else []),
                *(["latest summary"] if is_summary(history[head - 1]) else []),
            ]
            # the system prompt's and then the tools' take what is left of the four
            stable = ["system"] if blocks else []
            breakpoints = tuple(
                [*(stable + ["tools"])[: 2 - len(kept)], *kept, "previous request", "last message"]
            )
    editor = editor_turn(layout.editor_contributions, held).text
    return PromptView("turn", blocks, editor, parts, breakpoints)
