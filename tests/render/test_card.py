from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, Dict, Optional

import pytest

from addon.polar.docmeta import (
    BASIC,
    BASIC_AND_REVERSE,
    BASIC_OR_REVERSE,
    CLOZE,
    Comment,
    Document,
    Flashcard,
    Highlight,
    Text,
    parse_docmeta,
)
from addon.render.card import RenderedCard, looks_unsyncable, place_in_document, reading_position, render_card
from addon.render.context import Context
from addon.render.media import media_name
from addon.settings import Settings

from .helpers import GIF, JPEG, PNG, SVG, Loader, card, data_uri, document, html, no_images

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "polar-samples"
DEFAULT = Settings()
TEXT_HL = Highlight("hl1", "text-highlight", 3, text=Text("TEXT", "highlighted\ntext"))
AREA_HL = Highlight("ah1", "area-highlight", 4, image_name="shot.png")


def render(
    c: Flashcard,
    doc: Optional[Document] = None,
    loader: Callable[[str], bytes] = no_images,
    settings: Settings = DEFAULT,
) -> RenderedCard:
    doc = doc or document([c], {"hl1": TEXT_HL, "ah1": AREA_HL}, tags=["book", "deck:cs"])
    return render_card(doc, c, loader, settings)


def test_basic_card() -> None:
    c = card({"front": html("<p>What is <b>x</b>?</p>"), "back": html("<p>y</p>")}, tags=["hard"])
    out = render(c)
    assert out.card_id == "1card00001" and out.kind == "basic"
    assert out.front == "<p>What is <b>x</b>?</p>" and out.back == "<p>y</p>"
    assert out.tags == ("book", "hard", "polar")
    assert out.context.source == '<span class="polar-title">Operating Systems</span>&nbsp;· p.&nbsp;3'
    assert out.context.highlight == "highlighted text"
    assert out.error is None and out.problems == () and out.media == ()


@pytest.mark.parametrize(
    ("ctype", "kind"),
    [(BASIC, "basic"), (BASIC_AND_REVERSE, "basic_reverse"), (BASIC_OR_REVERSE, "basic_optional_reverse")],
)
def test_basic_kinds(ctype: str, kind: str) -> None:
    assert render(card({"front": html("f"), "back": html("b")}, type=ctype)).kind == kind


def test_cloze_card() -> None:
    out = render(card({"text": html("<p>{{c1::Paris::city}} is in {{c2::France}}</p>")}, type=CLOZE))
    assert out.kind == "cloze"
    assert out.front == "<p>{{c1::Paris::city}} is in {{c2::France}}</p>"
    assert out.back == "" and out.error is None


def test_old_cloze_card_keeps_its_extra() -> None:
    out = render(card({"text": html("{{c1::a}}"), "extra": html("<i>more</i>")}, type=CLOZE))
    assert out.back == "<i>more</i>" and out.error is None


def test_cloze_without_deletion_is_an_error() -> None:
    out = render(card({"text": html("<p>no deletion here</p>")}, type=CLOZE))
    assert out.error == "cloze card has no deletion {{c1::...}}"


def test_cloze_without_text_is_an_error() -> None:
    assert render(card({}, type=CLOZE)).error == "cloze card has an empty text"


@pytest.mark.parametrize("front", [None, "", "<p><br></p>", "&nbsp; ", "<script>alert(1)</script>"])
def test_basic_with_empty_front_is_an_error(front: Optional[str]) -> None:
    fields: Dict[str, Text] = {"back": html("b")}
    if front is not None:
        fields["front"] = html(front)
    assert render(card(fields)).error == "flashcard has an empty front"


def test_front_with_only_an_image_is_not_empty() -> None:
    out = render(card({"front": html(f'<img src="{data_uri(PNG, "image/png")}">')}))
    assert out.error is None and out.front == f'<img src="{media_name(PNG, "png")}">'


def test_fields_are_sanitised_and_text_escaped() -> None:
    c = card(
        {
            "front": html('<p onclick="x">Q<script>alert(1)</script><a href="javascript:y">l</a></p>'),
            "back": Text("TEXT", "a < b & c"),
        }
    )
    out = render(c)
    assert out.front == "<p>Ql</p>" and out.back == "a &lt; b &amp; c"


def test_markdown_fields() -> None:
    out = render(card({"front": Text("MARKDOWN", "**bold**"), "back": Text("MARKDOWN", r"\(x_1\)")}))
    assert out.front == "<p><strong>bold</strong></p>" and out.back == r"<p>\(x_1\)</p>"


def test_media_from_all_fields_and_context_deduped() -> None:
    png, gif = data_uri(PNG, "image/png"), data_uri(GIF, "image/gif")
    c = card(
        {"front": html(f'<img src="{png}"><img src="{gif}">'), "back": html(f'<img src="{png}">')},
        page=4,
        ref=("area-highlight", "ah1"),
    )
    loader = Loader({"shot.png": PNG})
    out = render(c, loader=loader)
    assert [m.name for m in out.media] == [media_name(PNG, "png"), media_name(GIF, "gif")]
    assert out.context.image == f'<img src="{media_name(PNG, "png")}" alt="Operating Systems · p. 4">'
    assert loader.calls == ["shot.png"] and out.problems == ()


def test_problems_name_the_field_and_the_card_still_syncs() -> None:
    c = card(
        {"front": html(f'Q<img src="{data_uri(SVG, "image/svg+xml")}">'), "back": html("B")},
        ref=("area-highlight", "ah1"),
    )
    out = render(c, loader=Loader({}))
    assert out.error is None and out.front == "Q"
    assert len(out.problems) == 2
    assert out.problems[0].startswith("field 'front': inline SVG image")
    assert "shot.png" in out.problems[1] and "missing" in out.problems[1]


def test_inline_image_size_limit_from_settings() -> None:
    c = card({"front": html(f'Q<img src="{data_uri(JPEG, "image/jpeg")}">')})
    out = render(c, settings=Settings(max_image_bytes=4))
    assert out.front == "Q" and out.media == () and "limit" in out.problems[0]


def test_context_off() -> None:
    c = card({"front": html("Q")}, ref=("area-highlight", "ah1"))
    out = render(c, settings=Settings(context=False))  # no_images fails if the loader is called
    assert out.context == Context("", "", "", "")
    assert out.media == () and out.problems == ()


def test_orphan_card_renders_with_source_only() -> None:
    c = card({"front": html("Q")}, page=9, ref=("text-highlight", "gone"))
    out = render(c)
    assert out.error is None
    assert "p.&nbsp;9" in out.context.source and out.context.highlight == "" and out.context.image == ""


def test_comments_reach_the_context() -> None:
    c = card({"front": html("Q")})
    doc = document([c], {"hl1": TEXT_HL}, [Comment("c1", 3, "text-highlight", "hl1", html("<p>note</p>"))])
    assert render(c, doc=doc).context.comments == '<div class="polar-comment" dir="auto"><p>note</p></div>'


def test_rendering_is_deterministic_and_frozen() -> None:
    c = card({"front": html('<p class="x">Q</p>'), "back": html("B")}, tags=["b", "a"])
    out = render(c)
    assert out == render(c)
    # Immutable, nested parts too (a frozen dataclass would raise
    # FrozenInstanceError, itself an AttributeError).
    with pytest.raises(AttributeError):
        out.front = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        out.context.source = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        c.fields["front"].value = "x"  # type: ignore[misc]
    assert out == render(c)  # nothing changed


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared Polar samples not available")
def test_real_polar_samples_render() -> None:
    rendered = []
    for name in ("exampleA_basic_flashcard.state.json", "exampleB_cloze_flashcard.state.json"):
        doc = parse_docmeta((SAMPLES / name).read_bytes())
        rendered += [render_card(doc, c, Loader({}), DEFAULT) for c in doc.flashcards]
    basic, cloze = rendered
    assert basic.kind == "basic" and basic.error is None
    assert basic.back == "<p><b>execve(2)</b> &mdash; the <code>exec*</code> family wraps it.</p>"
    assert "fork() + execve()" in basic.context.comments
    assert cloze.kind == "cloze" and cloze.error is None and "{{c1::OOM killer}}" in cloze.front
    assert any("missing" in p for p in cloze.problems)  # its screenshot is not in the samples


def test_reading_position_orders_by_page_then_place_then_page_level() -> None:
    highlights = {
        "low": Highlight("low", "text-highlight", 2, text=Text("TEXT", "a"), top=500.0, left=90.0),
        "high_right": Highlight("high_right", "text-highlight", 2, text=Text("TEXT", "b"), top=100.0, left=400.0),
        "high_left": Highlight("high_left", "area-highlight", 2, top=100.0, left=50.0),
        "nowhere": Highlight("nowhere", "text-highlight", 2, text=Text("TEXT", "c")),
        "first_page": Highlight("first_page", "text-highlight", 1, text=Text("TEXT", "d"), top=900.0, left=0.0),
    }
    cards = [
        card({"front": html("p2 page")}, ident="1page2", page=2, ref=("page", "2")),
        card({"front": html("low")}, ident="1low", page=2, ref=("text-highlight", "low")),
        card({"front": html("nowhere")}, ident="1nowhere", page=2, ref=("text-highlight", "nowhere")),
        card({"front": html("hr")}, ident="1hr", page=2, ref=("text-highlight", "high_right")),
        card({"front": html("hl")}, ident="1hl", page=2, ref=("area-highlight", "high_left")),
        card({"front": html("p1")}, ident="1first", page=1, ref=("text-highlight", "first_page")),
        card({"front": html("orphan")}, ident="1orphan", page=1, ref=("text-highlight", "gone")),
    ]
    doc = document(cards, highlights)
    ordered = sorted((render(c, doc) for c in cards), key=lambda rc: rc.position)
    assert [rc.card_id for rc in ordered] == ["1first", "1orphan", "1hl", "1hr", "1low", "1nowhere", "1page2"]
    # A document's cards sort the same by their place in it: the key without
    # its leading part, which is the document's.
    for dated in (doc, dataclasses.replace(doc, added="2020-01-01T00:00:00.000Z")):
        for c in cards:
            whole = reading_position(dated, c)
            assert whole[:3] == (0 if dated.added else 1, dated.added, dated.fingerprint)
            assert whole[3:] == place_in_document(dated, c)
    assert sorted(cards, key=lambda c: place_in_document(doc, c)) == sorted(
        cards, key=lambda c: reading_position(doc, c))


def test_reading_position_orders_documents_by_when_they_were_added() -> None:
    def doc_with(fp: str, added: str, page: int) -> RenderedCard:
        c = card({"front": html(fp)}, ident=f"1{fp}", page=page, ref=("page", str(page)))
        doc = dataclasses.replace(document([c]), fingerprint=fp, added=added)
        return render(c, doc)

    cards = [
        doc_with("later", "2021-05-01T00:00:00.000Z", 1),
        doc_with("undated", "", 1),
        doc_with("earlier", "2020-01-01T00:00:00.000Z", 9),
    ]
    assert [rc.card_id for rc in sorted(cards, key=lambda rc: rc.position)] == ["1earlier", "1later", "1undated"]


def test_a_placed_card_is_the_same_card_without_its_reading_key() -> None:
    """The batched write renders a card after sorting it (``placed``): the
    same card, its ``position`` left at the default instead of made again."""
    highlights = {"h": Highlight("h", "text-highlight", 3, text=Text("TEXT", "the highlight"), top=5.0, left=7.0)}
    c = card({"front": html("q"), "back": html("a")}, ident="1placed", page=3, ref=("text-highlight", "h"))
    doc = document([c], highlights)
    settings = Settings()
    whole = render_card(doc, c, no_images, settings)
    placed = render_card(doc, c, no_images, settings, placed=True)
    assert whole.position[3:7] == (3, 0, 5.0, 7.0)
    assert placed.position == RenderedCard._field_defaults["position"]
    assert placed._replace(position=whole.position) == whole


@pytest.mark.parametrize(
    ("fields", "ctype"),
    [
        ({"back": html("an answer without a question")}, BASIC),
        ({"front": html("<p> &nbsp;</p>"), "back": html("b")}, BASIC),
        ({"front": Text("TEXT", "   ")}, BASIC),
        ({"text": html("<p>no deletion here</p>")}, CLOZE),
        ({"front": html("an old cloze without one")}, CLOZE),
        ({}, CLOZE),
    ],
)
def test_a_front_that_cannot_sync_is_seen_before_rendering(fields: Dict[str, Text], ctype: str) -> None:
    """What looks_unsyncable flags, render_card refuses (read.Pending renders
    those at once, before the plan)."""
    c = card(fields, type=ctype)
    assert looks_unsyncable(c)
    assert render(c).error is not None


@pytest.mark.parametrize(
    ("fields", "ctype"),
    [
        ({"front": html("<p>What is <b>x</b>?</p>"), "back": html("y")}, BASIC),
        ({"front": html('<img src="x.png">')}, BASIC),
        ({"text": html("<p>{{c1::Paris}} is in France</p>")}, CLOZE),
        ({"front": html("{{c1::old}} cloze text under front")}, CLOZE),
    ],
)
def test_a_usual_front_is_left_to_the_rendering(fields: Dict[str, Text], ctype: str) -> None:
    c = card(fields, type=ctype)
    assert not looks_unsyncable(c)
    assert render(c).error is None


@pytest.mark.parametrize(
    ("fields", "ctype", "error"),
    [
        ({"front": html("<script>x</script>"), "back": html("b")}, BASIC, "flashcard has an empty front"),
        ({"front": html("<p><style>p{}</style>\n</p>")}, BASIC, "flashcard has an empty front"),
        ({"front": Text("MARKDOWN", "<script>x</script>")}, BASIC, "flashcard has an empty front"),
        ({"text": html("<p>{{c1::<script>x</script>}}</p>")}, CLOZE, "cloze card has no deletion {{c1::...}}"),
    ],
)
def test_a_front_the_sanitiser_empties_is_refused_by_the_rendering(
        fields: Dict[str, Text], ctype: str, error: str) -> None:
    """looks_unsyncable tests the front as written and passes these; the
    rendering tests the front it made, and refuses them."""
    c = card(fields, type=ctype)
    assert not looks_unsyncable(c)
    assert render(c).error == error
