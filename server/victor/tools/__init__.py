"""Read-only workspace tools for the model, and strategies choosing which ones to offer."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from victor.tools.access import WorkspaceAccess
from victor.tools.base import Tool, ToolError, ToolRegistry, ToolResult, validate_arguments
from victor.tools.embedding import LexicalEmbedder, cosine
from victor.tools.files import ListDirectoryTool, ReadFileTool
from victor.tools.search import SearchTextTool
from victor.tools.selection import (
    STRATEGIES,
    AllToolSelection,
    HybridToolSelection,
    KeywordToolSelection,
    SemanticToolSelection,
    make_tool_selection,
)


def workspace_tools(
    root: Path, open_document: Callable[[Path], str | None] | None = None
) -> ToolRegistry:
    """read_file, list_directory and search_text, confined to ``root``.

    ``open_document(path)`` returns the editor's unsaved text of ``path`` when the file is open,
    else None. It is called from worker threads with resolved absolute paths (and, when they
    differ, the path under ``root`` as given), so it must be a cheap, thread-safe lookup.
    """
    access = WorkspaceAccess(Path(root), open_document)
    return ToolRegistry([ReadFileTool(access), ListDirectoryTool(access), SearchTextTool(access)])


__all__ = [
    "STRATEGIES",
    "AllToolSelection",
    "HybridToolSelection",
    "KeywordToolSelection",
    "LexicalEmbedder",
    "ListDirectoryTool",
    "ReadFileTool",
    "SearchTextTool",
    "SemanticToolSelection",
    "Tool",
    "ToolError",
    "ToolRegistry",
    "ToolResult",
    "WorkspaceAccess",
    "cosine",
    "make_tool_selection",
    "validate_arguments",
    "workspace_tools",
]
