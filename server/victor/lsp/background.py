"""Work that outlives its request, shown with work-done progress the user can cancel.

``workspace/executeCommand`` must answer at once: clients wait for it synchronously (eglot
freezes Emacs and gives up after 10 s, and never cancels), and pygls does not cancel command
coroutines anyway. A command therefore starts its work here and returns; the work reports
through ``window/workDoneProgress/create`` + ``$/progress`` (begin, report, end) when the client
supports it, stops when the client sends ``window/workDoneProgress/cancel``, and delivers its
result by itself (``workspace/applyEdit``, ``victor/explanation``). Failures are shown to the
user (``window/showMessage``) and never reach the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

if TYPE_CHECKING:
    from victor.lsp.server import VictorServer

log = logging.getLogger(__name__)

#: how long to wait for the client to accept a progress token before going on without one
CREATE_TIMEOUT_SECONDS = 5.0

Report = Callable[[str], None]
Work = Callable[[Report], Awaitable[str]]


class BackgroundWork:
    """The tasks started by commands; held here so they are not garbage-collected."""

    def __init__(self, ls: VictorServer) -> None:
        self.ls = ls
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, title: str, work: Work) -> str:
        """Run ``work`` in the background; returns the progress token it reports on.

        ``work`` gets a ``report(message)`` function and returns the message shown when it
        ends. Cancelling (from the client) raises CancelledError inside ``work``."""
        token = f"victor-{uuid.uuid4().hex}"
        task = asyncio.ensure_future(self._run(token, title, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return token

    async def cancel_all(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self, token: str, title: str, work: Work) -> None:
        from victor.lsp.errors import to_jsonrpc

        ls = self.ls
        progress = await self._create(token)
        this = asyncio.current_task()
        assert this is not None

        def report(message: str) -> None:
            if progress:
                ls.work_done_progress.report(token, types.WorkDoneProgressReport(message=message))

        end_message = "Cancelled"
        try:
            if progress:
                ls.work_done_progress.begin(
                    token, types.WorkDoneProgressBegin(title=title, cancellable=True)
                )
                self._cancel_on_request(token, this)
            end_message = await work(report)
        except asyncio.CancelledError:
            log.debug("%s: cancelled by the client", title)
        except Exception as exc:
            error = to_jsonrpc(exc)  # logs anything unexpected
            end_message = f"Failed: {error.message}"
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Error, message=f"{title} failed: {error.message}"
                )
            )
        finally:
            if progress:
                ls.work_done_progress.end(token, types.WorkDoneProgressEnd(message=end_message))
                ls.work_done_progress.tokens.pop(token, None)

    async def _create(self, token: str) -> bool:
        """Ask the client for a progress token: True once it accepted it."""
        window = self.ls.client_capabilities.window
        if window is None or not window.work_done_progress:
            return False
        try:
            await asyncio.wait_for(
                self.ls.work_done_progress.create_async(token), CREATE_TIMEOUT_SECONDS
            )
        except Exception as exc:  # a client that refuses still gets the result
            log.debug("window/workDoneProgress/create failed: %s", exc)
            return False
        return True

    def _cancel_on_request(self, token: str, task: asyncio.Task[Any]) -> None:
        """pygls cancels the token's future on ``window/workDoneProgress/cancel``."""
        cancelled = self.ls.work_done_progress.tokens.get(token)
        if cancelled is None:
            return
        loop = asyncio.get_running_loop()

        def on_done(future: Any) -> None:
            if future.cancelled():
                loop.call_soon_threadsafe(task.cancel)

        cancelled.add_done_callback(on_done)
