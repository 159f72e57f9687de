"""Presets on disk and the user's keymap config."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.framework.selection import RunSelection
from proj_tui.tui.app import ProjTuiApp
from proj_tui.tui.model import RunFilters
from proj_tui.tui.presets import Preset, PresetError, list_presets, load_preset, save_preset
from proj_tui.tui.screens.modals import ErrorModal
from proj_tui.tui.user_config import config_path, load_user_config
from tui.pilot_helpers import settle
from tui.recording import RecordingApp

SIZE = (120, 40)


def test_preset_round_trip_without_secret_values(tmp_path: Path) -> None:
    selection = RunSelection(
        tags=frozenset({"etl"}),
        from_inputs=frozenset({"raw_trips"}),
        to_outputs=frozenset({"report"}),
        load_versions={"trips": "v1"},
        only_missing_outputs=True,
        runner="thread",
    )
    preset = Preset(
        "fast",
        env="prod",
        params={"a.b": 1},
        selection=selection,
        env_vars={"API_TOKEN": "s3cret", "REGION": "eu"},
    )
    path = save_preset(tmp_path, preset)
    assert path == tmp_path / ".proj-tui" / "presets" / "fast.yml"
    assert "s3cret" not in path.read_text()
    assert "pipeline_names:\n- __default__\n" in path.read_text()
    loaded = load_preset(tmp_path, "fast")
    assert (loaded.env, loaded.params, loaded.selection) == ("prod", {"a.b": 1}, selection)
    assert loaded.pipeline == "__default__"
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


def write_preset(project: Path, name: str, text: str) -> Path:
    folder = project / ".proj-tui" / "presets"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yml"
    path.write_text(text)
    return path


def preset_notes(app: ProjTuiApp) -> list[str]:
    """What the app said about presets (kept: a toast may expire before a loaded test reads it)."""
    assert isinstance(app, RecordingApp)
    return [message for title, message in app.titled if title == "Preset"]


async def test_preset_round_trip_keeps_namespace_and_from_to_filters(taxi: Path) -> None:
    filters = RunFilters(
        tags=frozenset({"training"}),
        namespaces=frozenset({"model_a"}),
        from_nodes=frozenset({"model_a.split_data"}),
        to_nodes=frozenset({"model_a.evaluate_model"}),
    )
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.state.set_filters(filters)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"slice", "enter")
        await pilot.pause()
        saved_command = app.state.spec().command()
    text = (taxi / ".proj-tui" / "presets" / "slice.yml").read_text()
    assert "namespaces:\n- model_a\n" in text
    assert "from_nodes:\n- model_a.split_data\n" in text
    assert "to_nodes:\n- model_a.evaluate_model\n" in text

    fresh = RecordingApp(taxi)
    async with fresh.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert fresh.state.filters.is_empty()
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert fresh.state.filters == filters
        command = fresh.state.spec().command()
        assert command == saved_command
        for flag in (
            "--namespaces model_a",
            "--from-nodes model_a.split_data",
            "--to-nodes model_a.evaluate_model",
        ):
            assert flag in command
        assert not fresh.errors
        assert not any("unknown" in n for n in preset_notes(fresh))


async def test_old_preset_file_loads_and_stale_names_are_warned(taxi: Path) -> None:
    # written before presets held namespaces/from/to; 'old_step' has since been renamed away
    write_preset(
        taxi,
        "legacy",
        "env: null\npipeline: __default__\nparams:\n  reporting.top_zones: 4\n"
        "tags: [reporting]\nnodes: [zone_report, old_step]\nenv_vars: {REGION: eu}\n",
    )
    loaded = load_preset(taxi, "legacy")
    assert loaded.pipeline == "__default__"
    assert loaded.selection == RunSelection(
        tags=frozenset({"reporting"}), node_names=frozenset({"zone_report", "old_step"})
    )
    write_preset(taxi, "moved", "namespaces: [model_a, model_c]\nfrom_nodes: [model_z.split]\n")
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.apply_preset("legacy")
        await settle(pilot)
        assert app.state.filters == RunFilters(
            tags=frozenset({"reporting"}), node_names=frozenset({"zone_report", "old_step"})
        )
        assert app.state.overrides == {"reporting.top_zones": 4}
        assert app.state.env_vars == {"REGION": "eu"}
        assert "--nodes old_step,zone_report" in app.state.spec().command()
        note = preset_notes(app)[-1]
        assert "unknown nodes in __default__: old_step" in note
        assert "zone_report" not in note and "namespaces" not in note

        app.apply_preset("moved")
        await settle(pilot)
        assert app.state.filters == RunFilters(
            namespaces=frozenset({"model_a", "model_c"}),
            from_nodes=frozenset({"model_z.split"}),
        )
        note = preset_notes(app)[-1]
        assert "unknown namespaces in __default__: model_c" in note
        assert "unknown nodes in __default__: model_z.split" in note
        assert not app.errors


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("tags: 3\n", "tags", "a list of strings, not 3"),
        ("nodes: clean_trips\n", "nodes", "a list of strings, not 'clean_trips'"),
        ("namespaces: {model_a: 1}\n", "namespaces", "a list of strings"),
        ("from_nodes: [[a]]\n", "from_nodes", "a list of strings"),
        ("to_nodes: [yes]\n", "to_nodes", "quote words"),
        ("env: [prod]\n", "env", "a string, not ['prod']"),
        ("pipeline: {a: 1}\n", "pipeline", "a string"),
        ("params: [1]\n", "params", "a mapping of dotted keys to values"),
        ("env_vars: [REGION]\n", "env_vars", "a mapping of names to strings"),
        ("env_vars: {REGION: {a: 1}}\n", "env_vars", "a mapping of names to strings"),
    ],
)
def test_wrong_types_name_the_file_and_the_key(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = write_preset(tmp_path, "bad", text)
    with pytest.raises(PresetError) as caught:
        load_preset(tmp_path, "bad")
    message = str(caught.value)
    assert message.startswith(f"{path}: {key!r} must be ")
    assert expected in message


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    path = write_preset(tmp_path, "typo", "tags: [a]\nfrom-nodes: [split_data]\n")
    with pytest.raises(PresetError) as caught:
        load_preset(tmp_path, "typo")
    message = str(caught.value)
    assert message.startswith(f"{path}: unknown key 'from-nodes'. Did you mean 'from_nodes'")
    assert "A preset has: env, params, pipeline_names, tags, node_names, from_nodes" in message


async def test_preset_of_a_pipeline_gone_keeps_the_current_one_and_says_so(taxi: Path) -> None:
    write_preset(taxi, "gone", "pipeline: retired\ntags: [reporting]\n")
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.state.description is not None
        app.apply_preset("gone")
        await settle(pilot)
        assert app.state.pipeline == "__default__"
        assert app.state.filters == RunFilters(tags=frozenset({"reporting"}))
        assert "no pipeline 'retired' any more: kept __default__" in preset_notes(app)[-1]


async def test_wrong_type_in_app_is_an_error_not_a_crash(taxi: Path) -> None:
    path = write_preset(taxi, "bad", "tags: 3\nnamespaces: [model_a]\n")
    app = RecordingApp(taxi)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await pilot.pause()
        before = app.state.spec().command()
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ErrorModal)
        assert app.screen.message == f"{path}: 'tags' must be a list of strings, not 3."
        await pilot.press("escape")
        await pilot.pause()
        assert app.state.filters.is_empty()  # nothing half-applied
        assert app.state.spec().command() == before
        assert app.is_running


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
