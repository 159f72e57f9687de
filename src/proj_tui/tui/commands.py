"""Our commands in the ctrl+p palette: run, cancel, switch env, modes, presets, themes, reload."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from proj_tui.tui.app import ProjTuiApp

Command = tuple[str, Callable[[], Any], str]


class ProjTuiCommands(Provider):
    """Everything the footer offers, plus one command per env and per preset."""

    def _commands(self) -> list[Command]:
        app: ProjTuiApp = self.app  # type: ignore[assignment]
        commands: list[Command] = [
            ("Run the current setup", app.action_run, "Start a session (ctrl+r)"),
            ("Cancel the current run", app.action_cancel_run, "SIGINT, then SIGTERM, then SIGKILL"),
            (
                "Open project browser",
                partial(app.action_switch_mode, "project"),
                "Pipelines, nodes, plan",
            ),
            (
                "Open run setup",
                partial(app.action_switch_mode, "setup"),
                "Env, parameters, env vars",
            ),
            ("Open runs", partial(app.action_switch_mode, "runs"), "Live sessions"),
            (
                "Open history (sessions)",
                partial(app.action_switch_mode, "sessions"),
                "Past sessions",
            ),
            ("Reload pipelines", app.describe, "Describe the pipelines again"),
            ("Run stale nodes", app.action_run_stale, "Changed since the last succeeded run"),
            (
                "Config: blame",
                partial(app.open_config_view, "blame"),
                "Which file and env set each value",
            ),
            (
                "Config: compare envs",
                partial(app.open_config_view, "compare"),
                "Two envs' parameters side by side",
            ),
            ("Copy run command", app.copy_command, "The equivalent proj-tui run command"),
            ("Save preset", app.action_save_preset, "Save the run setup as a YAML preset"),
            ("Show keys (help)", app.action_help, "Every binding and its id"),
        ]
        config = app.state.config
        for env in config.envs if config else []:
            commands.append(
                (f"Switch env: {env}", partial(app.switch_env, env), "Config environment")
            )
        from proj_tui.tui.presets import list_presets
        from proj_tui.tui.screens.sessions import history_commands

        commands += history_commands(app)
        for name in list_presets(app.state.project_path):
            commands.append(
                (f"Load preset: {name}", partial(app.apply_preset, name), "Saved run setup")
            )
        from proj_tui.tui.themes import theme_names

        for name in theme_names(app):
            commands.append(
                (f"Theme: {name}", partial(setattr, app, "theme", name), "Switch and remember")
            )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, text=name, help=help_text)
