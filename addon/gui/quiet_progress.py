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
import re
from typing import Any, Optional, cast

import aqt
import aqt.utils
from aqt.qt import QApplication, QFontMetrics, QTimer, qconnect, sip

from . import unbroken
from .direction import in_anki
from .i18n import tr
from .tooltips import AROUND_TEXT, long_tooltip, room_in, wrap_to

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
        # Anki's window title before ours, and ours (None: not ours now): see _say_in_title.
        self._anki_title = ""
        self._our_title: Optional[str] = None

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
            self._say_in_title(tr("Polar Sync, in the background: {step}", step=words))
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
            # Hidden now: Anki's closeTooltip only deletes it later, and a
            # write that ends as Anki quits (the profile's close waits for
            # it) left it on screen at Anki's check for windows left open:
            # "Window should have been closed: QLabel" (its Python side gone).
            label.hide()
            aqt.utils.closeTooltip()
        self._say_in_title(None)

    def _say_in_title(self, words: Optional[str]) -> None:
        """Screen readers do not announce Anki's tooltip (a QLabel in a
        ``Qt.ToolTip`` window, not an alert), and PyQt6 has no
        ``QAccessible`` to send an announcement with (Qt 6.8's
        ``QAccessibleAnnouncementEvent`` included). Anki's window title a
        screen reader reads on demand (NVDA+T, Orca's and VoiceOver's
        "where am I"; Qt gives it as the window's name): while the sign is
        up the title says a sync runs in the background (or is stopping),
        and the window's accessible description says how to stop it; both
        go back as the write ends (the title only if Anki did not set one
        of its own meanwhile). Not checked with a screen reader."""
        mw = self.mw
        if words is None:
            if self._our_title is not None:
                if mw.windowTitle() == self._our_title:
                    mw.setWindowTitle(self._anki_title)
                mw.setAccessibleDescription("")
            self._our_title = None
            return
        current = mw.windowTitle()
        if self._our_title is None or current != self._our_title:
            self._anki_title = current  # (Anki's, or one Anki set meanwhile)
        self._our_title = in_anki(f"{words} – {self._anki_title}")
        mw.setWindowTitle(self._our_title)
        mw.setAccessibleDescription(_plain(self.text))

    def _line(self) -> str:
        line = _kept_whole(self._words, aqt.mw.app.activeWindow() or self.mw)
        if self._words == tr("Stopping the sync…"):
            return line
        return line + "<br>" + _way_to_stop(aqt.mw.app.activeWindow() or self.mw)

    def _show(self) -> None:
        if not self._active or self.mw.col is None:
            return
        self.text = self._line()
        # Over the window in front, as Anki's tooltips (the Add window, the Browser).
        long_tooltip(self.text, period=PERIOD_MS)
        self._label = getattr(aqt.utils, "_tooltipLabel", None)
        stopping = self._words == tr("Stopping the sync…")
        self._say_in_title(tr("Polar Sync, in the background: {step}", step=self._words) if stopping
                           else tr("Polar Sync is syncing in the background"))

    def _ours(self) -> Optional[Any]:
        """Our tooltip, while it is Anki's current one and alive."""
        label = self._label
        if label is None or getattr(aqt.utils, "_tooltipLabel", None) is not label:
            return None
        return None if sip.isdeleted(cast(Any, label)) else label


# A step's last word and its figures ("notes… 4,000/19,652").
_WORD_AND_FIGURES = re.compile(r"\S+ [\d(].*$")
# A step's figures, from the first ("1,234 / 5,678 MB（100%）").
_FIGURES = re.compile(r" ([\d(].*)$")


def _kept_whole(step: str, window: Any) -> str:
    """The first line, as HTML: "Polar Sync, in the background: {step}" on
    one line when it fits the tooltip over ``window``; else the step on a
    line of its own, not broken (``<nobr>``), when that fits (every step
    of every language at 400 px: tests/gui/test_words.py lays them out),
    and at the least its figures kept with the word before them. Wrapped as
    any text, a 400 px window's tooltip read "…, in the background: Adding
    notes…" with "19,652/19,652" alone on the next line; German broke
    "Polar-|Dokumente", Japanese between any two characters."""
    room = room_in(window) - AROUND_TEXT
    metrics = QFontMetrics(QApplication.font("QLabel"))
    whole = tr("Polar Sync, in the background: {step}", step=step)
    if metrics.horizontalAdvance(whole) <= room:
        return html.escape(whole)
    before, _, after = tr("Polar Sync, in the background: {step}", step="\0").partition("\0")
    # (joined: <nobr> keeps spaces only; with a Japanese font Qt broke
    # "…5,678 MB|（100%）" before the full-width bracket)
    if metrics.horizontalAdvance(step) <= room:
        kept = f"<nobr>{html.escape(unbroken.joined(step))}</nobr>"
    else:
        found = _WORD_AND_FIGURES.search(step)
        figures = _FIGURES.search(step)
        if found is not None and figures is not None and unbroken.cjk(found.group()):
            # Japanese and Chinese: the "word" before the figures is all the words
            # (no space between them): the words whole on a line, the figures whole
            # on the next. Kept with its figures, a 400 px Japanese tooltip left
            # "Polar" alone on a line, "のエクスポートを読み込み中… 1,234 / 5,678
            # MB（100%）" on the next.
            kept = (f"<nobr>{html.escape(unbroken.joined(step[:figures.start()]))}</nobr> "
                    f"<nobr>{html.escape(unbroken.joined(figures.group(1)))}</nobr>")
        else:
            kept = html.escape(step) if found is None else (
                html.escape(step[:found.start()]) + f"<nobr>{html.escape(unbroken.joined(found.group()))}</nobr>")
    return html.escape(before.rstrip()) + "<br>" + kept + html.escape(after)


def _plain(html_text: str) -> str:
    """The tooltip's words without their tags (its lines: lines)."""
    return unbroken.plain(html.unescape(re.sub(r"<[^>]+>", "", html_text.replace("<br>", "\n")))).replace(
        unbroken.NBSP, " ")


# The menu path in "To stop it: Tools ▸ Polar Sync ▸ {stop}": from the word before its first "▸".
_MENU_PATH = re.compile(r"[^\s:：]+ ▸ ")


def _way_to_stop(window: Any) -> str:
    """The tooltip's second line, as HTML: Tools ▸ Polar Sync ▸ Stop the
    sync in this language's words, the path kept on one line when it fits
    the tooltip over ``window`` (else at least the entry's name whole). At
    400 px "Detener la" ended a line and "sincronización" began the next;
    then French, Spanish and Portuguese broke the path itself ("Outils ▸
    Polar Sync ▸" | "Arrêter la synchronisation"): a person looks for the
    path, so it breaks after "To stop it:" instead. (In a right-to-left
    Anki: the path left to right.)"""
    name = tr("Stop the sync")
    how = in_anki(tr("To stop it: Tools ▸ Polar Sync ▸ {stop}", stop="\0"))
    found = _MENU_PATH.search(how)
    path = how[found.start():] if found is not None else ""
    metrics = QFontMetrics(QApplication.font("QLabel"))
    if path and metrics.horizontalAdvance(path.replace("\0", name)) <= room_in(window) - AROUND_TEXT:
        lead = how[:found.start()] if found is not None else ""
        # (Whole: no-break spaces and word joiners, which Qt honours in Japanese and Chinese
        # too; ``<nobr>`` held only its spaces: unbroken.)
        return html.escape(lead) + html.escape(unbroken.whole(path.replace("\0", name)))
    return html.escape(how).replace("\0", html.escape(unbroken.joined(name)))


def _table(msg: str) -> str:
    # (As aqt.utils.tooltip lays its text out.)
    return f"""<table cellpadding=10>
<tr>
<td>{msg}</td>
</tr>
</table>"""
