"""What a real Anki run printed, read for the add-on's own failures."""

from __future__ import annotations

import re
from typing import Dict, List

_FRAME = re.compile(r'^\s+File "([^"]+)"', re.M)


def tracebacks(output: str) -> List[str]:
    """Each traceback printed, from its first line to its exception line."""
    found: List[str] = []
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        if "Traceback (most recent call last):" not in lines[i]:
            i += 1
            continue
        block = [lines[i]]
        i += 1
        while i < len(lines) and (lines[i].startswith((" ", "\t")) or not lines[i].strip()):
            block.append(lines[i])
            i += 1
        if i < len(lines):
            block.append(lines[i])  # the exception's own line
            i += 1
        found.append("\n".join(block))
    return found


def _anki_media_server_closing(block: str) -> bool:
    # Anki's media server (waitress) closes its wake-up pipe while a web view's
    # last request is still served, when a profile closes: waitress logs
    # "Bad file descriptor" from its own thread. Anki's race, not the add-on's.
    frames = _FRAME.findall(block)
    return bool(frames) and all("/waitress/" in f for f in frames)


def media_server_noise_removed(output: str) -> str:
    """`output` without what Anki's media server logs as a profile closes: its
    tracebacks (above) and its own log lines ("ERROR:waitress: Exception when
    servicing …", "Client disconnected …"), which would match a test's signs."""
    for block in tracebacks(output):
        if _anki_media_server_closing(block):
            output = output.replace(block, "", 1)
    return "\n".join(line for line in output.splitlines() if ":waitress:" not in line)


def our_tracebacks(output: str) -> List[str]:
    """The tracebacks that are not Anki's media server closing."""
    return tracebacks(media_server_noise_removed(output))


# Anki's own thread pools: its task manager's executors ("ThreadPoolExecutor-N_M")
# and its media server's workers ("waitress-N") add a thread when a task comes
# while the others are busy, up to their size, and never end one: counted apart,
# as Anki's timers are. The add-on names its own ("polar-sync-…", "Polar Sync
# …"), compared whole.
ANKIS_POOLS = ("ThreadPoolExecutor-", "waitress-")


def threads_not_ankis_pools(names: List[str]) -> List[str]:
    """Thread names without those of Anki's own pools."""
    return [n for n in names if not n.startswith(ANKIS_POOLS)]


def _frames(block: str) -> List[str]:
    return _FRAME.findall(block)


def ankis_close_race(shown: Dict[str, str]) -> bool:
    """An exception Anki showed in its box (driver_windows.ExceptionsShown)
    that is Anki's own race as a profile closes, not the add-on's: an op of
    Anki's started just before (its deck browser's refresh after the AnkiWeb
    sync on close, ``AnkiQt._sync_collection_and_media``) ran on its thread
    after ``_unloadCollection`` had closed the collection ("CollectionNotOpen")
    or set ``mw.col`` to None ("'NoneType' object has no attribute …"). Every
    frame is Anki's: none of an add-on's (``addons21/``)."""
    frames = _frames(shown["traceback"])
    # (Anki 26.9's backend says it as InvalidInput, its text "CollectionNotOpen".)
    closed = "CollectionNotOpen" in (shown["type"], shown["text"]) or (
        shown["type"] == "AttributeError" and shown["text"].startswith("'NoneType' object has no attribute"))
    return (closed and any("/aqt/" in f for f in frames)
            and not any("/addons21/" in f or "/polar_sync/" in f for f in frames))
