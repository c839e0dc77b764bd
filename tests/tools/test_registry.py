from __future__ import annotations

import asyncio
from typing import Any

import pytest

from victor.protocols import ToolCall, ToolSpec
from victor.tools import Tool, ToolError, ToolRegistry, ToolResult
from victor.tools.base import MAX_RESULT_CHARS


class Echo(Tool):
    def __init__(self, behaviour: str = "echo") -> None:
        self.behaviour = behaviour
        self.seen: list[dict[str, Any]] = []
        self.spec = ToolSpec(
            name="echo",
            description="Echo the arguments.",
            input_schema={
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 1},
                    "count": {"type": "integer", "minimum": 1, "maximum": 5},
                    "mode": {"type": "string", "enum": ["a", "b"]},
                    "flag": {"type": "boolean"},
                    "ratio": {"type": "number"},
                    "tags": {"type": "array"},
                },
                "required": ["text"],
                "additionalProperties": False,
            },
        )

    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        self.seen.append(arguments)
        if self.behaviour == "crash":
            raise RuntimeError("disk on fire")
        if self.behaviour == "tool-error":
            raise ToolError("nothing to echo")
        if self.behaviour == "huge":
            return ToolResult("x" * (MAX_RESULT_CHARS + 10))
        if self.behaviour == "slow":
            await asyncio.sleep(10)
        return ToolResult(repr(arguments))


async def run(registry: ToolRegistry, arguments: Any, name: str = "echo") -> ToolResult:
    return await registry.execute(ToolCall(id="c1", name=name, arguments=arguments))


async def test_valid_call_runs() -> None:
    tool = Echo()
    registry = ToolRegistry([tool])
    result = await run(registry, {"text": "hi", "count": 2.0, "flag": True, "ratio": 1})
    assert not result.is_error
    assert tool.seen == [{"text": "hi", "count": 2, "flag": True, "ratio": 1}]
    assert isinstance(tool.seen[0]["count"], int)


async def test_unknown_tool_lists_available() -> None:
    result = await run(ToolRegistry([Echo()]), {}, name="delete_everything")
    assert result.is_error
    assert "unknown tool 'delete_everything'" in result.content and "echo" in result.content


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({}, "missing required field 'text'"),
        ({"text": None}, "missing required field 'text'"),
        ({"text": 3}, "field 'text' must be a string, got integer"),
        ({"text": ""}, "field 'text' must not be empty"),
        ({"text": "x", "count": "2"}, "field 'count' must be an integer, got string"),
        ({"text": "x", "count": True}, "field 'count' must be an integer, got boolean"),
        ({"text": "x", "count": 2.5}, "field 'count' must be an integer, got number"),
        ({"text": "x", "count": 0}, "field 'count' must be >= 1"),
        ({"text": "x", "count": 9}, "field 'count' must be <= 5"),
        ({"text": "x", "mode": "c"}, "field 'mode' must be one of 'a', 'b'"),
        ({"text": "x", "flag": "yes"}, "field 'flag' must be a boolean, got string"),
        ({"text": "x", "tags": {}}, "field 'tags' must be an array, got object"),
        ({"text": "x", "colour": "red"}, "unknown field 'colour'"),
        ("not a dict", "arguments must be a JSON object, got string"),
    ],
)
async def test_invalid_arguments_name_the_field(arguments: Any, fragment: str) -> None:
    tool = Echo()
    result = await run(ToolRegistry([tool]), arguments)
    assert result.is_error
    assert result.content.startswith("invalid arguments for echo: ")
    assert fragment in result.content
    assert tool.seen == []  # the tool never ran


async def test_null_optional_field_means_absent() -> None:
    tool = Echo()
    result = await run(ToolRegistry([tool]), {"text": "x", "count": None})
    assert not result.is_error and tool.seen == [{"text": "x"}]


async def test_exceptions_become_error_results() -> None:
    crash = await run(ToolRegistry([Echo("crash")]), {"text": "x"})
    assert crash.is_error and crash.content == "echo failed: RuntimeError: disk on fire"
    expected = await run(ToolRegistry([Echo("tool-error")]), {"text": "x"})
    assert expected.is_error and expected.content == "echo: nothing to echo"


async def test_huge_results_are_cut() -> None:
    result = await run(ToolRegistry([Echo("huge")]), {"text": "x"})
    assert len(result.content) < MAX_RESULT_CHARS + 100
    assert result.content.endswith(f"[output cut at {MAX_RESULT_CHARS} characters]")


async def test_cancellation_propagates() -> None:
    registry = ToolRegistry([Echo("slow")])
    task = asyncio.create_task(run(registry, {"text": "x"}))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_register_get_specs() -> None:
    registry = ToolRegistry()
    tool = Echo()
    registry.register(tool)
    assert registry.get("echo") is tool and registry.get("nope") is None
    assert [s.name for s in registry.specs()] == ["echo"]
    assert "echo" in registry and len(registry) == 1
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Echo())
