"""``victor/systemPrompt`` and the workspace watcher that keeps it current."""

from __future__ import annotations

from pathlib import Path

from tests.lsp.conftest import PYPROJECT
from tests.lsp.daemon import Daemon, eventually, uri_of, write


async def ready(daemon: Daemon) -> None:
    async def check() -> bool:
        return (await daemon.request("victor/status", {}))["ready"]

    await eventually(check, timeout=15)


def contribution(result: dict, name: str) -> str:
    for c in result["contributions"]:
        if c["name"] == name:
            return c["text"]
    raise AssertionError(
        f"no {name!r} contribution in {[c['name'] for c in result['contributions']]}"
    )


async def test_contributions_start_with_base_and_make_up_the_prompt(
    daemon: Daemon, workspace: Path
) -> None:
    await ready(daemon)
    uri = daemon.open(workspace / "app.py")
    result = await daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri}})

    contributions = result["contributions"]
    assert contributions[0]["name"] == "base"
    assert contributions[0]["text"].startswith("You are Victor")
    priorities = [c["priority"] for c in contributions]
    assert priorities == sorted(priorities, reverse=True)
    assert result["prompt"] == "\n\n".join(c["text"] for c in contributions)


async def test_style_contribution_comes_from_the_workspace_pyproject(
    daemon: Daemon, workspace: Path
) -> None:
    await ready(daemon)
    uri = daemon.open(workspace / "app.py")
    result = await daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri}})

    # the workspace's card sits in the cached system prompt; the file's own card travels
    # with the turn only where it says something else
    style = contribution(result, "style")
    assert style.startswith("## Code style for this workspace")
    assert [c["part"] for c in result["contributions"] if c["name"] == "style"][0] == "system"
    line_length = next(line for line in style.splitlines() if "100" in line)
    assert "pyproject.toml" in line_length


async def test_without_a_document_there_is_no_file_context(daemon: Daemon) -> None:
    result = await daemon.request("victor/systemPrompt", {})
    names = [c["name"] for c in result["contributions"]]
    assert names[0] == "base"
    assert "file_context" not in names


async def test_editing_pyproject_changes_the_next_prompt(daemon: Daemon, workspace: Path) -> None:
    await ready(daemon)
    uri = daemon.open(workspace / "app.py")
    params = {"textDocument": {"uri": uri}}
    assert "100" in contribution(await daemon.request("victor/systemPrompt", params), "style")

    write(workspace / "pyproject.toml", PYPROJECT.replace("line-length = 100", "line-length = 120"))

    async def updated() -> str:
        style = contribution(await daemon.request("victor/systemPrompt", params), "style")
        return style if "120" in style else ""

    style = await eventually(updated, timeout=8, interval=0.2)
    assert "100 characters" not in style


async def test_adding_agents_md_changes_the_next_prompt(daemon: Daemon, workspace: Path) -> None:
    await ready(daemon)
    before = await daemon.request("victor/systemPrompt", {})
    assert "ALWAYS-LOG-ERRORS" not in before["prompt"]

    write(workspace / "AGENTS.md", "# Team rules\n\nALWAYS-LOG-ERRORS before re-raising them.\n")

    async def updated() -> dict | None:
        result = await daemon.request("victor/systemPrompt", {})
        return result if "ALWAYS-LOG-ERRORS" in result["prompt"] else None

    result = await eventually(updated, timeout=8, interval=0.2)
    assert "ALWAYS-LOG-ERRORS" in contribution(result, "rules")
    # and the model gets it too
    await daemon.chat("hello")
    assert "ALWAYS-LOG-ERRORS" in str(daemon.last_body()["system"])


async def test_style_follows_the_folder_of_the_file(start, tmp_path: Path) -> None:
    """Two folders with different line lengths: each file gets its own folder's style."""
    from tests.lsp.conftest import make_folder

    a = make_folder(tmp_path / "a", {"pyproject.toml": PYPROJECT, "a.py": "x = 1\n"})
    b = make_folder(
        tmp_path / "b",
        {"pyproject.toml": PYPROJECT.replace("100", "79"), "b.py": "y = 2\n"},
    )
    daemon = await start([a, b])
    await ready(daemon)
    style_a = contribution(
        await daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri_of(a / "a.py")}}),
        "style",
    )
    style_b = contribution(
        await daemon.request("victor/systemPrompt", {"textDocument": {"uri": uri_of(b / "b.py")}}),
        "style",
    )
    assert "100" in style_a and "79" not in style_a
    assert "79" in style_b and "100" not in style_b
