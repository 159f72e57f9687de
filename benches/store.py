"""Session-store benchmark: history queries on 100k stored sessions, against the issue's budgets.

    .venv/bin/python benches/store.py [--sessions 100000] [--keep DIR]

Fills a store in a temporary project (``<dir>/.proj-tui/sessions.db``) with realistic sessions: nested
params of about 2 KB each, varied env/status/pipeline/user, some with nodes and logs. The fill uses the
store's own schema and row helpers but bulk ``executemany`` in big transactions, so it takes well under a
minute; then each query is timed warm (median of repeated runs, plus the worst run) and printed next to
its budget. Last, the whole-process time of ``proj-tui sessions list`` in that project, if the CLI can.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from proj_tui.framework.store import SQLiteSessionStore, default_store_path, parse_query
from proj_tui.framework.store.ids import id_from_millis
from proj_tui.framework.store.sqlite_logs import PART_BITS, session_range
from proj_tui.framework.store.sqlite_rows import _dumps, _flatten_params

ENVS = ["local"] * 6 + ["dev"] * 2 + ["staging", "prod"]
STATUSES = ["succeeded"] * 14 + ["failed"] * 3 + ["cancelled", "crashed"]
PIPELINES = ["__default__", "train", "evaluate", "ingest", "features", "report", "backfill"]
USERS = ["ana", "bo", "chen", "dmitri", "eve", "farah", "gus", "hiro"]
NOTES = [None] * 30 + ["baseline", "try larger batch", "regression after refactor", "for paper"]
QUERY_BUDGET_MS = 10.0
COUNT_BUDGET_MS = 30.0
APP_BUDGET_MS = 100.0  # design §5: history opens and filters in <= 100 ms
CLI_BUDGET_S = 0.3


def make_params(rng: random.Random, i: int) -> dict[str, Any]:
    """About 2 KB of nested parameters, shaped like a real training project's."""
    return {
        "model": {
            "kind": rng.choice(["rf", "xgb", "mlp", "linear"]),
            "lr": round(rng.uniform(0.0001, 0.1), 5),
            "layers": [rng.choice([32, 64, 128, 256]) for _ in range(rng.randint(2, 5))],
            "dropout": round(rng.uniform(0, 0.5), 3),
            "batch_size": rng.choice([16, 32, 64, 128, 256]),
            "epochs": rng.randint(1, 200),
            "seed": i % 1000,
            "optimizer": {"name": rng.choice(["adam", "sgd"]), "momentum": 0.9, "decay": 1e-4},
            "early_stopping": {"enabled": rng.random() < 0.5, "patience": rng.randint(2, 20)},
        },
        "data": {
            "source": f"s3://warehouse/raw/events/{rng.randint(2020, 2026)}/",
            "train_split": 0.8,
            "test_split": 0.2,
            "sample_rate": round(rng.uniform(0.01, 1), 3),
            "columns": [f"feature_{c:03d}" for c in range(48)],
            "filters": {"country": rng.choice(["de", "fr", "us", "jp"]), "min_events": 10},
        },
        "features": {
            "window_days": rng.choice([7, 14, 28, 90]),
            "encoders": {"category": "onehot", "text": "tfidf", "numeric": "standard"},
            "sql": "SELECT user_id, count(*) AS n, avg(amount) AS mean_amount FROM events "
            "WHERE ts >= :start AND ts < :end GROUP BY user_id HAVING count(*) > :min_events",
        },
        "report": {
            "title": f"Weekly report {i}",
            "recipients": ["team@example.com", "leads@example.com"],
            "plots": 12,
            "format": rng.choice(["html", "pdf"]),
            "template": "templates/weekly_report_with_appendix_and_glossary.html.j2",
        },
        "evaluation": {
            "metrics": ["accuracy", "precision", "recall", "f1", "roc_auc", "log_loss"],
            "thresholds": {f"class_{c}": round(rng.uniform(0.3, 0.7), 2) for c in range(8)},
            "cv_folds": rng.choice([3, 5, 10]),
            "output_dir": f"data/08_reporting/evaluation/run_{i:06d}/metrics_and_plots",
        },
    }


SAVED = ("model_a.metrics", "model_b.metrics", "zone_report", "model_a.model", "model_b.model",
         "features_table", "trips_clean")  # fmt: skip
STEMS = {"model_a.metrics": "model_a_metrics", "model_b.metrics": "model_b_metrics",
         "model_a.model": "model_a_model", "model_b.model": "model_b_model",
         "features_table": "features"}  # fmt: skip
LOADED = ("trips_raw",)
_SESSION_COLUMNS = (
    "rid, session_id, started_at, ended_at, status, env, pipeline, user, host, pid, heartbeat_at, "
    "git_commit, git_dirty, parent_id, note, pinned, package_name, project_path, runtime_params"
)
OUT_QUERIES = (
    "in:trips_raw",  # every session but the crashed ones
    "out:model_a.metrics.rmse<1.2",  # ~10%
    "out:metrics.rmse<1.01",  # rare (under 1%), either model: drives from the index
    "out:zone_report.average_fare>39.5 status:failed",  # a tail key, with another filter
    "out:model_b_metrics.r2>0.9 env:prod",  # by the file's stem
    "out:no_such_output",
)


def _output_rows(
    rng: random.Random, rid: int, names: dict[str, int], keys: dict[str, int]
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The demo's outputs for one session as the ``out:``/``in:`` index holds them
    (store/sqlite_outputs.py): names and stems saved and loaded, and the values of its small
    outputs (two metrics JSONs, a zone report YAML), under each name and stem."""
    outputs = [(rid, "save", names[n]) for n in SAVED]
    outputs += [(rid, "save", names[STEMS[n]]) for n in SAVED if n in STEMS]
    outputs += [(rid, "load", names[n]) for n in LOADED] + [(rid, "load", names["trips"])]
    values: list[tuple[Any, ...]] = []
    for model in ("model_a", "model_b"):
        rmse = rng.uniform(1.0, 3.0)
        leaves = {"rmse": rmse, "mae": rmse * 0.7, "r2": rng.uniform(0.5, 0.95)}
        for name in (f"{model}.metrics", f"{model}_metrics"):
            values += [(rid, names[name], keys[k], v, None) for k, v in leaves.items()]
    zones = {"currency": (None, "EUR")}
    for z in range(5):
        zones[f"zones.{z}.zone"] = (None, f"zone_{rng.randrange(40)}")
        zones[f"zones.{z}.trips"] = (float(rng.randrange(10, 500)), None)
        zones[f"zones.{z}.average_fare"] = (round(rng.uniform(5, 40), 2), None)
    values += [(rid, names["zone_report"], keys[k], num, text) for k, (num, text) in zones.items()]
    return outputs, values


def fill(path: Path, count: int, seed: int = 7) -> None:
    """Insert ``count`` sessions quickly with the store's schema and row encoding."""
    SQLiteSessionStore(path).close()  # creates the schema
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    keys = [key for key, _, _ in _flatten_params(make_params(random.Random(0), 0))]
    conn.executemany("INSERT INTO param_keys (key) VALUES (?)", [(k,) for k in keys])
    key_ids = dict(conn.execute("SELECT key, id FROM param_keys"))
    all_names = [*SAVED, *STEMS.values(), *LOADED, "trips"]
    conn.executemany("INSERT INTO output_names (name) VALUES (?)", [(n,) for n in all_names])
    name_ids = dict(conn.execute("SELECT name, id FROM output_names"))
    out_keys = ["rmse", "mae", "r2", "currency"] + [
        f"zones.{z}.{k}" for z in range(5) for k in ("zone", "trips", "average_fare")
    ]
    conn.executemany("INSERT INTO output_keys (key) VALUES (?)", [(k,) for k in out_keys])
    out_key_ids = dict(conn.execute("SELECT key, id FROM output_keys"))
    start_ms = int((time.time() - 365 * 86400) * 1000)
    step_ms = 365 * 86400 * 1000 // count
    batch = 10_000
    for first in range(0, count, batch):
        sessions: list[tuple[Any, ...]] = []
        data: list[tuple[Any, ...]] = []
        params: list[tuple[Any, ...]] = []
        nodes: list[tuple[Any, ...]] = []
        logs: list[tuple[Any, ...]] = []
        outputs: list[tuple[Any, ...]] = []
        values: list[tuple[Any, ...]] = []
        for i in range(first, min(first + batch, count)):
            sid = id_from_millis(start_ms + i * step_ms)
            started = (start_ms + i * step_ms) / 1000
            status = rng.choice(STATUSES)
            ended = started + rng.uniform(1, 3600)
            p = make_params(rng, i)
            runtime = {"model": {"lr": p["model"]["lr"]}} if rng.random() < 0.4 else {}
            git = {"commit": f"{rng.getrandbits(160):040x}", "branch": "main", "dirty": False}
            rid = i + 1
            sessions.append(
                (rid, sid, started, ended, status, rng.choice(ENVS), rng.choice(PIPELINES),
                 rng.choice(USERS), "build-01", 1000 + i % 30000, ended, git["commit"], 0, None,
                 rng.choice(NOTES), int(rng.random() < 0.01), "bench", "/tmp/bench",
                 _dumps(runtime))
            )  # fmt: skip
            error = (
                {"type": "ValueError", "message": "bad input", "traceback": "Traceback ...\n" * 5}
                if status == "failed"
                else None
            )
            doc = {
                "git": git,
                "params": p,
                "cli": {"command": "proj-tui run", "flags": {"env": "local"}},
                "env_vars": {"PROJ_TUI_ENV": "local", "API_TOKEN": "<redacted>"},
                "versions": {"python": "3.11.7", "proj_tui": "0.1.0", "platform": "linux"},
                "filters": {},
                "runner": "sequential",
                "error": error,
            }
            data.append((rid, _dumps(doc)))
            params.extend((rid, key_ids[k], num, text) for k, num, text in _flatten_params(p))
            if status != "crashed":  # a crashed session saved nothing
                session_outputs, session_values = _output_rows(rng, rid, name_ids, out_key_ids)
                outputs += session_outputs
                values += session_values
            if i % 10 == 0:  # every tenth session kept its nodes and logs
                nodes.extend(
                    (sid, f"node_{n}", "succeeded", started + n, started + n + 0.5, None)
                    for n in range(20)
                )
                lo, _ = session_range(rid)
                logs.extend(
                    (lo | (n + 1) << PART_BITS, started + n * 0.01, 1, None, f"line {n} of {sid}")
                    for n in range(50)
                )
        conn.execute("BEGIN")
        conn.executemany(  # named: later schemas add columns (sweep_id)
            f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES ({', '.join('?' * 19)})", sessions
        )
        conn.executemany("INSERT INTO session_data VALUES (?, ?)", data)
        conn.executemany("INSERT INTO session_params VALUES (?, ?, ?, ?)", params)
        conn.executemany("INSERT INTO nodes VALUES (?, ?, ?, ?, ?, ?)", nodes)
        conn.execute("INSERT OR IGNORE INTO log_sources VALUES (1, 'INFO', 'bench.pipeline')")
        conn.executemany("INSERT INTO log_lines VALUES (?, ?, ?, ?, ?)", logs)
        conn.executemany("INSERT INTO session_outputs VALUES (?, ?, ?)", outputs)
        conn.executemany("INSERT INTO output_values VALUES (?, ?, ?, ?, ?)", values)
        conn.execute("COMMIT")
    conn.close()


def measure(action: Callable[[], object], repeat: int = 30) -> tuple[float, float]:
    """Median and worst wall time in ms over ``repeat`` warm runs (after one warm-up run)."""
    action()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        action()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def cli_time(project: Path, db: Path) -> str:
    """Whole-process time of ``proj-tui sessions list`` in the project, or why it is n/a."""
    exe = shutil.which("proj-tui") or str(Path(sys.executable).with_name("proj-tui"))
    if not Path(exe).exists():
        return "n/a (CLI missing)"
    for argv in ([exe, "sessions", "list", "--store", str(db)], [exe, "sessions", "list"]):
        try:
            probe = subprocess.run(argv, cwd=project, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode != 0:
            continue
        runs = []
        for _ in range(5):
            t0 = time.perf_counter()
            subprocess.run(argv, cwd=project, capture_output=True, timeout=30, check=True)
            runs.append(time.perf_counter() - t0)
        return f"{statistics.median(runs):.3f} s  (budget {CLI_BUDGET_S} s) [{' '.join(argv[1:])}]"
    return "n/a (CLI missing)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="build the project here and keep it")
    args = parser.parse_args()

    project = args.keep or Path(tempfile.mkdtemp(prefix="proj-tui-store-bench-"))
    project.mkdir(parents=True, exist_ok=True)
    (project / "pyproject.toml").write_text(
        '[tool.proj_tui]\npackage_name = "bench"\nproject_name = "bench"\n'
    )
    db = default_store_path(project)
    if db.exists():
        db.unlink()
    t0 = time.perf_counter()
    fill(db, args.sessions)
    fill_s = time.perf_counter() - t0
    size_mb = db.stat().st_size / 1e6
    print(f"filled {args.sessions:,} sessions in {fill_s:.1f} s ({size_mb:.0f} MB) at {db}\n")

    store = SQLiteSessionStore(db)
    t0 = time.perf_counter()
    SQLiteSessionStore(db, readonly=True).close()
    open_ms = (time.perf_counter() - t0) * 1000
    sample = json.loads(
        json.dumps(store.get_session(store.list_sessions(limit=1)[0].session_id).params)
    )
    params_kb = len(json.dumps(sample)) / 1024
    cases: list[tuple[str, Callable[[], object], float]] = [
        ("newest 100", lambda: store.list_sessions(limit=100), QUERY_BUDGET_MS),
        ("env:prod (100)", lambda: store.list_sessions(parse_query("env:prod")), QUERY_BUDGET_MS),
        (
            "model.lr>0.05 (100)",
            lambda: store.list_sessions(parse_query("model.lr>0.05")),
            QUERY_BUDGET_MS,
        ),
        (
            "model.seed=42 (rare, 100)",
            lambda: store.list_sessions(parse_query("model.seed=42")),
            QUERY_BUDGET_MS,
        ),
        (
            "model.kind=rf env:prod (100)",
            lambda: store.list_sessions(parse_query("model.kind=rf env:prod")),
            QUERY_BUDGET_MS,
        ),
        (
            "status:failed train (100)",
            lambda: store.list_sessions(parse_query("status:failed train")),
            QUERY_BUDGET_MS,
        ),
        (
            "free text 'regression' (100)",
            lambda: store.list_sessions(parse_query("regression")),
            QUERY_BUDGET_MS,
        ),
        (
            "text, no match (full scan)",
            lambda: store.list_sessions(parse_query("zzzz")),
            APP_BUDGET_MS,
        ),
        ("page at offset 50k", lambda: store.list_sessions(offset=50_000), QUERY_BUDGET_MS),
        ("count all", lambda: store.count_sessions(), COUNT_BUDGET_MS),
        ("count env:prod", lambda: store.count_sessions(parse_query("env:prod")), COUNT_BUDGET_MS),
        (
            "count model.lr>0.05",
            lambda: store.count_sessions(parse_query("model.lr>0.05")),
            COUNT_BUDGET_MS,
        ),
        (
            "count status:failed train",
            lambda: store.count_sessions(parse_query("status:failed train")),
            COUNT_BUDGET_MS,
        ),
        *(
            (
                f"{text} (100)",
                lambda text=text: store.list_sessions(parse_query(text)),
                QUERY_BUDGET_MS,
            )
            for text in OUT_QUERIES
        ),
        *(
            (
                f"count {text}",
                lambda text=text: store.count_sessions(parse_query(text)),
                COUNT_BUDGET_MS,
            )
            for text in OUT_QUERIES
        ),
        (
            "get_session + nodes + logs",
            lambda: store.export(store.list_sessions(limit=1, offset=10)[0].session_id),
            QUERY_BUDGET_MS,
        ),
        ("change_token", store.change_token, QUERY_BUDGET_MS),
    ]
    width = max(len(name) for name, _, _ in cases) + 2
    print(f"params per session: {params_kb:.1f} KB; open (read-only): {open_ms:.1f} ms\n")
    print(f"{'query':<{width}}{'median':>10}{'worst':>10}{'budget':>10}  ok")
    for name, action, budget in cases:
        median, worst = measure(action)
        ok = "yes" if median <= budget else "NO"
        print(f"{name:<{width}}{median:>8.2f}ms{worst:>8.2f}ms{budget:>8.0f}ms  {ok}")
    store.close()
    print(f"\nproj-tui sessions list (whole process): {cli_time(project, db)}")
    if args.keep is None:
        shutil.rmtree(project, ignore_errors=True)


if __name__ == "__main__":
    main()
