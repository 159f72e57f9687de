"""Themes as YAML files: the packaged ``proj_tui/themes/*.yaml`` plus the user's own.

Each file is one Textual ``Theme`` plus proj-tui's ``status-*`` variables (see themes/README.md).
Files are validated before registration so one bad file is reported (naming the file and the
problem) and skipped instead of stopping the app; a user file may replace a packaged theme of
the same name.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.style import Style
from textual.color import Color, ColorParseError
from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

    from proj_tui.tui.file_cache import FileCache

DEFAULT_THEME = "harbor-night"
PACKAGED_DIR = Path(__file__).resolve().parent.parent / "themes"

#: Our variables, and the Textual theme colour each falls back to when a theme omits it (the
#: built-in Textual themes know nothing of them).
STATUS_FALLBACKS: dict[str, str] = {
    "status-running": "accent",
    "status-succeeded": "success",
    "status-failed": "error",
    "status-cancelled": "warning",
    "status-crashed": "error",
}

_COLOUR_FIELDS = (
    "primary",
    "secondary",
    "accent",
    "warning",
    "error",
    "success",
    "foreground",
    "background",
    "surface",
    "panel",
    "boost",
)
_OTHER_FIELDS = {"name", "dark", "variables", "luminosity_spread", "text_alpha"}


class ThemeFileError(ValueError):
    """A theme file that cannot be used; the message names the file and the problem."""


@dataclass
class ThemeLoad:
    """What loading found: usable themes (by name, later files win) and the problems."""

    themes: dict[str, Theme] = field(default_factory=dict)
    sources: dict[str, Path] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def user_themes_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "proj-tui" / "themes"


def theme_dirs() -> list[Path]:
    """Packaged first, then the user's, so a user file can replace a packaged theme."""
    return [PACKAGED_DIR, user_themes_dir()]


def parse_theme(path: Path, cache: FileCache | None = None) -> Theme:
    """Read and validate one theme file; raises :class:`ThemeFileError` saying what is wrong.

    With ``cache``, an unchanged file that passed every check before comes from it: no YAML
    parser imported at start-up, and its colours are not generated again to see they draw.
    """
    if cache is not None:
        hit, data = cache.get(path)
        if hit:
            return theme_from_mapping(data, path, drawable=True)
    data = _read_yaml(path)
    theme = theme_from_mapping(data, path)
    if cache is not None:
        cache.put(path, data)
    return theme


def _read_yaml(path: Path) -> Any:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~15x faster, at start-up
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # a safe loader
    except (OSError, UnicodeDecodeError) as exc:
        raise ThemeFileError(f"{path}: cannot read the file ({exc}).") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ThemeFileError(f"{path}:{where} invalid YAML ({exc}).") from exc
    return data


def theme_from_mapping(data: Any, path: Path, *, drawable: bool = False) -> Theme:
    """A ``Theme`` from a file's parsed content, checking every field.

    ``drawable``: the content is known to draw (it passed :func:`theme_problem` before, with
    this Textual), so that costly check is skipped.
    """
    if not isinstance(data, dict):
        raise ThemeFileError(f"{path}: a theme file must be a mapping of fields (name, dark, …).")
    for key in ("name", "dark", "primary"):
        if key not in data:
            raise ThemeFileError(f"{path}: the required field {key!r} is missing.")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError(f"{path}: 'name' must be a non-empty string.")
    if not isinstance(data["dark"], bool):
        raise ThemeFileError(f"{path}: 'dark' must be true or false.")
    unknown = sorted(set(data) - set(_COLOUR_FIELDS) - _OTHER_FIELDS)
    if unknown:
        from proj_tui.errors import did_you_mean

        first = unknown[0]
        hint = did_you_mean(first, [*_COLOUR_FIELDS, *_OTHER_FIELDS])
        raise ThemeFileError(f"{path}: unknown field {first!r}.{hint}")
    kwargs: dict[str, Any] = {"name": name.strip(), "dark": data["dark"]}
    for key in _COLOUR_FIELDS:
        value = data.get(key)
        if value is None:
            continue
        kwargs[key] = _colour(path, key, value)
    for key in ("luminosity_spread", "text_alpha"):
        if key in data:
            value = data[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ThemeFileError(f"{path}: {key!r} must be a number.")
            kwargs[key] = float(value)
    variables = data.get("variables") or {}
    if not isinstance(variables, dict):
        raise ThemeFileError(f"{path}: 'variables' must be a mapping of name: value strings.")
    checked: dict[str, str] = {}
    for key, value in variables.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ThemeFileError(
                f"{path}: variable {key!r} must map a string to a string (got {value!r})."
            )
        if key.startswith("status-"):
            _colour(path, f"variables.{key}", value)
        checked[key] = value
    kwargs["variables"] = checked
    theme = Theme(**kwargs)
    problem = None if drawable else theme_problem(theme)
    if problem is not None:
        raise ThemeFileError(f"{path}: {problem}")
    return theme


def theme_problem(theme: Theme) -> str | None:
    """Why ``theme`` cannot draw the app, or None: its colours are generated as the app does.

    Values a file may hold (``luminosity_spread: 1e308``) fail only there, when every screen
    is drawn; found here, such a theme is skipped or, when remembered, replaced by the default.
    """
    try:
        colours = {**status_defaults(theme), **theme.to_color_system().generate()}
        for key in STATUS_FALLBACKS:
            Style(color=rich_colour(colours.get(key, "")) or None)
    except Exception as exc:  # Textual and Rich raise ValueError, ColorParseError, ...
        return f"its colours cannot be drawn ({type(exc).__name__}: {exc})."
    return None


def _colour(path: Path, key: str, value: object) -> str:
    if not isinstance(value, str):
        raise ThemeFileError(f'{path}: {key!r} must be a colour string such as "#4fb3bf".')
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ThemeFileError(f"{path}: {key!r} is not a colour ({value!r}: {exc}).") from exc
    return value


def load_themes(dirs: Iterable[Path] | None = None) -> ThemeLoad:
    """Every ``*.yaml`` theme in ``dirs`` (default :func:`theme_dirs`), in name order per dir."""
    import textual

    from proj_tui.tui.file_cache import FileCache

    found = ThemeLoad()
    # only files that passed every check are cached; what draws could change with Textual
    cache = FileCache("themes", depends_on=(Path(textual.__file__),))
    for directory in theme_dirs() if dirs is None else dirs:
        if not directory.is_dir():
            continue
        for path in sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")]):
            try:
                theme = parse_theme(path, cache)
            except ThemeFileError as exc:
                found.problems.append(f"{exc} The theme was skipped.")
                continue
            found.themes[theme.name] = theme
            found.sources[theme.name] = path
    cache.save()
    return found


def register_themes(app: App[Any], dirs: Iterable[Path] | None = None) -> ThemeLoad:
    """Register every valid theme file with ``app``; the caller reports ``problems``."""
    found = load_themes(dirs)
    for theme in found.themes.values():
        app.register_theme(theme)
    return found


def status_defaults(theme: Theme) -> dict[str, str]:
    """``status-*`` fallbacks from a theme's own colours (for themes that do not set them)."""
    colours = theme.to_color_system().generate()
    return {var: colours[base] for var, base in STATUS_FALLBACKS.items() if base in colours}


def rich_colour(value: str) -> str:
    """A Textual colour as one Rich can draw; "" when it is not a plain colour.

    Textual's ANSI themes say ``ansi_green``, which Rich's ``Style``/``Text`` refuse
    (``ColorParseError``); Rich calls it ``color(2)``.
    """
    if not value:
        return ""
    try:
        return Color.parse(value).rich_color.name
    except ColorParseError:  # e.g. "ansi_default 50%": no plain colour, draw the default
        return ""


def theme_colour(app: App[Any], name: str) -> str:
    """The theme variable ``name`` as a colour Rich can draw ("" when unset).

    Code that colours a Rich ``Text`` or ``Segment`` from the theme goes through here (a test
    checks nothing else reads ``app.theme_variables``); Textual markup (``[$error]``) needs not.
    """
    return rich_colour(app.theme_variables.get(name, ""))


def next_theme(names: list[str], current: str) -> str:
    """The theme after ``current`` in ``names`` (wrapping), for the cycle key."""
    if not names:
        return current
    if current not in names:
        return names[0]
    return names[(names.index(current) + 1) % len(names)]


__all__ = [
    "DEFAULT_THEME",
    "PACKAGED_DIR",
    "STATUS_FALLBACKS",
    "ThemeFileError",
    "ThemeLoad",
    "choose_theme",
    "install_themes",
    "load_themes",
    "next_theme",
    "parse_theme",
    "register_themes",
    "rich_colour",
    "status_defaults",
    "theme_colour",
    "theme_dirs",
    "theme_names",
    "theme_problem",
    "user_themes_dir",
]


def install_themes(app: App[Any], wanted: str | None) -> list[str]:
    """Register the theme files and switch ``app`` to ``wanted`` (default harbor-night).

    Returns the problems to show: invalid files, or a remembered theme that no longer exists.
    """
    name, problems = choose_theme(app, wanted)
    app.theme = name
    return problems


def choose_theme(app: App[Any], wanted: str | None) -> tuple[str, list[str]]:
    """Register the theme files; the theme to use for ``wanted``, and the problems to show.

    For an app that switches before its stylesheet is parsed (the main app, in ``on_load``).
    """
    found = register_themes(app)
    problems = list(found.problems)
    name = wanted or DEFAULT_THEME
    available = app.available_themes
    problem = theme_problem(available[name]) if name in available else None
    if problem is not None:
        fallback = DEFAULT_THEME if DEFAULT_THEME in available else "textual-dark"
        problems.append(f"Theme {name!r} cannot be used: {problem} Using {fallback!r}.")
        name = fallback
    elif name not in available:
        from proj_tui.errors import did_you_mean

        fallback = DEFAULT_THEME if DEFAULT_THEME in available else "textual-dark"
        problems.append(
            f"Theme {name!r} is not available.{did_you_mean(name, available)} "
            f"Using {fallback!r}; ctrl+p → 'Theme' lists the themes."
        )
        name = fallback
    return name, problems


def theme_names(app: App[Any]) -> list[str]:
    """Ours first (the files), then Textual's built-ins, each group sorted."""
    from textual.theme import BUILTIN_THEMES

    names = sorted(app.available_themes)
    return [n for n in names if n not in BUILTIN_THEMES] + [n for n in names if n in BUILTIN_THEMES]
