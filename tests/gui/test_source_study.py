"""Back to the source as a person studying uses it, in real Anki: pages of
every common shape (A4, Letter, landscape, a printer's crop box), two
highlights on one page, a highlight running on to the next page, one
window re-used card after card (its page, its zoom).

The PDFs are written byte by byte (tools/pdf_maker.write_raw_pdf) with a
solid blue box under each highlight; the rects are what Polar's own code
stores (TextHighlighter.createTextHighlight: the selection's client rects
less the page element's inner box, divided by the zoom: CSS px at scale 1,
96 per inch, measured on the page as pdf.js shows it, i.e. its crop box)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

from tests.gui.test_source_files import _blue_under, _open
from tests.gui.test_source_link import _READY, _js, _show_answer
from tests.polar_factory import Doc, basic

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import pdf_maker  # noqa: E402

pytestmark = pytest.mark.anki

STUDY_FP = "1StudyPagesOfAllShapes"
BOOK_FP = "1StudyAnEpubBookDoc001"
LOCKED_FP = "1StudyALockedPaperDoc1"
CAPTURE_FP = "1StudyAWebCaptureDoc01"
DECK = ["deck:Viewer study"]
PX = 96 / 72


def _px(x: float, y: float, w: float, h: float) -> Dict[str, float]:
    return {"left": x * PX, "top": y * PX, "width": w * PX, "height": h * PX}


Box = Tuple[float, float, float, float]
A_BOX: Box = (72, 100, 200, 50)
B_BOX: Box = (300, 420, 240, 30)
END_BOX: Box = (72, 700, 300, 40)  # the last lines of page 2 ...
TOP_BOX: Box = (72, 40, 300, 40)  # ... and the first of page 3
# Page 4: a printer's PDF: MediaBox 700 x 900 with a CropBox 600 x 800 at (50, 50).
CROP = (50, 50, 650, 850)
CROP_BOX: Box = (150, 200, 200, 50)  # in the media box, from its top left
A4_BOX: Box = (72, 700, 200, 50)
LANDSCAPE_BOX: Box = (500, 400, 200, 50)


def _write_library(library: Path) -> None:
    doc = Doc(library, STUDY_FP, title="Pages Of All Shapes", pages=6, tags=DECK)

    def highlight(hid: str, page: int, *rects: Dict[str, float]) -> None:
        doc.text_highlight(hid, f"Highlight {hid}.", page=page)
        doc.page(page)["textHighlights"][hid]["rects"] = {str(i): r for i, r in enumerate(rects)}

    highlight("1StudyHlA", 1, _px(*A_BOX))
    doc.card("1StudyCardA", basic("<p>Study card A?</p>", "<p>A.</p>"), ref="text-highlight:1StudyHlA", page=1)
    highlight("1StudyHlB", 1, _px(*B_BOX))
    doc.card("1StudyCardB", basic("<p>Study card B?</p>", "<p>B.</p>"), ref="text-highlight:1StudyHlB", page=1)
    # Selected from the last lines of page 2 on to the first of page 3: Polar
    # measures every rect from page 2's box, so page 3's lines lie below it.
    gap = 8.0  # pdf.js's pages have a border between them (not stored)
    x, y, w, h = TOP_BOX
    highlight("1StudyHlX", 2, _px(*END_BOX), _px(x, 792 + gap + y, w, h))
    doc.card("1StudyCardX", basic("<p>Study card across pages?</p>", "<p>X.</p>"),
             ref="text-highlight:1StudyHlX", page=2)
    cx, cy, cw, ch = CROP_BOX
    highlight("1StudyHlC", 4, _px(cx - CROP[0], cy - (900 - CROP[3]), cw, ch))
    doc.card("1StudyCardC", basic("<p>Study card cropped?</p>", "<p>C.</p>"), ref="text-highlight:1StudyHlC", page=4)
    highlight("1StudyHl4", 5, _px(*A4_BOX))
    doc.card("1StudyCard4", basic("<p>Study card A4?</p>", "<p>A4.</p>"), ref="text-highlight:1StudyHl4", page=5)
    highlight("1StudyHlL", 6, _px(*LANDSCAPE_BOX))
    doc.card("1StudyCardL", basic("<p>Study card landscape?</p>", "<p>L.</p>"),
             ref="text-highlight:1StudyHlL", page=6)
    doc.write()
    pdf_maker.write_raw_pdf(library / "stash" / f"{STUDY_FP}.pdf", [
        {"boxes": [A_BOX, B_BOX]}, {"box": END_BOX}, {"box": TOP_BOX},
        {"w": 700, "h": 900, "crop": CROP, "box": CROP_BOX},
        {"w": 595, "h": 842, "box": A4_BOX}, {"w": 842, "h": 595, "box": LANDSCAPE_BOX}])
    # An EPUB: Polar's place in it is a section and rects in that section's
    # page, nothing a system e-book reader can be sent to.
    book = Doc(library, BOOK_FP, title="An Ebook To Study", pages=12, tags=DECK)
    book.meta["docInfo"]["filename"] = f"{BOOK_FP}.epub"
    book.text_highlight("1StudyBookHl", "A sentence in chapter 3.", page=3, top=400.0)
    book.card("1StudyBookC", basic("<p>Study card in an EPUB?</p>", "<p>E.</p>"), ref="text-highlight:1StudyBookHl",
              page=3)
    book.write()
    (library / "stash" / f"{BOOK_FP}.epub").write_bytes(b"PK\x03\x04 an epub is a zip")
    # A paper really encrypted (RC4, the standard handler), "open sesame" its password.
    locked = Doc(library, LOCKED_FP, title="A Locked Paper", pages=2, tags=DECK)
    locked.text_highlight("1StudyLockHl", "The boxed words.", page=2)
    locked.page(2)["textHighlights"]["1StudyLockHl"]["rects"] = {"0": _px(*A_BOX)}
    locked.card("1StudyLockC", basic("<p>Study card in a locked paper?</p>", "<p>P.</p>"),
                ref="text-highlight:1StudyLockHl", page=2)
    locked.write()
    pdf_maker.write_raw_pdf(library / "stash" / f"{LOCKED_FP}.pdf", [{}, {}], password="open sesame")
    # Polar 2 keeps a captured web page as a one-section EPUB marked webCapture.
    capture = Doc(library, CAPTURE_FP, title="A Captured Article", pages=1, tags=DECK)
    capture.meta["docInfo"].update(filename=f"{CAPTURE_FP}.epub", url="https://example.org/spaced", webCapture=True)
    capture.card("1StudyCaptC", basic("<p>Study card from a captured page?</p>", "<p>W.</p>"), page=1)
    capture.write()
    (library / "stash" / f"{CAPTURE_FP}.epub").write_bytes(b"PK\x03\x04 a captured page")


@pytest.fixture(scope="module")
def study_library(anki: Any) -> Any:
    anki.settle()
    _write_library(anki.library)
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not [e for e in outcome.report.errors if "1Study" in e["path"]]
    yield anki
    anki.controller.source_links.close()
    anki.mw.moveToState("deckBrowser")


def _on_box(anki: Any, front: str, page: int, boxes: int = 1) -> Any:
    window = _open(anki, front)
    anki.anki.wait_rendered(window)
    assert window.current_page == page
    rects = window.view.mark_rects()
    assert len(rects) == boxes and all(_blue_under(window, rect) == 1.0 for rect in rects), (front, rects)
    return window


def test_highlights_land_on_their_words_on_a4_landscape_and_cropped_pages(study_library: Any) -> None:
    """Checked and fine: pages of A4, landscape and a printer's crop box
    (Polar measures on the crop box, as pdf.js and Qt PDF show it)."""
    for front, page in (("Study card cropped?", 4), ("Study card A4?", 5), ("Study card landscape?", 6)):
        _on_box(study_library, front, page).close()


def test_a_highlight_running_on_to_the_next_page_is_drawn_on_both(study_library: Any) -> None:
    """Selected from the last lines of page 2 on to the top of page 3:
    Polar keeps it on page 2 with the rects of page 3's lines below page
    2's bottom. The window drew page 2's part only; page 3, where the
    highlight ends, showed nothing."""
    anki = study_library
    window = _on_box(anki, "Study card across pages?", 2)
    window.go_to(3)
    anki.anki.wait_rendered(window)
    (rect,) = window.view.mark_rects()
    assert _blue_under(window, rect) >= 0.75  # (Polar's gap between pages is not stored: within a few px)
    window.go_to(4)
    anki.anki.wait_rendered(window)
    assert window.view.mark_rects() == []
    window.close()


def _click(anki: Any, front: str) -> Any:
    """The card ``front``'s answer, its control clicked, the window left as it was."""
    links = anki.controller.source_links
    _show_answer(anki, front)
    before = links.window.spot if links.window is not None else None
    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible()
                         and links.window.spot != before, what="the click")
    anki.anki.wait_rendered(links.window)
    return links.window


def _in_view(window: Any, rect: Any) -> bool:
    """Whether ``rect`` (view coordinates) is all inside the window's scrolled viewport."""
    viewport = window.scroller.viewport()
    top_left = window.view.mapTo(viewport, rect.topLeft().toPoint())
    bottom_right = window.view.mapTo(viewport, rect.bottomRight().toPoint())
    return viewport.rect().contains(top_left) and viewport.rect().contains(bottom_right)


def test_the_next_card_s_click_shows_its_highlight_in_the_zoom_the_person_chose(study_library: Any) -> None:
    """One window, card after card: it jumps to each card's page and keeps
    the person's zoom (checked and fine), but the highlight was scrolled to
    by its middle point only, so when zoomed in a highlight on the right
    of the page was cut off at the window's edge (card B), and one at the
    left lost its left edge (card A, "age 1" of "Page 1" shown)."""
    from aqt.qt import QRectF, QSizeF, Qt
    from PyQt6.QtTest import QTest

    anki = study_library
    window = _on_box(anki, "Study card A?", 1)
    window.resize(420, 500)
    anki.anki.wait_rendered(window)
    for _ in range(2):
        QTest.keyClick(window.focusWidget() or window, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    anki.anki.wait_rendered(window)
    zoomed = window.view.width()
    for front, page in (("Study card B?", 1), ("Study card landscape?", 6), ("Study card A?", 1),
                        ("Study card across pages?", 2)):
        assert _click(anki, front) is window  # re-used
        assert window.current_page == page and window.windowTitle() == f"Pages Of All Shapes — p. {page}"
        (rect,) = window.view.mark_rects()
        assert _blue_under(window, rect) == 1.0
        if rect.width() < window.scroller.viewport().width() - 16:
            assert _in_view(window, rect.adjusted(-4, -4, 4, 4)), front
        else:  # wider than the window: from its start
            assert _in_view(window, QRectF(rect.topLeft(), QSizeF(40, rect.height())).adjusted(-4, -4, 4, 4)), front
        if page != 6:
            assert window.view.width() == zoomed  # the person's zoom kept
    window.close()


def test_an_epub_s_control_says_it_shows_the_highlight_in_the_book(study_library: Any) -> None:
    """An EPUB's control read "open document", then "open book" (the
    system's e-book reader, at the book's start). Since viewer6 it shows the
    highlight in the add-on's book window (tests/gui/test_source_book.py)."""
    anki = study_library
    _show_answer(anki, "Study card in an EPUB?")
    assert _js(anki, "document.querySelector('.polar-open').textContent") == "show in book"
    # The line names the highlight's section (Polar's number for an EPUB), not a page no reader shows.
    line = _js(anki, "document.querySelector('.polar-source').textContent")
    assert line == "An Ebook To Study\u00a0· §\u00a03\u00a0· show in book", line
    tip = _js(anki, "document.querySelector('.polar-open').title")
    assert tip == "Show the highlight in the book, here (Shift+O)"


def test_a_locked_pdf_opens_with_its_password_typed_in_the_window(study_library: Any) -> None:
    """A password-protected PDF: the window said so and offered the system
    viewer only (Qt PDF can open it: QPdfDocument.setPassword, in the Qt of
    Anki 23.10 and 26.9). Now a password field under the message, focused:
    a wrong password says so, the right one opens the card's page with its
    highlight, and the next click on the file needs none (kept in memory
    until the profile closes, never stored)."""
    from aqt.qt import QApplication, Qt
    from PyQt6.QtTest import QTest

    anki = study_library
    window = _open(anki, "Study card in a locked paper?")
    anki.anki.wait_until(lambda: not window.rendering, what="the window")
    assert window.message.text() == "This PDF is protected by a password: type it below to open it here."
    assert window.password_row.isVisible() and window.page_count == 0
    anki.anki.wait_until(lambda: QApplication.focusWidget() is window.password, what="the field focused")
    QTest.keyClicks(window.password, "open says me")
    QTest.keyClick(window.password, Qt.Key.Key_Return)
    assert window.message.text() == "That password does not open this PDF."
    assert window.password_row.isVisible() and window.password.text() == "" and window.page_count == 0
    QTest.keyClicks(window.password, "open sesame")
    window.unlock_button.click()
    anki.anki.wait_rendered(window)
    assert window.page_count == 2 and window.current_page == 2
    assert not window.password_row.isVisible() and not window.message.isVisible()
    (rect,) = window.view.mark_rects()
    assert _blue_under(window, rect) == 1.0
    window.close()
    _on_box(anki, "Study card A?", 1).close()  # another document in between
    window = _open(anki, "Study card in a locked paper?")  # loaded again: no password asked
    anki.anki.wait_rendered(window)
    assert window.current_page == 2 and not window.password_row.isVisible()
    window.close()


def test_enter_on_the_control_reached_with_tab_opens_the_document_and_does_not_answer_the_card(
        study_library: Any) -> None:
    """Keyboard only: Tab from the answer reaches the "open" control, but
    Enter there was taken by Anki's reviewer (Enter answers with the
    default button): the card was graded "Good" and no document opened.
    Now Enter on the focused control opens it and the card stays on its
    answer, ungraded; Enter elsewhere still answers, as Anki does. (The
    card comes to the reviewer as Anki brings it, from a filtered deck
    holding it alone, so that Anki can answer it.)"""
    from anki.decks import DeckId
    from aqt.qt import Qt
    from PyQt6.QtTest import QTest

    anki = study_library
    mw, col = anki.mw, anki.mw.col
    links = anki.controller.source_links
    links.close()
    (cid,) = col.find_cards('"front:*Study card B?*"')
    deck = col.sched.get_or_create_filtered_deck(deck_id=DeckId(0))
    deck.name = "Viewer study, card B alone"
    deck.config.search_terms[0].search = f"cid:{cid}"
    did = col.sched.add_or_update_filtered_deck(deck).id
    try:
        col.decks.select(did)
        mw.activateWindow()
        for _ in range(3):  # (Anki's refresh after a sync may take the main window back to the decks)
            mw.moveToState("review")
            try:
                anki.anki.wait_until(lambda: mw.state == "review" and mw.reviewer.card is not None
                                     and mw.reviewer.card.id == cid and _js(anki, _READY), 20, "the reviewer")
                break
            except TimeoutError:
                pass
        else:
            raise TimeoutError("the reviewer never showed card B")
        mw.reviewer._showAnswer()
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-open')"), what="the answer")
        web = mw.reviewer.web
        web.setFocus()
        keys = web.focusProxy() or web
        for _ in range(6):
            QTest.keyClick(keys, Qt.Key.Key_Tab)
            anki.anki.process(0.1)
            if _js(anki, "!!document.activeElement && document.activeElement.classList.contains('polar-open')"):
                break
        else:
            raise AssertionError("Tab never reached the control")
        reps = col.get_card(cid).reps
        QTest.keyClick(keys, Qt.Key.Key_Return)
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the window")
        anki.anki.wait_rendered(links.window)
        assert links.window.current_page == 1 and len(links.window.view.mark_rects()) == 1
        assert mw.reviewer.state == "answer" and mw.reviewer.card.id == cid
        assert col.get_card(cid).reps == reps  # not answered
        links.window.close()
        # Enter with the focus elsewhere on the page: Anki's, the card answered.
        mw.activateWindow()
        web.setFocus()
        _js(anki, "document.activeElement && document.activeElement.blur(); true")
        QTest.keyClick(keys, Qt.Key.Key_Return)
        anki.anki.wait_until(lambda: col.get_card(cid).reps == reps + 1, what="Anki to answer the card")
        anki.anki.wait_until(lambda: mw.state != "review" or mw.reviewer.state == "question",
                             what="Anki's reviewer on to the next card")
        assert not links.window.isVisible()
    finally:
        mw.moveToState("deckBrowser")
        col.sched.empty_filtered_deck(did)
        col.decks.remove([did])


def test_the_system_viewer_button_says_the_file_moved_away_while_the_window_showed_it(study_library: Any) -> None:
    """The PDF moved away (a folder tidied) while its window is open: the
    pages already read still turn (Qt PDF keeps the file open: nothing
    freezes), but "Open in system viewer" said "No program on this computer
    opened …", as if a program were missing. Now it says the file is not
    there any more and where it was looked for."""
    anki = study_library
    window = _on_box(anki, "Study card A4?", 5)
    path = Path(window.path)
    moved = path.with_name(path.name + ".moved")
    path.rename(moved)
    try:
        window.system_button.click()
        assert window.message.isVisible()
        # (Its path kept whole where the line wraps: unbroken's word joiners.)
        assert window.message.text().replace("\u2060", "") == ("“Pages Of All Shapes” is not on this computer any "
                                                              f"more. Polar Sync looked for it at {path}")
        assert window.message.text().startswith("“Pages Of All Shapes” is not on this computer any more. Polar Sync "
                                                "looked for it at /\u2060")  # (not "at /|tmp/…")
        window.go_to(6)
        anki.anki.wait_rendered(window)
        assert window.rendered_page == 6
    finally:
        moved.rename(path)
    window.close()


def test_a_polar_2_web_capture_is_a_web_page_not_a_book(study_library: Any) -> None:
    """Polar 2's web capture (a one-section EPUB marked webCapture): its
    line names the site and links it, and beside that link the control
    said "open book" and gave the .epub to an e-book reader. Now it is a
    web page: the site's link is the way back (no second control)."""
    anki = study_library
    _show_answer(anki, "Study card from a captured page?")
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0
    assert _js(anki, "document.querySelector('.polar-source a').getAttribute('href')") == "https://example.org/spaced"
