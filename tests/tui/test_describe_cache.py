"""The kept description: shown at once when every file it came from is unchanged, and always
followed by a fresh one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.describe_cache import DescribeCache, project_stamps
from proj_tui.tui.messages import PipelinesDescribed
from proj_tui.tui.model import default_cli
from tui.pilot_helpers import settle

KEPT = {"project": {}, "pipelines": {"kept_only": {"nodes": [{"name": "old_node"}]}}}


def test_the_stamps_cover_code_settings_pyproject_and_conf(taxi: Path) -> None:
    stamps = project_stamps(taxi)
    assert stamps is not None
    names = {Path(p).relative_to(taxi).as_posix() for p in stamps}
    assert "pyproject.toml" in names
    assert any(n.endswith("pipeline_registry.py") for n in names)
    assert any(n.startswith("conf/base/") and n.endswith(".yml") for n in names)
    assert not any("__pycache__" in n for n in names)
    registry = next(taxi.glob("src/*/pipeline_registry.py"))
    registry.write_text(registry.read_text() + "\n# edited\n")
    assert project_stamps(taxi) != stamps
    assert project_stamps(taxi / "no-such-project") is None


def test_a_description_is_kept_for_the_files_it_came_from(taxi: Path, tmp_path: Path) -> None:
    cache = DescribeCache(taxi, default_cli(), tmp_path / "cache")
    stamps = project_stamps(taxi)
    assert cache.load(stamps) is None
    cache.save(stamps, KEPT)
    kept = cache.load(stamps)
    assert kept is not None and [n.name for n in kept.pipelines["kept_only"]] == ["old_node"]
    assert cache.load({**(stamps or {}), "new.py": [1, 1]}) is None
    assert DescribeCache(taxi, ["other", "cli"], tmp_path / "cache").load(stamps) is None
    cache.save(stamps, {**KEPT, "errors": [{"message": "broken"}]})
    assert cache.load(stamps) is None  # a description with errors is never shown from the cache


class _Recording(ProjTuiApp):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.described: list[list[str]] = []

    def on_pipelines_described(self, message: PipelinesDescribed) -> None:
        self.described.append(sorted(message.description.pipelines))


async def test_the_app_shows_the_kept_description_then_the_fresh_one(taxi: Path) -> None:
    DescribeCache(taxi, default_cli()).save(project_stamps(taxi), KEPT)
    app = _Recording(taxi)
    async with app.run_test() as pilot:
        await settle(pilot)
        assert app.described[0] == ["kept_only"]  # at once, before the child answered
        assert len(app.described) == 2 and "kept_only" not in app.described[1]
        assert app.state.description is not None
        assert sorted(app.state.description.pipelines) == app.described[1]
    again = _Recording(taxi)  # the fresh answer was kept: the next start shows it, only once
    async with again.run_test() as pilot:
        await settle(pilot)
        assert again.described == [app.described[1]]
