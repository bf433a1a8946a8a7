"""Back to the source with users' real files, in real Anki: PDFs as they
are on people's disks (pages rotated by a scanner, pages of mixed sizes, a
page Qt PDF cannot draw, a password, a file replaced by a shorter edition,
a name with spaces and accents), and the window as a person uses it
(minimised and clicked again, closed with Escape).

The PDFs are written byte by byte (tools/pdf_maker.write_raw_pdf): each
page has a solid blue box where a test puts the highlight, so the pixels
under a drawn highlight tell whether it landed where it belongs."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from tests.gui.test_source_link import _js, _show_answer
from tests.polar_factory import Doc, basic

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import pdf_maker  # noqa: E402

pytestmark = pytest.mark.anki

ROTATED_FP = "1FilesRotatedScanDoc01"
BROKEN_FP = "1FilesBrokenPageDoc001"
LOCKED_FP = "1FilesPasswordDoc00001"
SHRUNK_FP = "1FilesShorterEditionD1"
NAMED_FP = "1FilesAccentedNameDoc1"
LABELLED_FP = "1FilesFrontMatterDoc1"
EPUB_FP = "1FilesEpubNoReaderDoc1"
MAC_FP = "1FilesCopiedFromAMac01"
DECK = ["deck:Viewer files"]  # a deck of its own: its cards are due whatever the other tests added
NAMED_FILE = "8fJ2kq0Zx1-Über das Gedächtnis (2. Aufl.) – Ebbinghaus.pdf"


def _write_library(library: Path) -> None:
    stash = library / "stash"
    # A scan whose page 2 the scanner stored sideways (/Rotate 90) and whose
    # page 3 is a narrow fold-out: Polar measured the highlight on the page
    # as shown (pdf.js applies /Rotate), in its scale-1 px (96 per inch).
    rotated = Doc(library, ROTATED_FP, title="A Rotated Scan", pages=3, tags=DECK)
    # Page 2 stored 612 x 792 pt with its box at (72, 100, 200, 50) from the
    # top left; shown turned 90° clockwise it is 792 x 612 pt and the box
    # is at (792 - 100 - 50, 72, 50, 200) pt = (856, 96, 66.67, 266.67) px.
    rotated.text_highlight("1FilesRotHl", "Sideways text.", page=2)
    rotated.page(2)["textHighlights"]["1FilesRotHl"]["rects"] = {
        "0": {"left": 856.0, "top": 96.0, "width": 66.67, "height": 266.67}}
    rotated.card("1FilesRotC", basic("<p>What did the scanner turn?</p>", "<p>Page 2.</p>"),
                 ref="text-highlight:1FilesRotHl", page=2)
    # The fold-out, 300 x 900 pt, its box at (20, 400, 100, 60) pt.
    rotated.text_highlight("1FilesFoldHl", "Fold-out text.", page=3)
    rotated.page(3)["textHighlights"]["1FilesFoldHl"]["rects"] = {
        "0": {"left": 20 * 4 / 3, "top": 400 * 4 / 3, "width": 100 * 4 / 3, "height": 60 * 4 / 3}}
    rotated.card("1FilesFoldC", basic("<p>What folds out?</p>", "<p>Page 3.</p>"),
                 ref="text-highlight:1FilesFoldHl", page=3)
    # An area highlight (a scan has no text to select): Polar stores its rect
    # in percent of the page; page 1's box is at (72, 100, 200, 50) of 612 x 792 pt.
    rotated.area_highlight("1FilesAreaHl", "1FilesAreaImg.png", page=1)
    rotated.page(1)["areaHighlights"]["1FilesAreaHl"]["rects"] = {
        "0": {"left": 72 / 6.12, "top": 100 / 7.92, "width": 200 / 6.12, "height": 50 / 7.92}}
    rotated.card("1FilesAreaC", basic("<p>What is boxed on the scan?</p>", "<p>Page 1's box.</p>"),
                 ref="area-highlight:1FilesAreaHl", page=1)
    rotated.write()
    from aqt.qt import QColor, QImage

    image = QImage(40, 10, QImage.Format.Format_RGB32)
    image.fill(QColor("blue"))
    (library / "files" / "image").mkdir(parents=True, exist_ok=True)
    image.save(str(library / "files" / "image" / "1FilesAreaImg.png"))
    pdf_maker.write_raw_pdf(stash / f"{ROTATED_FP}.pdf",
                            [{}, {"rotate": 90}, {"w": 300, "h": 900, "box": (20, 400, 100, 60)}])

    broken = Doc(library, BROKEN_FP, title="A Damaged Download", pages=4, tags=DECK)
    broken.card("1FilesBrkC", basic("<p>Which page is damaged?</p>", "<p>The third.</p>"), page=3)
    broken.write()
    pdf_maker.write_raw_pdf(stash / f"{BROKEN_FP}.pdf", [{}] * 4, broken=(3,))

    locked = Doc(library, LOCKED_FP, title="A Locked Report", pages=2, tags=DECK)
    locked.card("1FilesLockC", basic("<p>Which report needs a password?</p>", "<p>This one.</p>"), page=2)
    locked.write()
    pdf_maker.write_raw_pdf(stash / f"{LOCKED_FP}.pdf", [{}] * 2, password=True)

    shrunk = Doc(library, SHRUNK_FP, title="A Shorter Edition", pages=10, tags=DECK)
    shrunk.card("1FilesShrC", basic("<p>Where was the appendix?</p>", "<p>Page 9.</p>"), page=9)
    shrunk.write()
    pdf_maker.write_raw_pdf(stash / f"{SHRUNK_FP}.pdf", [{}] * 5)

    # A book whose front matter is numbered i, ii and whose page 3 prints "1".
    labelled = Doc(library, LABELLED_FP, title="A Book With Front Matter", pages=5, tags=DECK)
    labelled.card("1FilesLabC", basic("<p>What does chapter 1 begin with?</p>", "<p>Page 1.</p>"), page=3)
    labelled.write()
    pdf_maker.write_raw_pdf(stash / f"{LABELLED_FP}.pdf", [{}] * 5, labels="0 << /S /r >> 2 << /S /D >>")

    epub = Doc(library, EPUB_FP, title="An EPUB Nothing Opens", pages=2, tags=DECK)
    epub.meta["docInfo"]["filename"] = f"{EPUB_FP}.epub"
    epub.card("1FilesEpubC", basic("<p>Which reader opens this EPUB?</p>", "<p>None here.</p>"), page=1)
    epub.write()
    (stash / f"{EPUB_FP}.epub").write_bytes(b"PK\x03\x04 an epub is a zip")

    named = Doc(library, NAMED_FP, title="Über das Gedächtnis", pages=3, tags=DECK)
    named.meta["docInfo"]["filename"] = NAMED_FILE
    named.card("1FilesNameC", basic("<p>Who wrote Über das Gedächtnis?</p>", "<p>Ebbinghaus.</p>"), page=2)
    named.write()
    pdf_maker.write_raw_pdf(stash / NAMED_FILE, [{}] * 3)
    # The same kind of name in a library copied from a Mac: HFS+ wrote it
    # decomposed ("a" + U+0308), the DocMeta has it composed.
    mac = Doc(library, MAC_FP, title="Gedächtnis, vom Mac kopiert", pages=3, tags=DECK)
    mac.meta["docInfo"]["filename"] = unicodedata.normalize("NFC", "9xK3mq0Zx2-Gedächtnis.pdf")
    mac.card("1FilesMacC", basic("<p>Which copy came from a Mac?</p>", "<p>This one.</p>"), page=3)
    mac.write()
    pdf_maker.write_raw_pdf(stash / unicodedata.normalize("NFD", "9xK3mq0Zx2-Gedächtnis.pdf"), [{}] * 3)


@pytest.fixture(scope="module")
def library_with_files(anki: Any) -> Any:
    anki.settle()
    _write_library(anki.library)
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not [e for e in outcome.report.errors if "1Files" in e["path"]]
    yield anki
    anki.controller.source_links.close()
    anki.mw.moveToState("deckBrowser")


def _open(anki: Any, front: str) -> Any:
    """The answer of the card ``front``, its control clicked: the window."""
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    _show_answer(anki, front)
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 1
    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the document window")
    return links.window


def _settled(anki: Any, window: Any) -> None:
    anki.anki.wait_until(lambda: not window.rendering, what=f"the window to settle on page {window.current_page}")


def _blue_under(window: Any, rect: Any) -> float:
    """The share of pixels under ``rect`` (view coordinates, shrunk by 2 px)
    that are the PDF's blue box (seen through the translucent highlight)."""
    image = window.view.grab().toImage()
    ratio = image.devicePixelRatio()
    inner = rect.adjusted(2, 2, -2, -2)
    hits = total = 0
    for i in range(8):
        for j in range(8):
            x = inner.x() + inner.width() * (i + 0.5) / 8
            y = inner.y() + inner.height() * (j + 0.5) / 8
            color = image.pixelColor(int(x * ratio), int(y * ratio))
            total += 1
            hits += color.blue() > 120 and color.red() < 150
    return hits / total


def test_highlights_land_on_their_box_on_rotated_and_odd_sized_pages_and_as_areas(library_with_files: Any) -> None:
    anki = library_with_files
    window = _open(anki, "What did the scanner turn?")
    anki.anki.wait_rendered(window)
    assert window.current_page == 2
    view = window.view
    assert view.width() > view.height()  # shown sideways, as in Polar
    (rect,) = view.mark_rects()
    assert _blue_under(window, rect) == 1.0
    window.close()
    window = _open(anki, "What is boxed on the scan?")  # an area highlight, in percent
    anki.anki.wait_rendered(window)
    assert window.current_page == 1
    (rect,) = view.mark_rects()
    assert _blue_under(window, rect) == 1.0
    assert abs(rect.width() / view.width() - 200 / 612) < 0.01
    window.close()
    window = _open(anki, "What folds out?")
    anki.anki.wait_rendered(window)
    assert window.current_page == 3 and abs(view.height() / view.width() - 3.0) < 0.01
    (rect,) = view.mark_rects()
    assert _blue_under(window, rect) == 1.0
    window.close()


def test_a_file_name_with_spaces_and_accents_opens(library_with_files: Any) -> None:
    anki = library_with_files
    window = _open(anki, "Who wrote Über das Gedächtnis?")
    anki.anki.wait_rendered(window)
    assert window.current_page == 2 and window.page_count == 3
    assert window.windowTitle() == "Über das Gedächtnis — p. 2"
    window.close()
    window = _open(anki, "Which copy came from a Mac?")  # (the answer had no control: "not on this computer")
    anki.anki.wait_rendered(window)
    assert window.current_page == 3 and window.page_count == 3
    window.close()


def test_a_page_qt_pdf_cannot_draw_says_so_and_the_others_still_turn(library_with_files: Any) -> None:
    """A damaged download whose page 3 is not a page: Qt PDF 6.11 (Anki
    26.9) has no size for it and draws nothing. The window showed a blank
    page with its "…" for ever (and, for a page whose drawing failed, asked
    for it again and again); now it says the page cannot be shown, and the
    others turn. (Qt PDF 6.6's pdfium, Anki 23.10's, takes it for an empty
    Letter page and draws it blank.)"""
    anki = library_with_files
    window = _open(anki, "Which page is damaged?")
    _settled(anki, window)
    assert window.current_page == 3 and window.page_count == 4
    sized = window.document.pagePointSize(2).width() > 0  # (nothing in flight now)
    if sized:
        assert window.rendered_page == 3 and window.view.failed_text == ""
    else:
        assert window.view.failed_text == "This page cannot be shown here."
        assert window.view.mark_rects() == [] and window.rendered_page == 0
    window.go_to(4)
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 4 and window.view.failed_text == ""
    window.go_to(3)
    _settled(anki, window)
    assert bool(window.view.failed_text) is not sized
    window.go_to(2)
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 2
    window.close()


def test_a_password_protected_pdf_is_named_as_such(library_with_files: Any) -> None:
    """It said "This file cannot be shown here", as for a damaged file (and
    a copy taken out of a Polar export was deleted and taken out again, a
    read of the whole archive, at every click)."""
    anki = library_with_files
    window = _open(anki, "Which report needs a password?")
    _settled(anki, window)
    assert window.message.isVisible()
    assert window.message.text() == "This PDF is protected by a password: type it below to open it here."
    retried = []
    window.open(Path(window.path), "A Locked Report", window.spot, lambda: retried.append(1))
    assert retried == []  # not damaged: nothing to take out again
    window.close()


def test_a_shorter_file_than_the_card_s_page_says_so(library_with_files: Any) -> None:
    """The PDF in the stash was replaced by an edition of 5 pages; the
    card is on p. 9. The window showed p. 5 and said nothing."""
    anki = library_with_files
    window = _open(anki, "Where was the appendix?")
    anki.anki.wait_rendered(window)
    assert window.current_page == 5 and window.page_count == 5
    assert window.message.isVisible()
    assert window.message.text() == "The card's p. 9 is not in this file any more (it ends at p. 5)."
    window.close()
    window = _open(anki, "What did the scanner turn?")  # the next document: no such line
    anki.anki.wait_rendered(window)
    assert not window.message.isVisible()
    window.close()


def test_a_second_click_brings_back_the_minimised_window_at_the_card_s_page(library_with_files: Any) -> None:
    anki = library_with_files
    links = anki.controller.source_links
    window = _open(anki, "What did the scanner turn?")
    anki.anki.wait_rendered(window)
    window.showMinimized()
    anki.anki.wait_until(window.isMinimized, what="the window minimised")
    _show_answer(anki, "What folds out?")
    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.window.current_page == 3, what="the click")
    assert links.window is window  # one window, re-targeted
    anki.anki.wait_until(lambda: not window.isMinimized(), what="the window back from the task bar")
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 3 and len(window.view.mark_rects()) == 1
    window.close()


def test_escape_closes_the_window_and_gives_the_keys_back_to_the_reviewer(library_with_files: Any) -> None:
    from aqt.qt import QApplication, Qt
    from PyQt6.QtTest import QTest

    anki = library_with_files
    anki.mw.activateWindow()
    window = _open(anki, "What did the scanner turn?")
    anki.anki.wait_until(lambda: QApplication.activeWindow() is window, what="the window active")
    anki.anki.wait_rendered(window)
    QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_Escape)
    anki.anki.wait_until(lambda: not window.isVisible(), what="Escape to close the window")
    anki.anki.wait_until(lambda: QApplication.activeWindow() is anki.mw, what="Anki's window active again")


def test_page_down_and_up_read_on_across_pages(library_with_files: Any) -> None:
    """Page Down did nothing unless the page itself had been clicked (the
    focus is on a button when the window opens); now it scrolls the page a
    screen at a time, then turns to the next page's top; Page Up back."""
    from aqt.qt import Qt
    from PyQt6.QtTest import QTest

    anki = library_with_files
    window = _open(anki, "Where was the appendix?")  # a Letter page, taller than the window is wide
    window.resize(500, 400)
    anki.anki.wait_rendered(window)
    window.go_to(2)
    anki.anki.wait_rendered(window)
    bar = window.scroller.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0

    def key(k: Any) -> None:
        QTest.keyClick(window.focusWidget() or window, k)
        anki.anki.process(0.05)

    key(Qt.Key.Key_PageDown)
    assert window.current_page == 2 and bar.value() > 0
    for _ in range(10):
        if bar.value() == bar.maximum():
            break
        key(Qt.Key.Key_PageDown)
    assert window.current_page == 2 and bar.value() == bar.maximum()
    key(Qt.Key.Key_PageDown)
    assert window.current_page == 3
    anki.anki.wait_rendered(window)
    assert bar.value() == 0
    key(Qt.Key.Key_PageUp)
    assert window.current_page == 2
    anki.anki.wait_rendered(window)
    assert bar.value() == bar.maximum()  # back where the reading left page 2
    window.close()


def test_zoom_keys_make_the_page_larger_and_smaller(library_with_files: Any) -> None:
    """At 400 px a page fitted to the width has 8 px type: Ctrl++ had no
    effect (nor Ctrl+-, Ctrl+0)."""
    from aqt.qt import Qt
    from PyQt6.QtTest import QTest

    anki = library_with_files
    window = _open(anki, "What did the scanner turn?")
    window.resize(400, 600)
    anki.anki.wait_rendered(window)
    fitted = window.view.width()
    focus = window.focusWidget() or window
    QTest.keyClick(focus, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    anki.anki.wait_rendered(window)
    assert window.view.width() > fitted * 1.2
    assert window.scroller.horizontalScrollBar().maximum() > 0
    (rect,) = window.view.mark_rects()
    assert _blue_under(window, rect) == 1.0  # still on its box
    QTest.keyClick(focus, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    anki.anki.wait_rendered(window)
    assert window.view.width() == fitted
    QTest.keyClick(focus, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    anki.anki.wait_rendered(window)
    assert window.view.width() < fitted
    # Ctrl + the mouse wheel, as in every viewer; the wheel alone scrolls.
    from aqt.qt import QApplication, QPoint, QPointF, QWheelEvent

    def wheel(dy: int, modifiers: Any) -> None:
        viewport = window.scroller.viewport()
        at = QPointF(viewport.width() / 2, viewport.height() / 2)
        QApplication.sendEvent(viewport, QWheelEvent(at, QPointF(viewport.mapToGlobal(at.toPoint())), QPoint(0, 0),
                                                     QPoint(0, dy), Qt.MouseButton.NoButton, modifiers,
                                                     Qt.ScrollPhase.NoScrollPhase, False))
        anki.anki.wait_rendered(window)

    small = window.view.width()
    wheel(120, Qt.KeyboardModifier.ControlModifier)
    assert window.view.width() > small
    wheel(-120, Qt.KeyboardModifier.ControlModifier)
    assert window.view.width() == small
    window.close()


def test_a_page_numbered_otherwise_in_print_shows_both_numbers(library_with_files: Any) -> None:
    """Card and window count pages from the first, as Polar does ("p. 3");
    the page itself prints "1" (roman front matter before it). The window
    said "3 of 5" only, so the page seemed the wrong one."""
    anki = library_with_files
    window = _open(anki, "What does chapter 1 begin with?")
    assert "p.\u00a03" in _js(anki, "document.querySelector('.polar-source').textContent")
    anki.anki.wait_rendered(window)
    assert window.current_page == 3 and window.page_box.value() == 3
    assert window.count_label.text() == "of 5 · printed 1"
    window.go_to(1)
    anki.anki.wait_rendered(window)
    assert window.count_label.text() == "of 5 · printed i"
    window.close()
    window = _open(anki, "Where was the appendix?")  # numbered 1, 2, 3 …: nothing more
    anki.anki.wait_rendered(window)
    assert window.count_label.text() == "of 5"
    window.close()


def test_a_document_no_program_opens_says_where_it_is(library_with_files: Any) -> None:
    """A document handed to the system's viewer: on a system with none (no
    EPUB reader, no xdg-open) Qt's openUrl fails, and a click did nothing at
    all. (Qt's offscreen platform opens nothing: that system, here.) An
    EPUB opens in the book window (viewer6), whose "Open outside Anki"
    says so in the window; so does the PDF window's. Both buttons hand the
    file to the system's program for it, and say so in one wording (they
    were "Open in e-book reader" and "Open in system viewer")."""
    from aqt.qt import QGuiApplication

    if QGuiApplication.platformName() != "offscreen":
        pytest.skip("a real desktop would open the file")
    anki = library_with_files
    links = anki.controller.source_links
    _show_answer(anki, "Which reader opens this EPUB?")
    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.book_window is not None and links.book_window.isVisible()
                         and not links.book_window.loading, what="the book window")
    book = links.book_window
    assert book.system_button.text() == "Open outside Anki" and "e-book reader" in book.system_button.toolTip()
    book.system_button.click()
    text = book.message.text().replace("\u2060", "")  # (its path kept whole: unbroken)
    assert book.message.isVisible() and "No program on this computer opened “An EPUB Nothing Opens”." in text
    assert f"{EPUB_FP}.epub" in text
    book.close()
    # The PDF window's button, the same words, says so in the window.
    window = _open(anki, "What did the scanner turn?")
    assert window.system_button.text() == book.system_button.text()
    assert window.system_button.toolTip() == book.system_button.toolTip()
    window.system_button.click()
    assert window.message.isVisible() and "No program on this computer opened" in window.message.text()
    window.close()


def test_the_arrow_keys_and_space_scroll_the_page_as_soon_as_it_opens(library_with_files: Any) -> None:
    """The focus was on ◀ when the window opened: ↓ did nothing and Space
    went back a page. Now the page has the keys: ↓ and Space scroll it, Space
    at its bottom turns to the next page, Shift+Space back."""
    from aqt.qt import QApplication, Qt
    from PyQt6.QtTest import QTest

    anki = library_with_files
    window = _open(anki, "Where was the appendix?")
    window.resize(500, 400)
    window.go_to(2)
    anki.anki.wait_rendered(window)
    anki.anki.wait_until(lambda: QApplication.focusWidget() is not None, what="a focused widget")
    bar = window.scroller.verticalScrollBar()
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert window.current_page == 2 and bar.value() > 0
    for _ in range(12):
        QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
        if window.current_page == 3:
            break
    assert window.current_page == 3
    anki.anki.wait_rendered(window)
    QTest.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space, Qt.KeyboardModifier.ShiftModifier)
    assert window.current_page == 2
    window.close()
