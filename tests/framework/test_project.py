"""The project handle: one place from settings to config loader, store, envs, pipelines and watch paths.

Real projects under tmp_path, real sessions and a real ``proj-tui run`` child for ``--conf-source``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from proj_tui.framework.project import Project
from proj_tui.framework.selection import UnknownPipelineError
from proj_tui.framework.session import Session
from proj_tui.framework.settings import SettingsError
from proj_tui.framework.store import SQLiteSessionStore, StoreError

from helpers import cli


def _tiny(root: Path, package: str, settings: str = "") -> Path:
    """A two-node project: ``double`` reads ``params:factor`` and writes a JSON file."""
    pkg = root / "src" / package
    pkg.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[tool.proj_tui]\npackage_name = "{package}"\nproject_name = "Tiny"\n'
    )
    (pkg / "__init__.py").write_text("")
    (pkg / "settings.py").write_text(settings)
    (pkg / "pipeline_registry.py").write_text(
        "from proj_tui.pipeline import Pipeline, node\n\n\n"
        "def start():\n    return 1\n\n\n"
        "def double(x, factor):\n    return {'value': x * factor}\n\n\n"
        "def register_pipelines():\n"
        "    pipe = Pipeline([\n"
        "        node(start, None, 'one', name='start'),\n"
        "        node(double, ['one', 'params:factor'], 'out', name='double'),\n"
        "    ])\n"
        "    return {'__default__': pipe}\n"
    )
    for conf in ("conf", "other-conf"):
        base = root / conf / "base"
        base.mkdir(parents=True)
        factor = 2 if conf == "conf" else 7
        (base / "parameters.yml").write_text(f"factor: {factor}\n")
        (base / "catalog.yml").write_text(
            "out:\n  type: json.JSONDataset\n  filepath: data/out.json\n"
        )
    return root


def test_config_loader_follows_settings(tmp_path: Path) -> None:
    root = _tiny(
        tmp_path / "p",
        "tiny_settings",
        'CONF_SOURCE = "other-conf"\nCONFIG_LOADER_ARGS = {"default_run_env": "dev"}\n',
    )
    (root / "other-conf" / "dev").mkdir()
    (root / "other-conf" / "dev" / "parameters.yml").write_text("factor: 9\n")
    project = Project.load(root)
    assert project.kind == "native"
    assert project.conf_source == root / "other-conf"
    loader = project.config_loader()
    assert loader.env == "dev" and loader["parameters"] == {"factor": 9}
    assert project.config_loader("base", {"factor": 3})["parameters"] == {"factor": 3}
    assert project.default_env == "dev"
    assert project.envs() == ["dev"]


def test_envs_list_folders_and_the_default(tmp_path: Path) -> None:
    root = _tiny(tmp_path / "p", "tiny_envs")
    (root / "conf" / "prod").mkdir()
    (root / "conf" / ".hidden").mkdir()
    project = Project.load(root)
    assert project.envs() == ["local", "prod"]  # local has no folder but is the default


def test_an_explicit_conf_source_wins(tmp_path: Path) -> None:
    root = _tiny(tmp_path / "p", "tiny_override")
    project = Project.load(root, conf_source=root / "other-conf")
    assert project.conf_source_overridden
    assert project.config_loader()["parameters"] == {"factor": 7}
    assert project.watch_paths()[0] == root / "other-conf"


def test_read_never_imports_settings_until_asked(tmp_path: Path) -> None:
    root = _tiny(tmp_path / "p", "tiny_read", 'CONF_SOURCE = "other-conf"\nraise SystemExit(3)\n')
    project = Project.read(root)
    assert "tiny_read.settings" not in sys.modules
    assert project.watch_paths()[0] == root / "other-conf"  # read statically
    with pytest.raises(SettingsError, match=r"sys\.exit\(3\)"):  # not a silent exit
        project.settings  # noqa: B018 - the import is the point


def test_unknown_pipeline_names_the_known_ones(tmp_path: Path) -> None:
    project = Project.load(_tiny(tmp_path / "p", "tiny_pipes"))
    assert [n.name for n in project.pipeline().nodes] == ["start", "double"]
    with pytest.raises(UnknownPipelineError, match="Did you mean '__default__'"):
        project.pipeline("__defualt__")


def test_store_readers_and_the_recording_store(tmp_path: Path) -> None:
    root = _tiny(
        tmp_path / "p",
        "tiny_store",
        'SESSION_STORE_CLASS = "tiny_store.stores.CountingStore"\n',
    )
    (root / "src" / "tiny_store" / "stores.py").write_text(
        "from proj_tui.framework.store import SQLiteSessionStore\n\n\n"
        "class CountingStore(SQLiteSessionStore):\n    created = 0\n\n"
        "    def create_session(self, record, **kwargs):\n"
        "        type(self).created += 1\n"
        "        return super().create_session(record, **kwargs)\n"
    )
    project = Project.read(root)
    assert not project.has_store()
    with pytest.raises(StoreError, match=r"No sessions recorded yet.*Run 'proj-tui run' first"):
        project.open_store(readonly=True)
    assert not project.store_path.exists()  # a reader never creates the file
    with Session.create(project_path=root) as session:
        session.run()
    assert type(session.store).__name__ == "CountingStore" and session.store.created == 1
    settings = root / "src" / "tiny_store" / "settings.py"
    settings.write_text("this is not python\n")  # readers never import settings.py
    reader = Project.read(root).open_store(readonly=True)
    try:
        assert reader.readonly
        [summary] = reader.list_sessions()
        assert summary.session_id == session.session_id
    finally:
        reader.close()
    editor = Project.read(root).open_store()
    try:
        assert type(editor) is SQLiteSessionStore and not editor.readonly
        editor.set_note(session.session_id, "kept")
    finally:
        editor.close()


def test_a_session_without_a_local_folder_runs_on_base(tmp_path: Path) -> None:
    """The default env may be absent (docs/architecture.md); it used to fail as 'asked for'."""
    root = _tiny(tmp_path / "p", "tiny_nolocal")
    with Session.create(project_path=root) as session:
        session.run()
    assert session.env == "local" and session.status == "succeeded"
    assert json.loads((root / "data" / "out.json").read_text()) == {"value": 2}


def test_session_create_with_conf_source_reads_and_records_it(tmp_path: Path) -> None:
    root = _tiny(tmp_path / "p", "tiny_session_conf")
    with Session.create(project_path=root, conf_source=root / "other-conf") as session:
        session.run()
    assert session.conf_source == root / "other-conf"
    assert json.loads((root / "data" / "out.json").read_text()) == {"value": 7}
    record = session.store.get_session(session.session_id)
    assert record.extra["conf_source"] == str(root / "other-conf")


def test_run_conf_source_flag_and_rerun(tmp_path: Path) -> None:
    """No local folder: the rerun names its recorded env ('--env local'), which may be absent."""
    root = _tiny(tmp_path / "p", "tiny_cli_conf")
    done = cli("run", "--conf-source", "other-conf", cwd=root)
    assert done.returncode == 0, done.stderr
    assert json.loads((root / "data" / "out.json").read_text()) == {"value": 7}
    shown = cli("sessions", "show", "latest", "--json", cwd=root)
    record = json.loads(shown.stdout)
    assert record["extra"]["conf_source"] == str(root / "other-conf")
    (root / "data" / "out.json").unlink()
    again = cli("sessions", "rerun", "latest", cwd=root)
    assert again.returncode == 0, again.stderr
    assert json.loads((root / "data" / "out.json").read_text()) == {"value": 7}
