"""Secrets never reach the store: env var names, credential values in log and error text."""

from __future__ import annotations

import itertools
from fnmatch import fnmatchcase

import pytest

from proj_tui.framework.redact import REDACTED, Redactor, glob_match, is_secret_name, redact_env


@pytest.mark.parametrize(
    "name",
    [
        "API_TOKEN",
        "github_token",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "MYSQL_PASSWD",
        "OPENAI_API_KEY",
        "SSH_PRIVATE_KEY_PATH",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HTTP_AUTHORIZATION",
        "BASIC_AUTH",
        "SESSION_COOKIE",
        "APP_SESSION_ID_COOKIE",
        "Client_Secret",
    ],
)
def test_secret_looking_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize(
    "name", ["PROJ_TUI_ENV", "HOME", "PATH", "PWD", "SESSION_ID", "LANG", "CUDA_VISIBLE_DEVICES"]
)
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


def test_redact_env_selects_by_prefix_and_allowlist_and_hides_secrets() -> None:
    env = {
        "PROJ_TUI_ENV": "prod",
        "PROJ_TUI_API_TOKEN": "tok-123",
        "AWS_REGION": "eu-west-1",
        "AWS_SECRET_ACCESS_KEY": "abcd",
        "CUDA_VISIBLE_DEVICES": "0",
        "HOME": "/root",
        "UNRELATED_PASSWORD": "x",
    }
    assert redact_env(env, "PROJ_TUI_", ["AWS_*", "CUDA_VISIBLE_DEVICES"]) == {
        "AWS_REGION": "eu-west-1",
        "AWS_SECRET_ACCESS_KEY": REDACTED,
        "CUDA_VISIBLE_DEVICES": "0",
        "PROJ_TUI_API_TOKEN": REDACTED,
        "PROJ_TUI_ENV": "prod",
    }
    assert list(redact_env(env, "PROJ_TUI_", ["AWS_*"])) == sorted(
        ["AWS_REGION", "AWS_SECRET_ACCESS_KEY", "PROJ_TUI_API_TOKEN", "PROJ_TUI_ENV"]
    )


def test_redact_env_without_prefix_or_allowlist_selects_nothing() -> None:
    assert redact_env({"A": "1"}, None, []) == {}
    assert redact_env({"A": "1"}, "", []) == {}
    assert redact_env({"A": "1", "B_KEY": "2"}, None, ["A", "B_KEY"]) == {
        "A": "1",
        "B_KEY": REDACTED,
    }


def test_scrub_replaces_every_known_secret() -> None:
    redactor = Redactor(["hunter22", "s3cr3t-token", "abc", ""])
    text = "login hunter22 failed; token=s3cr3t-token; again hunter22; abc stays"
    assert redactor.scrub(text) == (
        "login <redacted> failed; token=<redacted>; again <redacted>; abc stays"
    )


def test_scrub_prefers_the_longest_overlapping_secret() -> None:
    redactor = Redactor(["pass", "password123"])
    assert redactor.scrub("x password123 y pass") == "x <redacted> y <redacted>"


def test_scrub_handles_regex_characters_and_multiline_text() -> None:
    redactor = Redactor(["a.b*c(d)"])
    assert redactor.scrub("line1\nvalue a.b*c(d)\naXbbc(d)") == "line1\nvalue <redacted>\naXbbc(d)"


def test_empty_redactor_is_a_no_op_and_can_learn() -> None:
    redactor = Redactor(())
    assert not redactor
    assert redactor.scrub("nothing hidden") == "nothing hidden"
    redactor.add(["late-secret"])
    assert redactor
    assert redactor.scrub("a late-secret b") == "a <redacted> b"


def test_from_credentials_walks_nested_values() -> None:
    creds = {
        "db": {"user": "admin", "password": "pw-9999", "port": 54321},
        "s3": {"keys": ["AKIAXXXX", "zzzzzzzz"]},
        "flag": True,
    }
    redactor = Redactor.from_credentials(creds)
    assert redactor.scrub("admin:pw-9999@host:54321 AKIAXXXX zzzzzzzz True") == (
        "<redacted>:<redacted>@host:<redacted> <redacted> <redacted> True"
    )


@pytest.mark.parametrize(
    "glob",
    ["*", "**", "a*", "*a", "*a*", "a*b", "*a*b*", "ab*ba", "a*a*a", "a**b", "*.x", ".x.*", "x",
     "", "?a", "[ab]*", "*[!a]"],
)  # fmt: skip
def test_glob_match_is_fnmatchcase(glob: str) -> None:
    """Every name of up to five letters of "ab.x" matches as ``fnmatchcase`` says."""
    names = ["", *("".join(p) for n in range(1, 6) for p in itertools.product("ab.x", repeat=n))]
    assert [n for n in names if glob_match(n, glob)] == [n for n in names if fnmatchcase(n, glob)]
