"""A flashcard that turns from basic to cloze (or back) under the same id (a
hand-edited state.json, another tool; Polar's own editor gives an edited
card a new id): the card gets a new note of its kind, in its document's
deck and due as new, and the old note keeps its reviews and is handled by
the deletion policy under a guid of its own (``plan.Planner.retype``).
Real Anki collections, on the sample library."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from addon.settings import Settings
from addon.sync.engine import collection_identity, prepare
from addon.sync.identity import guid_for
from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import write_atomic
from tests.sync.helpers import note_of, run
from tests.sync.test_restore_suspensions import records  # the notes with a suspension record

SAMPLE_DOC = "1SpacedRepetitionIntro0a"
BASIC_CARD = "1FcA1b2C3d"  # basic in the sample library, turned cloze here
CLOZE_CARD = "1FcE4f5G6h"  # cloze in the sample library (two cards), turned basic here
DECK = "learning::memory"  # the sample document's deck:learning/memory
SUSPENDED = -1


def edit_cards(library: Path, changes: Dict[str, Dict[str, Any]]) -> None:
    """Change flashcards of the sample document in place (same ids), written
    as Polar writes a state.json."""
    path = library / SAMPLE_DOC / "state.json"
    meta = json.loads(path.read_text())
    for page in meta["pageMetas"].values():
        for cid, card in page.get("flashcards", {}).items():
            card.update(changes.get(cid, {}))
    write_atomic(path, json.dumps(meta).encode())
    touch(path)


def touch(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))


TO_CLOZE = {"type": "CLOZE", "archetype": "76152976-d7ae-4348-9571-d65e48050c3f",
            "fields": {"text": {"HTML": "<p>{{c1::before}} you forget</p>"}}}
TO_BASIC = {"type": "BASIC_FRONT_BACK", "archetype": "9d146db1-7c31-4bcf-866b-7b485c4e50ea",
            "fields": {"front": {"HTML": "<p>Who described the forgetting curve?</p>"},
                       "back": {"HTML": "<p>Hermann Ebbinghaus, in 1885</p>"}}}


def retype_both(library: Path) -> None:
    edit_cards(library, {BASIC_CARD: TO_CLOZE, CLOZE_CARD: TO_BASIC})


def study(col: Any, nids: List[int]) -> None:
    """Answer every card of these notes once, through the real scheduler."""
    for nid in nids:
        for card in col.get_note(nid).cards():
            card.start_timer()
            col.sched.answerCard(card, 3)


def revlog(col: Any) -> List[Tuple[int, int]]:
    return sorted(col.db.all("SELECT id, cid FROM revlog"))


def state_rows(state: Path) -> Dict[str, List[Tuple[str, str, int]]]:
    """card id -> its rows (guid, type, orphaned); one each, always."""
    conn = sqlite3.connect(str(state))
    try:
        out: Dict[str, List[Tuple[str, str, int]]] = {}
        for cid, guid, ctype, orphaned in conn.execute("SELECT card_id, guid, type, orphaned FROM cards"):
            out.setdefault(cid, []).append((guid, ctype, orphaned))
        return out
    finally:
        conn.close()


def notes_with_guid(col: Any, guid: str) -> List[int]:
    return [nid for nid in col.find_notes("") if col.get_note(nid).guid == guid]


def assert_quiet(col: Any, library: Path, state: Path, **config: Any) -> None:
    """A second sync changes nothing; nor does one that reads the document again."""
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    for _ in range(2):
        again = run(col, library, state, **config)
        assert not again.changed, again.to_dict()
        assert (again.created, again.updated, again.orphaned, again.deleted, again.duplicates) == (0, 0, 0, 0, 0)
        assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods
        touch(library / SAMPLE_DOC / "state.json")  # the second round reads it again


@pytest.fixture
def synced(col: Any, library: Path, state_path: Path) -> Dict[str, int]:
    """The sample library synced, both cards studied: their notes' ids."""
    assert run(col, library, state_path).created == 6
    old = {cid: note_of(col, cid).id for cid in (BASIC_CARD, CLOZE_CARD)}
    assert col.get_note(old[BASIC_CARD]).note_type()["name"] == "Basic"
    assert col.get_note(old[CLOZE_CARD]).note_type()["name"] == "Cloze"
    study(col, list(old.values()))
    return old


def check_new_notes(col: Any, old: Dict[str, int]) -> None:
    """Each retyped card has one note, new, of its new kind, in its document's
    deck, due as a new card, with Polar's new content."""
    for cid, kind in ((BASIC_CARD, "Cloze"), (CLOZE_CARD, "Basic")):
        assert len(notes_with_guid(col, guid_for(cid))) == 1
        note = note_of(col, cid)
        assert note.id != old[cid]
        assert note.note_type()["name"] == kind
        assert ORPHAN_TAG not in note.tags
        for card in note.cards():
            assert (card.type, card.queue) == (0, 0)  # new
            assert col.decks.name(card.did) == DECK
    cloze = note_of(col, BASIC_CARD)
    assert cloze["Text"] == "<p>{{c1::before}} you forget</p>" and len(cloze.cards()) == 1
    basic = note_of(col, CLOZE_CARD)
    assert basic["Front"] == "<p>Who described the forgetting curve?</p>"
    assert basic["Back"].startswith("<p>Hermann Ebbinghaus, in 1885</p>")


def test_both_directions_get_new_notes_the_old_ones_keep_their_reviews(col, library, state_path, synced):
    """The reported case: Basic -> Cloze and Cloze -> Basic with the same
    ids. Before, both were "updated" into their old note type: a Basic note
    showing "{{c1::before}}", a Cloze note with no cloze."""
    reviews = revlog(col)
    old_cards = {cid: sorted(c.id for c in col.get_note(nid).cards()) for cid, nid in synced.items()}
    retype_both(library)

    report = run(col, library, state_path)
    assert (report.created, report.updated, report.orphaned, report.deleted) == (2, 0, 2, 0), report.to_dict()
    assert report.duplicates == 0 and not report.errors and not report.conflicts
    assert col.note_count() == 8
    check_new_notes(col, synced)
    for cid, nid in synced.items():
        note = col.get_note(nid)
        assert note.guid == f"polar-retyped:{nid}"
        assert ORPHAN_TAG in note.tags
        assert sorted(c.id for c in note.cards()) == old_cards[cid]
        assert {c.queue for c in note.cards()} == {SUSPENDED}
        assert all(c.type != 0 for c in note.cards())  # still studied
    assert revlog(col) == reviews
    # The report: one created and one removed row per card, nothing else.
    rows = sorted((c.kind, c.card, c.note_id == synced[c.card]) for c in report.changes)
    assert rows == [("created", BASIC_CARD, False), ("created", CLOZE_CARD, False),
                    ("removed", BASIC_CARD, True), ("removed", CLOZE_CARD, True)]
    # The sync state: the card's one row is its new note's, of the new type;
    # the old notes have none and no record of their suspension (never restored).
    rows_now = state_rows(state_path)
    assert rows_now[BASIC_CARD] == [(guid_for(BASIC_CARD), "CLOZE", 0)]
    assert rows_now[CLOZE_CARD] == [(guid_for(CLOZE_CARD), "BASIC_FRONT_BACK", 0)]
    for cid in (BASIC_CARD, CLOZE_CARD):  # no other row (a foreign one, say) holds the card's guid
        assert [c for c, rows in rows_now.items() for guid, _, _ in rows if guid == guid_for(cid)] == [cid]
    assert not any(guid.startswith("polar-retyped:") for rows in rows_now.values() for guid, _, _ in rows)
    assert not set(records(state_path)) & set(synced.values())
    assert_quiet(col, library, state_path)
    assert revlog(col) == reviews


def test_a_retype_is_one_undo_step(col, library, state_path, synced):
    retype_both(library)
    run(col, library, state_path)
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert col.note_count() == 6
    for cid, nid in synced.items():
        note = col.get_note(nid)
        assert note.guid == guid_for(cid) and ORPHAN_TAG not in note.tags
        assert SUSPENDED not in {c.queue for c in note.cards()}


@pytest.mark.parametrize("policy", ["delete", "tag", "keep"])
def test_the_deletion_policy_decides_for_the_old_note(col, library, state_path, policy):
    config: Dict[str, Any] = {"deletion_policy": policy, "delete_max_share": 0.5}
    assert run(col, library, state_path, **config).created == 6
    old = {cid: note_of(col, cid).id for cid in (BASIC_CARD, CLOZE_CARD)}
    study(col, list(old.values()))
    reviews = revlog(col)
    retype_both(library)

    report = run(col, library, state_path, **config)
    check_new_notes(col, old)
    assert report.created == 2 and report.updated == 0 and report.duplicates == 0
    if policy == "delete":
        assert (report.deleted, report.orphaned) == (2, 0)
        assert col.note_count() == 6
        assert not set(old.values()) & set(col.find_notes(""))
        assert sorted(c.kind for c in report.changes) == ["created", "created", "deleted", "deleted"]
    else:
        assert (report.orphaned, report.deleted) == (2, 0)
        assert col.note_count() == 8
        for nid in old.values():
            note = col.get_note(nid)
            assert note.guid == f"polar-retyped:{nid}"
            assert (ORPHAN_TAG in note.tags) == (policy == "tag")
            assert SUSPENDED not in {c.queue for c in note.cards()}
    assert revlog(col) == reviews  # Anki keeps the review log of a removed note too
    assert_quiet(col, library, state_path, **config)


def test_a_refused_delete_leaves_the_card_in_its_old_note(col, library, state_path):
    """Over ``delete_max_share`` nothing is deleted; the retyped card then
    gets no new note beside its old one (one guid, one note)."""
    assert run(col, library, state_path, deletion_policy="delete").created == 6
    old = {cid: note_of(col, cid).id for cid in (BASIC_CARD, CLOZE_CARD)}
    retype_both(library)
    report = run(col, library, state_path, deletion_policy="delete")  # 2 of 6 > 20 %
    assert any(e.get("code") == "delete_refused" for e in report.errors)
    assert (report.created, report.deleted, report.orphaned) == (0, 0, 0)
    assert col.note_count() == 6
    for cid, nid in old.items():
        assert notes_with_guid(col, guid_for(cid)) == [nid]
    rows = state_rows(state_path)
    assert rows[BASIC_CARD] == [(guid_for(BASIC_CARD), "BASIC_FRONT_BACK", 0)]
    assert rows[CLOZE_CARD] == [(guid_for(CLOZE_CARD), "CLOZE", 0)]


def test_a_dry_run_counts_the_same_and_writes_nothing(col, library, state_path, synced):
    retype_both(library)
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    rows = state_rows(state_path)
    preview = run(col, library, state_path, dry_run=True)
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods
    assert state_rows(state_path) == rows
    real = run(col, library, state_path)
    for key in ("created", "updated", "orphaned", "deleted", "duplicates", "unchanged"):
        assert getattr(preview, key) == getattr(real, key), key
    assert (preview.created, preview.orphaned) == (2, 2)
    assert sorted((c.kind, c.card) for c in preview.changes) == sorted((c.kind, c.card) for c in real.changes)


def apply_leaving_alone(col: Any, library: Path, state: Path, held: int) -> Any:
    settings, _ = Settings.from_dict({})
    prepared = prepare(settings, state, source_path=library, collection_id=collection_identity(col))
    return prepared.apply(col, leave_alone={held})


def test_an_old_note_open_in_an_editor_holds_back_its_new_note(col, library, state_path, synced):
    """The old note's change is held back (open in an editor): so is the
    new note, else two notes would carry the card's guid. The next sync
    does both."""
    held = synced[BASIC_CARD]
    mod = col.get_note(held).mod
    retype_both(library)

    report = apply_leaving_alone(col, library, state_path, held)
    assert report.deferred == {held: SAMPLE_DOC}
    assert (report.created, report.orphaned, report.updated) == (1, 1, 0)  # the other card's
    note = col.get_note(held)
    assert note.mod == mod and note.guid == guid_for(BASIC_CARD) and ORPHAN_TAG not in note.tags
    assert notes_with_guid(col, guid_for(BASIC_CARD)) == [held]
    assert note_of(col, CLOZE_CARD).note_type()["name"] == "Basic"
    assert state_rows(state_path)[BASIC_CARD] == [(guid_for(BASIC_CARD), "BASIC_FRONT_BACK", 0)]

    # The editor let go: its document is read again and the card retyped.
    report = run(col, library, state_path)
    assert (report.created, report.orphaned, report.updated) == (1, 1, 0), report.to_dict()
    check_new_notes(col, synced)
    assert col.get_note(held).guid == f"polar-retyped:{held}"
    assert_quiet(col, library, state_path)


def change_note_type(col: Any, nid: int, to: str) -> None:
    """Anki's Change Note Type (fields mapped by position)."""
    note = col.get_note(nid)
    new = col.models.by_name(to)
    info = col.models.change_notetype_info(old_notetype_id=note.mid, new_notetype_id=new["id"])
    request = info.input
    request.note_ids.extend([nid])
    col.models.change_notetype_of_notes(request)


def test_a_note_moved_to_another_type_by_the_user_is_not_a_retype(col, library, state_path, synced):
    """A cloze card's note the user moved to Basic (Change Note Type) is
    theirs: not replaced, no second note. Polar's cloze text is not written
    into its "Front" (the braces would show on the question; branch
    ``followmoved``): the front stays as it is and the report says so."""
    nid = synced[CLOZE_CARD]
    change_note_type(col, nid, "Basic")
    assert col.get_note(nid).note_type()["name"] == "Basic"
    front = col.get_note(nid)["Front"]
    edit_cards(library, {CLOZE_CARD: {"fields": {"text": {"HTML": "<p>{{c1::Ebbinghaus}} drew a curve</p>"}}}})
    assert 'class="polar-rule"' in col.get_note(nid)["Back"]  # (Back Extra's block, its rule pulled up)
    report = run(col, library, state_path)
    # Updated: the block alone in Back, under Basic's own "<hr id=answer>", loses its rule
    # (the cloze's, pulled up to the template's "<br>", stood touching that one).
    assert (report.created, report.orphaned, report.updated) == (0, 0, 1), report.to_dict()
    assert notes_with_guid(col, guid_for(CLOZE_CARD)) == [nid]
    assert col.get_note(nid)["Front"] == front
    assert 'class="polar-rule"' not in col.get_note(nid)["Back"]
    assert [w["code"] for w in report.warnings] == ["kind_changed_kept"]


def test_a_note_already_of_the_new_kind_is_updated(col, library, state_path, synced):
    """The card turned cloze, and its note is in a cloze type already (the
    user changed it, or another computer made the new note and AnkiWeb
    brought it): it is updated in place, not replaced."""
    nid = synced[BASIC_CARD]
    change_note_type(col, nid, "Cloze")
    edit_cards(library, {BASIC_CARD: TO_CLOZE})
    report = run(col, library, state_path)
    assert (report.created, report.orphaned, report.updated) == (0, 0, 1), report.to_dict()
    assert notes_with_guid(col, guid_for(BASIC_CARD)) == [nid]
    assert col.get_note(nid)["Text"] == "<p>{{c1::before}} you forget</p>"
    assert state_rows(state_path)[BASIC_CARD] == [(guid_for(BASIC_CARD), "CLOZE", 0)]
    assert_quiet(col, library, state_path)


def test_without_a_state_row_an_own_note_type_tells_the_old_kind(col, library, state_path):
    """The sync state lost: an own note type still says what the card was;
    a stock type says nothing, and the note is updated in place as before."""
    own = {"use_stock_note_types": False}
    assert run(col, library, state_path, **own).created == 6
    old = note_of(col, BASIC_CARD).id
    assert col.get_note(old).note_type()["name"] == "Polar Basic"
    state_path.unlink()
    edit_cards(library, {BASIC_CARD: TO_CLOZE})
    report = run(col, library, state_path, **own)
    assert (report.created, report.orphaned) == (1, 1), report.to_dict()
    assert note_of(col, BASIC_CARD).note_type()["name"] == "Polar Cloze"
    assert col.get_note(old).guid == f"polar-retyped:{old}"
    assert_quiet(col, library, state_path, **own)


def test_without_a_state_row_a_stock_note_type_is_updated_as_before(col, library, state_path):
    assert run(col, library, state_path).created == 6
    old = note_of(col, BASIC_CARD).id
    state_path.unlink()
    edit_cards(library, {BASIC_CARD: TO_CLOZE})
    report = run(col, library, state_path)
    assert (report.created, report.orphaned) == (0, 0), report.to_dict()
    assert notes_with_guid(col, guid_for(BASIC_CARD)) == [old]


def test_a_card_deleted_then_back_as_another_kind(col, library, state_path, synced):
    """Its old note was orphaned (counted then) when the card went; the card
    comes back as a cloze: a new note, the old one stays an orphan (not
    restored into the wrong type, not counted a second time)."""
    path = library / SAMPLE_DOC / "state.json"
    original = path.read_bytes()
    meta = json.loads(original)
    for page in meta["pageMetas"].values():
        page.get("flashcards", {}).pop(BASIC_CARD, None)
    write_atomic(path, json.dumps(meta).encode())
    touch(path)
    assert run(col, library, state_path).orphaned == 1
    old = synced[BASIC_CARD]
    assert ORPHAN_TAG in col.get_note(old).tags
    write_atomic(path, original)
    edit_cards(library, {BASIC_CARD: TO_CLOZE})

    report = run(col, library, state_path)
    assert (report.created, report.orphaned, report.updated, report.restored) == (1, 0, 0, 0), report.to_dict()
    note = col.get_note(old)
    assert note.guid == f"polar-retyped:{old}" and ORPHAN_TAG in note.tags
    assert {c.queue for c in note.cards()} == {SUSPENDED}
    assert note_of(col, BASIC_CARD).note_type()["name"] == "Cloze"
    assert old not in records(state_path)
    assert_quiet(col, library, state_path)
