"""Anki started on a profile whose collection it cannot open (pages damaged,
or saved by a newer Anki), with Polar Sync installed (real Anki in a process
of its own, states_driver.py): the person sees Anki's own message and nothing
of the add-on's (no error box, no traceback), and the profile they open next
syncs from Polar as any other."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.anki_output import media_server_noise_removed
from tests.gui.states_driver import spoil
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
        [sys.executable, str(Path(__file__).with_name("states_driver.py")), str(base), str(library),
         str(addon_file), kind, str(result)],
        capture_output=True, text=True, timeout=400, cwd=ROOT,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    # ("unable to close collection: CollectionNotOpen" is Anki's own print after its message)
    for sign in ("Traceback", "Window should have been closed", "Exception"):
        assert sign not in media_server_noise_removed(output), output[-4000:]
    log = (base / "addons21" / "polar_sync" / "user_files" / "sync-log.txt").read_text(encoding="utf-8")
    return json.loads(result.read_text()), log, base


@pytest.mark.parametrize("kind,anki_says", [
    ("unopenable", "Anki was unable to open your collection file."),
    ("newer", "This profile requires a newer version of Anki to open."),
])
def test_a_profile_anki_cannot_open_shows_only_ankis_message_and_the_next_profile_syncs(tmp_path, kind, anki_says):
    seen, log, _ = _drive(tmp_path, kind)
    assert [w[2].split("\n")[0][: len(anki_says)] for w in seen["windows"]] == [anki_says], seen["windows"]
    assert seen["state"] == "deckBrowser" and seen["profile"] == "Other" and seen["notes"] == 6, seen
    assert "[Other · Sync when the profile opens]" in log and "6 new notes" in log, log
    assert "Polar Test" not in log, log  # nothing tried on the profile that did not open


def test_a_collection_damaged_inside_is_named_not_reported_as_the_addons_bug(tmp_path):
    """Anki opens a collection whose notes table is damaged (it finds out
    later, with its own "Your collection file appears to be corrupt"); the
    startup sync stopped with "The sync stopped because of an unexpected
    error in the add-on … please report it", under "Polar Sync", with a
    traceback in the console. Now the row names the collection file and
    says what to do (Check Database, a backup)."""
    seen, log, base = _drive(tmp_path, "damaged")
    # Only Anki's own message. (On Anki 23.10, which has no add-on logger,
    # the add-on's log line went to stderr, which Anki showed as its "An
    # error occurred … report the issue to the add-on author" box too.)
    assert [w[2][:40] for w in seen["windows"]] == ["Your collection file appears to be corru"], seen["windows"]
    collection = base / "Polar Test" / "collection.anki2"
    assert f"{collection} — This collection file is damaged, so the sync stopped. Use Tools ▸ Check Database;" \
        in log, log
    assert "unexpected error in the add-on" not in log, log
    # The summary line above it said "Polar Sync: nothing changed." and "0 documents (0 read …)" (eyes9).
    assert "nothing changed" not in log and "0 documents" not in log, log
    assert "Polar Sync: stopped " in log, log


def test_the_failures_that_are_the_collections_are_told_from_the_addons_bugs(tmp_path):
    """On real errors of Anki's backend: a full disk (a small tmpfs, root
    only) and a damaged notes table; anything else stays the add-on's."""
    import os

    from anki.collection import Collection

    from addon.gui.operations import failure_cause

    path = tmp_path / "damaged.anki2"
    col = Collection(str(path))
    col.add_note(col.new_note(col.models.by_name("Basic")), col.decks.id("Default"))
    col.close()
    spoil(path, "damaged")  # as the driver damages the profile's collection
    col = Collection(str(path))
    try:
        with pytest.raises(Exception) as damaged:
            col.db.all("select * from notes")
    finally:
        col.close()
    assert failure_cause(damaged.value) == "collection_damaged", damaged.value
    assert failure_cause(KeyError("x")) is None
    assert failure_cause(OSError(28, "No space left on device")) == "collection_full"
    # A file the sync writes on a read-only disk (the add-on's folder, the
    # collection's): was "an unexpected error in the add-on … please report it".
    import errno
    import sqlite3

    state = tmp_path / "state.sqlite"
    sqlite3.connect(str(state)).close()
    readonly = sqlite3.connect(state.as_uri() + "?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError) as refused:
        readonly.execute("CREATE TABLE t (x)")
    readonly.close()
    assert failure_cause(refused.value) == "files_readonly", refused.value
    assert failure_cause(OSError(errno.EROFS, "Read-only file system", "/media/stick/x")) == "files_readonly"

    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)], capture_output=True).returncode:
        return  # not root: the ENOSPC case above stands for it
    try:
        col = Collection(str(disk / "full.anki2"))
        with open(disk / "filler", "wb") as fh:
            st = os.statvfs(disk)
            fh.write(b"\0" * (st.f_bavail * st.f_frsize - 4096))
        with pytest.raises(Exception) as full:
            for _ in range(200):
                note = col.new_note(col.models.by_name("Basic"))
                note["Front"] = "x" * 20000
                col.add_note(note, col.decks.id("Default"))
        assert failure_cause(full.value) == "collection_full", full.value
        (disk / "filler").unlink()
        col.close()
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.parametrize("code", ["collection_damaged", "collection_full", "files_readonly", "sync_failed"])
def test_the_report_of_a_sync_that_stopped_does_not_say_everything_is_up_to_date(code):
    """A failed sync's report had "Everything is up to date." over the row
    saying the sync stopped."""
    from addon.gui.report_dialog import report_html

    data = {"errors": [{"path": "/p/collection.anki2", "message": "the sync stopped with DBError: x", "code": code}],
            "warnings": [], "conflicts": [], "created": 0, "updated": 0, "unchanged": 0}
    html = report_html(data, "Sync when the profile opens", 0)
    assert "The sync stopped before it was complete." in html
    assert "up to date" not in html and "everything else was" not in html
    assert "The sync could not go on; the problem says what to do, then sync again." in html
