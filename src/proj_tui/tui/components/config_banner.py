"""A persistent banner for a config file that does not load (a toast alone is too easy to miss).

It follows the app's state by itself, so a screen only has to yield it: shown with the file,
line, column and message while ``state.config_error`` is set, hidden again once the file loads.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from proj_tui.tui.state import Topic, app_state


class ConfigBanner(Static):
    """``✗ conf/base/parameters.yml:3:7 — …`` while the last good config is what you see."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, classes="config-banner")

    def on_mount(self) -> None:
        app_state(self).subscribe(self, self._changed)
        self.sync()

    def _changed(self, what: Topic) -> None:
        if what in ("config-error", "params", "params-reload", "project"):
            self.sync()

    def sync(self) -> None:
        problem = app_state(self).config_error
        self.display = problem is not None
        if problem is None:
            self.update("")
            return
        self.update(
            Content.from_markup(
                "[b]✗ Config error[/b] [b]$where[/b]\n$message\n"
                "[i]Showing the last good config until the file is fixed.[/i]",
                where=problem.location or "",
                message=problem.message,
            )
        )
