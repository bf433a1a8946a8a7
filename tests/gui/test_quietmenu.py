"""Tools ▸ Polar Sync ▸ Stop the sync as a person meets it (real Anki in a
process of its own, quietmenu_driver.py, the built .ankiaddon): the entry
follows the sync while its menu is open, a choice with nothing to stop says
so, a background sync waiting for a pause in the person's work can be
dropped, and a first sync stopped before it wrote is remembered across a
restart."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import synthetic_library  # noqa: E402

from tests.gui.anki_output import media_server_noise_removed  # noqa: E402

CARDS = 3000


def _library(tmp_path: Path) -> Tuple[Path, Any, str]:
    library = tmp_path / "polar"
    info = synthetic_library.generate(library, documents=20, cards=CARDS)
    doc_key = sorted(p.name for p in library.iterdir() if (p / "state.json").exists())[0]
    return library, info, doc_key


def _drive(tmp_path: Path, library: Path, which: str, doc_key: str) -> Dict[str, Any]:
    addon_file = tmp_path / "polar_sync.ankiaddon"
    if not addon_file.exists():
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                       check=True, stdout=subprocess.DEVNULL)
    result = tmp_path / f"result-{which}.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("quietmenu_driver.py")), str(tmp_path / "anki-base"),
         str(library), str(addon_file), str(result), which, doc_key],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    for sign in ("Traceback", "CollectionNotOpen", "has been deleted", "Window should have been closed"):
        assert sign not in media_server_noise_removed(output), output[-4000:]
    seen: Dict[str, Any] = json.loads(result.read_text())
    return seen


def test_stop_the_sync_follows_the_sync_while_its_menu_is_open(tmp_path):
    """The submenu left open: Stop the sync becomes enabled as the
    watcher's sync begins and disabled again as it ends (it kept the state
    it had when the menu opened: enabled after the end, and choosing it then
    did nothing). Chosen with nothing to stop, it says so and changes nothing."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "open_menu", doc_key)
    assert 0 < seen["first_created"] < info.cards and seen["created"] == info.cards - seen["first_created"]
    assert seen["busy"] and seen["menu_still_open"]
    assert [seen["enabled_idle"], seen["enabled_running"]] == [False, True]
    assert seen["enabled_reopened"] == [True, True] and seen["enabled_after"] is False
    # A screen reader reads Anki's window title (Qt tells it when it changes): the sync said there while it
    # writes, with the way to stop it in the window's description; both back as it ends.
    assert seen["sign_shown"] and seen["title_idle"] == "Polar Test - Anki"
    assert seen["title_busy"] == "Polar Sync is syncing in the background – Polar Test - Anki"
    assert seen["description_busy"].startswith("Polar Sync")
    assert seen["description_busy"].endswith("To stop it: Tools ▸ Polar Sync ▸ Stop the sync")
    assert [seen["title_after"], seen["description_after"]] == ["Polar Test - Anki", ""]
    assert "<td>Polar Sync: no sync is running now; nothing was stopped.</td>" in seen["late_tooltip"]
    assert seen["late_changed"] == [False, 0, [], False]
    assert seen["exit"] == 0


def test_a_background_sync_waiting_for_a_pause_can_be_stopped_and_the_next_sync_does_it(tmp_path):
    """The person added a note, so the watcher's sync of the documents
    Polar imported waits for a pause in their work (nothing runs, nothing
    shows). Stop the sync is enabled; chosen by the keyboard, the waiting
    sync is dropped and will not start behind their back; the person is
    told; the next change in Polar (one document) brings everything."""
    library, info, doc_key = _library(tmp_path)
    seen = _drive(tmp_path, library, "waiting", doc_key)
    first = seen["first_created"]
    assert seen["waiting"] == "quiet" and not seen["busy"]
    assert seen["enabled_waiting"] and seen["enabled_shown"]
    words = ("Polar Sync: the sync that was waiting for a pause in your work will not run, as you asked; the next "
             "sync does it.")
    assert f"<td>{words}</td>" in seen["tooltip"]
    assert "[Polar Test · Polar saved a change (19 documents)]" in seen["log"][0] and words in seen["log"][0]
    # Nothing left to run later: no request, no timer; nothing written; the rest owed.
    assert seen["after"] == [False, "", [], False, 1]
    assert not seen["enabled_after"] and seen["rest_to_come"] and seen["polar_notes_after"] == first
    assert seen["next_only"] is None and seen["next_created"] == info.cards - first
    assert seen["polar_notes"] == seen["distinct"] == info.cards
    assert seen["exit"] == 0


def test_a_first_sync_stopped_before_it_wrote_is_remembered_after_a_restart(tmp_path):
    """A profile's first sync stopped before it wrote leaves no state file
    (the next sync must still be a first one: Anki backs up before it).
    After Anki is quit and started again (no sync at start), Polar's next
    change (one document) is a first sync of the whole library, as the stop's
    words promised ("the next sync does it"); then the mark is gone."""
    library, info, doc_key = _library(tmp_path)
    stopped = _drive(tmp_path, library, "first_stop", doc_key)
    assert stopped["busy"] and stopped["interrupted"] and stopped["by_you"]
    assert stopped["polar_notes"] == 0 and not stopped["state_file"]
    words = "Polar Sync: stopped as you asked, before it changed anything; the next sync does it."
    assert f"<td>{words}</td>" in stopped["tooltip"]
    assert stopped["exit"] == 0

    seen = _drive(tmp_path, library, "first_after", doc_key)
    assert not seen["state_file_before"]
    assert seen["next_only"] is None and not seen["next_failed"]
    assert seen["next_created"] == seen["polar_notes"] == seen["distinct"] == info.cards
    assert seen["backed_up"]  # (still a first sync: Anki backed the collection up)
    assert not seen["rest_to_come"] and seen["marks"] == [m for m in seen["marks"] if m.endswith(".sqlite")]
    assert seen["exit"] == 0
