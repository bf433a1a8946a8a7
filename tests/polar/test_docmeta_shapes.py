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
