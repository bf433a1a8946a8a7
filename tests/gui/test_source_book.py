"""Back to the source for an EPUB card, in real Anki: the control opens the
add-on's book window at the card's section, scrolled to the highlight's
words and marked; the book's scripts do not run and nothing is fetched;
←/→ turn sections, Escape closes; one window card after card; a highlight
whose words are not in the book, and a damaged .epub, each say so in one
sentence.

The .epub is made here with zipfile: four spine items (in an order that is
not the manifest's), the card's words in the third across an <i>, a soft
hyphen and a line break, the book's CSS and an image beside them."""

from __future__ import annotations

import io
import sys
import threading
import zipfile
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional

import pytest

from tests.gui.test_source_link import _js, _show_answer
from tests.polar.test_epub_book import PNG, make_epub
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

BOOK_FP = "1BookMobyDickEpubDoc01"
DAMAGED_FP = "1BookADamagedEpubDoc01"
DECK = ["deck:Book window"]
FILLER = "".join(f"<p>Filler paragraph {i} of the chapter, before the words the card was made from.</p>"
                 for i in range(60))
WORDS = "Call me Ishmael. Some years ago\u2014never mind how long precisely"


def _book() -> bytes:
    sections = {
        "s1.xhtml": "<h1>Title page</h1>",
        "s2.xhtml": "<h1>Etymology</h1><p>Supplied by a late consumptive usher.</p>",
        "s3.xhtml": (f"<h1>Loomings</h1>{FILLER}<p class='first'>Call me <i>Ish\u00admael</i>. Some years\n"
                     "ago&#8212;never mind how long precisely</p><img src='images/whale.png' alt='a whale'/>"
                     "<script>document.title='ran';document.body.insertAdjacentHTML('beforeend',"
                     "'<p id=\"ran\">ran</p>')</script><img src='https://example.com/tracker.png'/>"
                     "<p><a id='to-bag' href='s4.xhtml#bag'>the carpet-bag</a> <a id='out' "
                     "href='https://example.com/'>out</a></p>"),
        "s4.xhtml": f"<h1>The Carpet-Bag</h1>{FILLER}<p id='bag'>I stuffed a shirt or two.</p>",
    }
    return make_epub(sections, order=["s1.xhtml", "s2.xhtml", "s3.xhtml", "s4.xhtml"],
                     extra={"style.css": b"p.first{color:rgb(1,2,3)}", "images/whale.png": PNG})


def _write_library(library: Any) -> None:
    book = Doc(library, BOOK_FP, title="Moby-Dick", pages=4, tags=DECK)
    book.meta["docInfo"]["filename"] = f"{BOOK_FP}.epub"
    book.text_highlight("1BookHlLoomings", WORDS, page=3, top=400.0)
    book.card("1BookCardA", basic("<p>Book card: who is the narrator?</p>", "<p>Ishmael.</p>"),
              ref="text-highlight:1BookHlLoomings", page=3)
    book.text_highlight("1BookHlGone", "Words this book does not have at all.", page=2, top=100.0)
    book.card("1BookCardB", basic("<p>Book card: words not in the book?</p>", "<p>B.</p>"),
              ref="text-highlight:1BookHlGone", page=2)
    book.write()
    (library / "stash" / f"{BOOK_FP}.epub").write_bytes(_book())
    damaged = Doc(library, DAMAGED_FP, title="A Damaged Book", pages=2, tags=DECK)
    damaged.meta["docInfo"]["filename"] = f"{DAMAGED_FP}.epub"
    damaged.text_highlight("1BookHlDamaged", "Anything.", page=1, top=100.0)
    damaged.card("1BookCardD", basic("<p>Book card in a damaged book?</p>", "<p>D.</p>"),
                 ref="text-highlight:1BookHlDamaged", page=1)
    damaged.write()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # a zip, but no book: no container.xml
        z.writestr("mimetype", "application/epub+zip")
    (library / "stash" / f"{DAMAGED_FP}.epub").write_bytes(buf.getvalue())


@pytest.fixture(scope="module")
def book_library(anki: Any) -> Any:
    anki.settle()
    _write_library(anki.library)
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not [e for e in outcome.report.errors if "1Book" in e["path"]]
    yield anki
    anki.controller.source_links.close()
    anki.mw.moveToState("deckBrowser")


def _open(anki: Any, front: str, timeout: Optional[float] = None) -> Any:
    links = anki.controller.source_links
    wait = {} if timeout is None else {"timeout": timeout}
    _show_answer(anki, front)
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 1
    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.book_window is not None and links.book_window.isVisible(),
                         what="the book window", **wait)
    window = links.book_window
    anki.anki.wait_until(lambda: not window.loading and window.shown, what="the section shown", **wait)
    return window


def _in_book(anki: Any, window: Any, script: str) -> Any:
    box: Dict[str, Any] = {}
    window.view.page().runJavaScript(script, window.view.application_world, lambda v: box.__setitem__("v", v))
    anki.anki.wait_until(lambda: "v" in box, what=f"the book's page to answer {script!r}")
    return box["v"]


def _wait_section(anki: Any, window: Any, number: int) -> None:
    anki.anki.wait_until(lambda: window.section is not None and window.section.number == number
                         and not window.loading and window.shown, what=f"section {number}")


def test_an_epub_card_opens_its_section_at_the_highlight_marked_with_no_script_run(book_library: Any) -> None:
    """The control said "open book" and handed the .epub to the system's
    reader, at the book's start: the person looked for the highlight in
    the whole book. Now "show in book" opens the card's section (Polar's
    section number: the spine's third item) scrolled to the words, marked."""
    from aqt.qt import QApplication, Qt
    from PyQt6.QtTest import QTest

    anki = book_library
    _show_answer(anki, "Book card: who is the narrator?")
    assert _js(anki, "document.querySelector('.polar-open').textContent") == "show in book"
    assert _js(anki, "document.querySelector('.polar-open').title") == "Show the highlight in the book, here (Shift+O)"
    window = _open(anki, "Book card: who is the narrator?")
    assert window.section.number == 3 and window.section.total == 4 and window.on_mark
    assert window.where_label.text() == "§ 3 of 4" and not window.message.isVisible()
    marked = _in_book(anki, window, "Array.from(document.querySelectorAll('mark.polar-mark'))"
                                    ".map(function(m){return m.textContent}).join('|')")
    assert marked.replace("\u00ad", "") == "Call me |Ishmael|. Some years\nago&#8212;never mind how long precisely" \
        .replace("&#8212;", "\u2014"), marked
    # Scrolled to it: the mark is in the window's upper half, the section's start (its title) above, out of sight.
    top, height, scrolled = _in_book(anki, window, "[document.getElementById('polar-mark').getBoundingClientRect()"
                                                   ".top, window.innerHeight, window.scrollY]")
    assert scrolled > 0 and 0 <= top <= height / 2, (top, height, scrolled)
    # The book's script did not run; its CSS and its image (from the zip) are there; nothing from the web.
    assert _in_book(anki, window, "[document.getElementById('ran') === null, document.title !== 'ran',"
                                  " getComputedStyle(document.querySelector('p.first')).color,"
                                  " document.images[0].complete && document.images[0].naturalWidth,"
                                  " document.documentElement.outerHTML.indexOf('example.com')]") \
        == [True, True, "rgb(1, 2, 3)", 1, -1]
    # Whatever would still ask the web (here: an image put in by the test's own script) is refused.
    module = sys.modules[type(window).__module__]
    blocked = module.INTERCEPTOR.blocked
    _in_book(anki, window, "var i=new Image(); i.src='https://example.com/pixel.png'; document.body.appendChild(i); 1")
    anki.anki.wait_until(lambda: module.INTERCEPTOR.blocked > blocked, what="the request to be refused")
    # The text has the keys as the window opens: Page Down reads on.
    QApplication.setActiveWindow(window)
    QTest.keyClick(window.view.focusProxy() or window.view, Qt.Key.Key_PageDown)
    anki.anki.wait_until(lambda: _in_book(anki, window, "window.scrollY") > scrolled, what="Page Down to scroll")
    # → and ← turn sections; the first and last stop there.
    QTest.keyClick(window.view.focusProxy() or window.view, Qt.Key.Key_Right)
    _wait_section(anki, window, 4)
    assert not window.next_button.isEnabled() and window.where_label.text() == "§ 4 of 4"
    assert "Carpet-Bag" in _in_book(anki, window, "document.body.textContent")
    window.prev_button.click()
    _wait_section(anki, window, 3)
    assert window.on_mark  # back on the card's section: its words marked again
    QTest.keyClick(window.view.focusProxy() or window.view, Qt.Key.Key_Left)
    _wait_section(anki, window, 2)
    # Night mode switched on while it shows: the section is shown again, light on dark.
    from aqt.theme import Theme

    anki.mw.set_theme(Theme.DARK)
    try:
        anki.anki.wait_until(lambda: not window.loading and window.shown and _in_book(
            anki, window, "getComputedStyle(document.body).backgroundColor") == "rgb(44, 44, 44)", what="night")
    finally:
        anki.mw.set_theme(Theme.LIGHT)
    anki.anki.wait_until(lambda: not window.loading and window.shown and _in_book(
        anki, window, "getComputedStyle(document.body).backgroundColor") != "rgb(44, 44, 44)", what="light")
    # A link to another section (a footnote, the contents) turns to it, at its target;
    # a link out of the book leads nowhere.
    window.go_to(3)
    _wait_section(anki, window, 3)
    _in_book(anki, window, "document.getElementById('out').click(); true")
    _in_book(anki, window, "document.getElementById('to-bag').click(); true")
    _wait_section(anki, window, 4)
    top, height = _in_book(anki, window, "[document.getElementById('bag').getBoundingClientRect().top,"
                                         " window.innerHeight]")
    assert 0 <= top < height and _in_book(anki, window, "window.scrollY") > 0
    # The next card's control re-uses the window.
    again = _open(anki, "Book card: who is the narrator?")
    assert again is window and window.section.number == 3 and window.on_mark
    QTest.keyClick(window.view.focusProxy() or window.view, Qt.Key.Key_Escape)
    anki.anki.wait_until(lambda: not window.isVisible(), what="Escape to close the window")


def test_words_not_in_the_book_show_the_section_from_its_start_and_say_so(book_library: Any) -> None:
    anki = book_library
    window = _open(anki, "Book card: words not in the book?")
    assert window.section.number == 2 and not window.on_mark
    assert window.message.isVisible()
    assert window.message.text() == ("The highlight's words were not found in the book: "
                                     "its section is shown from the start.")
    assert _in_book(anki, window, "window.scrollY") == 0
    window.close()


def test_a_damaged_epub_says_so_in_one_sentence(book_library: Any) -> None:
    anki = book_library
    window = _open(anki, "Book card in a damaged book?")
    assert window.section is None and window.message.isVisible()
    assert window.message.text() == ("“A Damaged Book” cannot be read as an EPUB book here; "
                                     "open it in the e-book reader.")
    assert window.system_button.isVisible() and not window.next_button.isVisible()
    window.close()


def test_from_a_polar_export_the_book_is_taken_out_and_shown_at_the_highlight(book_library: Any, tmp_path: Any
                                                                              ) -> None:
    """A Polar 2.x export (a gzip'd tar, the .epub as stash/<id>.epub): the
    book is taken out into the add-on's documents folder off the main
    thread, then shown at the card's words as from a Polar folder."""
    from tools.polar_export import EXPORT_NAME, default_body, library_metas, write_export

    anki = book_library
    anki.settle()
    epub = (anki.library / "stash" / f"{BOOK_FP}.epub").read_bytes()

    def body(fingerprint: str, info: Dict[str, Any]) -> Any:
        if fingerprint == BOOK_FP:
            return len(epub), lambda: io.BytesIO(epub)
        return default_body(fingerprint, info)

    export = write_export(tmp_path / EXPORT_NAME, library_metas(anki.library), body=body)
    links = anki.controller.source_links
    before = anki.controller.runner.finished_count
    try:
        anki.set_config(data_dir=str(export))
        anki.wait_synced(before, 60)
        if links.book_window is not None:
            links.book_window.close()
        with _collection_thread_held(anki):  # (taken out and read beside a long sync's write)
            window = _open(anki, "Book card: who is the narrator?", timeout=HELD_S / 2)
        assert window.path.parent == links.bodies.folder and window.path.read_bytes() == epub
        assert window.section.number == 3 and window.on_mark
        window.close()
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()


HELD_S = 120  # (the book must show well before the hold would end by itself)


@contextmanager
def _collection_thread_held(anki: Any) -> Iterator[None]:
    """Anki's collection thread busy for the block's length, as a long sync's
    write holds it (a first sync of 50,000 notes: many seconds)."""
    from aqt.operations import QueryOp

    release, holding = threading.Event(), threading.Event()

    def hold(_col: Any) -> None:
        holding.set()
        release.wait(HELD_S)

    QueryOp(parent=anki.mw, op=hold, success=lambda _: None).run_in_background()
    anki.anki.wait_until(holding.is_set, what="the collection thread held")
    try:
        yield
    finally:
        release.set()
        anki.anki.wait_until(lambda: True)


def test_a_book_opens_while_a_long_sync_holds_the_collection(book_library: Any) -> None:
    """Reading the book never touches the collection, so it does not wait
    behind a sync's write: it ran on Anki's collection thread, and the window
    said "Opening …" until the sync was over."""
    anki = book_library
    anki.settle()
    links = anki.controller.source_links
    if links.book_window is not None:
        links.book_window.close()
    with _collection_thread_held(anki):
        window = _open(anki, "Book card: who is the narrator?", timeout=HELD_S / 2)
        assert window.section.number == 3 and window.on_mark
    window.close()


def test_the_profile_s_close_lets_the_window_go(book_library: Any) -> None:
    """The window stays for the profile's life (re-used card after card);
    when the profile closes it goes, with its hook on Anki's theme (which
    held it for ever)."""
    from aqt import gui_hooks

    anki = book_library
    window = _open(anki, "Book card: who is the narrator?")
    assert window._on_theme in gui_hooks.theme_did_change._hooks
    links = anki.controller.source_links
    links.close()
    assert links.book_window is None and not window.isVisible()
    assert window._on_theme not in gui_hooks.theme_did_change._hooks
