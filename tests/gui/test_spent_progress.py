"""Anki's progress window leaves two timers behind on its main window each
time it is opened (``ProgressManager.start``: a busy-cursor and a show
timer, parented to the main window, dropped but never deleted by
``finish``), and Anki 23.10 the window itself, hidden: counted over syncs a
person starts, previews and stopped syncs, which open it (the watcher's
syncs do not). After the first of each, the main window's timers and
Anki's progress windows stay as many, sync after sync: give or take the
last sync's, which Anki may still hold when it ends (its window's close is
put off half a second once shown) and go at the next."""

from __future__ import annotations

from typing import Any, Tuple

import pytest

pytestmark = pytest.mark.anki

SYNCS_OWN = 4  # (two windows a sync: the reading's, the writing's or the comparing's; two timers each)


def _left(anki: Any) -> Tuple[int, int]:
    """The main window's timers, Anki's progress windows."""
    from aqt.progress import ProgressDialog
    from aqt.qt import QApplication, QCoreApplication, QEvent, QTimer

    # (The session's Anki waits with bare processEvents(), which runs no
    # deleteLater: run them, as Anki's own event loop does.)
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    return (len(anki.mw.findChildren(QTimer)),
            sum(1 for w in QApplication.topLevelWidgets() if isinstance(w, ProgressDialog)))


def _close_report(anki: Any) -> None:
    from aqt.qt import sip

    for window in (anki.controller.report_dialog, anki.controller.notice):
        if window is not None and not sip.isdeleted(window):
            window.close()


@pytest.mark.parametrize("what", ["Sync from Polar", "Preview (dry run)…", "stopped"])
def test_the_progress_windows_timers_and_hidden_windows_do_not_pile_up(anki: Any, what: str) -> None:
    c = anki.controller

    def once() -> None:
        if what == "stopped":
            count = c.runner.finished_count
            c.sync_now()
            anki.anki.wait_until(lambda: c.runner.stoppable or c.runner.finished_count > count, what="a sync")
            c.stop_sync()
            anki.wait_synced(count)
        else:
            anki.trigger_and_wait(what)
        anki.wait_progress_closed()
        anki.anki.process(0.05)
        _close_report(anki)

    anki.settle()
    once()
    timers, windows = _left(anki)
    for _ in range(4):
        once()
    now = _left(anki)
    assert now[0] - timers <= SYNCS_OWN  # (before: 4 a sync, 2 a stopped one: 16 and 8 here)
    assert now[1] - windows <= SYNCS_OWN // 2  # (before, on 23.10: 2 a sync, 1 a stopped one)
