"""Arguments and files that used to crash or hang proj-tui: bytes that are not UTF-8, keys that
cannot be written back, an alias bomb, non-finite numbers."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from faults._project import assert_no_traceback, cli_env, run_cli

BAD = os.fsdecode(b"caf\xe9")  # what a shell's $'caf\xe9' puts in sys.argv


@pytest.mark.parametrize(
    "args",
    [
        ["--params", f"a={BAD}"],
        ["--pipeline", BAD],
        ["--tags", BAD],
        ["--env-var", f"A={BAD}"],
    ],
    ids=["params", "pipeline", "tags", "env-var"],
)
def test_arguments_that_are_not_utf8(fault_project: Path, fault_report, args: list[str]) -> None:
    import subprocess

    result = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"proj_tui", b"run", *map(os.fsencode, args)],
        capture_output=True,
        cwd=fault_project,
        env=cli_env(),
        timeout=60,
    )
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    assert_no_traceback(result.stderr)
    assert f"{args[0]} b" in err and "not valid UTF-8" in err, err
    fault_report(
        "broken inputs",
        f"run {args[0]} with a non-UTF-8 byte ($'caf\\xe9')",
        detail="exit 2; 'Error: --flag b'…\\xe9…' is not valid UTF-8 text' (was UnicodeEncodeError)",
    )


def test_non_ascii_arguments_are_recorded(fault_project: Path) -> None:
    result = run_cli("run", "--params", "step.tag=café-日本", cwd=fault_project)
    assert result.returncode == 0, result.stderr
    listed = run_cli("sessions", "list", cwd=fault_project)
    assert "café-日本" in listed.stdout.decode()


def test_key_that_cannot_be_written_back(fault_project: Path, fault_report) -> None:
    result = run_cli("run", "--params", "a[0]=1", cwd=fault_project)
    assert result.returncode == 2 and b"a=[1, 2]" in result.stderr, result.stderr
    assert_no_traceback(result.stderr)
    # a store written by an older proj-tui may hold such a key: one session never breaks a list
    from proj_tui.framework.store import SQLiteSessionStore

    with SQLiteSessionStore(fault_project / ".proj-tui" / "sessions.db") as store:
        sid = store.create_session({"runtime_params": {"a[0]": 1}})
        store.finish_session(sid, "succeeded")
    listed = run_cli("sessions", "list", cwd=fault_project)
    assert listed.returncode == 0, listed.stderr
    assert b'{"a[0]":1}' in listed.stdout
    fault_report(
        "broken inputs",
        "--params 'a[0]=1' (a key --params cannot write back); a stored session with such a key",
        detail="refused with exit 2 and a hint (set the list whole); `sessions list` shows the "
        "stored one as JSON instead of failing for the whole store",
    )


def test_yaml_alias_bomb(fresh_project: Path, fault_report) -> None:
    levels = ["a: &a [" + ",".join(['"lol"'] * 9) + "]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(levels) + "\n"
    assert len(bomb) < 450
    (fresh_project / "conf" / "base" / "parameters_bomb.yml").write_text(bomb)
    result = run_cli("run", cwd=fresh_project, timeout=30)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert "parameters_bomb.yml" in err and "alias" in err, err
    assert_no_traceback(result.stderr)
    fault_report(
        "broken inputs",
        f"a {len(bomb)}-byte YAML alias bomb (9 levels of 9 aliases: ~4·10^8 values) in conf/base",
        detail="exit 2 at once, naming the file and line ('aliases expand it to more than "
        "1,000,000 values'); was: the run grew past 1.2 GB",
    )


def test_non_finite_params_give_valid_json(fault_project: Path, fault_report) -> None:
    assert run_cli("run", "--params", "a=.nan,b=.inf,c=-.inf", cwd=fault_project).returncode == 0
    listed = json.loads(run_cli("sessions", "list", "--json", cwd=fault_project).stdout)
    sid = listed[0]["session_id"]
    for args in (("sessions", "list", "--json"), ("sessions", "show", sid, "--json")):
        out = run_cli(*args, cwd=fault_project).stdout.decode()
        assert "NaN" not in out and "Infinity" not in out, (args, out)
        json.loads(out)
    assert listed[0]["runtime_params"] == {"a": ".nan", "b": ".inf", "c": "-.inf"}
    fault_report(
        "broken inputs",
        "--params a=.nan,b=.inf,c=-.inf, then `sessions list/show --json`",
        detail="strict JSON (no NaN/Infinity tokens): written as '.nan', '.inf', '-.inf'",
    )
