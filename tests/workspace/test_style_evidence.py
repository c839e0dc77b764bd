"""Formatter evidence, tool defaults, option semantics, ESLint, sampling and per-area facts."""

from __future__ import annotations

from pathlib import Path

from tests.workspace.conftest import fact


def _ws(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


PY_SINGLE = "def greet(name):\n  return 'Hello, ' + name\n\n\nX = 'a'\nY = 'b'\n"


def test_lint_only_ruff_is_no_formatter_and_states_its_default(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "pyproject.toml": '[tool.ruff.lint]\nselect = ["E", "I"]\n'
            "[tool.ruff.lint.isort]\nforce-single-line = true\n",
            "a.py": PY_SINGLE,
        },
    )
    style = scanned(root)
    assert style.style_card(root / "a.py").get("formatter") is None
    assert fact(style, "a.py", "line_length") == (88, "pyproject.toml [tool.ruff] (ruff default)")
    assert fact(style, "a.py", "imports") == (
        "sorted (ruff's isort rules), one import per line",
        "pyproject.toml [tool.ruff.lint] select",
    )


def test_isort_skip_glob_star_means_no_sorting(tmp_path, scanned) -> None:
    root = _ws(tmp_path, {"pyproject.toml": "[tool.isort]\nskip_glob = ['*']\n", "a.py": "x = 1\n"})
    assert scanned(root).style_card(root / "a.py").get("imports") is None


def test_pyink_and_yapf_are_read(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "ink/pyproject.toml": "[tool.pyink]\nline-length = 80\npyink-indentation = 2\n"
            "pyink-use-majority-quotes = true\n",
            "ink/a.py": PY_SINGLE,
            "yap/.style.yapf": "[style]\nbased_on_style = yapf\n",
            "yap/b.py": PY_SINGLE,
        },
    )
    style = scanned(root)
    assert fact(style, "ink/a.py", "formatter") == ("pyink", "ink/pyproject.toml [tool.pyink]")
    assert fact(style, "ink/a.py", "indent_size") == (2, "ink/pyproject.toml [tool.pyink]")
    assert fact(style, "ink/a.py", "quote_style")[0] == "single"  # majority quotes: observed
    assert fact(style, "yap/b.py", "formatter") == ("yapf", "yap/.style.yapf [style]")
    assert fact(style, "yap/b.py", "line_length") == (
        80,
        "yap/.style.yapf [style] (yapf style default)",
    )


def test_formatter_from_a_hook_or_a_script_names_the_evidence(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            ".pre-commit-config.yaml": "repos:\n- repo: x\n  hooks:\n  - id: black\n",
            "a.py": "x = 1\n",
            "web/package.json": '{"scripts": {"fmt": "prettier --write src"}}',
            "web/src/b.ts": "export const a = 1;\n",
        },
    )
    style = scanned(root)
    assert fact(style, "a.py", "formatter") == ("black", '.pre-commit-config.yaml hook "black"')
    assert fact(style, "web/src/b.ts", "formatter") == (
        "prettier",
        'web/package.json script "fmt" (runs prettier)',
    )


def test_cargo_toml_alone_names_no_formatter(tmp_path, scanned) -> None:
    root = _ws(tmp_path, {"Cargo.toml": "[package]\nname = 'x'\n", "src/lib.rs": "fn a() {}\n"})
    assert scanned(root).style_card(root / "src/lib.rs").get("formatter") is None


def test_standard_preset_and_observed_semicolons(tmp_path, scanned) -> None:
    body = "const a = require('a')\nconst b = a(1)\nlet c = b + 1\nc = c * 2\nmodule.exports = c\n"
    root = _ws(
        tmp_path,
        {
            "std/package.json": '{"devDependencies": {"standard": "*"}}',
            "std/index.js": body,
            "plain/index.js": body.replace("\n", ";\n"),
        },
    )
    style = scanned(root)
    assert fact(style, "std/index.js", "semicolons") == (
        False,
        'std/package.json devDependencies "standard" (standard preset)',
    )
    assert fact(style, "std/index.js", "indent_size")[0] == 2
    value, source = fact(style, "plain/index.js", "semicolons")
    assert value is True and source.startswith("observed")


def test_gitignore_decides_what_is_sampled_not_folder_names(tmp_path, scanned) -> None:
    tab = "def f():\n\treturn 1\n"
    root = _ws(
        tmp_path,
        {
            ".gitignore": "generated/\n",
            "build/a.py": tab,
            "build/b.py": tab,
            "generated/c.py": "def f():\n    return 1\n" * 50,
            "stub.pyi": "def f() -> int:\n    ...\n" * 50,
        },
    )
    value, source = fact(scanned(root), "build/a.py", "indent_style")
    # build/ is the project's source here; generated/ is ignored; the stub is no code.
    assert value == "tab" and source == "observed in 2 of 2 sampled .py files"


def test_a_folder_written_differently_gets_its_own_figures(tmp_path, scanned) -> None:
    files = {f"lib/m{i}.py": "def f(a: int) -> int:\n    return a\n" for i in range(4)}
    files |= {f"tests/test_{i}.py": "def test_f(a):\n    assert a\n" for i in range(4)}
    style = scanned(_ws(tmp_path, files))
    assert fact(style, "lib/m0.py", "type_hints")[0].startswith("most")
    value, source = fact(style, "tests/test_0.py", "type_hints")
    assert value.startswith("few") and source.endswith("in tests/")


def test_rust_patterns_are_not_names_and_constants_are_observed(tmp_path, scanned) -> None:
    code = (
        'const MAX_LEN: usize = 3;\nstatic GLOBAL_NAME: &str = "x";\n'
        "fn run_it() {\n    let Some(v) = f() else { return };\n    let Patch { a, .. } = p;\n"
        "    let my_value = 1;\n    let other_value = 2;\n    let third_one = 3;\n}\n"
    )
    root = _ws(tmp_path, {"src/lib.rs": code, "src/b.rs": code, "src/c.rs": code})
    style = scanned(root)
    assert fact(style, "src/lib.rs", "naming.variables")[0] == "snake_case"
    assert fact(style, "src/lib.rs", "naming.constants")[0] == "UPPER_CASE"


def test_go_names_both_cases_and_no_observed_line_length(tmp_path, scanned) -> None:
    code = "package x\n\nfunc Exported() {}\n\nfunc unexported() {}\n" + "// " + "y" * 150 + "\n"
    root = _ws(tmp_path, {f"p{i}.go": code * 10 for i in range(3)})
    card = scanned(root).style_card(root / "p0.go")
    assert card.value("naming.functions") == "camelCase or PascalCase (PascalCase when exported)"
    assert card.get("line_length") is None
    assert "gofmt sets no line length limit" in card.render()


def test_code_inside_python_strings_is_not_counted(tmp_path, scanned) -> None:
    doc = '"""Example:\n\n    def helperFunctionInDoc():\n        pass\n"""\n'
    code = doc + "".join(f"def real_name_{i}(a):\n    return a\n\n" for i in range(2))
    root = _ws(tmp_path, {f"m{i}.py": code for i in range(3)})
    value, source = fact(scanned(root), "m0.py", "naming.functions")
    assert value == "snake_case" and source.startswith("observed: 6 of 6 function names")


def test_prettier_trailing_comma_default_follows_its_version(tmp_path, scanned) -> None:
    root = _ws(
        tmp_path,
        {
            "v2/.prettierrc": '{"singleQuote": true}',
            "v2/package.json": '{"devDependencies": {"prettier": "^2.8.0"}}',
            "v2/a.ts": "export const a = 1;\n",
            "v3/.prettierrc": '{"singleQuote": true}',
            "v3/a.ts": "export const a = 1;\n",
        },
    )
    style = scanned(root)
    assert fact(style, "v2/a.ts", "trailing_commas") == (
        "es5",
        'v2/package.json devDependencies "prettier" (Prettier 2 default)',
    )
    assert fact(style, "v3/a.ts", "trailing_commas") == (
        "all",
        "v3/.prettierrc (Prettier 3 default)",
    )


def test_gitignore_patterns_follow_git() -> None:
    from victor.workspace.ignore import is_ignored, parse_gitignore

    ig = (parse_gitignore("/w", "/out/\n*.gen.py\ndocs/**/build\n!keep.gen.py\n" + "*" * 30),)
    assert is_ignored("/w/out", True, ig) and not is_ignored("/w/src/out", True, ig)
    assert is_ignored("/w/src/a.gen.py", False, ig) and not is_ignored("/w/keep.gen.py", False, ig)
    assert is_ignored("/w/docs/x/y/build", True, ig) and not is_ignored("/w/build", True, ig)
    assert not is_ignored("/w/src/a.py", False, ig)  # the 30-star line was set aside
