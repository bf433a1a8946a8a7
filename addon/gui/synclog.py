"""The add-on's files in ``user_files/`` (kept by Anki across upgrades):
per-profile sync state, a readable log of recent syncs, the last report.

Pure Python so the rules (file names, log trimming) are testable without Anki.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ADDON_DIR = Path(__file__).resolve().parent.parent
USER_FILES = ADDON_DIR / "user_files"

LOG_NAME = "sync-log.txt"
LAST_REPORT_NAME = "last-report.json"
FIRST_RUN_MARKER = "first-run-shown"

# The log is for people: a few hundred syncs are plenty. Past the limit the
# oldest half is dropped (at an entry boundary).
MAX_LOG_BYTES = 512 * 1024


def profile_slug(profile: str) -> str:
    """A file-name-safe form of an Anki profile name; a hash suffix keeps two
    names that sanitise alike (``"Jo/1"``, ``"Jo:1"``) apart."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "_", profile).strip("_")[:60]
    if slug != profile or not slug:
        slug = f"{slug or 'profile'}-{hashlib.sha1(profile.encode('utf-8')).hexdigest()[:8]}"
    return slug


def state_path(profile: str, user_files: Path = USER_FILES) -> Path:
    return user_files / f"state-{profile_slug(profile)}.sqlite"


def log_path(user_files: Path = USER_FILES) -> Path:
    return user_files / LOG_NAME


def _entry(when: float, profile: str, trigger: str, summary: str) -> str:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(when))
    body = "\n".join("    " + line for line in summary.splitlines())
    return f"{stamp}  [{profile} · {trigger}]\n{body}\n\n"


def append_log(
    profile: str,
    trigger: str,
    summary: str,
    report: Optional[Dict[str, Any]] = None,
    *,
    user_files: Path = USER_FILES,
    when: Optional[float] = None,
) -> None:
    """Add one entry to the log (and keep the report as JSON). Never raises:
    a full disk must not turn a finished sync into an error."""
    try:
        with _writing:  # (one writer at a time: the thread of append_later, the watcher's notes)
            user_files.mkdir(parents=True, exist_ok=True)
            path = log_path(user_files)
            # (A lone surrogate, as a damaged file's salvaged title may hold, is
            # written as its escape: UTF-8 cannot carry it, and the entry went.)
            with open(path, "a", encoding="utf-8", errors="backslashreplace") as fh:
                fh.write(_entry(time.time() if when is None else when, profile, trigger, summary))
            if path.stat().st_size > MAX_LOG_BYTES:
                _trim(path)
            if report is not None:
                tmp = user_files / (LAST_REPORT_NAME + ".tmp")
                tmp.write_bytes(report_json(_trimmed(report)))
                os.replace(tmp, user_files / LAST_REPORT_NAME)
    except OSError:
        pass


_writing = threading.Lock()
_writer: Optional[ThreadPoolExecutor] = None


def append_later(
    profile: str,
    trigger: str,
    summary: str,
    report: Optional[Dict[str, Any]] = None,
    *,
    user_files: Path = USER_FILES,
) -> Future[None]:
    """``append_log`` on a thread of the add-on's (one, so entries keep their
    order): a sync's end wrote the log and last-report.json on Anki's main
    thread, ~30 ms on a slow disk. The entry's time and the report's saved
    rows are taken now; the returned future is done when both are on disk
    (never with an error: append_log swallows them)."""
    global _writer
    when = time.time()
    kept = _trimmed(report) if report is not None else None  # (a list of the first rows, not made later)
    if _writer is None:
        _writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polar-sync-log")
    return _writer.submit(_append_quietly, profile, trigger, summary, kept, user_files, when)


def _append_quietly(profile: str, trigger: str, summary: str, report: Optional[Dict[str, Any]],
                     user_files: Path, when: float) -> None:
    try:
        append_log(profile, trigger, summary, report, user_files=user_files, when=when)
    except Exception:  # a log line is not worth an error box
        pass


# The list of changed notes kept in last-report.json: a first sync of a big
# library changes tens of thousands, and the window shows them from memory.
MAX_SAVED_CHANGES = 2000


def _trimmed(report: Dict[str, Any]) -> Dict[str, Any]:
    """The report with its first ``MAX_SAVED_CHANGES`` change rows, as a
    list (they may come as ``ChangeRows``, made as they are read)."""
    changes = report.get("changes")
    if not isinstance(changes, Sequence) or isinstance(changes, str):
        return report
    out = dict(report)
    out["changes"] = list(changes[:MAX_SAVED_CHANGES])
    if len(changes) > MAX_SAVED_CHANGES:
        out["changes_left_out"] = len(changes) - MAX_SAVED_CHANGES
    return out


def report_json(report: Dict[str, Any]) -> bytes:
    """The report as indented UTF-8 JSON. With orjson (Anki ships it): this
    runs on Anki's main thread after a sync, and the standard library's
    indenting encoder is pure Python (~30 ms for a first sync's 2,000 saved
    rows on a slow machine, against ~2 ms)."""
    import orjson

    try:
        return orjson.dumps(report, default=_plain, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        # Text UTF-8 cannot carry (a lone surrogate: a damaged file's salvaged
        # title): the standard library's escapes, valid JSON, rarely needed.
        import json

        return json.dumps(report, default=_plain, indent=2).encode("ascii")


def _plain(value: Any) -> Any:
    """What orjson leaves to us, as ``json.dumps`` writes it: a NamedTuple as
    a list."""
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _trim(path: Path) -> None:
    text = path.read_text(encoding="utf-8", errors="replace")
    keep = text[len(text) // 2:]
    cut = keep.find("\n\n")
    keep = keep[cut + 2:] if cut >= 0 else keep
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(keep, encoding="utf-8")
    os.replace(tmp, path)


def read_log(user_files: Path = USER_FILES, newest_first: bool = True) -> List[str]:
    """Log entries as text blocks."""
    try:
        text = log_path(user_files).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    entries = [e.strip("\n") for e in text.split("\n\n") if e.strip()]
    return entries[::-1] if newest_first else entries


def first_run_done(user_files: Path = USER_FILES) -> bool:
    return (user_files / FIRST_RUN_MARKER).exists()


def mark_first_run_done(user_files: Path = USER_FILES) -> None:
    try:
        user_files.mkdir(parents=True, exist_ok=True)
        (user_files / FIRST_RUN_MARKER).write_text("The first-run message was shown.\n", encoding="utf-8")
    except OSError:
        pass
