"""Broken config, project files, settings and --params: one clear located error, exit 2."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from faults._project import assert_no_traceback, make_fault_project, parse_events, run_cli
from proj_tui.config import ParamsError, parse_params
from proj_tui.errors import ProjTuiError

_BAD_FILES: dict[str, tuple[str, str]] = {
    # id: (relative path, content)
    "parameters-yaml-syntax": ("conf/base/parameters.yml", "step:\n  lines: [1, 2\n"),
    "parameters-top-level-list": ("conf/base/parameters.yml", "- a\n- b\n"),
    "parameters-duplicate-key": (
        "conf/base/parameters.yml",
        "step: {lines: 1}\nstep: {lines: 2}\n",
    ),
    "parameters-bad-interpolation": ("conf/base/parameters.yml", "step: ${globals:missing.key}\n"),
    "parameters-python-object": (
        "conf/base/parameters.yml",
        "step: !!python/object/apply:os.system ['touch pwned']\n",
    ),
    "catalog-yaml-syntax": ("conf/base/catalog.yml", "a: {type: MemoryDataset\n"),
    "catalog-top-level-scalar": ("conf/base/catalog.yml", "just a string\n"),
    "credentials-syntax": ("conf/local/credentials.yml", "x: [\n"),
    "credentials-duplicate": ("conf/local/credentials.yml", "x: 1\nx: 2\n"),
    "globals-syntax": ("conf/base/globals.yml", "data_root: 'unterminated\n"),
    "globals-top-level-list": ("conf/base/globals.yml", "[1, 2]\n"),
    "logging-syntax": ("conf/base/logging.yml", "version: 1\n  bad: indent\n"),
    "json-syntax": ("conf/base/parameters_extra.json", '{"a": 1,}\n'),
    "json-top-level-list": ("conf/base/parameters_extra.json", "[1, 2]\n"),
    "json-duplicate-key": ("conf/base/parameters_extra.json", '{"a": 1, "a": 2}\n'),
    "duplicate-key-across-files": ("conf/base/parameters_more.yml", "step: {lines: 9}\n"),
    "pyproject-syntax": ("pyproject.toml", "[tool.proj_tui\npackage_name = 'x'\n"),
    "pyproject-missing-table": ("pyproject.toml", "[project]\nname = 'x'\n"),
    "pyproject-unknown-key": (
        "pyproject.toml",
        "[tool.proj_tui]\npackage_name = 'faultproj'\nproject_name = 'F'\nsoruce_dir = 'src'\n",
    ),
    "settings-syntax": ("src/faultproj/settings.py", "CONF_SOURCE = 'conf\n"),
    # issue 15 item 12: each used to end in a traceback, a wrong exit code or silence
    "settings-store-args": ("src/faultproj/settings.py", "SESSION_STORE_ARGS = {'bogus': 1}\n"),
    "settings-loader-args": ("src/faultproj/settings.py", "CONFIG_LOADER_ARGS = {'bogus': 1}\n"),
    "settings-store-class-function": (
        "src/faultproj/settings.py",
        "SESSION_STORE_CLASS = 'os.system'\n",
    ),
    "settings-store-class-not-a-store": (
        "src/faultproj/settings.py",
        "SESSION_STORE_CLASS = 'pathlib.Path'\n",
    ),
    "settings-exit-zero": ("src/faultproj/settings.py", "raise SystemExit(0)\n"),
    "settings-hook-names-nothing": ("src/faultproj/settings.py", "HOOKS = (object(),)\n"),
    "settings-hook-class": (
        "src/faultproj/settings.py",
        "from proj_tui.framework.hooks import hook_impl\n\n"
        "class Hooks:\n    @hook_impl\n    def after_context_created(self, context):\n"
        "        pass\n\nHOOKS = (Hooks,)\n",
    ),
    "json-5001-digit-integer": ("conf/base/parameters_extra.json", '{"a": ' + "9" * 5001 + "}\n"),
    "json-100k-nesting": ("conf/base/parameters_extra.json", "[" * 100_000 + "]" * 100_000),
    "settings-import-error": ("src/faultproj/settings.py", "import not_a_module_xyz\n"),
    "registry-cycle": (
        "src/faultproj/pipeline_registry.py",
        "from proj_tui.pipeline import Pipeline, node\n\n"
        "def f(x):\n    return x\n\n"
        "def register_pipelines():\n"
        "    return {'__default__': Pipeline([node(f, 'a', 'b', name='n1'), "
        "node(f, 'b', 'a', name='n2')])}\n",
    ),
}


@pytest.mark.parametrize("case", sorted(_BAD_FILES))
def test_broken_file(tmp_path: Path, fault_report, case: str) -> None:
    project = make_fault_project(tmp_path / "proj")
    relative, content = _BAD_FILES[case]
    (project / relative).write_text(content)
    result = run_cli("run", "--events", "json", cwd=project)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert_no_traceback(result.stderr)
    assert err.startswith("Error: "), err
    name = Path(relative).name
    named = name in err or (case == "registry-cycle" and "n1" in err and "n2" in err)
    assert named or (case == "pyproject-missing-table" and "No proj-tui project" in err), err
    events = parse_events(result.stdout)
    last = events[-1]  # `error` before the session exists; a failed session after
    assert last["event"] == "error" or (
        last["event"] == "session_finished" and last["status"] == "failed"
    ), last
    assert not (project / "pwned").exists()
    fault_report("broken inputs", f"{relative}: {case}", detail=f"exit 2; {err.strip()[:140]}")


def test_unknown_setting_warns_and_runs(tmp_path: Path) -> None:
    """Kedro ignores upper-case names it does not know; we warn (with a near miss) and run."""
    project = make_fault_project(tmp_path / "proj")
    (project / "src/faultproj/settings.py").write_text("CONF_SORCE = 'conf'\nMY_CONSTANT = 3\n")
    result = run_cli("run", "--events", "json", cwd=project)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert "Did you mean 'CONF_SOURCE'?" in err
    assert "'MY_CONSTANT'" in err


def test_store_with_a_non_numeric_schema_version(tmp_path: Path) -> None:
    import sqlite3

    project = make_fault_project(tmp_path / "proj")
    db = project / ".proj-tui" / "sessions.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("INSERT INTO meta VALUES ('schema_version', 'abc')")
        conn.commit()
    result = run_cli("run", "--events", "json", cwd=project)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert_no_traceback(result.stderr)
    assert str(db) in err and "'abc'" in err, err


def test_store_path_in_a_missing_folder_is_made_in_the_project(tmp_path: Path) -> None:
    project = make_fault_project(tmp_path / "proj")
    (project / "src/faultproj/settings.py").write_text(
        "SESSION_STORE_ARGS = {'path': 'history/deep/sessions.db'}\n"
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    result = run_cli("run", "--events", "json", "--project", str(project), cwd=outside)
    err = result.stderr.decode()
    assert result.returncode == 0, err
    assert (project / "history/deep/sessions.db").is_file()
    assert not (outside / "history").exists()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--env", "staging"), "staging"),
        (("--pipeline", "chian"), "chain"),
        (("--params", "=1"), "empty key"),
        (("--params", "a"), "'a'"),
        (("--params", "a=[1,"), "'[1,'"),
        (("--nodes", "nope"), "nope"),
    ],
)
def test_bad_command_line(
    fault_project: Path, fault_report, args: tuple[str, ...], needle: str
) -> None:
    result = run_cli("run", "--events", "json", *args, cwd=fault_project)
    err = result.stderr.decode()
    assert result.returncode == 2, err
    assert_no_traceback(result.stderr)
    assert needle in err, err
    fault_report("broken inputs", f"run {' '.join(args)}", detail=f"exit 2; {err.strip()[:140]}")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_parse_params_fuzz(text: str) -> None:
    """Any text: a dict or ParamsError (a ProjTuiError) — never another exception."""
    try:
        result = parse_params(text)
    except ParamsError as exc:
        assert str(exc)
        assert isinstance(exc, ProjTuiError)
    else:
        assert isinstance(result, dict)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="ab.=,[]{}'\":\\ \n1-!&$", max_size=40))
def test_parse_params_fuzz_structured(text: str) -> None:
    with contextlib.suppress(ParamsError):
        assert isinstance(parse_params(text), dict)


def test_parse_params_fuzz_recorded(fault_report) -> None:
    fault_report(
        "broken inputs",
        "--params fuzzed with hypothesis (parse_params in-process)",
        trials=800,
        detail="2 x 400 examples (any text; a params-shaped alphabet): a dict or ParamsError only",
    )
