"""A long session in one real Anki (soak_driver.py, a process of its own: it
switches profiles): rounds of watcher syncs, documents that come and go,
AnkiWeb syncs (Anki's own sync server), the report, the settings, the log,
the PDF and book windows, profile switches. What the process holds is
counted after each round, and after a warm-up nothing of the add-on's grows
round by round: not its windows, its live objects, the containers it keeps,
its threads, inotify watches, descriptors or temp files, nor the sync
state's rows (one per Polar note).

Anki itself keeps 3 QTimers on its main window per AnkiWeb sync and 4 per
profile switch (an Anki without add-ons too, 23.10 and 26.9), and some of
its own windows (soak_driver._ankis_own): counted apart. Memory is recorded,
not asserted (the allocator's and Chromium's own ups and downs)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.gui.anki_output import ankis_close_race, our_tracebacks, threads_not_ankis_pools
from tests.polar_factory import copy_sample_library

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("soak_driver.py")
SWITCH_EVERY = 5  # (soak_driver.SWITCH_EVERY)
ROUNDS = 3 * SWITCH_EVERY + 1
FIRST, LAST = SWITCH_EVERY, 3 * SWITCH_EVERY  # the same point of the cycle, after a warm-up
ANKI_TIMERS_PER_SWITCH = 4
ANKI_TIMERS_PER_ANKIWEB_SYNC = 3


def _grown(before: Dict[str, Any], after: Dict[str, Any]) -> Dict[str, int]:
    return {k: after[k] - before.get(k, 0) for k in after if after[k] > before.get(k, 0)}


def test_a_long_session_leaves_nothing_behind_round_by_round(tmp_path: Path) -> None:
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = copy_sample_library(tmp_path / "polar")
    temp = tmp_path / "tmp"
    temp.mkdir()
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(DRIVER), str(tmp_path / "anki-base"), str(library), str(addon_file), str(ROUNDS),
         str(result)],
        capture_output=True, text=True, timeout=900, cwd=ROOT, env={**os.environ, "TMPDIR": str(temp)},
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert not seen["errors"], seen["errors"]
    assert not our_tracebacks(output), output[-4000:]
    rounds = seen["rounds"]
    assert len(rounds) == ROUNDS
    # Every exception shown in Anki's error box is Anki's own race as a
    # profile closes (its frames all Anki's; anki_output.ankis_close_race),
    # clicked away by the driver as a person would; none is the add-on's.
    ours = [e["traceback"] for e in seen["shown"] if not ankis_close_race(e)]
    assert not ours, "\n\n".join(ours)[-6000:]
    assert not [(n, r["boxes"]) for n, r in enumerate(rounds) if r["boxes"]]  # (no message box left open)
    first, last = rounds[FIRST], rounds[LAST]
    switches = (LAST - FIRST) // SWITCH_EVERY

    assert _grown(first["ours"], last["ours"]) == {}, (first["ours"], last["ours"])
    assert _grown(first["held"], last["held"]) == {}
    assert Counter(last["top_level_names"]) == Counter(first["top_level_names"]), \
        (first["top_level_names"], last["top_level_names"])
    ankiweb = last["ankiweb_syncs"] - first["ankiweb_syncs"]
    assert ankiweb >= LAST - FIRST  # (one a round, and Anki's own on a profile's close and open)
    kinds = _grown(first["mw_child_kinds"], last["mw_child_kinds"])
    assert kinds == {"QTimer": ANKI_TIMERS_PER_SWITCH * switches + ANKI_TIMERS_PER_ANKIWEB_SYNC * ankiweb}, kinds
    assert threads_not_ankis_pools(last["thread_names"]) == threads_not_ankis_pools(first["thread_names"])
    # The process's threads, Python's and native, less Anki's own pools (a
    # ThreadPoolExecutor starts a worker when none is idle, so their count
    # follows the host's timing: 35 -> 36 once on a loaded host, 23.10.1).
    def tasks(r: dict) -> int:
        return r["tasks"] - (len(r["thread_names"]) - len(threads_not_ankis_pools(r["thread_names"])))

    assert tasks(last) <= tasks(first), (first["tasks"], first["thread_names"], last["tasks"], last["thread_names"])
    assert last["inotify"] == first["inotify"]
    assert last["fds"]["total"] <= first["fds"]["total"], (first["fds"], last["fds"])
    assert last["tmp_files"] <= first["tmp_files"]
    # The sync state: a card row a Polar note, however many came and went.
    for r in rounds:
        assert r["state_rows"]["cards"] == r["polar_notes"], r["state_rows"]
    assert _grown({k: v for k, v in first["state_rows"].items() if k != "journal"},
                  {k: v for k, v in last["state_rows"].items() if k != "journal"}) == {}
    assert last["state_rows"]["journal"] <= 30  # (journal.KEEP)
    # The files it keeps: the log grows (trimmed at 512 KB), the state file
    # until its journal holds its last 30 syncs, the last report is the last
    # sync's (its documents' names one digit longer now); nothing else is there.
    assert set(last["user_files"]) == set(first["user_files"])
    assert last["user_files"]["last-report.json"] < 2 * first["user_files"]["last-report.json"]
