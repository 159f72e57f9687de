"""What to watch and which saves matter: editor temp files, caches and the store are ignored."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from proj_tui.framework.native import static_conf_source
from proj_tui.framework.project import Project
from proj_tui.framework.watch import (
    Change,
    iter_changes,
    project_watch_paths,
    relevant_change,
)

from helpers import make_demo


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("conf/base/parameters.yml", "config"),
        ("conf/local/catalog.yaml", "config"),
        ("conf/base/parameters/model.json", "config"),
        ("src/pkg/pipelines/x/nodes.py", "code"),
        ("src/pkg/settings.py", "project"),
        ("pyproject.toml", "project"),
        # editor droppings and atomic-save temps
        ("conf/base/.parameters.yml.swp", None),
        ("conf/base/parameters.yml~", None),
        ("conf/base/#parameters.yml#", None),
        ("conf/base/.#parameters.yml", None),
        ("conf/base/parameters.yml.tmp.12345", None),
        ("conf/base/parameters.yml.tmp", None),
        ("conf/base/4913", None),
        ("conf/base/parameters.yml___jb_tmp___", None),
        ("src/pkg/nodes.py.tmp.3333", None),
        ("src/pkg/.nodes.py.swx", None),
        # caches, bytecode and the session store
        ("src/pkg/__pycache__/nodes.cpython-311.pyc", None),
        ("src/pkg/nodes.pyc", None),
        (".proj-tui/sessions.db", None),
        (".proj-tui/sessions.db-wal", None),
        (".git/index", None),
        ("src/pkg/.mypy_cache/x.json", None),
        ("data/01_raw/trips.csv", None),
        ("README.md", None),
    ],
)
def test_relevant_change(path: str, kind: str | None) -> None:
    assert relevant_change(Path("/p") / path) == kind


def test_config_files_count_only_under_the_conf_source() -> None:
    assert relevant_change("/p/conf/base/catalog.yml", "/p/conf") == "config"
    assert relevant_change("/p/src/pkg/data.json", "/p/conf") is None
    assert relevant_change("/p/src/pkg/data.json") == "config"


def test_a_project_under_a_hidden_folder_is_watched() -> None:
    """Only folders below the conf source hide a file, as for the loader (issue 18, item 1)."""
    conf = "/home/u/.local/share/proj-tui/demo/conf"
    assert relevant_change(f"{conf}/base/parameters.yml", conf) == "config"
    assert relevant_change(f"{conf}/base/.hidden/parameters.yml", conf) is None
    assert relevant_change("/x/.hidden/demo/conf/prod/catalog.yml", "/x/.hidden/demo/conf") == (
        "config"
    )


def test_watch_paths_of_the_demo(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    paths = Project.load(project).watch_paths()  # settings imported
    assert paths == [
        project / "conf",
        project / "src" / "taxi_fares",
        project / "pyproject.toml",
    ]
    static, conf = project_watch_paths(project)  # settings read, not imported
    assert static == paths and conf == project / "conf"


def test_watch_paths_follow_conf_source_and_settings(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    (project / "conf").rename(project / "config")
    settings = project / "src" / "taxi_fares" / "settings.py"
    settings.write_text(settings.read_text().replace('"conf"', '"config"'))
    for handle in (Project.load(project), Project.read(project)):
        assert handle.watch_paths()[0] == project / "config"
    other = tmp_path / "other-conf"
    other.mkdir()
    paths, conf = project_watch_paths(project, other)
    assert conf == other and paths[0] == other


def test_conf_source_is_read_without_importing_settings(tmp_path: Path) -> None:
    settings = tmp_path / "settings.py"
    settings.write_text("import sys\nsys.exit('imported!')\nCONF_SOURCE = 'config'\n")
    assert static_conf_source(settings) == "config"
    settings.write_text("CONF_SOURCE: str = 'elsewhere'\n")
    assert static_conf_source(settings) == "elsewhere"
    settings.write_text("CONF_SOURCE = compute()\n")
    assert static_conf_source(settings) == "conf"
    assert static_conf_source(tmp_path / "missing.py") == "conf"


def test_importing_watch_does_not_load_watchfiles() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, proj_tui.framework.watch; print('watchfiles' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_iter_changes_yields_one_batch_per_save_and_skips_temp_files(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    paths, conf = project_watch_paths(project)
    ready = threading.Event()
    stop = threading.Event()
    batches: list[list[Change]] = []
    got = threading.Event()

    def consume() -> None:
        for batch in iter_changes(paths, stop_event=stop, conf_source=conf, on_ready=ready.set):
            batches.append(batch)
            got.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    assert ready.wait(10), "the watcher never became ready"
    params = project / "conf" / "base" / "parameters.yml"
    # an atomic save: write a temp file, then rename it over the real one
    temp = params.with_name("parameters.yml.tmp.4242")
    temp.write_text(params.read_text().replace("max_fare: 250.0", "max_fare: 200.0"))
    temp.replace(params)
    (project / "conf" / "base" / ".parameters.yml.swp").write_text("x")
    (project / "src" / "taxi_fares" / "__pycache__").mkdir(exist_ok=True)
    (project / "src" / "taxi_fares" / "__pycache__" / "x.pyc").write_bytes(b"x")
    assert got.wait(10), "no change reported"
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    kinds = [change.kind for batch in batches for change in batch]
    assert set(kinds) == {"config"}
    changed = {p for batch in batches for change in batch for p in change.paths}
    assert changed == {params}


def test_iter_changes_groups_kinds_in_order(tmp_path: Path) -> None:
    project = make_demo(tmp_path / "demo")
    paths, conf = project_watch_paths(project)
    ready, stop = threading.Event(), threading.Event()
    batches: list[list[Change]] = []

    def consume() -> None:
        for batch in iter_changes(
            paths, debounce_ms=300, stop_event=stop, conf_source=conf, on_ready=ready.set
        ):
            batches.append(batch)
            if {c.kind for b in batches for c in b} >= {"code", "config"}:
                stop.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    assert ready.wait(10)
    (project / "conf" / "base" / "globals.yml").write_text(
        "data_root: data\nreport_currency: GBP\n"
    )
    nodes = project / "src" / "taxi_fares" / "pipelines" / "_util.py"
    nodes.write_text(nodes.read_text() + "\n# touched\n")
    thread.join(10)
    stop.set()
    assert not thread.is_alive()
    first = batches[0]
    assert [c.kind for c in first] == ["code", "config"]  # one debounced batch, fixed order
