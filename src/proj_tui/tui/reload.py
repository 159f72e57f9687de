"""Live reload: watch config, settings and pipeline code; reload in the background.

:class:`LiveReload` is the app's base class, so its message handlers, workers and actions are
the app's own. The watcher is ``watchfiles.awatch`` (imported lazily, once the project is
loaded) in an asyncio task owned by the app rather than a Textual worker: a worker that never
ends would make ``app.workers.wait_for_complete()`` — how tests and benches wait for "loaded" —
wait forever. Everything it triggers (config reload, describe, staleness) is a short thread
worker that posts a typed message, and each reload ends with a toast. A broken config file keeps
the last good config on screen and puts the error (file:line:column) in a banner until fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App
from textual.message import Message

if TYPE_CHECKING:
    from textual.signal import Signal
    from textual.timer import Timer

    from proj_tui.tui.model import ProjectDescription, RunFilters
    from proj_tui.tui.reload_model import ConfigProblem, ConfigSnapshot, StaleInfo
    from proj_tui.tui.state import AppState

WATCH_DEBOUNCE_MS = 50  # longest a burst of events is gathered before a batch is delivered
WATCH_STEP_MS = 25  # a batch closes after this long without new events (and stop is checked)
# Reload workers are not ``exclusive``: cancelling one makes ``workers.wait_for_complete()`` raise;
# a generation number drops the answers of superseded ones instead.
WATCH_RUST_TIMEOUT_MS = 2_000  # idle wake-up of the watch thread; events still come at once


class ConfigReloaded(Message):
    """The env's config loaded again after a save."""

    def __init__(self, generation: int, snapshot: ConfigSnapshot, paths: list[Path]) -> None:
        super().__init__()
        self.generation = generation
        self.snapshot = snapshot
        self.paths = paths


class ConfigBroken(Message):
    """A saved config file does not load; the last good config stays."""

    def __init__(self, generation: int, env: str, problem: ConfigProblem) -> None:
        super().__init__()
        self.generation = generation
        self.env = env
        self.problem = problem


class PipelinesReloaded(Message):
    """Pipelines described again after a code change."""

    def __init__(self, generation: int, description: ProjectDescription) -> None:
        super().__init__()
        self.generation = generation
        self.description = description


class StaleChecked(Message):
    """``pipelines stale --json`` answered for the current pipeline and env."""

    def __init__(self, generation: int, info: StaleInfo) -> None:
        super().__init__()
        self.generation = generation
        self.info = info


class LiveReload(App[int]):
    """The app's live-reload half: the watcher, background reloads, staleness, config views."""

    state: AppState
    cli: list[str]
    state_changed: Signal[str]
    watch_ready: bool = False  # True once the OS watches are in place (tests and benches edit then)
    _watch_task: asyncio.Task[None] | None = None
    _watch_stop: asyncio.Event | None = None
    _config_generation: int = 0
    _stale_key: tuple[str, str | None] | None = None
    _stale_generation: int = 0
    _describe_generation: int = 0
    _stale_timer: Timer | None = None

    if TYPE_CHECKING:  # defined by ProjTuiApp

        def load_project(self) -> Any: ...
        def set_filters(self, filters: RunFilters) -> None: ...

    # --- lifecycle -------------------------------------------------------------------------

    def on_mount(self) -> None:
        self.call_after_refresh(self._live_subscribe)

    def _live_subscribe(self) -> None:
        self.state_changed.subscribe(self, self._live_state_changed)
        if self.state.config is not None:
            self.start_watching()

    async def on_unmount(self) -> None:
        await self.stop_watching()

    def start_watching(self) -> None:
        """Start the watcher once (the project's paths are known without importing its code)."""
        if self._watch_task is None:
            self._watch_stop = asyncio.Event()
            self._watch_task = asyncio.create_task(self._watch(self._watch_stop))

    async def stop_watching(self) -> None:
        """Stop via the stop event (the watch thread sees it within a step), then await it."""
        task, self._watch_task = self._watch_task, None
        if self._watch_stop is not None:
            self._watch_stop.set()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError, Exception):
                await asyncio.wait_for(task, timeout=1.0)

    async def _watch(self, stop: asyncio.Event) -> None:
        """The watch loop; restarts when a watched *file* is replaced (atomic save of pyproject)."""
        try:
            from watchfiles import awatch

            from proj_tui.framework.watch import project_watch_paths, relevant_change

            while not stop.is_set():
                paths, conf = project_watch_paths(self.state.project_path)
                files = {p.resolve() for p in paths if p.is_file()}

                def keep(_change: object, path: str, conf: Path = conf) -> bool:
                    return relevant_change(path, conf) is not None

                changes = awatch(
                    *paths,
                    watch_filter=keep,
                    debounce=WATCH_DEBOUNCE_MS,
                    step=WATCH_STEP_MS,
                    stop_event=stop,
                    rust_timeout=WATCH_RUST_TIMEOUT_MS,
                )
                pending = asyncio.ensure_future(anext(changes))
                await asyncio.sleep(0)  # the generator has put its OS watches in place
                self.watch_ready = True
                restart = False
                while True:
                    try:
                        raw = await pending
                    except StopAsyncIteration:
                        return
                    grouped: dict[str, list[Path]] = {}
                    for _, name in raw:
                        kind = relevant_change(name, conf)
                        if kind is not None:
                            grouped.setdefault(kind, []).append(Path(name))
                    self._changed(grouped)
                    if any(p.resolve() in files for group in grouped.values() for p in group):
                        restart = True
                        break
                    pending = asyncio.ensure_future(anext(changes))
                await changes.aclose()
                if not restart:
                    return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a watcher that cannot start must not take the app down
            self.notify(
                f"Live reload is off: {type(exc).__name__}: {exc}",
                title="Watcher",
                severity="warning",
                timeout=10,
            )

    def _changed(self, grouped: dict[str, list[Path]]) -> None:
        """One coalesced batch: settings/pyproject reload everything, else config and/or code."""
        if "project" in grouped:
            self.load_project()
            self.reload_pipelines()
            return
        if "config" in grouped:
            self._config_generation += 1
            self.reload_config(self._config_generation, sorted(set(grouped["config"])))
        if "code" in grouped:
            self.reload_pipelines()

    def _live_state_changed(self, what: str) -> None:
        if what == "project":
            self.start_watching()
        moved = self._stale_key != (self.state.pipeline, self.state.env)
        if what in ("params", "params-reload", "pipelines") or (
            what in ("filters", "setup", "preset") and moved
        ):
            self.schedule_stale_check()

    # --- config ----------------------------------------------------------------------------

    @work(
        thread=True,
        exit_on_error=False,
        group="config-reload",
        description="Reload config",
    )
    def reload_config(self, generation: int, paths: list[Path]) -> None:
        from proj_tui.config import ConfigError
        from proj_tui.tui.reload_model import config_problem, load_snapshot

        config, env = self.state.config, self.state.env
        if config is None or env is None:
            return
        try:
            snapshot = load_snapshot(config, env)
        except ConfigError as exc:
            problem = config_problem(exc, config.project_path)
            self.post_message(ConfigBroken(generation, env, problem))
            return
        self.post_message(ConfigReloaded(generation, snapshot, paths))

    def on_config_reloaded(self, message: ConfigReloaded) -> None:
        from proj_tui.config import diff_config
        from proj_tui.tui.reload_model import changed_label, params_of

        state, snapshot = self.state, message.snapshot
        if message.generation != self._config_generation or snapshot.env != state.env:
            return  # a newer save is on its way, or the env changed meanwhile
        old_fields = state.fields
        was_broken = state.config_error is not None or state.params_error is not None
        changes = diff_config(params_of(old_fields), snapshot.params)
        full = state.params_error is not None or not old_fields
        state.fields = snapshot.fields
        state.config_error = None
        state.params_error = None
        keys = {f.key for f in snapshot.fields}
        sources = {f.key: f.source for f in old_fields}
        before = set(state.vanished)
        state.vanished = {
            key: f"no longer in the {snapshot.env} config"
            + (f" (it was set in {sources[key]})" if sources.get(key) else "")
            for key in state.overrides
            if key not in keys
        }
        self.state_changed.publish("params" if full else "params-reload")
        label = changed_label(message.paths, state.project_path)
        text = changes.summary(label) if changes else f"{label}: no parameter changed"
        newly = sorted(set(state.vanished) - before)
        if newly:
            text += f". Override(s) kept for removed key(s): {', '.join(newly)}"
        self.notify(
            text,
            title="Config fixed, reloaded" if was_broken else "Config reloaded",
            severity="warning" if newly else "information",
            timeout=5,
        )

    def on_config_broken(self, message: ConfigBroken) -> None:
        state = self.state
        if message.generation != self._config_generation or message.env != state.env:
            return
        state.config_error = message.problem
        self.state_changed.publish("config-error")
        self.notify(
            f"{message.problem}\nThe last good config stays until the file is fixed.",
            title="Config error",
            severity="error",
            timeout=6,
        )

    # --- pipelines -------------------------------------------------------------------------

    @work(
        thread=True,
        exit_on_error=False,
        group="describe-reload",
        description="Describe pipelines after a code change",
    )
    def _reload_pipelines(self, generation: int) -> None:
        from proj_tui.tui.model import describe_pipelines

        description = describe_pipelines(self.state.project_path, self.cli)
        self.post_message(PipelinesReloaded(generation, description))

    def reload_pipelines(self) -> None:
        """Describe again out of process (edited code is imported afresh there)."""
        self._describe_generation += 1
        self._reload_pipelines(self._describe_generation)

    def on_pipelines_reloaded(self, message: PipelinesReloaded) -> None:
        from proj_tui.tui.reload_model import keep_last_good

        if message.generation != self._describe_generation:
            return
        state = self.state
        previous = state.description
        new = message.description
        before = {
            n.name for nodes in (previous.pipelines if previous else {}).values() for n in nodes
        }
        state.description = keep_last_good(previous, new)
        if state.description.pipelines and state.pipeline not in state.description.pipelines:
            state.pipeline = state.description.pipeline_names()[0]
        self.state_changed.publish("pipelines")
        if new.errors:
            self.notify(
                f"{new.errors[0]}\nThe last good pipelines stay until it is fixed.",
                title="Pipelines",
                severity="error",
                timeout=8,
            )
            return
        after = {n.name for nodes in new.pipelines.values() for n in nodes}
        parts = [f"+{n}" for n in sorted(after - before)] + [
            f"-{n}" for n in sorted(before - after)
        ]
        detail = ", ".join(parts[:4]) + (f" and {len(parts) - 4} more" if len(parts) > 4 else "")
        self.notify(detail or "no node added or removed", title="Pipelines reloaded", timeout=4)

    # --- staleness -------------------------------------------------------------------------

    def schedule_stale_check(self) -> None:
        """Coalesce the triggers of one load (params, pipelines …) into one child process."""
        if self._stale_timer is not None:
            self._stale_timer.stop()
        self._stale_timer = self.set_timer(0.05, self._start_stale_check)

    def _start_stale_check(self) -> None:
        self._stale_timer = None
        state = self.state
        if state.config is None or not state.pipeline_nodes():
            return
        self._stale_key = (state.pipeline, state.env)
        self._stale_generation += 1
        self.check_staleness(
            self._stale_generation, state.pipeline, state.env, dict(state.overrides)
        )

    @work(
        thread=True,
        exit_on_error=False,
        group="stale",
        description="Check which nodes are stale",
    )
    def check_staleness(
        self, generation: int, pipeline: str, env: str | None, overrides: dict[str, Any]
    ) -> None:
        from proj_tui.tui.reload_model import check_stale

        info = check_stale(self.state.project_path, pipeline, env, overrides, self.cli)
        self.post_message(StaleChecked(generation, info))

    def on_stale_checked(self, message: StaleChecked) -> None:
        info, state = message.info, self.state
        if message.generation != self._stale_generation:
            return
        if info.pipeline != state.pipeline or (info.env and state.env and info.env != state.env):
            return
        state.stale = info
        self.state_changed.publish("stale")

    async def action_run_stale(self) -> None:
        """Run the stale nodes and what depends on them, through the normal run path."""
        info, state = self.state.stale, self.state
        if info is None or info.pipeline != state.pipeline:
            self.notify("Staleness is still being checked.", severity="warning")
            return
        if info.error:
            self.notify(info.error, title="Staleness", severity="error")
            return
        if info.baseline is None:
            self.notify(
                "No succeeded run of this pipeline yet: run it whole first (ctrl+r).",
                severity="warning",
            )
            return
        if not info.to_run:
            self.notify("Everything is up to date.", title="Staleness")
            return
        self.set_filters(info.filters)
        self.notify(f"Running {len(info.to_run)} stale node(s)", title="Run stale", timeout=3)
        await self.run_action("run")

    # --- config views ----------------------------------------------------------------------

    def open_config_view(self, mode: str = "blame", key: str | None = None) -> None:
        """Provenance ("blame") of every value, or two envs side by side."""
        from proj_tui.tui.screens.config_view import ConfigViewScreen

        if isinstance(self.screen, ConfigViewScreen):
            self.screen.mode = mode
            return
        self.push_screen(ConfigViewScreen(mode, key))


__all__ = [
    "ConfigBroken",
    "ConfigReloaded",
    "LiveReload",
    "PipelinesReloaded",
    "StaleChecked",
]
