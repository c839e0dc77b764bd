"""What a completion prompt holds: windows around the cursor, other buffers, the style."""

from __future__ import annotations

from pathlib import Path

from victor.agent.completions.context import (
    CURSOR,
    BufferIndex,
    CompletionInput,
    StyleFacts,
    build_prompt,
    relevant_snippets,
)

CANARY = "sk-canary-ctx-41b7"


def test_prompt_has_cursor_windows_style_and_the_relevant_other_buffer() -> None:
    text = "import pricing\n\n\ndef order_total(items):\n    return pricing.apply_discount(\n"
    other = "def apply_discount(amount, rate):\n    return amount * (1 - rate)\n"
    inp = CompletionInput(
        path=Path("/ws/app.py"),
        relpath="app.py",
        language="python",
        text=text + "\nprint(1)\n",
        offset=len(text),
        style=StyleFacts(indent_style="space", indent_size=2, quote_style="single"),
        other_buffers={
            Path("/ws/pricing.py"): other,
            Path("/ws/unrelated.py"): "x = 1\n",
            Path("/ws/.env"): f"apply_discount={CANARY}\n",
        },
    )
    prompt = build_prompt(inp)
    assert f"apply_discount(\n{CURSOR}\nprint(1)\n" in prompt.user
    assert "indent 2 spaces per level; single quotes for strings" in prompt.user
    assert '<open-file name="pricing.py">\ndef apply_discount(amount, rate):' in prompt.user
    assert "unrelated.py" not in prompt.user
    assert prompt.fim_prefix.endswith(text) and prompt.suffix == "\nprint(1)\n"
    assert "# from pricing.py:\n# def apply_discount(amount, rate):" in prompt.fim_prefix
    assert CANARY not in prompt.user and CANARY not in prompt.fim_prefix


def test_long_documents_are_cut_at_line_boundaries() -> None:
    text = "".join(f"line_{i} = {i}\n" for i in range(2000))
    inp = CompletionInput(Path("/ws/a.py"), "a.py", "python", text, offset=len(text) // 2)
    prompt = build_prompt(inp)
    body = prompt.fim_prefix.split("\n", 2)[-1]  # after the header comments
    assert body.startswith("line_") and len(prompt.fim_prefix) < 4300
    assert prompt.suffix.endswith("\n") and len(prompt.suffix) <= 1500


def test_buffer_index_is_reused_until_the_buffer_changes() -> None:
    index = BufferIndex()
    text = "def apply_discount(x):\n    return x\n"
    buffers = {Path("/ws/p.py"): text}
    first = relevant_snippets("apply_discount(", buffers, exclude=Path("/ws/a.py"), index=index)
    assert index.lines_of(Path("/ws/p.py"), text)[0] is index.lines_of(Path("/ws/p.py"), text)[0]
    changed = {Path("/ws/p.py"): "def apply_discount(y):\n    return y\n"}
    second = relevant_snippets("apply_discount(", changed, exclude=Path("/ws/a.py"), index=index)
    assert first != second and "(y)" in second[0][1]
