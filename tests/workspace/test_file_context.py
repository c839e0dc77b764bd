"""File context: buffers over disk, selection, diagnostics, secrets, git-ignored files, budget."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workspace.conftest import git_init
from victor.protocols import PromptContext
from victor.workspace.contributors import FileContextContributor
from victor.workspace.file_context import FileContextInput, render_file_context
from victor.workspace.rules import estimate_tokens


def _ws(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("print('ON DISK')\n")
    (tmp_path / "src" / "util.py").write_text("def helper():\n    return 'UTIL ON DISK'\n")
    (tmp_path / ".env").write_text("API_KEY=sk-live-SECRET123\n")
    return tmp_path


def test_unsaved_active_buffer_wins_over_disk(tmp_path) -> None:
    root = _ws(tmp_path)
    inp = FileContextInput(active_path=root / "src" / "app.py", active_text="print('UNSAVED')\n")
    out = render_file_context(inp, root)
    assert "UNSAVED" in out and "ON DISK" not in out
    assert "Active file: `src/app.py`" in out and "editor buffer" in out


def test_active_file_read_from_disk_when_no_text(tmp_path) -> None:
    root = _ws(tmp_path)
    out = render_file_context(FileContextInput(active_path=Path("src/app.py")), root)
    assert "ON DISK" in out and "as saved on disk" in out


def test_open_document_buffer_wins_over_disk_for_related_path(tmp_path) -> None:
    root = _ws(tmp_path)
    inp = FileContextInput(
        active_path=root / "src" / "app.py",
        active_text="import util\n",
        open_documents={root / "src" / "util.py": "def helper():\n    return 'UTIL BUFFER'\n"},
        related_paths=[Path("src/util.py")],
    )
    out = render_file_context(inp, root)
    assert "UTIL BUFFER" in out and "UTIL ON DISK" not in out
    assert out.count("### `src/util.py`") == 1


def test_selection_and_cursor_included(tmp_path) -> None:
    root = _ws(tmp_path)
    text = "\n".join(f"line_{i} = {i}" for i in range(50)) + "\n"
    inp = FileContextInput(
        active_path=root / "src" / "app.py",
        active_text=text,
        selection=((10, 0), (12, 6)),
        position=(12, 6),
    )
    out = render_file_context(inp, root)
    assert "### Selection (lines 11-13)\n```python\nline_10 = 10\nline_11 = 11\nline_1\n```" in out
    assert "cursor at line 13, column 7" in out


def test_window_centres_on_cursor_when_file_is_large(tmp_path) -> None:
    root = _ws(tmp_path)
    text = "\n".join(f"value_{i:05} = {i}" for i in range(20000))
    inp = FileContextInput(
        active_path=root / "src" / "app.py", active_text=text, position=(15000, 0)
    )
    out = render_file_context(inp, root, budget_tokens=1000)
    assert "value_15000" in out and "value_00000" not in out
    assert "around the cursor (lines " in out
    assert estimate_tokens(out) <= 1000


def test_diagnostics_included_errors_first(tmp_path) -> None:
    root = _ws(tmp_path)
    diags = [
        {
            "range": {"start": {"line": 4, "character": 2}, "end": {"line": 4, "character": 9}},
            "severity": 2,
            "message": "unused variable 'x'",
            "source": "ruff",
            "code": "F841",
        },
        {
            "range": {"start": {"line": 1, "character": 0}, "end": {"line": 1, "character": 3}},
            "severity": 1,
            "message": "undefined name 'foo'",
            "source": "pyright",
        },
    ]
    inp = FileContextInput(
        active_path=root / "src" / "app.py", active_text="x\n", diagnostics=diags
    )
    out = render_file_context(inp, root)
    err = "- `src/app.py:2:1` error [pyright]: undefined name 'foo'"
    warn = "- `src/app.py:5:3` warning [ruff F841]: unused variable 'x'"
    assert err in out and warn in out and out.index(err) < out.index(warn)


def test_secrets_never_included_even_when_open(tmp_path) -> None:
    root = _ws(tmp_path)
    (root / "deploy.pem").write_text("-----BEGIN PRIVATE KEY-----\nPEMSECRET\n")
    inp = FileContextInput(
        active_path=root / "src" / "app.py",
        active_text="x = 1\n",
        open_documents={root / ".env": "API_KEY=sk-live-SECRET123\n"},
        related_paths=[Path("deploy.pem"), Path(".env.production")],
        diagnostics=[{"uri": (root / ".env").as_uri(), "message": "bad value SECRET123"}],
    )
    out = render_file_context(inp, root)
    assert "SECRET123" not in out and "PEMSECRET" not in out
    assert ".env (secret file)" in out and "deploy.pem (secret file)" in out


def test_secret_active_file_is_not_included(tmp_path) -> None:
    root = _ws(tmp_path)
    inp = FileContextInput(active_path=root / ".env", active_text="API_KEY=sk-live-SECRET123\n")
    out = render_file_context(inp, root)
    assert "SECRET123" not in out and "(secret file)" in out


def test_git_ignored_excluded_unless_active(tmp_path) -> None:
    """Git-ignored files stay out (on disk, or open in a background tab: often a local config
    with passwords); the file the user is working in goes in even when git ignores it."""
    root = _ws(tmp_path)
    git_init(root)
    (root / ".gitignore").write_text("generated/\n")
    (root / "generated").mkdir()
    (root / "generated" / "schema.py").write_text("IGNORED_CONTENT = 1\n")
    (root / "generated" / "open.py").write_text("ON_DISK_OPEN = 1\n")
    base = {"active_path": root / "src" / "app.py", "active_text": "x = 1\n"}
    out = render_file_context(
        FileContextInput(**base, related_paths=[Path("generated/schema.py"), Path("src/util.py")]),
        root,
    )
    assert "IGNORED_CONTENT" not in out and "generated/schema.py (git-ignored)" in out
    assert "UTIL ON DISK" in out
    opened = FileContextInput(
        **base, open_documents={root / "generated" / "open.py": "OPEN_BUFFER = 1\n"}
    )
    background = render_file_context(opened, root)
    assert "OPEN_BUFFER" not in background and "generated/open.py (git-ignored)" in background
    active = FileContextInput(
        active_path=root / "generated" / "open.py", active_text="ACTIVE_BUFFER = 1\n"
    )
    assert "ACTIVE_BUFFER" in render_file_context(active, root)


def test_paths_outside_workspace_not_read(tmp_path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    (tmp_path / "outside.py").write_text("OUTSIDE = 1\n")
    inp = FileContextInput(
        related_paths=[Path("../outside.py")],
        open_documents={tmp_path / "outside.py": "OUTSIDE_BUFFER = 1\n"},
    )
    out = render_file_context(inp, root)
    assert "OUTSIDE" not in out and "(outside the workspace)" in out


def test_budget_respected_and_relevant_documents_first(tmp_path) -> None:
    root = _ws(tmp_path)
    big = "\n".join(f"filler_{i} = {i}" for i in range(3000))
    docs = {root / "other" / f"far_{i}.txt": big for i in range(5)}
    docs[root / "src" / "util.py"] = "def helper():\n    return 'RELEVANT'\n"
    inp = FileContextInput(
        active_path=root / "src" / "app.py",
        active_text="import util\n" + big,
        selection=((0, 0), (0, 11)),
        position=(0, 0),
        open_documents=docs,
        diagnostics=[{"message": f"problem {i}", "severity": 3} for i in range(500)],
    )
    for budget in (300, 1500, 6000):
        out = render_file_context(inp, root, budget_tokens=budget)
        assert estimate_tokens(out) <= budget
        assert "import util" in out
    out = render_file_context(inp, root, budget_tokens=1500)
    assert "RELEVANT" in out  # mentioned by the active file and in its folder: first in
    assert "over the budget" in out or "more diagnostics" in out


def test_nothing_supplied_gives_nothing(tmp_path) -> None:
    assert render_file_context(FileContextInput(), tmp_path) == ""


def test_fence_survives_backticks_in_content(tmp_path) -> None:
    root = _ws(tmp_path)
    inp = FileContextInput(active_path=root / "README.md", active_text="```py\nx\n```\n")
    out = render_file_context(inp, root)
    assert "````markdown\n```py\nx\n```\n````" in out


async def test_contributor_accepts_dataclass_and_dict(tmp_path) -> None:
    root = _ws(tmp_path)
    contrib = FileContextContributor(root)
    assert contrib.name == "file_context" and contrib.priority() == 60
    assert await contrib.get_contribution(PromptContext()) == ""
    inp = FileContextInput(active_path=root / "src" / "app.py", active_text="BUFFER_TEXT\n")
    assert "BUFFER_TEXT" in await contrib.get_contribution(PromptContext(file_context=inp))
    as_dict = {
        "active_path": "src/app.py",
        "selection": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 5}},
    }
    out = await contrib.get_contribution(PromptContext(file_context=as_dict))
    assert "### Selection (line 1)\n```python\nprint\n```" in out


_texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=3000)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    active=_texts,
    others=st.lists(_texts, max_size=4),
    budget=st.integers(min_value=50, max_value=3000),
    line=st.integers(min_value=0, max_value=200),
    n_diags=st.integers(min_value=0, max_value=40),
)
def test_budget_holds_and_secrets_stay_out_for_any_input(
    tmp_path, active, others, budget, line, n_diags
) -> None:
    docs = {tmp_path / f"d{i}.py": text for i, text in enumerate(others)}
    docs[tmp_path / ".env.local"] = "TOKEN=zz-SECRET-VALUE-zz"
    inp = FileContextInput(
        active_path=tmp_path / "a.py",
        active_text=active,
        position=(line, 0),
        selection=((0, 0), (line, 3)),
        diagnostics=[{"message": "m" * (i % 50), "severity": i % 4 + 1} for i in range(n_diags)],
        open_documents=docs,
    )
    out = render_file_context(inp, tmp_path, budget_tokens=budget)
    assert estimate_tokens(out) <= budget
    assert "zz-SECRET-VALUE-zz" not in out
