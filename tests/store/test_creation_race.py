"""Readers that open a store while the first writer creates it see nothing half-made."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from proj_tui.framework.store import SQLiteSessionStore, StoreError

CREATE = (
    "import sys\n"
    "from proj_tui.framework.store import SQLiteSessionStore\n"
    "s = SQLiteSessionStore(sys.argv[1]); s.create_session({'env': 'local'}); s.close()\n"
)


def test_readers_never_see_a_half_created_store(tmp_path: Path) -> None:
    problems: list[str] = []
    for trial in range(15):
        path = tmp_path / f"t{trial}" / ".proj-tui" / "sessions.db"
        done = threading.Event()

        def read(path: Path = path, done: threading.Event = done, ro: bool = True) -> None:
            while not done.is_set():
                try:
                    with SQLiteSessionStore(path, readonly=ro) as store:
                        store.list_sessions(limit=5)
                except StoreError as exc:
                    text = str(exc)
                    if "There is no session store" not in text and "is empty" not in text:
                        problems.append(text)

        # the app's History reads read-write (it reaps crashed sessions, writes notes)
        readers = [threading.Thread(target=read, kwargs={"ro": ro}) for ro in (True, False, False)]
        for reader in readers:
            reader.start()
        subprocess.run([sys.executable, "-c", CREATE, str(path)], check=True, timeout=30)
        done.set()
        for reader in readers:
            reader.join(timeout=10)
        with SQLiteSessionStore(path, readonly=True) as store:
            assert len(store.list_sessions()) == 1
        assert not list(path.parent.glob(".sessions.db.*")), "temporary files left behind"
    assert problems == []
