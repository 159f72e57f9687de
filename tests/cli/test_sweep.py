"""``proj-tui run --sweep``: one queued session per combination, sharing a sweep id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from proj_tui.framework.sweep import SweepError, combinations, parse_sweeps
from queue_helpers import DEADLINE, by_id, drained, stop_worker, wait_for

from helpers import cli


@pytest.fixture
def demo(demo: Path) -> Iterator[Path]:
    yield demo
    stop_worker(demo)


@pytest.mark.timeout(600)
def test_a_2x3_sweep_makes_six_sessions_sharing_a_sweep_id(demo: Path) -> None:
    result = cli(
        "run",
        "--sweep",
        "cleaning.max_fare=100,200",
        "--sweep",
        "model_a.model_options.epochs=[3, 5, 7]",
        "--params",
        "runtime.latency_s=0",
        cwd=demo,
    )
    assert result.returncode == 0, result.stderr
    ids = [int(line) for line in result.stdout.split()]
    assert len(ids) == 6 and "Queued sweep sw-" in result.stderr
    wait_for(lambda: drained(demo), "the sweep to run", DEADLINE)
    done = by_id(demo)
    assert {done[i]["outcome"] for i in ids} == {"succeeded"}
    [sweep_id] = {done[i]["sweep_id"] for i in ids}
    values = [done[i]["sweep_values"] for i in ids]
    assert values == [
        {"cleaning.max_fare": fare, "model_a.model_options.epochs": epochs}
        for fare in (100, 200)
        for epochs in (3, 5, 7)
    ]

    listed = cli("sessions", "list", "--json", "--filter", f"sweep:{sweep_id}", cwd=demo)
    sessions = json.loads(listed.stdout)
    assert sorted(s["session_id"] for s in sessions) == sorted(done[i]["session_id"] for i in ids)
    for item_id in ids:
        shown = json.loads(cli("sessions", "show", done[item_id]["session_id"], "--json",
                               cwd=demo).stdout)  # fmt: skip
        assert shown["extra"]["sweep"] == {"id": sweep_id, "values": done[item_id]["sweep_values"]}
        fare = done[item_id]["sweep_values"]["cleaning.max_fare"]
        assert shown["runtime_params"]["cleaning"]["max_fare"] == fare
        assert shown["runtime_params"]["runtime"] == {"latency_s": 0}  # --params kept beside
        assert shown["params"]["model_a"]["model_options"]["epochs"] in (3, 5, 7)


@pytest.mark.parametrize(
    ("sweep", "says"),
    [
        ("cleaning.max_far=1,2", "no parameter 'cleaning.max_far' in env 'local'"),
        ("cleaning.max_fare=", "--sweep cleaning.max_fare gives no values"),
        ("cleaning.max_fare=[]", "--sweep cleaning.max_fare gives no values"),
        ("cleaning.max_fare=[1, 2", "--sweep cleaning.max_fare: the value '[1, 2' is not valid"),
        ("cleaning.max_fare", "must look like KEY=V1,V2"),
    ],
)
@pytest.mark.timeout(600)
def test_bad_sweep_input_exits_2_naming_the_key(demo: Path, sweep: str, says: str) -> None:
    result = cli("run", "--sweep", sweep, "--no-worker", cwd=demo)
    assert result.returncode == 2
    assert says in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (demo / ".proj-tui" / "queue.lock").exists()  # nothing was queued or started


@pytest.mark.timeout(600)
def test_an_unknown_key_suggests_the_near_one(demo: Path) -> None:
    result = cli("run", "--sweep", "cleaning.max_far=1,2", "--no-worker", cwd=demo)
    assert "Did you mean 'cleaning.max_fare'" in result.stderr


@pytest.mark.timeout(600)
def test_sweep_values_are_yaml_typed_and_multiplied_in_order() -> None:
    sweep = parse_sweeps(["a=1,2.5,true,null,text", "b=[x, 'y,z']"])
    assert sweep == {"a": [1, 2.5, True, None, "text"], "b": ["x", "y,z"]}
    combos = combinations(sweep)
    assert (
        len(combos) == 10 and combos[0] == {"a": 1, "b": "x"} and combos[1] == {"a": 1, "b": "y,z"}
    )
    with pytest.raises(SweepError, match="--sweep a is given twice"):
        parse_sweeps(["a=1", "a=2"])
