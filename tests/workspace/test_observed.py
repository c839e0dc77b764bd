"""Observed style when nothing is declared."""

from __future__ import annotations

from pathlib import Path

from tests.workspace.conftest import fact
from victor.workspace.observed import plan_sample
from victor.workspace.observed_stats import measure, naming_convention


def test_noconfig_fixture_tabs_single_quotes_snake_case(scanned) -> None:
    style = scanned("python_noconfig")
    value, source = fact(style, "main.py", "indent_style")
    assert value == "tab"
    assert source.startswith("observed in ") and source.endswith("sampled .py files")
    assert fact(style, "main.py", "quote_style")[0] == "single"
    assert fact(style, "main.py", "naming.functions")[0] == "snake_case"
    assert fact(style, "main.py", "naming.classes")[0] == "PascalCase"
    assert fact(style, "main.py", "naming.variables")[0] == "snake_case"
    assert fact(style, "main.py", "naming.constants")[0] == "UPPER_CASE"
    assert fact(style, "main.py", "type_hints")[0].startswith("most functions annotated")
    assert style.style_card("main.py").get("formatter") is None
    # Tabs: no observed width claim from space-indented code.
    assert style.style_card("main.py").get("indent_size") is None


def _write(root: Path, n: int, body: str) -> None:
    for i in range(n):
        (root / f"mod_{i}.py").write_text(body)


def test_spaces_double_quotes_camel_case_observed(tmp_path, scanned) -> None:
    body = (
        "def fetchUser(userId):\n"
        '    resultValue = "a"\n'
        '    otherValue = "b" + "c"\n'
        "    if userId:\n"
        '        return "d"\n'
        "    return resultValue\n\n\n"
        "class user_record:\n"
        "    pass\n"
    ) * 3
    _write(tmp_path, 4, body)
    style = scanned(tmp_path)
    assert fact(style, "mod_0.py", "indent_style") == (
        "space",
        "observed in 4 of 4 sampled .py files",
    )
    assert fact(style, "mod_0.py", "indent_size")[0] == 4
    assert fact(style, "mod_0.py", "quote_style")[0] == "double"
    assert fact(style, "mod_0.py", "naming.functions")[0] == "camelCase"
    assert fact(style, "mod_0.py", "naming.variables")[0] == "camelCase"
    assert fact(style, "mod_0.py", "naming.classes")[0] == "snake_case"
    assert fact(style, "mod_0.py", "type_hints")[0].startswith("few")
    assert fact(style, "mod_0.py", "docstrings")[0].startswith("0%")


def test_declared_fact_is_not_overridden_by_observation(tmp_path, scanned) -> None:
    _write(tmp_path, 3, "def f():\n\tx = 'a'\n\treturn x\n" * 5)
    (tmp_path / ".editorconfig").write_text("root = true\n[*.py]\nindent_style = space\n")
    style = scanned(tmp_path)
    assert fact(style, "mod_0.py", "indent_style") == ("space", ".editorconfig [*.py]")
    assert fact(style, "mod_0.py", "quote_style")[0] == "single"  # still observed


def test_observed_line_length_uses_common_limits(tmp_path, scanned) -> None:
    _write(tmp_path, 2, ("x = " + "1" * 90 + "\n") * 60)
    value, source = fact(scanned(tmp_path), "mod_0.py", "line_length")
    assert value == 100 and "within 94 characters" in source


def test_typescript_observed(tmp_path, scanned) -> None:
    code = (
        "/** Adds. */\nexport function addNumbers(a: number, b: number): number {\n"
        "  const totalValue = a + b\n  return totalValue\n}\n"
        "export const makeThing = (x: string) => {\n"
        "  let someName = 'q'\n  return someName + 'x'\n}\n"
        "class ThingMaker {}\n"
    ) * 2
    for i in range(3):
        (tmp_path / f"f{i}.ts").write_text(code)
    style = scanned(tmp_path)
    assert fact(style, "f0.ts", "indent_size")[0] == 2
    assert fact(style, "f0.ts", "quote_style")[0] == "single"
    assert fact(style, "f0.ts", "naming.functions")[0] == "camelCase"
    assert fact(style, "f0.ts", "naming.classes")[0] == "PascalCase"
    assert fact(style, "f0.ts", "naming.variables")[0] == "camelCase"


def test_sample_is_bounded_by_files_and_bytes(tmp_path) -> None:
    files = {
        "python": [f"/p/{i:04}.py" for i in range(1000)],
        "go": [f"/g/{i}.go" for i in range(30)],
    }
    plan = plan_sample(files, 50)
    assert sum(len(v) for v in plan.values()) <= 50
    assert len(plan["go"]) >= 1 and len(plan["python"]) > len(plan["go"])
    # Evenly spread: first and a late file both picked.
    assert plan["python"][0] == "/p/0000.py" and plan["python"][-1] > "/p/0900.py"


def test_sample_bytes_budget(tmp_path, scanned) -> None:
    from victor.workspace.style import WorkspaceStyle

    for i in range(20):
        (tmp_path / f"m{i:02}.py").write_text("def f():\n    return 'x'\n" * 200)
    style = WorkspaceStyle(tmp_path, sample_files=200, sample_bytes=10_000)
    style.scan_sync()
    _, source = fact(style, "m00.py", "indent_style")
    # Each file is ~5 kB; a 10 kB budget spread over 20 files reads the 2 kB head of four.
    assert source == "observed in 4 of 4 sampled .py files"


def test_naming_convention_classifier() -> None:
    assert naming_convention("parse_file") == "snake_case"
    assert naming_convention("parseFile") == "camelCase"
    assert naming_convention("ParseFile") == "PascalCase"
    assert naming_convention("MAX_SIZE") == "UPPER_CASE"
    assert naming_convention("run") is None
    assert naming_convention("_private_name") == "snake_case"


def test_quotes_forced_by_content_do_not_vote() -> None:
    text = "a = \"it's\"\nb = \"don't\"\nc = 'x'\nd = 'y'\ne = 'z'\n"
    assert measure(text, "python").quotes == "single"
    assert (
        measure('x = """doc "quoted" text"""\ny = "a"\nz = "b"\nw = "c"\n', "python").quotes
        == "double"
    )
