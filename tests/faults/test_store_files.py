"""Damaged, read-only, full, or too-new store files: a clear error, the file untouched, a repair."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from faults._project import (
    assert_no_traceback,
    integrity,
    parse_events,
    run_cli,
    sha256,
    store_path,
)
from proj_tui.framework.store import SQLiteSessionStore, StoreError


def _with_sessions(project: Path, runs: int = 3) -> Path:
    for _ in range(runs):
        assert run_cli("run", cwd=project).returncode == 0
    db = store_path(project)
    with SQLiteSessionStore(db) as store:  # checkpoint, so the main file holds everything
        store._read(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
    return db


def _expect_clear_failure(project: Path, db: Path, *words: str) -> None:
    """`run` and `sessions list` exit 2, name the file, no traceback, file unchanged."""
    before = sha256(db)
    for args in (("run", "--events", "json"), ("sessions", "list")):
        result = run_cli(*args, cwd=project)
        err = result.stderr.decode()
        assert result.returncode == 2, (args, err)
        assert str(db) in err, err
        for word in words:
            assert word in err, err
        assert_no_traceback(result.stderr)
        if "--events" in args:
            [event] = parse_events(result.stdout)
            assert event["event"] == "error" and str(db) in event["message"]
    assert sha256(db) == before


def test_truncated_store(fresh_project: Path, fault_report) -> None:
    db = _with_sessions(fresh_project)
    with open(db, "r+b") as handle:
        handle.truncate(os.path.getsize(db) // 2 + 100)
    _expect_clear_failure(fresh_project, db, "damaged", "sessions repair")
    fault_report("store files", "store truncated mid-page", detail="exit 2, names file, untouched")


def test_garbage_store(fresh_project: Path, fault_report) -> None:
    db = store_path(fresh_project)
    db.parent.mkdir(mode=0o700)
    db.write_bytes(os.urandom(8192))
    _expect_clear_failure(fresh_project, db, "not a SQLite database")
    fault_report("store files", "store is 8 kB of random bytes", detail="exit 2, untouched")


def test_newer_schema(fresh_project: Path, fault_report) -> None:
    db = _with_sessions(fresh_project, runs=1)
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    _expect_clear_failure(fresh_project, db, "schema version 99", "Upgrade proj-tui")
    fault_report("store files", "store from a newer schema (99)", detail="exit 2, says upgrade")


def test_repair_recovers_readable_rows(fresh_project: Path, fault_report) -> None:
    db = _with_sessions(fresh_project, runs=6)
    with SQLiteSessionStore(db, readonly=True) as store:
        ids = [s.session_id for s in store.list_sessions()]
    size = os.path.getsize(db)
    page = 4096
    with open(db, "r+b") as handle:  # garble one page in the middle, keep the header
        handle.seek((size // page // 2) * page)
        handle.write(os.urandom(page))
    original = sha256(db)
    result = run_cli("sessions", "repair", cwd=fresh_project)
    assert result.returncode == 0, result.stderr
    backups = [p for p in db.parent.glob("sessions.db.broken-*") if p.suffix not in ("-wal",)]
    backups = [p for p in backups if not p.name.endswith(("-wal", "-shm"))]
    assert len(backups) == 1 and sha256(backups[0]) == original  # the damaged file is kept
    with SQLiteSessionStore(db) as store:
        recovered = [s.session_id for s in store.list_sessions()]
        assert set(recovered) <= set(ids) and recovered
    assert run_cli("run", cwd=fresh_project).returncode == 0  # the store works again
    fault_report(
        "store files",
        "`proj-tui sessions repair` on a store with one garbled page",
        detail=f"backup byte-identical; {len(recovered)}/{len(ids)} sessions recovered; "
        "runs work again",
    )


@contextlib.contextmanager
def _mount(kind: str, target: Path, options: str) -> Iterator[bool]:
    target.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        yield False
        return
    args = ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(target)]
    if kind == "bind":
        args = ["mount", "--bind", options, str(target)]
    ok = subprocess.run(args, capture_output=True).returncode == 0
    try:
        yield ok
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(target)], capture_output=True)


def test_store_on_a_full_disk(fresh_project: Path, fault_report) -> None:
    mount = fresh_project / ".proj-tui"
    with _mount("tmpfs", mount, "size=512k,mode=0700") as ok:
        if not ok:
            pytest.skip("cannot mount a small tmpfs here (needs root and mount)")
        assert run_cli("run", cwd=fresh_project).returncode == 0  # a store with one session
        filler = mount / "filler"
        with contextlib.suppress(OSError), open(filler, "wb") as handle:
            for _ in range(1024):  # until ENOSPC
                handle.write(b"\0" * 4096)
                handle.flush()
        result = run_cli(
            "run", "--events", "json", "--params", "step.lines=2000", cwd=fresh_project
        )
        err = result.stderr.decode()
        assert result.returncode in (1, 2), err
        assert_no_traceback(result.stderr)
        assert "sessions.db" in err and ("full" in err.lower() or "space" in err.lower()), err
        parse_events(result.stdout)
        filler.unlink()
        with SQLiteSessionStore(store_path(fresh_project)) as store:  # still usable after
            assert len(store.list_sessions()) >= 1
        assert integrity(store_path(fresh_project)) == "ok"
    fault_report(
        "store files",
        "store directory on a 512 kB tmpfs filled to ENOSPC after one session",
        detail="clear 'disk full' error naming the store, no traceback, store opens afterwards",
    )


def test_read_only_store_directory(fresh_project: Path, fault_report) -> None:
    db = _with_sessions(fresh_project, runs=1)
    original = sha256(db)
    staging = fresh_project.parent / "staging"
    shutil.copytree(db.parent, staging)
    with _mount("bind", db.parent, str(staging)) as ok:
        if not ok:
            pytest.skip("cannot bind-mount here (needs root and mount)")
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(db.parent)], capture_output=True)
        if ro.returncode:
            pytest.skip(f"cannot remount read-only: {ro.stderr.decode().strip()}")
        listed = run_cli("sessions", "list", cwd=fresh_project)
        assert listed.returncode == 0, listed.stderr  # reading a read-only store works
        result = run_cli("run", "--events", "json", cwd=fresh_project)
        err = result.stderr.decode()
        assert result.returncode == 2, err
        assert str(db) in err and "writable" in err, err
        assert_no_traceback(result.stderr)
        [event] = parse_events(result.stdout)
        assert event["event"] == "error"
        with pytest.raises(StoreError, match="writable"):
            SQLiteSessionStore(db).create_session({})
    assert sha256(staging / "sessions.db") == original
    fault_report(
        "store files",
        "store directory read-only (read-only bind mount; root ignores chmod)",
        detail="`sessions list` works; `run` exits 2 naming the file; nothing changed",
    )


def test_immutable_store_file(fresh_project: Path, fault_report) -> None:
    db = _with_sessions(fresh_project, runs=1)
    if os.geteuid() != 0 or not shutil.which("chattr"):
        pytest.skip("chattr +i needs root")
    for side in db.parent.glob("sessions.db-*"):
        side.unlink()
    if subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("this file system does not support chattr +i")
    try:
        original = sha256(db)
        result = run_cli("run", "--events", "json", cwd=fresh_project)
        err = result.stderr.decode()
        assert result.returncode == 2, err
        assert str(db) in err, err
        assert_no_traceback(result.stderr)
        parse_events(result.stdout)
        assert sha256(db) == original
    finally:
        subprocess.run(["chattr", "-i", str(db)], capture_output=True)
    fault_report(
        "store files",
        "store file immutable (chattr +i)",
        detail="`run` exits 2 naming the file; file unchanged",
    )


async def test_app_history_reads_a_read_only_store(fresh_project: Path, fault_report) -> None:
    """The app's History lists and opens sessions of a store it cannot write, as the CLI does."""
    from proj_tui.tui.app import ProjTuiApp
    from proj_tui.tui.components.history_table import HistoryTable
    from proj_tui.tui.screens.session_detail import SessionDetailScreen
    from proj_tui.tui.screens.sessions import SessionsScreen
    from tui.pilot_helpers import settle

    db = _with_sessions(fresh_project, runs=2)
    with SQLiteSessionStore(db, readonly=True) as store:
        ids = [s.session_id for s in store.list_sessions()]
        lines = [line.message for line in store.logs(ids[0])]
    original = sha256(db)
    staging = fresh_project.parent / "staging"
    shutil.copytree(db.parent, staging)
    for side in staging.glob("sessions.db-*"):  # as the last writer leaves it: no -wal, no -shm
        side.unlink()
    with _mount("bind", db.parent, str(staging)) as ok:
        if not ok:
            pytest.skip("cannot bind-mount here (needs root and mount)")
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(db.parent)], capture_output=True)
        if ro.returncode:
            pytest.skip(f"cannot remount read-only: {ro.stderr.decode().strip()}")
        app = ProjTuiApp(fresh_project, config_path=fresh_project / "app-config.yml")
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("4")
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, SessionsScreen)
            status = str(screen.query_one("#history-status").render())
            assert "Cannot read" not in status, status
            assert screen.query_one(HistoryTable).ids() == ids
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, SessionDetailScreen)
            assert app.screen.session_id == ids[0]
            assert not app.errors, app.errors
    assert sha256(staging / "sessions.db") == original
    fault_report(
        "store files",
        "the app's History on a read-only store (read-only bind mount), which `sessions list` reads",
        detail=f"lists both sessions and opens one ({len(lines)} log lines); was 'Cannot read "
        "the session store'; nothing changed",
    )
