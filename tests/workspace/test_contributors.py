"""The prompt contributors and the ``victor style`` helper."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

from tests.workspace.conftest import FIXTURES
from victor.protocols import IPromptContributor, PromptContext
from victor.workspace.contributors import (
    FileContextContributor,
    RulesContributor,
    StyleCardContributor,
)
from victor.workspace.describe import describe_style, find_workspace_root
from victor.workspace.style import WorkspaceStyle


async def test_style_contributor_card_of_the_active_file(scanned) -> None:
    style = scanned("monorepo")
    contrib = StyleCardContributor(style)
    assert isinstance(contrib, IPromptContributor)
    assert contrib.name == "style" and contrib.priority() == 80
    ts = await contrib.get_contribution(PromptContext(file="packages/web/src/app.ts"))
    assert ts.startswith("## Code style for packages/web/src/app.ts (TypeScript)")
    assert "- Indent width: 2 \u2014 from .editorconfig [*.ts]" in ts
    absolute = str(style.root / "packages" / "api" / "src" / "api" / "handlers.py")
    py = await contrib.get_contribution(PromptContext(file=absolute))
    assert "120 characters \u2014 from packages/api/pyproject.toml [tool.ruff]" in py
    uri = (style.root / "scripts" / "release.py").as_uri()
    assert "88 characters" in await contrib.get_contribution(PromptContext(file=uri))
    whole = await contrib.get_contribution(PromptContext())
    assert whole.startswith("## Code style for this workspace (Python)")


async def test_contributors_say_nothing_before_the_scan() -> None:
    style = WorkspaceStyle(FIXTURES / "python_project")
    assert await StyleCardContributor(style).get_contribution(PromptContext(file="a.py")) == ""
    assert await RulesContributor(style).get_contribution(PromptContext()) == ""


async def test_three_contributors_build_a_prompt(scanned) -> None:
    style = scanned("python_project")
    root = style.root
    contributors = [
        StyleCardContributor(style),
        RulesContributor(style),
        FileContextContributor(root),
    ]
    ctx = PromptContext(
        file=str(root / "src" / "shop" / "cart.py"),
        file_context={"active_path": str(root / "src" / "shop" / "cart.py"), "active_text": "X\n"},
    )
    ordered = sorted(contributors, key=lambda c: -c.priority())
    parts = [await c.get_contribution(ctx) for c in ordered]
    assert [c.name for c in ordered] == ["rules", "style", "file_context"]
    assert parts[0].startswith("## Workspace rules") and "### AGENTS.md" in parts[0]
    assert parts[1].startswith("## Code style for src/shop/cart.py")
    assert parts[2].startswith("## Editor context")


def test_find_workspace_root(tmp_path) -> None:
    (tmp_path / "proj" / "src").mkdir(parents=True)
    (tmp_path / "proj" / "go.mod").write_text("module x\n")
    (tmp_path / "proj" / "src" / "a.go").write_text("package a\n")
    assert find_workspace_root(tmp_path / "proj" / "src" / "a.go") == tmp_path / "proj"
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "b.py").write_text("")
    assert find_workspace_root(tmp_path / "loose" / "b.py") == tmp_path / "loose"


def test_describe_style_renders_card_with_sources(tmp_path) -> None:
    shutil.copytree(FIXTURES / "monorepo", tmp_path / "mono")
    (tmp_path / "mono" / ".git").mkdir()  # the monorepo's root marker
    text = describe_style(tmp_path / "mono" / "packages" / "web" / "src" / "app.ts")
    assert f"Workspace: {tmp_path / 'mono'}" in text
    assert "- Indent width: 2 \u2014 from .editorconfig [*.ts]" in text
    assert "- AGENTS.md (~" in text


def test_workspace_package_imports_nothing_from_agent_lsp_or_pygls() -> None:
    """The workspace package may import only victor.protocols and victor.workspace.*."""
    package = Path(sys.modules["victor.workspace.style"].__file__).parent
    for source in package.glob("*.py"):
        tree = ast.parse(source.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("pygls"), (source.name, name)
                if name.startswith("victor"):
                    assert name == "victor.protocols" or name.startswith("victor.workspace"), (
                        source.name,
                        name,
                    )


def test_find_workspace_root_prefers_the_git_repository(tmp_path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "web" / "src").mkdir(parents=True)
    (tmp_path / "repo" / "web" / "package.json").write_text("{}")
    assert find_workspace_root(tmp_path / "repo" / "web" / "src") == tmp_path / "repo"
    (tmp_path / "other" / "web").mkdir(parents=True)
    (tmp_path / "other" / "web" / "package.json").write_text("{}")
    assert find_workspace_root(tmp_path / "other" / "web" / "x.ts") == tmp_path / "other" / "web"


async def test_first_request_during_the_scan_waits_briefly_for_it(fixture_copy) -> None:
    style = WorkspaceStyle(fixture_copy("python_project"))
    await style.start(watch=False)
    assert not style.ready  # the scan runs in a thread; nothing has waited for it yet
    text = await StyleCardContributor(style).get_contribution(PromptContext(file="a.py"))
    assert "100 characters" in text
    no_wait = StyleCardContributor(WorkspaceStyle(style.root), wait_ready=0)
    assert await no_wait.get_contribution(PromptContext(file="a.py")) == ""
    await style.stop()


async def test_listeners_hear_about_the_initial_scan(fixture_copy) -> None:
    root = fixture_copy("python_project")
    style = WorkspaceStyle(root)
    calls: list[set[Path]] = []
    style.add_listener(calls.append)
    await style.start(watch=False)
    assert await style.wait_ready(10)
    await style.stop()
    assert calls and root / "pyproject.toml" in calls[0]
