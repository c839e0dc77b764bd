from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from victor.protocols import Message, ToolCall
from victor.storage import SessionStore

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
tool_calls = st.lists(
    st.builds(
        ToolCall,
        id=st.text(min_size=1, max_size=12),
        name=st.text(min_size=1, max_size=12),
        arguments=st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    ),
    max_size=2,
)
messages = st.builds(
    Message,
    role=st.sampled_from(["system", "user", "assistant", "tool"]),
    content=st.text(max_size=200),
    tool_calls=tool_calls,
    tool_call_id=st.none() | st.text(max_size=12),
    is_error=st.booleans(),
    pinned=st.booleans(),
    interrupted=st.booleans(),
    created_at=st.floats(min_value=0, max_value=4e9, allow_nan=False),
    metadata=st.dictionaries(st.text(max_size=10), json_values, max_size=4),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(messages, max_size=6))
def test_hypothesis_round_trip(batch: list[Message]) -> None:
    with SessionStore(":memory:") as store:
        sid = store.create_session().id
        store.append_messages(sid, batch)
        store.save_context(sid, batch, 0, None)
        assert store.transcript(sid) == batch
        assert store.load_context(sid)[: len(batch)] == batch


def test_floats_keep_sign_and_precision() -> None:
    with SessionStore(":memory:") as store:
        sid = store.create_session().id
        msg = Message(role="user", content="x", created_at=1.1e9 + 1e-7, metadata={"z": -0.0})
        store.append_messages(sid, [msg])
        (back,) = store.transcript(sid)
        assert back.created_at == msg.created_at
        assert math.copysign(1, back.metadata["z"]) == -1


def test_export_markdown() -> None:
    with SessionStore(":memory:") as store:
        sid = store.create_session("Parser questions").id
        store.append_messages(
            sid,
            [
                Message(role="user", content="What does parse() do?", created_at=0.0),
                Message(
                    role="assistant",
                    content="Reading it.",
                    tool_calls=[
                        ToolCall(id="toolu_1", name="read_file", arguments={"path": "p.py"})
                    ],
                ),
                Message(role="tool", content="1\tdef parse():\n```", tool_call_id="toolu_1"),
                Message(role="tool", content="boom", tool_call_id="toolu_2", is_error=True),
                Message(role="assistant", content="It parses", interrupted=True),
            ],
        )
        md = store.export_markdown(sid)
    assert md.startswith("# Parser questions\n")
    assert f"Session `{sid}`" in md and "created " in md and "5 messages" in md
    assert "### User · 1970-01-01T00:00:00Z" in md
    assert "**Tool call** `read_file` (`toolu_1`)" in md and '"path": "p.py"' in md
    assert "### Tool result (`toolu_1`)" in md
    assert "````\n1\tdef parse():\n```\n````" in md  # longer fence around backticks
    assert "### Tool result (`toolu_2`, error)" in md
    assert "*[interrupted: this answer was cut off before it finished]*" in md


def test_export_untitled_with_summary() -> None:
    with SessionStore(":memory:") as store:
        sid = store.create_session().id
        store.save_context(sid, [], 0, "We talked about X.")
        md = store.export_markdown(sid)
    assert md.startswith("# Untitled session")
    assert "## Summary of earlier conversation\n\nWe talked about X." in md
