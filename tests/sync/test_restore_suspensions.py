"""A restored note gets back only the cards the sync suspended when it
orphaned the note: a card the user had suspended in Anki stays suspended
(``plan.resolve_suspensions``, the state's ``suspended_by_sync``). Real
Anki collections; every way a note is restored (its document back, its card
back in the document; a card made later on its highlight is another's), an orphan of an
older version (no record: every suspended card comes back, as before), a
filtered deck, and the other deletion policies."""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.sync.plan import ORPHAN_TAG
from addon.sync.state import SuspendRecord, SyncState
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import fsrs_on, note_of, run

SUSPENDED = -1
SAMPLE_DOC = "1SpacedRepetitionIntro0a"


def queues(col: Any, card_id: str) -> Dict[int, int]:
    """card ord -> queue, of the note of a Polar card."""
    return {c.ord: c.queue for c in col.get_note(note_of(col, card_id).id).cards()}


def card_ids(col: Any, card_id: str) -> Dict[int, int]:
    """card ord -> Anki card id, of the note of a Polar card."""
    return {c.ord: c.id for c in note_of(col, card_id).cards()}


def records(state: Path) -> Dict[int, str]:
    """note id -> its recorded card ids as a JSON list (the time stamp left out)."""
    conn = sqlite3.connect(str(state))
    try:
        return {int(nid): json.dumps([c for c in json.loads(cids) if isinstance(c, int)])
                for nid, cids in conn.execute("SELECT nid, cids FROM suspended_by_sync")}
    finally:
        conn.close()


def assert_quiet(col: Any, lib: Path, state: Path, **config: Any) -> None:
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    again = run(col, lib, state, **config)
    assert not again.changed, again.to_dict()
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods


def test_a_returning_document_keeps_the_cards_the_user_suspended(col, library, state_path, tmp_path):
    """The reported case, on the sample library: a basic note and one card
    of a two-card cloze suspended by the user, their document moved out of
    the library (orphaned) and back (restored)."""
    assert run(col, library, state_path).created == 6
    cloze_cards = card_ids(col, "1FcE4f5G6h")
    assert len(cloze_cards) == 2
    col.sched.suspend_cards([card_ids(col, "1FcJ7k8L9m")[0], cloze_cards[0]])
    restored_notes = [note_of(col, c).id for c in ("1FcA1b2C3d", "1FcJ7k8L9m", "1FcE4f5G6h")]

    shutil.move(str(library / SAMPLE_DOC), str(tmp_path / "aside"))
    report = run(col, library, state_path)
    assert report.orphaned == 3
    assert queues(col, "1FcJ7k8L9m") == {0: SUSPENDED} and queues(col, "1FcE4f5G6h") == {0: SUSPENDED, 1: SUSPENDED}
    assert ORPHAN_TAG in note_of(col, "1FcE4f5G6h").tags
    # The sync remembers what it suspended itself: not the user's two cards.
    assert records(state_path) == {
        restored_notes[0]: f"[{card_ids(col, '1FcA1b2C3d')[0]}]",
        restored_notes[1]: "[]",
        restored_notes[2]: f"[{cloze_cards[1]}]",
    }

    shutil.move(str(tmp_path / "aside"), str(library / SAMPLE_DOC))
    report = run(col, library, state_path)
    assert report.restored == 3 and report.created == 0
    assert queues(col, "1FcA1b2C3d") == {0: 0}  # the sync's own suspension undone
    assert queues(col, "1FcJ7k8L9m") == {0: SUSPENDED}  # the user's kept
    assert queues(col, "1FcE4f5G6h") == {0: SUSPENDED, 1: 0}
    assert all(ORPHAN_TAG not in col.get_note(n).tags for n in restored_notes)
    assert records(state_path) == {}  # cleared with the restore
    assert_quiet(col, library, state_path)


@pytest.fixture
def doc(tmp_path):
    d = Doc(tmp_path / "lib", "1SuspDoc00000000000000aa", "Suspensions", tags=["deck:Susp"])
    d.text_highlight("1HlS000001", "a highlight")
    d.card("1ClozeS001", cloze("{{c1::one}} {{c2::two}} {{c3::three}}"), "CLOZE", ref="text-highlight:1HlS000001")
    d.card("1BasicS001", basic("front", "back"))
    d.write()
    return d


def test_a_cloze_card_back_in_its_document_unsuspends_only_the_syncs_cards(col, doc, state_path):
    """The same card id back in its document (undo in Polar): of a cloze
    whose second card the user suspended, the first and third come back."""
    lib = doc.root
    run(col, lib, state_path)
    cids = card_ids(col, "1ClozeS001")
    assert sorted(cids) == [0, 1, 2]
    col.sched.suspend_cards([cids[1]])
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    assert run(col, lib, state_path).orphaned == 1
    assert set(queues(col, "1ClozeS001").values()) == {SUSPENDED}
    assert_quiet(col, lib, state_path)

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1 and report.created == 0
    assert queues(col, "1ClozeS001") == {0: 0, 1: SUSPENDED, 2: 0}
    assert records(state_path) == {}
    assert_quiet(col, lib, state_path)


def test_a_card_made_on_an_orphans_highlight_later_leaves_the_orphan_as_it_is(col, doc, state_path):
    """A card deleted (the sync orphans it), then a card on the same
    highlight and of the same type made in Polar: a new card, not an edit
    (Polar's edit deletes and creates in one save), so a note of its own;
    the orphan keeps its text, tag and suspensions, and comes back with the
    user's suspension when its card does (Undo in Polar). (This test
    expected the orphan re-keyed to the new card, until 'studied2'.)"""
    lib = doc.root
    run(col, lib, state_path)
    nid = note_of(col, "1ClozeS001").id
    text = col.get_note(nid).fields[0]
    cids = card_ids(col, "1ClozeS001")
    col.sched.suspend_cards([cids[2]])
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    assert run(col, lib, state_path).orphaned == 1

    doc.card("1ClozeS002", cloze("{{c1::one}} {{c2::two}} {{c3::three!}}"), "CLOZE", ref="text-highlight:1HlS000001")
    doc.write()
    report = run(col, lib, state_path)
    assert (report.rekeyed, report.restored, report.created) == (0, 0, 1)
    assert note_of(col, "1ClozeS002").id != nid
    assert col.get_note(nid).fields[0] == text and ORPHAN_TAG in col.get_note(nid).tags
    assert set(queues(col, "1ClozeS001").values()) == {SUSPENDED}
    assert_quiet(col, lib, state_path)

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert (report.restored, report.created) == (1, 0)
    assert note_of(col, "1ClozeS001").id == nid
    assert queues(col, "1ClozeS001") == {0: 0, 1: 0, 2: SUSPENDED}
    assert records(state_path) == {}
    assert_quiet(col, lib, state_path)


def test_an_orphan_of_an_older_version_gets_every_suspended_card_back(col, doc, state_path):
    """No record (the note was orphaned by a version before the table, or
    the file of one that never had it): the restore unsuspends every
    suspended card, the user's too, as those versions did."""
    lib = doc.root
    run(col, lib, state_path)
    col.sched.suspend_cards([card_ids(col, "1ClozeS001")[1]])
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    run(col, lib, state_path)
    conn = sqlite3.connect(str(state_path))
    with conn:
        conn.execute("DROP TABLE suspended_by_sync")  # a state file as an older version leaves it
    conn.close()

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1 and report.errors == [] and report.warnings == []
    assert queues(col, "1ClozeS001") == {0: 0, 1: 0, 2: 0}
    assert records(state_path) == {}  # the table is back, empty
    assert_quiet(col, lib, state_path)


def test_a_card_the_user_unsuspends_on_an_orphan_and_the_sync_suspends_again_comes_back(col, doc, state_path):
    """The policy suspends an orphan's card again when its document is read
    (the user had unsuspended it): that card joins the record."""
    lib = doc.root
    run(col, lib, state_path)
    cids = card_ids(col, "1ClozeS001")
    col.sched.suspend_cards([cids[0]])
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    run(col, lib, state_path, deletion_policy="tag")  # tagged, nothing suspended: an empty record
    nid = note_of(col, "1ClozeS001").id
    assert records(state_path) == {nid: "[]"}
    doc.card("1BasicS002", basic("another", "card"), page=2).write()  # the document is read again
    report = run(col, lib, state_path)  # the default policy now: the orphan's other cards suspended
    assert report.created == 1 and set(queues(col, "1ClozeS001").values()) == {SUSPENDED}
    assert records(state_path) == {nid: str(sorted([cids[1], cids[2]]))}

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    assert run(col, lib, state_path).restored == 1
    assert queues(col, "1ClozeS001") == {0: SUSPENDED, 1: 0, 2: 0}
    assert_quiet(col, lib, state_path)


def test_the_delete_policy_removes_the_notes_and_their_records(col, doc, state_path):
    lib = doc.root
    run(col, lib, state_path)
    doc.delete_card("1ClozeS001").write()
    run(col, lib, state_path)  # suspended and remembered first
    nid = note_of(col, "1ClozeS001").id
    assert list(records(state_path)) == [nid]

    doc.card("1BasicS002", basic("another", "card"), page=2).write()  # read again, with the delete policy
    report = run(col, lib, state_path, deletion_policy="delete", delete_max_share=0.9)
    assert list(col.find_notes(f"nid:{nid}")) == []  # (counted once, when it was orphaned)
    assert records(state_path) == {}
    doc.delete_card("1BasicS001").write()
    report = run(col, lib, state_path, deletion_policy="delete", delete_max_share=0.9)
    assert report.deleted == 1 and col.note_count() == 1
    assert records(state_path) == {}  # nothing suspended, nothing remembered
    assert_quiet(col, lib, state_path, deletion_policy="delete", delete_max_share=0.9)


def test_a_note_the_user_deleted_takes_its_record_along(col, doc, state_path):
    lib = doc.root
    run(col, lib, state_path)
    doc.delete_card("1BasicS001").write()
    run(col, lib, state_path)
    nid = note_of(col, "1BasicS001").id
    assert list(records(state_path)) == [nid]
    col.remove_notes([nid])
    doc.card("1BasicS002", basic("another", "card"), page=2).write()
    run(col, lib, state_path)  # the orphan's state row goes: its note is gone
    assert records(state_path) == {}


def test_a_restore_in_a_filtered_deck(col, doc, state_path):
    """Cards borrowed by a filtered deck: the one the user suspended stays
    suspended, the sync's come back, and all stay in the session."""
    lib = doc.root
    run(col, lib, state_path)
    did = col.decks.new_filtered("Session")
    deck = col.sched.get_or_create_filtered_deck(did)
    deck.config.search_terms[0].search = "deck:Susp"
    deck.config.search_terms[0].limit = 100
    col.sched.add_or_update_filtered_deck(deck)
    cids = card_ids(col, "1ClozeS001")
    assert {col.get_card(c).did for c in cids.values()} == {did}
    col.sched.suspend_cards([cids[0]])
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    run(col, lib, state_path)
    assert set(queues(col, "1ClozeS001").values()) == {SUSPENDED}

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    assert run(col, lib, state_path).restored == 1
    assert queues(col, "1ClozeS001") == {0: SUSPENDED, 1: 0, 2: 0}
    assert {col.get_card(c).did for c in cids.values()} == {did}
    assert col.fix_integrity()[1]
    assert_quiet(col, lib, state_path)


def test_a_sync_with_no_restore_never_reads_the_records(col, doc, state_path, monkeypatch):
    lib = doc.root
    run(col, lib, state_path)
    doc.delete_card("1BasicS001").write()
    run(col, lib, state_path)
    asked: List[List[int]] = []
    real = SyncState.suspension_records

    def spy(self: SyncState, nids: Any) -> Dict[int, SuspendRecord]:
        asked.append(list(nids))
        return real(self, nids)

    monkeypatch.setattr(SyncState, "suspension_records", spy)
    assert not run(col, lib, state_path).changed  # a no-op resync
    doc.card("1BasicS002", basic("another", "card"), page=2).write()
    assert run(col, lib, state_path).created == 1  # a document read again, its orphan already handled
    assert asked == []
    doc.card("1BasicS001", basic("front", "back")).write()
    assert run(col, lib, state_path).restored == 1
    assert asked == [[note_of(col, "1BasicS001").id]]


@pytest.mark.parametrize("new_name", ["reading::polar", "reading"])
def test_a_note_whose_deleted_tag_moved_with_its_renamed_parent_is_restored(col, doc, state_path, new_name):
    """The user renamed the tag ``polar`` to ``reading::polar`` (or to
    ``reading``) in the Browser, which takes ``polar::deleted`` along
    (``reading::polar::deleted``, ``reading::deleted``): the tag still says
    the sync orphaned the note, so when its card comes back the note is
    restored (the sync's suspension undone, the moved tag dropped), not left
    suspended for good as if the user had taken it over."""
    lib = doc.root
    run(col, lib, state_path)
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    col.tags.rename("polar", new_name)
    assert f"{new_name}::deleted" in note_of(col, "1BasicS001").tags
    again = run(col, lib, state_path)
    assert not again.changed  # still an orphan, not taken over: nothing to do
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1
    note = note_of(col, "1BasicS001")
    assert set(queues(col, "1BasicS001").values()) == {0}
    assert sorted(note.tags) == [new_name]
    assert_quiet(col, lib, state_path)


def test_a_restored_note_whose_text_is_as_it_was_is_restored_not_updated(col, doc, state_path):
    """A card back in Polar as it was: its note loses the sync's tag and
    suspension, which the report calls restored, and nothing more: Polar's
    tags did not change, so no update is counted or listed for it
    (``Update.retagged``)."""
    lib = doc.root
    run(col, lib, state_path)
    tags = sorted(note_of(col, "1BasicS001").tags)
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert (report.restored, report.updated) == (1, 0), report.to_dict()
    assert [c.kind for c in report.changes] == ["restored"]
    assert sorted(note_of(col, "1BasicS001").tags) == tags
    assert_quiet(col, lib, state_path)


def test_a_note_with_the_deleted_tag_both_as_put_and_moved_loses_both_on_restore(col, doc, state_path):
    """The tag the sync put, and a copy of it under a renamed parent
    (``reading::polar::deleted``: the user renamed ``polar`` on some notes
    and tagged others by hand): when the card comes back, neither stays,
    or the note would still show as deleted in Polar in the Browser."""
    lib = doc.root
    run(col, lib, state_path)
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    note = note_of(col, "1BasicS001")
    note.tags += ["reading::polar::deleted"]
    col.update_note(note)
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    assert run(col, lib, state_path).restored == 1
    tags = note_of(col, "1BasicS001").tags
    assert not [t for t in tags if t.lower().endswith(ORPHAN_TAG)], tags
    assert set(queues(col, "1BasicS001").values()) == {0}
    assert_quiet(col, lib, state_path)


@pytest.mark.parametrize("how", ["set due date", "forget"])
def test_a_card_the_person_rescheduled_and_suspended_again_stays_suspended(col, doc, state_path, how):
    """A set-aside note's card the person gave a due date or reset (the
    Browser's Set Due Date, Forget) while its Polar card was gone: Anki
    unsuspends a card it does either to, logging no study (a row of no
    ease). Suspended again by the person, the suspension is theirs: when the
    card comes back in Polar, the restore leaves it (it used to undo it, as
    the sync's own, since only study counted as the person's unsuspending)."""
    lib = doc.root
    run(col, lib, state_path)
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    assert set(queues(col, "1BasicS001").values()) == {SUSPENDED}
    cid = card_ids(col, "1BasicS001")[0]
    if how == "forget":
        col.sched.schedule_cards_as_new([cid], restore_position=True, reset_counts=False)
    else:
        col.sched.set_due_date([cid], "3")
    assert col.db.scalar("SELECT count() FROM revlog WHERE cid = ? AND ease = 0", cid) == 1
    assert set(queues(col, "1BasicS001").values()) != {SUSPENDED}  # (Anki unsuspended it)
    time.sleep(1.05)  # (the person's hands: a suspension a second later at least, touched.py)
    col.sched.suspend_cards([cid])
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    assert run(col, lib, state_path).restored == 1
    assert set(queues(col, "1BasicS001").values()) == {SUSPENDED}
    assert not note_of(col, "1BasicS001").has_tag(ORPHAN_TAG)


def test_a_users_own_deleted_tag_is_no_orphans_tag(col, doc, state_path):
    """A tag of the user's named ``…::deleted`` under a tag of theirs, on a
    note that still has ``polar``, says nothing of the sync: kept."""
    lib = doc.root
    run(col, lib, state_path)
    note = note_of(col, "1BasicS001")
    note.tags += ["drafts", "drafts::deleted"]
    col.update_note(note)
    doc.page(1)["flashcards"]["1BasicS001"]["fields"]["back"]["HTML"] = "back, edited"
    doc.write()
    report = run(col, lib, state_path)
    assert (report.updated, report.restored) == (1, 0)
    assert sorted(note_of(col, "1BasicS001").tags) == ["drafts", "drafts::deleted", "polar"]


def _lapse_into_a_leech(col: Any, cid: int) -> None:
    """Study a card until Anki's leech action suspends it (the deck's
    options set to "Suspend Card", a lapse at the threshold)."""
    conf = col.decks.config_dict_for_deck_id(col.get_card(cid).did)
    conf["lapse"]["leechAction"] = 0  # suspend
    col.decks.save(conf)
    card = col.get_card(cid)
    card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 10, col.sched.today, 10
    card.lapses = conf["lapse"]["leechFails"] - 1
    col.update_card(card)
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, 1)


@pytest.mark.parametrize("read_again", [False, True])
def test_a_card_studied_after_the_sync_suspended_it_stays_suspended_as_a_leech(col, doc, state_path, read_again):
    """The sync suspended an orphan's card; the user unsuspended it and
    studied on until Anki suspended it as a leech (tag ``leech``). When the
    card comes back in Polar the leech stays suspended: that suspension is
    Anki's, not the sync's. (``read_again``: the document was read once more
    in between, extending the record with the other card the user had
    unsuspended.) The card the user never studied comes back as ever."""
    lib = doc.root
    run(col, lib, state_path)
    cids = card_ids(col, "1ClozeS001")
    num, raw = doc.find_card("1ClozeS001")
    doc.delete_card("1ClozeS001").write()
    assert run(col, lib, state_path).orphaned == 1
    assert set(queues(col, "1ClozeS001").values()) == {SUSPENDED}

    col.sched.unsuspend_cards([cids[0]])
    _lapse_into_a_leech(col, cids[0])
    assert col.get_card(cids[0]).queue == SUSPENDED and "leech" in note_of(col, "1ClozeS001").tags
    if read_again:
        col.sched.unsuspend_cards([cids[1]])  # not studied: the sync suspends it again
        doc.card("1BasicS002", basic("another", "card"), page=2).write()
        run(col, lib, state_path)
        assert set(queues(col, "1ClozeS001").values()) == {SUSPENDED}

    doc.page(num)["flashcards"]["1ClozeS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1
    assert queues(col, "1ClozeS001") == {0: SUSPENDED, 1: 0, 2: 0}
    assert {"leech", "polar"} <= set(note_of(col, "1ClozeS001").tags)
    assert records(state_path) == {}
    assert_quiet(col, lib, state_path)


def test_a_card_studied_before_the_clock_was_set_back_comes_back_when_its_polar_card_does(
        col, doc, state_path, monkeypatch):
    """The record's time is the clock's when the sync suspended the cards,
    compared with the review log's ids (also times): studied with the clock
    right, then the clock set back a day (or the collection carried to a
    computer whose clock is behind), the card deleted in Polar. Its review
    looked newer than the sync's suspension, so the suspension was taken
    for the user's, and the card stayed suspended for good when it came
    back in Polar. The stamp is now never older than the newest review of
    the cards it records (reliability.md, round 5)."""
    import time

    lib = doc.root
    run(col, lib, state_path)
    cid = card_ids(col, "1BasicS001")[0]
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, 3)  # a review, its id the real time
    studied = queues(col, "1BasicS001")
    assert studied != {0: SUSPENDED}
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 86_400)  # the clock set back a day
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    assert queues(col, "1BasicS001") == {0: SUSPENDED}

    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1
    assert queues(col, "1BasicS001") == studied  # back where its study left it
    assert records(state_path) == {}


def _fsrs_reschedule(col: Any, cid: int, retention: float) -> None:
    """FSRS on for the card's preset and its cards rescheduled, as the deck
    options' Save does with "Reschedule cards on change"."""
    fsrs_on(col, col.get_card(cid).did, retention, reschedule=True)


def _studied_then_set_aside(col: Any, doc: Doc, state_path: Path) -> Any:
    """The basic card studied (FSRS has a memory to reschedule), then deleted
    in Polar: the sync suspends it. Returns the Polar card to put back."""
    lib = doc.root
    run(col, lib, state_path)
    cid = card_ids(col, "1BasicS001")[0]
    card = col.get_card(cid)
    card.start_timer()
    col.sched.answerCard(card, 4)
    assert col.get_card(cid).type == 2  # (a review card)
    num, raw = doc.find_card("1BasicS001")
    doc.delete_card("1BasicS001").write()
    assert run(col, lib, state_path).orphaned == 1
    assert queues(col, "1BasicS001") == {0: SUSPENDED}
    return num, raw


def test_a_set_aside_card_an_fsrs_reschedule_passed_over_comes_back_unsuspended(col, doc, state_path):
    """The person turns FSRS on with "Reschedule cards on change" while a
    card is set aside. Anki 23.10 reschedules the suspended card too and logs
    it as Set Due Date does (type 4, no ease), leaving it suspended: the
    suspension is still the sync's, and the card comes back unsuspended with
    its Polar card (taken for the person's, it stayed suspended for good).
    Later Ankis pass suspended cards over (no row), the same outcome."""
    num, raw = _studied_then_set_aside(col, doc, state_path)
    cid = card_ids(col, "1BasicS001")[0]
    _fsrs_reschedule(col, cid, 0.95)
    assert col.get_card(cid).queue == SUSPENDED
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    assert run(col, doc.root, state_path).restored == 1
    assert queues(col, "1BasicS001") == {0: 2}  # back to review
    assert records(state_path) == {}


def test_a_set_due_date_the_person_did_under_fsrs_later_still_counts(col, doc, state_path, monkeypatch):
    """Under FSRS a person's Set Due Date logs the very row 23.10's reschedule
    does: only its time, away from the preset's save, says it is the
    person's. Given a due date (Anki unsuspends it), then suspended again by
    the person, the card stays suspended when its Polar card comes back."""
    import time

    from addon.sync import touched

    monkeypatch.setattr(touched, "RESCHEDULE_AFTER_S", 1)  # (the real span is 30 s)
    num, raw = _studied_then_set_aside(col, doc, state_path)
    cid = card_ids(col, "1BasicS001")[0]
    _fsrs_reschedule(col, cid, 0.95)
    time.sleep(2.2)  # (the person opens the Browser after the deck options)
    col.sched.set_due_date([cid], "3")
    assert col.get_card(cid).queue != SUSPENDED  # (Anki unsuspended it)
    time.sleep(1.05)  # (a suspension a second later at least)
    col.sched.suspend_cards([cid])
    doc.page(num)["flashcards"]["1BasicS001"] = raw
    doc.write()
    assert run(col, doc.root, state_path).restored == 1
    assert queues(col, "1BasicS001") == {0: SUSPENDED}
