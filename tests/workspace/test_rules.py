"""Rules files: which are found, in what order, and the token budget."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from victor.protocols import PromptContext
from victor.workspace.contributors import RulesContributor
from victor.workspace.rules import RulesFile, estimate_tokens, render_rules
from victor.workspace.style import WorkspaceStyle


def test_rules_found_with_paths_in_documented_order(scanned) -> None:
    rules = scanned("python_project").rules()
    assert [r.path for r in rules] == ["AGENTS.md", ".victor/rules.md"]
    assert "Decimal" in rules[0].text


def test_monorepo_nested_rules_apply_only_below_their_folder(scanned) -> None:
    style = scanned("monorepo")
    assert [r.path for r in style.rules()] == ["AGENTS.md", "CLAUDE.md", "packages/api/AGENTS.md"]


async def test_rules_contributor_nested_rules_for_file(scanned) -> None:
    contrib = RulesContributor(scanned("monorepo"))
    assert contrib.name == "rules" and contrib.priority() == 90
    api = await contrib.get_contribution(PromptContext(file="packages/api/src/api/handlers.py"))
    web = await contrib.get_contribution(PromptContext(file="packages/web/src/app.ts"))
    assert "### packages/api/AGENTS.md" in api and "handlers return dicts" in api
    assert "### AGENTS.md" in api and "### CLAUDE.md" in api
    assert "packages/api/AGENTS.md" not in web and "### AGENTS.md" in web


async def test_github_copilot_instructions_included(tmp_path, scanned) -> None:
    (tmp_path / ".github").mkdir()
    (tmp_path / ".github" / "copilot-instructions.md").write_text("Use tabs in YAML? Never.\n")
    text = await RulesContributor(scanned(tmp_path)).get_contribution(PromptContext())
    assert "### .github/copilot-instructions.md\nUse tabs in YAML? Never." in text


def test_budget_truncates_large_file_with_note_and_keeps_small_whole() -> None:
    small = RulesFile("AGENTS.md", "Small rule.")
    big = RulesFile(".victor/rules.md", "\n".join(f"rule line {i}" for i in range(5000)))
    text = render_rules([small, big], budget_tokens=500)
    assert estimate_tokens(text) <= 500
    assert "### AGENTS.md\nSmall rule." in text
    assert "[... truncated:" in text and "of .victor/rules.md not shown]" in text
    assert "rule line 0" in text and "rule line 4999" not in text


def test_budget_too_small_for_all_drops_the_last_with_a_note() -> None:
    files = [RulesFile("AGENTS.md", "a" * 2000), RulesFile("CLAUDE.md", "b" * 2000)]
    text = render_rules(files, budget_tokens=200)
    assert estimate_tokens(text) <= 200
    assert "### AGENTS.md" in text and "### CLAUDE.md" not in text
    assert "[omitted for the budget: CLAUDE.md]" in text


def test_everything_fits_in_a_big_budget() -> None:
    files = [RulesFile("AGENTS.md", "one"), RulesFile("CLAUDE.md", "two")]
    text = render_rules(files, budget_tokens=4000)
    assert "truncated" not in text and "one" in text and "two" in text


async def test_no_rules_no_section(scanned) -> None:
    assert await RulesContributor(scanned("go_project")).get_contribution(PromptContext()) == ""


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=20_000), min_size=1, max_size=5),
    budget=st.integers(min_value=0, max_value=6000),
)
def test_rules_budget_holds_for_any_sizes(sizes, budget) -> None:
    names = [
        "AGENTS.md",
        "CLAUDE.md",
        ".victor/rules.md",
        ".github/copilot-instructions.md",
        "x/AGENTS.md",
    ]
    files = [RulesFile(names[i], "word " * (n // 5)) for i, n in enumerate(sizes)]
    text = render_rules(files, budget_tokens=budget)
    assert estimate_tokens(text) <= budget
    for f in files:  # each file is whole, truncated with a note, or named as omitted
        if f"### {f.path}\n" in text:
            section = text.split(f"### {f.path}\n", 1)[1]
            assert section.startswith(f.text[:50]) or not f.text
        else:
            assert f.path in text or not text


@pytest.fixture
def non_utf8_tree(tmp_path):
    root = tmp_path / "ws"
    (root / os.fsdecode(b"d\xe9")).mkdir(parents=True)
    (root / "app.py").write_text("def f():\n    return 1\n")
    (root / os.fsdecode(b"caf\xe9.py")).write_text("x = 1\n")
    (root / os.fsdecode(b"d\xe9") / "AGENTS.md").write_text("Be brief.\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that keeps raw bytes")
async def test_scan_survives_names_that_are_not_utf8(non_utf8_tree) -> None:
    """Issue 11 item 15: a file ``b'caf\\xe9.py'`` crashed the style scan (git check-ignore got
    a str it could not encode) and a folder ``b'd\\xe9'`` the watcher."""
    root = non_utf8_tree
    style = WorkspaceStyle(root)
    await style.start()
    try:
        assert await style.wait_ready(20)
        assert style.error is None
        rendered = render_rules(list(style.rules()))
        assert "### d\ufffd/AGENTS.md\nBe brief." in rendered
        rendered.encode("utf-8")
        card = style.style_card(root / "app.py")
        assert card.render().encode("utf-8")
    finally:
        await style.stop()
