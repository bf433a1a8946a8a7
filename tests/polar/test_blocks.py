"""polar.blocks: what an HTML field and its Markdown copy have in common,
the packing of a document's records, a highlight block's text."""

from __future__ import annotations

from addon.polar.blocks import group, highlight_text, normalised, pack, unpack
from addon.polar.docmeta import Text
from tools.polar_export import html_to_markdown


def test_an_html_field_and_its_turndown_copy_normalise_alike():
    for html in ("<p>What is the <i>testing effect</i>?</p>",
                 "<p>Average turnaround time of jobs \\(J_1 \\dots J_n\\)?</p>",
                 "<p>{{c1::Hermann Ebbinghaus::who?}} described the {{c2::forgetting curve}}</p><p>x &amp; y</p>",
                 '<p>See <a href="https://example.com/a_b">the *page*</a></p><img src="data:image/png;base64,AAAA">'):
        markdown = html_to_markdown(html)
        assert normalised(Text("HTML", html)) == normalised(Text("MARKDOWN", markdown)), (html, markdown)
    assert normalised(Text("HTML", "<p>one</p>")) != normalised(Text("MARKDOWN", "two"))
    assert normalised(Text("MARKDOWN", "[site](https://x.org/page)")) == "site"


def test_a_documents_records_pack_and_unpack():
    assert unpack(b'{"a": 1}') == (b'{"a": 1}', b"[]", False)
    packed = pack(b'{"doc": 1}', group([b'["d","1Doc","2021"]', b'["p","",""]']), True)
    assert unpack(packed) == (b'{"doc": 1}', b'[["d","1Doc","2021"],["p","",""]]', True)
    assert unpack(pack(b"{}", group([]), False)) == (b"{}", b"[]", False)


def test_a_highlight_block_reads_as_plain_text_unless_it_holds_markdown():
    assert highlight_text("Jobs J\\_1 to J\\_n \\[sic\\]") == Text("TEXT", "Jobs J_1 to J_n [sic]")
    assert highlight_text("a **bold** claim") == Text("MARKDOWN", "a **bold** claim")
    assert highlight_text("") is None


def test_a_card_kept_inside_its_highlight_was_never_copied_and_stays(tmp_path):
    """Polar's migration copies only the cards of the pages' ``flashcards``
    maps; one kept inside a highlight (the schema allows it) has no copy, and
    is not taken as deleted in Polar 3."""
    from addon.polar.blocks import merge, page_cards, parse_blocks
    from addon.polar.docmeta import parse_docmeta
    from tests.polar_factory import Doc, basic
    from tools.polar_export import migrate_to_blocks, pretty

    doc = Doc(tmp_path, "1InsideHighlight000001")
    doc.text_highlight("1HlInside1", "A sentence.")
    doc.card("1OnPage001", basic("<p>On the page?</p>", "<p>yes</p>"), ref="text-highlight:1HlInside1")
    inside = dict(doc.page(1)["flashcards"]["1OnPage001"], id="1Inside001", guid="1Inside001",
                  fields={"front": {"HTML": "<p>Inside?</p>"}, "back": {"HTML": "<p>yes</p>"}})
    doc.page(1)["textHighlights"]["1HlInside1"]["flashcards"]["1Inside001"] = inside
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    assert sum(b["content"]["type"] == "annotation-flashcard" for b in blocks) == 1
    merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True,
                   page_cards(doc.meta))
    assert {c.id for c in merged.flashcards} == {"1OnPage001", "1Inside001"}
    # Deleted in Polar 3, the page's card goes; the other stays.
    blocks = [b for b in blocks if b["content"]["type"] != "annotation-flashcard"]
    merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True,
                   page_cards(doc.meta))
    assert {c.id for c in merged.flashcards} == {"1Inside001"}
