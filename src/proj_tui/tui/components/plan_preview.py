"""Which nodes a run with the chosen pipeline and filters would execute, in order."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.markup import escape
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from proj_tui.tui.model import NodeInfo, RunFilters

if TYPE_CHECKING:
    from proj_tui.tui.reload_model import StaleInfo


class PlanPreview(OptionList):
    """The run plan; its border title says how many nodes of the pipeline run."""

    def show_loading(self, pipeline: str) -> None:
        """Before the pipelines are described: no count, and no "the pipeline has no nodes"."""
        self.border_title = f"Plan · {pipeline}"
        self.border_subtitle = ""
        self.clear_options()
        self.add_option(Option("[dim]Loading the pipelines…[/dim]", disabled=True))

    def show(
        self,
        pipeline: str,
        planned: list[NodeInfo],
        total: int,
        filters: RunFilters,
        stale: StaleInfo | None = None,
    ) -> None:
        self.border_title = f"Plan · {pipeline} · {len(planned)} of {total} nodes"
        self.border_subtitle = filters.describe()
        self.clear_options()
        if not planned:
            why = "no node matches the filters" if total else "the pipeline has no nodes"
            self.add_option(Option(f"[dim]Nothing to run: {why}.[/dim]", disabled=True))
            return
        width = len(str(len(planned)))
        self.add_options(
            Option(
                f"[dim]{i:>{width}}.[/dim] {escape(n.name)}"
                + (f" [dim]#{' #'.join(escape(t) for t in n.tags)}[/dim]" if n.tags else "")
                + _stale_mark(stale, pipeline, n.name),
                id=f"plan-{i}",
            )
            for i, n in enumerate(planned, 1)
        )


def _stale_mark(stale: StaleInfo | None, pipeline: str, name: str) -> str:
    why = stale.marker(name) if stale is not None and stale.pipeline == pipeline else None
    return f" [b yellow]● stale[/] [yellow]{escape(why)}[/]" if why else ""
