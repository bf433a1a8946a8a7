"""The add-on's document window: a PDF at a card's page, with the
highlight's rectangles drawn over it.

Pages are rendered by Qt PDF into an image that this window paints itself,
so the highlight overlay is exact at any size: Polar's rects are fractions
of the page (``Spot.fractions``) and the image is the page. One page at a
time, fitted to the window's width; page navigation by buttons, the page
box and the keyboard (←/→, PgUp/PgDn with Ctrl, Home/End); a button opens
the file in the system's viewer.

Rendering never runs on Anki's main thread: a page of a scanned book (one
300-dpi image) takes 100-160 ms to draw, and Anki's whole window (the
reviewer too) would freeze that long on every open, page turn and resize.
Qt's ``QPdfPageRenderer`` draws on its own thread; PyQt6 does not bind its
``pageRendered`` signal, so it reaches :meth:`DocumentWindow.on_renderer_pageRendered`
through ``QMetaObject.connectSlotsByName`` (the renderer is the child named
"renderer"). Qt PDF guards pdfium with one global mutex, so any
``QPdfDocument`` call made here while the renderer's thread draws (a page's
size, ``load``, closing or deleting a document) would wait for that page.
Hence the rules of this window:

* one render in flight at a time, and no ``QPdfDocument`` call while it is:
  the page count is read at load, a page's size just before its page is
  requested (reading all of them at open costs ~0.7 ms a page: 270 ms for a
  400-page book);
* what is asked for meanwhile (page turns, a resize, another document) is
  only remembered: when the page in flight arrives, the latest wish is
  rendered and the pages wished in between are never drawn; a document
  replaced while its page renders is deleted, and the next one loaded,
  after that page arrived;
* while a page renders the view shows the page already drawn, scaled (a
  resize), or a blank page with a light "…" (a page turn), never a
  highlight on a page it does not belong to; a resize renders once, after
  it settled (120 ms without another).

:attr:`DocumentWindow.rendering` says whether the view still waits for a
page (tests and tools wait for it to be False).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Set, Tuple

from aqt.qt import (
    QApplication,
    QBuffer,
    QByteArray,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QEvent,
    QFont,
    QHBoxLayout,
    QImage,
    QIODevice,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMetaObject,
    QObject,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPushButton,
    QRectF,
    QResizeEvent,
    QScrollArea,
    QShortcut,
    QShowEvent,
    QSize,
    QSpinBox,
    Qt,
    QTimer,
    QUrl,
    QVBoxLayout,
    QWidget,
    pyqtSlot,
    qconnect,
    sip,
)

from ..polar.originals import Fractions, Spot
from . import direction, pdf_support, unbroken
from .folding_row import FoldingRow
from .i18n import tr
from .polar_folder import Body, stamp_of

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


Points = Tuple[float, float]  # a page's size in PDF points
_LETTER: Points = (612.0, 792.0)  # the blank page's shape before any page's size is known
_RESIZE_SETTLES_MS = 120
# The zoom steps (1: the page fitted to the window's width) and the most
# pixels a page is drawn with (a 14,400-pt-tall page at 3x zoom on a HiDPI
# screen would be gigabytes; past this the page is drawn smaller and scaled).
_ZOOMS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)
_MAX_PIXELS = 36_000_000


class _Flight(NamedTuple):
    """The one page the renderer's thread is drawing."""

    request: int  # the renderer's id of the request
    generation: int  # which loaded document (DocumentWindow._generation)
    page: int  # 1-based
    pixels: QSize  # what was asked for
    width: int  # the view's width it was asked for (logical px)
    ratio: float  # device pixels per logical pixel


class PageView(QWidget):
    """One rendered page and the highlight's rectangles over it, or a blank
    page with a light "…" while its page is being drawn."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._image: Optional[QImage] = None
        self._marks: List[Fractions] = []
        self._color = QColor(_DEFAULT_COLOR)
        self.failed_text = ""  # said on a page Qt PDF cannot draw, instead of the "…"

    def show_page(self, image: QImage, marks: List[Fractions], color: QColor, size: QSize) -> None:
        """``image`` scaled to ``size`` (logical px): the page as rendered
        for this size, or for another one until it is rendered again."""
        self._image, self._marks, self._color = image, marks, color
        self.failed_text = ""
        self.setFixedSize(size)
        self.update()

    def show_placeholder(self, size: QSize, failed_text: str = "") -> None:
        """A blank page of ``size``: with a light "…" while it is drawn, or
        ``failed_text`` when it cannot be."""
        self._image, self._marks, self.failed_text = None, [], failed_text
        self.setFixedSize(size)
        self.update()

    @property
    def is_placeholder(self) -> bool:
        return self._image is None

    def mark_rects(self) -> List[QRectF]:
        """The highlight's rectangles in this widget's coordinates."""
        w, h = self.width(), self.height()
        return [QRectF(x * w, y * h, fw * w, fh * h) for x, y, fw, fh in self._marks]

    def paintEvent(self, event: Optional[QPaintEvent]) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        try:
            painter.fillRect(self.rect(), QColor("white"))
            if self._image is None:
                font = QFont(painter.font())
                if self.failed_text:
                    painter.setPen(QColor(0, 0, 0, 160))
                    painter.drawText(QRectF(self.rect()).adjusted(12, 12, -12, -12),
                                     int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap), self.failed_text)
                    return
                font.setPixelSize(max(self.width() // 12, 12))
                painter.setFont(font)
                painter.setPen(QColor(0, 0, 0, 60))
                painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, "…")
                return
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
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
    goes on beside it. See the module's docstring for how pages are drawn
    off Anki's main thread."""

    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        assert pdf_support.QPdfDocument is not None and pdf_support.QPdfPageRenderer is not None
        # The renderer's thread draws every page; documents are its children,
        # so the window's end waits for a page in flight before freeing them.
        self._renderer: Any = pdf_support.QPdfPageRenderer(self)
        self._renderer.setObjectName("renderer")
        self._renderer.setRenderMode(pdf_support.QPdfPageRenderer.RenderMode.MultiThreaded)
        self.document: Any = None  # the loaded QPdfDocument, None before (or when it cannot be read)
        self._retired: List[Any] = []  # documents replaced while a page rendered: deleted once it arrived
        self._generation = 0  # one per document loaded
        self._page_count = 0
        self._loaded: Optional[Tuple[Path, Tuple[int, int]]] = None  # path and (size, mtime) loaded
        self._sizes: Dict[int, Points] = {}  # page → size in points, read when it was requested
        self._labels: Dict[int, str] = {}  # page → the number printed on it (PDF page labels), read with its size
        self._last_points: Points = _LETTER
        self._flight: Optional[_Flight] = None
        self._image: Optional[QImage] = None  # the last page rendered ...
        self._image_key: Optional[Tuple[int, int, int, float]] = None  # ... (generation, page, width, ratio)
        self._pending_open: Optional[Tuple[Path, str, Spot, Optional[Tuple[int, int]], Any]] = None
        self._if_unreadable: Optional[Callable[[], None]] = None
        self._scroll_to_mark = False
        self._land = "mark"  # where a page turned to is shown: "mark" (the highlight), "top" or "bottom"
        self._failed: Set[Tuple[int, int]] = set()  # (generation, page) Qt PDF could not size or draw
        self._zoom = 1.0
        # The window that was active when this one was brought up (the
        # reviewer's, a previewer's): active again when this one closes.
        self.return_to: Optional[QWidget] = None
        self.path: Optional[Path] = None
        self.title = ""
        self.spot = Spot(0)
        self.current_page = 0  # 1-based; 0 before a document is open
        self.rendered_page = 0  # the page the view shows rendered (0: none, or a blank page while it renders)

        self.prev_button = QPushButton("◀", self)
        self.prev_button.setToolTip(tr("Previous page"))
        self.prev_button.setAccessibleName(tr("Previous page"))  # (a screen reader read the arrow's glyph)
        self.next_button = QPushButton("▶", self)
        self.next_button.setToolTip(tr("Next page"))
        self.next_button.setAccessibleName(tr("Next page"))  # (a screen reader read the arrow's glyph)
        self.page_box = QSpinBox(self)
        self.page_box.setMinimum(1)
        self.page_box.setKeyboardTracking(False)
        self.count_label = QLabel(self)
        self.system_button = QPushButton(tr("Open outside Anki"), self)  # (the PDF's and the book's alike)
        self.system_button.setToolTip(tr("Opens the file in the program this computer opens such files with "
                                         "(your PDF or e-book reader)."))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        # A PDF locked by a password: typed here, kept in memory for this
        # window's life (Escape only hides it; the profile's close ends it),
        # never stored, so the next card of the same file opens at once.
        self.password_row = QWidget(self)
        self.password = QLineEdit(self.password_row)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(tr("Password"))
        self.unlock_button = QPushButton(tr("Unlock"), self.password_row)
        row = QHBoxLayout(self.password_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.password.setMaximumWidth(320)  # (a word's field, not the window's width)
        row.addWidget(self.password, 1)
        row.addWidget(self.unlock_button)
        row.addStretch(0)
        self.password_row.hide()
        self._passwords: Dict[Path, str] = {}
        # The locked file as last read (its stamp, its bytes when read off the
        # main thread): the password typed opens these, with no second read.
        self._locked: Optional[Tuple[Optional[Tuple[int, int]], Any]] = None
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
        layout.addWidget(self.password_row)
        layout.addWidget(self.scroller, 1)
        direction.ours(self)
        # Tab as the bar reads, left to right (it went ◀ ▶ and then the page
        # box, the order they were made in); the box named for a screen reader.
        self.page_box.setAccessibleName(tr("Page"))
        QWidget.setTabOrder(self.prev_button, self.page_box)
        QWidget.setTabOrder(self.page_box, self.next_button)
        QWidget.setTabOrder(self.next_button, self.system_button)

        qconnect(self.prev_button.clicked, lambda: self.go_to(self.current_page - 1))
        qconnect(self.next_button.clicked, lambda: self.go_to(self.current_page + 1))
        qconnect(self.page_box.valueChanged, self.go_to)
        qconnect(self.system_button.clicked, self.open_in_system_viewer)
        qconnect(self.unlock_button.clicked, self.unlock)
        qconnect(self.password.returnPressed, self.unlock)
        for keys, step in (("Left", -1), ("Right", 1), ("Ctrl+PgUp", -1), ("Ctrl+PgDown", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            qconnect(shortcut.activated, lambda step=step: self.go_to(self.current_page + step))
        qconnect(QShortcut(QKeySequence("Home"), self).activated, lambda: self.go_to(1))
        qconnect(QShortcut(QKeySequence("End"), self).activated, lambda: self.go_to(self.page_count))
        qconnect(QShortcut(QKeySequence("Esc"), self).activated, self.close)
        # Page Down/Up read on: a screen of the page at a time, then the
        # next page's top (the previous page's bottom), wherever the focus is.
        qconnect(QShortcut(QKeySequence("PgDown"), self).activated, self.page_down)
        qconnect(QShortcut(QKeySequence("PgUp"), self).activated, self.page_up)
        zoom_keys: List[Tuple[QKeySequence, int]] = [
            (QKeySequence(QKeySequence.StandardKey.ZoomIn), 1), (QKeySequence("Ctrl+="), 1),
            (QKeySequence(QKeySequence.StandardKey.ZoomOut), -1), (QKeySequence("Ctrl+0"), 0)]
        for sequence, zoom_step in zoom_keys:
            qconnect(QShortcut(sequence, self).activated, lambda zoom_step=zoom_step: self.zoom(zoom_step))

        # Ctrl + the mouse wheel zooms, as in every viewer.
        viewport = self.scroller.viewport()
        if viewport is not None:
            viewport.installEventFilter(self)
        # Space and Shift+Space read on as Page Down/Up where the page has the
        # keys (a focused button keeps Space for its click).
        self.scroller.installEventFilter(self)
        # Render to the new width once resizing pauses.
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        qconnect(self._resize_timer.timeout, self._advance)
        # pageRendered (not bound by PyQt6) → on_renderer_pageRendered.
        QMetaObject.connectSlotsByName(self)
        self.resize(760, 900)

    @property
    def page_count(self) -> int:
        return self._page_count

    @property
    def rendering(self) -> bool:
        """True while the view does not show the current page rendered for
        the window's size yet (a page in flight, a document waiting to
        load, a resize not settled)."""
        if self._flight is not None or self._pending_open is not None or self._resize_timer.isActive():
            return True
        if self.document is None or not self.current_page or not self.isVisible() or self.page_failed:
            return False
        return self._image_key != self._want_key()

    @property
    def page_failed(self) -> bool:
        """Qt PDF can neither size nor draw the current page (a damaged
        page): the view says so instead of waiting for it."""
        return (self._generation, self.current_page) in self._failed

    def open(self, path: Path, title: str, spot: Spot, if_unreadable: Optional[Callable[[], None]] = None,
             body: Optional[Body] = None) -> bool:
        """Show ``path`` at ``spot``. False when Qt PDF cannot read the file
        (the window then says so and offers the system viewer), and then
        ``if_unreadable`` is called: now, or when a page of the previous
        document still being drawn has arrived and the file is read.
        ``body``: the file already read off Anki's main thread (``read_body``):
        nothing here touches the file then."""
        self.path, self.title, self.spot = path, title, spot
        self._if_unreadable = if_unreadable
        stamp = body.stamp if body is not None else stamp_of(path)
        data = body.data if body is not None else None
        if self.document is not None and stamp is not None and self._loaded == (path, stamp):
            # The same file: another spot in it (no reload, no wait).
            self.current_page = 0
            self._say_missing_page()
            self.go_to(min(max(spot.page, 1), self.page_count))
            return True
        if self.document is not None:
            self._retired.append(self.document)
            self.document = None
        self._generation += 1
        self._image, self._image_key, self._sizes, self._page_count = None, None, {}, 0
        self._labels = {}
        self._failed.clear()
        self.current_page = self.rendered_page = 0
        if self._flight is not None:
            # Loading now would wait for the page in flight (one mutex for all
            # of Qt PDF): blank until it arrives, then the file is read.
            self._pending_open = (path, title, spot, stamp, data)
            self.setWindowTitle(title)
            self.message.hide()
            self.password_row.hide()
            self._enable(False)
            self.view.show_placeholder(self._page_size(self._last_points))
            return True
        return self._load(path, title, spot, stamp, data)

    def _enable(self, ok: bool) -> None:
        for widget in (self.prev_button, self.next_button, self.page_box, self.scroller):
            widget.setEnabled(ok)

    def _load(self, path: Path, title: str, spot: Spot, stamp: Optional[Tuple[int, int]],
              data: Any = None) -> bool:
        """Read the file (no page in flight: nothing to wait for); from
        ``data`` when it was read already (a buffer the document owns)."""
        assert self._flight is None
        self._pending_open = None
        self._locked = None
        self._dispose_retired()
        assert pdf_support.QPdfDocument is not None
        document = pdf_support.QPdfDocument(self._renderer)
        tried = self._passwords.get(path)
        if tried is not None:
            document.setPassword(tried)
        if data is not None:
            buffer = QBuffer(document)  # (deleted with the document)
            buffer.setData(data if isinstance(data, QByteArray) else QByteArray(data))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            document.load(buffer)
            error = document.error()
        else:
            error = document.load(str(path))
        count = int(document.pageCount()) if error == type(error).None_ else 0
        ok = count > 0
        self.message.setVisible(not ok)
        self._enable(ok)
        locked = not ok and error == type(error).IncorrectPassword
        self.password_row.setVisible(locked)
        if not ok:
            sip.delete(document)
            self.current_page = self.rendered_page = 0
            callback = self._if_unreadable
            self._if_unreadable = None
            if locked:
                # Not damaged: a copy taken out of an export would be the same again.
                self.message.setText(tr("That password does not open this PDF.") if tried is not None else
                                     tr("This PDF is protected by a password: type it below to open it here."))
                self._passwords.pop(path, None)
                self._locked = (stamp, data)  # Unlock reads it from here, not the Polar folder again
                self.password.selectAll()
                self.password.setFocus(Qt.FocusReason.OtherFocusReason)
                callback = None
            else:
                self.message.setText(tr("This file cannot be shown here; open it in the system viewer."))
            self.view.show_placeholder(QSize(0, 0))
            self.setWindowTitle(title)
            if callback is not None:
                callback()
            return False
        self.document, self._page_count, self._loaded = document, count, (path, stamp) if stamp else None
        self._renderer.setDocument(document)
        self.page_box.blockSignals(True)
        self.page_box.setMaximum(count)
        self.page_box.blockSignals(False)
        self.current_page = 0
        self._show_count()
        self._say_missing_page()
        self.go_to(min(max(spot.page, 1), count))
        return True

    def unlock(self) -> None:
        """Open the locked PDF with the password typed (once no page of
        another document is in flight: loading takes Qt PDF's lock)."""
        if self.path is None or self.document is not None or self._flight is not None or not self.password.text():
            return
        self._passwords[self.path] = self.password.text()
        self.password.clear()
        stamp, data = self._locked if self._locked is not None else (stamp_of(self.path), None)
        if self._load(self.path, self.title, self.spot, stamp, data):
            self.scroller.setFocus(Qt.FocusReason.OtherFocusReason)

    def _say_missing_page(self) -> None:
        """The card's page beyond the file's last (the PDF replaced by a
        shorter edition): the window opens at the last page and says so."""
        missing = self.spot.page > self.page_count > 0
        if missing:
            self.message.setText(tr("The card's p. {page} is not in this file any more (it ends at p. {n}).",
                                    page=self.spot.page, n=self.page_count))
        self.message.setVisible(missing)

    def _dispose_retired(self) -> None:
        """Delete the documents replaced (only with no page in flight:
        deleting one takes Qt PDF's mutex)."""
        assert self._flight is None
        while self._retired:
            sip.delete(self._retired.pop())

    def go_to(self, page: int, land: str = "mark") -> None:
        """Show ``page``; ``land``: where on it, "mark" (the highlight if it
        is there, else the top), "top" or "bottom"."""
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
        self._scroll_to_mark, self._land = True, land
        self._present()
        self._advance()

    def eventFilter(self, watched: Optional[QObject], event: Optional[QEvent]) -> bool:  # noqa: N802 - Qt's name
        if (event is not None and event.type() == QEvent.Type.Wheel and watched is self.scroller.viewport()
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):  # type: ignore[attr-defined]
            delta = event.angleDelta().y()  # type: ignore[attr-defined]
            if delta:
                self.zoom(1 if delta > 0 else -1)
            return True
        if (event is not None and event.type() == QEvent.Type.KeyPress and watched is self.scroller
                and event.key() == Qt.Key.Key_Space):  # type: ignore[attr-defined]
            shift = event.modifiers() & Qt.KeyboardModifier.ShiftModifier  # type: ignore[attr-defined]
            self.page_up() if shift else self.page_down()
            return True
        return super().eventFilter(watched, event)

    def page_down(self) -> None:
        bar = self.scroller.verticalScrollBar()
        if bar is not None and bar.value() < bar.maximum():
            bar.triggerAction(bar.SliderAction.SliderPageStepAdd)
        elif self.current_page < self.page_count:
            self.go_to(self.current_page + 1, land="top")

    def page_up(self) -> None:
        bar = self.scroller.verticalScrollBar()
        if bar is not None and bar.value() > bar.minimum():
            bar.triggerAction(bar.SliderAction.SliderPageStepSub)
        elif self.current_page > 1:
            self.go_to(self.current_page - 1, land="bottom")

    def zoom(self, step: int) -> None:
        """One zoom step larger (1), smaller (-1), or back to the page
        fitted to the width (0)."""
        if step == 0:
            zoom = 1.0
        else:
            index = min(range(len(_ZOOMS)), key=lambda i: abs(_ZOOMS[i] - self._zoom))
            zoom = _ZOOMS[min(max(index + step, 0), len(_ZOOMS) - 1)]
        if zoom == self._zoom:
            return
        # The point of the page in the middle of the window stays there.
        viewport = self.scroller.viewport()
        middle = viewport.rect().center() if viewport is not None else None
        bars = (self.scroller.horizontalScrollBar(), self.scroller.verticalScrollBar())
        shares = []
        if middle is not None:
            spot = self.view.mapFrom(viewport, middle)
            shares = [spot.x() / max(self.view.width(), 1), spot.y() / max(self.view.height(), 1)]
        self._zoom = zoom
        self._present()  # the page drawn so far, scaled: drawn again at once
        if middle is not None:
            for bar, share, extent, half in zip(bars, shares, (self.view.width(), self.view.height()),
                                                (middle.x(), middle.y())):
                if bar is not None:
                    bar.setValue(round(share * extent) - half)
        self._advance()

    def marks(self) -> List[Fractions]:
        """The highlight's rects on the current page, as fractions of it
        (none until the page's size is known: it is read when its page is
        requested). A highlight selected on to the next page has rects on
        that page too (``Spot.fractions``)."""
        points = self._sizes.get(self.current_page)
        if not self.spot.page or not self.spot.rects or points is None:
            return []
        return self.spot.fractions(points, self.current_page, self._sizes.get)

    # -- drawing ---------------------------------------------------------

    def _page_width(self) -> int:
        """The page's width in the view (logical px): the scroll area's
        width less a vertical scroll bar, shown or not (the page is as wide
        before and after the bar appears)."""
        bar = self.scroller.verticalScrollBar()
        extent = bar.sizeHint().width() if bar is not None else 0
        fitted = max(self.scroller.contentsRect().width() - extent - 12, 240)
        return round(fitted * self._zoom)

    def _page_size(self, points: Points) -> QSize:
        width = self._page_width()
        return QSize(width, round(width * points[1] / points[0]))

    def _ratio(self) -> float:
        return float(self.devicePixelRatioF() or 1.0)

    def _want_key(self) -> Tuple[int, int, int, float]:
        return self._generation, self.current_page, self._page_width(), self._ratio()

    def _present(self) -> None:
        """Show the current page as far as it is drawn: rendered (scaled to
        the view when it was drawn for another size), or blank."""
        page = self.current_page
        if self.document is None or not page:
            return
        points = self._sizes.get(page, self._last_points)
        size = self._page_size(points)
        key = self._image_key
        bar = self.scroller.verticalScrollBar()
        self._show_count()
        if self.page_failed:
            self.view.show_placeholder(size, tr("This page cannot be shown here."))
            self.rendered_page = 0
        elif self._image is not None and key is not None and key[:2] == (self._generation, page):
            self.view.show_page(self._image, self.marks(), highlight_color(self.spot.color), size)
            self.rendered_page = page
            if self._scroll_to_mark:
                self._scroll_to_mark = False
                if self._land == "mark":
                    self._show_highlight()
                elif bar is not None:
                    bar.setValue(bar.maximum() if self._land == "bottom" else 0)
        else:
            self.view.show_placeholder(size)
            self.rendered_page = 0
            if bar is not None:
                bar.setValue(bar.maximum() if self._land == "bottom" and self._scroll_to_mark else 0)

    def _point_size(self, page: int) -> Optional[Points]:
        """The page's size in points; read from the document only with no
        page in flight."""
        known = self._sizes.get(page)
        if known is not None or self._flight is not None or self.document is None:
            return known
        size = self.document.pagePointSize(page - 1)
        if size.width() <= 0 or size.height() <= 0:
            self._failed.add((self._generation, page))  # not a page Qt PDF can read
            return None
        self._sizes[page] = self._last_points = (size.width(), size.height())
        label = getattr(self.document, "pageLabel", None)
        self._labels[page] = " ".join(str(label(page - 1)).split())[:24] if label is not None else ""
        return self._sizes[page]

    @property
    def printed_label(self) -> str:
        """The current page's own label when the PDF numbers its pages
        otherwise ("vii" in the front matter, "13" on the 27th page): the
        card's "p. N" counts pages from the first, as Polar does, so the
        window shows both. "" when they agree or the label is not known yet."""
        label = self._labels.get(self.current_page, "")
        return "" if label in ("", str(self.current_page)) else label

    def _show_count(self) -> None:
        # The last page's number, written as the box beside it writes the
        # current one and the card its "p. 1234": page numbers are not grouped.
        text = tr("of {n}", n=self.page_count)
        if self.printed_label:
            text += " · " + tr("printed {label}", label=self.printed_label)
        if self.count_label.text() != text:
            self.count_label.setText(text)

    def _advance(self) -> None:
        """Ask for what the view lacks, when the renderer is free: the
        document waiting to load, else the current page at the view's size."""
        if self._flight is not None:
            return
        self._dispose_retired()
        if self._pending_open is not None:
            self._load(*self._pending_open)  # (goes to its page: back here)
            return
        page = self.current_page
        if self.document is None or not page or not self.isVisible():
            return  # (shown: showEvent comes back here)
        key = self._want_key()
        if key == self._image_key:
            return
        if self._resize_timer.isActive() and self._image_key is not None and self._image_key[:2] == key[:2]:
            return  # the page is there, scaled: drawn again once the resize settled
        if self.page_failed:
            return
        points = self._point_size(page)
        if points is None:
            self._present()  # (says it cannot be shown)
            return
        self._present()  # (the page's true shape, now its size is known)
        _, _, width, ratio = key
        w, h = width * ratio, width * points[1] / points[0] * ratio
        if w * h > _MAX_PIXELS:
            shrink = (_MAX_PIXELS / (w * h)) ** 0.5
            w, h = w * shrink, h * shrink
        pixels = QSize(max(round(w), 1), max(round(h), 1))
        request = int(self._renderer.requestPage(page - 1, pixels))
        if request:
            self._flight = _Flight(request, self._generation, page, pixels, width, ratio)

    # (The whole signature: connectSlotsByName matches it exactly.)
    @pyqtSlot(int, QSize, QImage, "QPdfDocumentRenderOptions", "qulonglong")
    def on_renderer_pageRendered(self, index: int, pixels: QSize, image: QImage, options: Any,  # noqa: N802
                                 request: int) -> None:
        """A page drawn on the renderer's thread (connected by name: see
        the module's docstring)."""
        flight = self._flight
        if flight is None or request != flight.request:
            return
        self._flight = None
        if image.isNull():
            # Qt PDF could not draw it (a damaged page): asking again would
            # fail again, for ever.
            self._failed.add((flight.generation, flight.page))
            if flight.generation == self._generation and flight.page == self.current_page:
                self._present()
        elif flight.generation == self._generation and flight.page == self.current_page:
            image.setDevicePixelRatio(flight.ratio)
            self._image = image
            self._image_key = (flight.generation, flight.page, flight.width, flight.ratio)
            self._present()
        self._advance()  # the latest wish, if it is not this page (the ones in between are never drawn)

    def _show_highlight(self) -> None:
        """Scroll the highlight's lines on this page into view, all of them
        with some of the page around when they fit (zoomed in, a highlight
        on the right half of the page is off to the side), else from their
        start (top left: where reading begins)."""
        rects = self.view.mark_rects()
        viewport = self.scroller.viewport()
        if not rects or viewport is None:
            bar = self.scroller.verticalScrollBar()
            if bar is not None:
                bar.setValue(0)
            return
        box = rects[0]
        for rect in rects[1:]:
            box = box.united(rect)

        def span(start: float, length: float, extent: int, pad: float) -> Tuple[int, int]:
            pad = min(pad, max((extent - length) / 2, 8.0))
            fit = min(length + 2 * pad, float(extent))
            return int(start - pad + fit / 2), max(int(fit / 2) - 1, 1)

        x, xmargin = span(box.left(), box.width(), viewport.width(), 24.0)
        y, ymargin = span(box.top(), box.height(), viewport.height(), max(viewport.height() / 3, 24.0))
        self.scroller.ensureVisible(x, y, xmargin, ymargin)

    def resizeEvent(self, event: Optional[QResizeEvent]) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self.current_page and self.isVisible():
            self._present()  # the page drawn so far, scaled to the new width
            self._resize_timer.start(_RESIZE_SETTLES_MS)

    def showEvent(self, event: Optional[QShowEvent]) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._present()
        self._advance()

    def bring_up(self) -> None:
        """Show the window in front, back from the task bar if it was
        minimised, and remember the window the person was in."""
        active = QApplication.activeWindow()
        if active is not None and active is not self:
            self.return_to = active
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()
        # The keys to the page: ↑/↓ and Space scroll it (on ◀, the first
        # button, they did nothing and Space went back a page); to the
        # password's field when the PDF is locked.
        target = self.password if not self.password_row.isHidden() else self.scroller
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def closeEvent(self, event: Optional[QCloseEvent]) -> None:  # noqa: N802 - Qt's name
        super().closeEvent(event)
        target, self.return_to = self.return_to, None
        if target is not None and not sip.isdeleted(target) and target.isVisible() and not target.isMinimized():
            target.activateWindow()  # (a parentless window's end activates whatever the system picks)

    def open_in_system_viewer(self) -> None:
        if self.path is None:
            return
        if not os.path.isfile(self.path):
            # Moved or deleted since it opened here (its pages still turn: Qt PDF keeps it open).
            self.message.setText(tr("“{title}” is not on this computer any more.", title=self.title) + " "
                                 + unbroken.text(tr("Polar Sync looked for it at {path}", path=str(self.path))))
            self.message.setVisible(True)
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path))):
            self.message.setText(tr("No program on this computer opened “{title}”.", title=self.title) + " "
                                 + unbroken.text(tr("It is at {path}", path=str(self.path))))
            self.message.setVisible(True)
