"""For the real-Anki drivers (``*_driver.py``): every window Anki or the
add-on puts up, noted and closed, as a person clicking it away would."""

from __future__ import annotations

import traceback
from typing import Any, Dict, List


class WindowsNoted:
    """Every ``every_ms`` (and at :meth:`look`), each visible message box or
    dialog but the main window and a progress window goes into ``seen`` as
    [class, title, text] and is closed."""

    def __init__(self, mw: Any, seen: List[List[str]], every_ms: int = 100) -> None:
        from aqt.qt import QTimer

        self.mw, self.seen = mw, seen
        self.timer = QTimer()
        self.timer.timeout.connect(self.look)
        self.timer.start(every_ms)

    def look(self) -> None:
        from aqt.qt import QApplication, QDialog, QLabel, QMessageBox, QTextBrowser

        for w in QApplication.topLevelWidgets():
            if w is self.mw or not w.isVisible() or not isinstance(w, (QMessageBox, QDialog)):
                continue
            if type(w).__name__ in ("ProgressDialog",):
                continue
            parts = [lbl.text() for lbl in w.findChildren(QLabel)]
            parts += [t.toPlainText().replace("\u2060", "") for t in w.findChildren(QTextBrowser)]
            text = w.text() if isinstance(w, QMessageBox) else " | ".join(parts)
            self.seen.append([type(w).__name__, w.windowTitle(), text[:600]])
            w.close()

    def stop(self) -> None:
        self.timer.stop()


class ExceptionsShown:
    """Every exception Anki shows in its error box (``aqt.errors.show_exception``:
    what a ``QueryOp`` or ``CollectionOp`` with no failure handler of its own
    calls, Anki's or an add-on's), noted into ``seen`` with its whole
    traceback (the op's frames on the thread it ran on) before Anki shows
    it as it would. The box alone says only the exception's text."""

    def __init__(self, seen: List[Dict[str, str]]) -> None:
        import aqt.errors
        import aqt.operations

        self.seen = seen
        original = aqt.errors.show_exception

        def noted(*, parent: Any, exception: Exception) -> None:
            seen.append({"type": type(exception).__name__, "text": str(exception),
                         "traceback": "".join(traceback.format_exception(type(exception), exception,
                                                                         exception.__traceback__))})
            original(parent=parent, exception=exception)

        for module in (aqt.errors, aqt.operations):  # (operations imported the name)
            if getattr(module, "show_exception", None) is original:
                module.show_exception = noted

    def close_ankis_own_races(self) -> List[Dict[str, str]]:
        """Anki's own boxes of an exception that is its race as a profile
        closes (``anki_output.ankis_close_race``), clicked away as a person
        would, and deleted: Anki keeps the last one (``aqt.errors._mbox``),
        a box of Anki's the counts of the add-on's windows are not about.
        Returns what they showed."""
        from aqt.qt import QApplication, QMessageBox, sip

        from tests.gui.anki_output import ankis_close_race

        races = [e for e in self.seen if ankis_close_race(e)]
        self.seen[:] = [e for e in self.seen if not ankis_close_race(e)]
        texts = {e["text"] for e in races}
        for w in QApplication.topLevelWidgets() if texts else []:
            try:
                box = isinstance(w, QMessageBox) and w.windowTitle() == "Anki" and w.text() in texts
            except RuntimeError:  # (a window Qt already deleted, its wrapper still listed)
                continue
            if box:
                w.close()
                sip.delete(w)  # (now: a deleteLater from outside Anki's loop was still pending at the count)
        return races
