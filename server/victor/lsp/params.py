"""Typed params of the custom methods, validated from the raw JSON the client sent.

A validation failure becomes JSON-RPC InvalidParams whose message names the field, e.g.
``message: expected a non-empty string``.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator
from pydantic.alias_generators import to_camel
from pygls.exceptions import JsonRpcInvalidParams

_MAX_TEXT = 2_000_000  # characters; a message larger than this is a client bug


class _Params(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True
    )


class PositionP(_Params):
    line: int = Field(ge=0, le=10_000_000)
    character: int = Field(ge=0, le=10_000_000)


class RangeP(_Params):
    start: PositionP
    end: PositionP


class TextDocumentP(_Params):
    uri: str = Field(min_length=1, max_length=8192)


class DiagnosticP(_Params):
    range: RangeP
    message: str = Field(max_length=100_000)
    severity: int | None = None
    source: str | None = None
    code: int | str | None = None


class _Message(_Params):
    message: str = Field(max_length=_MAX_TEXT)

    @field_validator("message")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("expected a non-empty string")
        return value


class ChatParams(_Message):
    session_id: str | None = Field(None, max_length=200)
    text_document: TextDocumentP | None = None
    range: RangeP | None = None
    position: PositionP | None = None
    diagnostics: list[DiagnosticP] | None = Field(None, max_length=1000)
    workspace_folder: str | None = Field(None, max_length=8192)
    partial_result_token: int | str | None = None
    #: "ask" (read-only tools) or "agent" (edits and commands under review); default: the
    #: ``defaultChatMode`` setting
    mode: Literal["ask", "agent"] | None = None


class CommandsParams(_Params):
    """``victor/commands/list|allow|remove``."""

    workspace_folder: str | None = Field(None, max_length=8192)
    command: list[str] | None = Field(None, min_length=1, max_length=200)

    @field_validator("command")
    @classmethod
    def _argv(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not all(arg and "\0" not in arg for arg in value):
            raise ValueError("expected non-empty strings without NUL characters")
        return value


class GenerateParams(_Params):
    text_document: TextDocumentP
    instruction: str = Field(min_length=1, max_length=_MAX_TEXT)
    range: RangeP | None = None
    position: PositionP | None = None
    session_id: str | None = Field(None, max_length=200)
    partial_result_token: int | str | None = None


class FolderParams(_Params):
    workspace_folder: str | None = Field(None, max_length=8192)


class NewSessionParams(FolderParams):
    title: str | None = Field(None, max_length=500)


class SessionParams(_Params):
    session_id: str = Field(min_length=1, max_length=200)


class SystemPromptParams(_Params):
    text_document: TextDocumentP | None = None
    range: RangeP | None = None
    position: PositionP | None = None
    session_id: str | None = Field(None, max_length=200)
    workspace_folder: str | None = Field(None, max_length=8192)


class StatusParams(_Params):
    """``victor/status`` takes no fields; the params must still be absent or an object."""


class RunActionArgs(_Params):
    action: Literal["explain", "refactor", "docstring", "fix", "generate"]
    uri: str = Field(min_length=1, max_length=8192)
    range: RangeP
    diagnostic: DiagnosticP | None = None


M = TypeVar("M", bound=BaseModel)


def parse(model: type[M], raw: Any) -> M:
    """Validate ``raw`` (a dict from the wire; None means no params) or raise InvalidParams.

    An empty array counts as no params too: Neovim's Lua client encodes ``{}`` as ``[]``.
    """
    if raw is None or raw == []:
        raw = {}
    if not isinstance(raw, dict):
        raise JsonRpcInvalidParams(f"params: expected an object, got {_kind(raw)}")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise JsonRpcInvalidParams(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        field = ".".join(str(p) for p in err["loc"]) or "params"
        msg = err["msg"]
        if err["type"] == "missing":
            msg = "required"
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


class SetTrustParams(_Params):
    """``victor/setTrust``: the client's word on a folder's workspace trust."""

    trusted: StrictBool
    #: the folder it applies to; absent: every folder (VS Code trusts a whole window)
    workspace_folder: str | None = Field(None, min_length=1, max_length=8192)
