"""The user's config.toml: the schema, clear errors (file, line, key) and the theme write-back."""

from __future__ import annotations

from pathlib import Path

import pytest

from proj_tui.tui.user_config import ConfigWriteError, load_user_config, save_theme


def test_defaults_without_a_file(tmp_path: Path) -> None:
    config = load_user_config(tmp_path / "missing.toml")
    assert (config.theme, config.log_max_lines, config.confirm_quit, config.notify_bell) == (
        None,
        20_000,
        True,
        True,
    )
    assert config.problems == []


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        'theme = "ember"\nlog_max_lines = 500\nconfirm_quit = false\nnotify_bell = false\n'
        '[keymap]\n"app.run" = "f5"\n'
    )
    config = load_user_config(path)
    assert config.problems == []
    assert (config.theme, config.log_max_lines, config.confirm_quit, config.notify_bell) == (
        "ember",
        500,
        False,
        False,
    )
    assert config.keymap == {"app.run": "f5"}


def test_problems_name_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '# mine\nthem = "ember"\nlog_max_lines = "lots"\nconfirm_quit = 1\n'
        'notify_bell = true\nlog_max_lines_x = 3\n[keymap]\n"app.run" = 5\n'
    )
    config = load_user_config(path)
    text = "\n".join(config.problems)
    assert f"{path}:2: unknown setting 'them'" in text and "Did you mean 'theme'?" in text
    assert f"{path}:3: 'log_max_lines' must be an integer" in text
    assert f"{path}:4: 'confirm_quit' must be true or false" in text
    assert f"{path}:8: keymap entry 'app.run'" in text
    # The broken values keep their defaults, the good one is used.
    assert (config.log_max_lines, config.confirm_quit, config.notify_bell) == (20_000, True, True)


def test_bool_is_not_an_int_and_ranges_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("log_max_lines = true\n")
    assert "must be an integer" in load_user_config(path).problems[0]
    path.write_text("log_max_lines = 5\n")
    assert "between 100 and" in load_user_config(path).problems[0]


def test_broken_toml_uses_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('theme = "ember"\n[keymap\n')
    config = load_user_config(path)
    assert not config.valid and config.theme is None
    assert "invalid TOML" in config.problems[0] and "line 2" in config.problems[0]


def test_save_theme_creates_the_file(tmp_path: Path) -> None:
    path = tmp_path / "proj-tui" / "config.toml"
    save_theme("paper-light", path)
    assert load_user_config(path).theme == "paper-light"


def test_save_theme_rewrites_only_the_theme_line(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    original = (
        "# my settings\n"
        'theme = "ember"   # the warm one\n'
        "log_max_lines = 500\n"
        "\n[keymap]\n"
        '"app.run" = "f5"  # muscle memory\n'
        'theme = "not-the-top-level-one"\n'
    )
    path.write_text(original)
    save_theme("high-contrast", path)
    assert path.read_text() == original.replace('"ember"', '"high-contrast"', 1)


def test_save_theme_inserts_before_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('# keys\n[keymap]\n"app.run" = "f5"\n')
    save_theme("ember", path)
    assert path.read_text() == '# keys\ntheme = "ember"\n[keymap]\n"app.run" = "f5"\n'
    config = load_user_config(path)
    assert (config.theme, config.keymap) == ("ember", {"app.run": "f5"})


def test_save_theme_leaves_a_broken_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("log_max_lines = \n")
    with pytest.raises(ConfigWriteError, match="not valid TOML"):
        save_theme("ember", path)
    assert path.read_text() == "log_max_lines = \n"
