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


def _edited_area_copies(tmp_path, change):
    """A document with area highlights on pages 1 (two) and 2 (one), a card
    on each (two on the first), client-migrated; every copied card edited in
    Polar 3; ``change(blocks by DocMeta image name)`` alters the copies."""
    from addon.polar.blocks import merge, page_cards, parse_blocks
    from addon.polar.docmeta import parse_docmeta
    from tests.polar_factory import Doc, basic, cloze
    from tools.polar_export import migrate_to_blocks, pretty

    doc = Doc(tmp_path, "1AreaCopies00000000001")
    doc.area_highlight("1AreaOne01", "imgOne.png").area_highlight("1AreaTwo02", "imgTwo.png")
    doc.area_highlight("1AreaThr03", "imgThree.png", page=2)
    doc.card("1CardOne01", basic("<p>One?</p>", "<p>1</p>"), ref="area-highlight:1AreaOne01")
    doc.card("1CardOne02", cloze("<p>{{c1::One}} more</p>"), "CLOZE", ref="area-highlight:1AreaOne01")
    doc.card("1CardTwo01", basic("<p>Two?</p>", "<p>2</p>"), ref="area-highlight:1AreaTwo02")
    doc.card("1CardThr01", basic("<p>Three?</p>", "<p>3</p>"), ref="area-highlight:1AreaThr03", page=2)
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    for b in blocks:
        if b["content"]["type"] == "annotation-flashcard":
            for name in b["content"]["value"]["fields"]:
                b["content"]["value"]["fields"][name] += " (edited)"
            b["updated"] = "2021-12-01T09:00:00.000Z"
    change({b["content"]["value"]["image"]["src"]["name"]: b for b in blocks
            if b["content"]["type"] == "annotation-area-highlight"})
    merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True,
                   page_cards(doc.meta))
    return {c.id: (c.ref_id, "(edited)" in str(c.fields)) for c in merged.flashcards}, merged


def test_area_highlight_copies_are_told_by_their_image_their_place_or_alone_on_their_page(tmp_path):
    """An area highlight has no words: its client-side copy is known by the
    screenshot it names, else where it starts, else as the only one left on
    its page (unless it names another screenshot). Its card, edited in
    Polar 3, then pairs as one on a text highlight does (one of its kind
    there), and keeps the DocMeta highlight (its image, its comments)."""

    def no_image_on_two(copies):
        del copies["imgTwo.png"]["content"]["value"]["image"]
        del copies["imgTwo.png"]["content"]["value"]["position"]

    cards, merged = _edited_area_copies(tmp_path, no_image_on_two)
    assert cards == {"1CardOne01": ("1AreaOne01", True), "1CardOne02": ("1AreaOne01", True),
                     "1CardTwo01": ("1AreaTwo02", True), "1CardThr01": ("1AreaThr03", True)}
    assert merged.held_back == 0 and merged.highlights["1AreaTwo02"].image_name == "imgTwo.png"

    def another_screenshot_on_three(copies):
        copies["imgThree.png"]["content"]["value"]["image"]["src"]["name"] = "imgOther.png"

    # Another screenshot: another highlight (the DocMeta's was deleted in
    # Polar 3, this one made there): its card is not the DocMeta card.
    cards, _ = _edited_area_copies(tmp_path, another_screenshot_on_three)
    assert "1CardThr01" not in cards and [c for c in cards if c.startswith("1Mg")]


def test_two_edited_cards_of_a_kind_on_an_area_copy_are_held_back(tmp_path):
    from addon.polar.blocks import merge, page_cards, parse_blocks
    from addon.polar.docmeta import parse_docmeta
    from tests.polar_factory import Doc, basic
    from tools.polar_export import migrate_to_blocks, pretty

    doc = Doc(tmp_path, "1AreaTwoCards000000001")
    doc.area_highlight("1AreaOne01", "imgOne.png")
    doc.card("1CardOne01", basic("<p>One?</p>", "<p>1</p>"), ref="area-highlight:1AreaOne01")
    doc.card("1CardOne02", basic("<p>Two?</p>", "<p>2</p>"), ref="area-highlight:1AreaOne01")
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    for b in blocks:
        if b["content"]["type"] == "annotation-flashcard":
            b["content"]["value"]["fields"]["front"] = "Edited " + b["id"]
            b["updated"] = "2021-12-01T09:00:00.000Z"
    merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True,
                   page_cards(doc.meta))
    assert {c.id for c in merged.flashcards} == {"1CardOne01", "1CardOne02"} and merged.held_back == 2


def test_a_comment_is_taken_as_deleted_in_polar_3_only_when_the_blocks_are_whole(tmp_path):
    """A DocMeta comment whose copy is gone was deleted in Polar 3: left out
    when every block was read, kept when one might be missing; a comment
    copy still there is one comment, not two."""
    from addon.polar.blocks import merge, page_cards, parse_blocks
    from addon.polar.docmeta import parse_docmeta
    from tests.polar_factory import Doc, basic
    from tools.polar_export import migrate_to_blocks, pretty

    doc = Doc(tmp_path, "1CommentsKept000000001")
    doc.text_highlight("1HlOne0001", "A sentence.")
    doc.card("1CardOne01", basic("<p>Asked?</p>", "<p>yes</p>"), ref="text-highlight:1HlOne0001")
    doc.comment("1CmOne0001", "<p>First <b>remark</b>.</p>", ref="text-highlight:1HlOne0001")
    doc.comment("1CmTwo0002", "<p>Second remark.</p>", ref="text-highlight:1HlOne0001")
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    assert [b["content"]["data"] for b in blocks if b["content"]["type"] == "markdown"] == [
        "First **remark**. ", "Second remark. "]
    whole = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True, page_cards(doc.meta))
    assert [(c.id, c.content) for c in whole.comments] == [(c.id, c.content) for c in parse_docmeta(doc.meta).comments]
    blocks = [b for b in blocks if b["content"].get("data") != "Second remark. "]
    for authoritative, kept in ((True, ["1CmOne0001"]), (False, ["1CmOne0001", "1CmTwo0002"])):
        merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, authoritative,
                       page_cards(doc.meta))
        assert sorted(c.id for c in merged.comments) == kept


def test_a_comment_edited_in_polar_3_keeps_its_place(tmp_path):
    """The copy of the older of two comments, edited in Polar 3 after a
    client-side migration (which stamped it then), beside a comment written
    there since: the edit pairs with its DocMeta comment and stays first."""
    from addon.polar.blocks import merge, page_cards, parse_blocks
    from addon.polar.docmeta import parse_docmeta
    from tests.polar_factory import Doc, basic
    from tools.polar_export import comment_block, migrate_to_blocks, pretty

    doc = Doc(tmp_path, "1CommentsOrder00000001")
    doc.text_highlight("1HlOne0001", "A sentence.")
    doc.card("1CardOne01", basic("<p>Asked?</p>", "<p>yes</p>"), ref="text-highlight:1HlOne0001")
    doc.comment("1CmOne0001", "<p>First remark.</p>", ref="text-highlight:1HlOne0001")
    doc.comment("1CmTwo0002", "<p>Second remark.</p>", ref="text-highlight:1HlOne0001")
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    first = next(b for b in blocks if b["content"].get("data") == "First remark. ")
    first["content"]["data"] = "First remark, *edited*."
    first["updated"] = "2021-12-01T09:00:00.000Z"
    highlight = next(b for b in blocks if b["id"] == first["parent"])
    blocks.append(comment_block("1Written01", highlight, "Third.", "2021-12-02T09:00:00.000Z"))
    merged = merge(parse_docmeta(doc.meta), parse_blocks(pretty(b) for b in blocks), False, True,
                   page_cards(doc.meta))
    shown = sorted(merged.comments, key=lambda c: (c.created, c.id))
    assert [(c.id, c.content.value if c.content else None) for c in shown] == [
        ("1CmOne0001", "First remark, *edited*."), ("1CmTwo0002", "<p>Second remark.</p>"), ("1Written01", "Third.")]
