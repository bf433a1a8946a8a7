"""Polar's own AnkiConnect sync left on beside this add-on.

Users move here from Polar's "Sync flashcards to Anki" and many never turn it
off: AnkiConnect stays installed and Polar's sync keeps running. It finds a
card's note by ``findNotes "tag:polar_guid:<id>"`` (1.x; that tag is removed
from a note this add-on takes over) or by its own record of the cards it sent
(2.x), and AnkiConnect's ``addNote`` refuses only a note whose first field
another note of the type has. So a card edited in Polar, or a front edited in
Anki, is added again by Polar's sync beside the note this add-on keeps.
``tests.polar_anki_sync`` runs Polar's sync as its code sends it; these tests
run both syncs in turn on a real collection, with reviews in between.
"""

from __future__ import annotations

from typing import List

import pytest

from addon.sync.identity import guid_for
from addon.sync.plan import ORPHAN_TAG
from tests.polar_anki_sync import PolarAnkiSync, two_card_book
from tests.polar_factory import basic
from tests.sync.helpers import run
from tests.sync.test_legacy import answer_all, study_state


@pytest.fixture
def book(tmp_path):
    return two_card_book(tmp_path / "polar", "1DocBeside00000000000aa")


def live_notes(col) -> List[int]:
    """Notes with a card the user still meets (not suspended)."""
    return list(col.db.list("select distinct nid from cards where queue != -1 order by nid"))


def review(col, nid: int) -> None:
    """Study a note's cards once through the real scheduler."""
    for cid in col.card_ids_of_note(nid):
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 3)


def codes(report) -> List[str]:
    return [w.get("code", "") for w in report.to_dict()["warnings"]]


@pytest.mark.parametrize("version", ["1.x", "2.x"])
def test_a_card_edited_in_polar_added_again_by_polars_sync_is_set_aside(col, book, state_path, version):
    polar = PolarAnkiSync(col, version)
    assert len(polar.run(book.root).added) == 2
    first = run(col, book.root, state_path)
    assert first.adopted == 2
    studied = col.db.scalar("select id from notes where guid = ?", guid_for("1CardBesA01"))
    answer_all(col, col.find_notes(""))
    before = study_state(col, studied)
    # Edited in Polar (new id); Polar's sync runs before this add-on's.
    book.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
    book.write()
    added = polar.run(book.root).added
    assert len(added) == 1  # the cloze is refused as a duplicate; the edit is not
    copy = added[0]

    report = run(col, book.root, state_path)

    assert report.rekeyed == 1
    assert col.db.scalar("select id from notes where guid = ?", guid_for("1CardBesA02")) == studied
    rows, revlog = study_state(col, studied)
    assert revlog == before[1] and rows == before[0], "the studied note keeps its reviews and due date"
    assert len(live_notes(col)) == 2, "one note per card meets the user"
    note = col.get_note(copy)
    assert ORPHAN_TAG in note.tags and all(c.queue == -1 for c in note.cards())
    assert report.duplicates == 1 and "polar_sync_on" in codes(report)
    assert copy not in report.legacy_leftovers
    # Polar's sync and this add-on's again, twice: nothing grows.
    for _ in range(2):
        polar.run(book.root)
        again = run(col, book.root, state_path)
        assert not again.changed and again.duplicates == 0 and "polar_sync_on" not in codes(again)
    assert col.note_count() == 3 and len(live_notes(col)) == 2


@pytest.mark.parametrize("version", ["1.x", "2.x"])
def test_a_copy_the_user_studied_is_listed_and_left_alone(col, book, state_path, version):
    polar = PolarAnkiSync(col, version)
    polar.run(book.root)
    run(col, book.root, state_path)
    book.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
    book.write()
    copy = polar.run(book.root).added[0]
    review(col, copy)
    before = study_state(col, copy)
    assert before[1]
    fields, tags = list(col.get_note(copy).fields), list(col.get_note(copy).tags)

    report = run(col, book.root, state_path)

    assert report.legacy_leftovers == [copy] and report.duplicates == 0
    assert "polar_sync_on" in codes(report)
    note = col.get_note(copy)
    assert note.fields == fields and note.tags == tags and study_state(col, copy) == before
    # Listed again on the next sync, as any note to look at; Polar's sync is said once.
    again = run(col, book.root, state_path)
    assert again.legacy_leftovers == [copy] and "polar_sync_on" not in codes(again)


def test_this_add_on_first_then_polars_sync_adds_nothing_or_a_copy_set_aside(col, book, state_path):
    report = run(col, book.root, state_path)
    assert report.created == 2
    answer_all(col, col.find_notes(""))
    polar = PolarAnkiSync(col, "1.x")
    first = polar.run(book.root)
    # AnkiConnect refuses both: the add-on's notes are in Basic/Cloze with Polar's fronts.
    assert first.added == [] and len(first.refused) == 2
    # The user fixes a typo in the front in Anki: Polar's sync adds the card again.
    mine = col.get_note(col.db.scalar("select id from notes where guid = ?", guid_for("1CardBesA01")))
    mine["Front"] = "What is a process? (OS)"
    col.update_note(mine)
    copy = polar.run(book.root).added
    assert len(copy) == 1

    report = run(col, book.root, state_path)

    assert report.duplicates == 1 and "polar_sync_on" in codes(report)
    assert all(c.queue == -1 for c in col.get_note(copy[0]).cards())
    assert col.get_note(mine.id)["Front"] == "What is a process? (OS)"
    assert len(live_notes(col)) == 2
    polar.run(book.root)  # it finds its note by the polar_guid tag now
    assert col.note_count() == 3


@pytest.mark.parametrize("policy,left", [("keep", 2), ("delete", 2)])
def test_the_copy_follows_the_deletion_setting(col, book, state_path, policy, left):
    polar = PolarAnkiSync(col, "2.x")
    polar.run(book.root)
    config = {"deletion_policy": policy, "delete_max_share": 1.0}
    run(col, book.root, state_path, **config)
    book.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
    book.write()
    copy = polar.run(book.root).added[0]

    report = run(col, book.root, state_path, **config)

    assert "polar_sync_on" in codes(report)
    # The headline says what the setting did to the copy, once.
    said = {"delete": "1 duplicate note deleted", "keep": "1 duplicate note left as it is"}[policy]
    assert said in report.counts_words() and "1 note deleted" not in report.counts_words()
    if policy == "delete":
        assert col.note_count() == 2 and report.deleted == 1
    else:  # kept as it is, told once, never again
        assert col.note_count() == 3 and not any(c.queue == -1 for c in col.get_note(copy).cards())
        again = run(col, book.root, state_path, **config)
        assert "polar_sync_on" not in codes(again) and again.legacy_leftovers == []
    assert len(live_notes(col)) == left + (policy == "keep")


@pytest.mark.parametrize("version", ["1.x", "2.x"])
def test_polars_sync_run_first_on_notes_of_the_add_ons_own_types_adds_copies_set_aside(col, book, state_path, version):
    """The add-on's own "Polar Basic"/"Polar Cloze" (the setting, a reversed
    card, a profile whose Basic is not stock): AnkiConnect's duplicate check
    looks in Basic and Cloze only, so Polar's sync adds every card again."""
    report = run(col, book.root, state_path, use_stock_note_types=False)
    assert report.created == 2
    ours = sorted(col.find_notes(""))
    answer_all(col, ours)
    before = {nid: study_state(col, nid) for nid in ours}
    polar = PolarAnkiSync(col, version)
    copies = polar.run(book.root).added
    assert len(copies) == 2

    report = run(col, book.root, state_path, use_stock_note_types=False)

    assert report.duplicates == 2 and "polar_sync_on" in codes(report) and report.legacy_leftovers == []
    assert live_notes(col) == ours
    assert {nid: study_state(col, nid) for nid in ours} == before
    polar.run(book.root)
    again = run(col, book.root, state_path, use_stock_note_types=False)
    assert col.note_count() == 4 and live_notes(col) == ours and not again.changed


def test_polar_2x_adds_a_card_again_after_its_front_was_edited_in_anki_and_it_is_set_aside(col, book, state_path):
    run(col, book.root, state_path)
    answer_all(col, col.find_notes(""))
    polar = PolarAnkiSync(col, "2.x")
    assert polar.run(book.root).added == []  # refused as duplicates: 2.x records nothing, tries again each time
    mine = col.get_note(col.db.scalar("select id from notes where guid = ?", guid_for("1CardBesA01")))
    before = study_state(col, mine.id)
    mine["Front"] = "What is a process? (OS)"
    col.update_note(mine)
    copy = polar.run(book.root).added
    assert len(copy) == 1

    report = run(col, book.root, state_path)

    assert report.duplicates == 1 and "polar_sync_on" in codes(report) and report.legacy_leftovers == []
    assert all(c.queue == -1 for c in col.get_note(copy[0]).cards())
    assert col.get_note(mine.id)["Front"] == "What is a process? (OS)" and study_state(col, mine.id) == before


def test_two_old_notes_of_one_card_from_before_are_a_duplicate_and_polars_sync_is_not_said_on(col, book, state_path):
    """Polar 1.x on two computers before AnkiWeb merged them: two old notes
    tagged with one card's id. One is taken over; the other was left live
    and unsaid (the user met the question twice): now set aside as a
    duplicate, and the report does not claim Polar's sync is still on."""
    from tests.sync.test_legacy import old_sync_note

    first = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardBesA01")
    second = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardBesA01")
    answer_all(col, [first])
    report = run(col, book.root, state_path)

    assert col.db.scalar("select id from notes where guid = ?", guid_for("1CardBesA01")) == first
    assert report.duplicates == 1 and "polar_sync_on" not in codes(report)
    assert all(c.queue == -1 for c in col.get_note(second).cards())
    assert first in live_notes(col)


def test_a_copy_polars_sync_adds_while_this_add_on_writes_is_found_by_the_next_sync(col, book, state_path):
    """Start Anki Sync pressed while the watcher's sync writes (AnkiConnect
    answers on Anki's main thread meanwhile): the copy came after this sync
    looked, and the next one skipped the look (the note count it kept
    counted the copy as seen), so it stayed live and unsaid for good."""
    from addon.settings import Settings
    from addon.sync.engine import sync

    polar = PolarAnkiSync(col, "1.x")
    polar.run(book.root)
    run(col, book.root, state_path)
    answer_all(col, col.find_notes(""))
    book.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
    book.write()
    added: List[int] = []

    def progress(message: str) -> None:
        if message.startswith("Updating") and not added:
            added.extend(polar.run(book.root).added)  # before the note's new front is written

    settings, _ = Settings.from_dict({})
    sync(col, settings, state_path, source_path=book.root, progress=progress)
    assert len(added) == 1

    report = run(col, book.root, state_path)

    assert report.duplicates == 1 and "polar_sync_on" in codes(report)
    assert all(c.queue == -1 for c in col.get_note(added[0]).cards())


@pytest.mark.parametrize("policy, said", [("suspend", "suspended and tagged polar::deleted"),
                                          ("tag", "tagged polar::deleted"), ("keep", "left as they are")])
def test_the_row_says_what_became_of_a_copy_never_studied(col, book, state_path, policy, said):
    """"set aside as duplicates" said nothing a user could find: the row
    names what the deletion policy did to the copy, and carries the policy
    (``removed_as``) for the report window's words."""
    polar = PolarAnkiSync(col, "1.x")
    polar.run(book.root)
    run(col, book.root, state_path, deletion_policy=policy)
    book.edit_card("1CardBesA01", "1CardBesA02", basic("What is a process in an OS?", "A program in execution"))
    book.write()
    copy = polar.run(book.root).added[0]

    report = run(col, book.root, state_path, deletion_policy=policy)

    row = next(w for w in report.to_dict()["warnings"] if w.get("code") == "polar_sync_on")
    assert row["removed_as"] == policy
    assert f"(1 never studied, {said} as deletion_policy says; 0 studied" in row["message"], row["message"]
    assert "set aside" not in row["message"]
    note = col.get_note(copy)
    assert (ORPHAN_TAG in note.tags) == (policy != "keep")
    assert all(c.queue == -1 for c in note.cards()) == (policy == "suspend")
