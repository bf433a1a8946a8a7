"""The commit of one sync (``apply.py``): what is written to Anki and to the
state file, each test made so that a hand mutation of one of its lines shows
(docs/dev-notes/reliability.md, branch ``leftplan``). Real collections."""

from __future__ import annotations

from typing import Any

from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run


def _decks_of(col: Any, card_id: str) -> set:
    return {col.decks.name(c.did) for c in note_of(col, card_id).cards()}


def test_a_deck_changed_while_the_document_could_not_be_read_is_followed_once_it_can(col, tmp_path, state_path):
    """A document re-tagged to another deck in Polar, its file unreadable at
    the sync that first met it (written half, a disk's error), readable at
    the next: its notes move to the new deck then. The failed read keeps the
    deck the notes are in (``remember``), so the change is still seen."""
    root = tmp_path / "polar"
    doc = Doc(root, "1DeckFail00000000000000a", "Deck fail", tags=["deck:Old"])
    doc.card("1CardDF001", basic("front", "back"))
    doc.write()
    run(col, root, state_path)
    assert _decks_of(col, "1CardDF001") == {"Old"}
    del doc.meta["docInfo"]["tags"]["deck:Old"]
    doc.tag("deck:New")
    doc.write()
    good = doc.path.read_text()
    doc.path.write_text(good[: len(good) // 2])
    report = run(col, root, state_path)
    assert [e["code"] for e in report.errors] == ["not_a_document"]
    assert _decks_of(col, "1CardDF001") == {"Old"}
    doc.path.write_text(good)
    report = run(col, root, state_path)
    assert (report.errors, report.moved) == ([], 1), report.to_dict()
    assert _decks_of(col, "1CardDF001") == {"New"}


def _two_documents(root: Any) -> tuple:
    a = Doc(root, "1ApplyA0000000000000000a", "Doc A", tags=["deck:A"])
    a.card("1CardAA001", basic("A1 front", "A1 back")).card("1CardAA002", basic("A2 front", "A2 back"))
    a.write()
    b = Doc(root, "1ApplyB0000000000000000b", "Doc B", tags=["deck:B"])
    b.card("1CardBB001", basic("B1 front", "B1 back"))
    b.write()
    return a, b


def _lose_state(state: Any) -> None:
    for path in state.parent.glob(state.name + "*"):
        path.unlink()


def test_notes_of_a_document_that_cannot_be_read_are_not_called_another_tools(col, tmp_path, state_path):
    """The sync state lost (a reinstalled add-on) and a document unreadable
    at the sync that rebuilds it: its notes are no document's this sync can
    see, but it may hold them. Not reported as notes of another tool, nor
    remembered so; once it can be read they are its own, as ever."""
    root = tmp_path / "polar"
    a, _ = _two_documents(root)
    assert run(col, root, state_path).created == 3
    _lose_state(state_path)
    good = a.path.read_text()
    a.path.write_text(good[: len(good) // 2])
    report = run(col, root, state_path)
    assert [e["code"] for e in report.errors] == ["not_a_document"]
    assert [w["code"] for w in report.warnings if w["code"] == "foreign_notes"] == []
    a.path.write_text(good)
    report = run(col, root, state_path)
    assert (report.errors, report.created, report.orphaned) == ([], 0, 0), report.to_dict()
    assert [w["code"] for w in report.warnings if w["code"] == "foreign_notes"] == []
    assert len(col.find_notes("")) == 3


def test_a_set_aside_note_deleted_by_the_person_is_made_again_when_its_card_comes_back(col, tmp_path, state_path):
    """A note the sync set aside (its card gone from Polar), then deleted by
    the person as the clutter it was, is no note "deleted in Anki" while its
    card is in Polar: when the card comes back it gets a note again, under
    "Leave them deleted" too, with no word of notes deleted in Anki."""
    from addon.sync.identity import guid_for

    root = tmp_path / "polar"
    a, _ = _two_documents(root)
    config = {"deleted_in_anki": "leave_deleted"}
    run(col, root, state_path, **config)
    num, raw = a.find_card("1CardAA002")
    a.delete_card("1CardAA002").write()
    assert run(col, root, state_path, **config).orphaned == 1
    col.remove_notes([note_of(col, "1CardAA002").id])
    a.page(num)["flashcards"]["1CardAA002"] = raw
    a.write()
    report = run(col, root, state_path, **config)
    assert report.created == 1 and not [w for w in report.warnings if w["code"].startswith("made_again")]
    assert [n for n in col.find_notes("") if col.get_note(n).guid == guid_for("1CardAA002")]


def test_a_skipped_documents_damaged_card_is_not_said_again_while_it_is_unchanged(col, tmp_path, state_path):
    """A document the person keeps out of the sync (its skip tag) with a
    card that cannot be read: said when the document is read, and not on
    every later sync while the file stays as it is (only a synced
    document's problems are remembered to say again, ``remember``)."""
    from addon.sync.read import SKIP_TAG

    root = tmp_path / "polar"
    a, _ = _two_documents(root)
    a.tag(SKIP_TAG)
    a.page(1)["flashcards"]["1CardAA002"] = ["damaged"]
    a.write()
    report = run(col, root, state_path)
    assert [(e["code"], e.get("card")) for e in report.errors] == [("card_problem", "1CardAA002")]
    assert report.created == 1  # Doc B's
    again = run(col, root, state_path)
    assert again.errors == [] and not again.changed


def test_cards_the_person_moved_stay_when_a_documents_first_read_after_a_lost_state_failed(col, tmp_path, state_path):
    """Cards the person moved to a deck of theirs, the sync state lost, and
    the document's first read after that failed (its file written half):
    the failed read remembers no deck, and the next read, which can read
    it, takes no deck as changed: the cards stay where the person put them."""
    root = tmp_path / "polar"
    a, _ = _two_documents(root)
    run(col, root, state_path)
    col.set_deck([c.id for c in note_of(col, "1CardAA001").cards()], col.decks.id("Mine"))
    _lose_state(state_path)
    good = a.path.read_text()
    a.path.write_text(good[: len(good) // 2])
    assert [e["code"] for e in run(col, root, state_path).errors] == ["not_a_document"]
    a.path.write_text(good)
    report = run(col, root, state_path)
    assert (report.errors, report.moved) == ([], 0), report.to_dict()
    assert _decks_of(col, "1CardAA001") == {"Mine"} and _decks_of(col, "1CardAA002") == {"A"}


def test_a_second_computers_copy_the_person_flagged_is_set_aside_not_removed(col, tmp_path, state_path):
    """A note of one Polar card made on two computers (AnkiWeb brings the
    other's): the copy kept is the older; the other, never studied and
    holding nothing else of the person's, goes as a spare copy, unless they
    flagged a card of it: then it is set aside as a duplicate, flag and all."""
    from addon.sync.identity import guid_for

    root = tmp_path / "polar"
    _two_documents(root)
    run(col, root, state_path)
    first = note_of(col, "1CardBB001")
    twin = col.new_note(first.note_type())
    twin.fields = list(first.fields)
    twin.tags = list(first.tags)
    twin.guid = guid_for("1CardBB001")
    col.add_note(twin, first.cards()[0].did)
    col.set_user_flag_for_cards(3, [c.id for c in twin.cards()])
    report = run(col, root, state_path)
    assert (report.duplicates, report.copies) == (1, 0), report.to_dict()
    assert col.get_note(twin.id).cards()[0].user_flag() == 3
