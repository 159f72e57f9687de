"""Run setup: env, parameters (typed, validated, with provenance), env vars, presets, command."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Header, Label, Select, Static

from proj_tui.tui.components.config_banner import ConfigBanner
from proj_tui.tui.components.env_vars_form import EnvVarsForm
from proj_tui.tui.components.key_footer import KeyFooter
from proj_tui.tui.components.param_form import ParamForm
from proj_tui.tui.messages import EnvChosen, EnvVarsEdited
from proj_tui.tui.screens.mode_screen import ModeScreen
from proj_tui.tui.state import app_state

if TYPE_CHECKING:
    from proj_tui.tui.state import AppState, Topic


class RunSetupScreen(ModeScreen):
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
        Binding("escape", "blur", "Unfocus", show=False, id="setup.blur"),
    ]

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
        yield Static("", id="command")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#params").border_title = "Parameters"
        self.query_one("#env-vars").border_title = "Environment variables (ctrl+n adds)"
        self.query_one("#command").border_title = "Command (ctrl+y copies)"
        self.shared.subscribe(self, self._state_changed)
        self._render_envs()
        self._render_params()
        self.query_one(EnvVarsForm).load(self.shared.env_vars)
        self._render_command()

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
                self.query_one("#setup-top").mount(
                    Select[str](
                        options,
                        id="env",
                        allow_blank=False,
                        value=env if env in config.envs else options[0][1],
                    ),
                    after=placeholder,
                )
            return
        select.display = True
        with self.prevent(Select.Changed):
            select.set_options(options)
            if env in config.envs:
                select.value = env

    def _render_params(self) -> None:
        state = self.shared
        self.query_one(ParamForm).show(
            state.fields, state.overrides, state.params_error, state.vanished
        )

    def _render_command(self) -> None:
        state = self.shared
        spec = state.spec()
        lines = [escape(spec.command())]
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
