"""The crash witness of ``proj-tui run``: forked before anything else (framework/watchdog.py).

Forking costs far less than starting an interpreter, and at this point ``proj-tui run`` has no
threads and has imported no project code, so nothing the child inherits can be held by another
thread. What the watcher does, and the pipe it reads, live in ``framework.watchdog``.
"""

from __future__ import annotations

import os
import sys

from proj_tui.framework.watchdog import Watchdog, shared_region, watch

__all__ = ["Watchdog", "start"]


def start(events: bool) -> Watchdog | None:
    """Fork the watcher (POSIX only, and not when PROJ_TUI_NO_WATCHDOG is set)."""
    if os.name != "posix" or os.environ.get("PROJ_TUI_NO_WATCHDOG"):
        return None
    region = shared_region()  # mapped before the fork, so the watcher sees what the run writes
    read_fd, write_fd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        region.close()
        return None
    if pid == 0:  # the watcher
        code = 0
        try:
            os.close(write_fd)
            watch(read_fd, os.getppid(), events, region)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(read_fd)
    os.set_inheritable(write_fd, False)
    return Watchdog(write_fd, pid, region=region)
