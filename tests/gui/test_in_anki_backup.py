"""The first sync in a profile has Anki back the collection up before it
writes: it may change thousands of notes (Polar's old sync's, taken over),
and Edit ▸ Undo lasts only until Anki closes. Later syncs make none.

Shares the session's Anki (conftest.py), whose startup sync was its first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.anki


def test_the_first_sync_backs_the_collection_up_and_later_ones_do_not(anki, tmp_path):
    from anki._backend import RustBackend
    from anki.collection import Collection

    mw = anki.mw
    anki.settle()  # the startup sync, written
    assert mw.col.find_notes("tag:polar")
    folder = Path(mw.pm.backupFolder())
    backups = sorted(folder.glob("*.colpkg"))  # named by their time
    assert backups, "no backup before the first sync"
    # The oldest is from before the first sync: no note of it in there. (Anki's
    # own come after 30 minutes or when a profile closes, after that sync.)
    restored = tmp_path / "collection.anki2"
    RustBackend().import_collection_package(col_path=str(restored), backup_path=str(backups[0]),
                                            media_folder=str(tmp_path / "media"),
                                            media_db=str(tmp_path / "media.db"))
    col = Collection(str(restored))
    try:
        assert not col.find_notes("tag:polar")
    finally:
        col.close()
    anki.trigger_and_wait("Sync from Polar")
    assert sorted(folder.glob("*.colpkg")) == backups
    # The first sync's log entry and report say there is a backup, and how to go back
    # (eyes9: the report of a first sync that took over 1,865 notes did not say so).
    from addon.gui import synclog
    from addon.gui.report_dialog import report_html
    from addon.gui.report_text import backup_words

    entries = synclog.read_log(anki.addon_dir / "user_files", newest_first=False)
    first = next(e for e in entries if "Sync when the profile opens" in e)
    assert backup_words() in first, first
    assert backup_words().startswith("Before this first sync, Anki backed up your collection: Edit ▸ Undo")
    assert "Open Backup…" in backup_words()
    assert backup_words() not in entries[-1], entries[-1]  # the sync by hand made none
    outcome = anki.controller.last_outcome
    assert not outcome.backed_up
    assert backup_words() in report_html({"created": 3, "backup": True}, "Sync when the profile opens", 0)
    assert backup_words() not in report_html({"created": 3}, "manual", 0)
