"""``SequentialRunner``: one node after another in topological order, in this thread."""

from __future__ import annotations

from proj_tui.runner.base import AbstractRunner, _Run


class SequentialRunner(AbstractRunner):
    """The default runner: predictable order, no pickling, the least overhead per node."""

    def __repr__(self) -> str:
        return "SequentialRunner()"

    def _run(self, run: _Run) -> None:
        execute = run.execute
        cancel = run.cancel
        for i in range(run.total):
            if cancel is not None and cancel.is_set():
                raise self._cancelled_error(run)
            execute(i)
