"""An app attaches to a ``kedro run`` typed in a shell: the plugin's record is a live session like
a native one, so the Runs screen lists it, attaching follows its nodes and log, and cancel ends
it ``cancelled`` (the app signals the recorded pid; the plugin notes the Ctrl+C).

The run pauses in ``preprocess_shuttles`` (``runtime.pause_s``) until the test cancels it; every
wait is for a condition, with a generous limit (``tui/test_live.py`` has the native twin).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kedro_project import kedro_env
from proj_tui.framework.project import store_path
from proj_tui.framework.store import SQLiteSessionStore
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.components.log_pane import LogPane
from tui.pilot_helpers import settle
from tui.test_live import attach_first, until

# a real Kedro run and the app on a Kedro project: minutes on a loaded machine
pytestmark = pytest.mark.timeout(600)

SIZE = (120, 40)
PAUSED = "preprocess_shuttles__"


async def test_an_app_attaches_to_a_live_kedro_run_follows_it_and_cancels_it(
    kedro_project: Path, tmp_path: Path
) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kedro", "run", "--params", "runtime.pause_s=300"],
        cwd=kedro_project,
        env=kedro_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr.txt").open("wb"),
        start_new_session=True,  # as from another terminal: nothing ties it to the app
    )
    try:
        app = ProjTuiApp(kedro_project)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            tab = await attach_first(pilot, app)
            session_id = tab.state.session_id
            assert session_id is not None and tab.origin is not None
            assert app.runs.live() == [tab]

            def paused() -> list[str]:
                nodes = tab.state.nodes
                return [n for n in nodes if n.startswith(PAUSED) and nodes[n].status == "running"]

            def lines() -> list[str]:
                return list(tab.query_one(LogPane).lines)

            # the nodes as the plugin records them, and the log as Kedro's loggers wrote it
            await until(pilot, paused, lambda: tab.state.nodes)
            await until(pilot, lambda: any("pausing 300" in line for line in lines()), lines)
            done = [n for n, run in tab.state.nodes.items() if run.status == "succeeded"]
            assert [n.split("__")[0] for n in done] == ["preprocess_companies"]
            assert any("Running node: preprocess_shuttles" in line for line in lines())

            await pilot.press("c")
            await until(pilot, lambda: tab.state.done, lambda: (tab.state, tab.cancelling))
            assert tab.state.status == "cancelled"
            assert proc.wait(timeout=120) != 0
            with SQLiteSessionStore(store_path(kedro_project), readonly=True) as store:
                record = store.get_session(session_id)
            assert record.status == "cancelled"
            assert record.error is not None and record.error["type"] == "Cancelled"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
