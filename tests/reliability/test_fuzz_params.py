"""Property-based fuzzing of every custom method's params through one long-lived daemon.

Hypothesis sends each method (and ``workspace/executeCommand`` ``victor.runAction``) params of
the wrong types, nulls, huge and odd Unicode strings (astral characters, right-to-left text,
NUL; no lone surrogates, which are not valid UTF-8 on the wire), nested structures, unknown
session ids and plausible-but-wrong URIs and ranges. Every request must get a result or a
JSON-RPC error (never silence, never an internal error), and the daemon must stay up; after the
run it still answers ``victor/status``.

The tests at the end pin inputs that once got no response at all (structuring errors inside
pygls's json.loads object hook, nesting past the parser's limit) or an internal error.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.reliability.conftest import make_project
from tests.reliability.harness import Daemon, RpcError, size, uri_of
from tests.support.model_server import ModelServer

EXAMPLES = size(40, 300)
RESPONSE_TIMEOUT = 20.0
INTERNAL_ERROR = -32603
# Hypothesis avoids repeating an example: many real ids let it reach the success paths often
KNOWN_SESSIONS = 20

pytestmark = pytest.mark.timeout(size(240, 1800))

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    # no shrinking: a failing example is reported as found (shrinking through a 20 s timeout
    # per attempt would take longer than the rest of the suite)
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


# --------------------------------------------------------------------------- the daemon


class Target:
    """The shared daemon and what the strategies may point at."""

    daemon: Daemon
    workspace: Path
    outside: Path
    session_ids: list[str]


TARGET = Target()


@pytest.fixture(scope="module")
def fuzzed(module_model: ModelServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    root = tmp_path_factory.mktemp("fuzz")
    workspace = make_project(
        root / "proj",
        {"src/util.py": "def util():\n    return 42\n", "README.md": "# proj\n"},
    )
    (root / "outside.txt").write_text("outside\n")
    data = root / "data"
    data.mkdir()
    daemon = Daemon.start(module_model.url, data, [workspace], init_options={"requestTimeout": 5})
    daemon.open(workspace / "app.py", (workspace / "app.py").read_text())
    TARGET.daemon, TARGET.workspace, TARGET.outside = daemon, workspace, root / "outside.txt"
    TARGET.session_ids = [
        daemon.request("victor/sessions/new", {"title": f"s{i}"})["sessionId"]
        for i in range(KNOWN_SESSIONS)
    ]
    daemon.request("victor/chat", {"message": "seed", "sessionId": TARGET.session_ids[0]})
    yield daemon
    status = daemon.request("victor/status", {})  # still answering after everything
    assert status["workspaceFolders"] == [uri_of(workspace)]
    rss = daemon.rss_kb()
    print(f"fuzzed daemon: RSS {rss / 1024:.0f} MB, stderr {len(daemon.stderr_bytes)} bytes")
    daemon.stop_cleanly()


@pytest.fixture
def daemon(fuzzed: Daemon, module_model: ModelServer) -> Iterator[Daemon]:
    module_model.reset()
    # sessions deleted by an earlier test are replaced, so known ids keep reaching deep code
    listed = {s["id"] for s in fuzzed.request("victor/sessions/list", {})["sessions"]}
    TARGET.session_ids[:] = [sid for sid in TARGET.session_ids if sid in listed]
    while len(TARGET.session_ids) < KNOWN_SESSIONS:
        TARGET.session_ids.append(fuzzed.request("victor/sessions/new", {})["sessionId"])
    yield fuzzed
    assert fuzzed.alive, fuzzed.stderr_text()[-3000:]


# --------------------------------------------------------------------------- strategies

HUGE = "x" * 2_100_000  # over the 2M-character limit of message/instruction
ODD_STRINGS = [
    "",
    " ",
    "\t\n ",
    "\x00",
    "a\x00b",
    "\x00" * 1000,
    "\U0001f600\U0001f4a9\U00010348" * 50,  # astral characters (surrogate pairs in UTF-16)
    "\u202eevil\u202c \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627",  # RTL
    "\ufeffBOM",
    "\uffff\ufffe\ufffd",
    "e\u0301\u0301\u0301\u0301",  # stacked combining marks
    "\u2028\u2029\x85",  # line separators
    "\U000e0041\U000e0042",  # tag characters
    "../../../../etc/passwd",
    "/etc/passwd",
    "file:///etc/passwd",
    "file://",
    "file:///",
    "file:///%00",
    "file://remote-host/share/x.py",
    "untitled:Untitled-1",
    "vscode-notebook-cell:/x.ipynb#c1",
    "C:\\Windows\\win.ini",
    "%2e%2e%2f%2e%2e%2f",
    "\\\\?\\C:\\",
    "null",
    "{}",
    "x" * 100_000,
    "\n" * 50_000,
    "\U0001f600" * 100_000,
    HUGE,
]

text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=300),
    st.sampled_from(ODD_STRINGS),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def nested(depth: int) -> Any:
    value: Any = "bottom"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def mostly(valid: st.SearchStrategy[Any], odds: int = 3) -> st.SearchStrategy[Any]:
    """``odds`` times in ``odds + 1`` a well-formed value, else anything (wrong type, null,
    odd text)."""
    return st.one_of(*[valid] * odds, json_values)


def odd_ok_text(min_size: int = 1) -> st.SearchStrategy[str]:
    """Valid, non-blank text: any Unicode (astral, RTL, NUL ...) and some big ones."""
    return st.one_of(
        st.text(alphabet=st.characters(codec="utf-8"), min_size=min_size, max_size=200),
        st.sampled_from([s for s in ODD_STRINGS if s.strip() and len(s) <= 500_000]),
    ).filter(lambda s: len(s) >= min_size and (min_size == 0 or s.strip()))


small = st.integers(min_value=0, max_value=12)
ints = st.one_of(
    small,
    st.sampled_from([-1, 2**31, 2**31 - 1, 2**53, 10**7, 10**7 + 1, -(2**63)]),
    st.integers(min_value=-(2**70), max_value=2**70),
)


@st.composite
def uris(draw: st.DrawFn) -> Any:
    ws = TARGET.workspace
    inside = [uri_of(ws / "app.py"), uri_of(ws / "src" / "util.py"), uri_of(ws / "README.md")]
    odd = [
        uri_of(ws / "missing.py"),
        uri_of(ws / "src"),
        uri_of(ws),
        uri_of(TARGET.outside),
        uri_of(ws) + "/../outside.txt",
        uri_of(ws) + "/%2e%2e/outside.txt",
        uri_of(ws).upper(),
        uri_of(ws / "app.py") + "?query#frag",
        uri_of(ws / "app.py").replace("file://", "file://localhost"),
    ]
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(inside))
    return draw(st.sampled_from(odd) | text)


@st.composite
def session_ids(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 3)):
        return draw(st.sampled_from(TARGET.session_ids))
    return draw(text)


def field_strategies(wrong: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(required, optional) field strategies per method. ``wrong``: any field, at any depth,
    may be of the wrong type or null; else the shapes are right and the values odd."""

    def m(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(valid, json_values) if wrong else valid

    position = st.fixed_dictionaries({"line": m(ints), "character": m(ints)})
    ranges = st.fixed_dictionaries({"start": m(position), "end": m(position)})
    documents = st.fixed_dictionaries({"uri": m(uris())})
    folders = st.one_of(st.builds(lambda: uri_of(TARGET.workspace)), uris(), st.none())
    diagnostic = st.fixed_dictionaries(
        {"range": m(ranges), "message": m(odd_ok_text(0))},
        optional={"severity": m(st.integers(1, 4)), "source": m(text), "code": m(ints | text)},
    )
    message = odd_ok_text()
    required = {
        "victor/chat": {"message": message},
        "victor/generate": {"textDocument": documents, "instruction": message},
        "victor/sessions/get": {"sessionId": session_ids()},
        "victor/sessions/delete": {"sessionId": session_ids()},
        "victor/sessions/export": {"sessionId": session_ids()},
        "victor/compact": {"sessionId": session_ids()},
        RUN_ACTION: {"action": st.sampled_from(ACTIONS), "uri": uris(), "range": ranges},
    }
    optional = {
        "victor/chat": {
            "sessionId": session_ids(),
            "textDocument": documents,
            "range": ranges,
            "position": position,
            "diagnostics": st.lists(m(diagnostic), max_size=3),
            "workspaceFolder": folders,
            "partialResultToken": st.one_of(text, ints),
        },
        "victor/generate": {"range": ranges, "position": position, "sessionId": session_ids()},
        "victor/sessions/list": {"workspaceFolder": folders},
        "victor/sessions/new": {"workspaceFolder": folders, "title": odd_ok_text(0)},
        "victor/systemPrompt": {
            "textDocument": documents,
            "range": ranges,
            "position": position,
            "sessionId": session_ids(),
            "workspaceFolder": folders,
        },
        "victor/status": {},
        RUN_ACTION: {"diagnostic": diagnostic},
    }
    return (
        {k: {f: m(v) for f, v in fs.items()} for k, fs in required.items()},
        {k: {f: m(v) for f, v in fs.items()} for k, fs in optional.items()},
    )


RUN_ACTION = "victor.runAction"
ACTIONS = ["explain", "refactor", "docstring", "fix", "generate"]
METHODS = [
    "victor/chat",
    "victor/generate",
    "victor/sessions/list",
    "victor/sessions/new",
    "victor/sessions/get",
    "victor/sessions/delete",
    "victor/sessions/export",
    "victor/compact",
    "victor/systemPrompt",
    "victor/status",
]


def params_for(method: str, wrong: bool) -> st.SearchStrategy[Any]:
    required, optional = field_strategies(wrong)
    obj = st.fixed_dictionaries(required.get(method, {}), optional=optional.get(method, {}))
    if not wrong:
        return obj
    every = {**required.get(method, {}), **optional.get(method, {})}
    dropped = st.fixed_dictionaries({}, optional=every)
    extra = st.builds(
        lambda d, e: {**e, **d}, obj, st.dictionaries(st.text(max_size=8), json_values, max_size=2)
    )
    return st.one_of(obj, dropped, extra, json_values)


@st.composite
def run_action_params(draw: st.DrawFn, wrong: bool) -> dict[str, Any]:
    arg = draw(params_for(RUN_ACTION, wrong))
    arguments: Any = [arg]
    if wrong:
        # ``arguments`` of any JSON type (the wrong ones must get InvalidParams)
        arguments = draw(
            st.one_of(
                st.just([arg]),
                st.lists(json_values, max_size=3),
                st.just(None),
                text,
                st.dictionaries(st.text(max_size=5), json_values, max_size=2),
                json_values,
            )
        )
    params: dict[str, Any] = {"command": RUN_ACTION}
    if arguments is not None:
        params["arguments"] = arguments
    return params


# --------------------------------------------------------------------------- the property

#: internal errors tolerated while fuzzing (patterns of their messages): none any more
KNOWN_INTERNAL: list[tuple[str, re.Pattern[str]]] = []


#: internal errors (-32603) seen while fuzzing: (method, params, message)
INTERNAL: list[tuple[str, str, str]] = []


def answered(daemon: Daemon, method: str, params: Any, *, raw: bytes | None = None) -> Any:
    """Send; the request must get a result or a JSON-RPC error. Internal errors (an exception
    the server did not expect) are collected and judged by the last test of the module."""
    shown = raw[:200] if raw is not None else repr(params)[:500]
    try:
        result = daemon.request(method, params, raw_params=raw, timeout=RESPONSE_TIMEOUT)
    except RpcError as exc:
        assert isinstance(exc.code, int), f"{method} {shown}: error without a code"
        assert isinstance(exc.message, str) and exc.message
        if exc.code == INTERNAL_ERROR:
            INTERNAL.append((method, str(shown), exc.message))
        return exc
    except TimeoutError:
        raise AssertionError(
            f"{method} {shown}: no response in {RESPONSE_TIMEOUT}s; daemon alive: "
            f"{daemon.alive}; stderr tail: {daemon.stderr_text()[-1500:]}"
        ) from None
    assert daemon.alive
    return result


SHAPES = {"odd values": False, "wrong types": True}


def fuzz(daemon: Daemon, method: str, strategy: st.SearchStrategy[Any]) -> None:
    outcomes: Counter[str] = Counter()
    wire = "workspace/executeCommand" if method == RUN_ACTION else method

    @FUZZ_SETTINGS
    @given(params=strategy)
    def run(params: Any) -> None:
        outcome = answered(daemon, wire, params)
        outcomes[f"error {outcome.code}" if isinstance(outcome, RpcError) else "result"] += 1

    run()
    print(f"{method}: {dict(outcomes)}")


@pytest.mark.parametrize("shape", list(SHAPES))
@pytest.mark.parametrize("method", METHODS)
def test_fuzzed_params_always_get_a_result_or_an_error(
    daemon: Daemon, method: str, shape: str
) -> None:
    fuzz(daemon, method, params_for(method, SHAPES[shape]))


@pytest.mark.parametrize("shape", list(SHAPES))
def test_fuzzed_run_action_arguments_always_get_a_result_or_an_error(
    daemon: Daemon, shape: str
) -> None:
    fuzz(daemon, RUN_ACTION, run_action_params(SHAPES[shape]))
    # the client never applied anything: the workspace is as the fixture wrote it
    assert (TARGET.workspace / "app.py").read_text().startswith("def greet(name):")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("depth", [10, 200, 900])
def test_deeply_nested_params_get_an_answer(daemon: Daemon, method: str, depth: int) -> None:
    required, optional = field_strategies(False)
    field = next(iter({**required.get(method, {}), **optional.get(method, {})}), "verbose")
    answered(daemon, method, {field: nested(depth)})


def test_fuzz_left_the_daemon_serving(daemon: Daemon) -> None:
    result = answered(daemon, "victor/chat", {"message": "after the fuzzing"})
    assert result["content"] == "Echo: after the fuzzing"
    print(f"daemon RSS after fuzzing: {daemon.rss_kb() / 1024:.0f} MB")
    for method, params, message in INTERNAL:
        print(f"internal error: {method} {params[:300]} -> {message}")
    unknown = [
        (method, params, message)
        for method, params, message in INTERNAL
        if not any(method == m and p.search(message) for m, p in KNOWN_INTERNAL)
    ]
    assert unknown == [], "internal errors (-32603) on bad input: " + repr(unknown[:3])


# --------------------------------------------------------------------------- once-silent inputs


def no_response_within(
    daemon: Daemon, method: str, params: Any = None, *, raw: bytes | None = None
) -> Any:
    """The request's response (result or error), or a parse error for it (id null)."""
    before = len(daemon.received)
    try:
        return daemon.request(method, params, raw_params=raw, timeout=3)
    except RpcError as exc:
        return exc
    except TimeoutError:
        late = [m for m in daemon.received[before:] if m.get("id") is None and "error" in m]
        assert late, f"{method}: no response, not even a parse error (id null)"
        return late[0]
    finally:
        assert daemon.alive


@pytest.mark.parametrize(
    "params",
    [
        "not an object",
        {"command": "victor.runAction", "arguments": 5},
        {"command": "victor.runAction", "arguments": True},
    ],
    ids=["string", "int-arguments", "bool-arguments"],
)
def test_execute_command_with_ill_typed_params_gets_an_error(daemon: Daemon, params: Any) -> None:
    no_response_within(daemon, "workspace/executeCommand", params)


@pytest.mark.parametrize(
    "nested_message",
    [
        {"jsonrpc": "2.0", "id": 1, "error": 5},
        {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": 3},
    ],
    ids=["error-shaped", "notification-shaped"],
)
def test_params_containing_a_jsonrpc_shaped_object_get_an_answer(
    daemon: Daemon, nested_message: dict[str, Any]
) -> None:
    no_response_within(daemon, "victor/chat", {"message": "hi", "extra": nested_message})


def test_nesting_deeper_than_the_parser_allows_gets_a_parse_error(daemon: Daemon) -> None:
    depth = 5000
    raw = json.dumps({"message": "__"}).replace('"__"', "[" * depth + "]" * depth).encode()
    no_response_within(daemon, "victor/chat", raw=raw)


@pytest.mark.parametrize("name", ["missing.py", "src"])
def test_explain_action_on_an_unreadable_uri_is_invalid_params(daemon: Daemon, name: str) -> None:
    params = {
        "command": RUN_ACTION,
        "arguments": [
            {
                "action": "explain",
                "uri": uri_of(TARGET.workspace / name),
                "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
            }
        ],
    }
    with pytest.raises(RpcError) as info:
        daemon.request("workspace/executeCommand", params, timeout=RESPONSE_TIMEOUT)
    assert info.value.code == -32602, info.value.message
