"""Presets on disk and the user's keymap config."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.tui.presets import Preset, PresetError, list_presets, load_preset, save_preset
from proj_tui.tui.user_config import config_path, load_user_config


def test_preset_round_trip_without_secret_values(tmp_path: Path) -> None:
    preset = Preset(
        "fast",
        env="prod",
        pipeline="__default__",
        params={"a.b": 1},
        tags=["etl"],
        env_vars={"API_TOKEN": "s3cret", "REGION": "eu"},
    )
    path = save_preset(tmp_path, preset)
    assert path == tmp_path / ".proj-tui" / "presets" / "fast.yml"
    assert "s3cret" not in path.read_text()
    loaded = load_preset(tmp_path, "fast")
    assert (loaded.env, loaded.params, loaded.tags) == ("prod", {"a.b": 1}, ["etl"])
    assert loaded.env_vars == {"API_TOKEN": "", "REGION": "eu"}
    assert list_presets(tmp_path) == ["fast"]


def test_bad_presets_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="use letters"):
        save_preset(tmp_path, Preset("../evil"))
    folder = tmp_path / ".proj-tui" / "presets"
    folder.mkdir(parents=True)
    (folder / "broken.yml").write_text("params: [1,\n")
    with pytest.raises(PresetError, match=r"broken\.yml:\d+:\d+"):
        load_preset(tmp_path, "broken")


def test_config_path_honours_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert config_path() == tmp_path / "proj-tui" / "config.toml"


def test_keymap_is_read_and_problems_reported(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\n"app.run" = "f5"\n"app.help" = ["f1", "question_mark"]\n"x" = 3\n')
    config = load_user_config(path)
    assert config.keymap == {"app.run": "f5", "app.help": "f1,question_mark"}
    assert len(config.problems) == 1 and "'x'" in config.problems[0]
    path.write_text("[keymap\n")
    assert "invalid TOML" in load_user_config(path).problems[0]
