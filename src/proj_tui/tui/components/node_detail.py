"""The selected node's inputs, outputs, tags, namespace, function and source location."""

from __future__ import annotations

from pathlib import Path

from textual.markup import escape
from textual.widgets import Static

from proj_tui.tui.model import NodeInfo


def _list(items: tuple[str, ...]) -> str:
    return ", ".join(escape(i) for i in items) if items else "[dim]—[/dim]"


class NodeDetail(Static):
    """Shows one node; paths are relative to the project so the view reads the same anywhere."""

    def show(self, node: NodeInfo | None, root: Path, pipeline: str | None = None) -> None:
        if node is None:
            hint = (
                f"Pipeline [b]{escape(pipeline)}[/b]. " if pipeline else ""
            ) + "Select a node to see its inputs, outputs, tags and source."
            self.update(hint)
            return
        lines = [
            f"[b]{escape(node.name)}[/b]",
            f"[$text-muted]inputs[/]     {_list(node.inputs)}",
            f"[$text-muted]outputs[/]    {_list(node.outputs)}",
            f"[$text-muted]tags[/]       {_list(node.tags)}",
            f"[$text-muted]namespace[/]  {escape(node.namespace) if node.namespace else '[dim]—[/dim]'}",
            f"[$text-muted]function[/]   {escape(node.func) or '[dim]—[/dim]'}",
            f"[$text-muted]source[/]     {escape(node.source_relative_to(root) or '—')}",
        ]
        self.update("\n".join(lines))
