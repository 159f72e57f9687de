"""Terminal escape sequences in a log line are shown, never sent to the terminal raw."""

from __future__ import annotations

from pathlib import Path

from faults._project import parse_events, run_cli

RAW = (b"\x1b]0;", b"\x1b[2J", b"\x1b]52;", b"\x07")
SHOWN = r"title \x1b]0;PWNED-TITLE\x07 clear \x1b[2J clip \x1b]52;c;cHduZWQ=\x07 end"


def _raw_in(data: bytes) -> list[bytes]:
    return [seq for seq in RAW if seq in data]


async def test_escape_sequences_are_neutralised_everywhere(
    fault_project: Path, fault_report
) -> None:
    plain = run_cli("run", "--pipeline", "escapes", cwd=fault_project)  # the plain display
    assert plain.returncode == 0, plain.stderr
    assert not _raw_in(plain.stderr) and SHOWN.encode() in plain.stderr
    events = run_cli("run", "--events", "json", "--pipeline", "escapes", cwd=fault_project)
    sid = parse_events(events.stdout)[0]["session_id"]
    assert not _raw_in(events.stdout)  # JSON escapes them (\u001b): a program decodes the text
    show = run_cli("sessions", "show", sid, "--logs", cwd=fault_project)
    assert show.returncode == 0 and not _raw_in(show.stdout) and SHOWN.encode() in show.stdout

    from textual.app import App, ComposeResult

    from proj_tui.framework.events import LogMessage
    from proj_tui.framework.store import SQLiteSessionStore
    from proj_tui.tui.components.log_pane import LogPane
    from proj_tui.tui.state import AppState

    with SQLiteSessionStore(fault_project / ".proj-tui" / "sessions.db") as store:
        [message] = [line.message for line in store.logs(sid) if "PWNED" in line.message]

    class _Pane(App[None]):
        state = AppState(project_path=fault_project)  # the pane reads its settings from it

        def compose(self) -> ComposeResult:
            yield LogPane(id="log-1")

    app = _Pane()
    async with app.run_test() as pilot:
        pane = app.query_one(LogPane)
        pane.add_records([LogMessage(0.0, "INFO", "n", message, None)])
        await pilot.pause()
        assert not any("\x1b" in line or "\x07" in line for line in pane.lines)
        assert any(SHOWN in line for line in pane.lines)
    fault_report(
        "security",
        "a node logs ESC ] 0 (window title), ESC [ 2 J (clear), ESC ] 52 (clipboard write)",
        detail="plain run display, `sessions show --logs` and the app's Logs pane show them as "
        "\\x1b…; --events json keeps them JSON-escaped",
    )
