"""Pydantic models of the seed API, kept apart from ``victor.protocols`` so that importing the
protocols (as the language server does at start-up) does not import pydantic.
``from victor.protocols import AnalyticsEvent`` still works (module ``__getattr__``)."""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, Field


class AnalyticsEvent(BaseModel):
    """One thing that happened in a session (chat start/end, tool call, compaction, error)."""

    session_id: str
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
    timestamp: float = Field(default_factory=time.time)
