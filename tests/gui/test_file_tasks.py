"""The add-on's file reads off the main thread (``gui/file_tasks.py``), in
real Anki: a read that never returns (a book or an export on a share that
died) holds back the add-on's own later reads, one at a time as ever, and
nothing of Anki's.

Found by reading the new code (branch ``newcode``): the reads ran on Anki's
pool for work without the collection, each waiting for a lock inside a
thread of it; behind one stuck read, every page turn took another of its
threads (6 on 2 cores, 12 on 8), and Anki's own tasks there (AnkiWeb's
sync check, the media sync, the closing of its progress window) waited for
ever."""

from __future__ import annotations

import sys
import threading
from typing import Any, List

import pytest

pytestmark = pytest.mark.anki

HELD_S = 120  # (the stuck read ends by itself only after this: the test releases it sooner)
# Page turns behind a stuck read: more than Anki's pool has threads
# (ThreadPoolExecutor's default: at most 32).
TURNS = 40


def _file_tasks() -> Any:
    return sys.modules["polar_sync.gui.file_tasks"]


def test_a_stuck_read_never_holds_back_ankis_own_background_tasks(anki: Any) -> None:
    tasks = _file_tasks()
    mw = anki.mw
    release, reading = threading.Event(), threading.Event()
    done: List[str] = []

    def stuck() -> str:
        reading.set()
        release.wait(HELD_S)
        return "stuck"

    tasks.run_file_task(stuck, lambda future: done.append(future.result()))
    try:
        anki.anki.wait_until(reading.is_set, what="the stuck read to start")
        for turn in range(TURNS):
            tasks.run_file_task(lambda turn=turn: f"turn {turn}", lambda future: done.append(future.result()))
        # Anki's own work without the collection (AnkiWeb's sync check runs so).
        theirs: List[str] = []
        mw.taskman.run_in_background(lambda: "Anki's", lambda future: theirs.append(future.result()),
                                     uses_collection=False)
        anki.anki.wait_until(lambda: theirs, timeout=HELD_S / 2, what="Anki's own task beside the stuck read")
        assert theirs == ["Anki's"] and done == []  # (the add-on's reads wait: one at a time)
    finally:
        release.set()
    anki.anki.wait_until(lambda: len(done) == TURNS + 1, what="the reads behind the stuck one")
    assert done == ["stuck"] + [f"turn {turn}" for turn in range(TURNS)]  # in the order asked


def test_a_failed_read_hands_its_error_to_its_caller_and_the_next_read_runs(anki: Any) -> None:
    tasks = _file_tasks()
    got: List[Any] = []

    def broken() -> None:
        raise OSError("the share went away")

    def said(future: Any) -> None:
        try:
            got.append(future.result())
        except OSError as exc:
            got.append(str(exc))

    tasks.run_file_task(broken, said)
    tasks.run_file_task(lambda: "next", said)
    anki.anki.wait_until(lambda: len(got) == 2, what="both reads")
    assert got == ["the share went away", "next"]
