"""The root logger feeds a session only while it runs, so open sessions never stack handlers."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from proj_tui.framework.session import Session

FAIL = {"model_a": {"model_options": {"lr": 5}}}  # train_model rejects lr > 1


def _messages(session: Session) -> list[str]:
    return [line.message for line in session.store.logs(session.session_id)]


def test_sessions_left_open_add_no_handlers_and_record_only_their_own_run(demo: Path) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    first, second, third = (Session.create(project_path=demo) for _ in range(3))  # left open
    failing = Session.create(project_path=demo, extra_params=FAIL)
    try:
        assert root.handlers == handlers and root.level == level
        first.run(pipeline_name="data_processing")
        assert root.handlers == handlers and root.level == level
        logging.getLogger("notebook").warning("a line between runs")
        with pytest.raises(Exception, match="lr"):
            failing.run()
        assert root.handlers == handlers and root.level == level
        second.run(pipeline_name="data_processing")
        first_lines, second_lines = _messages(first), _messages(second)
        assert first_lines and second_lines
        assert len(first_lines) == len(second_lines)  # each holds its own run's lines, once
        assert _messages(third) == []
        assert not any("between runs" in m for m in first_lines + second_lines)
        assert not any("lr" in m and "5" in m for m in second_lines)  # not the failed run's
    finally:
        for session in (first, second, third, failing):
            session.close()
    assert root.handlers == handlers
