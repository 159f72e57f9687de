"""Which sessions of the project are live right now, whoever started them, kept in AppState.

A session is a process of its own (docs/architecture.md): it may come from this app, another
app, ``proj-tui run`` in a shell or ``kedro run`` with our plugin. :class:`LiveWatch` is a
component the app owns (``app.live_watch``) that keeps ``AppState.live`` current without ever
blocking the UI: a timer asks the store for its ``change_token()`` (one ``PRAGMA`` on a read-only
connection), and only when another process wrote — or every :data:`REREAD_SECONDS`, so a
session killed with SIGKILL is reaped even when nothing writes — a thread worker reads
``framework.live.live_sessions``. A store that cannot be read says so once, as a toast, not a
modal every poll.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App
    from textual.timer import Timer

    from proj_tui.framework.live import LiveSession
    from proj_tui.tui.state import AppState

POLL_SECONDS = 0.5  # how often the store's change token is checked (UI thread, one PRAGMA)
REREAD_SECONDS = 3.0  # the live list is read at least this often (dead sessions get reaped)


@dataclass
class LiveListed(Message):
    """The project's live sessions as a worker just read them (``error``: why it could not)."""

    sessions: list[LiveSession] = field(default_factory=list)
    error: str | None = None


def read_live(state: AppState) -> LiveListed:
    """The live sessions from the store (dead ones reaped first); an unreadable store is an
    answer too, never an exception, so a poll every few seconds cannot flood the error modal."""
    from proj_tui.framework.live import live_sessions
    from proj_tui.framework.store import StoreError

    try:
        store = state.history.reader()
        if store is None:  # no session was ever recorded: none is live
            return LiveListed([])
        return LiveListed(live_sessions(store))
    except (StoreError, OSError) as exc:
        return LiveListed([], error=f"cannot list live sessions: {exc}")


class LiveWatch:
    """Polls for the project's live sessions and hands them to ``AppState.live_listed``.

    ``on_listed`` is called (on the UI thread) with each answer and the ids new since the last
    one, so the app can say "a session started" without this component knowing how.
    """

    def __init__(self, app: App[Any], state: AppState) -> None:
        self._app = app
        self._state = state
        self._token: int | None = None
        self._read_at = 0.0
        self._timer: Timer | None = None
        self.reads = 0  # answers handled (tests wait for a fresh one instead of sleeping)

    def start(self) -> None:
        """Read now, then keep polling (after the first paint: start-up pays nothing)."""
        if self._timer is None:
            self._timer = self._app.set_interval(POLL_SECONDS, self._tick, name="live-sessions")
            self.refresh()

    def refresh(self) -> None:
        """Read the live list now (the Runs screen shown, a run launched or ended)."""
        self._read_at = time.monotonic()
        self._app.run_worker(
            lambda: self._app.post_message(read_live(self._state)),
            thread=True,
            exclusive=True,
            exit_on_error=False,
            group="live-sessions",
            description="List live sessions",
        )

    def _tick(self) -> None:
        from proj_tui.framework.store import StoreError

        try:
            token = self._state.history.token()
        except StoreError:
            token = None  # the worker's read says what is wrong
        due = time.monotonic() - self._read_at >= REREAD_SECONDS
        if token != self._token or due:
            self._token = token
            self.refresh()

    def listed(self, message: LiveListed) -> list[LiveSession]:
        """Take a worker's answer into the state; returns the sessions not listed before."""
        self.reads += 1
        before = self._state.live_error
        new_ids = set(self._state.live_listed(message.sessions, message.error))
        if message.error and message.error != before:
            self._app.notify(message.error, title="Live sessions", severity="warning", timeout=8)
        return [s for s in self._state.live if s.session_id in new_ids]


__all__ = ["POLL_SECONDS", "REREAD_SECONDS", "LiveListed", "LiveWatch", "read_live"]
