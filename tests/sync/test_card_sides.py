"""The card a person studies, as Anki renders it (card.question() /
card.answer()): the context (title, highlight, image, comments) is on every
answer and on no question, for every kind, every card ordinal, with the stock
note types (English), the own types, and a German profile."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any, List

import pytest

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic, cloze

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
TITLE, HIGHLIGHT, COMMENT = "Zebrafish Physiology", "marker of the highlighted passage", "marker of my comment"
CARDS = {
    "1Basic0001": ("BASIC_FRONT_BACK", basic("basic question", "basic answer")),
    "1Rev000001": ("BASIC_FRONT_BACK_AND_REVERSE", basic("reversed front", "reversed back")),
    "1Opt000001": ("BASIC_FRONT_BACK_OR_REVERSE", basic("optional front", "optional back")),
    "1Cloze0001": ("CLOZE", cloze("{{c1::cloze one}} and {{c2::cloze two}}")),
}


def write_library(root: Path) -> None:
    doc = Doc(root, "1SidesDoc000000000000000", TITLE)
    doc.text_highlight("1HlSides01", HIGHLIGHT, page=2)
    doc.comment("1CmSides01", f"<p>{COMMENT}</p>", "text-highlight:1HlSides01", page=2)
    for cid, (ctype, fields) in CARDS.items():
        doc.card(cid, fields, ctype, ref="text-highlight:1HlSides01", page=2)
    doc.area_highlight("1AreaSides", "1AreaSidesImg.png", page=3)
    doc.card("1ClozeImg1", cloze("an {{c1::area}} card"), "CLOZE", ref="area-highlight:1AreaSides", page=3)
    doc.write()
    (root / "files" / "image").mkdir(parents=True)
    (root / "files" / "image" / "1AreaSidesImg.png").write_bytes(PNG_1PX)


def notes(col: Any) -> List[Any]:
    return [col.get_note(nid) for nid in col.find_notes("")]


def synced(col: Any, tmp_path: Path, **config: Any) -> List[Any]:
    library = tmp_path / "polar"
    write_library(library)
    settings, warnings = Settings.from_dict(config)
    assert not warnings
    report = sync(col, settings, tmp_path / "state.sqlite", source_path=library)
    assert report.errors == [] and report.created == 5
    # The user switches on the optional reverse: card 2 must not leak either.
    opt = next(n for n in notes(col) if n.guid == guid_for("1Opt000001"))
    opt[opt.keys()[2]] = "y"
    col.update_note(opt)
    return notes(col)


_STYLE = re.compile(r"<style>.*?</style>", re.S)


def shown(html: str) -> str:
    """What the card shows: Anki puts the note type's CSS in front."""
    return _STYLE.sub("", html)


def check_sides(all_notes: List[Any]) -> int:
    """Every card: no context on the question, all of it on the answer."""
    cards = 0
    for note in all_notes:
        image = note.guid == guid_for("1ClozeImg1")
        for card in note.cards():
            question, answer = shown(card.question()), shown(card.answer())
            where = f"{note.note_type()['name']} card {card.ord + 1}"
            for marker in ("polar-context", TITLE, "p.&nbsp;2", "p.&nbsp;3", HIGHLIGHT, COMMENT, "<img"):
                assert marker not in question, f"{marker!r} on the question of {where}"
            assert "polar-context" in answer and TITLE in answer, where
            if image:
                assert "<img" in answer and "p.&nbsp;3" in answer, where
            else:
                assert HIGHLIGHT in answer and COMMENT in answer and "p.&nbsp;2" in answer, where
            cards += 1
    return cards


# basic 1 + reversed 2 + optional reversed 2 (switched on) + cloze 2 + area cloze 1
EXPECTED_CARDS = 8


def test_stock_english_profile(col, tmp_path) -> None:
    all_notes = synced(col, tmp_path)
    types = {n.guid: n.note_type()["name"] for n in all_notes}
    assert types[guid_for("1Basic0001")] == "Basic" and types[guid_for("1Cloze0001")] == "Cloze"
    assert types[guid_for("1Rev000001")] == "Polar Basic (and reversed card)"
    assert check_sides(all_notes) == EXPECTED_CARDS


def test_own_types(col, tmp_path) -> None:
    all_notes = synced(col, tmp_path, use_stock_note_types=False)
    assert all(n.note_type()["name"].startswith("Polar ") for n in all_notes)
    assert check_sides(all_notes) == EXPECTED_CARDS


def test_german_profile(col_de, tmp_path) -> None:
    all_notes = synced(col_de, tmp_path)
    assert all(n.note_type()["name"].startswith("Polar ") for n in all_notes)
    assert check_sides(all_notes) == EXPECTED_CARDS


@pytest.mark.parametrize("stock", [True, False])
def test_context_off_leaves_no_block(col, tmp_path, stock: bool) -> None:
    for note in synced(col, tmp_path, context=False, use_stock_note_types=stock):
        for card in note.cards():
            assert "polar-context" not in shown(card.question()) + shown(card.answer())


# -- Change Note Type: the next sync lays the note out for its new type -------

MY_TWO_WAY = "My two-way"  # a user's own type whose card 2 shows Back on its question


def change_note_type(col: Any, nid: int, to: str) -> None:
    """Anki's Change Note Type (Browser ▸ Notes ▸ Change Note Type)."""
    note = col.get_note(nid)
    info = col.models.change_notetype_info(old_notetype_id=note.mid, new_notetype_id=col.models.by_name(to)["id"])
    request = info.input
    request.note_ids.extend([nid])
    col.models.change_notetype_of_notes(request)


def add_my_two_way(col: Any) -> None:
    model = col.models.new(MY_TWO_WAY)
    for name in ("Word", "Back"):
        col.models.add_field(model, col.models.new_field(name))
    for name, qfmt, afmt in (("Forward", "{{Word}}", "{{FrontSide}}<hr id=answer>{{Back}}"),
                             ("Backward", "<div class=q>{{Back}}</div>", "{{FrontSide}}<hr id=answer>{{Word}}")):
        tmpl = col.models.new_template(name)
        tmpl["qfmt"], tmpl["afmt"] = qfmt, afmt
        col.models.add_template(model, tmpl)
    col.models.add(model)


def resync(col: Any, tmp_path: Path) -> Any:
    report = sync(col, Settings(), tmp_path / "state.sqlite", source_path=tmp_path / "polar")
    assert report.errors == [] and report.conflicts == [], report.to_dict()
    return report


def note_by_card(col: Any, card_id: str) -> Any:
    return next(n for n in notes(col) if n.guid == guid_for(card_id))


@pytest.mark.parametrize("to", ["Basic (and reversed card)", "Basic (optional reversed card)",
                                "Basic (type in the answer)", MY_TWO_WAY])
def test_a_note_changed_to_a_type_that_asks_its_back_loses_the_block_at_the_next_sync(col, tmp_path, to) -> None:
    """Browser ▸ Change Note Type of a stock Basic note to a type whose
    question shows Back: the block must not wait for the document to change
    in Polar to leave Back (card 2 showed the title, highlight and comment on
    its question). The user's answer edit stays; the sync after is quiet."""
    synced(col, tmp_path)
    if to == MY_TWO_WAY:
        add_my_two_way(col)
    note = note_by_card(col, "1Basic0001")
    note["Back"] = note["Back"].replace("basic answer", "basic answer, as I put it")
    col.update_note(note)
    assert resync(col, tmp_path).updated == 0
    change_note_type(col, note.id, to)
    note = col.get_note(note.id)
    if to == "Basic (optional reversed card)":
        note["Add Reverse"] = "y"
        col.update_note(note)
    back = note.keys()[1]
    assert "polar-context" in note[back]  # as Change Note Type left it

    report = resync(col, tmp_path)
    assert (report.updated, report.created, report.orphaned) == (1, 0, 0), report.to_dict()
    note = col.get_note(note.id)
    assert note[back] == "basic answer, as I put it"
    assert note.note_type()["name"] == to and len(note.cards()) == (1 if "type in" in to else 2)
    for card in note.cards():
        assert "polar-context" not in shown(card.question()) and TITLE not in shown(card.question())
    again = resync(col, tmp_path)
    assert (again.updated, again.parsed) == (0, 0), again.to_dict()


def test_a_note_changed_to_a_type_with_room_for_the_block_gets_it(col, tmp_path) -> None:
    """The other way: a reversed card's note (own type, context in fields of
    its own) moved to stock Basic, and a note moved to a stock reversed type
    and back: each gets the block a fresh sync into Basic gives, on its
    answer only."""
    synced(col, tmp_path)
    rev = note_by_card(col, "1Rev000001")
    change_note_type(col, rev.id, "Basic")
    basic = note_by_card(col, "1Basic0001")
    change_note_type(col, basic.id, "Basic (and reversed card)")
    assert resync(col, tmp_path).updated == 2  # rev gets its block, basic loses it
    assert "polar-context" not in col.get_note(basic.id)["Back"]
    change_note_type(col, basic.id, "Basic")

    report = resync(col, tmp_path)
    assert report.updated == 1, report.to_dict()
    for nid, answer in ((rev.id, "reversed back"), (basic.id, "basic answer")):
        note = col.get_note(nid)
        assert note.note_type()["name"] == "Basic"
        assert note["Back"].startswith(answer + '<div class="polar-context"')
        card, = note.cards()
        assert TITLE in shown(card.answer()) and HIGHLIGHT in shown(card.answer())
        assert "polar-context" not in shown(card.question())
    assert resync(col, tmp_path).updated == 0


def test_a_schema_change_that_moves_no_note_reads_nothing_again(col, tmp_path) -> None:
    """Noticing a changed note type costs nothing on a sync after no schema
    change, and a schema change that leaves every note laid out as it is (a
    field added to Basic) reads no document again."""
    synced(col, tmp_path)
    model = col.models.by_name("Basic")
    col.models.add_field(model, col.models.new_field("My notes"))
    col.models.update_dict(model)
    report = resync(col, tmp_path)
    assert (report.updated, report.parsed) == (0, 0), report.to_dict()


def test_a_partial_sync_leaves_a_changed_note_type_of_another_document_for_the_next(col, tmp_path) -> None:
    """A sync of some documents only (the watcher's) does not forget that a
    note of another document changed its type."""
    synced(col, tmp_path)
    other = Doc(tmp_path / "polar", "1OtherDoc00000000000000", "Another book")
    other.card("1OtherCard", basic("other question", "other answer"), "BASIC_FRONT_BACK")
    other.write()
    assert resync(col, tmp_path).created == 1
    note = note_by_card(col, "1Basic0001")
    change_note_type(col, note.id, "Basic (and reversed card)")
    report = sync(col, Settings(), tmp_path / "state.sqlite", source_path=tmp_path / "polar",
                  only=["1OtherDoc00000000000000"])
    assert report.updated == 0 and "polar-context" in col.get_note(note.id)["Back"]
    assert resync(col, tmp_path).updated == 1
    assert col.get_note(note.id)["Back"] == "basic answer"
