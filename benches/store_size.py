"""Store-size benchmark: bytes on disk per byte of log payload and of parameters, against the budget.

    .venv/bin/python benches/store_size.py [--mb 8] [--params-mb 10] [--keep DIR]

Each case writes log lines through the store's public API (``append_logs`` in batches of 500, as the
recorder's 50 ms flushes do) into a fresh store, checkpoints the WAL and compares the file with the
payload. The payload is the text each line holds, in UTF-8: message, logger name and level (what a
log file without timestamps would hold). Line texts are random letters, digits and spaces, so no
encoding can win by compressing them. Cases: short lines (40-120 bytes), 1 KB, 2 KB (just over
half a 4 KB page: the worst case for a one-line-one-row layout), 4 KB, and a mix (70% short, 20%
200 B-2 KB, 10% 2-16 KB), the mix also with two sessions writing in turns. Then the cost of a
parameter file per session: a ``--params-mb`` JSON mapping recorded by ``update_session(params=)``
(what ``Session.run`` does), measured as the growth of the store from the second session to the
third. Budget (design §5): the store is at most 1.5x the log payload.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import string
import tempfile
from collections.abc import Callable
from pathlib import Path

from proj_tui.framework.store import LogLine, SQLiteSessionStore

BUDGET = 1.5
BATCH = 500
LOGGER = "taxi.pipelines.data_processing.nodes"
_ALPHABET = string.ascii_letters + string.digits + " " * 8


def _text(rng: random.Random, size: int) -> str:
    return "".join(rng.choices(_ALPHABET, k=size))


def _short(rng: random.Random) -> int:
    return rng.randint(40, 120)


def _mixed(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.7:
        return rng.randint(40, 120)
    if roll < 0.9:
        return rng.randint(200, 2000)
    return rng.randint(2000, 16000)


def _fixed(size: int) -> Callable[[random.Random], int]:
    return lambda rng: size


def _store_bytes(db: Path) -> int:
    """The file as it stays: WAL checkpointed into the main file, -wal and -shm included."""
    with SQLiteSessionStore(db) as store:
        store._read(lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def log_case(
    root: Path, name: str, sizes: Callable[[random.Random], int], mb: float, sessions: int = 1
) -> tuple[int, int]:
    """Store bytes and payload bytes after writing ``mb`` MB of lines shaped by ``sizes``."""
    rng = random.Random(name)
    db = root / name / "sessions.db"
    db.parent.mkdir(parents=True)
    payload = 0
    with SQLiteSessionStore(db) as store:
        ids = [store.create_session({"pipeline": "p"}) for _ in range(sessions)]
        empty = _store_bytes(db)
        turn = 0
        while payload < mb * 1e6:
            batch = [
                LogLine(
                    ts=1.7e9 + turn, level="INFO", logger=LOGGER, message=_text(rng, sizes(rng))
                )
                for _ in range(BATCH)
            ]
            payload += sum(
                len(line.message.encode()) + len(LOGGER) + len(line.level) for line in batch
            )
            store.append_logs(ids[turn % sessions], batch)
            turn += 1
        for session_id in ids:
            store.finish_session(session_id, "succeeded")
    return _store_bytes(db) - empty, payload


def params_case(root: Path, mb: float) -> tuple[int, int]:
    """Store growth for one session that records a parameter mapping of about ``mb`` MB."""
    rng = random.Random("params")
    leaves: dict[str, dict[str, object]] = {}
    size = count = 0
    while size < mb * 1e6:
        group = leaves.setdefault(f"group_{count // 250}", {})
        value = rng.choice([rng.random(), _text(rng, 30), rng.randint(0, 9)])
        group[f"key_{len(group)}"] = value
        size += len(json.dumps(value)) + 12
        count += 1
    params = {"big": leaves}
    payload = len(json.dumps(params, separators=(",", ":")).encode())
    db = root / "params" / "sessions.db"
    db.parent.mkdir(parents=True)
    sizes = []
    with SQLiteSessionStore(db) as store:
        for _ in range(3):
            session_id = store.create_session({"pipeline": "p", "params": params})
            store.update_session(session_id, params=params)  # Session.run records them again
            store.finish_session(session_id, "succeeded")
            sizes.append(_store_bytes(db))
    return sizes[2] - sizes[1], payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=8.0, help="log payload per case (MB)")
    parser.add_argument("--params-mb", type=float, default=10.0, help="parameter file size (MB)")
    parser.add_argument("--keep", type=Path, help="write the stores here and keep them")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="store-size-"))
    cases: list[tuple[str, Callable[[random.Random], int], int]] = [
        ("short lines (40-120 B)", _short, 1),
        ("1 KB lines", _fixed(1024), 1),
        ("2 KB lines", _fixed(2048), 1),
        ("4 KB lines", _fixed(4096), 1),
        ("mixed lines", _mixed, 1),
        ("mixed lines, 2 sessions in turns", _mixed, 2),
    ]
    print(f"{'case':<36} {'payload MB':>10} {'store MB':>9} {'ratio':>6}  budget")
    worst = 0.0
    try:
        for index, (label, sizes, sessions) in enumerate(cases):
            store, payload = log_case(root, f"case{index}", sizes, args.mb, sessions)
            ratio = store / payload
            worst = max(worst, ratio)
            verdict = "ok" if ratio <= BUDGET else "OVER"
            print(
                f"{label:<36} {payload / 1e6:>10.2f} {store / 1e6:>9.2f} {ratio:>5.2f}x"
                f"  <= {BUDGET}x {verdict}"
            )
        grown, payload = params_case(root, args.params_mb)
        print(
            f"{'parameter file, per session':<36} {payload / 1e6:>10.2f} {grown / 1e6:>9.2f} "
            f"{grown / payload:>5.2f}x"
        )
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"worst log ratio {worst:.2f}x: {'within' if worst <= BUDGET else 'OVER'} the budget")


if __name__ == "__main__":
    main()
