"""Config view: where each value is set ("blame"), and two envs' parameters side by side.

Both read the config in-process with ``ConfigLoader`` (pure YAML, no project code) in a thread
worker, and load again when a config file is saved while the view is open.

The tables fit the terminal's width (80-120 columns over SSH) instead of scrolling sideways:
their columns are sized to the room there is (again on resize) and long cells are cut with an
ellipsis, keys in the middle and file paths at the front; the pane under each table shows the
highlighted row in full (value, file, what it overrode).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.params import kind_of, to_text
from proj_tui.tui.state import app_state
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.app import App

    from proj_tui.config.compare import BlameRow, CompareRow
    from proj_tui.tui.state import AppState, ProjectConfig, Topic

Mode = str  # "blame" | "compare"

NO_DIFFERENCE = "the two envs give every parameter the same value"


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
        self._room = 0  # the width the columns were last fitted to

    @property
    def shared(self) -> AppState:
        return app_state(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigBanner(id="config-view-banner")
        yield Static("Loading config…", id="config-view-title")
        yield DataTable(id="blame-table", cursor_type="row", zebra_stripes=True)
        # tab focuses the detail, so a value taller than it scrolls with the keys too
        with VerticalScroll(id="blame-detail-scroll", classes="config-detail"):
            yield Static("", id="blame-detail")
        yield DataTable(id="compare-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="compare-detail-scroll", classes="config-detail"):
            yield Static("", id="config-view-compare-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._room = self._table_room()
        self._render_blame()
        self._render_compare()
        self.shared.subscribe(self, self._state_changed)
        self._show_mode()
        self.load()

    def _state_changed(self, what: Topic) -> None:
        if what in ("params", "params-reload", "env", "project"):
            self.load()

    # --- loading ---------------------------------------------------------------------------

    def _env_pair(self) -> tuple[str, str] | None:
        config, env = self.shared.config, self.shared.env
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

        config = self.shared.config
        assert config is not None
        try:
            rows = blame(config.project, left)
            compared = compare_envs(config.project, left, right)
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

    def _table_room(self) -> int:
        """Columns the tables' cells may take: the screen's width less the vertical scrollbar.

        Both tables span the screen; the scrollbar is always counted so that the widths do
        not change when the rows start to overflow.
        """
        table: DataTable[Any] = self.query_one("#blame-table", DataTable)
        width = self.size.width or self.app.size.width
        return max(0, width - table.styles.gutter.width - table.styles.scrollbar_size_vertical)

    def on_resize(self, event: events.Resize) -> None:
        room = self._table_room()
        if room != self._room:
            self._room = room
            self._render_blame()
            self._render_compare()

    def _render_blame(self) -> None:
        table: DataTable[Any] = self.query_one("#blame-table", DataTable)
        row_key = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if (table.row_count)
            else None
        )
        config = self.shared.config
        cells = [_blame_cells(row, config) for row in self._blame]
        headers = ("key", "value", "env", "file", "overrode")
        naturals = [
            max([cell_len(h)] + [cell_len(c[i]) for c in cells]) for i, h in enumerate(headers)
        ]
        # least needed first: the value (all of it is in the detail), then the key, down to a
        # comfortable width; then down to the least each can be useful with, what it overrode
        # and the file (whose name stays) too
        room = self._room - 2 * table.cell_padding * len(headers)
        steps = [([1], 20), ([0], 30), ([1], 12), ([4], 10), ([3], 18), ([0], 20), ([2], 7)]
        widths = fit_widths(naturals, steps, room)
        common = key_parts(c[0] for c in cells)
        table.clear(columns=True)
        for header, width in zip(headers, widths, strict=True):
            table.add_column(header, width=width, key=header)
        for row, (key, value, env, file, overrode) in zip(self._blame, cells, strict=True):
            key, value = clip_key(key, widths[0], common), clip_end(value, widths[1])
            env, file = clip_end(env, widths[2]), clip_path(file, widths[3])
            overrode = clip_end(overrode, widths[4])
            table.add_row(
                Text(key, style="bold" if row.overrode else ""),
                Text(value),
                Text(env),
                Text(file),
                Text(overrode, style="yellow"),
                key=f"{row.section}.{row.key}",
            )
        target = self.focus_key or row_key
        if self._blame:  # the key to start on waits for the rows (none before the first load)
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
        """The highlighted row in full: key, value, file, and every value it overrode."""
        table: DataTable[Any] = self.query_one("#blame-table", DataTable)
        detail = self.query_one("#blame-detail", Static)
        if not self._blame or not table.row_count:
            detail.update("")
            return
        row = self._blame[min(table.cursor_row, len(self._blame) - 1)]
        text = Text()
        text.append(f"{row.section}.{row.key}", style="bold")
        text.append(f" = {_full(row.value)}\n")
        text.append(f"set by {row.source}")
        for env, file, value in row.overrode:
            text.append(f"\n  overrode {_full(value)} from {file or '--params'} (env {env})")
        if not row.overrode:
            text.append("\n  overrides nothing")
        detail.update(text)

    def _render_compare(self) -> None:
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        row_key = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.row_count
            else None
        )
        left, right = self._envs
        shown = [row for row in self._compare if self.show_all or not row.same]
        headers = ("key", left, right)
        naturals = [
            max([cell_len(headers[0])] + [cell_len(r.key) for r in shown]),
            max([cell_len(left)] + [_side_len(r.left, r.left_set, r.left_env) for r in shown]),
            max([cell_len(right)] + [_side_len(r.right, r.right_set, r.right_env) for r in shown]),
        ]
        if not shown:
            naturals[0] = max(naturals[0], cell_len(NO_DIFFERENCE))
        # the two values narrow together (each keeps its env), then the key, then both again
        room = self._room - 2 * table.cell_padding * len(headers)
        steps = [([1, 2], 20), ([0], 28), ([1, 2], 14), ([0], 20)]
        widths = fit_widths(naturals, steps, room)
        common = key_parts(row.key for row in shown)
        table.clear(columns=True)
        table.add_column("key", width=widths[0], key="key")
        table.add_column(clip_end(left, widths[1]), width=widths[1], key="left")
        table.add_column(clip_end(right, widths[2]), width=widths[2], key="right")
        for row in shown:
            style = "" if row.same else "bold yellow"
            table.add_row(
                Text(clip_key(row.key, widths[0], common), style="" if row.same else "bold"),
                _cell(row.left, row.left_set, row.left_env, style, widths[1]),
                _cell(row.right, row.right_set, row.right_env, style, widths[2]),
                key=row.key,
            )
        if not table.row_count:
            table.add_row(Text(clip_end(NO_DIFFERENCE, widths[0]), style="dim"))
        elif row_key is not None and row_key in table.rows:
            table.move_cursor(row=table.get_row_index(row_key), animate=False)
        self._render_compare_detail()

    def _render_compare_detail(self) -> None:
        """The highlighted parameter's two values in full, and the env layer that set each."""
        table: DataTable[Any] = self.query_one("#compare-table", DataTable)
        detail = self.query_one("#config-view-compare-detail", Static)
        left, right = self._envs
        by_key = {row.key: row for row in self._compare}
        row_key = (
            table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if table.row_count
            else None
        )
        row = by_key.get(row_key) if row_key is not None else None
        if row is None:
            detail.update(Text(f"{NO_DIFFERENCE} (a shows every key)") if left else "")
            return
        text = Text(row.key, style="bold")
        text.append(" (same in both)" if row.same else " (differs)", style="dim")
        for env, value, is_set, layer in (
            (left, row.left, row.left_set, row.left_env),
            (right, row.right, row.right_set, row.right_env),
        ):
            text.append(f"\n  {env}: ")
            if is_set:
                text.append(_full(value))
                text.append(f"  (set by env {layer})", style="dim")
            else:
                text.append("(not set)", style="dim")
        detail.update(text)

    def _show_mode(self) -> None:
        blame = self.mode == "blame"
        self.query_one("#blame-table").display = blame
        self.query_one("#blame-detail-scroll").display = blame
        self.query_one("#compare-table").display = not blame
        self.query_one("#compare-detail-scroll").display = not blame
        left, right = self._envs
        title = self.query_one("#config-view-title", Static)
        if not left:
            title.update("Loading config…")
        elif blame:
            title.update(
                f"Blame · env [b]{left}[/b] · {len(self._blame)} values · files in "
                f"{_conf_label(self.shared.config)}/<env>/ · the row in full below"
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
        elif event.data_table.id == "compare-table":
            self._render_compare_detail()

    # --- actions ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("next_env", "toggle_all"):
            return self.mode == "compare"
        return True

    def action_set_mode(self, mode: Mode) -> None:
        self.mode = mode

    def action_next_env(self) -> None:
        config, env = self.shared.config, self.shared.env
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


def open_config_view(app: App[Any], mode: Mode = "blame", key: str | None = None) -> None:
    """Show provenance ("blame") of every value, or two envs side by side (switching the mode
    when the view is open already)."""
    if isinstance(app.screen, ConfigViewScreen):
        app.screen.mode = mode
        return
    app.push_screen(ConfigViewScreen(mode, key))


def _full(value: Any) -> str:
    """A value as its parameter field shows it, uncut."""
    return to_text(value, kind_of(value))


def _line(value: Any) -> str:
    """A value on one line (a table cell): line breaks shown as ↵."""
    return _full(value).replace("\r\n", "\n").replace("\n", "↵")


def _conf_file(file: str | None, env: str | None, config: ProjectConfig | None) -> str:
    """``row.file`` (relative to the project) as a path inside its env's folder of conf/.

    ``conf/base/parameters/data_science.yml`` for env ``base`` is ``parameters/data_science.yml``
    (the env has its own column); a file elsewhere keeps the path the row has.
    """
    if file is None:
        return "--params"
    if config is None:
        return file
    path = PurePath(file)
    if not path.is_absolute():
        path = config.project_path / path
    for folder in (config.conf_source / (env or ""), config.conf_source):
        try:
            return Path(path).relative_to(folder).as_posix()
        except ValueError:
            continue
    return file


def _conf_label(config: ProjectConfig | None) -> str:
    """The conf folder as the title names it: relative to the project when inside it."""
    if config is None:
        return "conf"
    try:
        return config.conf_source.relative_to(config.project_path).as_posix()
    except ValueError:
        return str(config.conf_source)


def _blame_cells(row: BlameRow, config: ProjectConfig | None) -> tuple[str, str, str, str, str]:
    """The blame row's cells uncut: key (parameters without their section), value, env, file,
    and the values it overrode with the env of each (the detail pane names their files)."""
    key = row.key if row.section == "parameters" else f"{row.section}.{row.key}"
    overrode = "; ".join(f"{_line(value)} ({env or '--params'})" for env, _, value in row.overrode)
    return key, _line(row.value), row.env or "", _conf_file(row.file, row.env, config), overrode


def _side_len(value: Any, is_set: bool, env: str | None) -> int:
    return cell_len(f"{_line(value)}  {env}") if is_set else cell_len("(not set)")


def _cell(value: Any, is_set: bool, env: str | None, style: str, width: int) -> Text:
    """One env's value cut to ``width`` less the env that set it, which is always kept."""
    if not is_set:
        return Text(clip_end("(not set)", width), style="dim")
    suffix = f"  {env}"
    room = width - cell_len(suffix)
    if room < 4:  # too narrow to show both: the value wins
        return Text(clip_end(_line(value), width), style=style)
    text = Text(clip_end(_line(value), room), style=style)
    text.append(suffix, style="dim")
    return text


# --- fitting columns to the width ----------------------------------------------------------


def fit_widths(
    naturals: Sequence[int], steps: Sequence[tuple[Sequence[int], int]], room: int
) -> list[int]:
    """Column widths that add up to at most ``room``: each column's natural width, narrowed
    when they do not fit, step by step: ``(columns, width)`` narrows those columns (evenly,
    widest first) down to ``width`` at most, and the next step comes only when that was not
    enough. Columns no step names keep their width.

    When even the last steps' widths do not fit, they are returned and the table scrolls.
    """
    widths = list(naturals)
    over = sum(widths) - room
    for columns, floor in steps:
        while over > 0:
            narrowable = [i for i in columns if widths[i] > floor]
            if not narrowable:
                break
            widest = max(narrowable, key=lambda i: widths[i])
            widths[widest] -= 1
            over -= 1
    return widths


def _head(text: str, width: int) -> str:
    """The longest start of ``text`` that takes at most ``width`` cells."""
    out, used = [], 0
    for char in text:
        used += cell_len(char)
        if used > width:
            break
        out.append(char)
    return "".join(out)


def _tail(text: str, width: int) -> str:
    """The longest end of ``text`` that takes at most ``width`` cells."""
    return _head(text[::-1], width)[::-1]


def clip_end(text: str, width: int) -> str:
    """``text`` in ``width`` cells, its end replaced by … when cut."""
    if cell_len(text) <= width:
        return text
    return _head(text, width - 1) + "…" if width > 0 else ""


def clip_path(text: str, width: int) -> str:
    """A path in ``width`` cells, cut at the front so that its file name stays."""
    if cell_len(text) <= width:
        return text
    return "…" + _tail(text, width - 1) if width > 0 else ""


def clip_key(text: str, width: int, common: Mapping[str, int] | None = None) -> str:
    """A dotted key in ``width`` cells.

    Its parts most of the keys share (``common``: how many keys have each part) give way to …
    first, ``model_a.….random_state``, but the last part and the least shared other one stay;
    when that is still too long, the key is cut at the front (its end names the leaf).
    """
    if cell_len(text) <= width:
        return text
    parts = text.split(".")
    counts = common or {}
    # the parts that may go, most shared (then longest) first; the rarest other part stays
    candidates = sorted(
        range(len(parts) - 1), key=lambda i: (-counts.get(parts[i], 0), -len(parts[i]), i)
    )[:-1]
    gone: set[int] = set()
    for index in candidates:
        gone.add(index)
        shown: list[str] = []
        for i, part in enumerate(parts):
            if i not in gone:
                shown.append(part)
            elif not shown or shown[-1] != "…":
                shown.append("…")
        shorter = ".".join(shown)
        if cell_len(shorter) <= width:
            return shorter
    return clip_path(text, width)


def key_parts(keys: Iterable[str]) -> dict[str, int]:
    """How many of ``keys`` have each dotted part (the parts :func:`clip_key` elides first)."""
    counts: dict[str, int] = {}
    for key in keys:
        for part in set(key.split(".")):
            counts[part] = counts.get(part, 0) + 1
    return counts


__all__ = [
    "ConfigViewLoaded",
    "ConfigViewScreen",
    "clip_end",
    "clip_key",
    "clip_path",
    "fit_widths",
    "open_config_view",
]
