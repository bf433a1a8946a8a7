"""The disk under Anki's folder fills up while Anki runs (real Anki in a
process of its own, full_disk_driver.py, its base folder on a 48 MB tmpfs;
root only, skipped elsewhere): Sync from Polar stops with the add-on's own
words for a full disk and nothing else; with room again, the next sync makes
the notes and the collection is whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gui.anki_output import our_tracebacks
from tests.mounts import tmpfs
from tests.polar_factory import copy_sample_library

pytestmark = pytest.mark.anki

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("mode", ["full", "readonly"])
def test_a_full_disk_under_anki_is_told_once_in_the_addons_words(tmp_path, mode):
    """full: the add-on's log line "sync stopped (collection_full)" could not
    be written either: Python's "--- Logging error ---" traceback on stderr,
    which Anki showed as its own box ("Your computer's storage may be
    full…") over the add-on's notice. readonly (the add-on's user_files
    folder): "an unexpected error in the add-on … please report it"."""
    with tmpfs(tmp_path / "disk", "48m") as disk:
        addon_file = tmp_path / "polar_sync.ankiaddon"
        subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon_file)],
                       check=True, stdout=subprocess.DEVNULL)
        library = copy_sample_library(tmp_path / "polar")
        result = tmp_path / "result.json"
        run = subprocess.run(
            [sys.executable, str(Path(__file__).with_name("full_disk_driver.py")), str(disk), str(library),
             str(addon_file), str(result), mode],
            capture_output=True, text=True, timeout=600, cwd=ROOT,
        )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-4000:]
    seen = json.loads(result.read_text())
    assert "Logging error" not in output and not our_tracebacks(output) and "sync failed" not in output, \
        output[-4000:]
    full = seen["full"]
    expected = "collection_full" if mode == "full" else "files_readonly"
    assert full["failed"] and [code for code, _ in full["errors"]] == [expected], full
    if mode == "readonly":
        assert full["errors"][0][1].endswith("user_files"), full  # the folder that cannot be written
    assert seen["windows_when_full"] == [], seen["windows_when_full"]
    again = seen["again"]
    # (read-only: the notes were written before the sync state could not be;
    # the next sync finds them instead of making them)
    assert not again["failed"] and not again["errors"] and again["created"] == (20 if mode == "full" else 0), again
    assert seen["polar_notes"] == seen["polar_before"] + 20, seen
    assert seen["integrity"] == "ok" and seen["windows"] == [], seen
