"""Live reload: watch config, settings and pipeline code; reload in the background.

:class:`LiveReload` is a component the app owns (``app.live``): it holds the watcher and the
bookkeeping of reloads, runs its loads as the app's thread workers (so their failures reach the
app's one error handler) and writes what they found through :class:`AppState`'s writers. The
watcher is ``watchfiles.awatch`` (imported lazily, once the project is loaded) in an asyncio task
rather than a Textual worker: a worker that never ends would make
``app.workers.wait_for_complete()`` — how tests and benches wait for "loaded" — wait forever.
Every reload ends with a toast. A broken config file keeps the last good config on screen and
puts the error (file:line:column) in a banner until fixed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from proj_tui.tui.model import ProjectDescription, RunFilters
    from proj_tui.tui.reload_model import ConfigProblem, ConfigSnapshot, StaleInfo
    from proj_tui.tui.state import AppState, Topic

WATCH_DEBOUNCE_MS = 50  # longest a burst of events is gathered before a batch is delivered
# The watch thread wakes every step to look for events (a batch closes at the first step that
# saw no new one: a save reaches the app one to two steps after it) and for the stop event. At
# 25 ms its 40 wake-ups a second cost 0.1-0.25 % of a core, idle; 50 ms halves that and adds
# ~40 ms to a save's way to the screen (benches/reload.py: budget 300 ms).
WATCH_STEP_MS = 50
# Reload workers are not ``exclusive``: cancelling one makes ``workers.wait_for_complete()`` raise;
# a generation number drops the answers of superseded ones instead.
WATCH_RUST_TIMEOUT_MS = 2_000  # idle wake-up of the watch thread; events still come at once


@dataclass
class ConfigReloaded(Message):
    """The env's config loaded again after a save."""

    generation: int
    snapshot: ConfigSnapshot
    paths: list[Path]


@dataclass
class ConfigBroken(Message):
    """A saved config file does not load; the last good config stays."""

    generation: int
    env: str
    problem: ConfigProblem


@dataclass
class PipelinesReloaded(Message):
    """Pipelines described again after a code change."""

    generation: int
    description: ProjectDescription


@dataclass
class StaleChecked(Message):
    """``pipelines stale --json`` answered for the current pipeline and env."""

    generation: int
    info: StaleInfo


class LiveReload:
    """The app's live-reload component: the watcher, background reloads and staleness.

    ``reload_project`` loads the project's settings again (a change of ``settings.py`` or
    ``pyproject.toml``). The app hands this component the messages its workers post.
    """

    def __init__(
        self, app: App[Any], state: AppState, *, reload_project: Callable[[], object]
    ) -> None:
        self._app = app
        self._state = state
        self._reload_project = reload_project
        self.watch_ready = (
            False  # True once the OS watches are in place (tests and benches edit then)
        )
        self._watch_task: asyncio.Task[None] | None = None
        self._watch_stop: asyncio.Event | None = None
        self._config_generation = 0
        self._stale_key: tuple[str, str | None] | None = None
        self._stale_generation = 0
        self._describe_generation = 0
        self._stale_timer: Timer | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Follow the state (the app is running), and watch once the project is known."""
        self._state.subscribe(self._app, self._state_changed)
        if self._state.config is not None:
            self.start_watching()

    def start_watching(self) -> None:
        """Start the watcher once (the project's paths are known without importing its code)."""
        if self._watch_task is None:
            self._watch_stop = asyncio.Event()
            self._watch_task = asyncio.create_task(self._watch(self._watch_stop))

    async def stop(self) -> None:
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
                paths, conf = project_watch_paths(self._state.project_path)
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
            self._app.notify(
                f"Live reload is off: {type(exc).__name__}: {exc}",
                title="Watcher",
                severity="warning",
                timeout=10,
            )

    def _changed(self, grouped: dict[str, list[Path]]) -> None:
        """One coalesced batch: settings/pyproject reload everything, else config and/or code."""
        if "project" in grouped:
            self._reload_project()
            self.reload_pipelines()
            return
        if "config" in grouped:
            self._config_generation += 1
            self._run(
                partial(
                    self._reload_config, self._config_generation, sorted(set(grouped["config"]))
                ),
                group="config-reload",
                description="Reload config",
            )
        if "code" in grouped:
            self.reload_pipelines()

    def _state_changed(self, what: Topic) -> None:
        if what == "project":
            self.start_watching()
        moved = self._stale_key != (self._state.pipeline, self._state.env)
        if what in ("params", "params-reload", "pipelines") or (
            what in ("filters", "env", "prefill") and moved
        ):
            self.schedule_stale_check()

    def _run(self, work: Callable[[], None], *, group: str, description: str) -> None:
        """A thread worker of the app's: a failure reaches the app's one error handler."""
        self._app.run_worker(
            work, thread=True, exit_on_error=False, group=group, description=description
        )

    # --- config ----------------------------------------------------------------------------

    def _reload_config(self, generation: int, paths: list[Path]) -> None:
        from proj_tui.config import ConfigError
        from proj_tui.tui.reload_model import config_problem, load_snapshot

        config, env = self._state.config, self._state.env
        if config is None or env is None:
            return
        try:
            snapshot = load_snapshot(config.project, env)
        except ConfigError as exc:
            problem = config_problem(exc, config.project_path)
            self._app.post_message(ConfigBroken(generation, env, problem))
            return
        self._app.post_message(ConfigReloaded(generation, snapshot, paths))

    def config_reloaded(self, message: ConfigReloaded) -> None:
        from proj_tui.config import diff_config
        from proj_tui.tui.reload_model import changed_label, params_of

        state, snapshot = self._state, message.snapshot
        if message.generation != self._config_generation or snapshot.env != state.env:
            return  # a newer save is on its way, or the env changed meanwhile
        changes = diff_config(params_of(state.fields), snapshot.params)
        was_broken, newly = state.config_reloaded(snapshot)
        label = changed_label(message.paths, state.project_path)
        text = changes.summary(label) if changes else f"{label}: no parameter changed"
        if newly:
            text += f". Override(s) kept for removed key(s): {', '.join(newly)}"
        self._app.notify(
            text,
            title="Config fixed, reloaded" if was_broken else "Config reloaded",
            severity="warning" if newly else "information",
            timeout=5,
        )

    def config_broken(self, message: ConfigBroken) -> None:
        if message.generation != self._config_generation or message.env != self._state.env:
            return
        self._state.config_broken(message.problem)
        self._app.notify(
            f"{message.problem}\nThe last good config stays until the file is fixed.",
            title="Config error",
            severity="error",
            timeout=6,
        )

    # --- pipelines -------------------------------------------------------------------------

    def reload_pipelines(self) -> None:
        """Describe again out of process (edited code is imported afresh there)."""
        self._describe_generation += 1
        self._run(
            partial(self._describe, self._describe_generation),
            group="describe-reload",
            description="Describe pipelines after a code change",
        )

    def _describe(self, generation: int) -> None:
        from proj_tui.tui.model import describe_pipelines

        description = describe_pipelines(self._state.project_path, self._state.cli)
        self._app.post_message(PipelinesReloaded(generation, description))

    def pipelines_reloaded(self, message: PipelinesReloaded) -> None:
        if message.generation != self._describe_generation:
            return
        state = self._state
        previous = state.description
        new = message.description
        before = {
            n.name for nodes in (previous.pipelines if previous else {}).values() for n in nodes
        }
        state.pipelines_described(new, keep_last_good=True)
        if new.errors:
            self._app.notify(
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
        self._app.notify(
            detail or "no node added or removed", title="Pipelines reloaded", timeout=4
        )

    # --- staleness -------------------------------------------------------------------------

    def schedule_stale_check(self) -> None:
        """Coalesce the triggers of one load (params, pipelines …) into one child process."""
        if self._stale_timer is not None:
            self._stale_timer.stop()
        self._stale_timer = self._app.set_timer(0.05, self._start_stale_check)

    def _start_stale_check(self) -> None:
        self._stale_timer = None
        state = self._state
        if state.config is None or not state.pipeline_nodes():
            return
        self._stale_key = (state.pipeline, state.env)
        self._stale_generation += 1
        self._run(
            partial(
                self._check_staleness,
                self._stale_generation,
                state.pipeline,
                state.env,
                dict(state.overrides),
            ),
            group="stale",
            description="Check which nodes are stale",
        )

    def _check_staleness(
        self, generation: int, pipeline: str, env: str | None, overrides: dict[str, Any]
    ) -> None:
        from proj_tui.tui.reload_model import check_stale

        info = check_stale(self._state.project_path, pipeline, env, overrides, self._state.cli)
        self._app.post_message(StaleChecked(generation, info))

    def stale_checked(self, message: StaleChecked) -> None:
        if message.generation == self._stale_generation:
            self._state.stale_checked(message.info)

    def stale_filters(self) -> RunFilters | None:
        """The filters that run the stale nodes and what depends on them, or None (said why)."""
        info, state = self._state.stale, self._state
        notify = self._app.notify
        if info is None or info.pipeline != state.pipeline:
            notify("Staleness is still being checked.", severity="warning")
            return None
        if info.error:
            notify(info.error, title="Staleness", severity="error")
            return None
        if info.baseline is None:
            notify(
                "No succeeded run of this pipeline yet: run it whole first (ctrl+r).",
                severity="warning",
            )
            return None
        if not info.to_run:
            notify("Everything is up to date.", title="Staleness")
            return None
        notify(f"Running {len(info.to_run)} stale node(s)", title="Run stale", timeout=3)
        return info.filters


__all__ = [
    "ConfigBroken",
    "ConfigReloaded",
    "LiveReload",
    "PipelinesReloaded",
    "StaleChecked",
]
