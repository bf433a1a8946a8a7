"""The first sync in a profile has Anki back the collection up before it
writes: it may change thousands of notes (Polar's old sync's, taken over),
and Edit ▸ Undo lasts only until Anki closes. Later syncs make none.

Shares the session's Anki (conftest.py), whose startup sync was its first.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.anki


def test_the_first_sync_backs_the_collection_up_and_later_ones_do_not(anki):
    mw = anki.mw
    anki.settle()  # the startup sync, written
    folder = Path(mw.pm.backupFolder())
    backups = sorted(folder.glob("*.colpkg"))
    # Anki itself backs up after 30 minutes or when the profile closes: this one is the add-on's.
    assert len(backups) == 1, backups
    with zipfile.ZipFile(backups[0]) as package:
        assert {"collection.anki21b", "meta"} <= set(package.namelist())
    anki.trigger_and_wait("Sync from Polar")
    assert sorted(folder.glob("*.colpkg")) == backups
