"""The code a session ran, recorded so ``sessions reproduce`` can rebuild it exactly.

With git: the commit and branch (``gitinfo.describe_git`` already read them), and when the tree is
dirty the patch of tracked files (``git diff --binary HEAD``) plus the untracked files under the
source folder and the conf folder (``git ls-files --others --exclude-standard``). A clean tree
costs nothing more than ``describe_git``'s one ``git status``: the extra commands (``rev-parse``,
``diff --name-only`` to leave out files over the cap before diffing them, ``diff``, ``ls-files``)
run only when it is dirty. Without git: a BLAKE2b-256 over the source and conf trees (paths and
contents), so a reproduction can at least refuse code that changed.

Never stored, whatever the size: credentials files (``credentials*`` anywhere, ``.env`` files,
``*secret*``, ``*password*``, keys and certificates: ``is_credentials_file``; not every name
``redact.is_secret_name`` flags, which would drop ``tokenizer.py``), and any file whose patch or content has
a secret-looking line (a token shape, a URL password, ``api_key: ...``, the value of a secret
environment variable). They are listed in ``left_out`` with the reason, as are files over the caps
below, so a reproduction says which files it could not restore.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from proj_tui.framework.redact import glob_match, is_secret_name, secret_env_values, value_secrets
from proj_tui.framework.store.repro_records import CodeState, LeftOut, StoredFile

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "MAX_PATCH_BYTES",
    "MAX_UNTRACKED_BYTES",
    "MAX_UNTRACKED_FILE_BYTES",
    "capture_code_state",
    "code_state_summary",
    "is_credentials_file",
    "patch_files",
    "secret_lines",
    "tree_fingerprint",
]

logger = logging.getLogger(__name__)

MAX_PATCH_BYTES = 2 * 1024 * 1024
"""The patch of tracked files kept per session; a file whose diff would pass it is left out."""
MAX_UNTRACKED_FILE_BYTES = 512 * 1024
"""One untracked file larger than this is left out (a data file under src/, not code)."""
MAX_UNTRACKED_BYTES = 4 * 1024 * 1024
"""All untracked files of one session together."""
MAX_TREE_FILES = 20_000
"""Files the no-git fingerprint reads; past it the fingerprint covers the first ones by path."""
GIT_TIMEOUT_SECONDS = 20.0

_SKIP_DIRS = frozenset({"__pycache__", ".git", ".proj-tui", ".ipynb_checkpoints", "node_modules"})
_SKIP_SUFFIXES = (".pyc", ".pyo")
_CREDENTIAL_GLOBS = (
    "credentials*", ".env", ".env.*", "*.env", "*secret*", "*password*", "*passwd*",
    "*.pem", "*.key", "*.p12", "*.pfx", "id_rsa*", "id_ed25519*", ".netrc", ".pgpass",
)  # fmt: skip
_SECRET_ASSIGNMENT = re.compile(
    r"""^\s*[-+]?\s*["']?(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)["']?\s*(?::|=|:=)\s*(?P<value>.+?)\s*,?$"""
)
_PLACEHOLDER = re.compile(r"""^(["']?)(\$\{.*\}|<.*>|null|none|None|~|\*+|)\1$""")
_MIN_SECRET_VALUE = 8


def blake2b(digest_size: int, data: bytes = b"") -> Any:
    """A BLAKE2b hasher without importing ``hashlib``, whose OpenSSL start-up costs every run ~4 ms.

    ``_blake2`` is CPython's own C module (what ``hashlib.blake2b`` is); another Python falls back.
    """
    try:
        from _blake2 import blake2b as make
    except ImportError:  # pragma: no cover - not CPython
        from hashlib import blake2b as make
    return make(data, digest_size=digest_size)


def _sha256(data: bytes) -> str:
    import hashlib  # deferred: only a dirty tree pays its OpenSSL start-up, beside its git diff

    return hashlib.sha256(data).hexdigest()


def is_credentials_file(path: str | PurePosixPath) -> bool:
    """Whether ``path`` names a file that must never be stored (credentials, ``.env``, secrets)."""
    name = PurePosixPath(path).name.lower()
    return any(glob_match(name, glob) for glob in _CREDENTIAL_GLOBS)


def secret_lines(text: str, known: Iterable[str] = ()) -> list[int]:
    """1-based numbers of the lines of ``text`` that look like they hold a secret.

    A token shape or URL password (``redact.value_secrets``), an assignment to a secret-looking
    name with a literal value (``api_key: abc123...``; ``${...}`` placeholders are fine), or a
    ``known`` secret value (the secret environment variables of this process).
    """
    values = [k for k in known if len(k) >= _MIN_SECRET_VALUE]
    found: list[int] = []
    for number, line in enumerate(text.splitlines(), 1):
        if len(line) < 4:
            continue
        if value_secrets(line) or any(v in line for v in values):
            found.append(number)
            continue
        match = _SECRET_ASSIGNMENT.match(line)
        if match and is_secret_name(match.group("key").rsplit(".", 1)[-1]):
            value = match.group("value").strip()
            if len(value.strip("'\"")) >= _MIN_SECRET_VALUE and not _PLACEHOLDER.match(value):
                found.append(number)
    return found


def redact_text(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with what ``secret_lines`` finds replaced by ``<redacted>``, its shape kept.

    Token shapes and URL passwords are replaced where they stand; the literal value of a
    secret-looking name keeps its quotes and trailing comma, so a redacted JSON or YAML file
    still parses (``"api_key": "<redacted>",``).
    """
    from proj_tui.framework.redact import REDACTED, Redactor, redact_value

    text = Redactor([k for k in known if len(k) >= _MIN_SECRET_VALUE]).scrub(redact_value(text))
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        match = _SECRET_ASSIGNMENT.match(line.rstrip("\r\n"))
        if not match or not is_secret_name(match.group("key").rsplit(".", 1)[-1]):
            continue
        value = match.group("value").strip()
        if len(value.strip("'\"")) < _MIN_SECRET_VALUE or _PLACEHOLDER.match(value):
            continue
        quote = value[0] if value[:1] in ("'", '"') and value[-1:] == value[:1] else ""
        start, end = match.span("value")
        lines[index] = f"{line[:start]}{quote}{REDACTED}{quote}{line[end:]}"
    return "".join(lines)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    import subprocess  # only for a dirty git tree: a run outside git, or clean, never imports it

    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    command = ["git", "-C", str(root), *args]
    try:
        return subprocess.run(
            command, capture_output=True, timeout=GIT_TIMEOUT_SECONDS, env=env, check=False
        )
    except subprocess.TimeoutExpired:  # a huge tree on a slow disk: say so in left_out
        why = f"git {args[0]} took over {GIT_TIMEOUT_SECONDS:.0f} s and was stopped"
    except OSError as exc:
        why = f"git could not be started: {exc.strerror or exc}"
    return subprocess.CompletedProcess(command, 1, b"", why.encode())


def _relative(path: Path, base: Path) -> str | None:
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return None


def capture_code_state(
    project_path: Path,
    roots: Iterable[Path],
    git: Mapping[str, Any] | None,
) -> tuple[CodeState, dict[str, bytes]]:
    """The code state of the project and the blobs it refers to (SHA-256 hex -> bytes).

    ``roots`` are the source folder and the conf folder; ``git`` is ``describe_git``'s answer
    for the project (None: no git, a tree fingerprint is taken).
    """
    project_path = Path(project_path)
    rel_roots = tuple(r for r in (_relative(Path(p), project_path) for p in roots) if r is not None)
    if git is None:
        fingerprint, files = tree_fingerprint(project_path, rel_roots)
        return CodeState(kind="tree", fingerprint=fingerprint, files=files, roots=rel_roots), {}
    state = CodeState(
        kind="git",
        commit=git.get("commit"),
        branch=git.get("branch"),
        dirty=bool(git.get("dirty")),
        roots=rel_roots,
        cap=MAX_PATCH_BYTES,
    )
    if not state.dirty:
        return state, {}  # a clean tree pays for nothing more than describe_git's git status
    return _dirty_state(project_path, state)


def _dirty_state(project_path: Path, state: CodeState) -> tuple[CodeState, dict[str, bytes]]:
    prefix = _git(project_path, "rev-parse", "--show-prefix")
    subdir = (
        prefix.stdout.decode("utf-8", "replace").strip().rstrip("/")
        if prefix.returncode == 0
        else ""
    )
    known = secret_env_values(os.environ)
    blobs: dict[str, bytes] = {}
    left_out: list[LeftOut] = []
    patch = b""
    if state.commit is not None:
        excluded = _unstorable_changes(project_path, subdir, left_out)
        diff = _git(
            project_path, "diff", "--binary", "--no-color", "--no-ext-diff", "HEAD", "--",
            ":/", *(f":(top,literal,exclude){path}" for path in excluded),
        )  # fmt: skip
        if diff.returncode == 0:
            patch = _keep_safe_sections(diff.stdout, known, left_out)
        else:
            left_out.append(LeftOut("(tracked files)", "git diff failed: " + _why(diff)))
    patch_digest = None
    if patch:
        patch_digest = _sha256(patch)
        blobs[patch_digest] = patch
    untracked = _untracked(project_path, subdir, state.roots, known, left_out, blobs)
    return (
        CodeState(
            kind="git",
            commit=state.commit,
            branch=state.branch,
            dirty=True,
            subdir=subdir,
            patch=patch_digest,
            patch_size=len(patch),
            untracked=tuple(untracked),
            left_out=tuple(left_out),
            cap=MAX_PATCH_BYTES,
            roots=state.roots,
        ),
        blobs,
    )


def _unstorable_changes(project_path: Path, subdir: str, left_out: list[LeftOut]) -> list[str]:
    """Changed tracked files never to diff: credentials, and files too big for the patch cap.

    Found from ``git diff --name-only`` and the files' sizes, so a modified 500 MB tracked data
    file costs a ``stat``, not a 500 MB diff on every run of the dirty tree.
    """
    names = _git(project_path, "diff", "--name-only", "--no-renames", "-z", "HEAD")
    if names.returncode != 0:
        return []
    root = project_path
    for _ in subdir.split("/") if subdir else ():
        root = root.parent
    excluded: list[str] = []
    for raw in (p for p in names.stdout.split(b"\0") if p):
        path = os.fsdecode(raw)
        if is_credentials_file(path):
            left_out.append(LeftOut(path, "a credentials or secrets file: never stored"))
            excluded.append(path)
            continue
        try:
            size = (root / path).stat().st_size
        except OSError:
            continue  # deleted: its diff is small
        if size > MAX_PATCH_BYTES:
            left_out.append(
                LeftOut(path, f"{size} bytes, over the {MAX_PATCH_BYTES}-byte patch cap")
            )
            excluded.append(path)
    return excluded


def _why(result: subprocess.CompletedProcess[bytes]) -> str:
    text = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return text[-1] if text else f"exit code {result.returncode}"


_SECTION = re.compile(rb"^diff --git ", re.MULTILINE)
_SECTION_PATH = re.compile(rb"^diff --git a/(.*?) b/(.*)$", re.MULTILINE)


def patch_files(patch: bytes) -> list[dict[str, Any]]:
    """What a recorded patch changes: per file its path and the lines added and removed
    (``binary``: a binary diff, no line counts), in the patch's order."""
    starts = [m.start() for m in _SECTION.finditer(patch)]
    files: list[dict[str, Any]] = []
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(patch)
        section = patch[start:end]
        match = _SECTION_PATH.match(section)
        path = match.group(2).decode("utf-8", "replace") if match else "?"
        added = removed = 0
        binary = False
        in_hunks = False
        for line in section.split(b"\n")[1:]:
            if line.startswith(b"@@"):
                in_hunks = True
            elif line.startswith(b"GIT binary patch"):
                binary = True
                break
            elif in_hunks and line.startswith(b"+"):
                added += 1
            elif in_hunks and line.startswith(b"-"):
                removed += 1
        files.append({"path": path, "added": added, "removed": removed, "binary": binary})
    return files


def code_state_summary(state: CodeState, patch: bytes | None) -> dict[str, Any]:
    """A code state as JSON-ready data (``sessions show --json``): the record, whether it is
    exact, and ``patch_files`` (``patch_files`` of its patch; ``[]`` for a clean tree)."""
    return {**state.to_dict(), "exact": state.exact, "patch_files": patch_files(patch or b"")}


def code_state_line(state: CodeState, patch: bytes | None) -> str:
    """The code state in one line (``sessions show``): what ran and whether it can be rebuilt."""
    if state.kind == "tree":
        what = f"no git: a fingerprint of {', '.join(state.roots) or 'the project'}"
        what += f" ({state.files} files, {(state.fingerprint or '?')[:12]})"
    elif state.commit is None:
        what = f"git, no commit yet on {state.branch or '—'}"
    else:
        what = f"git {state.commit[:12]} on {state.branch or '(detached)'}"
        if state.dirty:
            files = patch_files(patch or b"")
            stored = (
                [f"a patch of {len(files)} file(s), {state.patch_size:,} bytes"] if files else []
            )
            if state.untracked:
                stored.append(f"{len(state.untracked)} untracked file(s)")
            what += " + uncommitted changes" + (
                f" ({' and '.join(stored)} stored)" if stored else ""
            )
        else:
            what += ", clean"
    if state.exact:
        return what + "; exact: `proj-tui sessions reproduce` rebuilds it"
    first = state.left_out[0] if state.left_out else None
    why = f"{first.path}: {first.reason}" if first else "no commit to rebuild from"
    more = f" and {len(state.left_out) - 1} more" if len(state.left_out) > 1 else ""
    return what + f"; NOT exact, not stored: {why}{more}"


def _keep_safe_sections(diff: bytes, known: list[str], left_out: list[LeftOut]) -> bytes:
    """The diff without the files that must not be stored (credentials, secrets, over the cap)."""
    starts = [m.start() for m in _SECTION.finditer(diff)]
    kept: list[bytes] = []
    total = 0
    for index, start in enumerate(starts):
        end = starts[index + 1] if index + 1 < len(starts) else len(diff)
        section = diff[start:end]
        match = _SECTION_PATH.match(section)
        path = match.group(2).decode("utf-8", "replace") if match else "?"
        if is_credentials_file(path):
            left_out.append(LeftOut(path, "a credentials or secrets file: never stored"))
            continue
        text = section.decode("utf-8", "replace")
        lines = secret_lines(text, known)
        if lines:
            where = ", ".join(str(n) for n in lines[:5])
            left_out.append(
                LeftOut(
                    path, f"its diff has a secret-looking value (diff line {where}): not stored"
                )
            )
            continue
        if total + len(section) > MAX_PATCH_BYTES:
            left_out.append(
                LeftOut(
                    path, f"its diff ({len(section)} bytes) passes the {MAX_PATCH_BYTES}-byte cap"
                )
            )
            continue
        total += len(section)
        kept.append(section)
    return b"".join(kept)


def _untracked(
    project_path: Path,
    subdir: str,
    roots: tuple[str, ...],
    known: list[str],
    left_out: list[LeftOut],
    blobs: dict[str, bytes],
) -> list[StoredFile]:
    if not roots:
        return []
    listed = _git(
        project_path,
        "ls-files",
        "--others",
        "--exclude-standard",
        "--full-name",
        "-z",
        "--",
        *roots,
    )
    if listed.returncode != 0:
        left_out.append(LeftOut("(untracked files)", "git ls-files failed: " + _why(listed)))
        return []
    repo_root = project_path
    for _ in subdir.split("/") if subdir else ():
        repo_root = repo_root.parent
    out: list[StoredFile] = []
    total = 0
    for raw in sorted(p for p in listed.stdout.split(b"\0") if p):
        path = os.fsdecode(raw)
        parts = PurePosixPath(path).parts
        if any(p in _SKIP_DIRS for p in parts) or path.endswith(_SKIP_SUFFIXES):
            continue
        if is_credentials_file(path):
            left_out.append(LeftOut(path, "a credentials or secrets file: never stored"))
            continue
        file = repo_root / path
        try:
            size = file.stat().st_size
            if size > MAX_UNTRACKED_FILE_BYTES:
                left_out.append(
                    LeftOut(path, f"{size} bytes, over the {MAX_UNTRACKED_FILE_BYTES}-byte cap")
                )
                continue
            if total + size > MAX_UNTRACKED_BYTES:
                left_out.append(
                    LeftOut(path, f"untracked files pass the {MAX_UNTRACKED_BYTES}-byte cap")
                )
                continue
            data = file.read_bytes()
        except OSError as exc:
            left_out.append(LeftOut(path, f"could not be read: {exc.strerror or exc}"))
            continue
        lines = secret_lines(data.decode("utf-8", "replace"), known)
        if lines:
            where = ", ".join(str(n) for n in lines[:5])
            left_out.append(LeftOut(path, f"has a secret-looking value (line {where}): not stored"))
            continue
        digest = _sha256(data)
        blobs[digest] = data
        total += size
        out.append(StoredFile(path=path, size=size, blob=digest))
    return out


def tree_fingerprint(project_path: Path, roots: Iterable[str]) -> tuple[str, int]:
    """BLAKE2b-256 over the paths and contents of the files under ``roots``, and how many files.

    Caches, bytecode and credentials files are skipped (the last are never read at all).
    """
    files: list[tuple[str, Path]] = []
    for root in roots:
        base = project_path / root
        if base.is_file():
            files.append((root, base))
            continue
        for folder, dirs, names in os.walk(base):
            dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
            for name in names:
                if name.endswith(_SKIP_SUFFIXES) or is_credentials_file(name):
                    continue
                full = Path(folder) / name
                files.append((full.relative_to(project_path).as_posix(), full))
    files.sort()
    files = files[:MAX_TREE_FILES]
    digest = blake2b(32)
    for rel, full in files:
        try:
            data = full.read_bytes()
        except OSError:
            data = b"<unreadable>"
        digest.update(rel.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(blake2b(32, data).digest())
    return digest.hexdigest(), len(files)


def record_code_state(
    store: Any,
    session_id: str,
    project_path: Path,
    roots: Iterable[Path],
    git: Mapping[str, Any] | None,
) -> None:
    """Capture the code state and store it on the session; never fails the run."""
    writer = getattr(store, "record_code_state", None)
    if writer is None:  # a store class of a plugin that predates schema 3
        return
    try:
        state, blobs = capture_code_state(project_path, roots, git)
        writer(session_id, state, blobs)
    except Exception:
        logger.warning("Could not record the code state of session %s", session_id, exc_info=True)
