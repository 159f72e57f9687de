"""The session, ported from Kedro's tests/framework/session/test_session.py and
tests/framework/project/test_logging.py, on a one-node project written under tmp_path."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest

from kedro_parity._confkit import make_project, write_text
from proj_tui.framework.session import Session, SessionError
from proj_tui.framework.store import SQLiteSessionStore, default_store_path, is_session_id
from proj_tui.runner import SequentialRunner


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")[0]


def test_create(project: Path) -> None:
    """Kedro: TestKedroSession::test_create — the id, and what the store holds about it."""
    with Session.create(project_path=project) as session:
        assert is_session_id(session.session_id)
        record = session.store.get_session(session.session_id)
        assert record.project_path == str(project)
        assert record.package_name == session.metadata.package_name
        assert record.env == "local"


def test_create_multiple_sessions(project: Path) -> None:
    """Kedro: test_create_multiple_sessions — every session gets its own id."""
    ids = set()
    for _ in range(5):
        with Session.create(project_path=project) as session:
            ids.add(session.session_id)
    assert len(ids) == 5


def test_ids_unique_from_many_threads_without_a_store(project: Path) -> None:
    """Issue 16: with save_on_close=False, 40 sessions from 40 threads all get their own id (the
    id is the save version, so a repeat made the second run fail with "already exists")."""
    ids: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(40)

    def start() -> None:
        barrier.wait()
        session = Session.create(project_path=project, save_on_close=False)
        with lock:
            ids.append(session.session_id)
        session.close()

    threads = [threading.Thread(target=start) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 40 and len(set(ids)) == 40
    assert not default_store_path(project).exists()


def test_load_context_with_envvar(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Kedro: test_load_context_with_envvar (KEDRO_ENV is PROJ_TUI_ENV here)."""
    (project / "conf" / "my_fake_env").mkdir()
    monkeypatch.setenv("PROJ_TUI_ENV", "my_fake_env")
    with Session.create(project_path=project) as session:
        assert session.load_context().env == "my_fake_env"


def test_load_context_custom_conf_source(project: Path) -> None:
    """Kedro: test_load_context_custom_conf_source."""
    write_text(project / "other_conf" / "base" / "parameters.yml", "x: 7\n")
    (project / "other_conf" / "local").mkdir()
    with Session.create(project_path=project, conf_source=project / "other_conf") as session:
        assert session.load_context().params == {"x": 7}


def test_run(project: Path) -> None:
    """Kedro: test_run — the pipeline runs and the store says it succeeded."""
    with Session.create(project_path=project) as session:
        session.run()
    record = SQLiteSessionStore.for_project(project).get_session(session.session_id)
    assert record.status == "succeeded"


def test_run_with_a_runner_instance(project: Path) -> None:
    """Kedro: test_run — runner=SequentialRunner() is used as given."""
    with Session.create(project_path=project) as session:
        session.run(runner=SequentialRunner())


def test_session_raise_error_with_invalid_runner_instance(project: Path) -> None:
    """Kedro: test_session_raise_error_with_invalid_runner_instance — a class, not an instance."""
    session = Session.create(project_path=project)
    with session, pytest.raises(SessionError, match=r"forget the \(\)"):
        session.run(runner=SequentialRunner)  # type: ignore[arg-type]


def test_run_with_something_that_is_not_a_runner(project: Path) -> None:
    session = Session.create(project_path=project)
    with session, pytest.raises(SessionError, match="expects a runner"):
        session.run(runner=42)  # type: ignore[arg-type]


def test_run_multiple_times(project: Path) -> None:
    """Kedro: test_run_multiple_times — a second successful run in one session is refused."""
    with Session.create(project_path=project) as session:
        session.run()
        with pytest.raises(SessionError):
            session.run()


def test_run_non_existent_pipeline(project: Path) -> None:
    """Kedro: test_run_non_existent_pipeline — the unknown name is in the message."""
    with (
        Session.create(project_path=project) as session,
        pytest.raises(Exception, match="doesnotexist"),
    ):
        session.run(pipeline_name="doesnotexist")


def test_run_exception(tmp_path: Path) -> None:
    """Kedro: test_run_exception — a failing node re-raises and the session is marked failed."""
    project, _ = make_project(tmp_path / "proj", params="x: not-a-number-but-text\n")
    write_text(project / "conf" / "base" / "parameters.yml", "x: null\n")
    with pytest.raises(TypeError), Session.create(project_path=project) as session:
        session.run()
    record = SQLiteSessionStore.for_project(project).get_session(session.session_id)
    assert record.status == "failed"
    assert record.error is not None and record.error["type"] == "TypeError"


def test_exception_in_the_with_block_is_recorded(project: Path) -> None:
    """Kedro: test_session_exit_on_exception — an error inside ``with`` is saved, then raised."""
    with pytest.raises(RuntimeError, match="boom"), Session.create(project_path=project) as session:
        raise RuntimeError("boom")
    record = SQLiteSessionStore.for_project(project).get_session(session.session_id)
    assert record.status == "failed"
    assert "boom" in record.error["message"]


def test_logging_yml_is_applied(project: Path) -> None:
    """Kedro: tests/framework/project/test_logging.py — conf/<env>/logging.yml configures logging."""
    log_file = project / "info.log"
    write_text(
        project / "conf" / "base" / "logging.yml",
        f"""\
        version: 1
        handlers:
          to_file:
            class: logging.FileHandler
            filename: {log_file}
        loggers:
          parity.special:
            level: INFO
            handlers: [to_file]
        """,
    )
    with Session.create(project_path=project) as session:
        session.load_context()
        logging.getLogger("parity.special").info("hello from the project")
    for handler in logging.getLogger("parity.special").handlers:
        handler.flush()
    assert "hello from the project" in log_file.read_text()
    record = SQLiteSessionStore.for_project(project)
    lines = [line.message for line in record.logs(session.session_id)]
    assert "hello from the project" in lines  # the session still records it
    logging.getLogger("parity.special").handlers.clear()


def test_bad_logging_yml_names_the_file(project: Path) -> None:
    path = write_text(
        project / "conf" / "base" / "logging.yml",
        "version: 1\nhandlers: {h: {class: no.such.Handler}}\n",
    )
    from proj_tui.config import ConfigError

    with (
        Session.create(project_path=project) as session,
        pytest.raises(ConfigError, match=str(path)),
    ):
        session.load_context()
