"""Notes of Polar's old sync that match no Polar card, in real Anki: the
notice mentions them once, the report lists them with "Show in Browser" and
"Suspend them" (one undo step), and a sync never changes them.

Shares the session's Anki (conftest.py); the test puts back what it changed.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anki


def test_leftovers_are_reported_shown_and_suspended_in_one_undo_step(anki, qtbot):
    from aqt import gui_hooks
    from aqt.browser import Browser
    from aqt.qt import QApplication, Qt, QTimer, QUrl, sip

    mw = anki.mw
    anki.set_config(watch=False)
    nid = 0
    try:
        anki.settle()
        col = mw.col
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "What is paging?", "Fixed-size memory blocks"
        note.tags = ["_polar-flashcard", "polar_guid:1GoneLongAgo01"]
        col.add_note(note, col.decks.id("Default"))
        nid = note.id
        fields = list(note.fields)

        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.report.legacy_leftovers == [nid]
        assert col.get_note(nid).fields == fields  # never changed by a sync
        notice = anki.controller.notice
        assert notice is not None and "1 note from Polar&#x27;s old sync to look at" in notice.text()
        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        dialog = anki.controller.report_dialog
        assert "no longer matches a Polar card" in dialog.browser.toPlainText()

        # The Browser's editor must have loaded the note before the window
        # closes (Anki 23.10 shows an error for an editor closed mid-load).
        loaded = []
        hook = lambda editor: loaded.append(editor.note.id if editor.note else 0)  # noqa: E731
        gui_hooks.editor_did_load_note.append(hook)
        dialog._on_link(QUrl(f"nid:{nid}"))  # the "Show in Browser" link

        def browser():
            return next((w for w in QApplication.topLevelWidgets() if isinstance(w, Browser) and w.isVisible()
                         and w.current_search() == f"nid:{nid}"), None)

        window = anki.anki.wait_until(browser, what="the Browser showing the old note")
        assert list(col.find_notes(window.current_search())) == [nid]
        try:
            anki.anki.wait_until(lambda: nid in loaded, what="the Browser's editor showing the old note")
        finally:
            gui_hooks.editor_did_load_note.remove(hook)
        # Anki moves a new Browser onto the screen by a 50 ms timer; a close
        # queued after it runs after it (timers fire in deadline order).
        QTimer.singleShot(60, window.close)
        anki.anki.wait_until(lambda: sip.isdeleted(window) or not window.isVisible(), what="the Browser to close")

        dialog._on_link(QUrl(f"polar-suspend:{nid}"))  # "Suspend them"
        anki.anki.wait_until(lambda: all(c.queue == -1 for c in col.get_note(nid).cards()),
                             what="the old note's cards suspended")
        assert col.undo_status().undo, "suspending is a step of Edit ▸ Undo"
        dialog.close()

        # The next sync: no longer reported, still untouched.
        again = anki.trigger_and_wait("Sync from Polar")
        assert again.report.legacy_leftovers == []
        assert col.get_note(nid).fields == fields
    finally:
        if nid:
            mw.col.remove_notes([nid])
        anki.set_config(watch=True)
        anki.settle()
