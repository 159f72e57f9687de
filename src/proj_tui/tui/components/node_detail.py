"""The selected node's inputs, outputs, tags, namespace, function and source location.

A value too long for the pane (a dotted function path, a source file deep in the package) goes on
the lines under its label, broken after a ``.``, ``/`` or ``, `` rather than inside a name, so at
80 columns the whole ``file:line`` stays readable.
"""

from __future__ import annotations

import re
from pathlib import Path

from textual import events
from textual.markup import escape
from textual.widgets import Static

from proj_tui.tui.model import NodeInfo

LABEL_WIDTH = 11  # "namespace  "
_BREAKS = re.compile(r"(?<=[./])|(?<=, )")


def fold(value: str, width: int) -> list[str]:
    """``value`` in lines of at most ``width`` characters, broken after . / or ", " where it can."""
    if width <= 0 or len(value) <= width:
        return [value]
    lines: list[str] = []
    line = ""
    for part in _BREAKS.split(value):
        while len(part) > width:  # one name longer than a line: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(part[:width])
            part = part[width:]
        if len(line) + len(part) > width:
            lines.append(line)
            line = part
        else:
            line += part
    if line:
        lines.append(line)
    return lines


class NodeDetail(Static):
    """Shows one node; paths are relative to the project so the view reads the same anywhere."""

    def __init__(self, content: str = "", *, id: str | None = None) -> None:
        super().__init__(content, id=id)
        self._shown: tuple[NodeInfo | None, Path, str | None] | None = None

    def show(self, node: NodeInfo | None, root: Path, pipeline: str | None = None) -> None:
        self._shown = (node, root, pipeline)
        if node is None:
            hint = (
                f"Pipeline [b]{escape(pipeline)}[/b]. " if pipeline else ""
            ) + "Select a node to see its inputs, outputs, tags and source."
            self.update(hint)
            return
        width = self.content_size.width
        rows = [
            ("inputs", ", ".join(node.inputs)),
            ("outputs", ", ".join(node.outputs)),
            ("tags", ", ".join(node.tags)),
            ("namespace", node.namespace or ""),
            ("function", node.func or ""),
            ("source", node.source_relative_to(root) or ""),
        ]
        lines = [f"[b]{escape(node.name)}[/b]"]
        for label, value in rows:
            lines += self._field(label, value, width)
        self.update("\n".join(lines))

    @staticmethod
    def _field(label: str, value: str, width: int) -> list[str]:
        head = f"[$text-muted]{label:<{LABEL_WIDTH}}[/]"
        if not value:
            return [head + "[dim]—[/dim]"]
        room = width - LABEL_WIDTH if width else 0
        if room <= 0 or len(value) <= room:
            return [head + escape(value)]
        # under the label, indented: a whole path is easier to read on its own lines
        lines = fold(value, max(8, width - 2))
        return [f"[$text-muted]{label}[/]", *(f"  {escape(line)}" for line in lines)]

    def on_resize(self, event: events.Resize) -> None:
        if self._shown is not None and self._shown[0] is not None:
            self.show(*self._shown)
