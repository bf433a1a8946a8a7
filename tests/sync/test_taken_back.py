"""A note the user took back after its Polar card was gone (the
``polar::deleted`` tag removed, its cards unsuspended) is theirs: the sync
never tags, suspends or deletes it again, whatever it reads later
(``plan.decide_deletions``). Real Anki collections."""

from __future__ import annotations

import sqlite3
from typing import Any

from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run

SUSPENDED = -1


def _library(root: Any) -> Doc:
    doc = Doc(root, "1TakenBackDoc0000000000a", "Taken back")
    for i in range(3):
        doc.card(f"1TakenC{i}", basic(f"<p>Question {i}?</p>", f"<p>Answer {i}</p>"))
    doc.write()
    return doc


def _take_back(col: Any, card_id: str) -> int:
    note = note_of(col, card_id)
    note.remove_tag(ORPHAN_TAG)
    col.update_note(note)
    col.sched.unsuspend_cards([c.id for c in note.cards()])
    return int(note.id)


def test_a_note_taken_back_stays_as_the_user_left_it(col, tmp_path, state_path):
    root = tmp_path / "polar"
    doc = _library(root)
    run(col, root, state_path)
    doc.delete_card("1TakenC1")
    doc.write()
    assert run(col, root, state_path).orphaned == 1
    nid = _take_back(col, "1TakenC1")
    # Its document read again (another card edited), then another policy.
    doc.card("1TakenC0", basic("<p>Question 0?</p>", "<p>Answer 0, edited</p>"))
    doc.write()
    report = run(col, root, state_path)
    assert (report.updated, report.orphaned) == (1, 0)
    note = col.get_note(nid)
    assert not note.has_tag(ORPHAN_TAG) and {c.queue for c in note.cards()} != {SUSPENDED}
    doc.card("1TakenC2", basic("<p>Question 2?</p>", "<p>Answer 2, edited</p>"))
    doc.write()
    report = run(col, root, state_path, deletion_policy="delete")
    assert (report.updated, report.deleted) == (1, 0)
    assert col.get_note(nid).id == nid
    # The card back in Polar: the note is Polar's again, updated in place.
    doc.card("1TakenC1", basic("<p>Question 1?</p>", "<p>Answer 1, back</p>"))
    doc.write()
    assert run(col, root, state_path).updated == 1
    assert note_of(col, "1TakenC1").id == nid


def test_an_orphan_still_tagged_follows_a_new_policy(col, tmp_path, state_path):
    """The user kept the tag: the note is still the policy's (from tag to
    suspend, its cards are suspended when its document is read again)."""
    root = tmp_path / "polar"
    doc = _library(root)
    run(col, root, state_path)
    doc.delete_card("1TakenC1")
    doc.write()
    run(col, root, state_path, deletion_policy="tag")
    nid = note_of(col, "1TakenC1").id
    assert {c.queue for c in col.get_note(nid).cards()} != {SUSPENDED}
    doc.card("1TakenC0", basic("<p>Question 0?</p>", "<p>Answer 0, edited</p>"))
    doc.write()
    run(col, root, state_path)
    assert {c.queue for c in col.get_note(nid).cards()} == {SUSPENDED}


def test_an_orphan_of_an_older_version_without_its_tag_is_handled_as_before(col, tmp_path, state_path):
    """No record that this sync tagged it (an older version's orphan, or
    ``keep``): the policy applies as it did before the records."""
    root = tmp_path / "polar"
    doc = _library(root)
    run(col, root, state_path)
    doc.delete_card("1TakenC1")
    doc.write()
    run(col, root, state_path)
    nid = _take_back(col, "1TakenC1")
    conn = sqlite3.connect(str(state_path))
    with conn:
        conn.execute("DELETE FROM suspended_by_sync")
    conn.close()
    doc.card("1TakenC0", basic("<p>Question 0?</p>", "<p>Answer 0, edited</p>"))
    doc.write()
    run(col, root, state_path)
    note = col.get_note(nid)
    assert note.has_tag(ORPHAN_TAG) and {c.queue for c in note.cards()} == {SUSPENDED}
