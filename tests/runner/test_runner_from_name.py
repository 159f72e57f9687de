from __future__ import annotations

import sys

import pytest

from proj_tui.runner import (
    ParallelRunner,
    RunnerError,
    SequentialRunner,
    ThreadRunner,
    runner_from_name,
)


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sequential", SequentialRunner),
        ("thread", ThreadRunner),
        ("process", ParallelRunner),
        ("ThreadRunner", ThreadRunner),
        ("proj_tui.runner.SequentialRunner", SequentialRunner),
    ],
)
def test_known_names(name, cls):
    assert type(runner_from_name(name)) is cls


def test_kwargs_are_passed():
    runner = runner_from_name("thread", max_workers=3)
    assert isinstance(runner, ThreadRunner)
    assert runner.max_workers == 3


def test_bad_kwargs():
    with pytest.raises(RunnerError, match=r"Cannot create runner 'sequential'"):
        runner_from_name("sequential", max_workers=2)


def test_unknown_name_suggests():
    with pytest.raises(RunnerError, match=r"Unknown runner 'threads'. Did you mean 'thread'"):
        runner_from_name("threads")


def test_dask_without_the_extra_says_how_to_install(monkeypatch):
    # as if the [dask] extra were not installed, whatever this venv has
    monkeypatch.setitem(sys.modules, "distributed", None)
    monkeypatch.delitem(sys.modules, "proj_tui.runner.dask_runner", raising=False)
    with pytest.raises(RunnerError, match=r"pip install 'proj-tui\[dask\]'"):
        runner_from_name("dask")


def test_dotted_path_errors():
    with pytest.raises(RunnerError, match=r"module 'no_such_pkg' cannot be imported"):
        runner_from_name("no_such_pkg.Runner")
    with pytest.raises(RunnerError, match=r"has no 'SequentialRuner'. Did you mean"):
        runner_from_name("proj_tui.runner.SequentialRuner")
    with pytest.raises(RunnerError, match=r"is not a runner class"):
        runner_from_name("proj_tui.runner.RunnerError")
