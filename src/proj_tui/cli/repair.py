"""``proj-tui sessions repair``: back up a damaged session store and recover what SQLite can read.

The store never resets a damaged file by itself (that would lose history silently); this command is
the documented way out. It copies the file (and any -wal/-shm) to ``sessions.db.broken-<time>``,
then copies every row SQLite can still read, table by table and row range by row range, into a
fresh database with the current schema, and swaps it in. Rows on unreadable pages are skipped and
counted, never invented.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from proj_tui.errors import ProjTuiError

_TABLES = (
    "meta", "sessions", "session_data", "param_keys", "session_params", "nodes", "log_sources",
    "log_lines", "blobs", "session_blobs", "session_code", "session_datasets",
)  # fmt: skip
_BATCH = 500


class RepairError(ProjTuiError):
    """The store could not be repaired (nothing readable, or the directory is not writable)."""


def cmd_repair(args: argparse.Namespace) -> int:
    from proj_tui.cli.common import project_path
    from proj_tui.framework.store import default_store_path

    path = Path(args.store) if getattr(args, "store", None) else None
    if path is None:
        path = default_store_path(project_path(args.project))
    report = repair_store(path)
    sys.stderr.write(
        f"Backed up {path} to {report['backup']}.\n"
        f"Recovered {report['rows']} row(s) ({report['sessions']} session(s)); "
        f"{report['lost']} unreadable row range(s) skipped.\n"
    )
    return 0


def repair_store(path: Path) -> dict[str, object]:
    """Back up ``path`` and replace it with a fresh store holding every readable row."""
    from proj_tui.framework.store import SQLiteSessionStore

    path = Path(path).absolute()
    if not path.is_file():
        raise RepairError(f"There is no session store at {path}; nothing to repair.")
    stamp = time.strftime("%Y%m%dT%H%M%S")
    backup = path.with_name(f"{path.name}.broken-{stamp}")
    fresh = path.with_name(f"{path.name}.repairing")
    try:
        shutil.copy2(path, backup)
        for suffix in ("-wal", "-shm"):
            side = Path(f"{path}{suffix}")
            if side.exists():
                shutil.copy2(side, Path(f"{backup}{suffix}"))
        fresh.unlink(missing_ok=True)
    except OSError as exc:
        raise RepairError(
            f"Cannot back up {path} before repairing it: {exc.strerror or exc}. Make "
            f"{path.parent} writable and try again."
        ) from exc
    SQLiteSessionStore(fresh).close()  # the current schema, empty
    rows = lost = 0
    source = _open_damaged(backup)
    target = sqlite3.connect(fresh, isolation_level=None)
    try:
        target.execute("BEGIN")
        for table in _TABLES:
            copied, skipped = _copy_table(source, target, table)
            rows += copied
            lost += skipped
        if _has_table(source, "logs"):  # schema 1: its lines move to log_lines as on an upgrade
            from proj_tui.framework.store.sqlite_logs import V1_LOGS, migrate_v1_logs

            target.execute(V1_LOGS)
            copied, skipped = _copy_table(source, target, "logs")
            rows += copied
            lost += skipped
            migrate_v1_logs(target)
        target.execute("COMMIT")
        sessions = target.execute("SELECT count(*) FROM sessions").fetchone()[0]
    finally:
        source.close()
        target.close()
    if rows == 0:
        fresh.unlink(missing_ok=True)
        raise RepairError(
            f"Nothing in {path} could be read, so it was left as it is (a copy is at {backup}). "
            f"Move it aside (mv '{path}' '{path}.old'); the next run creates a new store."
        )
    for suffix in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()
    fresh.replace(path)
    return {"backup": str(backup), "rows": rows, "sessions": sessions, "lost": lost}


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    try:
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
    except sqlite3.Error:
        return False
    return found is not None


def _open_damaged(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, isolation_level=None)
    with contextlib.suppress(sqlite3.Error):
        conn.execute("PRAGMA writable_schema = ON")
    return conn


def _copy_table(
    source: sqlite3.Connection, target: sqlite3.Connection, table: str
) -> tuple[int, int]:
    """Copy readable rows of ``table``; on a damaged range, fall back to one row at a time."""
    try:
        columns = [row[1] for row in target.execute(f"PRAGMA table_xinfo({table})") if row[6] == 0]
        available = {row[1] for row in source.execute(f"PRAGMA table_info({table})")}
    except sqlite3.Error:
        return 0, 1
    wanted = [c for c in columns if c in available]
    if not wanted:
        return 0, 0
    names = ", ".join(wanted)
    insert = f"INSERT OR IGNORE INTO {table} ({names}) VALUES ({', '.join('?' * len(wanted))})"
    try:
        rowids = [r[0] for r in source.execute(f"SELECT rowid FROM {table}")]
        keyed = True
    except sqlite3.Error:
        rowids, keyed = [], False
    if not keyed:  # WITHOUT ROWID or a damaged index: read it in one go, whatever we get
        copied = 0
        try:
            for row in source.execute(f"SELECT {names} FROM {table}"):
                target.execute(insert, row)
                copied += 1
        except sqlite3.Error:
            return copied, 1
        return copied, 0
    copied = skipped = 0
    for start in range(0, len(rowids), _BATCH):
        chunk = rowids[start : start + _BATCH]
        try:
            got = source.execute(
                f"SELECT {names} FROM {table} WHERE rowid IN ({', '.join('?' * len(chunk))})", chunk
            ).fetchall()
        except sqlite3.Error:
            got = []
            for rowid in chunk:
                try:
                    got.extend(
                        source.execute(f"SELECT {names} FROM {table} WHERE rowid = ?", (rowid,))
                    )
                except sqlite3.Error:
                    skipped += 1
        target.executemany(insert, got)
        copied += len(got)
    return copied, skipped
