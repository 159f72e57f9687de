"""``proj-tui sessions show`` lists a session's nodes in the order the run had them."""

from __future__ import annotations

from pathlib import Path

from helpers import cli


def test_a_failed_run_lists_the_nodes_it_never_ran_in_pipeline_order(demo: Path) -> None:
    failed = cli("run", "--params", "runtime.latency_s=0,model_a.model_options.lr=oops", cwd=demo)
    assert failed.returncode != 0
    shown = cli("sessions", "show", "latest", cwd=demo)
    assert shown.returncode == 0, shown.stderr
    section = shown.stdout.split("Nodes (in run order)\n", 1)[1]
    rows = [line.split() for line in section.splitlines() if line.startswith("  ")]
    names = [row[2] for row in rows if len(row) >= 3 and row[0] != "Error"]
    statuses = [row[0] for row in rows if len(row) >= 3]
    assert statuses.index("failed") < statuses.index("not_run")
    # the pipeline's order (train, evaluate, then compare), not the store's (by name)
    not_run = [name for name, status in zip(names, statuses, strict=False) if status == "not_run"]
    assert not_run == [
        "model_b.train_model",
        "model_a.evaluate_model",
        "model_b.evaluate_model",
        "compare_models",
    ]
