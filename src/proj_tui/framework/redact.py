"""Keep secrets out of the session store: environment variables, log lines, exception messages.

The store records what it is given, so redaction happens before a record reaches it. Names are
matched against secret-looking patterns (over-redacting ``KEYBOARD`` beats leaking ``API_KEY``);
values of known credentials are scrubbed from free text, since a failing connection string tends
to end up in a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

REDACTED = "<redacted>"
SECRET_NAME_PATTERNS: tuple[str, ...] = (
    "*TOKEN*",
    "*SECRET*",
    "*PASSWORD*",
    "*PASSWD*",
    "*KEY*",
    "*CREDENTIAL*",
    "*AUTH*",
    "*PRIVATE*",
    "*SESSION*COOKIE*",
)
MIN_SECRET_LENGTH = 4
"""Shorter values are not scrubbed from text: replacing every "on" or "1" would wreck the logs."""


def is_secret_name(name: str) -> bool:
    """True if a variable or key name looks like it holds a secret (case-insensitive)."""
    upper = name.upper()
    return any(fnmatchcase(upper, pattern) for pattern in SECRET_NAME_PATTERNS)


def redact_env(
    env: Mapping[str, str], prefix: str | None, allowlist: Iterable[str] = ()
) -> dict[str, str]:
    """The variables worth recording: names starting with ``prefix`` or matching ``allowlist``.

    Allow-list entries may be globs (``AWS_*``). Secret-looking names keep their name but not
    their value, so a record still shows that ``API_TOKEN`` was set. Sorted by name.
    """
    patterns = [entry for entry in allowlist if entry]
    selected: dict[str, str] = {}
    for name in sorted(env):
        wanted = bool(prefix) and name.startswith(prefix or "")
        if not wanted:
            wanted = any(name == p or fnmatchcase(name, p) for p in patterns)
        if wanted:
            selected[name] = REDACTED if is_secret_name(name) else env[name]
    return selected


MIN_ENV_SECRET_LENGTH = 8
"""Secret-looking variables with shorter values (``AUTH_ENABLED=true``) are flags, not secrets."""


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """Values of secret-looking variables, to scrub from logs and errors like credentials.

    A node that logs ``os.environ["API_TOKEN"]`` must not put the token in the store or the events.
    """
    return [
        value
        for name, value in env.items()
        if len(value) >= MIN_ENV_SECRET_LENGTH and is_secret_name(name)
    ]


class Redactor:
    """Replaces every known secret value found in a text with ``<redacted>``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Learn more secret values (e.g. credentials once the context has loaded them)."""
        new = {str(s) for s in secrets if s is not None and len(str(s)) >= MIN_SECRET_LENGTH}
        if not new - self._secrets:
            return
        self._secrets |= new
        # longest first, so a secret that contains another is replaced whole
        ordered = sorted(self._secrets, key=lambda s: (-len(s), s))
        self._pattern = re.compile("|".join(map(re.escape, ordered)))

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any]) -> Redactor:
        """Collect every string leaf of a (nested) credentials mapping."""
        return cls(_string_leaves(credentials))

    def __bool__(self) -> bool:
        return self._pattern is not None

    def scrub(self, text: str) -> str:
        """``text`` with each known secret replaced; unchanged (and cheap) when there are none."""
        if self._pattern is None or not text:
            return text
        return self._pattern.sub(REDACTED, text)


def _string_leaves(value: Any) -> Iterable[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _string_leaves(item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _string_leaves(item)
    elif isinstance(value, str):
        yield value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield str(value)
