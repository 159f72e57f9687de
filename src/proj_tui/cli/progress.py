"""A Rich progress bar for ``proj-tui run`` in a terminal; log lines scroll above it."""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from proj_tui.framework.events import Event, NodeFailed, NodeFinished, NodeStarted, SessionStarted


class RichProgress:
    """Session listener that drives a progress bar and prints logs through Rich."""

    def __init__(self) -> None:
        self.console = Console(stderr=True)
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[current]}"),
            console=self.console,
            transient=True,
        )
        self._task: Any = None
        self.handler = RichHandler(console=self.console, show_path=False, markup=False)
        self.handler.setLevel(logging.INFO)
        self._running: set[str] = set()

    def __enter__(self) -> RichProgress:
        logging.getLogger().addHandler(self.handler)
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()
        logging.getLogger().removeHandler(self.handler)

    def on_event(self, event: Event) -> None:
        if isinstance(event, SessionStarted):
            self._task = self.progress.add_task(event.pipeline, total=len(event.nodes), current="")
        elif self._task is None:
            return
        elif isinstance(event, NodeStarted):
            self._running.add(event.node)
            self.progress.update(self._task, current=", ".join(sorted(self._running)))
        elif isinstance(event, (NodeFinished, NodeFailed)):
            self._running.discard(event.node)
            self.progress.update(
                self._task,
                advance=1 if isinstance(event, NodeFinished) else 0,
                current=", ".join(sorted(self._running)),
            )
