"""Cards of fixture files resolved from declared configs: value AND source."""

from __future__ import annotations

from tests.workspace.conftest import fact


def test_python_project_ruff_beats_editorconfig_line_length(scanned) -> None:
    style = scanned("python_project")
    assert fact(style, "src/shop/cart.py", "line_length") == (100, "pyproject.toml [tool.ruff]")
    assert fact(style, "src/shop/cart.py", "quote_style") == (
        "single",
        "pyproject.toml [tool.ruff.format]",
    )
    assert fact(style, "src/shop/cart.py", "formatter") == (
        "ruff format",
        "pyproject.toml [tool.ruff.format]",
    )
    assert fact(style, "src/shop/cart.py", "indent_style") == ("space", ".editorconfig [*]")
    assert fact(style, "src/shop/cart.py", "end_of_line") == ("lf", ".editorconfig [*]")


def test_python_project_editorconfig_sections_for_other_files(scanned) -> None:
    style = scanned("python_project")
    # ruff's config does not apply to YAML: .editorconfig's glob section does.
    assert fact(style, "src/shop/config.yaml", "indent_size") == (2, ".editorconfig [*.{yml,yaml}]")
    assert fact(style, "src/shop/config.yaml", "line_length") == (80, ".editorconfig [*]")
    assert fact(style, "README.md", "trim_trailing_whitespace") == (False, ".editorconfig [*.md]")
    assert style.style_card("README.md").get("formatter") is None


def test_typescript_project_prettierrc(scanned) -> None:
    style = scanned("typescript_project")
    f = "src/user.ts"
    assert fact(style, f, "indent_style") == ("tab", ".prettierrc")
    assert fact(style, f, "semicolons") == (False, ".prettierrc")
    assert fact(style, f, "quote_style") == ("single", ".prettierrc")
    assert fact(style, f, "line_length") == (100, ".prettierrc")
    assert fact(style, f, "formatter") == ("prettier", ".prettierrc")
    card = style.style_card(f)
    assert card.language == "typescript"
    assert "Semicolons: no \u2014 from .prettierrc" in card.render()


def test_go_project_gofmt_tabs(scanned) -> None:
    style = scanned("go_project")
    value, source = fact(style, "cmd/hello/main.go", "indent_style")
    # gofmt is the language's rule, not something go.mod says.
    assert value == "tab" and source.startswith("language standard")
    assert fact(style, "cmd/hello/main.go", "formatter")[0] == "gofmt"
    # go.mod says nothing about Python files next to it.
    assert style.style_card("tools/gen.py").get("formatter") is None


def test_monorepo_root_python(scanned) -> None:
    style = scanned("monorepo")
    f = "scripts/release.py"
    assert fact(style, f, "line_length") == (88, "pyproject.toml [tool.ruff]")
    assert fact(style, f, "quote_style") == ("double", "pyproject.toml [tool.ruff.format]")
    assert fact(style, f, "indent_size") == (4, ".editorconfig [*]")


def test_monorepo_nested_pyproject_overrides_whole_ruff_config(scanned) -> None:
    style = scanned("monorepo")
    f = "packages/api/src/api/handlers.py"
    assert fact(style, f, "line_length") == (120, "packages/api/pyproject.toml [tool.ruff]")
    # The nested [tool.ruff] only lints; that the project formats with ruff comes from the
    # root's [tool.ruff.format].
    assert fact(style, f, "formatter") == ("ruff format", "pyproject.toml [tool.ruff.format]")
    # ruff uses the nearest config whole: the root's quote-style does not leak in.
    quote = style.style_card(f).get("quote_style")
    assert quote is None or "pyproject.toml" not in quote.source


def test_monorepo_editorconfig_glob_sections(scanned) -> None:
    style = scanned("monorepo")
    assert fact(style, "packages/web/src/app.ts", "indent_size") == (2, ".editorconfig [*.ts]")
    assert fact(style, "packages/web/src/app.ts", "indent_style") == ("space", ".editorconfig [*]")
    for f in ("Makefile", "tools/build.mk"):
        assert fact(style, f, "indent_style") == ("tab", ".editorconfig [{Makefile,*.mk}]")
    assert fact(style, "scripts/release.py", "indent_style") == ("space", ".editorconfig [*]")


def test_monorepo_nearer_linter_config_beats_farther_formatter(scanned) -> None:
    style = scanned("monorepo")
    f = "services/legacy/legacy.py"
    assert fact(style, f, "line_length") == (79, "services/legacy/setup.cfg [flake8]")
    assert fact(style, f, "quote_style") == ("double", "pyproject.toml [tool.ruff.format]")


def test_workspace_wide_card_uses_dominant_language(scanned) -> None:
    card = scanned("python_project").style_card(None)
    assert card.file is None and card.language == "python"
    assert card.value("line_length") == 100
    assert card.render().startswith("## Code style for this workspace (Python)")


def test_render_has_one_bullet_per_fact_with_source(scanned) -> None:
    card = scanned("python_project").style_card("src/shop/cart.py")
    text = card.render()
    assert text.splitlines()[0] == "## Code style for src/shop/cart.py (Python)"
    bullets = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert len(bullets) == len(card.facts)
    assert "- Line length: 100 characters \u2014 from pyproject.toml [tool.ruff]" in bullets


def test_file_outside_workspace_gets_empty_card(scanned, tmp_path) -> None:
    style = scanned("python_project")
    outside = tmp_path / "elsewhere.py"
    outside.write_text("x = 1\n")
    card = style.style_card(outside)
    assert card.facts == [] and card.render() == ""


def test_card_is_cached_and_cheap(scanned) -> None:
    style = scanned("monorepo")
    first = style.style_card("packages/web/src/app.ts")
    assert style.style_card("packages/web/src/app.ts") is first
