"""Project screen: browse pipelines and nodes, filter them, and preview the run plan."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Header, Input, Static, Tree

from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.node_detail import NodeDetail
from proj_tui.tui.components.node_tree import NodeTree, TreeData
from proj_tui.tui.components.plan_preview import PlanPreview
from proj_tui.tui.messages import (
    DescribeRequested,
    FiltersChosen,
    FilterToggled,
    PipelineChosen,
    StaleCheckRequested,
)
from proj_tui.tui.model import NodeInfo, RunFilters
from proj_tui.tui.screens.mode_screen import ModeScreen
from proj_tui.tui.state import app_state

if TYPE_CHECKING:
    from proj_tui.tui.state import AppState, Topic


class ProjectScreen(ModeScreen):
    """Pipelines → nodes, the selected node, and what a run would execute."""

    SUB_TITLE = "Project"
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="project.filter"),
        Binding(
            "t",
            "filter_tags",
            "Tags",
            id="project.tag_filter",
            tooltip="Toggle the selected node's tags as a run filter",
        ),
        Binding(
            "n",
            "filter_node",
            "Node",
            id="project.node_filter",
            tooltip="Toggle the selected node in the run's --nodes",
        ),
        Binding(
            "s",
            "filter_namespace",
            "NS",
            id="project.namespace_filter",
            tooltip="Toggle the selected node's namespace as a run filter",
        ),
        Binding(
            "f",
            "filter_from",
            "From",
            id="project.from_filter",
            tooltip="Toggle --from-nodes with the selected node",
        ),
        Binding(
            "o",
            "filter_to",
            "To",
            id="project.to_filter",
            tooltip="Toggle --to-nodes with the selected node",
        ),
        Binding("x", "clear_filters", "Clear", id="project.clear_filters"),
        Binding(
            "R",
            "reload",
            "Reload",
            show=False,  # live reload does this by itself; kept on the key, in help and palette
            id="project.reload",
            tooltip="Describe the pipelines again (re-imports edited code)",
        ),
        Binding(
            "S",
            "app.run_stale",
            "Run stale",
            id="project.run_stale",
            tooltip="Run the stale nodes (changed since the last succeeded run) and what depends on them",
        ),
        Binding(
            "c",
            "config_view",
            "Config",
            id="project.config",
            tooltip="Where each config value is set (blame), and envs side by side",
        ),
        Binding("escape", "focus_tree", "Tree", show=False, id="project.focus_tree"),
    ]

    @property
    def shared(self) -> AppState:
        return app_state(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigBanner(id="project-config-banner")
        with Horizontal(id="project-body"):
            with Vertical(id="browser"):
                yield Input(placeholder="filter: name, tag:x, ds:y", id="filter")
                yield NodeTree(id="tree")
            with Vertical(id="details"):
                yield NodeDetail("Loading pipelines…", id="detail")
                yield PlanPreview(id="plan")
        yield Static("", id="project-errors")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#browser").border_title = "Pipelines"
        self.query_one("#detail").border_title = "Node"
        self.shared.subscribe(self, self._state_changed)
        self._render_all()
        self.query_one(NodeTree).focus()

    def on_screen_resume(self) -> None:
        self._render_plan()
        self.post_message(StaleCheckRequested())  # a run may have finished meanwhile

    def _state_changed(self, what: Topic) -> None:
        if what in ("pipelines", "project", "stale"):
            self._render_all()
        elif what in ("filters", "env", "prefill"):
            self._render_plan()

    # --- rendering -------------------------------------------------------------------------

    def _render_all(self) -> None:
        state = self.shared
        tree = self.query_one(NodeTree)
        text = self.query_one("#filter", Input).value.strip().lower()
        selected, branch = tree.node_at_cursor(), tree.pipeline_at_cursor()
        tree.show(state.description, text, expand=state.pipeline, stale=state.stale)
        if branch is not None:  # a reload keeps the selection when the node still exists
            tree.select_named(branch, selected.name if selected else None)
        errors = self.query_one("#project-errors", Static)
        problems = list(state.load_errors)
        if state.description is not None:
            problems += [str(e) for e in state.description.errors]
        if problems:
            errors.update("\n".join(f"[$error]✗[/] {escape(p)}" for p in problems))
            errors.display = True
        else:
            errors.display = False
        if state.description is None:
            self.query_one(NodeDetail).update("Loading pipelines…")
        elif not state.description.pipelines:
            self.query_one(NodeDetail).update("No pipelines could be loaded: see below.")
        else:
            self._render_detail()
        self._render_plan()

    def _render_detail(self) -> None:
        tree = self.query_one(NodeTree)
        self.query_one(NodeDetail).show(
            tree.node_at_cursor(), self.shared.project_path, tree.pipeline_at_cursor()
        )

    def _render_plan(self) -> None:
        state = self.shared
        if state.description is None:
            self.query_one(PlanPreview).show_loading(state.pipeline)
            return
        self.query_one(PlanPreview).show(
            state.pipeline, state.planned(), len(state.pipeline_nodes()), state.filters, state.stale
        )

    # --- events ----------------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        text = self.query_one("#filter", Input).value.strip().lower()
        state = self.shared
        self.query_one(NodeTree).show(state.description, text, state.pipeline, state.stale)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one(NodeTree).focus()

    @on(Tree.NodeHighlighted)
    def _highlighted(self, event: Tree.NodeHighlighted[TreeData]) -> None:
        tree = self.query_one(NodeTree)
        pipeline = tree.pipeline_at_cursor()
        if pipeline and pipeline != self.shared.pipeline:
            self.post_message(PipelineChosen(pipeline))
        self._render_detail()

    # --- actions ---------------------------------------------------------------------------

    def _selected(self) -> NodeInfo | None:
        node = self.query_one(NodeTree).node_at_cursor()
        if node is None:
            self.notify("Select a node first (arrow keys in the tree).", severity="warning")
        return node

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_tree(self) -> None:
        self.query_one(NodeTree).focus()

    def action_filter_tags(self) -> None:
        node = self._selected()
        if node is None:
            return
        if not node.tags:
            self.notify(f"{node.name} has no tags.", severity="warning")
            return
        self.post_message(FilterToggled("tags", tuple(node.tags)))

    def _toggle(self, what: str, value: str | None) -> None:
        if value is None:
            return
        self.post_message(FilterToggled(what, (value,)))

    def action_filter_node(self) -> None:
        node = self._selected()
        self._toggle("node_names", node.name if node else None)

    def action_filter_namespace(self) -> None:
        node = self._selected()
        if node is not None and not node.namespace:
            self.notify(f"{node.name} has no namespace.", severity="warning")
            return
        self._toggle("namespaces", node.namespace if node else None)

    def action_filter_from(self) -> None:
        node = self._selected()
        self._toggle("from_nodes", node.name if node else None)

    def action_filter_to(self) -> None:
        node = self._selected()
        self._toggle("to_nodes", node.name if node else None)

    def action_clear_filters(self) -> None:
        self.post_message(FiltersChosen(RunFilters()))

    def action_config_view(self) -> None:
        from proj_tui.tui.screens.config_view import open_config_view

        open_config_view(self.app, "blame")

    def action_reload(self) -> None:
        self.post_message(DescribeRequested(announce=True))
