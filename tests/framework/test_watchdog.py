"""The crash witness's shared-memory region: what the run hands over reaches the watcher once.

The run writes frames into a region of shared memory and passes a full region on through the
pipe; the watcher reads the pipe to its end, then the region. These tests drive both ends in one
process (a real pipe, a real anonymous mapping, the watcher's reader on a thread), with the run's
"death" being its end of the pipe closing without ``done``.
"""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
import threading
from pathlib import Path

from proj_tui.framework import watchdog
from proj_tui.framework.recorder import LogRow, NodeState


class _Ends:
    """A run end (``Watchdog``) and the watcher's reader over one pipe and one region."""

    def __init__(self, region_size: int = 4096) -> None:
        self.region = mmap.mmap(-1, region_size, flags=mmap.MAP_SHARED)
        read_fd, write_fd = os.pipe()
        self.read_fd = read_fd
        self.guard = watchdog.Watchdog(write_fd, pid=0, region=self.region)
        self.result: dict[str, watchdog._Witnessed | None] = {}
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        self.result["seen"] = watchdog.receive(self.read_fd, self.region)

    def die(self) -> watchdog._Witnessed | None:
        """Close the run's end without ``done``, as a killed process does."""
        os.close(self.guard._fd)
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        os.close(self.read_fd)
        return self.result["seen"]


def _state(
    name: str, status: str, started: float | None = None, ended: float | None = None
) -> NodeState:
    return (name, status, started, ended, None)


def _line(i: int) -> LogRow:
    return (float(i), "INFO", "chain", f"line {i}")  # as the recorder hands lines over


def test_frames_across_many_fillings_of_the_region_are_each_taken_once() -> None:
    ends = _Ends(region_size=4096)  # a few dozen frames a filling
    ends.guard.announce("/tmp/store.db", "sid-1")
    for i in range(2000):
        ends.guard.node(_state(f"n{i}", "running", float(i)))
        ends.guard.logs([_line(i)])
        ends.guard.node(_state(f"n{i}", "succeeded", float(i), float(i) + 0.5))
        if i % 100 == 99:
            ends.guard.stored(50)  # the store took some of the lines so far
        if i % 7 == 0:
            ends.guard.flush()  # the recorder's tick drains a region more than half full
    ends.guard.node(_state("last", "running", 9999.0))
    seen = ends.die()
    assert seen is not None
    assert seen.announced["session_id"] == "sid-1"
    assert seen.running_node() == "last"
    assert len(seen.nodes) == 2001
    assert all(run[1] == "succeeded" for name, run in seen.nodes.items() if name != "last")
    # 20 x 50 lines were stored: the rest, in order, each once
    assert [row[3] for row in seen.lines] == [f"line {i}" for i in range(1000, 2000)]


def test_one_frame_carries_lines_then_node_statuses_in_order() -> None:
    """One frame may hold lines and several node statuses after them: taken in that order."""
    ends = _Ends()
    ends.guard.node(_state("a", "running", 1.0))
    ends.guard.logs([_line(1)], [_state("a", "succeeded", 1.0, 2.0), _state("b", "running", 2.0)])
    ends.guard.logs([], [_state("b", "succeeded", 2.0, 3.0), _state("c", "running", 3.0)])
    seen = ends.die()
    assert seen is not None
    assert seen.running_node() == "c"
    assert [run[1] for run in seen.nodes.values()] == ["succeeded", "succeeded", "running"]
    assert [row[3] for row in seen.lines] == ["line 1"]


def test_a_frame_larger_than_the_region_goes_through_the_pipe_in_order() -> None:
    ends = _Ends(region_size=4096)
    ends.guard.logs([_line(0)])
    ends.guard.logs([_line(i) for i in range(1, 500)])  # ~20 kB: more than the whole region
    ends.guard.logs([_line(500)])
    seen = ends.die()
    assert seen is not None
    assert [row[3] for row in seen.lines] == [f"line {i}" for i in range(501)]


def test_a_drained_generation_still_in_the_region_is_not_taken_twice() -> None:
    """The run died after writing a full region to the pipe, before starting the next."""
    ends = _Ends(region_size=4096)
    for i in range(10):
        ends.guard.logs([_line(i)])
    guard = ends.guard
    payload = watchdog._GENERATION.pack(guard._generation) + ends.region[: guard._used]
    guard._write(watchdog._FRAME.pack(watchdog._DRAINED, len(payload)) + payload)
    seen = ends.die()  # the region still holds generation 1, which the pipe delivered whole
    assert seen is not None
    assert [row[3] for row in seen.lines] == [f"line {i}" for i in range(10)]


def test_a_frame_cut_short_by_the_death_is_ignored() -> None:
    ends = _Ends(region_size=4096)
    ends.guard.node(_state("a", "running", 1.0))
    ends.guard.node(_state("a", "succeeded", 1.0, 2.0))
    cut = ends.guard._used
    ends.guard.node(_state("b", "running", 3.0))
    # the payload was still being copied: its name reads 'a' (marshal would take it as such)
    ends.region[cut + watchdog._HEAD.size + 4] ^= ord("a") ^ ord("b")
    seen = ends.die()
    assert seen is not None
    assert seen.nodes == {"a": ["a", "succeeded", 1.0, 2.0, None]}


def test_done_means_nothing_to_report() -> None:
    ends = _Ends()
    ends.guard.node(_state("a", "running", 1.0))
    os.write(ends.guard._fd, watchdog._DONE)
    seen = ends.die()
    assert seen is None


def test_a_batch_stored_just_before_the_death_is_not_written_twice(tmp_path: Path) -> None:
    """The run died after its store committed lines 1-5 and before it told the watcher: the
    watcher still holds 4-8 and the crash record has 1-8, each once, in order."""
    from proj_tui.framework.recorder import LOG_BATCH
    from proj_tui.framework.store import LogLine, SQLiteSessionStore

    assert watchdog._MAX_UNTOLD >= LOG_BATCH  # a whole batch can be stored and not told
    db = tmp_path / "sessions.db"
    with SQLiteSessionStore(db) as store:
        sid = store.create_session({"pid": os.getpid(), "pid_started": 1})  # not ours: dead
        store.append_logs(sid, [LogLine(0, *_line(i)) for i in range(1, 6)])
    seen = watchdog._Witnessed()
    seen.take(b"l", [list(_line(i)) for i in range(4, 9)])
    error = {"type": "Crashed", "message": "the run died"}
    watchdog._mark_crashed(str(db), sid, _exited_pid(), seen, error)
    with SQLiteSessionStore(db) as store:
        assert [line.message for line in store.logs(sid)] == [f"line {i}" for i in range(1, 9)]
        assert store.get_session(sid).status == "crashed"


def test_lines_that_only_look_like_the_stored_tail_are_all_written(tmp_path: Path) -> None:
    """Held lines equal to stored ones but not at the store's end are new: none is skipped."""
    from proj_tui.framework.store import LogLine, SQLiteSessionStore

    db = tmp_path / "sessions.db"
    with SQLiteSessionStore(db) as store:
        sid = store.create_session({"pid": os.getpid(), "pid_started": 1})
        store.append_logs(sid, [LogLine(0, *_line(i)) for i in (1, 2, 3)])
    seen = watchdog._Witnessed()
    seen.take(b"l", [list(_line(i)) for i in (1, 2, 4)])  # 1, 2 again, not the store's tail
    watchdog._mark_crashed(str(db), sid, _exited_pid(), seen, {"type": "X", "message": "x"})
    with SQLiteSessionStore(db) as store:
        got = [line.message for line in store.logs(sid)]
    assert got == ["line 1", "line 2", "line 3", "line 1", "line 2", "line 4"]


def _exited_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid
