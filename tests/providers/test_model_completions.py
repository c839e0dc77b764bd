"""The local model server's /v1/completions speaks (and checks) the real wire format."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.model_server import ModelServer, Reply


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"prompt": "x"}, "model"),
        ({"model": "m"}, "prompt"),
        ({"model": "m", "prompt": "x", "messages": []}, "Unrecognized request argument"),
        ({"model": "m", "prompt": "x", "stop": ["a", "b", "c", "d", "e"]}, "stop"),
        ({"model": "m", "prompt": "x", "max_tokens": "10"}, "max_tokens"),
        ({"model": "m", "prompt": "x", "stream_options": {"include_usage": True}}, "stream"),
    ],
)
def test_invalid_requests_get_a_400_naming_the_problem(
    model_server: ModelServer, body: dict, says: str
) -> None:
    response = httpx.post(model_server.url + "/v1/completions", json=body)
    assert response.status_code == 400
    assert says in response.json()["error"]["message"]


def test_json_answer_has_the_text_completion_shape(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="return a + b\n\nprint(1)"))
    body = {"model": "m", "prompt": "def f(a, b):\n    ", "suffix": "\n", "stop": ["\n\n"]}
    payload = httpx.post(model_server.url + "/v1/completions", json=body).json()
    assert payload["object"] == "text_completion"
    assert payload["choices"][0]["text"] == "return a + b"  # cut at the stop sequence
    assert payload["choices"][0]["finish_reason"] == "stop"
    assert payload["usage"]["total_tokens"] > 0
    assert model_server.requests[0].body["suffix"] == "\n"


def test_streamed_answer_is_sse_ending_with_done(model_server: ModelServer) -> None:
    model_server.enqueue(Reply(text="a b c"))
    body = {"model": "m", "prompt": "x", "stream": True}
    with httpx.stream("POST", model_server.url + "/v1/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line[6:]) for line in lines[:-1]]
    assert "".join(c["choices"][0]["text"] for c in chunks) == "a b c"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
