"""Config view: where each value is set ("blame"), and two envs' parameters side by side.

Both read the config in-process with ``ConfigLoader`` (pure YAML, no project code) in a thread
worker, and load again when a config file is saved while the view is open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.params import short
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.reload_model import BlameRow, CompareRow

Mode = str  # "blame" | "compare"


class ConfigViewLoaded(Message):
    """Blame rows for the current env and the comparison of two envs (or why they failed)."""

    def __init__(
        self,
        blame: list[BlameRow],
        compare: list[CompareRow],
        envs: tuple[str, str],
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.blame = blame
        self.compare = compare
        self.envs = envs
        self.error = error


class ConfigViewScreen(ReportsWorkerErrors, Screen[None]):
    """Provenance of every parameter and catalog entry, or two envs compared."""

    SUB_TITLE = "Config"
    BINDINGS = [
        Binding("escape", "close", "Back", id="config.close"),
        Binding(
            "b", "set_mode('blame')", "Blame", id="config.blame", tooltip="Where each value is set"
        ),
        Binding(
            "c",
            "set_mode('compare')",
            "Compare envs",
            id="config.compare",
            tooltip="Two envs' parameters side by side",
        ),
        Binding(
            "e",
            "next_env",
            "Other env",
            id="config.other_env",
            tooltip="Compare the current env with the next one",
        ),
        Binding(
            "a", "toggle_all", "All keys", id="config.all", tooltip="Show equal keys too, or not"
        ),
    ]

    mode: reactive[Mode] = reactive("blame")
    show_all: reactive[bool] = reactive(False)

    def __init__(self, mode: Mode = "blame", key: str | None = None) -> None:
        super().__init__()
        self.set_reactive(ConfigViewScreen.mode, mode)
        self.focus_key = key  # "parameters.a.b" or "catalog.x.type": where the cursor starts
        self.other_env: str | None = None
        self._blame: list[BlameRow] = []
        self._compare: list[CompareRow] = []
        self._envs: tuple[str, str] = ("", "")

    @property
    def papp(self) -> ProjTuiApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigBanner(id="config-view-banner")
        yield Static("Loading config…", id="config-view-title")
        yield DataTable(id="blame-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="blame-detail")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        blame: DataTable[Any] = self.query_one("#blame-table", DataTable)
        blame.add_columns("key", "value", "env", "file", "overrode")
        compare: DataTable[Any] = self.query_one("#compare-table", DataTable)
        compare.add_columns("key", "left", "right")
        self.papp.state_changed.subscribe(self, self._state_changed)
        self._show_mode()
        self.load()

    def _state_changed(self, what: str) -> None:
        if what in ("params", "params-reload", "setup", "project"):
            self.load()

    # --- loading ---------------------------------------------------------------------------

    def _env_pair(self) -> tuple[str, str] | None:
        config, env = self.papp.state.config, self.papp.state.env
        if config is None or env is None:
            return None
        others = [e for e in config.envs if e != env]
        if self.other_env not in others:
            self.other_env = others[0] if others else env
        return env, self.other_env or env

    def load(self) -> None:
        pair = self._env_pair()
        if pair is not None:
            self._load(*pair)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="config-view",
        description="Read config provenance",
    )
    def _load(self, left: str, right: str) -> None:
        from proj_tui.tui.reload_model import blame, compare_envs, config_problem

        config = self.papp.state.config
        assert config is not None
        try:
            rows = blame(config, left)
            compared = compare_envs(config, left, right)
        except Exception as exc:  # a broken file: say which, keep what is shown
            problem = config_problem(exc, config.project_path)
            self.post_message(ConfigViewLoaded([], [], (left, right), str(problem)))
            return
        self.post_message(ConfigViewLoaded(rows, compared, (left, right)))

    def on_config_view_loaded(self, message: ConfigViewLoaded) -> None:
        if message.error:
            self.notify(message.error, title="Config", severity="error", timeout=6)
            return
        self._blame, self._compare, self._envs = message.blame, message.compare, message.envs
        self._render_blame()
        self._render_compare()
        self._show_mode()

    # --- rendering -------------------------------------------------------------------------

    def _render_blame(self) -> None:
        table: DataTable[Any] = self.query_one("#blame-table", DataTable)
        row_key = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if (table.row_count)
            else None
        )
        table.clear()
        for row in self._blame:
            full = f"{row.section}.{row.key}"
            overrode = "; ".join(
                f"{short(value, 16)} ({file or env})" for env, file, value in row.overrode
            )
            style = "bold" if row.overrode else ""
            table.add_row(
                Text(full, style=style),
                short(row.value, 30),
                row.env or "",
                row.file or "--params",
                Text(overrode, style="yellow") if overrode else "",
                key=full,
            )
        target = self.focus_key or row_key
        self.focus_key = None
        if target is not None:
            keys = [f"{r.section}.{r.key}" for r in self._blame]
            # a list/dict parameter is tracked at its parent: pick the closest key
            while target and target not in keys and "." in target:
                target = target.rpartition(".")[0]
            if target in keys:
                table.move_cursor(row=keys.index(target), animate=False)
        self._render_detail()

    def _render_detail(self) -> None:
        table: DataTable[Any] = self.query_one("#blame-table", DataTable)
        detail = self.query_one("#blame-detail", Static)
        if not self._blame or not table.row_count:
            detail.update("")
            return
        row = self._blame[min(table.cursor_row, len(self._blame) - 1)]
        text = Text()
        text.append(f"{row.section}.{row.key}", style="bold")
        text.append(f" = {short(row.value, 60)}\n")
        text.append(f"set by env {row.env} in {row.file or '--params'}")
        for env, file, value in row.overrode:
            text.append(f"\n  overrode {short(value, 40)} from {file or '--params'} (env {env})")
        if not row.overrode:
            text.append("\n  overrides nothing")
        detail.update(text)

    def _render_compare(self) -> None:
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        left, right = self._envs
        table.clear(columns=True)
        table.add_column("key", key="key")
        table.add_column(f"{left}", key="left")
        table.add_column(f"{right}", key="right")
        for row in self._compare:
            if row.same and not self.show_all:
                continue
            style = "" if row.same else "bold yellow"
            table.add_row(
                Text(row.key, style="bold" if not row.same else ""),
                _cell(row.left, row.left_set, row.left_env, style),
                _cell(row.right, row.right_set, row.right_env, style),
                key=row.key,
            )
        if not table.row_count:
            table.add_row(Text("the two envs give every parameter the same value", style="dim"))

    def _show_mode(self) -> None:
        blame = self.mode == "blame"
        self.query_one("#blame-table").display = blame
        self.query_one("#blame-detail").display = blame
        self.query_one("#compare-table").display = not blame
        left, right = self._envs
        title = self.query_one("#config-view-title", Static)
        if not left:
            title.update("Loading config…")
        elif blame:
            title.update(
                f"Blame · env [b]{left}[/b] · {len(self._blame)} values: the file and env layer "
                "that set each, and what it overrode"
            )
        else:
            differ = sum(not r.same for r in self._compare)
            title.update(
                f"Compare · [b]{left}[/b] vs [b]{right}[/b] · {differ} of {len(self._compare)} "
                f"parameters differ{' (all shown)' if self.show_all else ''}"
            )
        table = self.query_one("#blame-table" if blame else "#compare-table", DataTable)
        table.focus()

    def watch_mode(self) -> None:
        if self.is_mounted:
            self._show_mode()
        self.refresh_bindings()

    def watch_show_all(self) -> None:
        if self.is_mounted:
            self._render_compare()
            self._show_mode()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "blame-table":
            self._render_detail()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_env", "toggle_all"):
            return self.mode == "compare"
        return True

    def action_set_mode(self, mode: Mode) -> None:
        self.mode = mode

    def action_next_env(self) -> None:
        config, env = self.papp.state.config, self.papp.state.env
        others = [e for e in (config.envs if config else []) if e != env]
        if len(others) < 2:
            self.notify("There is no other env to compare with.", severity="warning")
            return
        index = others.index(self.other_env) if self.other_env in others else -1
        self.other_env = others[(index + 1) % len(others)]
        self.load()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all

    def action_close(self) -> None:
        self.dismiss()


def _cell(value: Any, is_set: bool, env: str | None, style: str) -> Text:
    if not is_set:
        return Text("(not set)", style="dim")
    text = Text(short(value, 28), style=style)
    text.append(f"  {env}", style="dim")
    return text


__all__ = ["ConfigViewLoaded", "ConfigViewScreen"]
