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


def test_words_are_the_runs_of_letters_and_digits_lower_cased():
    """``words`` (bytes.translate for ASCII text) gives what the regex gives."""
    import random
    import re

    from addon.polar.blocks import words

    def regex(value):
        return " ".join(re.findall(r"[^\W_]+", value.lower()))

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)] + list("éÄßİıǅﬁ٣²Ⅻ_—\u00a0\u2028")
    for _ in range(20000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert words(value) == regex(value), repr(value)
    assert words("What is the <b>Testing</b> effect_2?") == "what is the b testing b effect 2"


def test_a_highlight_text_without_escapes_is_judged_as_before():
    import random

    from addon.polar.blocks import _MARKUP, _PUNCTUATION_ESCAPE

    def before(markdown):
        if not markdown:
            return None
        if _MARKUP.search(_PUNCTUATION_ESCAPE.sub("", markdown)) is None:
            return Text("TEXT", _PUNCTUATION_ESCAPE.sub(r"\1", markdown))
        return Text("MARKDOWN", markdown)

    rng = random.Random(3)
    for _ in range(5000):
        value = "".join(rng.choice("ab 1.-+*_`[]()<>#~|\n\\") for _ in range(rng.randint(0, 12)))
        assert highlight_text(value) == before(value), repr(value)


def test_a_block_reads_the_same_from_the_export_cache_as_from_its_record():
    """``digest`` keeps what ``merge`` needs of a record (reduced, JSON):
    read back (``read_blocks``) it is what parsing the record gives, for
    every kind of block and every record that is skipped."""
    from addon.polar.blocks import digest, parse_blocks, read_blocks
    from tools.polar_export import annotated_document_blocks, block_basic, block_cloze, pretty

    info = {"fingerprint": "1ReducedDoc", "title": "Reduced"}
    made = annotated_document_blocks(info, [block_basic("**What** is *x*?", "y [[#tag]]"), block_cloze("{{c1::z}}")])
    document, highlight, basic, cloze = made
    basic["content"]["links"] = [{"id": "1L", "text": "#deck:Maths"}, {"id": "2L", "text": "x"}, "not a link"]
    highlight["content"]["value"]["revisedText"] = "revised \\_text [[#one]] [[#two]]"
    area = dict(highlight, id="1AreaHl001", content={
        "type": "annotation-area-highlight", "docID": "1ReducedDoc", "pageNum": 2, "links": [],
        "value": {"rects": {"0": {"top": 10.5, "left": 3, "width": 1, "height": 1}}, "color": "red",
                  "image": {"src": {"name": "1Img.png"}}, "position": {"x": 1e308, "y": 1e308}}})
    far = dict(area, id="1FarHl0001", content=dict(area["content"], value=dict(
        area["content"]["value"], position={}, rects={"0": {"top": 1e308, "left": -1e308}})))
    odd_type = dict(basic, id="1OddType01", content=dict(basic["content"], value={
        "type": "front-back", "fields": {"Front": "f", "Back": "", "extra": 3}}))
    no_type = dict(basic, id="1NoType001", content=dict(basic["content"], value={"fields": {"text": "{{c1::t}}"}}))
    unknown = dict(basic, id="1Unknown01", content=dict(basic["content"], value={"type": "IMAGE", "fields": {}}))
    no_value = dict(basic, id="1NoValue01", content=dict(basic["content"], value=None))
    no_id = dict(basic, id=None)
    records = [pretty(b) for b in (document, highlight, basic, cloze, area, far, odd_type, no_type, unknown,
                                   no_value, no_id)]
    kept = [digest(r) for r in records]
    assert all(k is not None for k in kept)
    from_cache = read_blocks(group([k[4] for k in kept]))
    assert from_cache == parse_blocks(records)
    assert from_cache.highlights["1FarHl0001"].top == float("inf")  # (not finite: kept as JSON cannot)
    assert [p[0] for p in from_cache.problems] == ["1Unknown01", "1NoValue01", ""]
    assert digest(pretty({"id": "1Note", "content": {"type": "markdown", "data": "x"}})) is None
