"""Two stores on one file in one process (the app's reader and writer, a test and the app) keep
their locks: opening the second must not let another process delete the WAL under the first.

SQLite's locks are POSIX advisory locks, owned by the process: closing *any* descriptor of the
database file drops them all, for every connection of the process. A reader that lost its lock
looks like no reader to a writer closing in another process, which then checkpoints and deletes
the WAL and its index while the reader still maps it: the reader stops seeing new sessions and a
store opened afterwards in the same process calls the file "malformed".
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from proj_tui.framework.store import SQLiteSessionStore

WRITE = (
    "import sys\n"
    "from proj_tui.framework.store import SQLiteSessionStore\n"
    "s = SQLiteSessionStore(sys.argv[1]); s.create_session({'env': sys.argv[2]}); s.close()\n"
)


def _write_elsewhere(path: Path, env: str) -> None:
    subprocess.run([sys.executable, "-c", WRITE, str(path), env], check=True, timeout=30)


def test_a_second_store_in_the_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    path = tmp_path / ".proj-tui" / "sessions.db"
    _write_elsewhere(path, "first")
    first = SQLiteSessionStore(path)
    assert [s.env for s in first.list_sessions()] == ["first"]
    for n in range(3):
        second = SQLiteSessionStore(path, readonly=n % 2 == 0)  # the app opens both kinds
        second.list_sessions()
        _write_elsewhere(path, f"other-{n}")  # a CLI run in another terminal: opens, writes, closes
        assert first.count_sessions() == n + 2, "the first store no longer sees new sessions"
        assert second.count_sessions() == n + 2
        second.close()
    assert Path(f"{path}-wal").exists(), "another process removed the WAL under our readers"
    with SQLiteSessionStore(path) as third:
        assert third.count_sessions() == 4
    first.close()
