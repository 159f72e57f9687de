"""The proj-tui Textual app: modes for the project, run setup, runs and sessions.

Start-up stays fast: the first screen is composed from plain widgets, then project metadata,
parameters and pipelines load in thread workers (pipelines out of process via the CLI).
Worker errors land in one place (:meth:`ProjTuiApp.report_worker_error`) and open an error
modal, so the app never dies with a traceback.

Data flows one way: the app's workers and the screens' intent messages (``tui/messages.py``)
arrive here; the app calls :class:`AppState`'s writers (the only code that changes app state)
and starts workers; the state announces each change with a typed topic that screens follow.
Screens and components never import this module.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App
from textual.binding import Binding
from textual.markup import escape
from textual.signal import Signal
from textual.worker import Worker, WorkerState

from proj_tui.tui.commands import ProjTuiCommands
from proj_tui.tui.memory import RELEASE_EVERY, SETTLE_AFTER, freeze, release, settle, unsettle
from proj_tui.tui.messages import (
    BindingIdsKnown,
    DescribeRequested,
    EnvChosen,
    EnvVarsEdited,
    FiltersChosen,
    FilterToggled,
    ParamsLoaded,
    PipelineChosen,
    PipelinesDescribed,
    PresetChosen,
    ProjectLoaded,
    RunRequested,
    SessionOpenRequested,
    SetupPrefill,
)
from proj_tui.tui.model import default_cli
from proj_tui.tui.run_registry import RunRegistry
from proj_tui.tui.screens.project import ProjectScreen
from proj_tui.tui.state import AppState, RunSetup, Topic
from proj_tui.tui.textual_compat import mark_styles_current, use_theme_before_css
from proj_tui.tui.typed_check import TypedParamsCheck
from proj_tui.tui.workers import WorkerFailure

if TYPE_CHECKING:
    from textual.notifications import SeverityLevel
    from textual.screen import Screen

    from proj_tui.framework.live import LiveSession
    from proj_tui.tui.components.param_form import ParamRow
    from proj_tui.tui.live_watch import LiveListed, LiveWatch
    from proj_tui.tui.reload import (
        ConfigBroken,
        ConfigReloaded,
        LiveReload,
        PipelinesReloaded,
        StaleChecked,
    )
    from proj_tui.tui.run_spec import RunSpec
    from proj_tui.tui.screens.runs import RunsScreen
    from proj_tui.tui.user_config import UserConfig

SWITCH_INTERVAL = 0.001  # seconds a thread keeps the GIL while another waits (Python's: 0.005)
READY_FILE_ENV = "PROJ_TUI_READY_FILE"  # benches: "wall cpu" times of first paint, pipelines
_MODES = Binding.Group("Modes", compact=True)
WARM_HISTORY_AFTER = 1.0  # s after the first paint: the History screen is mounted unseen
WARM_SETUP_AFTER = 2.0  # ... and Run setup (its ~180 widgets took 0.5 s to build on the key),
# or as soon as the parameters it shows are loaded (on_params_loaded), whichever comes first
SETTLE_QUIET = 1.0  # s with no key or click before that collection runs (its pause holds them)
LAY_OUT_TRIES, LAY_OUT_RETRY = 20, 0.1  # Run setup laid out unseen: while its rows mount
QUIT_WAIT_SECONDS = 10.0  # longest quitting waits for cancelled runs to record their ending


def error_text(error: BaseException | None) -> str:
    """An error as the user should read it: ours carry file and line; others get their type."""
    if error is None:
        return "unknown error"
    from proj_tui.errors import ProjTuiError

    if isinstance(error, ProjTuiError):
        return str(error)
    return f"{type(error).__name__}: {error}"


class ProjTuiApp(App[int]):
    """Keyboard-first app over one project."""

    CSS_PATH = [Path(__file__).with_name("app.tcss"), Path(__file__).with_name("history.tcss")]
    TITLE = "proj-tui"
    MODES = {
        "project": lambda: _current(ProjectScreen()),
        "setup": lambda: _screen("run_setup", "RunSetupScreen"),
        "runs": lambda: _screen("runs", "RunsScreen"),
        "sessions": lambda: _screen("sessions", "SessionsScreen"),
    }
    DEFAULT_MODE = "project"
    _theme_ready = False  # a theme switch is remembered only once the user's themes are in
    _theme_problems: list[str] = []  # replaced, never mutated, as the app loads
    COMMANDS = App.COMMANDS | {ProjTuiCommands}
    BINDINGS = [
        # Run and Help first: the footer shows screen keys, then these, and may cut the tail.
        Binding("ctrl+r", "run", "Run", id="app.run", tooltip="Run the current setup"),
        Binding("question_mark", "help", "Help", id="app.help", tooltip="Every key binding"),
        Binding(
            "q",
            "quit",
            "Quit",
            id="app.quit",
            tooltip="Quit (asks: keep or cancel the runs live in tabs)",
        ),
        # One compact footer item ("12345 Modes"); `?` and the palette name each mode.
        Binding("1", "switch_mode('project')", "Project", id="app.project", group=_MODES),
        Binding("2", "switch_mode('setup')", "Setup", id="app.setup", group=_MODES),
        Binding("3", "switch_mode('runs')", "Runs", id="app.runs", group=_MODES),
        Binding("4", "switch_mode('sessions')", "History", id="app.sessions", group=_MODES),
        Binding("5", "open_queue", "Queue", id="app.queue", group=_MODES, tooltip="The run queue"),
        Binding("ctrl+t", "cycle_theme", "Theme", show=False, id="app.theme", tooltip="Next theme"),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True, id="app.quit_now"),
    ]

    def __init__(
        self,
        project_path: Path,
        *,
        cli: Sequence[str] | None = None,
        config_path: Path | None = None,
    ) -> None:
        super().__init__()
        self.config_path = config_path
        self._switch_before = sys.getswitchinterval()
        self.state_changed: Signal[Topic] = Signal(self, "state-changed")
        self.state = AppState(
            project_path=Path(project_path).resolve(),
            cli=list(cli) if cli else default_cli(),
            publisher=self.state_changed,
        )
        self.typed = TypedParamsCheck(self, self.state)  # Kedro's typed params, before a run
        self.runs = RunRegistry()
        self.first_screen_ready: float | None = None
        self.settled_at: float | None = None  # when start-up's garbage was collected (_settle)
        self._settle_pending = False  # the collection waits for no run to be live (_settle)
        self.errors: list[str] = []
        self._quitting = False  # cancelling runs before quitting (a second q leaves at once)
        self._input_at = 0.0  # time.monotonic() of the last key or mouse event
        self._setup_laid_out = False  # Run setup was laid out unseen (_lay_out_setup)

    @cached_property
    def live(self) -> LiveReload:
        """Live reload, a component the app owns (made after the first paint, with its imports)."""
        from proj_tui.tui.reload import LiveReload

        return LiveReload(self, self.state, reload_project=self.load_project)

    @cached_property
    def live_watch(self) -> LiveWatch:
        """The project's live sessions, kept in the state for the Runs screen (after the paint)."""
        from proj_tui.tui.live_watch import LiveWatch

        return LiveWatch(self, self.state)

    # --- start-up --------------------------------------------------------------------------

    def on_load(self) -> None:
        import asyncio
        from concurrent.futures import ThreadPoolExecutor

        freeze()  # what the imports made: no collection walks it during start-up (memory.py)
        # The UI thread shares the GIL with each run's reader thread and Textual's input and
        # writer threads. Each time it blocks (a select, a write) another may keep the GIL a
        # whole switch interval before the UI gets it back, and a key passes the event loop
        # ~10 times on its way to its action: at the default 5 ms a key waited behind a
        # streaming run's parsing for tens of ms (benches/app.py, issue 20).
        sys.setswitchinterval(SWITCH_INTERVAL)  # the host's (_switch_before) back on unmount

        # Each live run holds a thread for its lifetime; the default pool (cpu+4) is too small.
        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=64, thread_name_prefix="proj-tui")
        )
        self._load_user_config()

    def on_mount(self) -> None:
        self.title = f"proj-tui · {self.state.project_path.name}"
        self._apply_user_config()
        # Textual 8 keeps removed widgets alive (see memory.py); free them in the background.
        self.set_interval(RELEASE_EVERY, self._release, name="release-removed-widgets")
        self.call_after_refresh(self._mark_ready)
        self.call_after_refresh(lambda: self.live.start())
        self.call_after_refresh(self.typed.start)

    def _mark_ready(self) -> None:
        """The first frame is out: now load data (workers would slow the first paint down)."""
        self.first_screen_ready = time.time()
        freeze()  # and the first screen
        # The workers below import these lazily, each in its own thread; two threads importing
        # modules of one package at once can deadlock in the import system (a _DeadlockError on
        # 'proj_tui.config.yaml_io' was seen at start-up). The main thread imports them first
        # (~20 ms, after the first paint; the workers would pay it anyway).
        import proj_tui.config
        import proj_tui.framework.project  # noqa: F401

        self.describe(show_kept=True)  # first: a child process, the slowest
        self.load_project()
        self.live_watch.start()
        self._warm_up()
        self.set_timer(WARM_HISTORY_AFTER, self._warm_history)
        self.set_timer(WARM_SETUP_AFTER, self._warm_setup)
        self.set_timer(SETTLE_AFTER, self._settle)
        ready_file = os.environ.get(READY_FILE_ENV)
        if ready_file:
            Path(ready_file).write_text(f"{self.first_screen_ready!r} {time.process_time()!r}")

    def _settle(self) -> None:
        """The one full collection after start-up (``memory.settle``), put off while a run is live.

        Its pause (60-250 ms) would hold every key typed into a streaming run. So while one is
        live, what start-up made is only frozen (instant): otherwise every full collection
        while following walked it all again, 0.3-0.45 % of a core at 1 line/s
        (benches/follow.py). The collection itself waits for the moment no run is live any
        more (:meth:`_release` looks once a second); it unfreezes first, so start-up's garbage
        and a tab closed meanwhile are freed then.
        Nor while the user is typing: put off the same way until ``SETTLE_QUIET`` s pass with
        no key or click (it fell inside whichever screen switch was under way, adding its
        whole pause to it).
        """
        if self.runs.live():
            self._settle_pending = True
            freeze()
            return
        if time.monotonic() - self._input_at < SETTLE_QUIET:
            # frozen now as for a live run, or the collections that come by themselves while
            # the keys keep coming walk every screen built since the first paint (+60-90 ms of
            # UI thread on History's detail and the preset list in benches/app_actions.py)
            self._settle_pending = True  # _release tries again each second
            freeze()
            return
        self._settle_pending = False
        self.settled_at = time.time()
        settle()

    def _release(self) -> None:
        release(self)
        if self._settle_pending and not self.runs.live():
            self._settle()  # (put off again while keys come)

    def _load_user_config(self) -> None:
        """The user's settings and theme, before the stylesheet is first parsed (``on_load``).

        The first frame is drawn in the chosen theme: switching on mount re-parsed every
        stylesheet and restyled every widget, a fifth of the time to the first screen.
        """
        from proj_tui.tui.themes import choose_theme
        from proj_tui.tui.user_config import load_user_config

        config = load_user_config(self.config_path)
        self.state.use_settings(config)
        theme, self._theme_problems = choose_theme(self, config.theme)
        use_theme_before_css(self, theme)
        # The app's own rules (its text colour) before the first screen is built: that screen
        # is marked current (``_current``), so no re-parse of every stylesheet restyles it later,
        # and a widget that draws before the app is styled would keep a colourless text style.
        self.stylesheet.apply(self)
        self._theme_ready = True

    def _apply_user_config(self) -> None:
        """What needs a running app: the keymap, and toasts for what was wrong in the files."""
        config = self.state.settings
        for problem in config.problems:
            self.notify(problem, title="Config", severity="warning", timeout=10)
        if config.keymap:
            self.set_keymap(config.keymap)
        for problem in self._theme_problems:
            self.log.warning(problem)
            self.notify(problem, title="Theme", severity="warning", timeout=10)

    @property
    def settings(self) -> UserConfig:
        """The user's settings (defaults until the file is read as the app loads)."""
        return self.state.settings

    def get_theme_variable_defaults(self) -> dict[str, str]:
        """``$status-*`` for themes that do not define them (Textual's built-ins)."""
        from proj_tui.tui.themes import status_defaults

        return status_defaults(self.current_theme)

    def watch_theme(self, name: str) -> None:
        """Remember every switch (ctrl+t, our palette commands or Textual's theme picker)."""
        if not self._theme_ready:
            return
        from proj_tui.tui.user_config import ConfigWriteError, save_theme

        try:
            save_theme(name, self.config_path)
        except ConfigWriteError as exc:
            self.notify(str(exc), title="Theme not remembered", severity="warning", timeout=8)

    def action_cycle_theme(self) -> None:
        from proj_tui.tui.themes import next_theme, theme_names

        self.theme = next_theme(theme_names(self), self.theme)
        self.notify(f"Theme: {self.theme}", timeout=2)

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="warm-up",
        description="Import the other screens",
    )
    def _warm_up(self) -> None:
        """After the first paint, import the other screens in the background, then check ids."""
        known = {b.id for _, cls in self.help_sections() for b in _class_bindings(cls) if b.id}
        self.post_message(BindingIdsKnown(known))

    def _warm_history(self) -> None:
        """Build the History screen in the background, so that opening it is only a switch."""
        from proj_tui.tui.screens.sessions import warm_history

        warm_history(self)

    def _warm_setup(self) -> None:
        """Build Run setup unseen too, so that the first press of 2 is a switch."""
        from proj_tui.tui.textual_compat import prepare_mode

        prepare_mode(self, "setup")
        self.call_after_refresh(self._lay_out_setup)

    def _lay_out_setup(self, tries: int = LAY_OUT_TRIES) -> None:
        """Lay Run setup out and draw it unseen, once, so that the first press of 2 draws from
        warm caches (its first layout was most of that press: ~290 ms of the UI thread, ~120
        after this). Only once its form holds the loaded parameters, and once the pipelines
        are shown: before, its ~150 ms would hold their first paint. Tried again a little
        later while the form's rows are still mounting."""
        from proj_tui.tui.screens.run_setup import RunSetupScreen
        from proj_tui.tui.textual_compat import lay_out_unseen, mode_screen

        screen = mode_screen(self, "setup")
        if self._setup_laid_out or self.state.description is None or screen is None:
            return
        if not isinstance(screen, RunSetupScreen) or not screen.built():
            if tries > 1:
                self.set_timer(LAY_OUT_RETRY, lambda: self._lay_out_setup(tries - 1))
            return
        self._setup_laid_out = lay_out_unseen(screen, self.size) or screen.is_current

    def on_binding_ids_known(self, message: BindingIdsKnown) -> None:
        known = message.ids
        config = self.state.settings
        if not config.keymap:
            return
        unknown = sorted(set(config.keymap) - known)
        if unknown:
            from proj_tui.errors import did_you_mean

            hints = "; ".join(f"{u!r}.{did_you_mean(u, known)}" for u in unknown)
            self.notify(
                f"{config.path}: unknown binding id(s) in [keymap]: {hints}",
                title="Config",
                severity="warning",
                timeout=10,
            )

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="project",
        description="Load project settings and envs",
    )
    def load_project(self) -> None:
        from proj_tui.tui.state import load_project_config

        self.post_message(ProjectLoaded(load_project_config(self.state.project_path)))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="params",
        description="Load parameters",
    )
    def load_params(self, env: str) -> None:
        from proj_tui.tui.state import load_param_fields

        assert self.state.config is not None
        self.post_message(ParamsLoaded(env, load_param_fields(self.state.config, env)))

    @work(
        thread=True,
        exclusive=True,
        exit_on_error=False,
        group="describe",
        description="Describe pipelines",
    )
    def describe(self, *, show_kept: bool = False) -> None:
        """Describe the pipelines in a child process (fresh imports of the project's code).

        ``show_kept`` (start-up): first show the description kept from the last time, if every
        file it came from is unchanged (``describe_cache``), then the fresh one if it differs.
        """
        from proj_tui.tui.describe_cache import DescribeCache, project_stamps
        from proj_tui.tui.model import ProjectDescription, describe_json

        path, cli = self.state.project_path, self.state.cli
        cache = DescribeCache(path, cli)
        stamps = project_stamps(path)  # before describing: a file saved meanwhile voids it
        kept = cache.load(stamps) if show_kept else None
        if kept is not None:
            self.post_message(PipelinesDescribed(kept))
        answer = describe_json(path, cli)
        if isinstance(answer, ProjectDescription):
            description = answer
        else:
            description = ProjectDescription.from_json(answer)
            if not description.errors:
                cache.save(stamps, answer)
        if description != kept:
            self.post_message(PipelinesDescribed(description))

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._input_at = time.monotonic()  # the user is at the keys: _settle waits
        await super().on_event(event)

    def on_key(self, event: events.Key) -> None:
        """Printable keys typed before a text field took the focus go to it (type_ahead.py)."""
        from proj_tui.tui.components.type_ahead import send_to_field

        send_to_field(self.screen, event)

    # --- what the workers found ------------------------------------------------------------

    def on_project_loaded(self, message: ProjectLoaded) -> None:
        if message.config.project_name:
            self.title = f"proj-tui · {message.config.project_name}"
        self.load_params(self.state.project_loaded(message.config))

    def on_params_loaded(self, message: ParamsLoaded) -> None:
        dropped = self.state.params_loaded(message.env, message.fields)
        # Run setup shows them: build it unseen now (a frame later) rather than at
        # WARM_SETUP_AFTER, so a press of 2 in the first seconds finds it built (a no-op later)
        self.call_after_refresh(self._warm_setup)
        if dropped:
            self.notify(
                f"Env {message.env} has no parameter(s) {', '.join(dropped)}: overrides dropped.",
                severity="warning",
            )

    def on_pipelines_described(self, message: PipelinesDescribed) -> None:
        self.state.pipelines_described(message.description)
        for error in message.description.errors:
            self.notify(str(error), title="Pipelines", severity="error", timeout=10)
        ready_file = os.environ.get(READY_FILE_ENV)
        if ready_file:
            self.call_after_refresh(_append_time, Path(ready_file))
        self.call_after_refresh(self._lay_out_setup)  # after their paint

    # live reload's workers answer here; the component owns what they mean
    def on_config_reloaded(self, message: ConfigReloaded) -> None:
        self.live.config_reloaded(message)

    def on_config_broken(self, message: ConfigBroken) -> None:
        self.live.config_broken(message)

    def on_pipelines_reloaded(self, message: PipelinesReloaded) -> None:
        self.live.pipelines_reloaded(message)

    def on_stale_checked(self, message: StaleChecked) -> None:
        self.live.stale_checked(message)

    # --- one place for worker failures -----------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures end up.

        ``Worker.StateChanged`` does not bubble, so widgets and screens that own workers post
        theirs as a :class:`WorkerFailure`; the app's own workers arrive here directly.
        """
        if event.state == WorkerState.ERROR:
            self.report_worker_error(event.worker)

    def on_worker_failure(self, message: WorkerFailure) -> None:
        self.report_worker_error(message.worker)

    def report_worker_error(self, worker: Worker[Any]) -> None:
        """Show a failed worker's error (file and line when it has them) without exiting."""
        text = error_text(worker.error)
        if worker.group == "params":
            self.state.params_failed(text)
            if self._config_file_broken(worker.error):
                return
        elif worker.group == "project":
            self.state.project_failed(text)
        self.show_error(worker.description or "Error", text)

    def _config_file_broken(self, error: BaseException | None) -> bool:
        """A config file that does not load (at start, or on an env switch) is shown the way a
        broken save is: the banner on the screens (file:line:column) and a toast, never a modal
        that takes every key, which under load can sit unseen and make the app look frozen.
        Live reload clears it once the file loads."""
        from proj_tui.config import ConfigError, UnknownEnvError

        if not isinstance(error, ConfigError) or error.location is None:
            return False
        if isinstance(error, UnknownEnvError):
            return False  # no file to fix: a modal says it best
        from proj_tui.tui.reload_model import config_problem

        problem = config_problem(error, self.state.project_path)
        self.errors.append(f"Load parameters: {problem}")
        self.state.config_broken(problem)
        self.notify(str(problem), title="Config error", severity="error", timeout=15)
        return True

    def show_error(self, title: str, text: str) -> None:
        """An error modal, or a toast if one is already open (errors can come in bursts)."""
        self.errors.append(f"{title}: {text}")
        from proj_tui.tui.screens.modals import ErrorModal

        if isinstance(self.screen, ErrorModal):
            self.notify(text, title=title, severity="error", timeout=10)
        else:
            self.push_screen(ErrorModal(title, text))

    # --- what screens and components ask for (intent messages) -----------------------------

    def on_pipeline_chosen(self, message: PipelineChosen) -> None:
        self.state.set_pipeline(message.name)

    def on_filters_chosen(self, message: FiltersChosen) -> None:
        self.state.set_filters(message.filters)

    def on_filter_toggled(self, message: FilterToggled) -> None:
        self.state.toggle_filter(message.what, message.values)

    def on_env_chosen(self, message: EnvChosen) -> None:
        self.set_env(message.env)
        if message.announce:  # from the palette (the Setup screen shows it otherwise)
            self.notify(f"Env: {message.env}", timeout=2)

    def on_param_row_changed(self, message: ParamRow.Changed) -> None:
        self.state.edit_override(message.key, message.value, message.error, message.overridden)

    def on_env_vars_edited(self, message: EnvVarsEdited) -> None:
        self.state.set_env_vars(message.values, message.problems)

    def on_preset_chosen(self, message: PresetChosen) -> None:
        self.apply_preset(message.name)

    async def on_setup_prefill(self, message: SetupPrefill) -> None:
        self.prefill(message.setup)
        await self.switch_mode("setup")
        severity: SeverityLevel = "warning" if message.warn else "information"
        if message.note:
            self.notify(message.note, title="Rerun edited", severity=severity)

    async def on_run_requested(self, message: RunRequested) -> None:
        problems = self.state.launch_problems()
        if problems:
            self.notify("Fix first: " + "; ".join(problems), title="Cannot run", severity="error")
            return
        if await self._launch(message.spec, message.argv, message.planned) and message.note:
            self.notify(message.note, timeout=3)

    def on_describe_requested(self, message: DescribeRequested) -> None:
        self.describe()
        if message.announce:
            self.notify("Describing pipelines…", timeout=2)

    def on_stale_check_requested(self) -> None:
        self.live.schedule_stale_check()

    def on_session_open_requested(self, message: SessionOpenRequested) -> None:
        from proj_tui.tui.screens.session_detail import SessionDetailScreen

        self.push_screen(SessionDetailScreen(message.session_id))

    def on_runs_screen_tab_closed(self, message: RunsScreen.TabClosed) -> None:
        self.runs.remove(message.tab)

    def on_runs_screen_tab_opened(self, message: RunsScreen.TabOpened) -> None:
        self.runs.register(message.tab)

    def on_live_listed(self, message: LiveListed) -> None:
        """Say when sessions started elsewhere are live: at start-up, and as they start."""
        first = self.live_watch.reads == 0
        new = [s for s in self.live_watch.listed(message) if not self._shown_here(s)]
        if not new:
            return
        if first:
            text = f"{len(new)} session(s) of this project are running."
        elif len(new) == 1:
            s = new[0]
            text = (
                f"{s.pipeline or '__default__'} ({s.env or 'default env'}) started by "
                f"{s.user or '?'}@{s.host or '?'}, pid {s.pid or '?'}."
            )
        else:
            text = f"{len(new)} sessions started elsewhere."
        where = "enter on one attaches" if self.current_mode == "runs" else "3 lists them"
        self.notify(escape(f"{text} {where}."), title="Live sessions", timeout=6)

    def _shown_here(self, session: LiveSession) -> bool:
        """A session in one of this app's tabs (a run launched here, or attached already)."""
        for tab in self.runs.tabs:
            if tab.state.session_id == session.session_id:
                return True
            proc = tab.supervisor.proc if tab.supervisor is not None else None
            if proc is not None and proc.pid == session.pid:
                return True
        return False

    def set_env(self, env: str) -> None:
        """Set up the run in ``env`` and load its parameters."""
        self.state.set_env(env)
        if self.state.config is not None:
            self.load_params(env)

    def prefill(self, setup: RunSetup) -> bool:
        """Fill Run setup from ``setup`` and load its env's parameters (the one prefill path).

        Returns whether the setup's pipeline is unknown to the project (the current one stays).
        """
        unknown = self.state.prefill(setup)
        if self.state.config is not None and self.state.env:
            self.load_params(self.state.env)
        return unknown

    # --- actions ---------------------------------------------------------------------------

    async def action_run(self) -> None:
        """Launch a session with the current setup in a new tab on the Runs screen."""
        state = self.state
        problems = state.problems()
        if problems:
            self.notify("Fix first: " + "; ".join(problems), title="Cannot run", severity="error")
            return
        spec = state.spec()
        await self._launch(spec, spec.child_argv(state.cli), [n.name for n in state.planned()])

    async def _launch(self, spec: RunSpec, argv: list[str], planned: list[str] | None) -> bool:
        """Open a Runs tab for a session (the one way runs start); False if it could not."""
        if planned is None:
            description = self.state.description
            nodes = description.pipelines.get(spec.pipeline) if description else None
            planned = [n.name for n in spec.filters.plan(nodes)] if nodes else []
        await self.switch_mode("runs")
        from proj_tui.tui.screens.runs import RunsScreen

        screen = self.screen
        if not isinstance(screen, RunsScreen):
            return False
        self.runs.register(await screen.start_run(spec, argv, planned))
        return True

    async def action_run_stale(self) -> None:
        """Run the stale nodes and what depends on them, through the normal run path."""
        filters = self.live.stale_filters()
        if filters is not None:
            self.state.set_filters(filters)
            await self.run_action("run")

    async def action_cancel_run(self) -> None:
        from proj_tui.tui.screens.runs import RunsScreen

        await self.switch_mode("runs")
        screen = self.screen
        if isinstance(screen, RunsScreen):
            screen.action_cancel()

    def action_config_view(self, mode: str = "blame") -> None:
        """Provenance ("blame") of every value, or two envs side by side."""
        from proj_tui.tui.screens.config_view import open_config_view

        open_config_view(self, mode)

    def action_open_queue(self) -> None:
        """The run queue (tui/screens/queue.py), over whichever screen is shown."""
        from proj_tui.tui.screens.queue import QueueScreen

        if not isinstance(self.screen, QueueScreen):
            self.push_screen(_current(QueueScreen()))

    def action_help(self) -> None:
        from proj_tui.tui.screens.help import HelpScreen, help_markdown

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(help_markdown(self, self.help_sections())))

    @staticmethod
    def help_sections() -> list[tuple[str, type]]:
        from proj_tui.tui.screens.modals import ConfirmModal, QuitModal
        from proj_tui.tui.screens.queue import QueueScreen
        from proj_tui.tui.screens.run_setup import RunSetupScreen
        from proj_tui.tui.screens.runs import RunsScreen
        from proj_tui.tui.screens.sessions import SessionsScreen, history_help_sections

        return [
            ("Everywhere", ProjTuiApp),
            ("Project", ProjectScreen),
            ("Run setup", RunSetupScreen),
            ("Runs", RunsScreen),
            ("History", SessionsScreen),
            *history_help_sections(),
            ("Queue", QueueScreen),
            ("Sweep", _sweep_screen()),
            ("Dialogs", ConfirmModal),
            ("Quitting with runs live", QuitModal),
        ]

    def action_copy_command(self) -> None:
        spec = self.state.spec()
        command = spec.command()
        self.copy_to_clipboard(command)
        names = spec.environment_names()
        note = (  # never NAME=<redacted>: the pasted command would set that as the value
            f"\n{', '.join(names)}: taken from the environment of the shell you paste it in"
            if names
            else ""
        )
        self.notify(escape(command + note), title="Copied to clipboard", timeout=6 if note else 4)

    def action_save_preset(self) -> None:
        from proj_tui.tui.presets import Preset, PresetError, save_preset
        from proj_tui.tui.screens.modals import PromptModal

        def save(name: str | None) -> None:
            if not name:
                return
            s = self.state
            preset = Preset.of_setup(
                name,
                env=s.env,
                pipeline=s.pipeline,
                params=s.overrides,
                filters=s.filters,
                env_vars=s.env_vars,
            )
            try:
                path = save_preset(s.project_path, preset)
            except (PresetError, OSError) as exc:
                self.show_error("Save preset", str(exc))
                return
            rel = path.relative_to(s.project_path)
            self.notify(f"Saved {rel}", title="Preset")

        from proj_tui.tui.presets import name_problem

        def problem(name: str) -> str | None:
            found = name_problem(name)
            return f"Cannot save preset {name!r}: {found}." if found else None

        self.push_screen(
            PromptModal("Save preset", "Name (saved as .proj-tui/presets/NAME.yml)", check=problem),
            save,
        )

    def action_load_preset(self) -> None:
        from proj_tui.tui.presets import list_presets
        from proj_tui.tui.screens.modals import PickModal

        names = list_presets(self.state.project_path)
        if not names:
            self.notify("No presets yet: ctrl+s on the Setup screen saves one.", severity="warning")
            return
        self.push_screen(PickModal("Load preset", names), self._load_picked)

    def _load_picked(self, name: str | None) -> None:
        if name:
            self.apply_preset(name)

    def apply_preset(self, name: str) -> None:
        from proj_tui.tui.presets import PresetError, load_preset

        try:
            preset = load_preset(self.state.project_path, name)
        except PresetError as exc:
            self.show_error("Load preset", str(exc))
            return
        missing_pipeline = self.prefill(
            RunSetup(  # a preset is a setup of its own, not an edit of a past session
                pipeline=preset.pipeline,
                filters=preset.run_filters(),
                env=preset.env,
                overrides=preset.params,
                env_vars=preset.env_vars,
            )
        )
        state = self.state
        inherited = self.state.spec().inherited_env_vars()  # secrets: the file keeps none
        unset = [k for k in inherited if k not in os.environ]
        found = [k for k in inherited if k in os.environ]
        note = f" ({', '.join(found)} taken from the app's environment)" if found else ""
        if unset:
            note += f" (secret values are not stored: type {', '.join(unset)})"
        # Loaded as saved even when the project moved on (the filters show it and can be fixed),
        # but said out loud: the run would otherwise fail on a name the preset still carries.
        unknown: list[str] = []
        if missing_pipeline:
            unknown.append(f"\nno pipeline {preset.pipeline!r} any more: kept {state.pipeline}")
        nodes = state.description.pipelines.get(state.pipeline) if state.description else None
        if nodes is not None:
            for kind, missing in state.filters.unknown_names(nodes):
                unknown.append(f"\nunknown {kind} in {state.pipeline}: {', '.join(missing)}")
        self.notify(
            escape(f"Loaded preset {name}{note}{''.join(unknown)}"),
            title="Preset",
            severity="warning" if unknown else "information",
        )

    async def on_unmount(self) -> None:
        await self.live.stop()
        self.runs.stop_following()  # the sessions go on; only this app's reading of them ends
        unsettle()
        sys.setswitchinterval(self._switch_before)

    async def action_quit(self) -> None:
        """Quit; with runs live in tabs, ask whether to keep them running (the default: each
        session is a process of its own) or cancel them first. None is cancelled silently."""
        live = self.runs.live()
        if not live or not self.settings.confirm_quit or self._quitting:
            self.exit(0)  # runs keep running (a second q while cancelling: leave them to end)
            return

        from proj_tui.tui.screens.modals import QuitModal

        def answer(choice: str | None) -> None:
            if choice == "keep":
                self.exit(0)
            elif choice == "cancel":
                self._cancel_and_quit()

        self.push_screen(QuitModal(len(live)), answer)

    def _cancel_and_quit(self) -> None:
        """Cancel every live run in a tab, and quit once each has recorded its ending."""
        tabs = self.runs.live()
        for tab in tabs:
            tab.cancel()
        self._quitting = True
        self.notify(
            f"Cancelling {len(tabs)} run(s); quitting once they have ended (q quits now, "
            "leaving them to end by themselves).",
            title="Quit",
            timeout=QUIT_WAIT_SECONDS,
        )
        deadline = time.monotonic() + QUIT_WAIT_SECONDS

        def check() -> None:
            if not self.runs.live() or time.monotonic() > deadline:
                self.exit(0)

        self.set_interval(0.1, check, name="quit-when-cancelled")


def _append_time(path: Path) -> None:
    with path.open("a") as f:
        f.write(f"\n{time.time()!r} {time.process_time()!r}")


def _sweep_screen() -> type:
    from proj_tui.tui.screens.sweep import SweepScreen

    return SweepScreen


def _screen(module: str, name: str) -> Screen[Any]:
    """Import a mode's screen when first shown: start-up only pays for the Project screen."""
    import importlib

    cls = getattr(importlib.import_module(f"proj_tui.tui.screens.{module}"), name)
    return _current(cls())


def _current(screen: Screen[Any]) -> Screen[Any]:
    """A mode's new screen, styled from the current stylesheet as it mounts: no re-parse of every
    stylesheet when it is first shown (our screens bring no stylesheet of their own). The first
    mode too: the theme and the app's own styles are in before it is built (``on_load``)."""
    mark_styles_current(screen, screen.app)
    return screen


def _class_bindings(cls: type) -> list[Binding]:
    from proj_tui.tui.screens.help import _bindings

    return _bindings(cls)


def run_app(project_path: Path) -> int:
    """Entry point for the CLI: run the app on ``project_path`` and return an exit code."""
    app = ProjTuiApp(project_path)
    try:
        result = app.run()
    finally:
        app.runs.stop_following()  # never a silent cancel: sessions outlive the app
    return int(result or 0)


def run_welcome(
    start: Path,
    *,
    create: Callable[[Path], Path],
    shared_demo: Callable[[], Path],
    demo_location: Path,
) -> Path | None:
    """Entry point for the CLI when there is no project: the Welcome app picks or makes one."""
    from proj_tui.tui.screens.welcome import FirstRun
    from proj_tui.tui.screens.welcome import run_welcome as run

    return run(start, FirstRun(create, shared_demo, demo_location))


__all__ = ["ProjTuiApp", "run_app", "run_welcome"]
