from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from proj_tui.framework.hooks import hook_impl
from proj_tui.framework.session import Session, SessionError
from proj_tui.framework.startup import bootstrap_project
from proj_tui.framework.store import SQLiteSessionStore, default_store_path

FAIL = {"model_a": {"model_options": {"lr": 5}}}  # train_model rejects lr > 1


def test_seed_example_from_another_directory(
    demo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    metadata = bootstrap_project(demo)
    monkeypatch.chdir(elsewhere)
    with Session.create(metadata.package_name) as session:
        session.run()
    record = session.store.get_session(session.session_id)
    assert record.status == "succeeded"
    assert record.project_path == str(demo)
    assert (demo / "data" / "05_reporting" / "model_comparison.md").is_file()
    assert default_store_path(demo).is_file()


def test_store_record_after_success(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TAXI_REGION", "eu-west")
    monkeypatch.setenv("TAXI_API_TOKEN", "tok-very-secret-123")
    with Session.create(
        project_path=demo, env="prod", extra_params={"cleaning": {"max_fare": 120.0}}
    ) as session:
        session.run(pipeline_name="data_processing")
    store = SQLiteSessionStore.for_project(demo)
    record = store.get_session(session.session_id)
    assert record.status == "succeeded"
    assert record.env == "prod"
    assert record.pipeline == "data_processing"
    assert record.runtime_params == {"cleaning": {"max_fare": 120.0}}
    assert record.params["cleaning"] == {
        "max_fare": 120.0,
        "min_distance_km": 0.1,
        "drop_missing": True,
    }
    assert record.env_vars["TAXI_REGION"] == "eu-west"
    assert record.env_vars["TAXI_API_TOKEN"] == "<redacted>"
    assert record.user and record.host and record.pid == os.getpid()
    assert record.versions["python"]
    assert record.ended_at is not None and record.ended_at >= record.started_at
    nodes = {n.name: n for n in store.nodes(session.session_id)}
    assert set(nodes) == {"ingest_trips", "clean_trips", "build_features"}
    assert all(n.status == "succeeded" and n.ended_at >= n.started_at for n in nodes.values())
    messages = [line.message for line in store.logs(session.session_id)]
    assert any("Ingested 600 trips" in m for m in messages)


def test_failed_run_is_recorded_and_may_be_retried(demo: Path) -> None:
    with Session.create(project_path=demo, extra_params=FAIL) as session:
        with pytest.raises(ValueError, match="lr must be"):
            session.run()
        record = session.store.get_session(session.session_id)
        assert record.error and record.error["type"] == "ValueError"
        nodes = {n.name: n.status for n in session.store.nodes(session.session_id)}
        assert nodes["build_features"] == nodes["model_a.split_data"] == "succeeded"
        assert nodes["model_a.train_model"] == "failed"
        assert nodes["model_a.evaluate_model"] == "not_run"
        assert "--from-nodes" in (record.extra.get("resume") or "")
        # a failed run may be retried in the same session
        session.run(pipeline_name="data_processing")
    final = session.store.get_session(session.session_id)
    assert final.status == "succeeded"


def test_failed_session_status_after_close(demo: Path) -> None:
    with pytest.raises(ValueError), Session.create(project_path=demo, extra_params=FAIL) as session:
        session.run()
    record = session.store.get_session(session.session_id)
    assert record.status == "failed"
    assert "ValueError" in record.error["traceback"]


def test_second_successful_run_raises(demo: Path) -> None:
    with Session.create(project_path=demo) as session:
        session.run(pipeline_name="data_processing")
        with pytest.raises(SessionError, match="already completed a successful run"):
            session.run(pipeline_name="data_processing")


def test_unknown_pipeline_did_you_mean(demo: Path) -> None:
    with (
        Session.create(project_path=demo) as session,
        pytest.raises(SessionError, match="Did you mean 'data_science'"),
    ):
        session.run(pipeline_name="data_sciense")


def test_pipeline_names_run_the_union_and_are_recorded(demo: Path) -> None:
    with Session.create(project_path=demo) as session:
        session.run(pipeline_names=["reporting", "data_processing"], tags=["etl"])
    record = session.store.get_session(session.session_id)
    assert record.pipeline == "data_processing,reporting"
    assert record.extra["pipeline_names"] == ["data_processing", "reporting"]
    assert record.filters == {"tags": ["etl"]}
    ran = {n.name for n in session.store.nodes(session.session_id) if n.status == "succeeded"}
    assert ran == {"ingest_trips", "clean_trips", "build_features"}


def test_an_unknown_name_among_pipeline_names_did_you_mean(demo: Path) -> None:
    with (
        Session.create(project_path=demo) as session,
        pytest.raises(SessionError, match="Pipeline 'reportin' is not registered"),
    ):
        session.run(pipeline_names=["data_processing", "reportin"])


def test_runtime_params_win_and_keep_siblings(demo: Path) -> None:
    params = {"model_a": {"model_options": {"lr": 0.2}}, "cleaning.max_fare": 99}
    from proj_tui.config import nest_dotted

    with Session.create(
        project_path=demo, env="local", extra_params=nest_dotted(params)
    ) as session:
        context = session.load_context()
        opts = context.params["model_a"]["model_options"]
        assert opts["lr"] == 0.2
        assert opts["epochs"] == 200  # from conf/local, kept
        assert opts["features"] == ["distance_km", "duration_min"]  # from base, kept
        assert context.params["cleaning"]["max_fare"] == 99
        catalog = context.catalog
        assert catalog.load("params:model_a.model_options.lr") == 0.2
        assert catalog.load("parameters")["cleaning"]["drop_missing"] is True


def test_exception_inside_with_is_recorded_and_reraised(demo: Path) -> None:
    with pytest.raises(RuntimeError, match="outside run"), Session.create(project_path=demo) as s:
        raise RuntimeError("outside run")
    record = s.store.get_session(s.session_id)
    assert record.status == "failed"
    assert record.error["message"] == "outside run"


def test_keyboard_interrupt_records_cancelled(demo: Path) -> None:
    class Interrupt:
        @hook_impl
        def before_node_run(self, node: Any, **kwargs: Any) -> None:
            if node.name == "clean_trips":
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt), Session.create(project_path=demo) as session:
        session.hook_manager.register(Interrupt())
        session.run(pipeline_name="data_processing")
    record = session.store.get_session(session.session_id)
    assert record.status == "cancelled"
    assert record.error == {
        "type": "Cancelled",
        "message": "The run was cancelled.",
        "traceback": None,
    }
    nodes = {n.name: n.status for n in session.store.nodes(session.session_id)}
    assert nodes["ingest_trips"] == "succeeded"
    assert nodes["build_features"] == "not_run"


def test_cancel_from_another_thread(tmp_path: Path) -> None:
    from helpers import make_demo

    project = make_demo(tmp_path / "slow", latency=0.3)
    with Session.create(project_path=project) as session:
        timer = threading.Timer(0.2, session.cancel)
        timer.start()
        with pytest.raises(BaseException):  # noqa: B017 - RunCancelled, whatever the runner names it
            session.run(pipeline_name="data_processing")
    assert session.store.get_session(session.session_id).status == "cancelled"


def test_hooks_get_run_params(demo: Path) -> None:
    seen: dict[str, Any] = {}

    class Spy:
        @hook_impl
        def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
            seen["before"] = run_params

        @hook_impl
        def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
            seen["after"] = run_params

        @hook_impl
        def after_node_run(self, node: Any) -> None:
            seen.setdefault("nodes", []).append(node.name)

    with Session.create(project_path=demo, env="prod") as session:
        session.hook_manager.register(Spy())
        session.run(pipeline_name="data_processing", tags=["etl"])
    assert seen["before"]["session_id"] == session.session_id
    assert seen["before"]["env"] == "prod"
    assert seen["before"]["tags"] == ["etl"]
    assert seen["after"] is seen["before"]
    assert seen["nodes"] == ["ingest_trips", "clean_trips", "build_features"]


def test_credentials_never_stored(demo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cr3t-warehouse-pw-4711"
    monkeypatch.setenv("TAXI_WAREHOUSE_PASSWORD", secret)
    import logging

    class LeakyHook:
        @hook_impl
        def after_catalog_created(self, conf_creds: dict[str, Any]) -> None:
            logging.getLogger("leaky").info("creds are %s", conf_creds)

    with Session.create(project_path=demo) as session:
        session.hook_manager.register(LeakyHook())
        assert session.load_context().catalog is not None
    store_dir = default_store_path(demo).parent
    for path in store_dir.iterdir():
        assert secret.encode() not in path.read_bytes(), path
    logs = [line.message for line in session.store.logs(session.session_id)]
    assert any("<redacted>" in m for m in logs)


def test_save_on_close_false_writes_nothing(demo: Path) -> None:
    with Session.create(project_path=demo, save_on_close=False) as session:
        session.run(pipeline_name="data_processing")
    assert not default_store_path(demo).exists()


def test_unknown_env_lists_known(demo: Path) -> None:
    from proj_tui.config import UnknownEnvError

    with pytest.raises(UnknownEnvError, match="prod"):
        Session.create(project_path=demo, env="prd")
    assert not default_store_path(demo).exists()


def test_ids_unique_and_sortable(demo: Path) -> None:
    ids = []
    for _ in range(5):
        with Session.create(project_path=demo) as session:
            ids.append(session.session_id)
    assert len(set(ids)) == 5
    assert ids == sorted(ids)
