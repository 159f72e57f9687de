"""Our commands in the ctrl+p palette: run, cancel, switch env, modes, presets, themes, reload.

Each command runs one of the app's actions by name or posts an intent message to the app, as a
key binding does: the palette knows the app only as a Textual ``App``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.message import Message

from proj_tui.tui.messages import DescribeRequested, EnvChosen, PresetChosen
from proj_tui.tui.state import app_state

Command = tuple[str, Callable[[], Any], str]


class ProjTuiCommands(Provider):
    """Everything the footer offers, plus one command per env and per preset."""

    def _action(self, action: str) -> Callable[[], Any]:
        return partial(self.app.run_action, action)

    def _post(
        self, message: Callable[..., Message], *args: Any, **kwargs: Any
    ) -> Callable[[], Any]:
        """Post a fresh ``message(*args, **kwargs)`` to the app when the command is chosen."""
        return lambda: self.app.post_message(message(*args, **kwargs))

    def _commands(self) -> list[Command]:
        app, action = self.app, self._action
        state = app_state(app)
        commands: list[Command] = [
            ("Run the current setup", action("run"), "Start a session (ctrl+r)"),
            ("Cancel the current run", action("cancel_run"), "SIGINT, then SIGTERM, then SIGKILL"),
            ("Open project browser", action("switch_mode('project')"), "Pipelines, nodes, plan"),
            ("Open run setup", action("switch_mode('setup')"), "Env, parameters, env vars"),
            ("Open runs", action("switch_mode('runs')"), "Live sessions"),
            ("Open history (sessions)", action("switch_mode('sessions')"), "Past sessions"),
            ("Reload pipelines", self._post(DescribeRequested), "Describe the pipelines again"),
            ("Run stale nodes", action("run_stale"), "Changed since the last succeeded run"),
            (
                "Config: blame",
                action("config_view('blame')"),
                "Which file and env set each value",
            ),
            (
                "Config: compare envs",
                action("config_view('compare')"),
                "Two envs' parameters side by side",
            ),
            ("Copy run command", action("copy_command"), "The equivalent proj-tui run command"),
            ("Save preset", action("save_preset"), "Save the run setup as a YAML preset"),
            ("Show keys (help)", action("help"), "Every binding and its id"),
        ]
        config = state.config
        for env in config.envs if config else []:
            commands.append(
                (
                    f"Switch env: {env}",
                    self._post(EnvChosen, env, announce=True),
                    "Config environment",
                )
            )
        from proj_tui.tui.presets import list_presets
        from proj_tui.tui.screens.sessions import history_commands

        commands += history_commands(app)
        for name in list_presets(state.project_path):
            commands.append(
                (f"Load preset: {name}", self._post(PresetChosen, name), "Saved run setup")
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
