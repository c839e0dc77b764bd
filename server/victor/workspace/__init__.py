"""The workspace: style cards, rules files, file context, formatting, path confinement.

Names are imported lazily so that ``victor.workspace.paths`` (used by the tools) does not pull
in watchfiles and editorconfig.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "WorkspaceStyle": "victor.workspace.style",
    "StyleCard": "victor.workspace.card",
    "StyleFact": "victor.workspace.card",
    "RulesFile": "victor.workspace.rules",
    "FileContextInput": "victor.workspace.file_context",
    "render_file_context": "victor.workspace.file_context",
    "FormatResult": "victor.workspace.formatter",
    "format_code": "victor.workspace.formatter",
    "StyleCardContributor": "victor.workspace.contributors",
    "RulesContributor": "victor.workspace.contributors",
    "FileContextContributor": "victor.workspace.contributors",
    "describe_style": "victor.workspace.describe",
    "find_workspace_root": "victor.workspace.describe",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'victor.workspace' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
