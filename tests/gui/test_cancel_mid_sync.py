"""Escape in Anki's progress window while a large first sync adds notes
(real Anki in a process of its own, cancel_driver.py, the built .ankiaddon):
the sync stops at its next batch, what it added stays in one undo step and is
remembered, the person is told how far it got, the watcher's request queued
meanwhile does not start the next sync at once, and the next sync adds the
rest without a duplicate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from addon.gui import synclog
from addon.sync import write

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import synthetic_library  # noqa: E402

from tests.gui.anki_output import media_server_noise_removed  # noqa: E402

# ~18 MB of documents (over 16 MB: a window at once), six batches of new notes
# (1,000, 5,000, 5,000, 5,000, 3,000, 1,000): five points to stop at
CARDS = 20000


def _library(tmp_path: Path) -> Tuple[Path, Any, str]:
    library = tmp_path / "polar"
    # (Over read.LONG_READ_BYTES: the add-on's window is up at once for a sync asked for.)
    info = synthetic_library.generate(library, documents=80, cards=CARDS)
    doc_key = sorted(p.name for p in library.iterdir() if (p / "state.json").exists())[0]
    return library, info, doc_key


def _drive(tmp_path: Path, library: Path, which: str, doc_key: str) -> Dict[str, Any]:
    """cancel_driver.py in a process of its own, on the Anki folder
    ``tmp_path/anki-base`` (kept from one run to the next): what it saw."""
    addon_file = tmp_path / "polar_sync.ankiaddon"
    if not addon_file.exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                       check=True, stdout=subprocess.DEVNULL)
    result = tmp_path / f"result-{which}.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("cancel_driver.py")), str(tmp_path / "anki-base"),
         str(library), str(addon_file), str(result), which, doc_key],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    for sign in ("Traceback", "CollectionNotOpen", "has been deleted", "Window should have been closed"):
        assert sign not in media_server_noise_removed(output), output[-4000:]
    seen: Dict[str, Any] = json.loads(result.read_text())
    return seen


@pytest.mark.parametrize("which", ["startup", "manual", "reading"])
def test_escape_in_the_progress_window_stops_the_sync_and_the_next_one_adds_the_rest(tmp_path, which):
    """``startup``: the profile's first sync, under Anki's own "Processing…"
    window (a backup first); ``manual``: Tools ▸ Sync from Polar, the
    add-on's window (on screen from the start: a long reading); ``reading``:
    the same, Escape while it reads."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, which, doc_key)
    assert seen["window_is_ours"] == (which != "startup"), seen["stage"]

    if which == "reading":
        # Stopped between two documents: nothing written, nothing remembered.
        assert seen["interrupted"] and seen["by_you"] and not seen["failed"], seen
        added = 0
        assert seen["polar_notes"] == 0 and seen["state_guids"] == [] and seen["undo"] == ""
        words = "Polar Sync: stopped as you asked, before it changed anything; the next sync does it."
    else:
        # Stopped between two batches: not failed, part of the notes added, no note twice.
        assert not seen["failed"] and not seen["interrupted"], seen
        added = seen["created"]
        assert 0 < added < info.cards, seen["stage"]
        assert seen["warnings"] == [["stopped_by_you", added, info.cards]]
        assert seen["polar_notes"] == seen["distinct"] == added
        # What was written is remembered, exactly: a state row for each note added.
        assert seen["state_guids"] == seen["guids"]
        assert seen["undo"] == "Sync from Polar"  # its one undo step
        words = (f"Polar Sync: stopped as you asked, after adding {added:,} of {info.cards:,} new notes; they "
                 "stay, and the next sync does the rest.")
    # Told in words, and the watcher's request queued meanwhile did not start a sync at once.
    assert f"<td>{words}</td>" in seen["tooltip"]  # (Anki's tooltip: its text in a table cell)
    assert seen["tooltip_fits"] == [True, True]  # (one line of ~740 px, wrapped to the window)
    assert seen["pending"] == []

    # The next change in Polar: that document's sync reads the whole library and adds the rest.
    assert seen["next_only"] is None and not seen["next_failed"]
    assert seen["next_created"] == info.cards - added
    assert seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["exit"] == 0

    log = synclog.read_log(tmp_path / "anki-base" / "addons21" / "polar_sync" / "user_files")
    assert any(entry.startswith(words) or words in entry for entry in log), log[:2]


def test_after_escape_and_a_restart_the_watchers_first_sync_adds_the_rest(tmp_path):
    """Escape while Tools ▸ Sync from Polar adds notes, then Anki quits at
    once. Started again (no sync at start), Polar's next change is the
    first sync: of one document, it reads the whole library (the sync state
    remembers the promise) and adds the rest, in one undo step, no note twice."""
    library, info, doc_key = _library(tmp_path)
    stopped = _drive(tmp_path, library, "restart", doc_key)
    assert not stopped["failed"] and not stopped["interrupted"], stopped
    added = stopped["created"]
    assert 0 < added < info.cards, stopped["stage"]
    assert stopped["warnings"] == [["stopped_by_you", added, info.cards]]
    assert stopped["state_guids"] == stopped["guids"] and stopped["rest_to_come"]
    assert stopped["exit"] == 0

    seen = _drive(tmp_path, library, "after_restart", doc_key)
    assert seen["next_only"] == [doc_key] and not seen["next_failed"]  # (the watcher asked for one document)
    assert seen["next_created"] == info.cards - added
    assert seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["next_undo"] == "Sync from Polar"
    assert seen["exit"] == 0


def test_escape_while_a_sync_updates_every_note_stops_it_between_two_batches(tmp_path):
    """A setting that shapes every note changed (the marker tag): Sync from
    Polar updates 20,000 notes, and Escape is pressed as it begins. It
    stops between two batches of 2,000: those saved stay (one undo step),
    the rest keep their old state rows, the person is told, and the next
    sync (the watcher's, of one document) updates the rest."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "updating", doc_key)
    assert seen["first_created"] == info.cards and seen["window_is_ours"], seen["stage"]
    assert not seen["failed"] and not seen["interrupted"], seen
    done = seen["updated"]
    assert seen["warnings"] == [["stopped_updating_by_you", done, info.cards]]
    assert 0 < done < info.cards and done % write.UPDATE_BATCH == 0, seen["stage"]
    assert seen["retagged"] == done and seen["created"] == 0
    assert seen["polar_notes"] == seen["distinct"] == info.cards
    assert seen["state_guids"] == seen["guids"]  # every note keeps a row: new or the last sync's
    assert seen["undo"] == "Sync from Polar"
    words = "Polar Sync: stopped as you asked, part-way through writing; what it wrote stays, and the next sync does " \
            "the rest."
    assert f"<td>{words}</td>" in seen["tooltip"]
    assert seen["tooltip_fits"] == [True, True]
    assert seen["pending"] == []

    assert seen["next_only"] is None and not seen["next_failed"]
    assert seen["next_updated"] == info.cards - done and seen["next_created"] == 0
    assert seen["next_retagged"] == seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["exit"] == 0


def test_stop_the_sync_in_the_menu_stops_a_background_sync_that_has_no_window(tmp_path):
    """Polar imported many books at once: the watcher's sync writes them
    without a window (nothing to press Escape in). Tools ▸ Polar Sync ▸
    Stop the sync, chosen by the keyboard (Alt+T, the submenu, Return), is
    enabled only while it runs; it stops the sync between two batches with
    the manual stop's words, and the next sync does the rest."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "quiet", doc_key)
    first, total = seen["first_created"], seen["total"]
    assert 0 < first < info.cards and total == 79
    assert not seen["stop_enabled_idle"] and seen["stop_enabled_busy"] and seen["stop_first"], seen
    assert seen["tools_opened"] and not seen["window"], seen["stage"]  # (a quiet write: no progress window)
    assert seen["stopping_said"] == "Polar Sync, in the background: Stopping the sync…"
    assert not seen["stop_enabled_stopping"] and not seen["stop_enabled_after"]
    assert not seen["failed"] and not seen["interrupted"], seen
    added = seen["created"]
    rest = info.cards - first
    assert 0 < added < rest, seen["stage"]
    assert seen["warnings"] == [["stopped_by_you", added, rest]]
    assert seen["polar_notes"] == seen["distinct"] == first + added
    assert seen["state_guids"] == seen["guids"] and seen["rest_to_come"]
    assert seen["undo"] == "Sync from Polar"
    words = (f"Polar Sync: stopped as you asked, after adding {added:,} of {rest:,} new notes; they "
             "stay, and the next sync does the rest.")
    assert f"<td>{words}</td>" in seen["tooltip"]
    assert seen["tooltip_fits"] == [True, True]
    assert seen["pending"] == []
    # The next change Polar saves (one document): the whole library, the rest added.
    assert seen["next_only"] is None and not seen["next_failed"]
    assert seen["next_created"] == rest - added
    assert seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["exit"] == 0


def test_stop_the_sync_in_the_menu_while_a_background_sync_reads_changes_nothing(tmp_path):
    """The same, chosen while the watcher's sync still reads (no tooltip
    yet): "Stopping the sync…" is said at once, nothing is written, and the
    next sync does it all."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "quiet_reading", doc_key)
    first = seen["first_created"]
    assert seen["stage"].startswith("Reading") and not seen["window"], seen["stage"]
    assert seen["stop_enabled_busy"] and not seen["stop_enabled_after"]
    assert seen["stopping_said"] == "Polar Sync, in the background: Stopping the sync…"
    assert seen["interrupted"] and seen["by_you"] and not seen["failed"], seen
    assert seen["created"] == 0 and seen["polar_notes"] == first and seen["rest_to_come"]
    words = "Polar Sync: stopped as you asked, before it changed anything; the next sync does it."
    assert f"<td>{words}</td>" in seen["tooltip"]
    assert seen["pending"] == []
    assert seen["next_only"] is None and seen["next_created"] == info.cards - first
    assert seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["exit"] == 0


def test_a_stop_asked_as_the_sync_is_put_back_in_the_queue_is_kept(tmp_path):
    """The person asks a sync to stop just as its reading ends and AnkiWeb
    begins syncing: the sync, which waits for AnkiWeb, was put back in the
    queue and ran again from the start after it, as if nobody had asked.
    Now it stops there, as asked (nothing written, the rest owed), and
    nothing of it runs after AnkiWeb's sync."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "requeue", doc_key)
    first = seen["first_created"]
    assert seen["interrupted"] and seen["by_you"] and not seen["failed"], seen
    assert seen["created"] == 0 and seen["polar_notes"] == first and seen["rest_to_come"]
    words = "Polar Sync: stopped as you asked, before it changed anything; the next sync does it."
    assert f"<td>{words}</td>" in seen["tooltip"]
    assert seen["after_release"] == [False, []] and seen["pending"] == []
    assert seen["next_only"] is None and seen["next_created"] == info.cards - first
    assert seen["next_polar_notes"] == seen["next_distinct"] == info.cards
    assert seen["exit"] == 0
