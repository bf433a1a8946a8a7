"""The add-on's document window: a PDF at a card's page, with the
highlight's rectangles drawn over it.

Pages are rendered by Qt PDF (``QPdfDocument.render``) into an image that
this window paints itself, so the highlight overlay is exact at any size:
Polar's rects are fractions of the page (``Spot.fractions``) and the image
is the page. One page at a time, fitted to the window's width; page
navigation by buttons, the page box and the keyboard (←/→, PgUp/PgDn with
Ctrl, Home/End); a button opens the file in the system's viewer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional

from aqt.qt import (
    QColor,
    QDesktopServices,
    QHBoxLayout,
    QImage,
    QKeySequence,
    QLabel,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPushButton,
    QRectF,
    QResizeEvent,
    QScrollArea,
    QShortcut,
    QSize,
    QSpinBox,
    Qt,
    QTimer,
    QUrl,
    QVBoxLayout,
    QWidget,
    qconnect,
)

from ..polar.originals import Fractions, Spot
from . import pdf_support
from .folding_row import FoldingRow
from .i18n import tr

# Polar's highlight colours (its palette), drawn translucent over the page.
_COLORS = {
    "yellow": "#ffeb3b",
    "red": "#ff6d6d",
    "green": "#6ddf6d",
    "blue": "#7aa7ff",
}
_DEFAULT_COLOR = "#ffeb3b"


def highlight_color(name: str) -> QColor:
    color = QColor(_COLORS.get((name or "").lower(), name or _DEFAULT_COLOR))
    return color if color.isValid() else QColor(_DEFAULT_COLOR)


class PageView(QWidget):
    """One rendered page and the highlight's rectangles over it."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._image: Optional[QImage] = None
        self._marks: List[Fractions] = []
        self._color = QColor(_DEFAULT_COLOR)

    def show_page(self, image: QImage, marks: List[Fractions], color: QColor) -> None:
        self._image, self._marks, self._color = image, marks, color
        ratio = image.devicePixelRatio() or 1.0
        self.setFixedSize(QSize(round(image.width() / ratio), round(image.height() / ratio)))
        self.update()

    def mark_rects(self) -> List[QRectF]:
        """The highlight's rectangles in this widget's coordinates."""
        w, h = self.width(), self.height()
        return [QRectF(x * w, y * h, fw * w, fh * h) for x, y, fw, fh in self._marks]

    def paintEvent(self, event: Optional[QPaintEvent]) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("white"))
            if self._image is not None:
                painter.drawImage(QRectF(0, 0, self.width(), self.height()), self._image)
            if self._marks:
                fill = QColor(self._color)
                fill.setAlpha(90)
                outline = QColor(self._color).darker(150)
                painter.setPen(QPen(outline, 1.5))
                for rect in self.mark_rects():
                    painter.fillRect(rect, fill)
                    painter.drawRect(rect)
        finally:
            painter.end()


class DocumentWindow(QWidget):
    """A document's pages, opened at a card's page. Never modal: studying
    goes on beside it."""

    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        assert pdf_support.QPdfDocument is not None
        self.document: Any = pdf_support.QPdfDocument(self)
        self.path: Optional[Path] = None
        self.title = ""
        self.spot = Spot(0)
        self.current_page = 0  # 1-based; 0 before a document is open
        self.rendered_page = 0  # the page the view shows (after rendering)

        self.prev_button = QPushButton("◀", self)
        self.prev_button.setToolTip(tr("Previous page"))
        self.next_button = QPushButton("▶", self)
        self.next_button.setToolTip(tr("Next page"))
        self.page_box = QSpinBox(self)
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.count_label = QLabel(self)
        self.system_button = QPushButton(tr("Open in system viewer"), self)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.view = PageView(self)
        self.scroller = QScrollArea(self)
        self.scroller.setWidget(self.view)
        self.scroller.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.scroller.setBackgroundRole(QPalette.ColorRole.Dark)

        for arrow in (self.prev_button, self.next_button):
            # As wide as an arrow needs, not as a word (Anki pads every
            # button by 15 px a side, 25 on Windows).
            arrow.setStyleSheet("padding-left: 8px; padding-right: 8px;")
        pages = QWidget(self)
        bar = QHBoxLayout(pages)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.page_box)
        bar.addWidget(self.count_label)
        bar.addWidget(self.next_button)
        # The system viewer's button goes under the pages' when the window
        # is narrow (its label is long in French, German, Portuguese).
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(FoldingRow([pages, self.system_button], self, last_right=True))
        layout.addWidget(self.message)
        layout.addWidget(self.scroller, 1)

        qconnect(self.prev_button.clicked, lambda: self.go_to(self.current_page - 1))
        qconnect(self.next_button.clicked, lambda: self.go_to(self.current_page + 1))
        qconnect(self.page_box.valueChanged, self.go_to)
        qconnect(self.system_button.clicked, self.open_in_system_viewer)
        for keys, step in (("Left", -1), ("Right", 1), ("Ctrl+PgUp", -1), ("Ctrl+PgDown", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            qconnect(shortcut.activated, lambda step=step: self.go_to(self.current_page + step))
        qconnect(QShortcut(QKeySequence("Home"), self).activated, lambda: self.go_to(1))
        qconnect(QShortcut(QKeySequence("End"), self).activated, lambda: self.go_to(self.page_count))
        qconnect(QShortcut(QKeySequence("Esc"), self).activated, self.close)

        # Re-render to the new width once resizing pauses.
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        qconnect(self._resize_timer.timeout, self._render)
        self.resize(760, 900)

    @property
    def page_count(self) -> int:
        return int(self.document.pageCount())

    def open(self, path: Path, title: str, spot: Spot) -> bool:
        """Show ``path`` at ``spot``; False when Qt PDF cannot read the file
        (the window then says so and offers the system viewer)."""
        self.path, self.title, self.spot = path, title, spot
        self.document.close()
        error = self.document.load(str(path))
        ok = error == type(error).None_ and self.page_count > 0
        self.message.setVisible(not ok)
        for widget in (self.prev_button, self.next_button, self.page_box, self.scroller):
            widget.setEnabled(ok)
        if not ok:
            self.current_page = self.rendered_page = 0
            self.message.setText(tr("This file cannot be shown here; open it in the system viewer."))
            self.setWindowTitle(title)
            return False
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(self.page_count)
        self.page_box.blockSignals(False)
        self.count_label.setText(tr("of {n}", n=self.page_count))
        self.current_page = 0
        self.go_to(min(max(spot.page, 1), self.page_count))
        return True

    def go_to(self, page: int) -> None:
        if not self.page_count:
            return
        page = min(max(page, 1), self.page_count)
        if page == self.current_page:
            return
        self.current_page = page
        self.page_box.blockSignals(True)
        self.page_box.setValue(page)
        self.page_box.blockSignals(False)
        self.prev_button.setEnabled(page > 1)
        self.next_button.setEnabled(page < self.page_count)
        self.setWindowTitle(tr("{title} — p. {page}", title=self.title, page=page))
        self._render()
        self._show_highlight()

    def marks(self) -> List[Fractions]:
        """The highlight's rects on the current page, as fractions of it."""
        if self.current_page != self.spot.page or not self.spot.rects:
            return []
        size = self.document.pagePointSize(self.current_page - 1)
        return self.spot.fractions((size.width(), size.height()))

    def _render(self) -> None:
        if not self.current_page:
            return
        index = self.current_page - 1
        points = self.document.pagePointSize(index)
        if points.width() <= 0 or points.height() <= 0:
            return
        ratio = self.devicePixelRatioF() or 1.0
        width = max(self._viewport_size().width() - 12, 240)
        height = width * points.height() / points.width()
        image = self.document.render(index, QSize(round(width * ratio), round(height * ratio)))
        image.setDevicePixelRatio(ratio)
        self.view.show_page(image, self.marks(), highlight_color(self.spot.color))
        self.rendered_page = self.current_page

    def _show_highlight(self) -> None:
        rects = self.view.mark_rects()
        if rects:
            first = rects[0]
            self.scroller.ensureVisible(int(first.center().x()), int(first.center().y()), 50,
                                        max(self._viewport_size().height() // 3, 50))
        else:
            bar = self.scroller.verticalScrollBar()
            if bar is not None:
                bar.setValue(0)

    def _viewport_size(self) -> QSize:
        viewport = self.scroller.viewport()
        return viewport.size() if viewport is not None else self.scroller.size()

    def resizeEvent(self, event: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.current_page:
            self._resize_timer.start(120)

    def open_in_system_viewer(self) -> None:
        if self.path is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
