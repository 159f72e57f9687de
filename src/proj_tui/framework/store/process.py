"""This process's host and user, and whether another process is still alive.

Kept apart because they are facts about the machine, not the database: the store records them with
every session (who ran it, where), and checks them to tell a crashed session from a running one
(sqlite_reap.py); the CLI's watchdog asks the same of the run it watches. None of them imports
socket or pwd at start-up.
"""

from __future__ import annotations

import os

_HOSTNAME: str | None = None
_USERNAME: str | None = None


def _hostname() -> str:
    """This machine's name, without importing socket on POSIX (start-up cost)."""
    global _HOSTNAME
    if _HOSTNAME is None:
        uname = getattr(os, "uname", None)
        if uname is not None:
            _HOSTNAME = str(uname().nodename)
        else:  # pragma: no cover - Windows
            import socket

            _HOSTNAME = socket.gethostname()
    return _HOSTNAME


def _username() -> str:
    """The login name as getpass finds it, without failing in odd containers."""
    global _USERNAME
    if _USERNAME is None:
        for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
            if os.environ.get(name):
                _USERNAME = os.environ[name]
                break
        else:
            try:
                import pwd

                _USERNAME = pwd.getpwuid(os.getuid()).pw_name
            except (ImportError, KeyError, OSError):  # pragma: no cover - exotic systems
                _USERNAME = "unknown"
    return _USERNAME


def _pid_started(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot), to tell it from a later reuse of
    its pid; None where /proc does not say."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[-1].split()
        return int(fields[19])  # field 22 of proc(5); the split starts at field 3
    except (OSError, ValueError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - os.kill(pid, 0) would terminate it on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # EPERM: it exists but belongs to someone else
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
    except OSError:
        return True
    fields = stat.rsplit(b")", 1)[-1].split()
    return not (fields and fields[0] == b"Z")
