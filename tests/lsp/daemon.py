"""Driving the real Victor daemon (``python -m victor`` over stdio) with a pytest-lsp client.

``start_daemon`` starts the server process against a local ``ModelServer`` and returns a
``Daemon``: the client, the model server, the workspace folders and helpers to send the
``victor/*`` requests, open and edit documents, and wait for things to happen.

The client keeps the JSON of custom results and notifications as plain dicts (pygls would
turn them into namedtuples), records ``$/progress`` partial results per token (pytest-lsp's
own handler only understands work-done progress), ``workspace/applyEdit`` requests (answered
``applied: true``) and the ``victor/*`` notifications.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from lsprotocol import converters, types
from pygls.exceptions import JsonRpcException
from pygls.protocol import JsonRPCNotification, JsonRPCRequestMessage, JsonRPCResponseMessage
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features
from pytest_lsp.protocol import LanguageClientProtocol

from tests.support.model_server import ModelServer

SERVER_COMMAND = [sys.executable, "-m", "victor"]
# Generous: CI and development machines are shared; a slow answer is not a wrong one.
REQUEST_TIMEOUT = 60.0
T = TypeVar("T")

# Environment variables that would change what the daemon talks to or where it stores data.
_SCRUBBED_PREFIXES = ("VICTOR_", "ANTHROPIC_", "OPENAI_")


def _raw_json_converter() -> Any:
    """lsprotocol's converter, but custom params/results stay plain JSON (dicts, lists)."""
    converter = converters.get_converter()

    def keep(obj: dict[str, Any], cls: type[Any]) -> Any:
        return cls(**obj)

    for message_type in (JsonRPCRequestMessage, JsonRPCResponseMessage, JsonRPCNotification):
        converter.register_structure_hook(message_type, keep)
    return converter


class VictorClientProtocol(LanguageClientProtocol):
    def get_result_type(self, method: str) -> type[Any] | None:
        # lsprotocol structures any code action that has a ``command`` as a bare Command
        # (its Command | CodeAction hook only looks for the key): keep those results raw.
        if method == types.TEXT_DOCUMENT_CODE_ACTION:
            return None
        return super().get_result_type(method)


class VictorClient(LanguageClient):
    """pytest-lsp's client plus records of what the Victor daemon sends."""

    def __init__(self, configuration: dict[str, Any] | None = None) -> None:
        super().__init__(
            configuration=configuration,
            converter_factory=_raw_json_converter,
            protocol_cls=VictorClientProtocol,
        )
        #: partial results (the ``value`` of each ``$/progress``) per token, in order
        self.partials: dict[Any, list[dict[str, Any]]] = {}
        #: custom notifications (``victor/contextUsage``, ``victor/explanation``) by method
        self.notifications: dict[str, list[Any]] = {}
        #: ``workspace/applyEdit`` params (as JSON) in order
        self.applied_edits: list[dict[str, Any]] = []
        #: ``workspace/configuration`` requests the server made (as JSON)
        self.configuration_requests: list[dict[str, Any]] = []
        #: how ``workspace/applyEdit`` is answered (default: applied) given its params
        self.apply_edit_answer: Callable[[dict[str, Any]], dict[str, Any]] | None = None
        #: ``victor/reviewChanges`` requests, and how they are answered (agent mode)
        self.review_requests: list[dict[str, Any]] = []
        self.review_answer: Callable[[dict[str, Any]], Any] | None = None
        #: ``window/showMessageRequest`` params (as JSON), and the title to answer with
        self.message_requests: list[dict[str, Any]] = []
        self.message_request_answer: Callable[[dict[str, Any]], str | None] | None = None


def _on_progress(client: VictorClient, params: types.ProgressParams) -> None:
    client.partials.setdefault(params.token, []).append(params.value)


def _on_apply_edit(
    client: VictorClient, params: types.ApplyWorkspaceEditParams
) -> types.ApplyWorkspaceEditResult:
    raw = client.protocol._converter.unstructure(params)
    client.applied_edits.append(raw)
    if client.apply_edit_answer is None:
        return types.ApplyWorkspaceEditResult(applied=True)
    answer = client.apply_edit_answer(raw)
    return types.ApplyWorkspaceEditResult(
        applied=answer["applied"], failure_reason=answer.get("failureReason")
    )


def _on_review_changes(client: VictorClient, params: Any) -> Any:
    client.review_requests.append(params)
    if client.review_answer is None:
        return {"results": [{"id": c["id"], "status": "accepted"} for c in params["changes"]]}
    return client.review_answer(params)


def _on_message_request(
    client: VictorClient, params: types.ShowMessageRequestParams
) -> types.MessageActionItem | None:
    raw = client.protocol._converter.unstructure(params)
    client.message_requests.append(raw)
    title = client.message_request_answer(raw) if client.message_request_answer else None
    return types.MessageActionItem(title=title) if title is not None else None


def _on_configuration(client: VictorClient, params: types.ConfigurationParams) -> list[Any]:
    client.configuration_requests.append(client.protocol._converter.unstructure(params))
    return [
        client.get_configuration(section=item.section, scope_uri=item.scope_uri)
        for item in params.items
    ]


def _recorder(method: str) -> Callable[[VictorClient, Any], None]:
    def record(client: VictorClient, params: Any) -> None:
        client.notifications.setdefault(method, []).append(params)

    return record


def make_client(configuration: dict[str, Any] | None) -> VictorClient:
    client = VictorClient(configuration)
    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.PROGRESS] = _on_progress
    features[types.WORKSPACE_APPLY_EDIT] = _on_apply_edit
    features[types.WORKSPACE_CONFIGURATION] = _on_configuration
    features["victor/reviewChanges"] = _on_review_changes
    features[types.WINDOW_SHOW_MESSAGE_REQUEST] = _on_message_request
    for method in ("victor/contextUsage", "victor/explanation"):
        features[method] = _recorder(method)
    register_lsp_features(client, features)
    return client


def client_capabilities(*, configuration: bool = True) -> types.ClientCapabilities:
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            apply_edit=True,
            workspace_edit=types.WorkspaceEditClientCapabilities(
                document_changes=True,
                resource_operations=[
                    types.ResourceOperationKind.Create,
                    types.ResourceOperationKind.Rename,
                    types.ResourceOperationKind.Delete,
                ],
                change_annotation_support=types.ChangeAnnotationsSupportOptions(
                    groups_on_label=True
                ),
            ),
            configuration=configuration,
            workspace_folders=True,
            did_change_configuration=types.DidChangeConfigurationClientCapabilities(
                dynamic_registration=False
            ),
        ),
        window=types.WindowClientCapabilities(work_done_progress=True),
        text_document=types.TextDocumentClientCapabilities(
            synchronization=types.TextDocumentSyncClientCapabilities(did_save=True),
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[
                            types.CodeActionKind.Empty,
                            types.CodeActionKind.QuickFix,
                            types.CodeActionKind.RefactorRewrite,
                        ]
                    )
                )
            ),
        ),
    )


def server_env(model_url: str, data_dir: Path, extra: dict[str, str] | None = None) -> dict:
    """os.environ (pytest-lsp's server_env would replace it) with the test's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES)}
    env.update(
        {
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": model_url,
            "VICTOR_DATA_DIR": str(data_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


def uri_of(path: Path) -> str:
    return path.resolve().as_uri()


@dataclass
class Daemon:
    client: VictorClient
    model: ModelServer
    folders: list[Path]
    data_dir: Path
    init_result: types.InitializeResult | None = None
    _versions: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ requests

    async def request(self, method: str, params: Any = None, timeout: float = REQUEST_TIMEOUT):
        """Send a request and return its (raw JSON) result; JSON-RPC errors raise."""
        return await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params), timeout
        )

    async def error_of(self, method: str, params: Any = None) -> JsonRpcException:
        """The JSON-RPC error a request answers with (fails the test if it succeeds)."""
        try:
            result = await self.request(method, params)
        except JsonRpcException as exc:
            return exc
        raise AssertionError(f"{method} {params!r} succeeded: {result!r}")

    async def chat(self, message: str, **fields: Any) -> dict[str, Any]:
        return await self.request("victor/chat", {"message": message, **fields})

    async def streamed(
        self, method: str, params: dict[str, Any], timeout: float = REQUEST_TIMEOUT
    ) -> tuple[dict[str, Any], list[dict[str, Any]], int]:
        """Send with a fresh partialResultToken: (result, partial results, how many of the
        partial results had arrived when the response was processed)."""
        token = f"partial-{uuid.uuid4().hex[:8]}"
        seen_at_response: list[int] = []
        future = self.client.protocol.send_request(method, {**params, "partialResultToken": token})
        future.add_done_callback(
            lambda _: seen_at_response.append(len(self.client.partials.get(token, [])))
        )
        result = await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        await asyncio.sleep(0.1)  # anything sent after the response would show up now
        return result, list(self.client.partials.get(token, [])), seen_at_response[0]

    def send(self, method: str, params: Any) -> tuple[str, asyncio.Future[Any]]:
        """Send a request without waiting: (message id, future of the result)."""
        msg_id = uuid.uuid4().hex
        future = self.client.protocol.send_request(method, params, msg_id=msg_id)
        return msg_id, asyncio.wrap_future(future)

    def cancel(self, msg_id: str) -> None:
        self.client.cancel_request(types.CancelParams(id=msg_id))

    # ------------------------------------------------------------------ documents

    def open(self, path: Path, text: str | None = None, language_id: str = "python") -> str:
        """didOpen ``path`` with ``text`` (default: its content on disk); returns the URI."""
        uri = uri_of(path)
        if text is None:
            text = path.read_text(encoding="utf-8")
        self._versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language_id, version=1, text=text
                )
            )
        )
        return uri

    def change(self, uri: str, text: str) -> None:
        """didChange replacing the whole (unsaved) text."""
        self._versions[uri] = self._versions.get(uri, 1) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self._versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def edit(self, uri: str, rng: types.Range, text: str) -> None:
        """didChange with one incremental edit."""
        self._versions[uri] = self._versions.get(uri, 1) + 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self._versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangePartial(range=rng, text=text)],
            )
        )

    # ------------------------------------------------------------------ model server

    def bodies(self) -> list[dict[str, Any]]:
        """JSON bodies of the chat requests the model server received, oldest first."""
        return [r.body for r in self.model.requests_to("/v1/messages") if r.body]

    def last_body(self) -> dict[str, Any]:
        bodies = self.bodies()
        assert bodies, "the model server received no /v1/messages request"
        return bodies[-1]

    # ------------------------------------------------------------------ lifecycle

    @property
    def folder_uris(self) -> list[str]:
        return [uri_of(f) for f in self.folders]

    async def stop(self) -> None:
        """shutdown + exit, then wait for the process (killed if it does not exit)."""
        client = self.client
        process = client._server
        try:
            await asyncio.wait_for(client.shutdown_session(), 10)
        except Exception:
            if process is not None and process.returncode is None:
                process.kill()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), 10)
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()

    @property
    def returncode(self) -> int | None:
        process = self.client._server
        return process.returncode if process is not None else None


async def start_daemon(
    model: ModelServer,
    folders: list[Path],
    data_dir: Path,
    *,
    init_options: dict[str, Any] | None = None,
    configuration: dict[str, Any] | None = None,
    supports_configuration: bool = True,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Daemon:
    client = make_client(configuration)
    await client.start_io(
        *SERVER_COMMAND,
        env=server_env(model.url, data_dir, env),
        cwd=str(cwd or data_dir),
    )
    daemon = Daemon(client=client, model=model, folders=list(folders), data_dir=data_dir)
    try:
        daemon.init_result = await asyncio.wait_for(
            client.initialize_session(
                types.InitializeParams(
                    capabilities=client_capabilities(configuration=supports_configuration),
                    workspace_folders=[
                        types.WorkspaceFolder(uri=uri_of(f), name=f.name) for f in folders
                    ],
                    root_uri=uri_of(folders[0]) if folders else None,
                    initialization_options=init_options,
                )
            ),
            REQUEST_TIMEOUT,
        )
    except BaseException:
        await daemon.stop()
        raise
    return daemon


async def eventually(
    check: Callable[[], Awaitable[T]], *, timeout: float = 30.0, interval: float = 0.1
) -> T:
    """Call ``check`` until it returns a truthy value (returned) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {timeout}s (last: {value!r})")
        await asyncio.sleep(interval)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def system_text(body: dict[str, Any]) -> str:
    """The system prompt of an Anthropic request body: a string, or text blocks that are
    consecutive pieces of it (a cached stable part, then the per-request part)."""
    system = body.get("system") or ""
    if isinstance(system, str):
        return system
    return "".join(block.get("text", "") for block in system)


def turn_text(body: dict[str, Any]) -> str:
    """The newest user message of an Anthropic request body: the turn's editor context (file
    text, cursor, selection, diagnostics) followed by the question."""
    return user_texts(body)[-1]


def user_texts(body: dict[str, Any]) -> list[str]:
    """The text of every user message of an Anthropic request body."""
    out = []
    for message in body.get("messages", []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            out.append(content)
        else:
            out.append("".join(b.get("text", "") for b in content if b.get("type") == "text"))
    return out
