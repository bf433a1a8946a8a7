"""The record of the notes the syncs set aside (``plan.SET_ASIDE_KEY``,
collection config that AnkiWeb carries whole whenever it changes): it holds
what another computer may still need (the notes set aside and still in the
collection, tagged or taken back by the user), not every note ever set
aside. Real Anki collections."""

from __future__ import annotations

import json
from typing import Any

from addon.sync.plan import ORPHAN_TAG, SET_ASIDE_KEY
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run

BOOK = 3000


def _book(root: Any) -> Doc:
    doc = Doc(root, "1SetAsideBook00000000000", "A book read years ago")
    for i in range(BOOK):
        doc.card(f"1SetAsideB{i:05d}", basic(f"<p>Old question {i}?</p>", f"<p>Old answer {i}</p>"))
    doc.write()
    return doc


def test_the_record_of_notes_set_aside_drops_the_notes_the_user_deleted(col, tmp_path, state_path):
    """Years of use: a 3,000-card book deleted in Polar (3,000 notes set
    aside), the user deletes most of them in Anki (Browse, tag
    polar::deleted), later another card goes. The record held all 3,000 ids
    (~40 KB sent to AnkiWeb at each change, for ever); now only the notes
    still in the collection, the ones the user kept and took back too."""
    root = tmp_path / "polar"
    book = _book(root)
    small = Doc(root, "1SetAsideSmall0000000000", "A short note")
    for i in range(3):
        small.card(f"1SetAsideS{i}", basic(f"<p>Question {i}?</p>", f"<p>Answer {i}</p>"))
    small.write()
    run(col, root, state_path)
    for i in range(BOOK):
        book.delete_card(f"1SetAsideB{i:05d}")
    book.write()
    assert run(col, root, state_path).orphaned == BOOK
    assert len(col.get_config(SET_ASIDE_KEY)) == BOOK
    kept = sorted(col.find_notes(f"tag:{ORPHAN_TAG}"))
    assert len(kept) == BOOK
    col.remove_notes(kept[100:])  # the user's clean-up: 2,900 gone
    taken_back = col.get_note(kept[0])
    taken_back.remove_tag(ORPHAN_TAG)  # one the user keeps as their own
    col.update_note(taken_back)
    small.delete_card("1SetAsideS1")
    small.write()
    assert run(col, root, state_path).orphaned == 1
    record = col.get_config(SET_ASIDE_KEY)
    gone = note_of(col, "1SetAsideS1").id
    assert sorted(record) == sorted(kept[:100] + [gone]), len(record)
    assert len(json.dumps(record)) < 2 * 1024
    # Nothing of the user's lost: the kept notes are as they were.
    assert len(col.find_notes(f"tag:{ORPHAN_TAG}")) == 100
    assert not col.get_note(kept[0]).has_tag(ORPHAN_TAG)


def test_a_note_taken_back_whose_card_comes_back_leaves_the_record(col, tmp_path, state_path):
    """A note the user took back (tag removed) whose card then came back in
    Polar is Polar's again: its id stayed in the record for ever, and when
    the card was deleted in Polar again the sync took the note for one the
    user had taken back and left it live. Now it leaves the record when its
    card is back, and a later deletion sets it aside as any other."""
    root = tmp_path / "polar"
    doc = Doc(root, "1SetAsideBack00000000000", "Back and gone again")
    for i in range(3):
        doc.card(f"1SetAsideK{i}", basic(f"<p>Question {i}?</p>", f"<p>Answer {i}</p>"))
    doc.write()
    run(col, root, state_path)
    doc.delete_card("1SetAsideK1")
    doc.write()
    assert run(col, root, state_path).orphaned == 1
    note = note_of(col, "1SetAsideK1")
    note.remove_tag(ORPHAN_TAG)
    col.update_note(note)
    col.sched.unsuspend_cards([c.id for c in note.cards()])
    assert col.get_config(SET_ASIDE_KEY) == [note.id]
    doc.card("1SetAsideK1", basic("<p>Question 1?</p>", "<p>Answer 1, back</p>"))
    doc.write()
    assert run(col, root, state_path).updated == 1
    assert col.get_config(SET_ASIDE_KEY) == []
    doc.delete_card("1SetAsideK1")
    doc.write()
    assert run(col, root, state_path).orphaned == 1
    assert note_of(col, "1SetAsideK1").has_tag(ORPHAN_TAG)
    assert col.get_config(SET_ASIDE_KEY) == [note.id]
