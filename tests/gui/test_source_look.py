"""The context block (the source line and below) as Anki's reviewer lays
it out (its Chromium, a 400 px window): what a person sees, asserted on the
rendered page.

* "p. 142" never breaks between "p." and its number, and no line of the
  source starts with its "·" (it broke so at phone width);
* a Hebrew highlight and an Arabic comment read right to left: direction
  rtl, aligned right, the bar on the right; an English one as before;
* a table wider than the card scrolls inside itself, not the whole answer;
  an image given a width and a height wider than the card keeps its shape;
  a card from Polar 2.x's editor (CKEditor 5) shows its image's caption
  under the image and its embedded video as a link.

(Named to run after test_source_link: its documents land in the shared
session's library, and test_in_anki wants the startup sync to be the last.)
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.gui.test_source_link import _js
from tests.gui.test_source_link import _show_answer as show_answer
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

FP = "1LookLongTitleDoc00001"
RTL_FP = "1LookHebrewDoc0000001"
SHAPES_FP = "1LookShapesDoc0000001"
PNG_16X8 = ("iVBORw0KGgoAAAANSUhEUgAAABAAAAAICAIAAAB/FOjAAAAAE0lEQVR42mMQ"
            "aPhAEmIY1UALDQCaFsABHPL0KAAAAABJRU5ErkJggg==")  # twice as wide as high
PNG_8PX = "iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAEUlEQVR42mMQaPiAFTEMLQkASvNgAbCw2zUAAAAASUVORK5CYII="
WIDE_TABLE = ("<table class=\"table table-bordered\"><tbody><tr><td>HTTP</td><td>80</td>"
              "<td>HTTPS_with_a_long_name_that_does_not_break</td><td>443</td><td>QUIC over UDP</td></tr>"
              "</tbody></table>")
def _show_answer(session: Any, front: str) -> None:
    """The card's answer in the reviewer (test_source_link's way), its
    context block drawn."""
    show_answer(session, front)
    session.anki.wait_until(lambda: _js(session, "!!document.querySelector('#qa .polar-context')"),
                            what="the answer's context")


@pytest.fixture(scope="module")
def narrow(anki: Any) -> Any:
    anki.settle()
    doc = Doc(anki.library, FP, title="Designing Data-Intensive Applications", pages=150)
    doc.text_highlight("1LookHl", "Leader-based replication.", page=142)
    doc.card("1LookCard", basic("<p>Where do clients send writes?</p>", "<p>To the leader.</p>"),
             ref="text-highlight:1LookHl", page=142)
    doc.write()
    rtl = Doc(anki.library, RTL_FP, title="מבוא לחזרה מרווחת", pages=12)
    rtl.text_highlight("1LookRtlHl", "החזרה המרווחת מתזמנת כל חזרה רגע לפני שהזיכרון דועך (Ebbinghaus, 1885).",
                       page=12)
    rtl.comment("1LookRtlCm", "<p>التكرار المتباعد يقوّي الذاكرة.</p>", "text-highlight:1LookRtlHl", page=12)
    rtl.comment("1LookEnCm", "<p>An English comment.</p>", "text-highlight:1LookRtlHl", page=12)
    rtl.card("1LookRtlCard", basic("<p>When is a review due?</p>", "<p>Just before forgetting.</p>"),
             ref="text-highlight:1LookRtlHl", page=12)
    rtl.write()
    shapes = Doc(anki.library, SHAPES_FP, title="Shapes", pages=3)
    shapes.card("1LookTable", basic("<p>Which ports?</p>", WIDE_TABLE), page=1)
    shapes.card("1LookFigure", basic(
        f'<p>Which layout?</p><figure class="image"><img src="data:image/png;base64,{PNG_8PX}" width="120">'
        "<figcaption>Figure 3: the tablet layout</figcaption></figure>"
        '<figure class="media"><oembed url="https://www.youtube.com/watch?v=dQw4w9WgXcQ"></oembed></figure>',
        "<p>The grid.</p>"), page=2)
    shapes.card("1LookShape", basic(f'<p>Which shape?</p><img src="data:image/png;base64,{PNG_16X8}" width="800" '
                                    'height="400">', "<p>Twice as wide as high.</p>"), page=3)
    shapes.write()
    anki.trigger_and_wait("Sync from Polar")
    mw = anki.mw
    size = mw.size()
    mw.resize(400, 720)
    anki.anki.process(0.3)
    yield anki
    mw.resize(size)
    mw.moveToState("deckBrowser")
    # Until the deck list has replaced the reviewer's page: the next test's
    # reviewer page must not be overtaken by this load.
    deck_list = "typeof _showQuestion === 'undefined' && document.readyState === 'complete'"
    anki.anki.wait_until(lambda: _js(anki, deck_list), what="the deck list")


def test_the_page_number_stays_with_p_at_400_px(narrow: Any) -> None:
    _show_answer(narrow, "Where do clients send writes?")
    assert _js(narrow, "document.getElementById('qa').getBoundingClientRect().width") <= 400
    # Each line box of the source line: its text, in order.
    lines = _js(narrow, """(function(){
        var source = document.querySelector('#qa .polar-source');
        var walker = document.createTreeWalker(source, NodeFilter.SHOW_TEXT);
        var tops = {}, node;
        while ((node = walker.nextNode())) {
            for (var i = 0; i < node.data.length; i++) {
                var r = document.createRange(); r.setStart(node, i); r.setEnd(node, i + 1);
                var rect = r.getClientRects()[0]; if (!rect) continue;
                var top = Math.round(rect.top); tops[top] = (tops[top] || '') + node.data[i];
            }
        }
        return Object.keys(tops).map(Number).sort(function(a, b){return a - b;}).map(function(t){return tops[t];});
    })()""")
    assert len(lines) >= 2, lines  # the title is long enough to wrap at 400 px
    for line in lines:
        assert not line.strip().startswith("·"), lines
        assert not line.rstrip().endswith("p."), lines  # "p." never alone at a line's end
    assert any("p.\u00a0142" in line for line in lines), lines


def test_right_to_left_text_reads_right_to_left(narrow: Any) -> None:
    _show_answer(narrow, "When is a review due?")
    style = """(function(el){var s = getComputedStyle(el), r = el.getBoundingClientRect();
        var range = document.createRange(); range.selectNodeContents(el); var t = range.getBoundingClientRect();
        return [s.direction, s.borderLeftWidth, s.borderRightWidth, Math.round(r.right - t.right),
                Math.round(t.left - r.left)];})"""
    highlight = _js(narrow, f"{style}(document.querySelector('#qa .polar-highlight'))")
    arabic, english = (_js(narrow, f"{style}(document.querySelectorAll('#qa .polar-comment')[{i}])") for i in (0, 1))
    for got in (highlight, arabic):
        direction, left, right, gap_right, _ = got
        assert (direction, left, right) == ("rtl", "0px", "3px"), got
        assert gap_right < 20, got  # aligned at the right, beside its bar (padding 0.7em)
    direction, left, right, _, gap_left = english
    assert (direction, left, right) == ("ltr", "3px", "0px"), english
    assert gap_left < 20, english


def test_a_wide_table_scrolls_inside_itself_at_400_px(narrow: Any) -> None:
    """A table wider than the card (Polar's editors insert tables) scrolled
    the whole answer sideways at 400 px, the source line and the buttons'
    card with it; now only the table scrolls."""
    _show_answer(narrow, "Which ports?")
    sizes = _js(narrow, """(function(){var page = document.scrollingElement, t = document.querySelector('#qa table');
        return [page.scrollWidth, page.clientWidth, t.scrollWidth, t.clientWidth];})()""")
    page_width, page_client, table_width, table_client = sizes
    assert page_width <= page_client, sizes  # the answer does not scroll sideways
    assert table_width > table_client, sizes  # the table does, inside itself
    assert "HTTPS_with_a_long_name_that_does_not_break" in _js(narrow, "document.querySelector('#qa table').innerText")


def test_a_card_from_polar_2s_editor_shows_its_caption_under_its_image_and_its_video(narrow: Any) -> None:
    """CKEditor 5 (Polar 2.x) wraps an image and its caption in a <figure>
    and writes an embedded video as an <oembed>: the caption ran on beside
    the image and the video was gone. On the question now: the caption
    under the image, the video a link to it."""
    _show_answer(narrow, "Which layout?")
    got = _js(narrow, """(function(){var img = document.querySelector('#qa img'),
        cap = document.querySelector('#qa figcaption'), a = document.querySelector('#qa a[href*="youtube"]');
        return [img.naturalWidth, Math.round(img.getBoundingClientRect().bottom),
                cap ? Math.round(cap.getBoundingClientRect().top) : -1, cap ? cap.innerText : '',
                a ? a.innerText : '', document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth];
    })()""")
    natural, image_bottom, caption_top, caption, link, fits = got
    assert natural == 8, got  # the image is there (a media file)
    assert caption == "Figure 3: the tablet layout" and caption_top >= image_bottom, got
    assert link == "https://www.youtube.com/watch?v=dQw4w9WgXcQ" and fits, got
    # The figure as wide as the card: no browser default 40 px each side.
    widths = _js(narrow, """[document.querySelector('#qa figure').getBoundingClientRect().width,
        document.getElementById('qa').getBoundingClientRect().width]""")
    assert widths[0] == widths[1], widths


def test_an_image_given_a_width_and_a_height_keeps_its_shape_at_400_px(narrow: Any) -> None:
    """An image (16x8) pasted with width="800" height="400" was drawn
    348x400 at 400 px (the width shrunk to the card, the height kept):
    squeezed. Now it is as wide as the card allows and half as high."""
    _show_answer(narrow, "Which shape?")
    width, height = _js(narrow, "(function(){var i = document.querySelector('#qa img');"
                                "return [i.width, i.height];})()")
    assert width <= 400 and abs(width / height - 2) < 0.05, (width, height)
