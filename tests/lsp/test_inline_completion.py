"""textDocument/inlineCompletion end to end: the real daemon over stdio, the local model
server behind it (Anthropic Messages by default, OpenAI FIM where a test says so)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lsprotocol import types

from tests.lsp.conftest import StartDaemon, make_folder
from tests.lsp.daemon import Daemon, eventually, user_texts
from tests.support.model_server import ModelServer, Reply

METHOD = "textDocument/inlineCompletion"
# The first request of a daemon imports the model SDK and waits for the folder's style scan;
# on a loaded shared machine that alone has taken 30 s. Not a timing assertion: a bound.
FIRST = 120.0
CANARY = "sk-canary-9f3a1c77e2"

TWO_SPACE_SINGLE = """\
def greet(name):
  if name:
    return 'Hello, ' + name
  return 'Hello'


def farewell(name):
  message = 'Bye, ' + name
  return message


def add(a, b):
"""


def ws(tmp_path: Path, extra: dict[str, str] | None = None) -> Path:
    return make_folder(tmp_path / "proj", {"app.py": TWO_SPACE_SINGLE, **(extra or {})})


def params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(
            trigger_kind=types.InlineCompletionTriggerKind.Automatic
        ),
    )


def items(result: Any) -> list[types.InlineCompletionItem]:
    if isinstance(result, types.InlineCompletionList):
        return list(result.items)
    return list(result or [])


def texts(result: Any) -> list[str]:
    return [str(item.insert_text) for item in items(result)]


def model_requests(daemon: Daemon) -> list[Any]:
    return [
        r
        for r in daemon.model.requests
        if r.path in ("/v1/messages", "/v1/completions", "/v1/chat/completions")
    ]


async def test_capability_is_advertised(start: StartDaemon, tmp_path: Path) -> None:
    daemon = await start([ws(tmp_path)])
    assert daemon.init_result is not None
    assert daemon.init_result.capabilities.inline_completion_provider is not None


async def test_completion_comes_back_in_the_files_two_space_single_quote_style(
    start: StartDaemon, tmp_path: Path
) -> None:
    folder = ws(tmp_path)
    daemon = await start([folder])
    text = TWO_SPACE_SINGLE + "  "
    uri = daemon.open(folder / "app.py", text)
    # The model answers in its own habit: four spaces, double quotes.
    daemon.model.enqueue(
        Reply(
            text='<completion>total = a + b\n    if total > 10:\n        return "big"\n'
            '    return "small"\n</completion>'
        )
    )
    result = await daemon.request(METHOD, params(uri, 12, 2), timeout=FIRST)
    assert texts(result) == ["total = a + b\n  if total > 10:\n    return 'big'\n  return 'small'"]
    (item,) = items(result)
    cursor = types.Position(line=12, character=2)
    assert item.range == types.Range(start=cursor, end=cursor)
    body = daemon.last_body()
    prompt = user_texts(body)[-1]
    assert "indent 2 spaces per level" in prompt and "single quotes" in prompt
    assert "def add(a, b):\n  <|cursor|>" in prompt
    assert body["stop_sequences"] == ["</completion>"]


async def test_text_after_the_cursor_is_not_repeated(start: StartDaemon, tmp_path: Path) -> None:
    folder = ws(tmp_path)
    daemon = await start([folder])
    text = TWO_SPACE_SINGLE + "  \n\n\ndef sub(a, b):\n  return a - b\n"
    uri = daemon.open(folder / "app.py", text)
    daemon.model.enqueue(
        Reply(text="<completion>return a + b\n\n\ndef sub(a, b):\n  return a - b</completion>"),
        Reply(text="<completion>a, b))</completion>"),
    )
    result = await daemon.request(METHOD, params(uri, 12, 2), timeout=FIRST)
    assert texts(result) == ["return a + b"]
    daemon.change(uri, TWO_SPACE_SINGLE + "  return a + b\n\nprint(add())\n")
    result = await daemon.request(METHOD, params(uri, 14, 10), timeout=FIRST)  # print(add(|))
    assert texts(result) == ["a, b"]


async def _slow_request_in_flight(start: StartDaemon, tmp_path: Path) -> tuple[Any, str, Any]:
    """A daemon with app.py open and a completion request the model is slow to answer, sent
    and seen by the model server: (daemon, the document's URI, the pending response)."""
    folder = ws(tmp_path)
    daemon = await start([folder])
    uri = daemon.open(folder / "app.py", TWO_SPACE_SINGLE + "  ")
    daemon.model.enqueue(Reply(text="<completion>slow</completion>", delay=60.0))
    _, first = daemon.send(METHOD, params(uri, 12, 2))
    await eventually(lambda: _coro(model_requests(daemon)), timeout=FIRST)
    return daemon, uri, first


async def test_superseded_request_has_its_upstream_connection_closed(
    start: StartDaemon, tmp_path: Path
) -> None:
    daemon, uri, first = await _slow_request_in_flight(start, tmp_path)
    daemon.model.enqueue(Reply(text="<completion>turn a + b</completion>"))
    daemon.change(uri, TWO_SPACE_SINGLE + "  re")
    second = await daemon.request(METHOD, params(uri, 12, 4), timeout=FIRST)
    closed = await asyncio.to_thread(daemon.model.wait_for_client_close, 5.0)
    assert closed.index == model_requests(daemon)[0].index and not closed.completed
    assert texts(await asyncio.wait_for(first, 5)) == []
    assert texts(second) == ["turn a + b"]


async def test_a_keystroke_aborts_the_request_in_flight_before_any_new_request(
    start: StartDaemon, tmp_path: Path
) -> None:
    daemon, uri, first = await _slow_request_in_flight(start, tmp_path)
    daemon.change(uri, TWO_SPACE_SINGLE + "  r")  # no completion request follows
    closed = await asyncio.to_thread(daemon.model.wait_for_client_close, 10.0)
    assert closed.index == model_requests(daemon)[0].index and not closed.completed
    assert texts(await asyncio.wait_for(first, 10)) == []
    assert len(model_requests(daemon)) == 1


async def test_typing_through_a_suggestion_makes_no_new_model_request(
    start: StartDaemon, tmp_path: Path
) -> None:
    folder = ws(tmp_path)
    daemon = await start([folder])
    base = TWO_SPACE_SINGLE + "  "
    uri = daemon.open(folder / "app.py", base)
    daemon.model.enqueue(Reply(text="<completion>return a + b</completion>"))
    assert texts(await daemon.request(METHOD, params(uri, 12, 2), timeout=FIRST)) == [
        "return a + b"
    ]
    for typed in ("r", "re", "ret", "return a"):
        daemon.change(uri, base + typed)
        result = await daemon.request(METHOD, params(uri, 12, 2 + len(typed)))
        assert texts(result) == ["return a + b"[len(typed) :]]
    assert len(model_requests(daemon)) == 1
    # Typing something else than the suggestion asks the model again.
    daemon.model.enqueue(Reply(text="<completion>a - b</completion>"))
    daemon.change(uri, base + "return ")
    daemon.change(uri, base + "return (")
    assert texts(await daemon.request(METHOD, params(uri, 12, 10), timeout=FIRST)) == ["a - b"]
    assert len(model_requests(daemon)) == 2


async def test_disabled_language_gets_an_empty_answer(start: StartDaemon, tmp_path: Path) -> None:
    folder = ws(tmp_path, {"web.js": "function add(a, b) {\n  \n}\n"})
    daemon = await start(
        [folder], configuration={"": {"victor": {"inlineCompletionsDisabledLanguages": ["python"]}}}
    )
    py = daemon.open(folder / "app.py", TWO_SPACE_SINGLE + "  ")
    assert texts(await daemon.request(METHOD, params(py, 12, 2), timeout=FIRST)) == []
    assert model_requests(daemon) == []
    js = daemon.open(folder / "web.js", None, language_id="javascript")
    daemon.model.enqueue(Reply(text="<completion>return a + b;</completion>"))
    assert texts(await daemon.request(METHOD, params(js, 1, 2), timeout=FIRST)) == ["return a + b;"]


async def test_all_off_gets_an_empty_answer(start: StartDaemon, tmp_path: Path) -> None:
    folder = ws(tmp_path)
    daemon = await start([folder], configuration={"": {"victor": {"inlineCompletions": False}}})
    uri = daemon.open(folder / "app.py", TWO_SPACE_SINGLE + "  ")
    assert texts(await daemon.request(METHOD, params(uri, 12, 2), timeout=FIRST)) == []
    assert model_requests(daemon) == []


async def test_secret_files_never_reach_the_model(start: StartDaemon, tmp_path: Path) -> None:
    secret = f"API_KEY={CANARY}\nDEBUG=1\nadd = 1\n"
    folder = ws(tmp_path, {".env": secret, "config/credentials.json": "{}"})
    daemon = await start([folder])
    env_uri = daemon.open(folder / ".env", secret, language_id="dotenv")
    assert texts(await daemon.request(METHOD, params(env_uri, 1, 6), timeout=FIRST)) == []
    assert model_requests(daemon) == []
    # An open secret buffer is not "another open file" for a completion elsewhere either.
    uri = daemon.open(folder / "app.py", TWO_SPACE_SINGLE + "  ")
    daemon.model.enqueue(Reply(text="<completion>return a + b</completion>"))
    assert texts(await daemon.request(METHOD, params(uri, 12, 2), timeout=FIRST)) == [
        "return a + b"
    ]
    sent = [r.raw_body for r in model_requests(daemon)]
    assert sent and not any(CANARY in body for body in sent)


async def test_openai_compatible_server_gets_fill_in_the_middle(
    start: StartDaemon, tmp_path: Path, model_server: ModelServer
) -> None:
    folder = ws(tmp_path, {"util.py": "def add_numbers(a, b):\n  return a + b\n"})
    env = {"VICTOR_PROVIDER": "openai", "OPENAI_BASE_URL": f"{model_server.url}/v1"}
    daemon = await start(
        [folder], env=env, configuration={"": {"victor": {"completionModel": "qwen2.5-coder:1.5b"}}}
    )
    daemon.open(folder / "util.py")
    uri = daemon.open(folder / "app.py", TWO_SPACE_SINGLE + "  return add_numbers(")
    daemon.model.enqueue(Reply(text="a, b)"))
    assert texts(await daemon.request(METHOD, params(uri, 12, 21), timeout=FIRST)) == ["a, b)"]
    (request,) = model_requests(daemon)
    assert request.path == "/v1/completions"
    body = request.body
    assert body["model"] == "qwen2.5-coder:1.5b"
    assert body["prompt"].endswith("def add(a, b):\n  return add_numbers(")
    assert body["suffix"] == ""
    assert "# from util.py:\n# def add_numbers(a, b):" in body["prompt"]
    assert "# style: indent 2 spaces per level; single quotes" in body["prompt"]
    assert request.status == 200  # the server validated it as the real API would


async def _coro(value: Any) -> Any:
    return value
