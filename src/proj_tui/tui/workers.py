"""One route for worker failures, from any screen or widget to the app's error modal.

Textual 8 posts ``Worker.StateChanged`` to the worker's *node* only (it does not bubble), so a
``@work`` method on a screen or widget that nobody watches fails silently. Every node that owns
workers mixes in :class:`ReportsWorkerErrors`; its handler forwards ``ERROR`` states to
``app.report_worker_error`` (the app's own workers reach that directly), which opens the modal.
A node that wants to say something of its own about a failure overrides :meth:`worker_failed`
and returns True to keep the modal away (e.g. "no ETA" is a toast, not a dialog).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from textual.app import App


def route_worker_error(app: App[Any], worker: Worker[Any]) -> None:
    """Hand a failed worker to the app's one error handler (or a toast on a plain ``App``)."""
    report = getattr(app, "report_worker_error", None)
    if report is not None:
        report(worker)
    else:  # pragma: no cover - every node lives in ProjTuiApp; a bare App still says something
        app.notify(f"{worker.description or worker.name}: {worker.error}", severity="error")


class ReportsWorkerErrors:
    """Mixin for a ``Screen`` or ``Widget`` with workers: their failures reach the error modal."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        event.stop()
        if not self.worker_failed(event.worker):
            route_worker_error(self.app, event.worker)  # type: ignore[attr-defined]

    def worker_failed(self, worker: Worker[Any]) -> bool:
        """Hook for a node's own reaction to a failure; True means it was shown already."""
        return False


__all__ = ["ReportsWorkerErrors", "route_worker_error"]
