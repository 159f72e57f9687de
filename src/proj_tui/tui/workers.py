"""One route for worker failures, from any screen or widget to the app's error modal.

Textual 8 posts ``Worker.StateChanged`` to the worker's *node* only (it does not bubble), so a
``@work`` method on a screen or widget that nobody watches fails silently. Every node that owns
workers mixes in :class:`ReportsWorkerErrors`; its handler posts a :class:`WorkerFailure` to the
app (the app's own workers reach it directly), which opens the modal. A node that wants to say
something of its own about a failure overrides :meth:`worker_failed` and returns True to keep the
modal away (e.g. "no ETA" is a toast, not a dialog).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from textual.message import Message
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.dom import DOMNode


@dataclass
class WorkerFailure(Message):
    """A screen's or widget's worker failed: the app shows its error (file and line if any)."""

    worker: Worker[Any]


class ReportsWorkerErrors:
    """Mixin for a ``Screen`` or ``Widget`` with workers: their failures reach the error modal."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        if not self.worker_failed(event.worker):
            cast("DOMNode", self).app.post_message(WorkerFailure(event.worker))

    def worker_failed(self, worker: Worker[Any]) -> bool:
        """Hook for a node's own reaction to a failure; True means it was shown already."""
        return False


__all__ = ["ReportsWorkerErrors", "WorkerFailure"]
