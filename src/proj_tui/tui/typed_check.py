"""Kedro's typed-parameter validation, before a run is launched.

A Kedro 1.3+ project may type a node's ``params:`` input with a pydantic model or a dataclass;
Kedro then refuses a run whose parameters do not fit. The Run setup asks the same question as the
user edits: after a short pause in typing, a worker asks the project's Kedro (through
``Project.config_loader(env, overrides).validation_error``, answered in the project's Python and
cached) and the state keeps the answer for the env and overrides it was asked for; a run is not
started while Kedro says no. Projects without typed parameters never start a check.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from proj_tui.tui.state import AppState, Topic

_DEBOUNCE_S = 0.3


class TypedParamsCheck:
    """Asks Kedro whether the run's parameters pass its typed validation (see the module doc)."""

    def __init__(self, app: App[Any], state: AppState) -> None:
        self._app = app
        self._state = state
        self._timer: Timer | None = None

    def start(self) -> None:
        self._state.subscribe(self._app, self._changed)

    def _changed(self, what: Topic) -> None:
        if what not in ("params", "params-reload", "overrides", "env", "prefill"):
            return
        if not any(f.type_name for f in self._state.fields):
            if self._state.typed_error is not None:  # the types went away with a reload
                self._state.typed_checked(self._state.env, dict(self._state.overrides), None)
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self._app.set_timer(_DEBOUNCE_S, self._check)

    def _check(self) -> None:
        self._timer = None
        state = self._state
        if state.config is None or state.env is None:
            return
        self._app.run_worker(
            partial(self._ask, state.env, dict(state.overrides)),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="typed-params",
            description="Check typed parameters with Kedro",
        )

    def _ask(self, env: str, overrides: dict[str, Any]) -> None:
        from proj_tui.config import nest_dotted

        config = self._state.config
        if config is None:
            return
        loader = config.project.config_loader(env, nest_dotted(overrides))
        error = getattr(loader, "validation_error", None)
        self._app.call_from_thread(self._state.typed_checked, env, overrides, error)
