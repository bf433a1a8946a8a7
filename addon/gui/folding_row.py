"""A row of widgets that folds into a column when the window is too narrow
for it: German and French labels made the settings window and the document
window wider than 400 px (a row's minimum width is the sum of its parts;
this one's is its widest part)."""

from __future__ import annotations

from typing import List, Optional

from aqt.qt import QBoxLayout, QLayout, QResizeEvent, QSize, Qt, QWidget


class FoldingRow(QWidget):
    """``widgets`` side by side, left-aligned (``last_right``: the last one
    at the right end), or one under the other, left-aligned."""

    def __init__(self, widgets: List[QWidget], parent: Optional[QWidget] = None, last_right: bool = False) -> None:
        super().__init__(parent)
        self.parts = widgets
        self.box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.box.setContentsMargins(0, 0, 0, 0)
        self.box.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        for i, widget in enumerate(widgets):
            widget.setParent(self)
            if last_right and i == len(widgets) - 1:
                self.box.addStretch(1)
            self.box.addWidget(widget, 0, Qt.AlignmentFlag.AlignLeft)
        if not last_right:
            self.box.addStretch(1)

    def side_by_side(self) -> int:
        """The width the row needs to keep its parts on one line."""
        return sum(w.sizeHint().width() for w in self.parts) + self.box.spacing() * (len(self.parts) - 1)

    def minimumSizeHint(self) -> QSize:
        return QSize(max(w.sizeHint().width() for w in self.parts), super().minimumSizeHint().height())

    def resizeEvent(self, evt: Optional[QResizeEvent]) -> None:
        wanted = (QBoxLayout.Direction.LeftToRight if self.width() >= self.side_by_side()
                  else QBoxLayout.Direction.TopToBottom)
        if self.box.direction() != wanted:
            self.box.setDirection(wanted)
            self.updateGeometry()  # one line or two: the height changes
        super().resizeEvent(evt)
