"""A session's node timeline: one bar per node on a shared time axis.

Each bar starts where the node started and is as long as it ran, relative to the whole session, so
the slow node and the idle gaps are visible at a glance; a failed node is drawn in the error colour
and marked ✗, nodes that did not run (``not_run``, ``skipped``) have no bar but say so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.widget import Widget

from proj_tui.tui.components.history_table import STATUS_VARS, fmt_duration
from proj_tui.tui.themes import theme_colour

if TYPE_CHECKING:
    from proj_tui.framework.store import NodeRun

_MARKS = {"failed": "✗", "succeeded": "✓", "running": "…", "not_run": "·", "skipped": "↷"}


class Timeline(Widget):
    """Renders the node runs given to :meth:`show`; re-renders to the width it gets."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.nodes: list[NodeRun] = []

    def show(self, nodes: list[NodeRun]) -> None:
        self.nodes = list(nodes)
        self.styles.height = len(self.nodes) + 2 if self.nodes else 1
        self.refresh(layout=True)

    def render(self) -> Text:
        if not self.nodes:
            return Text("No node runs were recorded for this session.", style="italic")
        timed = [n for n in self.nodes if n.started_at is not None]
        start = min((n.started_at for n in timed if n.started_at is not None), default=0.0)
        end = max(
            (n.ended_at or n.started_at or start for n in timed),
            default=start,
        )
        span = max(end - start, 1e-9)
        name_w = min(max(len(n.name) for n in self.nodes), 36)
        tail_w = 22  # "│   12.3s  ✓ succeeded"
        width = self.size.width
        bar_w = max(10, width - name_w - 2 - tail_w)
        out = Text(no_wrap=True, overflow="ellipsis")
        axis = f"0s{'':>{bar_w - 2 - len(fmt_duration(span))}}{fmt_duration(end - start)}"
        out.append(f"{'node':<{name_w}} │{axis}│\n", style="bold")
        for node in self.nodes:
            colour = theme_colour(self.app, STATUS_VARS.get(node.status, ""))
            out.append(f"{node.name[:name_w]:<{name_w}} │")
            if node.started_at is None:
                label = node.status.replace("_", " ")
                out.append(f"{'':<{bar_w}}", style="dim")
                duration = "—"
                out.append("│")
                out.append(f" {duration:>7}  {_MARKS.get(node.status, '?')} {label}\n", style="dim")
                continue
            node_end = node.ended_at if node.ended_at is not None else end
            first = int((node.started_at - start) / span * bar_w)
            length = max(1, round((node_end - node.started_at) / span * bar_w))
            first = min(first, bar_w - 1)
            length = min(length, bar_w - first)
            out.append(" " * first)
            out.append("█" * length, style=colour)
            out.append(" " * (bar_w - first - length))
            out.append("│")
            took = fmt_duration(node_end - node.started_at) if node.ended_at else "…"
            mark = _MARKS.get(node.status, "?")
            out.append(f" {took:>7}  ")
            out.append(f"{mark} {node.status}", style=colour + (" bold" if colour else ""))
            room = width - (name_w + 2 + bar_w + 1 + 10 + 2 + len(node.status)) - 2
            if node.error and room > 8:
                error = node.error if len(node.error) <= room else node.error[: room - 1] + "…"
                out.append(f"  {error}", style=colour)
            out.append("\n")
        out.rstrip()
        return out
