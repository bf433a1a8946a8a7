"""Flashcards in Polar's own spelling and in the variants of old or hand-made
files read the same (the parser's plain-lookup path and its case-tolerant one)."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from addon.polar.docmeta import Flashcard, parse_docmeta

POLAR_CARD: Dict[str, Any] = {
    "id": "1card", "guid": "1card", "created": "2020-01-01T00:00:00.000Z", "lastUpdated": "2020-01-02T00:00:00.000Z",
    "type": "BASIC_FRONT_BACK", "archetype": "9d146db1-7c31-4bcf-866b-7b485c4e50ea",
    "fields": {"front": {"HTML": "<p>Q</p>"}, "back": {"HTML": "<p>A</p>"}},
    "ref": "text-highlight:1hl", "tags": {"t1": {"id": "t1", "label": "Label"}},
}


def _card(raw: Dict[str, Any]) -> Flashcard:
    page = {"pageInfo": {"num": 2}, "flashcards": {"1card": raw}}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert not doc.problems
    (card,) = doc.flashcards
    return card


def test_polar_shape() -> None:
    card = _card(POLAR_CARD)
    assert card == Flashcard("1card", "BASIC_FRONT_BACK", card.fields, 2, "text-highlight", "1hl", ("Label",),
                             "2020-01-01T00:00:00.000Z", "2020-01-02T00:00:00.000Z")
    assert {k: (t.kind, t.value) for k, t in card.fields.items()} == {"front": ("HTML", "<p>Q</p>"),
                                                                        "back": ("HTML", "<p>A</p>")}


@pytest.mark.parametrize("rename", [{"tags": "Tags"}, {"fields": "Fields", "type": "TYPE"}, {"ref": "Ref", "id": "ID"},
                                    {"created": "CREATED"}])
def test_capitalised_keys_read_as_polar_spells_them(rename: Dict[str, str]) -> None:
    raw = {rename.get(k, k): v for k, v in POLAR_CARD.items()}
    assert _card(raw) == _card(POLAR_CARD)


def test_unknown_keys_and_odd_values_take_the_tolerant_path() -> None:
    raw = dict(POLAR_CARD, flagged=True, somethingNew=1)
    assert _card(raw) == _card(POLAR_CARD)
    # Not Polar's spelling of the text kinds, a plain-string field, a lower-case type.
    raw = dict(POLAR_CARD, type="basic_front_back",
               fields={"Front": {"html": "<p>Q</p>"}, "back": "<p>A</p>"})
    card = _card(raw)
    assert card.type == "BASIC_FRONT_BACK"
    assert {k: (t.kind, t.value) for k, t in card.fields.items()} == {"front": ("HTML", "<p>Q</p>"),
                                                                        "back": ("TEXT", "<p>A</p>")}


def test_many_cards_share_their_repeated_strings() -> None:
    """A first sync holds every card's record until its write renders it
    (sync.read.Pending): what repeats from card to card is one string, not
    one per card; the values are what they were."""
    import json

    page: Dict[str, Any] = {"pageInfo": {"num": 1}, "flashcards": {}}
    for i in range(3):
        raw = json.loads(json.dumps(dict(POLAR_CARD, id=f"1c{i}", lastUpdated=POLAR_CARD["created"])))
        raw["fields"] = {"Front": {"HTML": f"<p>Q{i}</p>"}, "back": {"HTML": "<p>A</p>"}}
        page["flashcards"][f"1c{i}"] = raw
    doc = parse_docmeta(json.loads(json.dumps({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"1": page}})))
    a, b, c = doc.flashcards
    assert a.type == "BASIC_FRONT_BACK" and a.type is b.type is c.type
    assert a.ref_type == "text-highlight" and a.ref_type is b.ref_type is c.ref_type
    names = [next(iter(card.fields)) for card in (a, b, c)]
    assert names == ["front"] * 3 and names[0] is names[1] is names[2]
    assert a.last_updated == a.created and a.last_updated is a.created
    other = _card(POLAR_CARD)
    assert other.last_updated == "2020-01-02T00:00:00.000Z" != other.created


POLAR_HIGHLIGHT: Dict[str, Any] = {
    "id": "1hl", "guid": "1hl", "created": "2020-01-01T00:00:00.000Z",
    "rects": {"0": {"left": 90.0, "top": 300.0, "right": 520.0, "bottom": 330.0}},
    "text": {"TEXT": "the highlighted\nwords"}, "color": "yellow", "flashcards": {},
}


def _highlight(raw: Dict[str, Any], key: str = "1hl") -> Any:
    page = {"pageInfo": {"num": 2}, "textHighlights": {key: raw}}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert not doc.problems
    # (one highlight; found by its guid too when that differs from its id)
    (highlight,) = {id(h): h for h in doc.highlights.values()}.values()
    return highlight


def test_highlight_in_polar_shape() -> None:
    hl = _highlight(POLAR_HIGHLIGHT)
    assert (hl.id, hl.kind, hl.page, hl.color, hl.top, hl.left) == ("1hl", "text-highlight", 2, "yellow", 300.0, 90.0)
    assert (hl.text.kind, hl.text.value) == ("TEXT", "the highlighted\nwords")


@pytest.mark.parametrize("change, expected", [
    ({"text": {"html": "<b>lower-case kind</b>"}}, ("text", ("HTML", "<b>lower-case kind</b>"))),
    ({"text": {"TEXT": ""}}, ("text", None)),
    ({"text": {"TEXT": 3}}, ("text", None)),
    ({"text": "a plain string (very old files)"}, ("text", ("TEXT", "a plain string (very old files)"))),
    ({"text": None, "Text": {"TEXT": "capitalised key"}}, ("text", None)),
    ({"revisedText": {"HTML": "<p>revised</p>"}}, ("text", ("HTML", "<p>revised</p>"))),
    ({"revisedText": {"HTML": ""}}, ("text", ("TEXT", "the highlighted\nwords"))),
    ({"id": ""}, ("id", "map-key")),
    ({"id": 7}, ("id", "7")),
    ({"id": "x" * 300}, ("id", "x" * 200)),
    ({"color": ""}, ("color", None)),
    ({"color": "c" * 40}, ("color", "c" * 32)),
    ({"color": 3}, ("color", "3")),
])
def test_highlight_shapes_read_as_the_tolerant_helpers_do(change: Dict[str, Any], expected: Any) -> None:
    """The parser takes Polar's usual highlight fields as they are; every
    other shape must read as ``parse_text``/``_str`` read it."""
    hl = _highlight({**POLAR_HIGHLIGHT, **change}, key="map-key")
    name, want = expected
    got = getattr(hl, name)
    assert ((got.kind, got.value) if name == "text" and got is not None else got) == want


def test_capitalised_text_key_found_when_text_is_absent() -> None:
    raw = {k: v for k, v in POLAR_HIGHLIGHT.items() if k != "text"}
    hl = _highlight({**raw, "Text": {"TEXT": "capitalised"}})
    assert (hl.text.kind, hl.text.value) == ("TEXT", "capitalised")


@pytest.mark.parametrize("value", [[], [1], "", 0])
def test_a_highlight_flashcards_value_that_is_not_a_map_is_reported(value: Any) -> None:
    page = {"pageInfo": {"num": 2}, "textHighlights": {"1hl": {**POLAR_HIGHLIGHT, "flashcards": value}}}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert [m for _, m in doc.problems] == [f"highlight 1hl flashcards is a {type(value).__name__}, not a map; skipped"]


@pytest.mark.parametrize("part", ["textHighlights", "areaHighlights", "comments", "flashcards"])
@pytest.mark.parametrize("value", [[], "x"])
def test_a_page_map_that_is_not_a_map_is_reported(part: str, value: Any) -> None:
    page = {"pageInfo": {"num": 2}, part: value, "flashcards": {"1card": POLAR_CARD}} if part != "flashcards" else {
        "pageInfo": {"num": 2}, part: value}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert [m for _, m in doc.problems] == [f"page 2 {part} is a {type(value).__name__}, not a map; skipped"]
    assert len(doc.flashcards) == (0 if part == "flashcards" else 1)


def test_page_cards_and_highlight_cards_share_one_id_space() -> None:
    """A card id seen twice (nested in a highlight and on its page) is one card: the first read."""
    nested = {**POLAR_HIGHLIGHT, "flashcards": {"1card": {**POLAR_CARD, "type": "CLOZE",
                                                          "fields": {"text": {"HTML": "{{c1::x}}"}}}}}
    page = {"pageInfo": {"num": 2}, "textHighlights": {"1hl": nested}, "flashcards": {"1card": POLAR_CARD}}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    (card,) = doc.flashcards
    assert card.type == "CLOZE" and card.ref_type == "text-highlight"


def _revised_page() -> Dict[str, Any]:
    """A page as Polar leaves it after the highlight's text was revised
    (``TextHighlights.setRevisedText``: a new id, the guid kept): the card and
    comment made before point at the guid, the card made after at the new id."""
    revised = {**POLAR_HIGHLIGHT, "id": "1new", "guid": "1hl", "revisedText": {"HTML": "<p>as revised</p>"}}
    before = dict(POLAR_CARD, id="1before", guid="1before", ref="text-highlight:1hl")
    after = dict(POLAR_CARD, id="1after", guid="1after", ref="text-highlight:1new")
    comment = {"id": "1cm", "guid": "1cm", "created": "2020-01-01T00:00:00.000Z", "content": {"HTML": "c"},
               "ref": "text-highlight:1new"}
    return {"pageInfo": {"num": 2}, "textHighlights": {"1new": revised},
            "flashcards": {"1before": before, "1after": after}, "comments": {"1cm": comment}}


def test_refs_to_a_revised_highlight_find_it_by_id_or_guid() -> None:
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": _revised_page()}})
    assert not doc.problems
    # Every ref names the highlight by its stable guid, and the guid finds it.
    assert {(c.id, c.ref_type, c.ref_id) for c in doc.flashcards} == {
        ("1before", "text-highlight", "1hl"), ("1after", "text-highlight", "1hl")}
    assert [(c.ref_type, c.ref_id) for c in doc.comments] == [("text-highlight", "1hl")]
    hl = doc.highlights["1hl"]
    assert hl is doc.highlights["1new"] and hl.id == "1new" and hl.text.value == "<p>as revised</p>"


def test_a_guid_never_hides_another_highlights_id() -> None:
    page = _revised_page()
    page["textHighlights"]["1hl"] = dict(POLAR_HIGHLIGHT, text={"TEXT": "the other one"})
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert doc.highlights["1hl"].text.value == "the other one"
    assert {(c.id, c.ref_id) for c in doc.flashcards} == {("1before", "1hl"), ("1after", "1new")}


def test_a_card_made_on_a_comment_has_the_comments_highlight_as_parent() -> None:
    comment = {"id": "1cm", "content": {"HTML": "c"}, "ref": "text-highlight:1hl"}
    page = {"pageInfo": {"num": 2}, "textHighlights": {"1hl": POLAR_HIGHLIGHT}, "comments": {"1cm": comment},
            "flashcards": {"1card": dict(POLAR_CARD, ref="comment:1cm"),
                           "1lost": dict(POLAR_CARD, id="1lost", ref="comment:1gone")}}
    doc = parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {"2": page}})
    assert {(c.id, c.ref_type, c.ref_id) for c in doc.flashcards} == {
        ("1card", "text-highlight", "1hl"), ("1lost", "comment", "1gone")}


def test_a_cloze_typed_card_with_a_front_and_back_and_no_deletion_is_front_back() -> None:
    """Polar's ``MockFlashcards.attachFlashcards`` writes type CLOZE with the
    front/back archetype and ``Front``/``Back`` fields: a front/back card.
    A cloze whose text sits under ``front`` (with a deletion) stays a cloze."""
    mock = dict(POLAR_CARD, type="CLOZE", fields={"Front": {"HTML": "What is the capital of California?\n0"},
                                                  "Back": {"TEXT": "Sacramento"}})
    assert _card(mock).type == "BASIC_FRONT_BACK"
    for fields in ({"front": {"HTML": "{{c1::Sacramento}} is the capital"}, "back": {"HTML": "extra"}},
                   {"text": {"HTML": "no deletion"}, "front": {"HTML": "f"}, "back": {"HTML": "b"}},
                   {"front": {"HTML": "no back, no deletion"}}):
        assert _card(dict(POLAR_CARD, type="CLOZE", fields=fields)).type == "CLOZE", fields


def test_a_ref_in_polars_parsed_form_reads_as_its_string() -> None:
    """``Refs.createRef`` gives ``{"type", "value"}`` (``IRef``); Polar stores
    ``Refs.format`` of it, but a ref kept in that form names the same parent."""
    card = _card(dict(POLAR_CARD, ref={"type": "text-highlight", "value": "1hl"}))
    assert (card.ref_type, card.ref_id) == ("text-highlight", "1hl")
    half = _card(dict(POLAR_CARD, ref={"type": "text-highlight"}))  # no value: the card's page
    assert (half.ref_type, half.ref_id) == ("page", "2")


@pytest.mark.parametrize("meta", [{"docInfo": {"fingerprint": "fp"}},
                                  {"docInfo": {"fingerprint": "fp"}, "pageMetas": None}])
def test_a_docmeta_without_pagemetas_is_not_one(meta: Dict[str, Any]) -> None:
    """Polar writes pageMetas in every DocMeta (polar-shared DocMetas.create,
    SparseDocMetas.toSparse's {}; DocMeta.validate asserts it): without it the
    file is damaged, not a document with no cards."""
    from addon.polar.docmeta import DocMetaError

    with pytest.raises(DocMetaError, match="pageMetas is missing or null"):
        parse_docmeta(meta)
    assert parse_docmeta({"docInfo": {"fingerprint": "fp"}, "pageMetas": {}}).flashcards == ()  # empty, as Polar's


@pytest.mark.parametrize("stamp, seconds", [
    ("2021-03-01T09:00:01.500Z", 1614589201.5),  # Polar's toISOString
    ("2021-03-01T09:00:01.5Z", 1614589201.5),  # 3.9's fromisoformat refused these three
    ("2021-03-01T09:00:01.123456789Z", 1614589201.123456789),
    ("2021-03-01T10:00:01+0100", 1614589201.0),
    ("2021-03-01T09:00:01", 1614589201.0),  # no zone: UTC, as Polar means it
    ("2021-03-01", None), ("yesterday", None), ("", None),
])
def test_a_time_reads_alike_on_every_python_anki_runs(stamp, seconds):
    """Python 3.9 (Anki up to 25.02) and 3.11+ read ISO times differently
    through ``datetime.fromisoformat``: a block's time and the old sync's
    pairing read them through one reader, so both Ankis decide alike."""
    from addon.polar.blocks import _seconds
    from addon.polar.docmeta import iso_instant
    from addon.sync.plan import made_after

    assert iso_instant(stamp) == pytest.approx(seconds) if seconds else iso_instant(stamp) is None
    assert _seconds(stamp) == iso_instant(stamp)
    assert made_after(stamp, 1614589200000) is (seconds is not None)
    assert made_after(stamp, 1614589202000) is False
