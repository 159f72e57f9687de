"""Several threads and processes on one store: unique ids, lock handling, change notification."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from storetest_helpers import record, run_python

from proj_tui.framework.store import (
    LogLine,
    SQLiteSessionStore,
    StoreLockedError,
    is_session_id,
)
from proj_tui.framework.store.ids import id_from_millis

FIXED_NOW = 1795547073.496  # every creator asks for the same millisecond


def _check_ids(ids: list[str], expected: int, *, consecutive_from: float | None = None) -> None:
    assert len(ids) == expected
    assert len(set(ids)) == expected, "duplicate session ids"
    assert all(is_session_id(i) for i in ids)
    if consecutive_from is not None:
        first = int(consecutive_from * 1000)
        assert sorted(ids) == [id_from_millis(first + k) for k in range(expected)]


@pytest.mark.parametrize("now", [None, FIXED_NOW], ids=["clock", "same-millisecond"])
def test_eight_threads_sharing_one_store(store: SQLiteSessionStore, now: float | None) -> None:
    def create(_: int) -> list[str]:
        return [store.create_session(record(), now=now) for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(create, range(8)) for i in batch]
    _check_ids(ids, 400, consecutive_from=now)
    assert store.count_sessions() == 400


def test_eight_threads_each_with_their_own_store(db_path: Path) -> None:
    SQLiteSessionStore(db_path).close()

    def create(_: int) -> list[str]:
        with SQLiteSessionStore(db_path) as own:
            return [own.create_session(record(), now=FIXED_NOW) for _ in range(50)]

    with ThreadPoolExecutor(8) as pool:
        ids = [i for batch in pool.map(create, range(8)) for i in batch]
    _check_ids(ids, 400, consecutive_from=FIXED_NOW)


_CREATOR = """
import sys, time
from proj_tui.framework.store import SQLiteSessionStore
now = None if sys.argv[2] == "clock" else float(sys.argv[2])
while time.time() < float(sys.argv[3]):  # start together
    time.sleep(0.0005)
store = SQLiteSessionStore(sys.argv[1])
for _ in range(50):
    print(store.create_session({"env": "proc"}, now=now), flush=True)
store.close()
"""


@pytest.mark.parametrize("now", ["clock", str(FIXED_NOW)], ids=["clock", "same-millisecond"])
def test_four_processes_creating_at_once(db_path: Path, now: str) -> None:
    """They also race to create the file and its schema: the store does not exist yet."""
    start = str(time.time() + 1.5)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CREATOR, str(db_path), now, start],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    ids: list[str] = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids += out.split()
    _check_ids(ids, 200, consecutive_from=None if now == "clock" else float(now))
    with SQLiteSessionStore(db_path) as store:
        assert store.count_sessions() == 200


def _hold_write_lock(path: Path, seconds: float, started: threading.Event) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    started.set()
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def test_lock_held_past_the_busy_timeout_is_retried(db_path: Path) -> None:
    with SQLiteSessionStore(db_path, busy_timeout=0.1) as store:
        started = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.25, started))
        holder.start()
        started.wait()
        session_id = store.create_session(record())  # waits 0.1 s, retries, then succeeds
        holder.join()
        assert store.get_session(session_id).status == "running"


def test_lock_never_released_becomes_store_locked_error(db_path: Path) -> None:
    with SQLiteSessionStore(db_path, busy_timeout=0.05) as store:
        session_id = store.create_session(record())
        started = threading.Event()
        holder = threading.Thread(target=_hold_write_lock, args=(db_path, 0.8, started))
        holder.start()
        started.wait()
        with pytest.raises(StoreLockedError) as caught:
            store.append_logs(session_id, [LogLine(message="x")])
        holder.join()
        message = str(caught.value)
        assert str(db_path) in message and "locked by another process" in message
        store.append_logs(session_id, [LogLine(message="x")])  # fine once released
        assert [line.seq for line in store.logs(session_id)] == [1]


def test_readers_are_not_blocked_by_a_writer(db_path: Path) -> None:
    with SQLiteSessionStore(db_path, busy_timeout=0.1) as store:
        store.create_session(record())
        started, release = threading.Event(), threading.Event()

        def hold() -> None:  # the write lock stays taken until the reads are done
            conn = sqlite3.connect(db_path, isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
            started.set()
            release.wait(30)
            conn.execute("COMMIT")
            conn.close()

        holder = threading.Thread(target=hold)
        holder.start()
        started.wait()
        try:  # a blocked read would give up after its busy timeouts: StoreLockedError
            assert store.count_sessions() == 1
            assert len(store.list_sessions()) == 1
            assert holder.is_alive()  # still holding the lock while we read
        finally:
            release.set()
            holder.join()


def test_change_token_follows_own_and_other_processes_writes(db_path: Path) -> None:
    with SQLiteSessionStore(db_path) as store, SQLiteSessionStore(db_path) as other:
        session_id = store.create_session(record())
        token = store.change_token()
        assert store.change_token() == token  # nothing happened
        store.list_sessions()
        assert store.change_token() == token  # reads are not changes
        store.set_note(session_id, "own write")
        assert store.change_token() != token
        token = store.change_token()
        other.set_note(session_id, "another connection")
        assert store.change_token() != token
        token = store.change_token()
        result = run_python(
            """
            import sys
            from proj_tui.framework.store import SQLiteSessionStore
            SQLiteSessionStore(sys.argv[1]).set_pinned(sys.argv[2], True)
            """,
            str(db_path),
            session_id,
        )
        assert result.returncode == 0, result.stderr
        assert store.change_token() != token


def test_forked_child_gets_its_own_connection(store: SQLiteSessionStore) -> None:
    import os

    if not hasattr(os, "fork"):
        pytest.skip("needs fork")
    session_id = store.create_session(record())
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        code = 0
        try:
            store.append_logs(session_id, [LogLine(message="from the child")])
        except BaseException:
            code = 1
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 0
    store.append_logs(session_id, [LogLine(message="from the parent")])
    assert [line.message for line in store.logs(session_id)] == [
        "from the child",
        "from the parent",
    ]
