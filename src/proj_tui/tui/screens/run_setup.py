"""Run setup: env, parameters (typed, validated, with provenance), env vars, presets, command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Header, Input, Label, Select, Static

from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.env_vars_form import EnvVarsForm
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.param_form import ParamForm
from proj_tui.tui.messages import EnvChosen, EnvVarsEdited
from proj_tui.tui.params import SWEEP_PLACEHOLDER, sweep_example
from proj_tui.tui.screens.mode_screen import ModeScreen
from proj_tui.tui.state import app_state
from proj_tui.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from textual.widget import AwaitMount

    from proj_tui.tui.state import AppState, Topic


class RunSetupScreen(ReportsWorkerErrors, ModeScreen):
    """Everything a run is given, and the command line that gives it."""

    SUB_TITLE = "Run setup"
    BINDINGS = [
        Binding(
            # not ctrl+t: that is the theme on every screen; ctrl+f is free in Input fields
            "ctrl+f",
            "pick_env",
            "Env",
            id="setup.env",
            tooltip="Choose the config environment",
        ),
        Binding(
            "ctrl+b",
            "reset_field",
            "Reset",
            id="setup.reset_field",
            tooltip="Reset the focused parameter to its env value",
        ),
        Binding(
            "ctrl+g",
            "reset_all",
            "Reset all",
            id="setup.reset_all",
            tooltip="Drop every parameter override",
        ),
        Binding("ctrl+n", "add_env_var", "Env var", id="setup.add_env_var"),
        Binding(
            "ctrl+s", "app.save_preset", "Save", id="setup.save_preset", tooltip="Save a preset"
        ),
        Binding(
            "ctrl+o", "app.load_preset", "Load", id="setup.load_preset", tooltip="Load a preset"
        ),
        Binding(
            "ctrl+y",
            "app.copy_command",
            "Copy",
            id="setup.copy_command",
            tooltip="Copy the equivalent proj-tui run command",
        ),
        Binding(
            "ctrl+l",
            "blame",
            "Blame",
            id="setup.blame",
            tooltip="Where the focused parameter is set, and what it overrode",
        ),
        Binding(
            # the one ctrl key an Input field leaves free (it edits with a, e, d, k, u, w, x, c, v)
            "ctrl+z",
            "queue",
            "Queue",
            id="setup.queue",
            tooltip="Add this setup to the run queue (one run per combination of the Sweep field)",
        ),
        Binding("escape", "blur", "Unfocus", show=False, id="setup.blur"),
    ]

    sweep_items: tuple[str, ...] = ()
    """The Sweep field's ``KEY=V1,V2`` items, once they parse and name known parameters."""
    sweep_runs = 0
    _env_built: AwaitMount | None = None
    """The env picker's mount, while it may still be under way (see ``_render_envs``)."""
    _env_options: list[tuple[str, str]] | None = None
    """The envs the picker was last given (it is rebuilt only when they change)."""

    @property
    def shared(self) -> AppState:
        return app_state(self)

    def compose(self) -> ComposeResult:
        yield Header()
        yield ConfigBanner(id="setup-config-banner")
        with Horizontal(id="setup-top"):
            yield Label("env", id="env-label")
            # the Select arrives with the envs: one made blank-able for "loading…" kept that
            # as a permanent choice in its list
            yield Static("loading…", id="env-loading")
            yield Static("", id="setup-summary")
        with Horizontal(id="setup-body"):
            yield ParamForm(id="params")
            with Vertical(id="setup-side"):
                yield EnvVarsForm(id="env-vars")
                yield Input(placeholder=SWEEP_PLACEHOLDER, id="sweep")
                yield Static("", id="sweep-problem")
        yield Static("", id="command")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#params").border_title = "Parameters"
        self.query_one("#env-vars").border_title = "Environment variables (ctrl+n adds)"
        self.query_one("#command").border_title = "Command (ctrl+y copies)"
        sweep = self.query_one("#sweep", Input)
        sweep.border_title = "Sweep: several values per key (ctrl+z queues)"
        sweep.styles.border = ("round", "gray")
        sweep.styles.height = 3
        self.query_one("#sweep-problem").styles.height = "auto"
        self.shared.subscribe(self, self._state_changed)
        self._render_envs()
        self._render_params()
        self.query_one(EnvVarsForm).load(self.shared.env_vars)
        self._render_command()

    def built(self) -> bool:
        """Whether the screen is composed and its form holds a mounted row per parameter."""
        form = next(iter(self.query_children("#setup-body").results()), None)
        if not self.is_mounted or form is None:
            return False
        rows = self.query_one(ParamForm).rows()
        return len(rows) == len(self.shared.fields) and all(r.is_mounted for r in rows)

    def on_screen_resume(self) -> None:
        self._render_command()

    def _state_changed(self, what: Topic) -> None:
        if what == "project":
            self._render_envs()
        elif what == "params":
            self._render_envs()
            self._render_params()
        elif what == "params-reload":
            state = self.shared
            self.query_one(ParamForm).update_fields(state.fields, state.overrides, state.vanished)
        elif what == "prefill":
            self._render_envs()
            self._render_params()
            self.query_one(EnvVarsForm).load(self.shared.env_vars)
        self._render_command()

    # --- rendering -------------------------------------------------------------------------

    def _render_envs(self) -> None:
        config = self.shared.config
        if config is None:
            return
        options = [(e, e) for e in config.envs]
        env = self.shared.env or config.default_env
        placeholder = self.query_one("#env-loading", Static)
        selects = self.query("#env").results(Select)
        select = next(selects, None)
        if not options:
            placeholder.update("[$text-muted]no envs[/]")
            placeholder.display = True
            if select is not None:
                select.display = False
            return
        placeholder.display = False
        if select is None:
            with self.prevent(Select.Changed):
                self._env_built = self.query_one("#setup-top").mount(
                    Select[str](
                        options,
                        id="env",
                        allow_blank=False,
                        value=env if env in config.envs else options[0][1],
                    ),
                    after=placeholder,
                )
            self._env_options = options
            return
        if not select.is_mounted:  # mounted by a render earlier in this frame, not built yet
            built = self._env_built

            async def when_built() -> None:
                if built is not None:
                    await built
                self._render_envs()

            # a worker, not a callback: awaiting the mount in this screen's handler would hold
            # the messages the mount needs
            self.run_worker(when_built(), group="env-picker", exclusive=True)
            return
        select.display = True
        with self.prevent(Select.Changed):
            if options != self._env_options:  # rebuilding the same list was ~10 ms a render
                select.set_options(options)
            if env in config.envs and select.value != env:
                select.value = env
        self._env_options = options

    def _render_params(self) -> None:
        state = self.shared
        env = state.env or (state.config.default_env if state.config is not None else "")
        self.query_one(ParamForm).show(
            state.fields,
            state.overrides,
            state.params_error,
            state.vanished,
            loading=None if state.params_env is not None and state.params_env == env else env,
        )
        # an example of this project's own keys: the demo's "model.lr=…" was no key of it
        self.query_one("#sweep", Input).placeholder = sweep_example(state.fields)

    def _render_command(self) -> None:
        import shlex

        state = self.shared
        spec = state.spec()
        sweep = "".join(f" --sweep {shlex.quote(item)}" for item in self.sweep_items)
        lines = [escape(spec.command() + sweep)]
        problems = state.problems()
        if problems:
            lines.append("[$error]cannot run yet: " + escape("; ".join(problems)) + "[/]")
        self.query_one("#command", Static).update("\n".join(lines))
        planned = len(state.planned())
        total = len(state.pipeline_nodes())
        summary = (
            f"pipeline [b]{escape(state.pipeline)}[/b] · {planned}/{total} nodes · "
            f"{escape(state.filters.describe())} · {len(state.overrides)} override(s)"
        )
        self.query_one("#setup-summary", Static).update(summary)

    # --- events ----------------------------------------------------------------------------

    @on(Select.Changed, "#env")
    def _env_changed(self, event: Select.Changed) -> None:
        if isinstance(event.value, str) and event.value != self.shared.env:
            self.post_message(EnvChosen(event.value))

    # ParamRow.Changed bubbles on to the app, which records the override in the state.

    @on(Input.Changed, "#sweep")
    def _sweep_changed(self, event: Input.Changed) -> None:
        event.stop()  # not a parameter field: the app must not take it for an override
        self._check_sweep(event.value)
        self._render_command()

    def _check_sweep(self, text: str) -> str | None:
        """Validate the Sweep field as ``--sweep`` would; the problem, or None (shown either way)."""
        from proj_tui.config import nest_dotted
        from proj_tui.framework.sweep import (
            SweepError,
            check_keys,
            combinations,
            parse_sweeps,
        )

        items = [part.strip() for part in text.replace("\n", ";").split(";") if part.strip()]
        problem_box = self.query_one("#sweep-problem", Static)
        self.sweep_items, self.sweep_runs = (), 0
        if not items:
            problem_box.update("")
            return None
        state = self.shared
        try:
            sweep = parse_sweeps(items)
            known = nest_dotted({field.key: None for field in state.fields})
            check_keys(sweep, known, env=state.env or "the chosen env")
            runs = len(combinations(sweep))
        except SweepError as exc:
            problem_box.update(f"[$error]{escape(str(exc))}[/]")
            return str(exc)
        self.sweep_items, self.sweep_runs = tuple(items), runs
        problem_box.update(f"{runs} run(s), queued with ctrl+z")
        return None

    def on_env_vars_form_changed(self) -> None:
        values, problems = self.query_one(EnvVarsForm).values()
        self.post_message(EnvVarsEdited(values, problems))

    # --- actions ---------------------------------------------------------------------------

    def action_pick_env(self) -> None:
        select = next(self.query("#env").results(Select), None)
        if select is None or not select.display:
            self.notify("The project's envs are still loading.", severity="warning", timeout=2)
            return
        select.focus()
        select.action_show_overlay()

    def action_queue(self) -> None:
        """Queue this setup (a run per sweep combination) through ``proj-tui run --queue``: the
        same checks, the same store rows and the same detached worker as from a shell."""
        problems = list(self.shared.problems())
        sweep_problem = self._check_sweep(self.query_one("#sweep", Input).value)
        if sweep_problem:
            problems.append(sweep_problem)
        if problems:
            self.notify("Fix first: " + "; ".join(problems), title="Cannot queue", severity="error")
            return
        spec = self.shared.spec()
        argv = [*self.shared.cli, "run", *spec.run_args(env_names_only=True), "--queue"]
        for item in self.sweep_items:
            argv += ["--sweep", item]
        self._enqueue(argv, spec.child_env())

    @work(thread=True, group="setup-queue", exit_on_error=False)
    def _enqueue(self, argv: list[str], env: dict[str, str]) -> None:
        import os
        import subprocess

        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            cwd=str(self.shared.project_path),
            timeout=120,
        )
        message = (done.stderr or "").strip().replace("Error: ", "")
        if done.returncode == 0:
            text = message.split(" See:")[0] + ". Press 5 for the queue."
            self.app.call_from_thread(self.notify, text, title="Queued", timeout=6)
        else:
            self.app.call_from_thread(
                self.notify,
                message or "proj-tui run --queue failed",
                title="Cannot queue",
                severity="error",
            )

    def action_blur(self) -> None:
        self.set_focus(None)

    def action_reset_field(self) -> None:
        row = self.query_one(ParamForm).focused_row()
        if row is None:
            self.notify("Focus a parameter field first.", severity="warning")
            return
        row.reset()

    def action_reset_all(self) -> None:
        self.query_one(ParamForm).reset_all()
        self.notify("All parameter overrides dropped.", timeout=2)

    def action_add_env_var(self) -> None:
        self.query_one(EnvVarsForm).add_row()

    def action_blame(self) -> None:
        row = self.query_one(ParamForm).focused_row()
        key = row.field.key if row is not None else None
        from proj_tui.tui.screens.config_view import open_config_view

        open_config_view(self.app, "blame", f"parameters.{key}" if key else None)
