"""For the real-Anki drivers (``*_driver.py``): every window Anki or the
add-on puts up, noted and closed, as a person clicking it away would."""

from __future__ import annotations

from typing import Any, List


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
