"""A profile's collection held by two processes: the command-line sync and
real Anki with Polar Sync (in a process of its own, held_driver.py).

Anki's lock is SQLite's, and Anki's own backup (every 30 minutes, and the
add-on's before its first sync in a profile) drops it: the CLI synced into a
collection open in Anki, and Anki lost that sync when it wrote again
(reliability.md, round 5). The CLI now looks for any other process with the
file open. The other way round, Anki starting on a profile the CLI is
syncing shows Anki's own message; the CLI finishes, and the profile opened
again afterwards finds the CLI's notes (none made twice)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.anki_output import media_server_noise_removed
from tests.polar_factory import copy_sample_library

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]


def _drive(tmp_path: Path, kind: str):
    addon_file = tmp_path / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                   check=True, stdout=subprocess.DEVNULL)
    library = copy_sample_library(tmp_path / "polar")
    base = tmp_path / "anki-base"
    result = tmp_path / "result.json"
    run = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("held_driver.py")), str(base), str(library),
         str(addon_file), kind, str(result)],
        capture_output=True, text=True, timeout=400, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    for sign in ("Traceback", "Window should have been closed", "Exception"):
        assert sign not in media_server_noise_removed(output), output[-4000:]
    return json.loads(result.read_text()), base


def test_the_cli_on_a_profile_open_in_anki_says_in_use_and_anki_syncs_on(tmp_path):
    seen, base = _drive(tmp_path, "anki-first")
    collection = base / "Polar Test" / "collection.anki2"
    [(code, stdout, stderr)] = seen["cli"]
    assert (code, stdout, stderr) == (1, "", (
        f"polar_sync: the collection {collection} is in use (open in Anki, in another sync or in another "
        "program); close it there and run again\n")), seen["cli"]
    assert not [p.name for p in collection.parent.iterdir() if "polar-sync" in p.name]  # no state, no backup
    assert seen["windows"] == [] and seen["integrity"] == "ok", seen
    assert seen["notes"] == 8 and set(seen["polar_guids"].values()) == {1}, seen  # 1 + 6 + the new one
    assert "Polar Sync: 1 new note, 6 unchanged." in seen["log"], seen["log"]


def test_anki_opening_a_profile_the_cli_syncs_shows_its_message_and_the_next_open_finds_the_notes(tmp_path):
    seen, base = _drive(tmp_path, "cli-first")
    [(code, stdout, stderr)] = seen["cli"]
    assert code == 0 and "Polar Sync: 6 new notes." in stdout and stderr == "", seen["cli"]
    # Only Anki's own words while the CLI held it; the add-on tried nothing.
    assert [w[2][:45] for w in seen["windows"]] == ["Anki was unable to open your collection file."], seen
    assert seen["first_state"] == "profileManager", seen
    assert seen["state"] == "deckBrowser" and seen["integrity"] == "ok", seen
    assert seen["notes"] == 7 and set(seen["polar_guids"].values()) == {1} and len(seen["polar_guids"]) == 6, seen
    log = seen["log"]
    assert log.count("Sync when the profile opens") == 1 and "nothing changed (6 unchanged)" in log, log
