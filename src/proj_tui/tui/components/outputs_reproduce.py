"""History's reproduce action (``x``): run a past session's recorded code again and say if it matches.

The app starts ``proj-tui sessions reproduce ID --events json`` as a child on the Runs screen, the
way rerun starts ``proj-tui run`` (``RunRequested``), so the run is followed live and can be
cancelled; the child rebuilds the recorded code in a temporary worktree and runs it there
(framework/reproduce.py). Its verdict is the last thing it writes, so it shows at the end of the
tab's log; the app also says it in a toast when the reproduction finishes: a worker waits for the
new session (the one whose parent is the original, started after the launch) to end, then compares
the two sessions' outputs by digest with ``framework.output_diff.reproduce_verdict``.
"""

from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING, Any

from proj_tui.framework.replay import missing_env_message, missing_env_vars
from proj_tui.tui.components.history_actions import record_setup, secrets_note
from proj_tui.tui.components.history_store import require_reader
from proj_tui.tui.messages import RunRequested
from proj_tui.tui.state import app_state

if TYPE_CHECKING:
    from proj_tui.framework.store import SessionRecord, SQLiteSessionStore
    from proj_tui.tui.components.history_actions import HistoryActions

VERDICT_WAIT_S = 6 * 3600.0
"""How long the toast waits for the reproduction to end (the Runs tab follows it regardless)."""
_POLL_S = 0.5
"""As often as History polls the store for writes by other processes."""


def reproduce_argv(cli: list[str], project: str, session_id: str) -> list[str]:
    """The child's command line: ``proj-tui sessions reproduce ID --project P --events json``."""
    return [*cli, "sessions", "reproduce", session_id, "--project", project, "--events", "json"]


def start_reproduce(screen: HistoryActions, record: SessionRecord) -> None:
    """Start reproducing ``record`` in a Runs tab, and toast the verdict when it ends."""
    if record.status == "running":
        screen.notify(
            f"{record.session_id} is still running: reproduce it once it has finished.",
            severity="warning",
        )
        return
    missing = missing_env_vars(record, os.environ)
    if missing:  # the child would refuse at once; say why and how here
        screen.notify(
            missing_env_message(record, missing, "the app's environment"),
            title="Cannot reproduce",
            severity="error",
            timeout=10,
        )
        return
    state = app_state(screen)
    argv = reproduce_argv(list(state.cli), str(state.project_path), record.session_id)
    spec = record_setup(record).spec(state.project_path)
    note = (
        f"Reproducing {record.session_id} with the code it ran{secrets_note(record)}; "
        "the verdict ends its log"
    )
    screen.post_message(RunRequested(spec, argv, None, note=note))
    launched = time.time()
    screen.run_worker(
        lambda: _toast_verdict(screen, record.session_id, launched),
        thread=True,
        exit_on_error=False,
        group="history-reproduce",
        description=f"Wait for the reproduction of {record.session_id}",
    )


def _toast_verdict(screen: HistoryActions, original: str, launched: float) -> None:
    """Wait for the reproduction's verdict in the store, then say it in a toast."""
    from textual.worker import get_current_worker

    from proj_tui.framework.store import parse_query

    store = require_reader(screen.history)
    query = parse_query(f"parent:{original} sort:-started")
    worker = get_current_worker()
    deadline = launched + VERDICT_WAIT_S
    token: int | None = None
    while time.time() < deadline and not worker.is_cancelled:
        now_token = store.change_token()
        if now_token != token:
            token = now_token
            newest = store.list_sessions(query, limit=1)
            if newest and newest[0].started_at >= launched - 1 and newest[0].status != "running":
                record = store.get_session(newest[0].session_id)
                verdict = (record.extra or {}).get("reproduced_from")
                if isinstance(verdict, dict) or record.status != "succeeded":
                    _say(screen, store, original, record, verdict)
                    return
        time.sleep(_POLL_S)


def _say(
    screen: HistoryActions,
    store: SQLiteSessionStore,
    original: str,
    record: SessionRecord,
    verdict: dict[str, Any] | None,
) -> None:
    """``… reproduced as NEW: 11 of 12 outputs identical; 1 differs: model_a.metrics``."""
    from proj_tui.framework.output_diff import changed_names, output_rows

    head = f"{original} reproduced as {record.session_id}"
    if record.status != "succeeded":
        text = f"{head}: it {record.status} (its Runs tab says why)"
        severity = "error"
    else:
        assert verdict is not None
        outputs, inputs = changed_names(
            output_rows(store.datasets(original), store.datasets(record.session_id))
        )
        text = f"{head}: {verdict.get('summary') or 'compared'}"
        if outputs:
            text += f": {', '.join(outputs[:5])}" + (" …" if len(outputs) > 5 else "")
        if inputs:
            text += f" (the inputs already differed: {', '.join(inputs[:5])})"
        severity = "information" if verdict.get("identical") else "warning"
    screen.app.call_from_thread(
        screen.app.notify, text, title="Reproduce", severity=severity, timeout=15
    )
