"""Rerun and resume arguments of a recorded Kedro session (no run: the records are built here)."""

from __future__ import annotations

import pytest

from proj_tui.framework.replay import (
    ReplayError,
    is_kedro_record,
    resume_selection,
    run_argv,
)
from proj_tui.framework.store import SessionRecord

_ARGV = ["kedro", "run", "--conf-source", "/p/conf2", "--runner-params", "max_workers=2", "--async"]


def _kedro_record(**changes: object) -> SessionRecord:
    values: dict = {
        "session_id": "2026-12-02T01.54.02.654Z",
        "status": "failed",
        "project_path": "/p",
        "package_name": "space_lite",
        "env": "local",
        "pipeline": "data_processing",
        "runtime_params": {"features": {"scale": 3}, "model": {"name": "ridge forest"}},
        "filters": {"node_names": ["split_data", "summarize"], "tags": ["model"]},
        "runner": "ThreadRunner",
        "versions": {"python": "3.11.9", "kedro": "1.7.0"},
        "cli": {"argv": _ARGV},
    }
    values.update(changes)
    return SessionRecord(**values)  # type: ignore[arg-type]


def test_a_kedro_session_reruns_with_kedro_params_and_its_runner_options() -> None:
    record = _kedro_record()
    assert is_kedro_record(record)
    assert run_argv(record, params={"features": {"scale": 4}}) == [
        "run", "--project", "/p", "--env", "local", "--conf-source", "/p/conf2",
        "--params", "features.scale=4,model.name='ridge forest'",
        "--pipeline", "data_processing", "--tags", "model", "--nodes", "split_data,summarize",
        "--runner", "thread", "--runner-params", "max_workers=2", "--async",
        "--parent", "2026-12-02T01.54.02.654Z",
    ]  # fmt: skip


def test_a_kedro_resume_keeps_the_sessions_other_filters_as_kedros_hint_does() -> None:
    kedro = resume_selection(_kedro_record(), ["split_data"])
    assert kedro.node_names == {"split_data", "summarize"} and kedro.from_nodes == {"split_data"}
    native = resume_selection(_kedro_record(versions={"python": "3.11.9"}), ["split_data"])
    assert native.node_names == frozenset()


def test_params_kedro_cannot_take_stop_the_rerun_with_the_key() -> None:
    record = _kedro_record(runtime_params={"model": {"layers": [1, 2]}})
    with pytest.raises(ReplayError, match=r"model\.layers"):
        run_argv(record)


def test_a_native_session_is_not_taken_for_a_kedro_one() -> None:
    record = _kedro_record(versions={"python": "3.11.9"}, cli={})
    assert not is_kedro_record(record)
    assert "--runner-params" not in run_argv(record)
