"""The add-on's book window: an EPUB card's section, scrolled to its
highlight's words and marked, in a Qt WebEngine view.

What it shows is made by ``polar/epub_book.py`` off Anki's main thread
(the .epub read on the lookup thread, a section turned to on a background
one): the section's own HTML with the book's CSS and images inline, its
scripts removed. The view runs no script of the book's (JavaScript off in
its page), fetches nothing (a request interceptor blocks every address
but ``data:``/``about:``, on a private off-the-record profile) and follows
no link; only the window's own one-line script (Qt's application world,
which the book's page cannot reach) scrolls to the mark.

Keys: ←/→ and Ctrl+PgUp/PgDn the previous/next section, Escape closes. A
button opens the .epub in the system's e-book reader. One window, re-used
card after card, as the PDF window is.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Callable, Optional
from urllib.parse import unquote

from aqt import gui_hooks, mw
from aqt.qt import (
    QApplication,
    QCloseEvent,
    QColor,
    QDesktopServices,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QPushButton,
    QShortcut,
    Qt,
    QTimer,
    QUrl,
    QVBoxLayout,
    QWidget,
    qconnect,
    sip,
)
from aqt.theme import theme_manager

from ..polar.epub_book import DEFERRED, FILE_LINK, SECTION_LINK, Book, Opened, Section, hint_of, open_book
from ..polar.originals import Spot
from . import direction, unbroken
from .file_tasks import run_file_task
from .folding_row import FoldingRow
from .i18n import ntr, tr

_ALLOWED_SCHEMES = ("data", "about", "blob")
_PROFILE: Any = None
INTERCEPTOR: Any = None  # (kept: Qt holds no reference to it)


def _make_view(parent: QWidget, to_section: Callable[..., None]) -> Any:
    """A web view that runs no script of its page's, fetches nothing from
    outside it and follows no link: a link to another section of the book
    (``SECTION_LINK`` + "N#id") calls ``to_section(N, id)``, to another
    file of it ``to_section(0, id, member)``."""
    from aqt.qt import (
        QWebEnginePage,
        QWebEngineProfile,
        QWebEngineScript,
        QWebEngineSettings,
        QWebEngineUrlRequestInterceptor,
        QWebEngineView,
    )

    class Interceptor(QWebEngineUrlRequestInterceptor):
        blocked = 0  # (tests: requests refused)

        def interceptRequest(self, info: Any) -> None:  # noqa: N802 - Qt's name
            if info.requestUrl().scheme().lower() not in _ALLOWED_SCHEMES:
                info.block(True)
                Interceptor.blocked += 1

    class Page(QWebEnginePage):
        def acceptNavigationRequest(self, url: Any, kind: Any, is_main_frame: bool) -> bool:  # noqa: N802
            # Only the window's own setHtml (typed); a link to a section turns to it.
            address = url.toString(QUrl.UrlFormattingOption.RemoveFragment)
            if address.startswith(SECTION_LINK) and kind == QWebEnginePage.NavigationType.NavigationTypeLinkClicked:
                rest = address[len(SECTION_LINK):]
                anchor = unquote(url.fragment())
                if rest.startswith(FILE_LINK):  # (another file of the book: shown alone)
                    member = unquote(rest[len(FILE_LINK):])
                    QTimer.singleShot(0, lambda: to_section(0, anchor, member))
                    return False
                try:
                    number = int(rest)
                except ValueError:
                    return False
                QTimer.singleShot(0, lambda: to_section(number, anchor))
                return False
            return bool(kind == QWebEnginePage.NavigationType.NavigationTypeTyped)

    global _PROFILE, INTERCEPTOR
    profile = _PROFILE
    if profile is None or sip.isdeleted(profile):
        # No name: off the record, nothing kept on disk. One for the add-on's
        # life, a child of Anki's window: a profile must outlive its pages (a
        # child of the book window it went first: "Release of profile
        # requested but WebEnginePage still not deleted").
        profile = _PROFILE = QWebEngineProfile(mw)
        INTERCEPTOR = Interceptor(profile)
        profile.setUrlRequestInterceptor(INTERCEPTOR)
    view = QWebEngineView(parent)
    page = Page(profile, view)
    view.setPage(page)
    settings = page.settings()
    if settings is not None:
        for attribute, on in (("JavascriptEnabled", False), ("LocalContentCanAccessRemoteUrls", False),
                              ("LocalContentCanAccessFileUrls", False), ("PluginsEnabled", False),
                              ("AutoLoadIconsForPage", False), ("JavascriptCanOpenWindows", False)):
            value = getattr(QWebEngineSettings.WebAttribute, attribute, None)
            if value is not None:
                settings.setAttribute(value, on)
    view.application_world = QWebEngineScript.ScriptWorldId.ApplicationWorld  # type: ignore[attr-defined]
    return view


# Scroll the mark to the window's upper third (a reader's eyes), in the
# window's own script world; says whether the page has a mark.
_TO_MARK = ("(function(){var m=document.getElementById('polar-mark');if(!m){window.scrollTo(0,0);return false;}"
            "var r=m.getBoundingClientRect();window.scrollTo(0,Math.max(window.scrollY+r.top-window.innerHeight/3,0));"
            "return true;})()")


# A section page's load number (``_show_section``), and the check that the
# page in the view is that load's: a meta element after the charset's.
_CHARSET = '<meta charset="utf-8">'
_LOAD_META = '<meta name="polar-load" content="%d">'
_IS_LOAD = ("(function(n){var m=document.querySelector('meta[name=\"polar-load\"]');"
            "return !!m&&m.getAttribute('content')===String(n);})(%d)")


# An image left out of the page (``epub_book.DEFERRED``) put in: its src (an
# <img>) or href (SVG's <image>) is the marker; %s the marker, %s the data: URI.
_PUT_IMAGE = ("(function(k,u){var n=0;document.querySelectorAll('[src=\"'+k+'\"],[*|href=\"'+k+'\"]')"
              ".forEach(function(e){if(e.getAttribute('src')===k){e.setAttribute('src',u);}else{"
              "e.setAttributeNS('http://www.w3.org/1999/xlink','xlink:href',u);e.setAttribute('href',u);}n++;});"
              "return n;})(%s,%s)")


class BookWindow(QWidget):
    """An EPUB at a card's highlight. Never modal: studying goes on beside it."""

    def __init__(self, parent: Optional[QWidget]) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.path: Optional[Path] = None
        self.title = ""
        self.spot = Spot(0)
        self.book: Optional[Book] = None
        self.section: Optional[Section] = None
        self.loading = False  # a section is being made (tests wait for False, then for ``shown``)
        self.shown = False  # the section's page is in the view and scrolled
        self._load_number = 0  # the section page last set (``_show_section``)
        self._load_marked = False  # whether that page carries its number
        self.on_mark = False  # it shows the highlight, marked
        self._first = False
        self._wanted = 0  # the section last asked for (a late one that is not this is dropped)
        self.return_to: Optional[QWidget] = None
        self.waits_for: Any = None  # (shown at once on a click: the click's lookup, until ``open``)

        self.prev_button = QPushButton("◀", self)
        self.prev_button.setToolTip(tr("Previous section"))
        self.prev_button.setAccessibleName(tr("Previous section"))  # (a screen reader read the arrow's glyph)
        self.next_button = QPushButton("▶", self)
        self.next_button.setToolTip(tr("Next section"))
        self.next_button.setAccessibleName(tr("Next section"))  # (a screen reader read the arrow's glyph)
        self.where_label = QLabel(self)
        self.system_button = QPushButton(tr("Open outside Anki"), self)  # (the PDF's and the book's alike)
        self.system_button.setToolTip(tr("Opens the file in the program this computer opens such files with "
                                         "(your PDF or e-book reader)."))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()
        self.view = _make_view(self, self.go_to)
        self._anchor = ""  # an id in the section to show (a link's), else its mark
        for arrow in (self.prev_button, self.next_button):
            arrow.setStyleSheet("padding-left: 8px; padding-right: 8px;")
        sections = QWidget(self)
        bar = QHBoxLayout(sections)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.prev_button)
        bar.addWidget(self.where_label)
        bar.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(FoldingRow([sections, self.system_button], self, last_right=True))
        layout.addWidget(self.message)
        layout.addWidget(self.view, 1)
        direction.ours(self)

        qconnect(self.prev_button.clicked, lambda: self.step(-1))
        qconnect(self.next_button.clicked, lambda: self.step(1))
        qconnect(self.system_button.clicked, self.open_in_system_viewer)
        for keys, step in (("Left", -1), ("Right", 1), ("Ctrl+PgUp", -1), ("Ctrl+PgDown", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            qconnect(shortcut.activated, lambda step=step: self.step(step))
        qconnect(QShortcut(QKeySequence("Esc"), self).activated, self.close)
        qconnect(self.view.loadFinished, self._loaded)
        # Resized while it shows the card's words where it put them: the words
        # are put back in view (Chromium keeps the scroll offset, and at another
        # width the text above them is longer or shorter). Not once the person
        # has scrolled away.
        self._at_mark = False
        self._quiet_until = 0.0  # scroll moves before this are the window's or a resize's
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(250)
        qconnect(self._settle.timeout, self._back_to_mark)
        qconnect(self.view.page().scrollPositionChanged, self._scroll_moved)
        self.resize(760, 900)
        self._set_buttons()
        # Anki's theme switched while a section shows: shown again in the new one.
        gui_hooks.theme_did_change.append(self._on_theme)  # (until ``dispose``)

    # -- opening ------------------------------------------------------------------

    def open(self, path: Path, title: str, spot: Spot, opened: Optional[Opened] = None) -> None:
        """Show the book at ``path`` at ``spot`` (its section, its text):
        ``opened`` is the book read off the main thread, or None to read
        it now, on a background thread."""
        self.path, self.title, self.spot = path, title, spot
        self._anchor = ""
        self.waits_for = None
        self.setWindowTitle(title)
        self._wanted += 1
        wanted = self._wanted
        self._first = True  # the card's own place: said when its words are not found
        if opened is not None:
            self._show_opened(opened)
            return
        self.loading, self.shown = True, False
        self.where_label.setText("…")
        night = theme_manager.night_mode

        def done(future: Any) -> None:
            if wanted != self._wanted or sip.isdeleted(self):
                return
            try:
                result = future.result()
            except Exception as exc:  # (open_book says what it can; anything else is a damaged book too)
                result = Opened(None, None, str(exc))
            self._show_opened(result)

        run_file_task(lambda: open_book(path, spot.page, spot.text, night, hint_of(spot)), done)

    def opening(self, path: Path, title: str, spot: Spot) -> None:
        """Shown at once on a click, while the book is read and its place
        found off the main thread: the title and "Opening …"; ``open``
        follows with the section."""
        self.path, self.title, self.spot = path, title, spot
        self._wanted += 1  # (a section of the card before is not shown now)
        self.book, self.section = None, None
        self.loading, self.shown, self.on_mark = True, False, False
        self.setWindowTitle(title)
        self.where_label.setText("…")
        self._say(tr("Opening “{title}”…", title=title))
        self._paint_behind()
        self.view.setHtml("")
        self._set_buttons()

    def _show_opened(self, opened: Opened) -> None:
        self.book = opened.book
        if opened.book is None or opened.section is None:
            self.section = None
            self.loading, self.shown, self.on_mark = False, True, False
            self._paint_behind()
            self.view.setHtml("")
            self.where_label.setText("")
            self._say(tr("“{title}” cannot be read as an EPUB book here; open it in the e-book reader.",
                         title=self.title))
            self._set_buttons()
            return
        self._show_section(opened.section)

    def step(self, by: int) -> None:
        """The previous (-1) or next (1) section, from its start."""
        if self.book is None or self.section is None:
            return
        number = self.section.number + by
        if self.section.document and by < 0:
            number = self.section.number  # (another file of the book shown: back to the section it came from)
        if not 1 <= number <= self.section.total:
            return
        self.go_to(number)

    def go_to(self, number: int, anchor: str = "", member: str = "") -> None:
        """Section ``number``, at the element ``anchor`` (a link's target)
        or else at the highlight's words when it has them, else its start;
        with ``member``, that file of the book alone (a link's)."""
        book = self.book
        if member and book is not None and self.section is not None:
            self._go_to_file(book, member, anchor)
            return
        if book is None or (self.section is not None and not 1 <= number <= self.section.total):
            return
        text, night = self.spot.text, theme_manager.night_mode
        # Polar's position of the highlight is measured in its own section.
        hint = hint_of(self.spot) if number == self.spot.page else None
        # (The highlight's text is marked wherever it is: a person who turned
        # away and back finds it again.)
        self._load(anchor, lambda: book.section(number, text, night, hint))

    def _go_to_file(self, book: Book, member: str, anchor: str) -> None:
        assert self.section is not None
        number, night = self.section.number, theme_manager.night_mode
        self._load(anchor, lambda: book.document(member, number, night))

    def _load(self, anchor: str, read: Callable[[], Any]) -> None:
        """``read`` (a section of the book, off the main thread), shown at
        ``anchor`` unless another was asked for meanwhile."""
        self._anchor = anchor
        self._wanted += 1
        wanted = self._wanted
        self.loading = True

        def done(future: Any) -> None:
            if wanted != self._wanted or sip.isdeleted(self):
                return
            try:
                section = future.result()
            except Exception:
                self.loading = False
                self._say(tr("This section cannot be shown here."))
                return
            self._show_section(section)

        run_file_task(read, done)

    def _on_theme(self) -> None:
        if sip.isdeleted(self):
            return
        self._paint_behind()
        if self.isVisible() and self.section is not None:
            self.go_to(self.section.number, "", self.section.document)

    def _show_section(self, section: Section) -> None:
        self.section = section
        self._at_mark = False
        self.loading, self.shown, self.on_mark = False, False, False
        self.where_label.setText(tr("§ {n} of {count}", n=section.number, count=section.total))
        self.setWindowTitle(tr("{title} — § {n}", title=self.title, n=section.number))
        if self._first and not section.found and self.spot.text.strip():
            self._say(tr("The highlight's words were not found in the book: its section is shown from the start."))
        elif section.found and section.part:
            self._say(tr("The highlight runs on into the next section.") if section.part < 0
                      else tr("The highlight begins in the section before."))
        elif section.found and section.places > 1 and section.by_position and not section.sure:
            self._say(ntr("These words appear {n} time in this section: the one nearest where Polar had the "
                          "highlight, as far as its numbers tell, is marked, the others are underlined.",
                          "These words appear {n} times in this section: the one nearest where Polar had the "
                          "highlight, as far as its numbers tell, is marked, the others are underlined.",
                          section.places))
        elif section.found and section.places > 1 and section.by_position:
            self._say(ntr("These words appear {n} time in this section: the one where Polar had the highlight "
                          "is marked, the others are underlined.",
                          "These words appear {n} times in this section: the one where Polar had the highlight "
                          "is marked, the others are underlined.", section.places))
        elif section.found and section.places > 1:
            self._say(ntr("These words appear {n} time in this section: the first is marked, the others are "
                          "underlined (Polar kept no place for this highlight).",
                          "These words appear {n} times in this section: the first is marked, the others are "
                          "underlined (Polar kept no place for this highlight).", section.places))
        else:
            self.message.hide()
        self._first = False
        self._set_buttons()
        self._paint_behind()
        # Each section's page carries its load's number: a page loaded before it
        # (the "Opening …" page, the section before) whose loadFinished comes
        # late, after this one was set, is not taken for it (``_loaded``).
        self._load_number += 1
        html = section.html.replace(_CHARSET, _CHARSET + _LOAD_META % self._load_number, 1)
        self._load_marked = html != section.html  # (every page epub_book makes has the charset's)
        self.view.setHtml(html, QUrl("about:blank"))

    def _loaded(self, ok: bool) -> None:
        if self.section is None or not ok:  # (not ok: a link refused, the page as it was)
            return
        if not self._load_marked:
            self._place()
            return
        number = self._load_number

        def checked(this_page: Any) -> None:
            if this_page is True and number == self._load_number and not sip.isdeleted(self):
                self._place()

        self.view.page().runJavaScript(_IS_LOAD % number, self.view.application_world, checked)

    def _place(self) -> None:
        """The section's page has loaded: its deferred images put in, and the
        view scrolled to the mark (or the link's anchor)."""
        if self.section is None:
            return

        def scrolled(on_mark: Any) -> None:
            self.on_mark = on_mark is True
            self._at_mark = self.on_mark and not anchor
            self._quiet_until = time.monotonic() + 0.3
            self.shown = True

        # Images past the page's inline budget (Qt shows no page set larger than
        # 2 MB), handed to it now in the window's own script world: data: URIs
        # from the .epub, which the request interceptor lets through. Before the
        # scroll, and Chromium's scroll anchoring keeps the place as they decode.
        for index, uri in enumerate(self.section.deferred):
            self.view.page().runJavaScript(_PUT_IMAGE % (json.dumps(f"{DEFERRED}{index}"), json.dumps(uri)),
                                           self.view.application_world)
        anchor, self._anchor = self._anchor, ""
        if anchor:
            script = ("(function(){var e=document.getElementById(" + json.dumps(anchor) + ");"
                      "if(e)e.scrollIntoView();else window.scrollTo(0,0);return false;})()")
        else:
            script = _TO_MARK
        self.view.page().runJavaScript(script, self.view.application_world, scrolled)

    def _scroll_moved(self, _position: Any) -> None:
        if time.monotonic() > self._quiet_until and not self._settle.isActive():
            self._at_mark = False  # (the person scrolled)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        if self._at_mark and self.shown:
            self._settle.start()

    def _back_to_mark(self) -> None:
        if not (self._at_mark and self.shown) or sip.isdeleted(self):
            return
        self._quiet_until = time.monotonic() + 0.5
        self.view.page().runJavaScript(_TO_MARK, self.view.application_world)

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(True)

    def _paint_behind(self) -> None:
        """The view's own colour (before a page paints, and when there is
        none: a damaged book) is the theme's: no white flash in night mode."""
        self.view.page().setBackgroundColor(QColor("#2c2c2c" if theme_manager.night_mode else "white"))

    def _set_buttons(self) -> None:
        section = self.section
        self.prev_button.setEnabled(section is not None and (section.number > 1 or bool(section.document)))
        self.next_button.setEnabled(section is not None and section.number < section.total)
        # No book (a damaged .epub): no arrows to a section, only the reader's button.
        for arrow in (self.prev_button, self.next_button):
            arrow.setVisible(section is not None or self.loading)

    # -- the window -----------------------------------------------------------------

    def bring_up(self) -> None:
        active = QApplication.activeWindow()
        if active is not None and active is not self:
            self.return_to = active
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.show()
        self.raise_()
        self.activateWindow()
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)  # ↑/↓, Space, PgUp/PgDn scroll the text

    def closeEvent(self, event: Optional[QCloseEvent]) -> None:  # noqa: N802 - Qt's name
        super().closeEvent(event)
        # The book's bytes (tens of MB for an illustrated one) go with the window's
        # use; the next "show in book" reads the file again.
        self.book = None
        self.waits_for = None
        self.loading = False
        self._wanted += 1  # (a section still being made is not shown)
        target, self.return_to = self.return_to, None
        if target is not None and not sip.isdeleted(target) and target.isVisible() and not target.isMinimized():
            target.activateWindow()

    def dispose(self) -> None:
        """The profile closes: the window goes (the theme hook held it)."""
        gui_hooks.theme_did_change.remove(self._on_theme)  # (Anki's remove: none there, nothing done)
        self.close()
        self.deleteLater()

    def open_in_system_viewer(self) -> None:
        if self.path is None:
            return
        if not os.path.isfile(self.path):
            self._say(tr("“{title}” is not on this computer any more.", title=self.title) + " "
                      + unbroken.text(tr("Polar Sync looked for it at {path}", path=str(self.path))))
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path))):
            self._say(tr("No program on this computer opened “{title}”.", title=self.title) + " "
                      + unbroken.text(tr("It is at {path}", path=str(self.path))))
