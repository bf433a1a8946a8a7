"""Anki's tooltip for a sentence or two: wrapped to the window it shows in.

``aqt.utils.tooltip`` lays its text out on one line: "Polar Sync leaves this
profile alone: …" came out 533 px wide in English (German longer) over a
400 px Anki window, and its end, the step to take, was cut off. A message
wider than the window is wrapped to the window's width (at most a comfortable
reading width); a short one stays exactly as Anki draws it."""

from __future__ import annotations

from typing import Optional

import aqt
import aqt.utils
from aqt.qt import QWidget
from aqt.utils import tooltip

MOST = 480  # (a line of about 70 characters)
LEAST = 240
MARGIN = 16


def long_tooltip(msg: str, period: int = 3000, parent: Optional[QWidget] = None) -> None:
    """``tooltip(msg, period, parent)``, wrapped to fit its window."""
    tooltip(msg, period=period, parent=parent)
    label = getattr(aqt.utils, "_tooltipLabel", None)  # (Anki's own, in every version since 2.1)
    window = parent or aqt.mw.app.activeWindow() or aqt.mw
    if label is None or window is None:
        return
    room = max(LEAST, min(MOST, window.width() - MARGIN))
    if label.sizeHint().width() <= room:
        return
    bottom = label.geometry().bottom()  # (kept: the lines added go up, not off the window's foot)
    label.setWordWrap(True)
    label.setFixedWidth(room)
    label.setFixedHeight(label.heightForWidth(room))
    label.move(label.x(), bottom - label.height() + 1)
