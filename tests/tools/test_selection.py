from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from victor.protocols import IEmbeddingService, IToolSelectionStrategy, ToolSpec
from victor.tools import (
    AllToolSelection,
    HybridToolSelection,
    KeywordToolSelection,
    LexicalEmbedder,
    SemanticToolSelection,
    cosine,
    make_tool_selection,
    workspace_tools,
)


def spec(name: str, description: str) -> ToolSpec:
    return ToolSpec(name=name, description=description, input_schema={"type": "object"})


EXTRA = [
    spec("write_file", "Create or overwrite a file with new content."),
    spec("run_tests", "Run the project's test suite and report failures."),
    spec("git_log", "Show recent commits of the repository history."),
    spec("web_fetch", "Download a web page by URL and return its text."),
    spec("rename_symbol", "Rename a function, class or variable across the project."),
]


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory) -> list[ToolSpec]:
    registry = workspace_tools(Path(tmp_path_factory.mktemp("w")))
    return [*EXTRA, *registry.specs()]  # read_file deliberately not first


QUERIES = [
    "read the file app.py",
    "where is parse_config defined? search the code",
    "list the folders of the project",
    "run the tests",
    "show me the git history",
    "",
    "zzz qqq",
]


def names(selected: list[ToolSpec]) -> list[str]:
    return [s.name for s in selected]


@pytest.mark.parametrize("strategy", ["keyword", "semantic", "hybrid"])
def test_read_file_query_ranks_read_file_first(tools: list[ToolSpec], strategy: str) -> None:
    selected = make_tool_selection(strategy, 0.7).select("read the file app.py", tools, 3)
    assert names(selected)[0] == "read_file"


@pytest.mark.parametrize("strategy", ["keyword", "semantic", "hybrid"])
def test_other_queries_rank_the_obvious_tool_first(tools: list[ToolSpec], strategy: str) -> None:
    chooser = make_tool_selection(strategy, 0.5)
    assert names(chooser.select("search the code for parse_config", tools, 1)) == ["search_text"]
    assert names(chooser.select("list the directory contents", tools, 1)) == ["list_directory"]
    assert names(chooser.select("run the tests", tools, 1)) == ["run_tests"]


@pytest.mark.parametrize("query", QUERIES)
def test_alpha_extremes_equal_the_pure_strategies(tools: list[ToolSpec], query: str) -> None:
    embedder = LexicalEmbedder()
    n = len(tools)
    keyword = names(KeywordToolSelection().select(query, tools, n))
    semantic = names(SemanticToolSelection(embedder).select(query, tools, n))
    assert names(HybridToolSelection(embedder, 0.0).select(query, tools, n)) == keyword
    assert names(HybridToolSelection(embedder, 1.0).select(query, tools, n)) == semantic


@pytest.mark.parametrize("strategy", ["keyword", "semantic", "hybrid", "all"])
@pytest.mark.parametrize("query", ["read the file app.py", ""])
def test_limit_respected(tools: list[ToolSpec], strategy: str, query: str) -> None:
    chooser = make_tool_selection(strategy, 0.7)
    for limit in (0, 1, 2, len(tools), len(tools) + 5):
        selected = chooser.select(query, tools, limit)
        assert len(selected) == min(limit, len(tools))
        assert len({s.name for s in selected}) == len(selected)
    assert chooser.select(query, tools, -1) == []
    assert chooser.select(query, [], 5) == []


@pytest.mark.parametrize("strategy", ["keyword", "semantic", "hybrid", "all"])
def test_empty_query_gives_tools_in_order(tools: list[ToolSpec], strategy: str) -> None:
    assert make_tool_selection(strategy, 0.7).select("", tools, 4) == tools[:4]
    assert make_tool_selection(strategy, 0.7).select("  the of  ", tools, 4) == tools[:4]


def test_make_tool_selection_types_and_errors() -> None:
    assert isinstance(make_tool_selection("keyword", 0.5), KeywordToolSelection)
    assert isinstance(make_tool_selection(" Semantic ", 0.5), SemanticToolSelection)
    hybrid = make_tool_selection("HYBRID", 0.25)
    assert isinstance(hybrid, HybridToolSelection) and hybrid.alpha == 0.25
    assert isinstance(make_tool_selection("all", 0.5), AllToolSelection)
    for strategy in ("keyword", "semantic", "hybrid", "all"):
        assert isinstance(make_tool_selection(strategy, 0.5), IToolSelectionStrategy)
    with pytest.raises(ValueError, match="keyword, semantic, hybrid, all") as info:
        make_tool_selection("magic", 0.5)
    assert "'magic'" in str(info.value)
    with pytest.raises(ValueError, match="alpha"):
        make_tool_selection("hybrid", 1.5)


class Broken(IEmbeddingService):
    def embed(self, text: str) -> list[float]:
        raise ConnectionError("embedding server down")


class Fixed(IEmbeddingService):
    """Puts run_tests closest to everything, to prove the given embedder is used."""

    def embed(self, text: str) -> list[float]:
        return [1.0, 0.0] if "test" in text or text == "q" else [0.0, 1.0]


def test_semantic_uses_given_embedder_and_survives_failures(tools: list[ToolSpec]) -> None:
    assert names(SemanticToolSelection(Fixed()).select("q", tools, 1)) == ["run_tests"]
    keyword = names(KeywordToolSelection().select("read the file", tools, 3))
    assert names(SemanticToolSelection(Broken()).select("read the file", tools, 3)) == keyword
    assert names(HybridToolSelection(Broken(), 0.5).select("read the file", tools, 3)) == keyword


# ------------------------------------------------------------------ embedder


def test_embedder_is_normalised_and_deterministic() -> None:
    a, b = LexicalEmbedder(), LexicalEmbedder()
    v = a.embed("Read the file src/app.py")
    assert v == b.embed("Read the file src/app.py")
    assert len(v) == 512
    assert math.isclose(math.sqrt(sum(x * x for x in v)), 1.0)
    assert a.embed("") == [0.0] * 512
    assert cosine(a.embed(""), v) == 0.0
    assert len(LexicalEmbedder(dimensions=64).embed("x y")) == 64


def test_embedder_is_stable_across_processes() -> None:
    code = (
        "from victor.tools import LexicalEmbedder; print(LexicalEmbedder().embed('parse config'))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert outputs.pop().strip() == str(LexicalEmbedder().embed("parse config"))


def test_embedder_similarity_is_lexical() -> None:
    e = LexicalEmbedder()
    query = e.embed("how is the configuration parsed")
    close = e.embed("parse_config reads the configuration file")
    far = e.embed("render the login page template")
    assert cosine(query, close) > cosine(query, far)
    # Near spellings share trigrams: "configure" is closer to "config" than "database" is.
    assert cosine(e.embed("config"), e.embed("configure")) > cosine(
        e.embed("config"), e.embed("database")
    )
    assert "lexical" in (LexicalEmbedder.__doc__ or "").lower()
    assert "not a neural" in (LexicalEmbedder.__doc__ or "")


def test_cosine_edge_cases() -> None:
    assert cosine([1.0, 0.0], [1.0, 0.0]) == 1.0
    assert cosine([1.0, 0.0], [0.0, 1.0]) == 0.0
    assert cosine([1.0], [1.0, 0.0]) == 0.0
    assert cosine([0.0, 0.0], [1.0, 0.0]) == 0.0
