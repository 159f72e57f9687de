"""A tiny watcher process that reports a session whose process dies without a word.

Node code runs in the ``proj-tui run`` process itself (fast, and the app's supervisor already
isolates it), so a node that calls ``os._exit``, segfaults or is SIGKILLed takes the session's
``finally`` blocks with it: no message, no ``session_finished`` event, and the store row stays
``running`` until some later reader reaps it. The watcher is forked before any thread starts and
before any project code is imported; it only blocks on a pipe. The run writes what it knows
(store path, session id) into memory it shares with the watcher, and ``done`` into the pipe when
it ends normally. End of file without ``done`` means the process died abruptly: the watcher marks
the session ``crashed`` at once, prints one clear error on stderr and, in ``--events json`` mode,
ends the stream with a ``session_finished`` event whose status is ``crashed`` — so a reader never
waits forever.

It is also the session's crash witness (``framework.recorder.CrashWitness``): the run hands it each
node status as it changes and the log lines not yet stored, and says how many of those the store
took. On a crash it writes what the store is missing first, so the record names the node that was
really running and keeps the lines logged since the recorder's last flush.

It ignores SIGINT/SIGTERM/SIGHUP (a Ctrl+C or the app's cancel is the run's to handle) and dies with
the run's process group on SIGKILL, where the next reader of the store reaps the session instead.

Two ways to start it: ``proj-tui run`` forks it before anything else (``cli/watchdog.py``); a
process that already runs threads and user code (a Kedro run, a notebook) starts a fresh
interpreter instead (:func:`spawn`, ``python -m proj_tui.framework.watchdog``), since a fork
there could inherit a lock some other thread held.
"""

from __future__ import annotations

import contextlib
import marshal
import mmap
import os
import signal
import struct
import sys
import threading
import time
import zlib
from collections import deque

TYPE_CHECKING = False  # not typing's: a spawned watcher imports no more than it must (re, ...)
if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator, Sequence
    from typing import Any

    from proj_tui.framework.recorder import LogRow, NodeState

# The pipe carries frames: a kind byte, a 4-byte length, a marshal payload. marshal, not JSON:
# the run hands over every log line, and JSON's float formatting alone cost ~2 us a line.
_FRAME = struct.Struct("!cI")
_DONE = _FRAME.pack(b"d", 0)
_DRAINED = b"g"
"""A pipe frame holding a full region: its generation (4 bytes), then the region's frames."""
_GENERATION = struct.Struct("!I")
# A region frame: kind, generation, payload length, CRC-32 of the payload. The generation tells
# this filling's frames from those of earlier ones still further on in the mapping, and the CRC
# a frame the run was killed in the middle of writing.
_HEAD = struct.Struct("!cIII")
_HEAD_SIZE = _HEAD.size
REGION_SIZE = 1 << 20
"""Bytes of shared memory the run fills before passing them on through the pipe (~5000 nodes)."""
_MAX_HELD = 500_000
"""Unstored lines the watcher keeps (the recorder's own limit); older ones are counted."""
_MAX_UNTOLD = 4000
"""Lines a run can store and die before telling the watcher: at least the recorder's batch."""


class Watchdog:
    """The run's end of the pipe to the watcher process; also the session's crash witness.

    What the run witnesses goes into a region of memory shared with the watcher, not through the
    pipe: a write to the pipe costs ~17 us (and wakes the watcher on another core), once a node
    at least; a copy into the region costs no system call. The watcher reads the region only once
    the run has died. A full region is passed on through the pipe in one write (about every 5000
    trivial nodes) and its generation counted up, so the watcher never takes a frame twice: a
    generation it has received whole through the pipe is skipped in the region. Without a region
    (``region=None``) every frame goes through the pipe.
    """

    def __init__(
        self,
        write_fd: int,
        pid: int,
        process: subprocess.Popen[bytes] | None = None,
        region: mmap.mmap | None = None,
    ) -> None:
        self._fd = write_fd
        self.pid = pid
        self._process = process  # set when spawned: the Popen that waits for it
        self._region = region
        self._size = len(region) if region is not None else 0
        self._used = 0  # bytes of the region holding this generation's frames
        self._generation = 1
        self._lock = threading.Lock()  # node events and log hand-offs come from two threads
        self._pending = bytearray()  # pipe bytes not written yet (see _write)
        self._stalled = False  # the last write found the pipe full (a spawned watcher starting)

    # -- CrashWitness ------------------------------------------------------------------------
    def node(self, state: NodeState) -> None:
        self._put(b"n", state)

    def logs(self, lines: list[LogRow], then: Sequence[NodeState] = ()) -> None:
        if not then:
            self._put(b"l", lines)
        else:  # one frame for the lines and the node statuses after them: a frame costs ~2 us
            self._put(b"m", (lines, then))

    def stored(self, count: int) -> None:
        self._put(b"s", count)

    def flush(self) -> None:
        """Pass a region more than half full on now (the recorder's thread calls this every
        tick), so that a node's own thread seldom pays for it; retry what a full pipe held."""
        if self._used > self._size // 2 or self._pending:
            with self._lock:
                if self._used > self._size // 2:
                    self._drain_locked()
                self._write(b"", retry=True)

    def announce(
        self,
        store_path: str,
        session_id: str,
        *,
        process: str = "proj-tui run",
        reproduce: str = "proj-tui run --nodes NAME",
    ) -> None:
        """Tell the watcher which session to mark if this process dies, and how to name it."""
        value = {"store": store_path, "session_id": session_id}
        value.update(process=process, reproduce=reproduce)
        self._put(b"a", value)

    def done(self) -> None:
        """The run is ending normally: the watcher exits without a word."""
        with self._lock:
            with contextlib.suppress(OSError):
                if self._fd >= 0:
                    os.set_blocking(self._fd, True)  # everything held goes out before the end
            self._write(_DONE, retry=True)
            fd, self._fd = self._fd, -1
        with contextlib.suppress(OSError):
            if fd >= 0:
                os.close(fd)
        with contextlib.suppress(ChildProcessError, OSError):
            if self._process is not None:
                self._process.wait()
            else:
                os.waitpid(self.pid, 0)

    def detach(self) -> None:
        """In a forked child of the run: close this process's copy of the pipe, saying nothing.

        The watcher hears the end of file only once every copy is closed, so a process-pool
        worker that kept one would keep it waiting after the run died. The child writes nothing
        into the shared region from then on (it would overwrite the run's frames).
        """
        with self._lock:
            fd, self._fd = self._fd, -1
            self._pending.clear()
        with contextlib.suppress(OSError):
            if fd >= 0:
                os.close(fd)

    def _put(self, kind: bytes, value: Any) -> None:
        """Append a frame to the region: the payload first, then the header that makes it count."""
        # marshal version 2: 3 and 4 build a table of shared references for every call
        payload = marshal.dumps(value, 2)
        length = len(payload)
        with self._lock:
            region = self._region
            if self._fd < 0:  # the watcher is gone, or this is a detached child
                return
            start = self._used
            body = start + _HEAD_SIZE
            end = body + length
            if region is None or _HEAD_SIZE + length > self._size:  # as it is, after the rest
                self._drain_locked()
                self._write(_FRAME.pack(kind, length) + payload)
                return
            if end > self._size:
                self._drain_locked()
                start, body, end = 0, _HEAD_SIZE, _HEAD_SIZE + length
            region[body:end] = payload
            _HEAD.pack_into(region, start, kind, self._generation, length, zlib.crc32(payload))
            self._used = end

    def _drain_locked(self) -> None:
        """Send this generation's frames through the pipe; the next generation starts at 0."""
        if self._used and self._region is not None:
            payload = _GENERATION.pack(self._generation) + self._region[: self._used]
            self._write(_FRAME.pack(_DRAINED, len(payload)) + payload)
            self._generation += 1
            self._used = 0

    def _write(self, data: bytes, *, retry: bool = False) -> None:
        """Write what a full pipe held, then ``data``, in order (the caller holds the lock).

        A pipe found full (only a spawned watcher's, which is non-blocking, before it reads)
        is tried again only on the next ``retry`` (the flush tick), so a stalled watcher never
        makes the run wait.
        """
        self._pending += data
        if self._fd < 0 or not self._pending or (self._stalled and not retry):
            return
        written = 0
        view = memoryview(self._pending)
        try:
            while written < len(view):  # a pipe takes at most its size at a time
                written += os.write(self._fd, view[written:])
            self._stalled = False
        except BlockingIOError:
            self._stalled = True
        except OSError:  # the watcher is gone: nothing to tell
            self._fd = -1
        finally:
            view.release()
            del self._pending[:written]
        if self._fd < 0:
            self._pending.clear()


def shared_region() -> mmap.mmap:
    """Anonymous shared memory for a watcher about to be forked: nothing touches the disk."""
    return mmap.mmap(-1, REGION_SIZE, flags=mmap.MAP_SHARED)


def _region_file() -> int | None:
    """A file descriptor of ``REGION_SIZE`` zero bytes a spawned watcher can map too (memfd on
    Linux, an unlinked temporary file elsewhere), or None when neither can be made."""
    try:
        if hasattr(os, "memfd_create"):
            fd = os.memfd_create("proj-tui-witness", os.MFD_CLOEXEC)
        else:  # pragma: no cover - macOS and other POSIX systems
            import tempfile

            with tempfile.TemporaryFile() as handle:
                fd = os.dup(handle.fileno())
        os.ftruncate(fd, REGION_SIZE)
    except OSError:
        return None
    return fd


def spawn(*, events: bool = False) -> Watchdog | None:
    """Start the watcher as a fresh interpreter (POSIX only, not when PROJ_TUI_NO_WATCHDOG is set).

    For a process that already runs threads and user code (a Kedro run, a notebook kernel). The
    watcher gets a session of its own, so a Ctrl+C in the terminal or a signal to the run's process
    group does not reach it, and it still reports a run that was killed together with its group.
    """
    if os.name != "posix" or os.environ.get("PROJ_TUI_NO_WATCHDOG"):
        return None
    read_fd, write_fd = os.pipe()  # neither end is inherited by other children
    region_fd = _region_file()
    region = None
    if region_fd is not None:
        try:
            region = mmap.mmap(region_fd, REGION_SIZE, flags=mmap.MAP_SHARED)
        except OSError:
            os.close(region_fd)
            region_fd = None
    import subprocess  # only here: a forked watcher (proj-tui run) never pays its import

    argv = [*_interpreter(), str(read_fd), str(os.getpid())]
    shared = (region_fd,) if region_fd is not None else ()
    try:
        process = subprocess.Popen(
            [*argv, "events" if events else "quiet", *map(str, shared)],
            pass_fds=(read_fd, *shared),
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError:
        for fd in (read_fd, write_fd, *shared):
            os.close(fd)
        return None
    for fd in (read_fd, *shared):
        os.close(fd)
    # A fresh interpreter takes a while (seconds on a loaded machine) before it reads: the run
    # must not wait on a full pipe meanwhile, so writes that do not fit are held for the next
    # try, and the pipe is made as large as the system lets an unprivileged process make it.
    os.set_blocking(write_fd, False)
    with contextlib.suppress(OSError, AttributeError):  # F_SETPIPE_SZ: Linux only
        import fcntl

        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, 1 << 20)
    return Watchdog(write_fd, process.pid, process, region)


_BOOT = (
    "import sys; sys.path.insert(0, sys.argv.pop(1)); "
    "from proj_tui.framework.watchdog import main; sys.exit(main(sys.argv[1:]))"
)
"""What a spawned watcher runs: this module, from the folder that holds ``proj_tui``."""


def _interpreter() -> list[str]:
    """The command that starts a watcher: a bare interpreter where it can be one.

    ``-S -I``: no ``site`` (no site-packages, ``.pth`` files or editable-install finders to
    process) and nothing from the environment; the watcher needs only the standard library and
    ``proj_tui``, whose folder it is given. ``-m`` (the full start-up) when ``proj_tui`` is not
    in a plain folder (a zip).
    """
    package = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    if os.path.isdir(os.path.join(package, "proj_tui", "framework")):
        return [sys.executable, "-S", "-I", "-c", _BOOT, package]
    return [sys.executable, "-m", "proj_tui.framework.watchdog"]  # pragma: no cover


class _Witnessed:
    """What the run told the watcher: its session, node statuses and the lines not yet stored."""

    def __init__(self) -> None:
        self.announced: dict[str, Any] = {}
        self.nodes: dict[str, list[Any]] = {}
        self.lines: deque[list[Any]] = deque()
        self.dropped = 0

    def take(self, kind: bytes, value: Any) -> None:
        if kind == b"m":  # lines, then node statuses (Watchdog.logs)
            lines, states = value
            self.take(b"l", lines)
            for state in states:
                self.take(b"n", state)
        elif kind == b"n":
            self.nodes.pop(value[0], None)  # re-inserted last: dict order is the order of events
            self.nodes[value[0]] = list(value)
        elif kind == b"l":
            self.lines.extend(value)
            while len(self.lines) > _MAX_HELD:
                self.lines.popleft()
                self.dropped += 1
        elif kind == b"s":
            for _ in range(min(int(value), len(self.lines))):
                self.lines.popleft()
        elif kind == b"a" and isinstance(value, dict):
            self.announced = value

    def running_node(self) -> str | None:
        running = [name for name, run in self.nodes.items() if run[1] == "running"]
        return running[-1] if running else None


def watch(read_fd: int, run_pid: int, events: bool, region: mmap.mmap | None = None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a closed terminal is the run's to record
    with contextlib.suppress(OSError):
        os.chdir("/")  # never keep a directory (a mount point in tests) busy
    seen = receive(read_fd, region)
    if seen is not None:
        _report(run_pid, seen, events)


def receive(read_fd: int, region: mmap.mmap | None) -> _Witnessed | None:
    """Read the pipe until ``done`` (None) or its end, then take what is left in the region."""
    seen = _Witnessed()
    received = 0  # the last region generation that came whole through the pipe
    buffer = bytearray()
    size = _FRAME.size
    while True:
        try:
            chunk = os.read(read_fd, 1 << 16)
        except InterruptedError:  # pragma: no cover - PEP 475 retries
            continue
        if not chunk:
            break
        buffer += chunk
        start = 0
        while len(buffer) - start >= size:
            kind, length = _FRAME.unpack_from(buffer, start)
            if len(buffer) - start - size < length:
                break  # the rest of this frame is still in the pipe
            if kind == b"d":
                return None  # without waiting for EOF: pool workers may hold the pipe a while
            body = bytes(buffer[start + size : start + size + length])
            start += size + length
            if kind == _DRAINED:
                (received,) = _GENERATION.unpack_from(body)
                for region_kind, value in _region_frames(body[_GENERATION.size :], received):
                    seen.take(region_kind, value)
                continue
            with contextlib.suppress(ValueError, EOFError, TypeError):
                seen.take(kind, marshal.loads(body))
        del buffer[:start]
    if region is not None:  # the run is gone: what it wrote since the last whole drain
        for kind, value in _region_frames(region, received + 1):
            seen.take(kind, value)
    return seen


def _region_frames(data: bytes | mmap.mmap, generation: int) -> Iterator[tuple[bytes, Any]]:
    """The frames of ``generation`` at the start of ``data``, up to the first that is not one
    (another generation's, never written, or cut short by the run's death)."""
    pos, head_size, end = 0, _HEAD.size, len(data)
    while pos + head_size <= end:
        kind, frame_generation, length, crc = _HEAD.unpack_from(data, pos)
        body = pos + head_size
        if frame_generation != generation or body + length > end:
            return
        payload = bytes(data[body : body + length])
        if zlib.crc32(payload) != crc:
            return
        try:
            value = marshal.loads(payload)
        except (ValueError, EOFError, TypeError):
            return
        yield kind, value
        pos = body + length


def _report(run_pid: int, seen: _Witnessed, events: bool) -> None:
    """Mark the session crashed and say so on stderr (and stdout in events mode)."""
    announced = seen.announced
    session_id = announced.get("session_id")
    node = seen.running_node()
    error: dict[str, Any] = {
        "type": "Crashed",
        "message": f"The {announced.get('process') or 'proj-tui run'} process (pid {run_pid}) "
        "ended abruptly",
        "traceback": None,
    }
    where = f" while node '{node}' was running" if node else ""
    error["message"] += (
        f"{where}: killed by a signal (SIGKILL, SIGSEGV, out of memory) or ended by code calling "
        "os._exit(). "
        + (f"Session {session_id} is recorded as crashed. " if session_id else "")
        + "Check the node's code, or run it with "
        + f"'{announced.get('reproduce') or 'proj-tui run --nodes NAME'}' to reproduce."
    )
    if session_id and announced.get("store"):
        try:
            _mark_crashed(announced["store"], session_id, run_pid, seen, error)
        except Exception as exc:  # the message below still goes out
            error["message"] += f" (The session store could not be updated: {exc}.)"
    with contextlib.suppress(OSError):
        os.write(2, f"Error: {error['message']}\n".encode("utf-8", "replace"))
    if events and session_id:
        from proj_tui.framework.events import ErrorDetail, SessionFinished  # only on a crash

        event = SessionFinished(
            session_id=session_id,
            status="crashed",
            duration=None,
            error=ErrorDetail(**error),
            resume=None,
        )
        # a leading newline ends any line the dead process left half-written
        with contextlib.suppress(OSError):
            os.write(1, b"\n" + event.to_json().encode("utf-8", "replace") + b"\n")


def _mark_crashed(
    store_path: str, session_id: str, run_pid: int, seen: _Witnessed, error: dict[str, Any]
) -> None:
    """Write what the store is missing, then reap the session with ``error`` as its error."""
    from proj_tui.framework.store import LogLine, NodeRun, SQLiteSessionStore

    deadline = time.time() + 5
    while _alive(run_pid) and time.time() < deadline:  # a zombie until its parent waits
        time.sleep(0.01)
    with SQLiteSessionStore(store_path) as store:
        held = list(seen.lines)
        # The run may have died after committing a batch and before saying so (``stored``):
        # the store's tail then repeats the start of what is held, and is not written twice.
        tail = store.log_tail(session_id, min(len(held), _MAX_UNTOLD))
        held = held[_already_stored(held, tail) :]
        lines = [LogLine(0, *row) for row in held]
        if seen.dropped:
            lines.insert(
                0,
                LogLine(
                    0,
                    time.time(),
                    "ERROR",
                    "proj_tui.watchdog",
                    f"[proj-tui] {seen.dropped} log line(s) are missing here.",
                ),
            )
        for start in range(0, len(lines), 2000):
            store.append_logs(session_id, lines[start : start + 2000])
        if seen.nodes:
            store.record_nodes(session_id, [NodeRun(*run) for run in seen.nodes.values()])
        if session_id in store.reap_crashed():
            store.update_session(session_id, error=error)


def _already_stored(held: list[list[Any]], tail: list[Any]) -> int:
    """How many of the first ``held`` rows (ts, level, logger, message) end the stored ``tail``.

    The longest such overlap. A store's append cleans the text (``_clean_text``), so the held
    rows are compared after the same cleaning.
    """
    from proj_tui.framework.store.sqlite_rows import _clean_text

    stored = [(line.ts, line.level, line.logger, line.message) for line in tail]
    ours = [(row[0], str(row[1]), str(row[2]), _clean_text(row[3])) for row in held[: len(stored)]]
    for k in range(len(ours), 0, -1):
        start = len(stored) - k
        if all(ours[i] == stored[start + i] for i in range(k)):
            return k
    return 0


def _alive(pid: int) -> bool:
    from proj_tui.framework.store.process import _pid_alive

    return _pid_alive(pid)


def main(argv: list[str]) -> int:
    """``python -m proj_tui.framework.watchdog READ_FD RUN_PID events|quiet [REGION_FD]``
    (see :func:`spawn`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # before anything else: the run's to handle
    read_fd, run_pid, mode = int(argv[0]), int(argv[1]), argv[2]
    region = mmap.mmap(int(argv[3]), REGION_SIZE, flags=mmap.MAP_SHARED) if argv[3:] else None
    watch(read_fd, run_pid, mode == "events", region)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
