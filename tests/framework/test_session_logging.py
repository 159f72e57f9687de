"""Sessions left open never stack handlers on the root logger: the newest idle one records."""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import pytest

from proj_tui.framework.recorder import RecordingHandler
from proj_tui.framework.session import Session

FAIL = {"model_a": {"model_options": {"lr": 5}}}  # train_model rejects lr > 1


def _messages(session: Session) -> list[str]:
    return [line.message for line in session.store.logs(session.session_id)]


def _ours() -> list[logging.Handler]:
    return [h for h in logging.getLogger().handlers if isinstance(h, RecordingHandler)]


def test_sessions_left_open_keep_one_handler_and_record_only_their_own_run(demo: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    first, second, third = (Session.create(project_path=demo) for _ in range(3))  # left open
    failing = Session.create(project_path=demo, extra_params=FAIL)
    try:
        assert _ours() == [failing._handler]  # the newest records; the others stopped
        first.run(pipeline_name="data_processing")
        assert _ours() == [first._handler]
        logging.getLogger("notebook").warning("a line between runs")
        with pytest.raises(Exception, match="lr"):
            failing.run()
        second.run(pipeline_name="data_processing")
        assert _ours() == [second._handler]
    finally:
        for session in (first, second, third, failing):
            session.close()  # flushes what the recorders still hold
    first_lines, second_lines = _messages(first), _messages(second)
    assert first_lines and second_lines  # each holds its own run's lines
    assert [m for m in first_lines if "between runs" in m] == ["a line between runs"]
    assert not any("between runs" in m for m in second_lines + _messages(failing))
    assert _messages(third) == []
    assert root.handlers == handlers and root.level == level


def test_a_session_dropped_without_close_takes_its_handler_along(demo: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    session = Session.create(project_path=demo)
    assert _ours() == [session._handler]
    store = session.store
    del session
    gc.collect()
    assert root.handlers == handlers and root.level == level
    store.close()
