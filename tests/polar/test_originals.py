"""A card's way back to its source: the page and highlight rects in the
DocMeta, and the document's own file in the library (never outside it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from addon.polar import originals
from addon.polar.library import DataDirSource
from addon.polar.originals import PDF, WEB, Spot, find_original, find_spot, read_docmeta
from tests.polar_factory import SHARED_SAMPLES, Doc, basic

LETTER = (612.0, 792.0)


def _doc(library: Path, fp: str = "1OrigDoc0000000000001", **info: str) -> Doc:
    doc = Doc(library, fp, title="A Title", pages=10)
    doc.meta["docInfo"].update(info)
    return doc


def test_a_text_highlight_is_found_on_its_page_with_its_rects_as_fractions(tmp_path):
    doc = _doc(tmp_path)
    doc.text_highlight("1Hl", "text", page=7)
    doc.page(7)["textHighlights"]["1Hl"]["rects"] = {"0": {"left": 408, "top": 528, "width": 204, "height": 21.12}}
    spot = find_spot(doc.meta, "text-highlight:1Hl")
    assert spot.page == 7 and spot.color == "yellow"
    # Polar's scale 1 is CSS pixels: a Letter page (612 x 792 pt) is 816 x 1056.
    [(x, y, w, h)] = spot.fractions(LETTER)
    assert (x, y, w, h) == pytest.approx((0.5, 0.5, 0.25, 0.02))


def test_a_revised_highlight_is_found_by_its_guid(tmp_path):
    """Revising its text gives a highlight a new id; the card's ref (as the
    sync stores it) names its guid."""
    doc = _doc(tmp_path)
    doc.text_highlight("1Hl", "text", page=7, top=528.0)
    doc.revise_highlight("1Hl", "1HlRevised", "<p>revised</p>", page=7)
    spot = find_spot(doc.meta, "text-highlight:1Hl")
    assert spot.page == 7 and len(spot.rects) == 1
    assert find_spot(doc.meta, "text-highlight:1HlRevised") == spot


def test_a_highlight_keyed_by_its_page_is_found_on_that_page(tmp_path):
    """Polar's id is made from the rectangles: the same place on two pages
    gives two highlights one id. The sync keys the later page's
    "<id>@<page>" (or "<guid>@<page>" when revised); the book window shows
    that page's, and the first page's for the plain id."""
    doc = _doc(tmp_path)
    doc.text_highlight("1Same", "page two", page=2, top=100.0)
    doc.text_highlight("1Same", "page five", page=5, top=100.0)
    doc.text_highlight("1Same", "page six", page=6, top=100.0)
    doc.revise_highlight("1Same", "Revised6", "<p>six</p>", page=6)
    assert find_spot(doc.meta, "text-highlight:1Same").page == 2
    assert find_spot(doc.meta, "text-highlight:1Same@5").page == 5
    assert find_spot(doc.meta, "text-highlight:1Same@6").page == 6


def test_stored_page_dimensions_win_and_rects_are_clipped_to_the_page(tmp_path):
    doc = _doc(tmp_path)
    doc.text_highlight("1Hl", "text", page=2)
    doc.page(2)["pageInfo"]["dimensions"] = {"width": 1000, "height": 2000}
    doc.page(2)["textHighlights"]["1Hl"]["rects"] = {
        "0": {"left": 900, "top": 1000, "right": 1200, "bottom": 1100},  # width from right/left
        "1": {"left": 5, "top": 5, "width": -3, "height": 4},  # nonsense: dropped
    }
    [(x, y, w, h)] = find_spot(doc.meta, "text-highlight:1Hl").fractions(LETTER)
    assert (x, y, w, h) == pytest.approx((0.9, 0.5, 0.1, 0.05))


def test_area_highlights_are_percent_and_page_cards_have_no_rects(tmp_path):
    doc = _doc(tmp_path)
    doc.page(3)["areaHighlights"] = {"1Ar": {"id": "1Ar", "rects": {"0": {"left": 10, "top": 20, "width": 30,
                                                                          "height": 40}}}}
    [rect] = find_spot(doc.meta, "area-highlight:1Ar").fractions(LETTER)
    assert rect == pytest.approx((0.1, 0.2, 0.3, 0.4))
    assert find_spot(doc.meta, "page:4") == Spot(4)
    # The parent deleted in Polar (its cards stay, issue #1231): the card's own page.
    assert find_spot(doc.meta, "text-highlight:gone", card_page=5) == Spot(5)


def test_real_polar_highlights_land_on_their_page():
    sample = SHARED_SAMPLES / "bigtable_example_state.json"
    if not sample.exists():
        pytest.skip("shared Polar samples not present")
    meta = json.loads(sample.read_text())
    spot = find_spot(meta, "text-highlight:12qDYN6w37")
    assert spot.page == 1 and len(spot.rects) == 2
    for x, y, w, h in spot.fractions(LETTER):
        # Bigtable's paper is two columns: this highlight is in the right one.
        assert 0.5 < x < x + w <= 0.9 and 0.3 < y < 0.4 and 0 < h < 0.02


def test_the_pdf_in_the_stash_is_the_original(tmp_path):
    doc = _doc(tmp_path, filename="12abc-paper.pdf")
    doc.card("1C", basic("q", "a"), page=2)
    doc.write()
    source = DataDirSource(tmp_path)
    meta = read_docmeta(source, doc.fp)
    assert meta is not None
    assert find_original(source, doc.fp, meta) is None  # not in stash/ yet
    (tmp_path / "stash").mkdir()
    (tmp_path / "stash" / "12abc-paper.pdf").write_bytes(b"%PDF-1.4\n")
    original = find_original(source, doc.fp, meta)
    assert original is not None and original.kind == PDF and original.title == "A Title"
    assert original.path == tmp_path.resolve() / "stash" / "12abc-paper.pdf"


@pytest.mark.parametrize("stored,on_disk", [("NFC", "NFD"), ("NFD", "NFC")])
def test_a_name_with_accents_is_found_in_either_unicode_spelling(tmp_path, stored, on_disk):
    """A library copied from a Mac keeps HFS+'s decomposed names ("a" +
    U+0308) on Linux, where names are bytes; the DocMeta has them composed
    (or the other way round): the file was "not on this computer"."""
    import unicodedata

    name = "12abc-Über das Gedächtnis.pdf"
    doc = _doc(tmp_path, filename=unicodedata.normalize(stored, name))
    doc.write()
    (tmp_path / "stash").mkdir()
    disk = tmp_path / "stash" / unicodedata.normalize(on_disk, name)
    disk.write_bytes(b"%PDF-1.4\n")
    if len(os.listdir(tmp_path / "stash")) != 1 or (tmp_path / "stash" / doc.meta["docInfo"]["filename"]).exists():
        pytest.skip("this file system does not tell the two spellings apart (macOS, Windows)")
    source = DataDirSource(tmp_path)
    original = find_original(source, doc.fp, read_docmeta(source, doc.fp) or {})
    assert original is not None and original.path is not None and original.path.name == disk.name


@pytest.mark.parametrize("on_disk", ["12abc-Gedächtnis.PDF", "12ABC-GEDÄCHTNIS.pdf", "12abc-Geda\u0308chtnis.PDF"])
def test_a_name_whose_case_changed_on_the_way_is_found(tmp_path, on_disk):
    """A Polar folder kept in sync between a Mac or Windows (names that
    ignore case) and Linux: a stash file whose name's case changed on the
    way was "not on this computer" on Linux (no "open" on the card) on the
    old code. Two names that differ only in case: neither is taken."""
    doc = _doc(tmp_path, filename="12abc-Gedächtnis.pdf")
    doc.write()
    (tmp_path / "stash").mkdir()
    (tmp_path / "stash" / on_disk).write_bytes(b"%PDF-1.4\n")
    source = DataDirSource(tmp_path)
    original = find_original(source, doc.fp, read_docmeta(source, doc.fp) or {})
    assert original is not None and original.path is not None and original.path.name == on_disk
    (tmp_path / "stash" / "12abc-gedächtnis.PDF").write_bytes(b"%PDF-1.4\n")
    if len(os.listdir(tmp_path / "stash")) == 2:  # (a file system that tells case apart)
        assert find_original(source, doc.fp, read_docmeta(source, doc.fp) or {}) is None


@pytest.mark.parametrize("name", ["../outside.pdf", "/etc/passwd", "a/b.pdf", "..", ""])
def test_a_file_name_that_leads_elsewhere_is_never_opened(tmp_path, name):
    library = tmp_path / "polar"
    doc = _doc(library, filename=name)
    doc.write()
    (library / "stash").mkdir()
    (tmp_path / "outside.pdf").write_bytes(b"%PDF")
    source = DataDirSource(library)
    meta = read_docmeta(source, doc.fp)
    assert meta is not None and find_original(source, doc.fp, meta) is None


@pytest.mark.skipif(os.name == "nt", reason="symlinks")
def test_a_stash_link_out_of_the_data_directory_is_refused(tmp_path):
    library = tmp_path / "polar"
    doc = _doc(library, filename="linked.pdf")
    doc.write()
    (library / "stash").mkdir()
    (tmp_path / "secret.pdf").write_bytes(b"%PDF")
    (library / "stash" / "linked.pdf").symlink_to(tmp_path / "secret.pdf")
    source = DataDirSource(library)
    assert find_original(source, doc.fp, read_docmeta(source, doc.fp) or {}) is None
    assert read_docmeta(source, "../polar") is None  # keys are folder names, nothing else


def test_a_web_capture_opens_its_http_url_only(tmp_path):
    doc = _doc(tmp_path, filename="1x-page.phz", url="https://example.org/article")
    source = DataDirSource(tmp_path)
    original = find_original(source, doc.fp, doc.meta)
    assert original is not None and original.kind == WEB and original.url == "https://example.org/article"
    doc.meta["docInfo"]["url"] = "javascript:alert(1)"
    assert find_original(source, doc.fp, doc.meta) is None


def test_a_polar_2_web_capture_saved_as_an_epub_opens_its_page_not_the_epub(tmp_path):
    """Polar 2 keeps a captured web page as a one-section EPUB marked
    ``webCapture`` (the renderer already names it by its site, no page):
    it was taken for a book, "open book" beside the site's link, and the
    click handed the .epub to an e-book reader."""
    doc = _doc(tmp_path, filename="1x-captured.epub", url="https://example.org/article")
    doc.meta["docInfo"]["webCapture"] = True
    (tmp_path / "stash").mkdir(exist_ok=True)
    (tmp_path / "stash" / "1x-captured.epub").write_bytes(b"PK\x03\x04 a capture")
    source = DataDirSource(tmp_path)
    original = find_original(source, doc.fp, doc.meta)
    assert original is not None and original.kind == WEB and original.url == "https://example.org/article"
    doc.meta["docInfo"]["webCapture"] = False  # a real EPUB that names where it came from: a book
    original = find_original(source, doc.fp, doc.meta)
    assert original is not None and original.kind == "epub"


def test_a_highlight_selected_on_to_the_next_page_is_drawn_on_each_page_it_covers():
    """Polar keeps a highlight selected across a page break on one page and
    measures every rect from that page's box (TextHighlighter: client rect
    less the page element's): the next page's lines lie below its bottom,
    a page gap further down; selected upwards, above its top."""
    gap = originals.PAGE_GAP_PX
    spot = Spot(2, ((96, 960, 400, 40), (96, 1056 + gap + 53, 400, 40)), page_size=(816, 1056))
    [own] = spot.fractions(LETTER)
    assert own == pytest.approx((96 / 816, 960 / 1056, 400 / 816, 40 / 1056))
    [(x, y, w, h)] = spot.fractions(LETTER, page=3)
    assert (x, y, w, h) == pytest.approx((96 / 816, 53 / 1056, 400 / 816, 40 / 1056))
    assert spot.fractions(LETTER, page=1) == [] and spot.fractions(LETTER, page=4) == []
    # Upwards: the card's page is the lower one, the first lines are above it;
    # the page above is A4 (its size from the PDF, as the window read it).
    a4 = (595.0, 842.0)
    up = Spot(5, ((96, -gap - 40 - 20, 300, 20), (96, 30, 300, 20)))
    [(x, y, w, h)] = up.fractions(a4, page=4, points_of={5: LETTER}.get)
    assert y == pytest.approx((842 * 96 / 72 - 40 - 20) / (842 * 96 / 72))
    [(x, y, w, h)] = up.fractions(LETTER, page=5)
    assert y == pytest.approx(30 / 1056)
    # Area highlights (percent of their page) never run on.
    area = Spot(2, ((10, 90, 20, 20),), unit="%")
    assert len(area.fractions(LETTER)) == 1 and area.fractions(LETTER, page=3) == []
