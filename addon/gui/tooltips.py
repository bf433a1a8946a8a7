"""Anki's tooltip (and the add-on's notice) for a sentence or two: wrapped to
the window it shows in.

``aqt.utils.tooltip`` lays its text out on one line: "Polar Sync leaves this
profile alone: …" came out 533 px wide in English (German longer) over a
400 px Anki window, and its end, the step to take, was cut off. A message
wider than the window is wrapped to the window's width (at most a comfortable
reading width); a short one stays exactly as Anki draws it. Its menu paths
and folder paths are kept whole (``unbroken``)."""

from __future__ import annotations

from typing import Optional

import aqt
import aqt.utils
from aqt.qt import QLabel, QWidget
from aqt.utils import tooltip

from . import unbroken

MOST = 480  # (a line of about 70 characters)
LEAST = 240
MARGIN = 16


def long_tooltip(msg: str, period: int = 3000, parent: Optional[QWidget] = None) -> None:
    """``tooltip(msg, period, parent)``, wrapped to fit its window, its
    paths kept whole (``unbroken``: "…Tools ▸ Sync from Polar" broke after
    the "▸", "/home/…" after its leading slash)."""
    tooltip(unbroken.html(msg), period=period, parent=parent)
    label = getattr(aqt.utils, "_tooltipLabel", None)  # (Anki's own, in every version since 2.1)
    window = parent or aqt.mw.app.activeWindow() or aqt.mw
    if label is None or window is None:
        return
    wrap_to(label, window)


def room_in(window: QWidget) -> int:
    """The width a tooltip over ``window`` is wrapped to (when wider)."""
    return max(LEAST, min(MOST, window.width() - MARGIN))


# What Anki's tooltip puts around its text: its frame (2 px a side), its
# table's cell padding (10 px a side) and the table's own margins.
AROUND_TEXT = 2 * 2 + 2 * 10 + 2 * 4


def wrap_to(label: QLabel, window: QWidget) -> None:
    """A tooltip-like label (Anki's tooltip, the add-on's notice) wider
    than ``window``: wrapped to the window's width, its foot kept."""
    room = room_in(window)
    if label.sizeHint().width() <= room:
        return
    # Its foot kept where it was put: the lines added go up, not off the window's foot.
    bottom = label.y() + (label.height() if label.isVisible() else label.sizeHint().height())
    label.setWordWrap(True)
    label.setFixedWidth(room)
    label.setFixedHeight(label.heightForWidth(room))
    label.move(label.x(), bottom - label.height())
