"""An EPUB card's place, exactly, in real Anki (viewer round 7).

Polar stores no rects for an EPUB text highlight: only its words and its
``order``, the selection's top in px down the section as Polar's window
laid it out (polar-bookshelf's SelectedContents.computeOrder:
``range.getBoundingClientRect().top + scrollY``). The orders here are
measured that way, by Chromium, on the section with Polar's EPUB CSS, in a
window 1400 px wide (not the ~1000 px the book window assumes when nothing
in the book tells): a word five times in its section is marked at the place
the card was made from, the section's other highlight setting the scale.
Also: words that run across two sections (an edition split elsewhere), and
the window shown at once, "Opening …", while a big book is read."""

from __future__ import annotations

import time
from typing import Any, Dict, List

import pytest

from tests.gui.test_source_book import _in_book, _open, _wait_section
from tests.gui.test_source_link import _show_answer
from tests.polar.test_epub_book import make_epub
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

PLACE_FP = "1PlaceEntropyBookDoc01"
BIG_FP = "1PlaceAVeryBigBookDoc1"
PLATE_FP = "1PlaceIllustratedDoc01"
DECK = ["deck:Book places"]
FILLER = "<p>" + "Words of the chapter that say nothing of the matter at hand, line after line. " * 12 + "</p>"
SPLIT = "it was the best of times, it was the worst of times"
POLAR_CSS = ("<style>body, html{font-family:Roboto, Helvetica, Arial, sans-serif !important;padding:0px;"
             "padding-bottom:5px !important}body{margin:5px;padding:10px}html{margin-left:auto !important;"
             "margin-right:auto !important;margin-bottom:5px !important;padding:10px}</style>")
# Where each place of a word is, as Polar's computeOrder measures it.
MEASURE = ("(function(word){var out=[];var w=document.createTreeWalker(document.body,NodeFilter.SHOW_TEXT);"
           "var n;while((n=w.nextNode())){var t=n.data.toLowerCase();var i=t.indexOf(word);while(i!==-1){"
           "var r=document.createRange();r.setStart(n,i);r.setEnd(n,i+word.length);"
           "out.push(r.getBoundingClientRect().top+window.scrollY);i=t.indexOf(word,i+1);}}return out;})")


def _noise_png(width: int, height: int) -> bytes:
    """A real PNG of random pixels (incompressible: ~3 bytes a pixel)."""
    import os
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\0" + os.urandom(width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))


def _chapter() -> str:
    return "".join(f"{FILLER * 3}<p id='t{i}'>Place {i}: entropy.</p>" for i in range(1, 7)) + FILLER


def _sections() -> Dict[str, str]:
    return {"s1.xhtml": "<h1>Title</h1>", "s2.xhtml": _chapter(),
            "s3.xhtml": f"<h1>Two Cities</h1>{FILLER}<p id='head'>It was the best of times, it was",
            "s4.xhtml": "the worst of times, it was the age of wisdom</p><p>Later.</p>"}


def _polar_orders(anki: Any, body: str, words: List[str], width: int) -> List[List[float]]:
    """Polar's ``order`` of each place of each of ``words`` in a section of
    ``body``, laid out in a window ``width`` px wide with Polar's CSS."""
    from aqt.qt import QUrl, QWebEngineView

    view = QWebEngineView()
    view.resize(width, 800)
    loaded: List[bool] = []
    view.loadFinished.connect(loaded.append)
    view.setHtml(f"<html><head>{POLAR_CSS}</head><body>{body}</body></html>", QUrl("about:blank"))
    view.show()
    anki.anki.wait_until(lambda: loaded, what="the section laid out as Polar did")
    out = []
    for word in words:
        box: Dict[str, Any] = {}
        view.page().runJavaScript(f"{MEASURE}({word.lower()!r})", lambda v, box=box: box.__setitem__("v", v))
        anki.anki.wait_until(lambda box=box: "v" in box, what="the places measured")
        out.append(box["v"])
    view.close()
    view.deleteLater()
    return out


@pytest.fixture(scope="module")
def place_library(anki: Any) -> Any:
    anki.settle()
    library = anki.library
    entropy, anchor = _polar_orders(anki, _chapter(), ["entropy", "Place 2:"], 1400)
    assert len(entropy) == 6 and len(anchor) == 1
    book = Doc(library, PLACE_FP, title="Entropy and Cities", pages=4, tags=DECK)
    book.meta["docInfo"]["filename"] = f"{PLACE_FP}.epub"
    for hid, text, page, order in (("1PlaceHlFifth", "entropy", 2, entropy[4]),
                                   ("1PlaceHlAnchor", "Place 2:", 2, anchor[0]),
                                   ("1PlaceHlNoOrder", "Entropy", 2, None),
                                   ("1PlaceHlSplit", SPLIT, 3, 900.0)):
        book.text_highlight(hid, text, page=page)
        highlight = book.page(page)["textHighlights"][hid]
        highlight.update(rects={}, textSelections={})  # (as Polar writes an EPUB's)
        if order is not None:
            highlight["order"] = order
    for cid, front, hid, page in (("1PlaceCardFifth", "Place card: the fifth entropy?", "1PlaceHlFifth", 2),
                                  ("1PlaceCardNoOrder", "Place card: an entropy of no place?", "1PlaceHlNoOrder", 2),
                                  ("1PlaceCardSplit", "Place card: best and worst?", "1PlaceHlSplit", 3)):
        book.card(cid, basic(f"<p>{front}</p>", "<p>A.</p>"), ref=f"text-highlight:{hid}", page=page)
    book.write()
    (library / "stash" / f"{PLACE_FP}.epub").write_bytes(make_epub(_sections()))
    # A big book (~10 MB of text in 40 sections) whose card's words are in its last one.
    big = Doc(library, BIG_FP, title="A Very Big Book", pages=40, tags=DECK)
    big.meta["docInfo"]["filename"] = f"{BIG_FP}.epub"
    big.text_highlight("1PlaceHlBig", "the words at the very end of the book", page=1)
    big.card("1PlaceCardBig", basic("<p>Place card: the end of a big book?</p>", "<p>A.</p>"),
             ref="text-highlight:1PlaceHlBig", page=1)
    big.write()
    sections = {f"b{i:02}.xhtml": "".join(f"<p>Paragraph {i}.{j}: " + "filler text of a very big book. " * 40
                                          + "</p>" for j in range(190)) for i in range(1, 41)}
    sections["b40.xhtml"] += "<p>Here are the words at the very end of the book.</p>"
    (library / "stash" / f"{BIG_FP}.epub").write_bytes(make_epub(sections))
    # An illustrated book: a 2.4 MB plate (past the 1.5 MB a page may hold) above the card's words.
    plates = Doc(library, PLATE_FP, title="Plates", pages=1, tags=DECK)
    plates.meta["docInfo"]["filename"] = f"{PLATE_FP}.epub"
    plates.text_highlight("1PlaceHlPlate", "the words under the plate", page=1)
    plates.card("1PlaceCardPlate", basic("<p>Place card: under the plate?</p>", "<p>A.</p>"),
                ref="text-highlight:1PlaceHlPlate", page=1)
    plates.write()
    (library / "stash" / f"{PLATE_FP}.epub").write_bytes(make_epub(
        {"p1.xhtml": f"<p>Before.</p><img id='plate' src='plate.png' alt='the plate'/>{FILLER}"
                     "<p id='words'>Here are the words under the plate.<a id='to-note' href='notes.xhtml#n2'>2</a>"
                     "</p>" + FILLER * 4,
         "notes.xhtml": f"<p id='n1'>Note one.</p>{FILLER * 3}<p id='n2'>Note two: the plate is a copy.</p>"
                        + FILLER * 3},
        nonlinear=["notes.xhtml"], extra={"plate.png": _noise_png(1000, 800)}))
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not [e for e in outcome.report.errors if "1Place" in e["path"]]
    yield anki
    anki.controller.source_links.close()
    anki.mw.moveToState("deckBrowser")


def _marked_paragraph(anki: Any, window: Any) -> Any:
    return _in_book(anki, window, "(function(){var m=document.getElementById('polar-mark');"
                                  "var p=m&&m.closest('p');return p?p.id:null})()")


def test_a_word_several_times_in_its_section_is_marked_where_polar_had_it(place_library: Any) -> None:
    """"entropy" is six times in the chapter; the card was made from the
    fifth. Before, the first was marked (and scrolled to); now the fifth,
    and the others are underlined, the window saying so."""
    anki = place_library
    window = _open(anki, "Place card: the fifth entropy?")
    assert window.section.number == 2 and window.on_mark
    assert _marked_paragraph(anki, window) == "t5"
    assert (window.section.places, window.section.picked, window.section.by_position) == (6, 5, True)
    assert _in_book(anki, window, "document.querySelectorAll('mark.polar-also').length") == 5
    assert window.message.isVisible() and window.message.text() == (
        "These words appear 6 times in this section: the one where Polar had the highlight is marked, "
        "the others are underlined.")
    top, height = _in_book(anki, window, "[document.getElementById('polar-mark').getBoundingClientRect().top,"
                                         " window.innerHeight]")
    assert 0 <= top <= height / 2  # scrolled to the fifth, not the first
    # Turned away and back: the same place.
    window.step(1)
    _wait_section(anki, window, 3)
    window.step(-1)
    _wait_section(anki, window, 2)
    assert _marked_paragraph(anki, window) == "t5"
    window.close()


def test_a_highlight_with_no_place_marks_the_first_and_says_so(place_library: Any) -> None:
    anki = place_library
    window = _open(anki, "Place card: an entropy of no place?")
    assert (window.section.places, window.section.picked, window.section.by_position) == (6, 1, False)
    assert _marked_paragraph(anki, window) == "t1"
    assert window.message.text() == ("These words appear 6 times in this section: the first is marked, the others "
                                     "are underlined (Polar kept no place for this highlight).")
    window.close()


def test_words_across_two_sections_are_marked_in_the_card_s_section_and_the_next(place_library: Any) -> None:
    """Before: not found anywhere, the section from its start and "not
    found". Now the card's section, its part marked; the next, the rest."""
    anki = place_library
    window = _open(anki, "Place card: best and worst?")
    assert window.section.number == 3 and window.on_mark and window.section.part == -1
    assert _in_book(anki, window, "document.getElementById('polar-mark').textContent") \
        == "It was the best of times, it was"
    assert window.message.text() == "The highlight runs on into the next section."
    window.step(1)
    _wait_section(anki, window, 4)
    assert _in_book(anki, window, "document.getElementById('polar-mark').textContent") == "the worst of times"
    assert window.message.text() == "The highlight begins in the section before."
    window.close()


def test_the_window_shows_at_once_while_a_big_book_is_read_and_one_window_for_two_clicks(
        place_library: Any) -> None:
    """The click on a big book's card showed nothing until the book was
    read and the words found in its last section (~0.3 s here). Now the
    window is there at once, saying "Opening …"; a second click meanwhile
    opens no second window, and the section shows once."""
    from aqt.qt import QApplication

    anki = place_library
    links = anki.controller.source_links
    _show_answer(anki, "Place card: the end of a big book?")
    if links.book_window is not None:
        links.book_window.close()
    anki.anki.wait_until(lambda: links.lookups._busy_since is None, 30, what="earlier lookups done")
    card = anki.mw.reviewer.card
    began = time.monotonic()
    window = links.open_card(card)  # (what the control's click and Shift+O call)
    returned_after = time.monotonic() - began
    assert window is links.book_window and window.isVisible()
    at_once = (window.loading, window.section, window.message.text(), window.windowTitle())
    again = links.open_card(card)  # clicked again meanwhile
    anki.anki.wait_until(lambda: not window.loading and window.shown, 30, what="the section")
    shown_after = time.monotonic() - began
    print(f"window shown, Anki's window free again after {returned_after * 1000:.0f} ms; "
          f"the section after {shown_after * 1000:.0f} ms")
    assert at_once == (True, None, "Opening “A Very Big Book”…", "A Very Big Book")
    assert again is window
    assert window.section.number == 40 and window.on_mark and not window.message.isVisible()
    books = [w for w in QApplication.topLevelWidgets() if type(w).__name__ == "BookWindow" and w.isVisible()]
    assert books == [window]
    window.close()
    # Another card clicked while the big book is read: Anki's window does not wait, no "The Polar
    # folder is not answering" (it answers: it is reading), and the window ends on that card's book.
    from aqt import utils

    assert links.open_card(card) is window and window.loading
    reading = window.waits_for
    anki.anki.wait_until(lambda: reading.answered.is_set(), what="the book being read")
    utils.closeTooltip()
    other = anki.mw.col.get_card(anki.mw.col.find_cards('"front:*under the plate*"')[0])
    began = time.monotonic()
    links.open_card(other)
    waited = time.monotonic() - began
    assert utils._tooltipLabel is None and waited < 0.1, waited
    anki.anki.wait_until(lambda: window.title == "Plates" and not window.loading and window.shown, 30,
                         what="the other card's book")
    anki.anki.wait_until(lambda: links.lookups._busy_since is None, 30, what="the lookups done")
    anki.anki.process(0.3)
    assert window.isVisible() and window.title == "Plates" and window.on_mark
    window.close()
    # Closed while it said "Opening …": it does not come back when the book has been read.
    assert links.open_card(card) is window and window.isVisible() and window.loading
    job = window.waits_for
    window.close()
    anki.anki.wait_until(lambda: job.done.is_set(), 30, what="the book read")
    anki.anki.process(0.3)
    assert not window.isVisible()


def test_an_image_past_the_page_s_budget_shows_and_the_words_stay_in_view(place_library: Any) -> None:
    """A 2.4 MB plate (Qt shows no page set as HTML larger than 2 MB; a
    page holds 1.5 MB of images) showed as its alt text "the plate". Now it
    is handed to the page after its load, and the words stay where they were
    scrolled to while it decodes."""
    anki = place_library
    window = _open(anki, "Place card: under the plate?")
    assert window.on_mark
    anki.anki.wait_until(lambda: _in_book(anki, window, "document.getElementById('plate').complete && "
                                                       "document.getElementById('plate').naturalWidth") == 1000,
                         10, what="the plate shown")
    assert len(window.section.deferred) == 1
    anki.anki.process(0.3)
    top, height = _in_book(anki, window, "[document.getElementById('polar-mark').getBoundingClientRect().top,"
                                         " window.innerHeight]")
    assert 0 <= top <= height / 2, (top, height)
    window.close()


def test_a_footnote_in_a_notes_file_outside_the_reading_order_opens_at_the_note(place_library: Any) -> None:
    """The book's notes file is no section (linear="no": Polar does not
    number it); a link to a note in it led nowhere. Now the window shows the
    notes file at the note; ◀ goes back to the section it came from."""
    anki = place_library
    window = _open(anki, "Place card: under the plate?")
    _in_book(anki, window, "document.getElementById('to-note').click(); true")
    anki.anki.wait_until(lambda: window.section.document == "OEBPS/notes.xhtml" and window.shown
                         and not window.loading, what="the notes file")
    top, height = _in_book(anki, window, "[document.getElementById('n2').getBoundingClientRect().top,"
                                         " window.innerHeight]")
    assert 0 <= top < height and _in_book(anki, window, "window.scrollY") > 0
    assert window.prev_button.isEnabled()
    window.prev_button.click()
    anki.anki.wait_until(lambda: not window.section.document and window.shown and not window.loading,
                         what="back to the section")
    assert window.section.number == 1 and window.on_mark
    window.close()


def test_the_words_stay_in_view_when_the_window_is_resized_until_the_person_scrolls(place_library: Any) -> None:
    """Made narrower after it opened (760 → 400 px), the window kept its
    scroll offset: the text above the words grew longer and the words went
    out of view below. Now they are put back in view; once the person has
    scrolled away, a resize leaves the place alone."""
    anki = place_library
    links = anki.controller.source_links
    if links.book_window is not None:
        links.book_window.resize(760, 900)
    window = _open(anki, "Place card: the fifth entropy?")
    window.resize(760, 900)
    anki.anki.process(0.5)
    window.resize(400, 640)

    def mark_top() -> float:
        return _in_book(anki, window, "document.getElementById('polar-mark').getBoundingClientRect().top")

    anki.anki.process(1.0)
    assert 0 <= mark_top() <= window.view.height() / 2
    _in_book(anki, window, "window.scrollBy(0, 3000); true")
    anki.anki.process(0.8)
    assert mark_top() < 0
    window.resize(560, 700)
    anki.anki.process(1.0)
    assert mark_top() < 0  # (still where the person read on, not back at the words)
    window.close()



def test_a_page_that_finished_loading_late_is_not_taken_for_the_section(place_library: Any) -> None:
    """The "Opening …" page (or the section before) can finish loading after
    the card's section was set in the view: its loadFinished scrolled and
    called the window shown with the view on a page without the mark (seen
    under load on Anki 24.06: ``shown``, no ``#polar-mark``). Now only the
    section's own page is placed."""
    anki = place_library
    window = _open(anki, "Place card: the fifth entropy?")
    assert window.on_mark
    # The section set, its page not yet placed, and another page (the kind
    # "Opening …" shows) finishing its load in the view meanwhile.
    window.shown = False
    finished: list = []
    window.view.loadFinished.connect(finished.append)
    window.view.setHtml("")
    anki.anki.wait_until(lambda: finished, what="the other page loaded")
    anki.anki.process(0.5)  # (any script it set off answered)
    window.view.loadFinished.disconnect(finished.append)
    assert not window.shown and window.on_mark  # not taken for the section: was shown, on_mark False
    window.close()
