"""Pipelines → nodes tree, filtered by the project screen's filter box."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.markup import escape
from textual.widgets import Tree

from proj_tui.tui.model import NodeInfo, ProjectDescription

if TYPE_CHECKING:
    from proj_tui.tui.reload_model import StaleInfo

TreeData = str | NodeInfo  # a pipeline name, or a node


class NodeTree(Tree[TreeData]):
    """One branch per pipeline, nodes in run order; the filter hides what does not match."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("pipelines", id=id)
        self.show_root = False
        self.guide_depth = 2

    def show(
        self,
        description: ProjectDescription | None,
        text: str,
        expand: str | None,
        stale: StaleInfo | None = None,
    ) -> None:
        """Rebuild from ``description`` keeping only nodes matching ``text`` (lower-case).

        Nodes of ``stale``'s pipeline that would rerun get a marker and the reason.
        """
        self.clear()
        if description is None:
            return
        for name in description.pipeline_names():
            nodes = [n for n in description.pipelines[name] if n.matches(text)]
            if text and not nodes:
                continue
            total = len(description.pipelines[name])
            count = f"{len(nodes)}/{total}" if text else str(total)
            branch = self.root.add(
                f"[b]{escape(name)}[/b] [dim]{count} node{'' if total == 1 else 's'}[/dim]",
                data=name,
                expand=bool(text) or name == expand,
            )
            for node in nodes:
                tags = (
                    f" [dim]#{' #'.join(escape(t) for t in node.tags)}[/dim]" if node.tags else ""
                )
                ns = f"[dim]{escape(node.namespace)}.[/dim]" if node.namespace else ""
                why = stale.marker(node.name) if stale and stale.pipeline == name else None
                mark = f" [b yellow]● stale[/] [yellow]{escape(why)}[/]" if why else ""
                branch.add_leaf(f"{ns}{escape(node.short_name)}{tags}{mark}", data=node)
        if text and not self.root.children:
            self.root.add_leaf(
                f"[dim]No node matches [b]{escape(text)}[/b] "
                "(it searches names, tags, datasets; tag:x, ds:y)[/dim]"
            )
        if self.root.children:
            self.cursor_line = 0

    @property
    def no_matches(self) -> bool:
        """Whether the tree shows the "no node matches" line instead of pipelines."""
        children = self.root.children
        return len(children) == 1 and children[0].data is None

    def select_named(self, pipeline: str | None, node: str | None) -> bool:
        """Put the cursor back on ``node`` of ``pipeline`` (after a rebuild), if it still exists."""
        for branch in self.root.children:
            if branch.data != pipeline:
                continue
            target = branch
            for leaf in branch.children:
                if isinstance(leaf.data, NodeInfo) and leaf.data.name == node:
                    branch.expand()
                    target = leaf
                    break
            self._refresh_layout()
            self.move_cursor(target)
            return target is not branch or node is None
        return False

    def _refresh_layout(self) -> None:
        """Lay the lines out now so node line numbers are known for the cursor."""
        self._tree_lines  # noqa: B018 - the property builds the lines and sets each node's line

    def pipeline_at_cursor(self) -> str | None:
        node = self.cursor_node
        while node is not None and not isinstance(node.data, str):
            node = node.parent
        return node.data if node is not None and isinstance(node.data, str) else None

    def node_at_cursor(self) -> NodeInfo | None:
        node = self.cursor_node
        return node.data if node is not None and isinstance(node.data, NodeInfo) else None
