"""The EPUB reader behind the book window: spine order, the highlight's
text found and marked, the page made self-contained and script-free."""

from __future__ import annotations

import io
import zipfile
from typing import Dict, Optional

import pytest

from addon.polar.epub_book import Book, EpubError, find_text, mark_text, normalise

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def make_epub(sections: Dict[str, str], order: Optional[list] = None, extra: Optional[Dict[str, bytes]] = None,
              opf_dir: str = "OEBPS", nonlinear: Optional[list] = None) -> bytes:
    """An .epub: ``sections`` file name -> XHTML body, in spine ``order``."""
    order = order or list(sections)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                   f'container"><rootfiles><rootfile full-path="{opf_dir}/content.opf" '
                   'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="s{i}" href="{name}" media-type="application/xhtml+xml"/>'
                        for i, name in enumerate(sections))
        no = ' linear="no"'
        refs = "".join(f'<itemref idref="s{list(sections).index(name)}"{no if name in (nonlinear or ()) else ""}/>'
                       for name in order)
        z.writestr(f"{opf_dir}/content.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
                   f"<metadata/><manifest>{items}</manifest><spine>{refs}</spine></package>")
        for name, body in sections.items():
            z.writestr(f"{opf_dir}/{name}",
                       '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><head>'
                       f'<title/><link rel="stylesheet" href="style.css"/></head><body>{body}</body></html>')
        for name, data in (extra or {}).items():
            z.writestr(f"{opf_dir}/{name}", data)
    return buf.getvalue()


def test_sections_are_the_spine_in_its_order_not_the_manifest_s():
    book = Book(make_epub({"a.xhtml": "<p>A</p>", "b.xhtml": "<p>B</p>", "c.xhtml": "<p>C</p>"},
                          order=["c.xhtml", "a.xhtml", "b.xhtml"]))
    assert book.sections == ["OEBPS/c.xhtml", "OEBPS/a.xhtml", "OEBPS/b.xhtml"]
    assert ">A<" in book.section(2).html and book.section(2).number == 2 and book.section(2).total == 3


def test_polar_s_section_number_counts_the_linear_sections_only():
    """Polar's page N is the Nth linear spine item (a footnotes file marked
    linear="no" has no number in Polar: counting it put the card one off)."""
    book = Book(make_epub({"a.xhtml": "<p>A</p>", "notes.xhtml": "<p>N</p>", "b.xhtml": "<p>B</p>"},
                          nonlinear=["notes.xhtml"]))
    assert book.sections == ["OEBPS/a.xhtml", "OEBPS/b.xhtml"]
    assert ">B<" in book.section(2).html


def test_the_highlight_is_found_across_tags_entities_soft_hyphens_and_line_breaks():
    source = ("<p>Call me <i>Ish&shy;mael</i>.\n   Some years ago&#8212;never mind\nhow long "
              "&ldquo;precisely&rdquo;</p>")
    text = "Call me Ishmael. Some years ago—never mind how long \"precisely\""
    assert find_text(source, text) is not None
    marked, found = mark_text(source, text)
    assert found
    assert marked.count("<mark") == 3 and 'id="polar-mark"' in marked
    assert marked.replace('<mark class="polar-mark" id="polar-mark">', "").replace(
        '<mark class="polar-mark">', "").replace("</mark>", "") == source


def test_text_in_the_head_or_a_script_is_not_the_highlight():
    assert find_text("<head><title>Loomings</title></head><body><p>x</p></body>", "Loomings") is None


def test_the_card_s_section_is_shown_where_it_has_the_text_else_the_nearest_that_has_it():
    book = Book(make_epub({"1.xhtml": "<p>one</p>", "2.xhtml": "<p>the whale</p>", "3.xhtml": "<p>three</p>"}))
    assert book.place(2, "the whale").number == 2 and book.place(2, "the whale").found
    assert book.place(3, "the whale").number == 2  # Polar's number one off: the text decides
    missing = book.place(3, "not in this book")
    assert missing.number == 3 and not missing.found and "polar-mark" not in missing.html.split("</style>")[-1]


def test_the_page_has_no_script_no_handler_and_nothing_from_outside_the_epub():
    body = ('<p onclick="alert(1)">text</p><script>document.title="ran"</script>'
            '<img src="pic.png"/><img src="http://example.com/x.png"/><iframe src="http://e.com"></iframe>'
            '<a href="http://example.com">out</a><a href="2.xhtml">next</a>')
    page = Book(make_epub({"1.xhtml": body}, extra={"style.css": b"p{color:#123456;background:url(pic.png)}",
                                                    "pic.png": PNG})).section(1).html
    lowered = page.lower()
    assert "<script" not in lowered and "onclick" not in lowered and "<iframe" not in lowered
    assert "example.com" not in lowered and "e.com" not in lowered and "2.xhtml" not in lowered
    assert "color:#123456" in page  # the book's own CSS, inline
    assert page.count("data:image/png;base64,") == 2  # the image and the CSS's url(), from the zip


@pytest.mark.parametrize("data", [b"not a zip", make_epub({"1.xhtml": "x"}, opf_dir="X")[:40]])
def test_a_damaged_epub_is_an_epub_error(data):
    with pytest.raises(EpubError):
        Book(data)


def test_no_spine_is_an_epub_error():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/container.xml", "<container><rootfiles><rootfile full-path='o.opf'/></rootfiles>"
                                             "</container>")
        z.writestr("o.opf", "<package><manifest/><spine/></package>")
    with pytest.raises(EpubError):
        Book(buf.getvalue())


def test_normalise():
    assert normalise("  Ish\u00adma&amp;el\u2019s   \n WHALE ") == "ishma&el's whale"


def test_a_section_too_big_for_the_window_keeps_its_text_and_its_images_come_after(monkeypatch):
    """Qt WebEngine shows no page set as HTML larger than 2 MB: a long
    section would be blank. Its images leave the page (never its text) and
    the window puts them in once it has loaded (round 6: they were lost,
    their alt text shown)."""
    import addon.polar.epub_book as epub_book

    book = Book(make_epub({"1.xhtml": "<p>the words</p><img src='pic.png' alt='a picture'/>"},
                          extra={"pic.png": PNG}))
    assert "data:image/png" in book.section(1).html and not book.section(1).deferred
    monkeypatch.setattr(epub_book, "PAGE_MAX", 100)
    section = book.section(1, "the words")
    assert "data:image/png" not in section.html and "alt='a picture'" in section.html and section.found
    assert 'src="#polar-deferred-0"' in section.html and section.deferred[0].startswith("data:image/png;base64,")


def test_images_past_the_inline_budget_come_after_the_page_up_to_a_limit(monkeypatch):
    """An illustrated section (a 1.2 MB map, then a 0.9 MB plate): the plate
    showed as its alt text. Now it is handed to the page after its load."""
    import addon.polar.epub_book as epub_book

    big, bigger = PNG + b"\0" * 900_000, PNG + b"\0" * 1_200_000
    book = Book(make_epub({"1.xhtml": "<img src='map.png' alt='map'/><p>text</p><img src='plate.png' alt='plate'/>"
                                      "<img src='x.css' alt='not an image'/>"},
                          extra={"map.png": bigger, "plate.png": big, "x.css": b"p{}"}))
    section = book.section(1)
    assert section.html.count("data:image/png") == 1 and 'src="#polar-deferred-0"' in section.html
    assert len(section.deferred) == 1 and len(section.deferred[0]) > 1_200_000
    monkeypatch.setattr(epub_book, "DEFER_BUDGET", 100_000)
    section = book.section(1)
    assert not section.deferred and "alt='plate'" in section.html and "#polar-deferred" not in section.html


def test_sections_far_from_polar_s_number_are_passed_over_quickly():
    """A book of 60 long sections whose words are nowhere: every section is
    looked at, by a regular expression first (2.3 s a character at a time)."""
    import time

    para = "<p>" + "It was the best of times, it was the <i>worst</i> of times &amp; more. " * 20 + "</p>"
    book = Book(make_epub({f"s{i}.xhtml": para * 40 for i in range(60)}))
    start = time.perf_counter()
    shown = book.place(30, "words this book does not have")
    assert shown.number == 30 and not shown.found
    assert time.perf_counter() - start < 1.5


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "iso-8859-1"])
def test_sections_in_other_encodings_are_read(encoding):
    head = '<?xml version="1.0" encoding="%s"?>' % ("iso-8859-1" if encoding == "iso-8859-1" else "utf-8")
    source = (head + "<html><body><p>Caf\u00e9 cr\u00e8me, the words</p></body></html>").encode(encoding)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("META-INF/container.xml", "<container><rootfiles><rootfile full-path='o.opf'/></rootfiles>"
                                             "</container>")
        z.writestr("o.opf", "<package><manifest><item id='a' href='a.html'/></manifest>"
                            "<spine><itemref idref='a'/></spine></package>")
        z.writestr("a.html", source)
    shown = Book(buf.getvalue()).place(1, "Café crème, the words")
    assert shown.found and "Caf\u00e9 cr\u00e8me" in shown.html


def test_the_book_s_text_is_never_taken_for_a_tag_s_attributes():
    """A physics book's "the onset = 5 ms" and a programming book's
    img src='x.png' are text: removing handlers and rewriting addresses
    happens inside tags only."""
    body = "<p>the onset = 5 ms, then img src='x.png' and style='a'</p><p onclick='x()' style='color:red'>b</p>"
    page = Book(make_epub({"1.xhtml": body})).section(1).html
    assert "the onset = 5 ms, then img src='x.png' and style='a'" in page
    assert "onclick" not in page and "color:red" in page


def test_a_link_to_another_section_names_it_for_the_window():
    body = "<a href='2.xhtml#note%201'>1</a><a href='http://e.org/'>out</a><a href='#here'>here</a>"
    page = Book(make_epub({"1.xhtml": body, "2.xhtml": "<p id='note 1'>n</p>"})).section(1).html
    assert 'href="https://polar-section.invalid/2#note%201"' in page and 'href="#"' in page and "href='#here'" in page


def test_a_highlight_s_words_come_from_its_text_or_its_selections():
    """The book window looks for the words Polar stored: ``text`` (TEXT or
    HTML), else (early Polar) the ``textSelections``' texts."""
    from addon.polar.originals import find_spot

    def meta(highlight):
        return {"pageMetas": {"3": {"pageInfo": {"num": 3}, "textHighlights": {"h": dict(highlight, id="h")}}}}

    assert find_spot(meta({"text": {"HTML": "<p>Call me <i>Ishmael</i>.</p><p>Some</p>"}}),
                     "text-highlight:h").text.split() == ["Call", "me", "Ishmael.", "Some"]
    assert find_spot(meta({"textSelections": {"0": {"text": "Call me"}, "1": {"text": "Ishmael."}}}),
                     "text-highlight:h").text == "Call me Ishmael."
    assert find_spot(meta({"text": {"TEXT": "x"}}), "text-highlight:h") == find_spot(meta({}), "text-highlight:h")


# -- round 7: the right place among several, and across two sections -----------------------

FILLER = "<p>" + "Words of the chapter that say nothing of the matter at hand, line after line. " * 12 + "</p>"


def _term_section(times: int = 5) -> str:
    """A chapter with the term "entropy" in ``times`` paragraphs far apart,
    each paragraph naming which one it is."""
    return "".join(f"{FILLER * 3}<p id='t{i}'>Place {i}: entropy.</p>" for i in range(1, times + 1)) + FILLER


def _marked_place(html_text: str) -> str:
    at = html_text.index('id="polar-mark"')
    return html_text[html_text.rindex("<p id='", 0, at) + 7:][:2]


def test_a_word_that_is_several_times_in_its_section_is_marked_where_polar_s_order_says():
    """Polar stores no rects for an EPUB text highlight, only ``order``:
    the selection's top in px down its section (polar-bookshelf's
    SelectedContents.computeOrder). The place nearest it is marked; the
    others are marked lightly."""
    from addon.polar.epub_book import DEFAULT_SCALE, Hint, _text_chars

    book = Book(make_epub({"1.xhtml": _term_section()}))
    heights: list = []
    chars, _ = _text_chars(book._source(1), heights)
    # Polar's px in a window ~1000 px wide (what is assumed when nothing in the book tells).
    tops = [heights[chars.index(f"place {i}:")] * DEFAULT_SCALE for i in range(1, 6)]
    for i, top in enumerate(tops, 1):
        section = book.place(1, "entropy", hint=Hint(top + 7))
        assert (section.places, section.picked, section.by_position) == (5, i, True)
        assert _marked_place(section.html) == f"t{i}"
        assert section.html.count('class="polar-also"') == 4
    # No position: the first, and it says so.
    section = book.place(1, "entropy")
    assert (section.places, section.picked, section.by_position) == (5, 1, False)
    assert _marked_place(section.html) == "t1"


def test_the_section_s_other_highlights_tell_how_polar_s_px_fall_on_it():
    """Polar's window was narrow (a phone: every place three times lower than
    a desktop column puts it): the section's other highlights, whose words
    are in it once, with their own ``order``, set the scale."""
    from addon.polar.epub_book import Hint, _text_chars

    body = _term_section()
    book = Book(make_epub({"1.xhtml": body}))
    heights: list = []
    chars, _ = _text_chars(book._source(1), heights)
    at = {i: heights[chars.index(f"place {i}:")] * 3 for i in range(1, 6)}
    hint = Hint(at[2] + 10, None, (("Place 1:", at[1]), ("Place 4:", at[4]), ("Words of the chapter", 5.0)))
    section = book.place(1, "entropy", hint=hint)
    assert section.picked == 2 and _marked_place(section.html) == "t2"
    # Without them, the phone's px read as a desktop's point much further down.
    assert book.place(1, "entropy", hint=Hint(at[2] + 10)).picked != 2


def test_a_long_highlight_is_marked_where_it_is_whatever_the_position_says():
    from addon.polar.epub_book import Hint

    book = Book(make_epub({"1.xhtml": _term_section()}))
    section = book.place(1, "Place 4: entropy.", hint=Hint(1.0))
    assert (section.places, section.picked) == (1, 1) and _marked_place(section.html) == "t4"
    assert 'class="polar-also"' not in section.html


def test_a_rect_s_top_on_a_section_of_known_height_picks_by_share():
    from addon.polar.epub_book import hint_of
    from addon.polar.originals import Spot

    book = Book(make_epub({"1.xhtml": _term_section()}))
    hint = hint_of(Spot(1, ((10.0, 780.0, 40.0, 12.0),), "px", (800.0, 1000.0), text="entropy"))
    assert hint is not None and hint.height == 1000.0
    assert book.place(1, "entropy", hint=hint).picked == 4  # 78 % of the way down: the fourth of five


def test_polar_s_order_and_the_section_s_other_highlights_reach_the_spot():
    from addon.polar.epub_book import hint_of
    from addon.polar.originals import find_spot

    highlights = {
        "h": {"id": "h", "text": {"TEXT": "entropy"}, "rects": {}, "order": 1234.5},
        "a": {"id": "a", "text": {"TEXT": "Place 1:"}, "rects": {}, "order": 400},
        "b": {"id": "b", "text": {"TEXT": "no order"}, "rects": {}},
    }
    spot = find_spot({"pageMetas": {"2": {"pageInfo": {"num": 2}, "textHighlights": highlights}}}, "text-highlight:h")
    assert spot.order == 1234.5 and spot.others == (("Place 1:", 400.0),)
    assert hint_of(spot) == (1234.5, None, (("Place 1:", 400.0),), ())
    assert hint_of(find_spot({"pageMetas": {"2": {"textHighlights": {"h": {"id": "h", "text": "x"}}}}},
                             "text-highlight:h")) is None


def test_words_that_run_across_two_sections_are_marked_in_the_card_s_section():
    """An edition split where Polar's was not: the words begin at the end
    of one section and end at the start of the next. The card's section
    shows its part marked; turned to, the other shows the rest."""
    book = Book(make_epub({"1.xhtml": "<p>Intro.</p><p>It was the best of times, it was",
                           "2.xhtml": "the worst of times, it was the age</p><p>Later.</p>",
                           "3.xhtml": "<p>Three.</p>"}))
    text = "it was the best of times, it was the worst of times"
    for number, part, words in ((1, -1, "It was the best of times, it was"), (2, 1, "the worst of times")):
        section = book.place(number, text)
        assert (section.number, section.found, section.part) == (number, True, part)
        assert f'<mark class="polar-mark" id="polar-mark">{words}</mark>' in section.html
    # Polar's number two away: the nearer of the two.
    assert book.place(3, text).number == 2
    # The section turned to from the other shows its part too.
    assert book.section(2, text).part == 1 and book.section(1, text).part == -1
    # Words that are not the end of one and the start of the next: not found.
    assert not book.place(1, "best of times, it was the age").found


def test_highlights_in_other_sections_tell_how_wide_polar_s_window_was():
    """A phone's narrow column puts every place twice as far down: with no
    other highlight in the section, the book's other sections' highlights
    (their ``order`` against where their words are) set the scale."""
    from addon.polar.epub_book import Hint, _text_chars

    chapter = _term_section()
    other = "".join(f"{FILLER}<p>Marker {i} of the other chapter.</p>" for i in range(1, 4))
    book = Book(make_epub({"1.xhtml": other, "2.xhtml": chapter}))

    def tops(number: int, words: list) -> list:
        heights: list = []
        chars, _ = _text_chars(book._source(number), heights)
        return [heights[chars.index(w.lower())] * 2.1 for w in words]  # (Polar at ~400 px)

    places = tops(2, [f"Place {i}:" for i in range(1, 6)])
    markers = tops(1, [f"Marker {i} of" for i in range(1, 4)])
    elsewhere = tuple((1, f"Marker {i} of the other chapter.", y) for i, y in enumerate(markers, 1))
    assert book.place(2, "entropy", hint=Hint(places[3], None, (), elsewhere)).picked == 4
    assert book.place(2, "entropy", hint=Hint(places[3])).picked != 4  # (read as a desktop's px)


def test_the_other_pages_highlights_reach_the_spot_nearest_first():
    from addon.polar.originals import find_spot

    def page(n: int, orders: dict) -> dict:
        return {"pageInfo": {"num": n}, "textHighlights": {
            k: {"id": k, "text": {"TEXT": f"words {k}"}, "order": v} for k, v in orders.items()}}

    meta = {"pageMetas": {"1": page(1, {"a": 10}), "2": page(2, {"h": 50}), "3": page(3, {"b": 20, "c": 30}),
                          "9": page(9, {"z": 5})}}
    spot = find_spot(meta, "text-highlight:h")
    assert spot.elsewhere == ((1, "words a", 10.0), (3, "words b", 20.0), (3, "words c", 30.0),
                              (9, "words z", 5.0))


def test_a_long_section_without_the_words_is_not_read_a_character_at_a_time(monkeypatch):
    """Turning to a section without the card's words (and looking for the
    words across its ends) read the whole section a character at a time:
    ~120 ms for 250 KB. Now a quick look first, and only the ends."""
    import addon.polar.epub_book as epub_book

    long = "".join(f"<p>Paragraph {j}: " + "filler text of a very big book. " * 40 + "</p>" for j in range(190))
    book = Book(make_epub({"1.xhtml": long, "2.xhtml": long, "3.xhtml": long}))
    read: list = []
    real = epub_book._text_chars
    monkeypatch.setattr(epub_book, "_text_chars", lambda source, *a: read.append(len(source)) or real(source, *a))
    assert not book.section(2, "words found nowhere in the book").found
    assert sum(read) < len(long)


def test_a_highlight_s_position_stands_in_for_its_order_and_a_height_it_exceeds_is_not_used():
    from addon.polar.epub_book import hint_of
    from addon.polar.originals import find_spot

    def spot(highlight: dict, dimensions: Optional[dict] = None):
        info = {"num": 2, **({"dimensions": dimensions} if dimensions else {})}
        return find_spot({"pageMetas": {"2": {"pageInfo": info, "textHighlights": {
            "h": dict(highlight, id="h", text={"TEXT": "entropy"})}}}}, "text-highlight:h")

    assert spot({"position": {"x": 1, "y": 640.0, "width": 5, "height": 5}}).order == 640.0
    assert spot({"order": 10.0, "position": {"y": 640.0}}).order == 10.0
    assert hint_of(spot({"order": 500.0}, {"width": 816, "height": 1056})).height == 1056
    assert hint_of(spot({"order": 5000.0}, {"width": 816, "height": 1056})).height is None


def test_a_very_common_word_s_other_places_are_not_underlined():
    book = Book(make_epub({"1.xhtml": "<p>" + "the cat and the dog. " * 60 + "</p>"}))
    section = book.place(1, "the")
    assert section.places == 120 and section.html.count("<mark") == 1 and 'class="polar-also"' not in section.html


def test_a_link_to_a_file_of_the_book_that_is_no_section_names_it_for_the_window():
    """A footnote in a notes file outside the reading order (linear="no"),
    a link to a picture: they led nowhere ("#"). Now the window shows the
    file alone (``Book.document``), at the note."""
    from addon.polar.epub_book import EpubError

    body = ("<p>Text<a href='notes.xhtml#n%201'>1</a> and <a href='images/map.png'>the map</a>, "
            "<a href='x.css'>css</a></p>")
    book = Book(make_epub({"1.xhtml": body, "notes.xhtml": "<p id='n 1'>The note.</p>", "2.xhtml": "<p>Two</p>"},
                          nonlinear=["notes.xhtml"], extra={"images/map.png": PNG, "x.css": b"p{}"}))
    page = book.section(1).html
    assert 'href="https://polar-section.invalid/file/OEBPS%2Fnotes.xhtml#n%201"' in page
    assert 'href="https://polar-section.invalid/file/OEBPS%2Fimages%2Fmap.png"' in page
    assert page.count('href="#"') == 1  # (the stylesheet is no page)
    notes = book.document("OEBPS/notes.xhtml", 1)
    assert "The note." in notes.html and notes.document == "OEBPS/notes.xhtml" and notes.number == 1
    picture = book.document("OEBPS/images/map.png", 2)
    assert '<img src="data:image/png;base64,' in picture.html and picture.number == 2
    for bad in ("OEBPS/x.css", "../etc/passwd", "OEBPS/none.xhtml"):
        with pytest.raises(EpubError):
            book.document(bad, 1)


def test_a_place_chosen_with_nothing_else_to_go_by_is_sure_only_when_any_desktop_width_chooses_it():
    """With no other highlight in the book, Polar's px are read as a ~1000 px
    window's: the fifth of five is chosen, but a 700 or 1400 px window would
    put another there, so the window says "as far as its numbers tell"."""
    from addon.polar.epub_book import DEFAULT_SCALE, Hint, _text_chars

    book = Book(make_epub({"1.xhtml": _term_section()}))
    heights: list = []
    chars, _ = _text_chars(book._source(1), heights)
    tops = [heights[chars.index(f"place {i}:")] for i in range(1, 6)]
    fifth = book.place(1, "entropy", hint=Hint(tops[4] * DEFAULT_SCALE))
    assert (fifth.picked, fifth.by_position, fifth.sure) == (5, True, False)
    first = book.place(1, "entropy", hint=Hint(tops[0] * DEFAULT_SCALE))
    assert (first.picked, first.sure) == (1, True)
    anchored = book.place(1, "entropy", hint=Hint(tops[4] * 0.63, None, (("Place 2:", tops[1] * 0.63),)))
    assert (anchored.picked, anchored.sure) == (5, True)
    assert not book.place(1, "entropy").sure
