"""A quiet sign that a background sync is writing, and how far it got.

Since a background write runs without Anki's modal "Processing…" window
(``operations._QuietCollectionOp``: that window took the keyboard from the
person typing), a large one (a startup sync after a big Polar import:
thousands of notes) showed nothing at all until its closing tooltip, many
seconds later: Anki's Browser and Add window waited for the collection
meanwhile, and the person could take Anki for hung and close it.

Once a quiet write has run ``SHOW_AFTER_MS``, Anki's own tooltip (a
``Qt.ToolTip`` window: it never takes the focus nor a key) says what the
sync is doing ("Adding notes… 1,200/8,000"), updated in place at each step,
until the write ends. A click on it hides it, as on any tooltip of Anki's;
another tooltip put up meanwhile (Anki's, another add-on's) is left alone.
Its second line says how to stop the sync (no window to press Escape in):
Tools ▸ Polar Sync ▸ Stop the sync; once asked, it says "Stopping the
sync…" at once (``show_now``), also while the sync still reads.
"""

from __future__ import annotations

import html
from typing import Any, Optional, cast

import aqt
import aqt.utils
from aqt.qt import QTimer, qconnect, sip

from .direction import in_anki
from .i18n import tr
from .tooltips import long_tooltip, wrap_to

# Later than Anki's own window (0.6 s): a short write
# (the watcher's usual one, a few notes) shows nothing but its notice.
SHOW_AFTER_MS = 1000
# Longer than any write: the tooltip goes when the write ends, not before.
PERIOD_MS = 3_600_000


class QuietProgress:
    def __init__(self, mw: Any) -> None:
        self.mw = mw
        self._timer = QTimer(mw)
        self._timer.setSingleShot(True)
        qconnect(self._timer.timeout, self._show)
        self._active = False
        self._words = ""
        self._label: Any = None
        self.text = ""  # what it says now ("" when not shown): for tests and the log

    @property
    def shown(self) -> bool:
        label = self._ours()
        return label is not None and bool(label.isVisible())

    def begin(self, words: str) -> None:
        """A quiet write starts (main thread)."""
        self.end()
        self._active = True
        self._words = words
        self._timer.start(SHOW_AFTER_MS)

    def say(self, words: str) -> None:
        """The write's next step, in the interface language (main thread)."""
        if not self._active or not words:
            return
        self._words = words
        label = self._ours()
        if label is not None and label.isVisible():
            self.text = self._line()
            label.setText(_table(self.text))
            label.adjustSize()
            wrap_to(label, label.parentWidget() or self.mw)  # (a longer step than the first: kept in its window)

    def show_now(self, words: str) -> None:
        """Say ``words`` now, shown or not yet (the sync was asked to stop:
        the person is answered at once, whatever the sync is doing)."""
        self._timer.stop()
        self._active = True
        self._words = words
        label = self._ours()
        if label is not None and label.isVisible():
            self.say(words)
        else:
            self._show()

    def end(self) -> None:
        """The write is over (written, failed or stopped)."""
        self._active = False
        self._timer.stop()
        label = self._ours()
        self._label = None
        self.text = ""
        if label is not None:
            aqt.utils.closeTooltip()

    def _line(self) -> str:
        line = html.escape(tr("Polar Sync, in the background: {step}", step=self._words))
        if self._words == tr("Stopping the sync…"):
            return line
        # (Tools ▸ Polar Sync ▸ Stop the sync: the menu's words in this language.)
        how = tr("To stop it: Tools ▸ Polar Sync ▸ {stop}", stop=tr("Stop the sync"))
        return line + "<br>" + html.escape(in_anki(how))  # (in a right-to-left Anki: the path left to right)

    def _show(self) -> None:
        if not self._active or self.mw.col is None:
            return
        self.text = self._line()
        # Over the window in front, as Anki's tooltips (the Add window, the Browser).
        long_tooltip(self.text, period=PERIOD_MS)
        self._label = getattr(aqt.utils, "_tooltipLabel", None)

    def _ours(self) -> Optional[Any]:
        """Our tooltip, while it is Anki's current one and alive."""
        label = self._label
        if label is None or getattr(aqt.utils, "_tooltipLabel", None) is not label:
            return None
        return None if sip.isdeleted(cast(Any, label)) else label


def _table(msg: str) -> str:
    # (As aqt.utils.tooltip lays its text out.)
    return f"""<table cellpadding=10>
<tr>
<td>{msg}</td>
</tr>
</table>"""
