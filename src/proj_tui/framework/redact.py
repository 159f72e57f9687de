"""Keep secrets out of the session store: parameters, environment variables, logs, errors.

The store records what it is given, so redaction happens before a record reaches it (docs/store.md
states the rule and its limits). Two tests, applied to every parameter and recorded variable:
- by key: a name that looks secret (``*TOKEN*``, ``*KEY*``, ...; for a dotted parameter, its last
  part) keeps its name, not its value; over-redacting ``KEYBOARD`` beats leaking ``API_KEY``;
- by value: the password inside a URL (``postgres://user:<redacted>@host/db``) and values shaped
  like well-known tokens (GitHub, GitLab, Slack, AWS access key ids, Stripe/OpenAI ``sk-``, Google
  API keys, JWTs, PEM private keys, ``Bearer …``) are replaced whatever their name.
Every value redacted that way, and every credential, is also scrubbed from free text (log lines,
node errors, tracebacks), since a failing connection string tends to end up in a traceback.
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
    return any(glob_match(upper, pattern) for pattern in SECRET_NAME_PATTERNS)


def glob_match(name: str, glob: str) -> bool:
    """``fnmatch.fnmatchcase(name, glob)``, without compiling a regex when ``*`` is the glob's
    only wildcard (every glob of ours): fnmatch compiled one per glob, ~0.1 ms each, and a run
    matched 32 of them (the env allow-list, secret names, credential files) before its nodes."""
    if "?" in glob or "[" in glob:
        return fnmatchcase(name, glob)
    if "*" not in glob:
        return name == glob
    first, *middle, last = glob.split("*")
    if len(name) < len(first) + len(last) or not name.startswith(first):
        return False
    if not name.endswith(last):
        return False
    start, end = len(first), len(name) - len(last)
    for part in middle:  # leftmost first: a later part then has the most room
        found = name.find(part, start, end)
        if found < 0:
            return False
        start = found + len(part)
    return True


_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+(?=@)")
_TOKEN_SHAPES = re.compile(
    "|".join(
        (
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",  # GitHub
            r"\bgithub_pat_[A-Za-z0-9_]{20,}",
            r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
            r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
            r"\bsk-[A-Za-z0-9_-]{16,}",  # OpenAI, Anthropic and alike
            r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}",  # Stripe
            r"\bAIza[0-9A-Za-z_-]{35}",  # Google API key
            r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}",  # JWT
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
            r"\b[Bb][Ee][Aa][Rr][Ee][Rr]\s+[A-Za-z0-9._~+/-]{16,}=*",
        )
    )
)


def redact_value(text: str) -> str:
    """``text`` with URL passwords and token-shaped substrings replaced by ``<redacted>``."""
    if not text or len(text) < MIN_SECRET_LENGTH:
        return text
    text = _URL_PASSWORD.sub(lambda m: m.group("head") + REDACTED, text)
    return _TOKEN_SHAPES.sub(REDACTED, text)


def value_secrets(text: str) -> list[str]:
    """The substrings of ``text`` that ``redact_value`` would replace (to scrub from logs)."""
    found = [m.group(0)[len(m.group("head")) :] for m in _URL_PASSWORD.finditer(text)]
    found += [m.group(0) for m in _TOKEN_SHAPES.finditer(text)]
    return found


def redact_params(params: Any, *, secret: bool = False) -> Any:
    """A copy of (nested) parameters with secret-named values and secret-shaped text redacted.

    ``a.api_key`` is judged by ``api_key``; everything below a secret-named key is redacted.
    """
    if isinstance(params, Mapping):
        return {
            key: redact_params(value, secret=secret or is_secret_name(str(key)))
            for key, value in params.items()
        }
    if isinstance(params, (list, tuple)):
        return [redact_params(item, secret=secret) for item in params]
    if secret and params is not None and not isinstance(params, bool):
        return REDACTED
    if isinstance(params, str):
        return redact_value(params)
    return params


def param_secrets(params: Any, *, secret: bool = False) -> list[str]:
    """The values ``redact_params`` hides, as text, so they can be scrubbed from logs too."""
    if isinstance(params, Mapping):
        out: list[str] = []
        for key, value in params.items():
            out += param_secrets(value, secret=secret or is_secret_name(str(key)))
        return out
    if isinstance(params, (list, tuple)):
        return [found for item in params for found in param_secrets(item, secret=secret)]
    if secret and params is not None and not isinstance(params, bool):
        return [str(params)]
    return value_secrets(params) if isinstance(params, str) else []


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
            wanted = any(glob_match(name, p) for p in patterns)
        if wanted:
            selected[name] = REDACTED if is_secret_name(name) else redact_value(env[name])
    return selected


MIN_ENV_SECRET_LENGTH = 8
"""Secret-looking variables with shorter values (``AUTH_ENABLED=true``) are flags, not secrets."""


def secret_env_values(env: Mapping[str, str]) -> list[str]:
    """Values of secret-looking variables, to scrub from logs and errors like credentials.

    A node that logs ``os.environ["API_TOKEN"]`` must not put the token in the store or the events.
    """
    by_name = [
        value
        for name, value in env.items()
        if len(value) >= MIN_ENV_SECRET_LENGTH and is_secret_name(name)
    ]
    return by_name + [found for value in env.values() for found in value_secrets(value)]


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
