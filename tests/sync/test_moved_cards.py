"""A Polar card that moves from one document to another (out of one's
``pageMetas``, unchanged into the other's) keeps its note: updated in place,
reviews kept, its cards following it to the new document's deck like a deck
change. A real copy (the same card id in two documents at once) is still
reported (``same_card_twice``), the first owner keeping it. On real
collections; after every step a resync changes nothing."""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest

from addon.sync.identity import guid_for
from addon.sync.plan import ORPHAN_TAG
from addon.sync.state import SyncState
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run
from tools.polar_export import library_metas, write_export

QUEUE_SUSPENDED = -1
X = "1Card00001"  # the card that moves
KEEP_A = "1KeepA0001"
KEEP_B = "1KeepB0001"
A_KEY = "1DocA00000000000000000aa"
B_KEY = "1DocB00000000000000000bb"


def build(root: Path, a_deck: str = "deck:Books/A", b_deck: str = "deck:Books/B") -> Tuple[Doc, Doc]:
    a = Doc(root, A_KEY, "Doc A", tags=[a_deck])
    a.card(X, basic("<p>X front</p>", "<p>X back</p>"), page=2)
    a.card(KEEP_A, basic("<p>A stays</p>", "<p>a</p>"))
    a.write()
    b = Doc(root, B_KEY, "Doc B", tags=[b_deck])
    b.card(KEEP_B, basic("<p>B stays</p>", "<p>b</p>"))
    b.write()
    return a, b


def move(src: Doc, dst: Doc, cid: str = X, keep_in_src: bool = False) -> None:
    """The card, exactly as it is, into ``dst`` (on the same page); out of
    ``src`` unless ``keep_in_src`` (a copy)."""
    num, card = src.find_card(cid)
    dst.page(num)["flashcards"][cid] = copy.deepcopy(card)
    if not keep_in_src:
        src.delete_card(cid)


def nid_of(col: Any, cid: str) -> int:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(cid)]
    assert len(nids) == 1, (cid, nids)
    return nids[0]


def study(col: Any, cid: str, times: int = 3) -> None:
    """Answer the card's notes' cards through the real scheduler (revlog rows, a due date)."""
    for card_id in col.find_cards(f"nid:{nid_of(col, cid)}"):
        for _ in range(times):
            card = col.get_card(card_id)
            card.start_timer()
            col.sched.answerCard(card, 3)


def study_data(col: Any, nid: int) -> List[Tuple[Any, ...]]:
    """Everything the scheduler keeps about the note's cards, and their reviews."""
    cards = col.db.all(f"select id, type, queue, due, ivl, factor, reps, lapses from cards where nid = {nid}")
    revlog = col.db.all(f"select id, cid, ease, ivl from revlog where cid in (select id from cards where nid = {nid})")
    return sorted(cards) + sorted(revlog)


def decks_of(col: Any, nid: int) -> List[str]:
    return sorted(col.decks.name(c.did) for c in col.get_note(nid).cards())


def owner(state: Path, cid: str) -> Tuple[str, bool]:
    return SyncState(state).owners([cid])[cid]


def assert_idempotent(col: Any, root: Path, state: Path, **config: Any) -> Any:
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    again = run(col, root, state, **config)
    assert not again.changed and again.parsed == 0, again.to_dict()
    assert (again.created, again.updated, again.moved, again.orphaned, again.deleted) == (0, 0, 0, 0, 0)
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods
    return again


def twice(report: Any) -> List[Dict[str, Any]]:
    return [e for e in report.errors if e.get("code") == "same_card_twice"]


def assert_followed(col: Any, nid: int, before: List[Tuple[Any, ...]], deck: str = "Books::B") -> None:
    """The same note, its reviews and schedule kept, not orphaned, in ``deck``."""
    assert nid_of(col, X) == nid
    note = col.get_note(nid)
    assert not note.has_tag(ORPHAN_TAG)
    assert all(c.queue != QUEUE_SUSPENDED for c in note.cards())
    assert study_data(col, nid) == before
    assert decks_of(col, nid) == [deck]



def studied(col: Any, root: Path, sync_once: Callable[[], Any]) -> Tuple[Doc, Doc, int, List[Tuple[Any, ...]]]:
    """The two documents, synced by ``sync_once`` and card X studied: (A, B,
    X's note id, its study data before the move)."""
    a, b = build(root)
    sync_once()
    study(col, X)
    nid = nid_of(col, X)
    return a, b, nid, study_data(col, nid)


def move_and_write(a: Doc, b: Doc) -> None:
    """Card X out of A into B, both files rewritten as Polar does."""
    move(a, b)
    a.write()
    b.write()

@pytest.mark.parametrize("policy", ["suspend", "delete", "tag", "keep"])
def test_a_card_moved_to_another_document_keeps_its_note(col, tmp_path, state_path, policy):
    root = tmp_path / "polar"
    a, b = build(root)
    first = run(col, root, state_path, deletion_policy=policy)
    assert first.created == 3
    study(col, X)
    nid = nid_of(col, X)
    before = study_data(col, nid)
    assert len([r for r in before if len(r) == 4]) == 3  # three reviews in the revlog

    move_and_write(a, b)
    report = run(col, root, state_path, deletion_policy=policy)
    assert report.errors == [], report.errors
    assert (report.created, report.orphaned, report.deleted, report.restored) == (0, 0, 0, 0)
    assert report.moved == 1 and report.updated == 1  # the context names Doc B now
    kinds = {(c.kind, c.card, c.document) for c in report.changes}
    assert kinds == {("updated", X, B_KEY), ("moved", X, B_KEY)}
    assert_followed(col, nid, before)
    assert "Doc B" in "".join(col.get_note(nid).fields)
    assert col.note_count() == 3
    assert owner(state_path, X) == (B_KEY, False)
    assert_idempotent(col, root, state_path, deletion_policy=policy)

    # From now on it is B's card: an edit in B's copy reaches the note.
    b.page(2)["flashcards"][X]["fields"]["back"] = {"HTML": "<p>X back, edited in B</p>"}
    b.write()
    edited = run(col, root, state_path, deletion_policy=policy)
    assert edited.errors == [] and edited.updated == 1 and (edited.orphaned, edited.deleted) == (0, 0)
    assert "edited in B" in col.get_note(nid).fields[1]
    assert_idempotent(col, root, state_path, deletion_policy=policy)


def test_a_preview_of_the_move_shows_what_the_sync_does(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a, b = build(root)
    run(col, root, state_path, deletion_policy="delete")
    move_and_write(a, b)
    preview = run(col, root, state_path, dry_run=True, deletion_policy="delete")
    assert (preview.updated, preview.moved, preview.deleted, preview.orphaned) == (1, 1, 0, 0)
    assert decks_of(col, nid_of(col, X)) == ["Books::A"]  # nothing written
    synced = run(col, root, state_path, deletion_policy="delete")
    assert (synced.updated, synced.moved, synced.deleted) == (1, 1, 0)


def test_without_move_on_deck_change_the_cards_stay_in_their_deck(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a, b, nid, before = studied(col, root, lambda: run(col, root, state_path, move_on_deck_change=False))
    move_and_write(a, b)
    report = run(col, root, state_path, move_on_deck_change=False)
    assert report.errors == [] and (report.moved, report.orphaned, report.updated) == (0, 0, 1)
    assert_followed(col, nid, before, deck="Books::A")
    assert_idempotent(col, root, state_path, move_on_deck_change=False)


def test_between_documents_of_one_deck_the_users_deck_stays(col, tmp_path, state_path):
    """No deck changed: a card the user put in a deck of their own stays there."""
    root = tmp_path / "polar"
    a, b = build(root, "deck:Books", "deck:books")
    run(col, root, state_path)
    nid = nid_of(col, X)
    mine = col.decks.id("Mine")
    col.set_deck([c.id for c in col.get_note(nid).cards()], mine)
    move_and_write(a, b)
    report = run(col, root, state_path)
    assert report.errors == [] and (report.moved, report.orphaned) == (0, 0)
    assert decks_of(col, nid) == ["Mine"]
    assert_idempotent(col, root, state_path)


def test_a_card_moved_into_a_filtered_deck_session_keeps_it(col, tmp_path, state_path):
    """Moved like a deck change: a card studied in a filtered deck leaves it
    for its new home, with its real due date back (Anki's own deck move)."""
    root = tmp_path / "polar"
    a, b, nid, before = studied(col, root, lambda: run(col, root, state_path))
    did = col.decks.new_filtered("Cram")
    deck = col.decks.get(did)
    deck["terms"] = [[f"nid:{nid}", 100, 0]]
    deck["resched"] = True
    col.decks.save(deck)
    col.sched.rebuild_filtered_deck(did)
    assert decks_of(col, nid) == ["Cram"]
    move_and_write(a, b)
    report = run(col, root, state_path)
    assert report.errors == [] and (report.moved, report.orphaned) == (1, 0)
    assert_followed(col, nid, before)
    assert_idempotent(col, root, state_path)


def _same_signature_without(doc: Doc, cid: str) -> None:
    """``doc`` written without the card, the file's size and mtime as they
    were: a document whose signature says unchanged, though it changed."""
    path = doc.path
    st = path.stat()
    doc.delete_card(cid)
    data = json.dumps(doc.meta, separators=(",", ":")).encode()
    assert len(data) < st.st_size
    doc.meta["docInfo"]["pad"] = ""
    data = json.dumps(doc.meta, separators=(",", ":")).encode()
    doc.meta["docInfo"]["pad"] = "x" * (st.st_size - len(data))
    data = json.dumps(doc.meta, separators=(",", ":")).encode()
    assert len(data) == st.st_size
    path.write_bytes(data)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("a_read", ["unchanged signature", "read again"])
def test_the_old_document_is_read_again_to_tell_a_move_from_a_copy(col, tmp_path, state_path, a_read):
    root = tmp_path / "polar"
    a, b = build(root)
    old = 1_600_000_000_000_000_000  # an mtime well in the past: a signature the sync trusts
    os.utime(a.path, ns=(old, old))
    run(col, root, state_path, deletion_policy="delete")
    assert_idempotent(col, root, state_path, deletion_policy="delete")
    study(col, X)
    nid = nid_of(col, X)
    before = study_data(col, nid)
    move(a, b, keep_in_src=True)
    if a_read == "unchanged signature":
        _same_signature_without(a, X)
    else:
        a.delete_card(X)
        a.write()
    b.write()
    report = run(col, root, state_path, deletion_policy="delete")
    assert report.errors == [] and (report.moved, report.deleted, report.orphaned) == (1, 0, 0)
    assert report.parsed == 2  # A read too: only its file could tell
    assert_followed(col, nid, before)
    assert owner(state_path, X) == (B_KEY, False)
    assert_idempotent(col, root, state_path, deletion_policy="delete")


def test_a_card_moved_out_of_a_deleted_document(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a, b, nid, before = studied(col, root, lambda: run(col, root, state_path))
    move(a, b)
    b.write()
    a.remove()
    report = run(col, root, state_path)
    assert report.errors == [] and (report.moved, report.orphaned) == (1, 1)  # A's other card is gone
    assert [c.card for c in report.changes if c.kind == "removed"] == [KEEP_A]
    assert_followed(col, nid, before)
    assert col.get_note(nid_of(col, KEEP_A)).has_tag(ORPHAN_TAG)
    assert owner(state_path, X) == (B_KEY, False)
    assert_idempotent(col, root, state_path)


def test_a_card_deleted_then_put_into_another_document_comes_back_there(col, tmp_path, state_path):
    """Gone from A (its note orphaned), later put into B: the note is B's,
    restored, its cards in B's deck (no refusal as "already synced from A")."""
    root = tmp_path / "polar"
    a, b, nid, before = studied(col, root, lambda: run(col, root, state_path))
    num, card = a.find_card(X)
    a.delete_card(X)
    a.write()
    gone = run(col, root, state_path)
    assert gone.orphaned == 1 and col.get_note(nid).has_tag(ORPHAN_TAG)
    b.page(num)["flashcards"][X] = card
    b.write()
    report = run(col, root, state_path)
    assert report.errors == [] and (report.restored, report.moved, report.orphaned) == (1, 1, 0)
    note = col.get_note(nid)
    assert not note.has_tag(ORPHAN_TAG) and all(c.queue != QUEUE_SUSPENDED for c in note.cards())
    assert decks_of(col, nid) == ["Books::B"]
    assert [r for r in study_data(col, nid) if len(r) == 4] == [r for r in before if len(r) == 4]
    assert_idempotent(col, root, state_path)


@pytest.mark.parametrize("a_read", ["unchanged", "read too"])
def test_a_real_copy_in_two_documents_is_still_reported(col, tmp_path, state_path, a_read):
    """A copied document: the document the card was synced from keeps it,
    whichever comes first by key; the copy is reported, nothing orphaned."""
    root = tmp_path / "polar"
    a, _ = build(root)
    run(col, root, state_path)
    nid = nid_of(col, X)
    copied = Doc(root, "1Copy0000000000000000000", "Copy of A", tags=["deck:Books/Copy"])  # sorts before A
    move(a, copied, keep_in_src=True)
    copied.write()
    if a_read == "read too":
        a.card("1NewA00001", basic("<p>new in A</p>", "<p>n</p>"))
        a.write()
    report = run(col, root, state_path)
    assert [(e["document"], e["card"]) for e in twice(report)] == [("1Copy0000000000000000000", X)]
    assert "already synced from document " + A_KEY in twice(report)[0]["message"]
    assert (report.orphaned, report.moved, report.deleted) == (0, 0, 0)
    assert report.created == (1 if a_read == "read too" else 0)
    assert decks_of(col, nid) == ["Books::A"] and not col.get_note(nid).has_tag(ORPHAN_TAG)
    assert owner(state_path, X) == (A_KEY, False)
    again = assert_idempotent(col, root, state_path)
    assert [(e["document"], e["card"]) for e in twice(again)] == [("1Copy0000000000000000000", X)]

    # Later the card goes from A: the copy, refused so far and unchanged, is the card's now.
    a.delete_card(X)
    a.write()
    later = run(col, root, state_path)
    assert later.errors == [] and (later.orphaned, later.moved) == (0, 1)
    assert nid_of(col, X) == nid and decks_of(col, nid) == ["Books::Copy"]
    assert not col.get_note(nid).has_tag(ORPHAN_TAG)
    assert owner(state_path, X) == ("1Copy0000000000000000000", False)
    assert_idempotent(col, root, state_path)


def test_no_card_is_taken_from_a_document_that_cannot_be_read(col, tmp_path, state_path):
    root = tmp_path / "polar"
    a, b = build(root)
    run(col, root, state_path, deletion_policy="delete")
    nid = nid_of(col, X)
    move(a, b, keep_in_src=True)
    b.write()
    a.path.write_bytes(b'{"docInfo": {"title": "Doc A"}, "pageMetas": ')  # cut short
    report = run(col, root, state_path, deletion_policy="delete")
    assert [e["card"] for e in twice(report)] == [X]
    assert (report.moved, report.deleted, report.orphaned) == (0, 0, 0)
    assert decks_of(col, nid) == ["Books::A"] and col.note_count() == 3
    # A readable again, without the card: the card moves.
    a.delete_card(X)
    a.write()
    fixed = run(col, root, state_path, deletion_policy="delete")
    assert fixed.errors == [] and (fixed.moved, fixed.deleted) == (1, 0)
    assert nid_of(col, X) == nid and decks_of(col, nid) == ["Books::B"]
    assert_idempotent(col, root, state_path, deletion_policy="delete")


def test_a_data_folder_then_an_export_of_the_same_library(col, tmp_path, state_path):
    """Folders named otherwise than their documents' fingerprints (a copied
    or restored data folder): the export keys documents by fingerprint, so
    every card moves to another document key. Every note stays, none
    suspended, their reviews kept."""
    root = tmp_path / "polar"
    a, b = build(root)
    for doc, folder in ((a, "copy-of-a"), (b, "copy-of-b")):
        shutil.move(str(root / doc.fp), str(root / folder))
    first = run(col, root, state_path)
    assert first.created == 3 and first.errors == []
    assert owner(state_path, X) == ("copy-of-a", False)
    study(col, X)
    nids = {cid: nid_of(col, cid) for cid in (X, KEEP_A, KEEP_B)}
    before = study_data(col, nids[X])
    export = write_export(tmp_path / "export.zip", library_metas(root))
    report = run(col, export, state_path)
    assert report.errors == [], report.errors
    assert (report.created, report.orphaned, report.deleted, report.moved) == (0, 0, 0, 0)
    assert {cid: nid_of(col, cid) for cid in nids} == nids
    for nid in nids.values():
        note = col.get_note(nid)
        assert not note.has_tag(ORPHAN_TAG) and all(c.queue != QUEUE_SUSPENDED for c in note.cards())
    assert study_data(col, nids[X]) == before
    assert owner(state_path, X) == (A_KEY, False)
    assert_idempotent(col, export, state_path)


def test_a_move_synced_one_document_at_a_time(col, tmp_path, state_path):
    """The watcher syncs the documents Polar wrote: the one the card went to
    first, then the one it left. The note follows at the first; the second
    finds nothing gone (with the delete policy nothing is deleted)."""
    from addon.settings import Settings
    from addon.sync.engine import sync

    settings, _ = Settings.from_dict({"deletion_policy": "delete"})
    root = tmp_path / "polar"
    a, b, nid, before = studied(col, root, lambda: sync(col, settings, state_path, source_path=root))
    move_and_write(a, b)
    first = sync(col, settings, state_path, source_path=root, only={B_KEY})
    assert first.errors == [] and (first.moved, first.deleted) == (1, 0)
    second = sync(col, settings, state_path, source_path=root, only={A_KEY})
    assert second.errors == [] and (second.deleted, second.orphaned, second.moved) == (0, 0, 0)
    assert_followed(col, nid, before)
    assert_idempotent(col, root, state_path, deletion_policy="delete")
