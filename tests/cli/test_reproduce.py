"""``proj-tui sessions reproduce``: real git repositories, real runs of the demo, real child processes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from proj_tui.framework.store import SQLiteSessionStore

from helpers import cli

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")

REPORTING = Path("src") / "taxi_fares" / "pipelines" / "reporting" / "nodes.py"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def commit_all(repo: Path, message: str = "init") -> None:
    if not (repo / ".git").exists():
        git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def run(project: Path, *extra: str, env: dict[str, str] | None = None) -> str:
    done = cli("run", "--project", str(project), *extra, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        return store.list_sessions(limit=1)[0].session_id


def reproduce(
    project: Path, session_id: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return cli("sessions", "reproduce", session_id, "--project", str(project), env=env, timeout=300)


def output_digest(project: Path, session_id: str, name: str) -> str | None:
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        found = [
            d.digest for d in store.datasets(session_id) if d.name == name and d.role == "save"
        ]
    return found[0] if found else None


@needs_git
def test_reproduce_runs_the_recorded_code_after_the_tree_is_reset(demo: Path) -> None:
    commit_all(demo)
    nodes = demo / REPORTING
    text = nodes.read_text()
    nodes.write_text(
        text.replace('f"Best: **{best}**",', 'f"Winner: **{best}**", FOOTER,').replace(
            "logger = logging", "from .footer import FOOTER\n\nlogger = logging"
        )
    )
    (nodes.parent / "footer.py").write_text('FOOTER = "made on a dirty tree"\n')
    original = run(demo)
    comparison = (demo / "data" / "05_reporting" / "model_comparison.md").read_text()
    assert "Winner" in comparison and "made on a dirty tree" in comparison

    git(demo, "checkout", ".")
    git(demo, "clean", "-fdq", "src")
    done = reproduce(demo, original)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 outputs identical" in done.stdout

    with SQLiteSessionStore(demo / ".proj-tui" / "sessions.db", readonly=True) as store:
        newest = store.list_sessions(limit=1)[0]
        record = store.get_session(newest.session_id)
    assert newest.session_id != original and newest.parent_id == original
    assert record.extra["reproduced_from"]["session_id"] == original
    assert record.extra["reproduced_from"]["identical"] is True
    assert record.project_path == str(demo)
    # recorded as if it ran in the project, not in the temporary worktree that is gone
    assert "proj-tui-reproduce" not in record.cli["command"]
    assert not any("proj-tui-reproduce" in arg for arg in record.cli["argv"])
    shown = cli("sessions", "show", newest.session_id, "--project", str(demo))
    assert "proj-tui-reproduce" not in shown.stdout
    code_json = json.loads(
        cli("sessions", "show", original, "--project", str(demo), "--json").stdout
    )
    assert code_json["code"]["commit"] == git(demo, "rev-parse", "HEAD").strip()
    assert code_json["code"]["branch"] == "main" and code_json["code"]["dirty"] is True
    assert code_json["code"]["patch_files"] == [
        {"path": REPORTING.as_posix(), "added": 3, "removed": 1, "binary": False}
    ]
    assert [f["path"] for f in code_json["code"]["untracked"]] == [
        (REPORTING.parent / "footer.py").as_posix()
    ]
    shown = cli("sessions", "show", original, "--project", str(demo)).stdout
    head = git(demo, "rev-parse", "HEAD").strip()[:12]
    assert f"code       git {head} on main + uncommitted changes (a patch of 1 file(s), " in shown
    assert "and 1 untracked file(s) stored); exact: `proj-tui sessions reproduce`" in shown
    repro_json = json.loads(
        cli("sessions", "show", newest.session_id, "--project", str(demo), "--json").stdout
    )

    def unversioned(datasets: list[dict[str, str]]) -> dict[tuple[str, str], str]:
        return {
            (d["name"], d["role"]): d["path"].replace(d["version"], "V")
            if d["version"]
            else d["path"]
            for d in datasets
        }

    paths, repro_paths = unversioned(code_json["datasets"]), unversioned(repro_json["datasets"])
    assert repro_paths == paths and len(paths) > 8
    assert all(p.startswith(str(demo)) for p in paths.values())
    # the code as it is now writes another comparison: the reproduction really ran the old code
    now = run(demo)
    recorded = output_digest(demo, original, "model_comparison")
    assert output_digest(demo, now, "model_comparison") != recorded
    assert output_digest(demo, newest.session_id, "model_comparison") == recorded
    assert not Path(record.extra["reproduced_from"]["workspace"]).parent.exists()
    assert len(git(demo, "worktree", "list").splitlines()) == 1  # the temporary one is gone


@needs_git
def test_the_recorded_selection_env_and_params_are_what_runs_again(demo: Path) -> None:
    commit_all(demo)
    original = run(
        demo, "--pipeline", "data_processing", "--env", "prod", "--params", "cleaning.max_fare=90.5"
    )
    with SQLiteSessionStore(demo / ".proj-tui" / "sessions.db", readonly=True) as store:
        saved = {d.name for d in store.datasets(original) if d.role == "save"}
    done = reproduce(demo, original)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{len(saved)} of {len(saved)} outputs identical" in done.stdout
    with SQLiteSessionStore(demo / ".proj-tui" / "sessions.db", readonly=True) as store:
        new = store.get_session(store.list_sessions(limit=1)[0].session_id)
        ran = {n.name for n in store.nodes(new.session_id)}
        then = {n.name for n in store.nodes(original)}
    assert new.parent_id == original and ran == then
    assert (new.pipeline, new.env) == ("data_processing", "prod")
    assert new.runtime_params == {"cleaning": {"max_fare": 90.5}}


@needs_git
def test_a_non_deterministic_node_is_reported_as_differing(demo: Path) -> None:
    nodes = demo / REPORTING
    nodes.write_text(
        nodes.read_text().replace(
            'f"Best: **{best}**",', 'f"Best: **{best}**", str(__import__("time").time_ns()),'
        )
    )
    commit_all(demo)
    original = run(demo)
    done = reproduce(demo, original, env={"COLUMNS": "200"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "7 of 8 outputs identical; 1 differs" in done.stdout
    assert "model_comparison (compare_models): differs" in done.stdout
    assert "All 1 inputs are as they were" in done.stdout


@needs_git
def test_a_changed_input_is_reported_as_the_cause(demo: Path) -> None:
    commit_all(demo)
    original = run(demo)
    raw = demo / "data" / "01_raw" / "trips.csv"
    lines = raw.read_text().splitlines()
    lines = lines[:1] + lines[1:][::-1]  # the same trips in another order: other splits
    raw.write_text("\n".join(lines) + "\n")
    done = cli("sessions", "reproduce", original, "--project", str(demo), "--json", timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert not report["identical"]
    changed = [i for i in report["inputs"] if i["changed"]]
    assert [i["name"] for i in changed] == ["trips_raw"]
    assert changed[0]["now"] != changed[0]["then"]
    text = reproduce(demo, original)
    assert "Inputs that already differed from the original run:" in text.stdout
    assert "trips_raw" in text.stdout and "may come from these inputs" in text.stdout


@needs_git
def test_a_redacted_env_var_comes_from_this_environment_or_the_reproduction_refuses(
    demo: Path,
) -> None:
    commit_all(demo)
    secret = "tok-" + "9" * 20
    original = run(demo, "--env-var", "API_TOKEN", env={"API_TOKEN": secret})
    refused = _without("API_TOKEN", demo, original)
    assert refused.returncode == 2
    assert "API_TOKEN" in refused.stderr and "export API_TOKEN=" in refused.stderr
    done = reproduce(demo, original, env={"API_TOKEN": secret})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "API_TOKEN: taken from this environment" in done.stderr
    assert secret.encode() not in (demo / ".proj-tui" / "sessions.db").read_bytes()


def _without(name: str, project: Path, session_id: str) -> subprocess.CompletedProcess[str]:
    import os
    import sys

    env = {k: v for k, v in os.environ.items() if k != name}
    return subprocess.run(
        [sys.executable, "-m", "proj_tui", "sessions", "reproduce", session_id, "--project",
         str(project)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )  # fmt: skip


def test_bad_input_exits_2(demo: Path) -> None:
    original = run(demo)
    done = reproduce(demo, "2020-01-01T00.00.00.000Z")
    assert done.returncode == 2 and "No session" in done.stderr
    # no git: the tree fingerprint matches, so it reproduces; once the code changes it refuses
    same = reproduce(demo, original)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "8 of 8 outputs identical" in same.stdout
    nodes = demo / REPORTING
    nodes.write_text(nodes.read_text() + "\n# edited since\n")
    changed = reproduce(demo, original)
    assert changed.returncode == 2
    assert "not in git" in changed.stderr and "changed since the session ran" in changed.stderr


def test_outputs_outside_the_project_are_not_overwritten_unless_allowed(
    demo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "shared" / "zone_report.yml"
    catalog = demo / "conf" / "base" / "catalog.yml"
    catalog.write_text(
        catalog.read_text().replace(
            "filepath: ${globals:data_root}/05_reporting/zone_report.yml", f"filepath: {outside}"
        )
    )
    original = run(demo)
    assert outside.is_file()
    before = outside.stat().st_mtime_ns
    refused = reproduce(demo, original)
    assert refused.returncode == 2
    assert f"zone_report ({outside})" in refused.stderr and "--allow-outside" in refused.stderr
    assert outside.stat().st_mtime_ns == before
    allowed = cli(
        "sessions", "reproduce", original, "--project", str(demo), "--allow-outside", timeout=300
    )
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "8 of 8 outputs identical" in allowed.stdout


@needs_git
def test_a_project_in_a_subfolder_of_its_repository_reproduces(tmp_path: Path) -> None:
    from helpers import make_demo

    repo = tmp_path / "mono"
    project = make_demo(repo / "projects" / "taxi")
    (repo / "README.md").write_text("a monorepo\n")
    commit_all(repo)
    nodes = project / REPORTING
    nodes.write_text(nodes.read_text().replace('f"Best: **{best}**",', 'f"Pick: **{best}**",'))
    (project / "conf" / "base" / "extra.yml").write_text("unused: 1\n")  # untracked config
    original = run(project)
    with SQLiteSessionStore(project / ".proj-tui" / "sessions.db", readonly=True) as store:
        state = store.code_state(original)
    assert state is not None and state.subdir == "projects/taxi"
    assert [f.path for f in state.untracked] == ["projects/taxi/conf/base/extra.yml"]
    git(repo, "checkout", ".")
    git(repo, "clean", "-fdq", "projects/taxi/conf")
    done = reproduce(project, original)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 outputs identical" in done.stdout


def test_a_session_recorded_before_code_states_is_refused(demo: Path) -> None:
    with SQLiteSessionStore(demo / ".proj-tui" / "sessions.db") as store:
        old = store.create_session({"project_path": str(demo), "package_name": "taxi_fares"})
        store.finish_session(old, "succeeded")
        running = store.create_session({"project_path": str(demo), "package_name": "taxi_fares"})
    done = reproduce(demo, old)
    assert done.returncode == 2
    assert "before proj-tui kept code states" in done.stderr and "sessions rerun" in done.stderr
    done = reproduce(demo, running)
    assert done.returncode == 2 and "still running" in done.stderr
