"""Back to the source, in real Anki: the "open" control ("open at p. N"
where the page is not named beside it) on the
answer of a card whose PDF is in the data folder's stash, a click on it in
the reviewer's web view, and the add-on's window at that page with the
highlight drawn; no control where the file is missing or the setting is off."""

from __future__ import annotations

import importlib
import io
import shutil
import sys
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.gui.watch_helpers import DeadShare, Ticks
from tests.polar_factory import Doc, basic

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import pdf_maker  # noqa: E402

pytestmark = pytest.mark.anki

FP = "1ViewerTenPagesDoc00001"
MISSING_FP = "1ViewerMissingPdfDoc001"
HL = "1ViewerHl7"
# Polar's scale-1 pixels on a Letter page (816 x 1056): one line, then a shorter one.
RECTS = {"0": {"left": 96.0, "top": 528.0, "width": 408.0, "height": 20.0},
         "1": {"left": 96.0, "top": 548.0, "width": 204.0, "height": 20.0}}

_READY = "typeof _showQuestion === 'function' && !!document.getElementById('qa')"


def _js(session: Any, script: str, web: Any = None) -> Any:
    """The value of ``script`` in the reviewer's page, or in ``web``'s."""
    web = web or session.mw.reviewer.web
    box: Dict[str, Any] = {}
    web.evalWithCallback(script, lambda value: box.__setitem__("v", value))
    session.anki.wait_until(lambda: "v" in box, what=f"the reviewer to answer {script!r}")
    return box["v"]


def _wait_js(session: Any, script: str) -> None:
    session.anki.wait_until(lambda: _js(session, script), what=f"the reviewer's page: {script}")


EPUB_FP = "1ViewerEpubBookDoc0001"
WEB_FP = "1ViewerWebCaptureDoc01"


def _write_library(library: Path) -> None:
    doc = Doc(library, FP, title="Ten Pages of Memory", pages=10)
    doc.text_highlight(HL, "Every successful recall pushes the next review further out.", page=7)
    doc.page(7)["textHighlights"][HL]["rects"] = RECTS
    doc.card("1ViewerC7", basic("<p>What pushes the next review out?</p>", "<p>A successful recall.</p>"),
             ref=f"text-highlight:{HL}", page=7)
    doc.write()
    pdf_maker.write_pdf(library / "stash" / f"{FP}.pdf", 10, title="Ten Pages of Memory")
    missing = Doc(library, MISSING_FP, title="Not on this computer", pages=3)
    missing.card("1ViewerMiss", basic("<p>Where is this PDF?</p>", "<p>Elsewhere.</p>"), page=2)
    missing.write()
    epub = Doc(library, EPUB_FP, title="An EPUB Book", pages=4)
    epub.meta["docInfo"]["filename"] = f"{EPUB_FP}.epub"
    epub.card("1ViewerEpub", basic("<p>Which reader opens an EPUB?</p>", "<p>The system's.</p>"), page=3)
    epub.write()
    (library / "stash" / f"{EPUB_FP}.epub").write_bytes(b"PK\x03\x04 an epub is a zip")
    web = Doc(library, WEB_FP, title="A Web Page", pages=1)
    web.meta["docInfo"].update(filename=f"{WEB_FP}.phz", url="https://example.org/spacing")
    web.card("1ViewerWeb", basic("<p>Where was this captured?</p>", "<p>On the web.</p>"), page=1)
    web.write()


def _show_answer(session: Any, front: str) -> Any:
    """The card ``front``'s answer in the reviewer. Anki's window is made
    the active one first (Anki redraws the reviewer only then, and an
    earlier test's window may have been the last active one), and the
    reviewer is asked for again when Anki's own refresh after a sync took
    the main window back to the deck list while the reviewer loaded."""
    mw = session.mw
    col = mw.col
    cid = col.find_cards(f'"front:*{front}*"')[0]
    col.decks.select(col.get_card(cid).did)
    mw.activateWindow()
    seen = []
    for _ in range(3):
        mw.moveToState("review")
        try:
            session.anki.wait_for_page(lambda: mw.state == "review" and _js(session, _READY), 20, "the reviewer")
            break
        except TimeoutError:
            seen.append(mw.state)
    else:
        raise TimeoutError(f"the reviewer never showed; the main window was in {seen}")
    reviewer = mw.reviewer
    reviewer.card = col.get_card(cid)
    reviewer._showQuestion()
    reviewer._showAnswer()
    _wait_js(session, "!!document.getElementById('answer')")
    return reviewer.card


@pytest.fixture(scope="module")
def library_with_pdf(anki: Any) -> Any:
    anki.settle()
    _write_library(anki.library)
    outcome = anki.trigger_and_wait("Sync from Polar")
    # (Earlier tests of the session may leave a broken document of their own.)
    assert not [e for e in outcome.report.errors if FP in e["path"] or MISSING_FP in e["path"]]
    assert len(anki.notes('"front:*What pushes the next review out?*"')) == 1
    yield anki
    anki.controller.source_links.close()
    anki.mw.moveToState("deckBrowser")


def test_the_answer_offers_the_page_and_a_click_opens_it_there(library_with_pdf: Any) -> None:
    anki = library_with_pdf
    card = _show_answer(anki, "What pushes the next review out?")
    assert _js(anki, "document.querySelectorAll('.polar-source .polar-open').length") == 1
    # The line names the page already ("Ten Pages of Memory · p. 7"): the
    # control says what it does, not the page again ("· open at p. 7" was).
    assert _js(anki, "document.querySelector('.polar-source').textContent").endswith("p.\u00a07\u00a0· open")
    assert _js(anki, "document.querySelector('.polar-open').title") == "Open the document at p. 7 here (Shift+O)"
    # Where nothing names the page (an answer without its context block) it does.
    links = anki.controller.source_links
    assert ">open at p. 7</a>" in links.on_card_will_show("<p>A successful recall.</p>", card, "reviewAnswer")
    # The note itself holds no trace of it: other devices see the card as stored.
    assert "polar-open" not in "".join(card.note().fields)
    assert "polar-open" not in card.question()

    _js(anki, "document.querySelector('.polar-open').click(); true")
    anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the document window")
    window = links.window
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 7 and window.current_page == 7 and window.page_count == 10
    assert window.windowTitle() == "Ten Pages of Memory — p. 7"
    assert window.page_box.value() == 7

    # The highlight's two rects, scaled from Polar's 816 x 1056 page to the view.
    view = window.view
    w, h = view.width(), view.height()
    assert abs(h / w - 1056 / 816) < 0.01
    rects = view.mark_rects()
    assert len(rects) == 2
    for got, want in zip(rects, RECTS.values()):
        assert abs(got.x() - want["left"] / 816 * w) < 0.5
        assert abs(got.y() - want["top"] / 1056 * h) < 0.5
        assert abs(got.width() - want["width"] / 816 * w) < 0.5
        assert abs(got.height() - want["height"] / 1056 * h) < 0.5

    # Navigation leaves the highlight's page behind, and its rects with it.
    window.next_button.click()
    assert window.current_page == 8 and view.mark_rects() == []  # (none while page 8 is drawn, either)
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 8 and view.mark_rects() == []
    window.go_to(7)
    anki.anki.wait_rendered(window)
    assert window.rendered_page == 7 and len(view.mark_rects()) == 2
    # Studying goes on: the reviewer still shows the same card's answer.
    assert anki.mw.reviewer.state == "answer" and anki.mw.reviewer.card.id == card.id
    window.close()


def test_the_document_window_draws_pages_off_anki_s_main_thread(library_with_pdf: Any, tmp_path: Path,
                                                                monkeypatch: Any) -> None:
    """A page of a scanned book (one 300-dpi image) takes 100-160 ms to
    draw: drawn in ``open()``/``go_to()``, it froze Anki's whole window (the
    reviewer too) that long at every open, page turn and resize. Pages are
    drawn on Qt PDF's renderer thread now, and the window makes no
    ``QPdfDocument`` call while a page is being drawn (Qt PDF's one mutex
    would make that call wait for the page); turns made meanwhile are only
    remembered, and a resize draws once, after it settled. Counted, not
    timed: every call the window makes on its documents and renderer is
    recorded with whether a page was in flight."""
    from dataclasses import replace

    from aqt.qt import QImage, QMetaObject, QObject, QSize, pyqtSlot, sip

    anki = library_with_pdf
    links = anki.controller.source_links
    package = type(links).__module__.rsplit(".", 1)[0]
    pdf_support = importlib.import_module(package + ".pdf_support")
    window_module = importlib.import_module(package + ".document_window")
    spot = importlib.import_module(package.rsplit(".", 1)[0] + ".polar.originals").Spot(
        3, tuple((r["left"], r["top"], r["width"], r["height"]) for r in RECTS.values()))
    scanned = pdf_maker.write_scanned_pdf(tmp_path / "scanned.pdf", 6)
    text_pdf = anki.library / "stash" / f"{FP}.pdf"

    in_flight: set = set()
    calls: list = []  # (method, a page was in flight)
    requests: list = []  # pages asked for
    destroyed: list = []  # a page was in flight when a document was deleted

    real_document = pdf_support.QPdfDocument

    class Document(real_document):
        def __init__(self, parent: Any) -> None:
            super().__init__(parent)
            self.destroyed.connect(lambda *_: destroyed.append(bool(in_flight)))

    for name in ("load", "close", "pageCount", "pagePointSize", "pageLabel", "render", "status", "metaData",
                 "pageModel", "getAllText", "getSelection", "pageIndexForLabel", "error"):
        if hasattr(real_document, name):
            def recorded(self: Any, *args: Any, _name: str = name) -> Any:
                calls.append((_name, bool(in_flight)))
                return getattr(real_document, _name)(self, *args)
            setattr(Document, name, recorded)

    class Recorder(QObject):  # pageRendered is not bound by PyQt6: connected by name, as the window does
        @pyqtSlot(int, QSize, QImage, "QPdfDocumentRenderOptions", "qulonglong")
        def on_renderer_pageRendered(self, page: int, size: QSize, image: Any, options: Any,  # noqa: N802
                                     request: int) -> None:
            in_flight.discard(request)

    recorder = Recorder()

    # (The window before this change had no renderer: Qt's, to fail on what it did instead.)
    real_renderer = getattr(pdf_support, "QPdfPageRenderer", None) or importlib.import_module(
        "PyQt6.QtPdf").QPdfPageRenderer

    class Renderer(real_renderer):
        def __init__(self, parent: Any) -> None:
            super().__init__(recorder)  # connected to the recorder first: it hears of a page before the window
            self.setObjectName("renderer")
            QMetaObject.connectSlotsByName(recorder)
            self.setParent(parent)

        def requestPage(self, page: int, size: QSize, *rest: Any) -> int:  # noqa: N802 - Qt's name
            request = super().requestPage(page, size, *rest)
            requests.append(page + 1)
            in_flight.add(request)
            return int(request)

    monkeypatch.setattr(pdf_support, "QPdfDocument", Document)
    monkeypatch.setattr(pdf_support, "QPdfPageRenderer", Renderer, raising=False)
    window = window_module.DocumentWindow(None)
    try:
        window.open(scanned, "A scanned book", spot)
        window.show()
        assert [c for c in calls if c[0] == "render"] == []  # not in open(): was 1 each open
        anki.anki.wait_rendered(window)
        assert window.rendered_page == 3 and len(window.view.mark_rects()) == 2

        # Ten turns in a row (keys held down): the page in flight, then the last one; none in between.
        before = len(requests)
        for _ in range(10):
            window.go_to(window.current_page % 6 + 1)
        assert window.current_page == 1 and window.view.mark_rects() == []
        anki.anki.wait_rendered(window)
        assert requests[before:] == [4, 1], requests[before:]
        assert window.rendered_page == 1 and window.view.mark_rects() == []
        # Back to the highlight's page: its rects once drawn, never on a page in between.
        window.go_to(2)
        window.go_to(3)
        assert window.view.mark_rects() == []  # (a blank page until drawn)
        anki.anki.wait_rendered(window)
        assert window.rendered_page == 3 and len(window.view.mark_rects()) == 2

        # A resize in five steps: drawn once, after it settled; the rects follow the page.
        before = len(requests)
        for step in range(5):
            window.resize(700 - 30 * step, 860)
        anki.anki.wait_rendered(window)
        assert requests[before:] == [3]
        w, h = window.view.width(), window.view.height()
        assert abs(h / w - 1056 / 816) < 0.01
        got = window.view.mark_rects()[0]
        assert abs(got.x() - RECTS["0"]["left"] / 816 * w) < 0.5 and abs(got.y() - RECTS["0"]["top"] / 1056 * h) < 0.5

        # Another document while a page is drawn: read once that page is in, at its spot.
        window.go_to(5)
        assert in_flight  # (a scanned page takes far longer than this line)
        window.open(text_pdf, "Ten Pages of Memory", replace(spot, page=7))
        anki.anki.wait_rendered(window)
        assert (window.rendered_page, window.page_count, window.path) == (7, 10, text_pdf)
        assert len(window.view.mark_rects()) == 2 and window.windowTitle() == "Ten Pages of Memory — p. 7"
        window.open(scanned, "A scanned book", replace(spot, page=7))
        anki.anki.wait_rendered(window)
        assert (window.rendered_page, window.page_count) == (6, 6)  # (p. 7 of a 6-page book: its last)
    finally:
        window.close()
        anki.anki.wait_until(lambda: not in_flight, what="the last page in flight")
        sip.delete(window)  # (now: deleteLater would wait for an event loop, Anki's exit's)
        recorder.deleteLater()
    assert [c for c in calls if c[0] == "render"] == []
    assert [c for c in calls if c[1]] == [], calls  # nothing asked of a document while a page was drawn
    assert destroyed and not any(destroyed)  # the replaced documents were deleted, none while a page was drawn


# WCAG contrast of an element's text against the first background behind
# it, its colour faded by its own and its ancestors' opacity.
_CONTRAST = """(function(el){
    function rgba(s){var v = s.match(/[\\d.]+/g).map(Number); if (v.length < 4) v.push(1); return v;}
    var c = rgba(getComputedStyle(el).color), a = c[3], bg = null, n;
    for (n = el; n && n.nodeType === 1; n = n.parentElement) a *= parseFloat(getComputedStyle(n).opacity);
    for (n = el; n && n.nodeType === 1 && !bg; n = n.parentElement) {
        var b = rgba(getComputedStyle(n).backgroundColor); if (b[3] > 0) bg = b;
    }
    bg = bg || [255, 255, 255, 1];
    function lum(v){return [0, 1, 2].map(function(i){var x = v[i] / 255;
        return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);})
        .reduce(function(s, x, i){return s + x * [0.2126, 0.7152, 0.0722][i];}, 0);}
    var seen = [0, 1, 2].map(function(i){return c[i] * a + bg[i] * (1 - a);});
    var l1 = lum(seen), l2 = lum(bg);
    return [Math.max(l1, l2) + 0.05, Math.min(l1, l2) + 0.05, getComputedStyle(el).textDecorationLine];
})"""


def _contrast(anki: Any, selector: str) -> Any:
    high, low, decoration = _js(anki, f"{_CONTRAST}(document.querySelector({selector!r}))")
    return round(high / low, 1), decoration


def test_the_context_lines_links_read_in_light_and_night_mode_without_the_add_on(library_with_pdf: Any) -> None:
    """Faded with their line (opacity 0.7), the links were Anki's link blue
    at 70 %: 3.6:1 on white where the card shows as stored (AnkiDroid,
    AnkiWeb, another computer: the add-on darkened them only on display).
    Now the stored site link, and the control, are the line's colour,
    underlined: 4.5:1 at least in light and night mode, with the add-on's
    display hook taken out and with it in."""
    from aqt import gui_hooks
    from aqt.theme import Theme

    anki = library_with_pdf
    links = anki.controller.source_links
    try:
        for theme in (Theme.LIGHT, Theme.DARK):
            anki.mw.set_theme(theme)
            gui_hooks.card_will_show.remove(links.on_card_will_show)  # the card as stored, as elsewhere
            try:
                _show_answer(anki, "Where was this captured?")
                ratio, decoration = _contrast(anki, ".polar-source .polar-link")
                assert ratio >= 4.5 and decoration == "underline", (theme, ratio, decoration)
            finally:
                gui_hooks.card_will_show.append(links.on_card_will_show)
            _show_answer(anki, "What pushes the next review out?")
            ratio, decoration = _contrast(anki, ".polar-source .polar-open")
            assert ratio >= 4.5 and decoration == "underline", (theme, ratio, decoration)
    finally:
        anki.mw.set_theme(Theme.LIGHT)


# WCAG contrast of an element's text against its own background, made
# translucent over the first opaque one behind it (a colour computed from a
# color-mix() reads "color(srgb 0.1 0.2 0.3 / a)", 0 to 1).
_OWN_CONTRAST = """(function(el){
    function rgba(s){var v = s.match(/[\\d.]+/g).map(Number); if (v.length < 4) v.push(1);
        if (s.indexOf('color(') === 0) { v = v.slice(0, 4); v[0] *= 255; v[1] *= 255; v[2] *= 255; } return v;}
    function over(c, b){return [0, 1, 2].map(function(i){return c[i] * c[3] + b[i] * (1 - c[3]);}).concat([1]);}
    var page = null, n;
    for (n = el.parentElement; n && n.nodeType === 1 && !page; n = n.parentElement) {
        var b = rgba(getComputedStyle(n).backgroundColor); if (b[3] >= 1) page = b;
    }
    var bg = over(rgba(getComputedStyle(el).backgroundColor), page || [255, 255, 255, 1]);
    var c = over(rgba(getComputedStyle(el).color), bg);
    function lum(v){return [0, 1, 2].map(function(i){var x = v[i] / 255;
        return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);})
        .reduce(function(s, x, i){return s + x * [0.2126, 0.7152, 0.0722][i];}, 0);}
    var l1 = lum(c), l2 = lum(bg);
    return (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
})"""


def test_coloured_text_reads_in_night_mode_on_this_anki(library_with_pdf: Any) -> None:
    """Navy text and a yellow highlight (Polar's editor), in light and night
    mode: at least 4.5:1 on this Anki's own web view. Was, on Anki 23.10 to
    25.x (no CSS light-dark() in their Chromium 112 to 122): the colours as
    written in night mode, navy 1.3:1 on the dark page and the night text
    1.1:1 on the yellow; 26.x read them through light-dark()."""
    from aqt.theme import Theme

    anki = library_with_pdf
    doc = Doc(anki.library, "1ViewerColouredDoc0001", title="Colours", pages=1)
    doc.card("1ViewerColour", basic(
        "<p>Which colours read at night?</p>",
        '<p><span style="color: rgb(0, 0, 139);">navy words</span> and '
        '<span style="background-color: rgb(255, 255, 0);">marked words</span></p>'), page=1)
    doc.write()
    anki.trigger_and_wait("Sync from Polar")
    try:
        for theme in (Theme.LIGHT, Theme.DARK):
            anki.mw.set_theme(theme)
            _show_answer(anki, "Which colours read at night?")
            for selector in ("span[style*='color:#00008b']", "span[style*='background-color:#ffff00']"):
                assert _js(anki, f"!!document.querySelector({selector!r})"), selector
                ratio = round(_js(anki, f"{_OWN_CONTRAST}(document.querySelector({selector!r}))"), 1)
                assert ratio >= 4.5, (theme, selector, ratio)
    finally:
        anki.mw.set_theme(Theme.LIGHT)


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR", "es_ES", "pt_BR", "ja_JP", "zh_CN"])
def test_the_document_window_fits_400_px_in_every_language(library_with_pdf: Any, lang: str) -> None:
    """Its bar was as wide as all its buttons side by side: 412 px in
    English, 514 in French. The system viewer's button now goes under the
    page buttons when the window is narrow, whole."""
    anki = library_with_pdf
    links = anki.controller.source_links
    window_module = importlib.import_module(type(links).__module__.rsplit(".", 1)[0] + ".document_window")
    anki.mw.pm.setLang(lang)
    window = window_module.DocumentWindow(None)
    try:
        # (the longest it gets: a page whose printed number differs, viewer3)
        window.count_label.setText(window_module.tr("of {n}", n=412) + " · "
                                   + window_module.tr("printed {label}", label="xxviii"))
        window.resize(400, 600)
        window.show()
        anki.anki.process(0.3)
        assert window.width() == 400
        for part in (window.system_button, window.prev_button, window.next_button, window.count_label):
            assert part.width() >= part.sizeHint().width(), part
            assert window.rect().contains(part.mapTo(window, part.rect().bottomRight()))
    finally:
        window.close()
        anki.mw.pm.setLang("en_US")


def test_shift_o_opens_the_document_from_the_answer(library_with_pdf: Any) -> None:
    anki = library_with_pdf
    _show_answer(anki, "What pushes the next review out?")
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    shortcut = next(s for s in anki.mw.stateShortcuts if s.key().toString() == "Shift+O")
    shortcut.activated.emit()
    anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the window")
    anki.anki.wait_rendered(links.window)
    assert links.window.current_page == 7 and links.window.rendered_page == 7
    links.window.close()


def test_no_control_when_the_file_is_not_on_this_computer(library_with_pdf: Any) -> None:
    anki = library_with_pdf
    _show_answer(anki, "Where is this PDF?")
    assert _js(anki, "document.getElementById('qa').innerHTML.includes('Not on this computer')")
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0


def test_a_click_after_the_file_moved_away_says_where_it_was_looked_for(library_with_pdf: Any) -> None:
    """The answer showed "open at p. 7"; then the PDF was moved (or Polar
    deleted it). A click, or Shift+O, did nothing at all: now a tooltip
    names the document and where it was looked for."""
    from aqt import utils

    anki = library_with_pdf
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    _show_answer(anki, "What pushes the next review out?")
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 1
    pdf = anki.library / "stash" / f"{FP}.pdf"
    moved = anki.library / "moved.pdf"
    pdf.rename(moved)
    try:
        utils.closeTooltip()
        _js(anki, "document.querySelector('.polar-open').click(); true")
        anki.anki.wait_until(lambda: utils._tooltipLabel is not None, what="the tooltip")
        text = utils._tooltipLabel.text().replace("\u2060", "")  # (its path kept whole: unbroken)
        assert "“Ten Pages of Memory” is not on this computer any more.<br>" in text and str(pdf) in text
        assert links.window is None or not links.window.isVisible()
        utils.closeTooltip()
        shortcut = next(s for s in anki.mw.stateShortcuts if s.key().toString() == "Shift+O")
        shortcut.activated.emit()
        anki.anki.wait_until(lambda: utils._tooltipLabel is not None, what="the tooltip after Shift+O")
        assert "“Ten Pages of Memory” is not on this computer any more." in utils._tooltipLabel.text()
        utils.closeTooltip()
        # A card the add-on did not make: Shift+O stays silent.
        col = anki.mw.col
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"], note["Back"] = "my own card", "mine"
        col.add_note(note, col.decks.id("Default"))
        assert links.open_card(note.cards()[0]) is None and utils._tooltipLabel is None
        col.remove_notes([note.id])
    finally:
        moved.rename(pdf)


def test_the_setting_turns_the_control_off(library_with_pdf: Any) -> None:
    anki = library_with_pdf
    anki.set_config(open_at_page=False)
    try:
        _show_answer(anki, "What pushes the next review out?")
        assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0
    finally:
        anki.set_config(open_at_page=True)
    anki.settle()


def test_the_browser_preview_offers_it_too(library_with_pdf: Any) -> None:
    anki = library_with_pdf
    col = anki.mw.col
    card = col.get_card(col.find_cards('"front:*What pushes the next review out?*"')[0])
    links = anki.controller.source_links
    assert "polar-open" in links.on_card_will_show(card.answer(), card, "previewAnswer")
    assert "polar-open" in links.on_card_will_show(card.answer(), card, "clayoutAnswer")
    assert "polar-open" not in links.on_card_will_show(card.question(), card, "previewQuestion")
    # A click there arrives through the same hook, whatever the web view.
    handled = links.on_js_message((False, None), f"polar-open:{card.id}", object())
    assert handled == (True, None)
    anki.anki.wait_rendered(links.window)
    assert links.window.isVisible() and links.window.current_page == 7
    links.window.close()



def test_a_click_on_a_card_deleted_since_it_showed_asks_anki_nothing_that_fails(
        library_with_pdf: Any, monkeypatch: Any) -> None:
    """Anki's "not found" error walks the window thread's deep Qt stack when
    RUST_BACKTRACE is set (~100 ms frozen): the click asks by a search."""
    anki = library_with_pdf
    col = anki.mw.col
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"] = "Deleted since its answer showed"
    col.add_note(note, col.decks.id_for_name("Default") or 1)
    card_id = note.cards()[0].id
    col.remove_notes([note.id])
    failed = []
    backend = col._backend
    run_command = backend._run_command

    def recorded(service: int, method: int, data: bytes) -> bytes:
        try:
            return run_command(service, method, data)
        except Exception as exc:
            failed.append((sys._getframe(1).f_code.co_name, type(exc).__name__))
            raise

    monkeypatch.setattr(backend, "_run_command", recorded)
    links = anki.controller.source_links
    assert links.on_js_message((False, None), f"polar-open:{card_id}", object()) == (True, None)
    assert links.on_js_message((False, None), "polar-open:x", object()) == (True, None)
    monkeypatch.undo()
    assert failed == []
    assert links.window is None or not links.window.isVisible()


def test_a_click_in_the_reviewer_opens_the_card_it_shows_without_asking_the_collection(
        library_with_pdf: Any, monkeypatch: Any) -> None:
    anki = library_with_pdf
    _show_answer(anki, "What pushes the next review out?")
    reviewer = anki.mw.reviewer
    asked = []
    backend = anki.mw.col._backend
    run_command = backend._run_command

    def recorded(service: int, method: int, data: bytes) -> bytes:
        asked.append(sys._getframe(1).f_code.co_name)
        return run_command(service, method, data)

    monkeypatch.setattr(backend, "_run_command", recorded)
    links = anki.controller.source_links
    assert links.on_js_message((False, None), f"polar-open:{reviewer.card.id}", reviewer) == (True, None)
    monkeypatch.undo()
    assert "get_card" not in asked
    anki.anki.wait_rendered(links.window)
    assert links.window.isVisible() and links.window.current_page == 7
    links.window.close()

def test_without_qt_pdf_chromiums_pdf_viewer_opens_at_the_page(library_with_pdf: Any, monkeypatch: Any) -> None:
    anki = library_with_pdf
    links = anki.controller.source_links
    # The installed add-on's own module (Anki loads it as a package of its own name).
    pdf_support = importlib.import_module(type(links).__module__.rsplit(".", 1)[0] + ".pdf_support")
    monkeypatch.setattr(pdf_support, "QPdfDocument", None)  # a Qt built without its PDF module
    card = _show_answer(anki, "What pushes the next review out?")
    view = links.open_card(card)
    try:
        assert view is links.fallback and view.isVisible()
        anki.anki.wait_until(lambda: not view.url().isEmpty(), what="the web view to load the PDF")
        assert view.url().isLocalFile() and view.url().toLocalFile().endswith(f"{FP}.pdf")
        assert view.url().fragment() == "page=7"
        assert view.windowTitle() == "Ten Pages of Memory"
    finally:
        view.close()


def test_epubs_open_in_the_book_window_and_web_captures_at_their_url(library_with_pdf: Any) -> None:
    """An EPUB opens in the add-on's book window (viewer6: its words in the
    system's reader were "open book", at the book's start); a web capture
    at its URL in the browser."""
    from aqt.qt import QDesktopServices, QObject, QUrl, pyqtSlot

    class Catcher(QObject):  # Qt's own hook for where openUrl sends a scheme
        def __init__(self) -> None:
            super().__init__()
            self.urls: list = []

        @pyqtSlot(QUrl)
        def open(self, url: QUrl) -> None:
            self.urls.append(url)

    anki = library_with_pdf
    catcher = Catcher()
    for scheme in ("file", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    try:
        links = anki.controller.source_links
        card = _show_answer(anki, "Which reader opens an EPUB?")
        assert _js(anki, "document.querySelector('.polar-open').textContent") == "show in book"
        book = links.open_card(card)
        assert book is links.book_window and book.isVisible()  # (this .epub is no book: it says so there)
        book.close()
        card = _show_answer(anki, "Where was this captured?")
        # The line's own link to the site opens the same page: one link, not two side by side.
        assert _js(anki, "document.querySelectorAll('.polar-source a').length") == 1
        assert _js(anki, "document.querySelector('.polar-source a').className") == "polar-link"
        assert links.open_card(card) is None  # Shift+O still opens it
        assert [u.toString() for u in catcher.urls] == ["https://example.org/spacing"]
        # An answer without its context block (the setting off, a type of the person's own): no link
        # to the site there, so the control is, and says what it opens.
        answer = links.on_card_will_show("<p>On the web.</p>", card, "reviewAnswer")
        assert ">open web page</a>" in answer and 'title="Open the page in the web browser (Shift+O)"' in answer
    finally:
        for scheme in ("file", "https"):
            QDesktopServices.unsetUrlHandler(scheme)


def test_the_browsers_card_preview_offers_it_and_a_click_there_opens_it(library_with_pdf: Any) -> None:
    import aqt

    anki = library_with_pdf
    col = anki.mw.col
    cid = col.find_cards('"front:*What pushes the next review out?*"')[0]
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    browser = aqt.dialogs.open("Browser", anki.mw, search=(f"cid:{cid}",))
    try:
        anki.anki.wait_until(lambda: browser.card is not None and browser.card.id == cid, what="the Browser's card")
        browser.onTogglePreview()
        previewer = browser._previewer
        web = previewer._web
        anki.anki.wait_until(lambda: _js(anki, "!!document.getElementById('qa') && "
                                               "document.getElementById('qa').innerHTML.length > 0", web),
                             what="the preview's question")
        assert _js(anki, "document.querySelectorAll('.polar-open').length", web) == 0  # not on the question
        previewer._on_next()  # the preview's ▶: the answer side
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-source .polar-open')", web),
                             what="the preview's answer with the control")
        _js(anki, "document.querySelector('.polar-open').click(); true", web)
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(),
                             what="the document window from the preview")
        anki.anki.wait_rendered(links.window)
        assert links.window.rendered_page == 7 and len(links.window.view.mark_rects()) == 2
        links.window.close()
        previewer.close()
    finally:
        browser.close()


def test_from_a_polar_export_the_pdf_is_taken_out_and_opened_at_the_page(library_with_pdf: Any, tmp_path: Path
                                                                          ) -> None:
    from tools.polar_export import EXPORT_NAME, default_body, library_metas, write_export

    anki = library_with_pdf
    anki.settle()
    pdf = (anki.library / "stash" / f"{FP}.pdf").read_bytes()

    def body(fingerprint: str, info: Dict[str, Any]) -> Any:
        if fingerprint == FP:
            return len(pdf), lambda: io.BytesIO(pdf)
        return None if fingerprint == MISSING_FP else default_body(fingerprint, info)

    # What Polar 2.x downloads: a gzip'd tar named .zip, PDFs as stash/<40-char id>.pdf.
    export = write_export(tmp_path / EXPORT_NAME, library_metas(anki.library), body=body)
    links = anki.controller.source_links
    cache = links.bodies.folder
    kept_before = set(cache.glob("*")) if cache.exists() else set()
    before = anki.controller.runner.finished_count
    try:
        anki.set_config(data_dir=str(export))
        outcome = anki.wait_synced(before, 60)
        assert (outcome.report.created, outcome.report.orphaned) == (0, 0)

        _show_answer(anki, "Where is this PDF?")
        assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0  # its body is not in the export

        _show_answer(anki, "What pushes the next review out?")
        assert _js(anki, "document.querySelector('.polar-source .polar-open').textContent") == "open"
        if links.window is not None:
            links.window.close()
        _js(anki, "document.querySelector('.polar-open').click(); true")
        # Taken out of the archive off the main thread, then shown.
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(),
                             what="the document from the export")
        window = links.window
        anki.anki.wait_rendered(window)
        assert window.rendered_page == 7
        assert window.path.parent == cache and window.path.read_bytes() == pdf
        assert len(window.view.mark_rects()) == 2
        assert window.windowTitle() == "Ten Pages of Memory — p. 7"
        window.close()
        # The next open finds it kept: nothing is taken out again.
        assert links.open_card(anki.mw.reviewer.card) is window and window.path in set(cache.glob("*"))
        assert len(set(cache.glob("*")) - kept_before) == 1
        window.close()
        # Cannot be taken out (here: the cache's folder is a file now): said in the user's words.
        # (Each tooltip the add-on shows is recorded: on a loaded machine another
        # tooltip can replace it on screen before a look finds it there.)
        from aqt import utils

        shown: list = []
        module = sys.modules[type(links).__module__]
        real_tooltip = module.tooltip
        module.tooltip = lambda text, *args, **kwargs: (shown.append(str(text)), real_tooltip(text, *args, **kwargs))
        try:
            shutil.rmtree(cache)
            cache.write_bytes(b"")
            _js(anki, "document.querySelector('.polar-open').click(); true")
            anki.anki.wait_until(lambda: any("could not be taken out" in t for t in shown),
                                 what="the failure's tooltip")
        finally:
            module.tooltip = real_tooltip
        text = next(t for t in shown if "could not be taken out" in t)
        assert "“Ten Pages of Memory” could not be taken out of the Polar export. Export your library" in text
        utils.closeTooltip()
    finally:
        if cache.is_file():
            cache.unlink()
        anki.set_config(data_dir=str(anki.library))
        anki.settle()


def test_a_polar_folder_that_does_not_answer_never_holds_up_the_answer(library_with_pdf: Any,
                                                                     monkeypatch: Any) -> None:
    """The Polar folder on a share that stopped answering while someone
    studies: the answer was built waiting for the "open" control's look at
    the folder, on Anki's main thread (old code: ``_showAnswer`` took the
    whole 5 s hold; round 5 measured 4,031 ms). Now the answer shows at
    once, without the control, and the control comes, as it always looks,
    when the folder answers; an answer the person has moved on from gets
    nothing (no control lands on another card)."""
    import time

    anki = library_with_pdf
    reviewer = anki.mw.reviewer
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    _show_answer(anki, "What pushes the next review out?")
    assert _js(anki, "document.querySelectorAll('.polar-open').length") == 1
    reviewer._showQuestion()
    share = DeadShare(anki.library, monkeypatch)
    ticks = Ticks(share)
    try:
        reviewer._showAnswer()
        assert share.holding(), "the answer waited for the share"
        _wait_js(anki, "!!document.getElementById('answer')")
        assert share.asked.is_set()
        assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0
        ticks.stop()
        assert share.holding() and ticks.held >= 2, ticks.held  # Anki's window went on while held
        share.answer()
        _wait_js(anki, "document.querySelectorAll('.polar-open').length === 1")
        # As it always looks: at the end of the source line, nothing left of the wait.
        assert _js(anki, "document.querySelector('.polar-source').textContent").endswith("p.\u00a07\u00a0· open")
        assert _js(anki, "document.querySelectorAll('.polar-open-late').length") == 0
        assert _js(anki, "document.querySelector('.polar-open').title") == "Open the document at p. 7 here (Shift+O)"
    finally:
        share.answer()
        ticks.stop()
        monkeypatch.undo()

    # The person moves on before the folder answers: the answer's late control
    # never lands on the next card (here an EPUB's question).
    reviewer._showQuestion()
    share = DeadShare(anki.library, monkeypatch)
    try:
        reviewer._showAnswer()
        _wait_js(anki, "!!document.getElementById('answer')")
        assert share.asked.wait(10)
        col = anki.mw.col
        reviewer.card = col.get_card(col.find_cards('"front:*Which reader opens an EPUB?*"')[0])
        reviewer._showQuestion()
        _wait_js(anki, "document.getElementById('qa').textContent.includes('Which reader opens an EPUB?')")
        share.answer()
        anki.anki.wait_until(lambda: not links.lookups.stuck(0) and not links.lookups._queue, what="the look")
        deadline = time.perf_counter() + 1.5  # (the page would ask at least once a second)
        anki.anki.wait_until(lambda: time.perf_counter() > deadline, what="a second and a half")
        assert _js(anki, "document.querySelectorAll('.polar-open').length") == 0
        reviewer._showAnswer()  # its own answer: its own control
        _wait_js(anki, "document.querySelectorAll('.polar-open').length === 1")
        assert _js(anki, "document.querySelector('.polar-open').textContent") == "show in book"  # (an EPUB: viewer6)
    finally:
        share.answer()
        monkeypatch.undo()


def test_a_click_while_the_polar_folder_does_not_answer_leaves_anki_free(library_with_pdf: Any,
                                                                        monkeypatch: Any) -> None:
    """The control showed; then the share stopped answering. Shift+O (or a
    click) looked the document up on Anki's main thread: the window froze
    for as long as the share did (old code: the 5 s hold). Now a tooltip
    says the folder is not answering and the document opens when it does."""
    import time

    from aqt import utils

    anki = library_with_pdf
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    _show_answer(anki, "What pushes the next review out?")
    shortcut = next(s for s in anki.mw.stateShortcuts if s.key().toString() == "Shift+O")
    utils.closeTooltip()
    share = DeadShare(anki.library, monkeypatch)
    try:
        began = time.perf_counter()
        shortcut.activated.emit()
        pressed_in = time.perf_counter() - began
        assert pressed_in < 1.0, pressed_in
        assert share.asked.is_set()
        assert utils._tooltipLabel is not None and "not answering" in utils._tooltipLabel.text()
        assert links.window is None or not links.window.isVisible()
        share.answer()
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the window")
        anki.anki.wait_rendered(links.window)
        assert links.window.current_page == 7 and links.window.rendered_page == 7
    finally:
        share.answer()
        monkeypatch.undo()
        utils.closeTooltip()
        if links.window is not None:
            links.window.close()


def test_the_document_window_opens_without_touching_the_polar_folder_on_anki_s_main_thread(
        library_with_pdf: Any, monkeypatch: Any) -> None:
    """The share answers the lookup, then goes (or answers each round trip
    late): the window read the PDF's stamp and Qt PDF read the file in place
    on Anki's main thread (measured on a share answering 100 ms late: 13 s
    for a 16 KB PDF). Now the lookup thread reads it whole and the window
    loads it from memory: with every look at the folder from Anki's main
    thread held (old code: 5 s, the stamp), Shift+O opens it at its page."""

    from aqt.qt import QBuffer

    anki = library_with_pdf
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
        links.window = None
    _show_answer(anki, "What pushes the next review out?")
    shortcut = next(s for s in anki.mw.stateShortcuts if s.key().toString() == "Shift+O")
    held = DeadShare(anki.library, monkeypatch, main_thread_only=True)
    ticks = Ticks()
    try:
        shortcut.activated.emit()
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the window")
        anki.anki.wait_rendered(links.window)
        ticks.stop()
        assert not held.asked.is_set(), "Anki's main thread looked at the Polar folder"
        window = links.window
        assert window.current_page == 7 and window.rendered_page == 7 and len(window.view.mark_rects()) == 2
        assert window.document.findChild(QBuffer) is not None  # read off the main thread, loaded from memory
        # The same card again: the same file (its stamp from the lookup), no reload.
        document = window.document
        shortcut.activated.emit()
        anki.anki.wait_until(lambda: window.current_page == 7 and not window.rendering, what="the same page")
        assert window.document is document and not held.asked.is_set()
    finally:
        ticks.stop()
        held.answer()
        monkeypatch.undo()
        if links.window is not None:
            links.window.close()


def test_a_big_pdf_read_longer_than_a_click_waits_is_not_called_a_folder_not_answering(
        library_with_pdf: Any, monkeypatch: Any) -> None:
    """The lookup found the document at once, and reading it whole (a
    400-page book) takes longer than the click waits: the window opens when
    it is read, and no tooltip says the folder is not answering."""
    import time

    from aqt import utils

    anki = library_with_pdf
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
        links.window = None
    module = sys.modules[type(links).__module__]
    real_read = module.read_body
    monkeypatch.setattr(module, "read_body", lambda path: (time.sleep(0.6), real_read(path))[1])
    shown: list = []
    real_tooltip = module.tooltip
    monkeypatch.setattr(module, "tooltip", lambda text, *a, **k: (shown.append(str(text)), real_tooltip(text, *a, **k)))
    _show_answer(anki, "What pushes the next review out?")
    try:
        assert links.open_card(anki.mw.reviewer.card) is None  # (not read yet: opens when it is)
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(), what="the window")
        anki.anki.wait_rendered(links.window)
        assert links.window.current_page == 7 and not [t for t in shown if "not answering" in t], shown
    finally:
        monkeypatch.undo()
        utils.closeTooltip()
        if links.window is not None:
            links.window.close()


def test_the_browsers_preview_gets_its_control_late_too(library_with_pdf: Any, monkeypatch: Any) -> None:
    """The late control is not the reviewer's alone: the Browser's card
    preview (its own web view) shows the answer at once while the folder
    does not answer, and the control once it does; a click there opens it."""

    import aqt

    anki = library_with_pdf
    col = anki.mw.col
    cid = col.find_cards('"front:*What pushes the next review out?*"')[0]
    links = anki.controller.source_links
    if links.window is not None:
        links.window.close()
    browser = aqt.dialogs.open("Browser", anki.mw, search=(f"cid:{cid}",))
    share = None
    try:
        anki.anki.wait_until(lambda: browser.card is not None and browser.card.id == cid, what="the Browser's card")
        browser.onTogglePreview()
        previewer = browser._previewer
        web = previewer._web
        anki.anki.wait_until(lambda: _js(anki, "!!document.getElementById('qa') && "
                                               "document.getElementById('qa').innerHTML.length > 0", web),
                             what="the preview's question")
        share = DeadShare(anki.library, monkeypatch)
        previewer._on_next()  # the preview's ▶: the answer side
        assert share.holding(), "the preview waited for the share"
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-source')", web),
                             what="the preview's answer")
        assert share.asked.is_set()
        assert _js(anki, "document.querySelectorAll('.polar-open').length", web) == 0
        share.answer()
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-source .polar-open')", web),
                             what="the preview's control, late")
        assert _js(anki, "document.querySelector('.polar-source').textContent", web).endswith("p.\u00a07\u00a0· open")
        _js(anki, "document.querySelector('.polar-open').click(); true", web)
        anki.anki.wait_until(lambda: links.window is not None and links.window.isVisible(),
                             what="the document window from the preview")
        anki.anki.wait_rendered(links.window)
        assert links.window.rendered_page == 7
        links.window.close()
        previewer.close()
    finally:
        if share is not None:
            share.answer()
        monkeypatch.undo()
        browser.close()


@pytest.mark.parametrize("lang", ["en_US", "de_DE", "fr_FR"])
def test_the_page_count_is_written_as_the_page_box_writes_its_number(library_with_pdf: Any, lang: str) -> None:
    """Page numbers are not grouped (the card's "p. 1234", Polar, books):
    the window said "1234 of 1,234" ("1234 von 1.234") on a long book's last
    page, the box's number beside a count written as a quantity."""
    anki = library_with_pdf
    links = anki.controller.source_links
    window_module = importlib.import_module(type(links).__module__.rsplit(".", 1)[0] + ".document_window")
    anki.mw.pm.setLang(lang)
    window = window_module.DocumentWindow(None)
    try:
        window._page_count = 1234  # (a 1,234-page PDF: the count as loading it sets it)
        window.page_box.blockSignals(True)  # (no document to turn to)
        window.page_box.setMaximum(1234)
        window.page_box.setValue(1234)
        window.page_box.blockSignals(False)
        window._show_count()
        assert window.page_box.text() == "1234"
        assert window.count_label.text() == window_module.tr("of {n}", n="1234")
        assert "1234" in window.count_label.text()
    finally:
        window.close()
        anki.mw.pm.setLang("en_US")


def test_the_card_layouts_preview_gets_its_control_late_too(library_with_pdf: Any, monkeypatch: Any) -> None:
    """The card layout (Cards… in the editor) previews the answer in a web
    view of its own: with the Polar folder not answering it shows the answer
    at once and the control once the folder answers (old code: the 5 s hold)."""

    from aqt.clayout import CardLayout

    anki = library_with_pdf
    col = anki.mw.col
    note = col.get_card(col.find_cards('"front:*What pushes the next review out?*"')[0]).note()
    layout = CardLayout(anki.mw, note, ord=0, parent=anki.mw)
    web = layout.preview_web
    share = None
    try:
        anki.anki.wait_until(lambda: _js(anki, "!!document.getElementById('qa') && "
                                               "document.getElementById('qa').innerHTML.length > 0", web),
                             what="the layout's preview")
        share = DeadShare(anki.library, monkeypatch)
        layout.pform.preview_back.setChecked(True)
        layout._renderPreview()
        assert share.holding() and share.asked.is_set(), "the layout's preview waited for the share"
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-source')", web),
                             what="the layout's answer")
        assert _js(anki, "document.querySelectorAll('.polar-open').length", web) == 0
        share.answer()
        anki.anki.wait_until(lambda: _js(anki, "!!document.querySelector('.polar-source .polar-open')", web),
                             what="the layout's control, late")
        assert _js(anki, "document.querySelector('.polar-source').textContent", web).endswith("p.\u00a07\u00a0· open")
    finally:
        if share is not None:
            share.answer()
        monkeypatch.undo()
        layout.reject()
