"""Secrets by key and by value: a parameter or variable never reaches the store or a display."""

from __future__ import annotations

from pathlib import Path

from faults._project import make_fault_project, parse_events, run_cli, store_path

PARAM_KEY_SECRET = "pk-9f8e7d6c5b4a"  # under a secret-looking key (api_key)
URL_PASSWORD = "s3cr3tpw-url-77"  # inside a URL, under an innocuous key
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # token-shaped, under 'tag'
ENV_URL_PASSWORD = "envurlpw-4455"  # TAXI_DB_URL=postgres://u:…@h/db (recorded by prefix)
ENV_TOKEN_VALUE = "xoxb-" + "123456789012-abcdefABCDEF"  # TAXI_FOO=<a Slack token>
RUNSETUP_PASSWORD = "runsetup-pw-99"  # --env-var CONN=mysql://a:…@h/d
SECRETS = (
    PARAM_KEY_SECRET,
    URL_PASSWORD,
    GITHUB_TOKEN,
    ENV_URL_PASSWORD,
    ENV_TOKEN_VALUE,
    RUNSETUP_PASSWORD,
)


def _store_bytes(project: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(store_path(project).parent.iterdir()))


def test_secrets_by_key_and_by_value_are_redacted_everywhere(tmp_path: Path, fault_report) -> None:
    project = make_fault_project(tmp_path / "proj")
    env = {
        "TAXI_DB_URL": f"postgres://user:{ENV_URL_PASSWORD}@db.example/taxi",
        "TAXI_FOO": ENV_TOKEN_VALUE,
    }
    params = (
        f"api_key={PARAM_KEY_SECRET},db.url=postgres://user:{URL_PASSWORD}@host/db,"
        f"step.tag={GITHUB_TOKEN},step.lines=2"
    )
    run = run_cli(
        "run",
        "--events",
        "json",
        "--params",
        params,
        "--env-var",
        f"CONN=mysql://app:{RUNSETUP_PASSWORD}@h/d",
        cwd=project,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    events = parse_events(run.stdout)
    sid = events[0]["session_id"]
    logged = [e["message"] for e in events if e["event"] == "log" and "step line" in e["message"]]
    assert logged and all("<redacted>" in m for m in logged)  # the node logged the token
    outputs = {
        "events": run.stdout,
        "stderr": run.stderr,
        "store files": _store_bytes(project),
    }
    for args in (
        ("sessions", "list"),
        ("sessions", "list", "--json"),
        ("sessions", "show", sid),
        ("sessions", "show", sid, "--json", "--logs"),
        ("sessions", "show", sid, "--logs"),
    ):
        shown = run_cli(*args, cwd=project)
        assert shown.returncode == 0, shown.stderr
        outputs[" ".join(args[:2] + args[3:])] = shown.stdout + shown.stderr
    found = {where: [s for s in SECRETS if s.encode() in data] for where, data in outputs.items()}
    assert not any(found.values()), found
    shown = run_cli("sessions", "show", sid, "--json", cwd=project).stdout.decode()
    assert "postgres://user:<redacted>@host/db" in shown  # the rest of the URL is kept
    assert '"api_key": "<redacted>"' in shown
    fault_report(
        "security",
        "secrets by key and by value: --params api_key=…, a URL password and a GitHub token under "
        "innocuous keys (one logged by the node), TAXI_DB_URL / TAXI_FOO via the settings' "
        "prefix, a Run-setup --env-var URL",
        trials=len(SECRETS),
        detail="none of the 6 values in the store files, events, stderr, sessions list/show "
        "(text, --json, --logs); URLs keep all but the password",
    )


def test_the_app_command_redacts_parameters(tmp_path: Path) -> None:
    from proj_tui.tui.run_spec import RunSpec

    spec = RunSpec(
        project_path=tmp_path,
        overrides={"api_key": PARAM_KEY_SECRET, "db.url": f"postgres://u:{URL_PASSWORD}@h/d"},
        env_vars={"CONN": f"mysql://app:{RUNSETUP_PASSWORD}@h/d"},
    )
    command = spec.command()
    assert not [s for s in SECRETS if s in command], command
    assert "api_key=<redacted>" in command
