"""Config formats one at a time, through a scanned tmp workspace."""

from __future__ import annotations

import json
from pathlib import Path

from tests.workspace.conftest import fact


def _ws(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def test_black_defaults_and_isort(tmp_path, scanned) -> None:
    root = _ws(tmp_path, {"pyproject.toml": "[tool.black]\n\n[tool.isort]\nprofile = 'black'\n"})
    style = scanned(root)
    assert fact(style, "a.py", "line_length") == (88, "pyproject.toml [tool.black] (black default)")
    assert fact(style, "a.py", "quote_style")[0] == "double"
    assert fact(style, "a.py", "imports") == (
        "sorted with isort (profile black)",
        "pyproject.toml [tool.isort]",
    )


def test_black_skip_string_normalization(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "pyproject.toml": "[tool.black]\nline-length = 99\nskip-string-normalization = true\n",
            "a.py": "A = 'x'\nB = 'y'\nC = 'z'\nD = {'k': 'v'}\n",
        },
    )
    style = scanned(root)
    assert fact(style, "a.py", "line_length") == (99, "pyproject.toml [tool.black]")
    # black leaves quotes as written: the code's own single quotes are the style.
    value, source = fact(style, "a.py", "quote_style")
    assert value == "single" and source.startswith("observed")


def test_ruff_toml_and_tab_indent(tmp_path, scanned) -> None:
    root = _ws(tmp_path, {"ruff.toml": "line-length = 110\n[format]\nindent-style = 'tab'\n"})
    style = scanned(root)
    assert fact(style, "m.py", "line_length") == (110, "ruff.toml")
    assert fact(style, "m.py", "indent_style") == ("tab", "ruff.toml [format]")


def test_tox_ini_and_flake8(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "tox.ini": "[tox]\nenvlist = py3\n[testenv]\ncommands = {envpython} -m x\n"
            "[flake8]\nmax-line-length = 119\n",
            "sub/.flake8": "[flake8]\nmax-line-length = 90\n",
        },
    )
    style = scanned(root)
    assert fact(style, "a.py", "line_length") == (119, "tox.ini [flake8]")
    assert fact(style, "sub/b.py", "line_length") == (90, "sub/.flake8 [flake8]")


def test_prettier_yaml_and_package_json(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "a/.prettierrc.yaml": "tabWidth: 4\nsingleQuote: true\nsemi: false\n",
            "b/package.json": json.dumps({"name": "b", "prettier": {"printWidth": 120}}),
            "c/prettier.config.js": "module.exports = {}\n",
        },
    )
    style = scanned(root)
    assert fact(style, "a/x.js", "indent_size") == (4, "a/.prettierrc.yaml")
    assert fact(style, "a/x.js", "semicolons") == (False, "a/.prettierrc.yaml")
    assert fact(style, "b/x.ts", "line_length") == (120, 'b/package.json "prettier"')
    assert fact(style, "b/x.ts", "quote_style") == (
        "double",
        'b/package.json "prettier" (Prettier default)',
    )
    note = fact(style, "c/x.js", "note")
    assert note is not None and "not read" in note[0]


def test_clang_format_rustfmt_rubocop(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "c/.clang-format": "BasedOnStyle: LLVM\nIndentWidth: 8\nUseTab: Always\n"
            "ColumnLimit: 100\n",
            "r/Cargo.toml": "[package]\nname = 'r'\n",
            "r/rustfmt.toml": "max_width = 90\n",
            "rb/.rubocop.yml": "Layout/LineLength:\n  Max: 120\nStyle/StringLiterals:\n"
            "  EnforcedStyle: double_quotes\n",
        },
    )
    style = scanned(root)
    assert fact(style, "c/x.c", "indent_size") == (8, "c/.clang-format")
    assert fact(style, "c/x.cpp", "indent_style") == ("tab", "c/.clang-format")
    assert fact(style, "c/x.c", "line_length") == (100, "c/.clang-format")
    assert fact(style, "r/src/main.rs", "line_length") == (90, "r/rustfmt.toml")
    assert fact(style, "r/src/main.rs", "indent_size") == (4, "r/rustfmt.toml (rustfmt default)")
    assert fact(style, "rb/x.rb", "line_length") == (120, "rb/.rubocop.yml Layout/LineLength")
    assert fact(style, "rb/x.rb", "quote_style") == (
        "double",
        "rb/.rubocop.yml Style/StringLiterals",
    )


def test_editorconfig_root_unset_and_nesting(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            ".editorconfig": "root = true\n[*]\nindent_size = 4\nmax_line_length = 100\n",
            "sub/.editorconfig": "[*.py]\nindent_size = 2\nmax_line_length = unset\n",
            "iso/.editorconfig": "root = true\n[*]\nindent_style = tab\n",
        },
    )
    style = scanned(root)
    assert fact(style, "sub/a.py", "indent_size") == (2, "sub/.editorconfig [*.py]")
    assert style.style_card("sub/a.py").get("line_length") is None  # unset drops it
    assert fact(style, "sub/a.txt", "line_length") == (100, ".editorconfig [*]")
    # root = true in iso/ hides the workspace's root file.
    assert fact(style, "iso/a.txt", "indent_style") == ("tab", "iso/.editorconfig [*]")
    assert style.style_card("iso/a.txt").get("indent_size") is None


def test_broken_config_gives_a_note_not_an_error(tmp_path, scanned) -> None:
    root = _ws(tmp_path, {"pyproject.toml": "[tool.ruff\nline-length = 3\n"})
    style = scanned(root)
    note = fact(style, "a.py", "note")
    assert note is not None and "could not be read" in note[0]


def test_secrets_and_vendored_folders_are_not_scanned(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "node_modules/pkg/.prettierrc": '{"useTabs": true}',
            ".venv/pyvenv.cfg": "home = /usr\n",
            "env/pyvenv.cfg": "home = /usr\n",
            "env/lib/pyproject.toml": "[tool.ruff]\nline-length = 12\n",
        },
    )
    style = scanned(root)
    snap = style.snapshot
    assert snap is not None
    assert not any("node_modules" in d or d.endswith("env") for d in snap.dirs)
    assert style.style_card("env/lib/a.py").get("line_length") is None
