"""The GUI session's watch over modal boxes (conftest._ModalWatch): a box
nobody answers would hold the whole run until CI's limit; it is closed and
the test it fell in fails with its words instead."""

from __future__ import annotations

from typing import Any

from tests.gui.conftest import MODAL_LIMIT_S


def test_a_pages_alert_nobody_answers_is_closed_and_told(anki: Any) -> None:
    from aqt.qt import QApplication

    watch = anki.modals
    watch.limit = 1.0
    try:
        anki.mw.deckBrowser.show()
        anki.anki.process(0.5)
        # Anki shows a web page's alert() as a modal box (AnkiWebPage.javaScriptAlert).
        anki.mw.web.eval("alert('nobody answers this')")
        anki.anki.wait_until(lambda: len(watch.seen) >= 2, 30, "the box to be closed")
        seen = watch.take()
    finally:
        watch.limit = MODAL_LIMIT_S
    assert seen[0].startswith("a page's alert() (http://127.0.0.1:") and seen[0].endswith(": nobody answers this")
    assert seen[1] == "closed after 1 s: QMessageBox 'Anki': nobody answers this"
    assert QApplication.activeModalWidget() is None
