"""Tools the model may call, and the registry that runs them without ever raising.

A failed tool call is information for the model ("no such file", "start_line must be an
integer"), not a reason to abort the turn, so every failure becomes an ``is_error`` result.
"""

from __future__ import annotations

import contextvars
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from victor.protocols import ToolCall, ToolSpec

log = logging.getLogger(__name__)

# A safety net over the tools' own caps: one result must never flood the context window.
MAX_RESULT_CHARS = 100_000

#: the id of the tool call being run (a tool that streams output tags it with this id)
CURRENT_CALL_ID: contextvars.ContextVar[str] = contextvars.ContextVar("tool_call_id", default="")

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "null": (type(None),),
}


@dataclass(slots=True)
class ToolResult:
    content: str
    is_error: bool = False


class ToolError(Exception):
    """An expected failure with a message meant for the model (raised by tools)."""


class Tool(ABC):
    """A tool: its spec (what the model sees) and how to run it."""

    spec: ToolSpec

    @property
    def name(self) -> str:
        return self.spec.name

    @abstractmethod
    async def run(self, arguments: dict[str, Any]) -> ToolResult:
        """Run with arguments already validated against ``spec.input_schema``."""


class ToolRegistry:
    """Named tools; ``execute`` turns every failure into an error result."""

    def __init__(self, tools: list[Tool] | None = None) -> None:
        self._tools: dict[str, Tool] = {}
        for tool in tools or []:
            self.register(tool)

    def register(self, tool: Tool) -> None:
        if tool.spec.name in self._tools:
            raise ValueError(f"a tool named {tool.spec.name!r} is already registered")
        self._tools[tool.spec.name] = tool

    def specs(self) -> list[ToolSpec]:
        return [tool.spec for tool in self._tools.values()]

    def get(self, name: str) -> Tool | None:
        return self._tools.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __len__(self) -> int:
        return len(self._tools)

    async def execute(self, call: ToolCall) -> ToolResult:
        """Run ``call``. Never raises, except to let task cancellation through."""
        tool = self._tools.get(call.name)
        if tool is None:
            known = ", ".join(sorted(self._tools)) or "none"
            return ToolResult(f"unknown tool {call.name!r}; available tools: {known}", True)
        try:
            arguments = validate_arguments(tool.spec.input_schema, call.arguments)
        except ToolError as exc:
            return ToolResult(f"invalid arguments for {call.name}: {exc}", True)
        token = CURRENT_CALL_ID.set(call.id)
        try:
            result = await tool.run(arguments)
        except ToolError as exc:
            return ToolResult(f"{call.name}: {exc}", True)
        except Exception as exc:  # the model gets a message; the log gets the traceback
            log.exception("tool %s failed", call.name)
            return ToolResult(f"{call.name} failed: {type(exc).__name__}: {exc}", True)
        finally:
            CURRENT_CALL_ID.reset(token)
        if len(result.content) > MAX_RESULT_CHARS:
            cut = result.content[:MAX_RESULT_CHARS]
            note = f"\n[output cut at {MAX_RESULT_CHARS} characters]"
            return ToolResult(cut + note, result.is_error)
        return result


def validate_arguments(schema: dict[str, Any], arguments: Any) -> dict[str, Any]:
    """Check ``arguments`` against an object schema's required fields, types, enums, bounds.

    A subset of JSON Schema, enough for tool inputs; raises ToolError naming the field.
    Returns a copy with integral floats (3.0) turned into ints where an integer is expected.
    """
    if not isinstance(arguments, dict):
        raise ToolError(f"arguments must be a JSON object, got {_json_type(arguments)}")
    properties: dict[str, Any] = schema.get("properties", {})
    missing = [name for name in schema.get("required", []) if arguments.get(name) is None]
    if missing:
        raise ToolError(f"missing required field {missing[0]!r}")
    if schema.get("additionalProperties") is False:
        extra = sorted(set(arguments) - set(properties))
        if extra:
            allowed = ", ".join(properties) or "none"
            raise ToolError(f"unknown field {extra[0]!r} (allowed: {allowed})")
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        prop = properties.get(name)
        if prop is None or value is None:
            # None for an optional field means "not given", as several models send it.
            if value is not None:
                out[name] = value
            continue
        out[name] = _check_value(name, prop, value)
    return out


def _check_value(name: str, prop: dict[str, Any], value: Any) -> Any:
    expected = prop.get("type")
    if expected is not None:
        types = [expected] if isinstance(expected, str) else list(expected)
        if "integer" in types and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not any(_is_type(value, t) for t in types):
            want = " or ".join(types)
            raise ToolError(f"field {name!r} must be {_article(want)}, got {_json_type(value)}")
    if "enum" in prop and value not in prop["enum"]:
        allowed = ", ".join(repr(v) for v in prop["enum"])
        raise ToolError(f"field {name!r} must be one of {allowed}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in prop and value < prop["minimum"]:
            raise ToolError(f"field {name!r} must be >= {prop['minimum']}, got {value}")
        if "maximum" in prop and value > prop["maximum"]:
            raise ToolError(f"field {name!r} must be <= {prop['maximum']}, got {value}")
    if isinstance(value, str) and len(value) < prop.get("minLength", 0):
        raise ToolError(f"field {name!r} must not be empty")
    return value


def _is_type(value: Any, json_type: str) -> bool:
    if isinstance(value, bool):  # bool is an int in Python, not in JSON
        return json_type == "boolean"
    return isinstance(value, _JSON_TYPES.get(json_type, (object,)))


def _json_type(value: Any) -> str:
    for name in ("boolean", "integer", "number", "string", "array", "object", "null"):
        if _is_type(value, name):
            return name
    return type(value).__name__


def _article(type_name: str) -> str:
    return f"an {type_name}" if type_name[0] in "aeiou" else f"a {type_name}"
