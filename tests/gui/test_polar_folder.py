"""The looks at the Polar folder's own threads (``polar_folder``), no Anki."""

from __future__ import annotations

import threading

from addon.gui import polar_folder


def test_a_folder_no_longer_looked_at_is_forgotten_and_a_stuck_one_kept(tmp_path, monkeypatch):
    """Anki open all day, the Polar folder changed in the settings again and
    again: each folder had its look thread's record for the rest of the
    session. An idle folder's record goes when another folder is looked at;
    one whose look is stuck (a share that does not answer) stays, so the
    next look there waits behind it."""
    monkeypatch.setattr(polar_folder, "_FOLDER_LOOKS", {})
    stuck, let_go = threading.Event(), threading.Event()
    dead = polar_folder.folder_looks(tmp_path / "dead-share", "polar-sync-look")
    dead.ask(lambda: (stuck.set(), let_go.wait()))
    stuck.wait()
    try:
        for n in range(20):
            job = polar_folder.folder_looks(tmp_path / f"folder{n}", "polar-sync-look").ask(lambda: True)
            job.done.wait()
        held = set(polar_folder._FOLDER_LOOKS)
        assert held == {("polar-sync-look", str(tmp_path / "dead-share")),
                        ("polar-sync-look", str(tmp_path / "folder19"))}, len(held)
        assert polar_folder.folder_looks(tmp_path / "dead-share", "polar-sync-look") is dead
    finally:
        let_go.set()
