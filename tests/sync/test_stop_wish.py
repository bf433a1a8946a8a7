"""The person stops a sync (Escape or Cancel in Anki's progress window,
``prepare(stop=...)``): where it stops, and that what it wrote is recorded
and finished by the next sync without a duplicate. Real Anki collections."""

from __future__ import annotations

import base64
import os
import re
import sqlite3
from typing import Any, Dict, List, Set

import pytest
from anki.collection import Collection

from addon.settings import Settings
from addon.sync import write
from addon.sync.engine import prepare, sync
from addon.sync.identity import GUID_PREFIX, collection_identity
from addon.sync.state import SyncState
from addon.sync.stop import Stopped
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic

PER_DOC = 1000
DOCS = 3  # 3,000 new notes: three add_notes calls of 1,000 (write.batch_sizes)


def _library(root, docs: int = DOCS, per_doc: int = PER_DOC):
    for d in range(docs):
        doc = Doc(root, f"1StopDoc{d}".ljust(24, "0"), f"Book {d}", tags=[f"deck:Stop{d}"])
        for i in range(per_doc):
            doc.card(f"1Stop{d}x{i:05d}", basic(f"<p>Question {d}.{i}?</p>", f"<p>Answer {d}.{i}</p>"), page=1 + i % 9)
        doc.write()
    return root


def _polar_guids(col: Any) -> List[str]:
    guids = col.db.list("SELECT guid FROM notes")
    assert len(guids) == len(set(guids)), "a note twice"
    return [g for g in guids if g.startswith(GUID_PREFIX)]


class _WishAt:
    """A stop wish made when the sync says ``at`` (as a person pressing
    Escape when the window shows it), asked by the sync at its stop points."""

    def __init__(self, at: str) -> None:
        self.at = at
        self.wished = False
        self.said: List[str] = []

    def progress(self, message: str) -> None:
        self.said.append(message)
        if message.startswith(self.at):
            self.wished = True

    def stop(self) -> bool:
        return self.wished


def test_a_stop_between_batches_keeps_and_records_what_was_added_and_the_next_sync_adds_the_rest(
        col, tmp_path, state_path):
    assert write.batch_sizes(DOCS * PER_DOC) == [1000, 1000, 1000]
    root = _library(tmp_path / "polar")
    wish = _WishAt("Adding 3,000 notes")
    report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)

    # Stopped after the first call: its 1,000 notes stay, the others were never sent.
    assert report.created == 1000
    assert not report.errors
    stop_rows = [w for w in report.warnings if w.get("code") == "stopped_by_you"]
    assert [(w["done"], w["total"]) for w in stop_rows] == [(1000, 3000)]
    assert not any(m.startswith("Adding notes…") for m in wish.said), wish.said  # (it said nothing more)
    assert len(_polar_guids(col)) == 1000
    assert len(report.changes) == 1000 and all(c.note_id for c in report.changes)
    # What was written is recorded: a state row for each note added, none for the others.
    state = SyncState(state_path, "")
    rows = state.all_cards()
    assert sorted(r.guid for r in rows.values()) == sorted(_polar_guids(col))
    # The documents of the notes not added are read again next time.
    docs = state.documents()
    assert len(docs) == DOCS and any(d.size == -1 for d in docs.values())
    # One undo step for what was written; undone and redone whole.
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert _polar_guids(col) == []
    col.redo()
    assert len(_polar_guids(col)) == 1000

    again = sync(col, Settings(), state_path, source_path=root)
    assert not again.errors and not again.warnings, (again.errors, again.warnings)
    assert again.created == 2000 and again.updated == 0
    assert len(_polar_guids(col)) == 3000
    assert not sync(col, Settings(), state_path, source_path=root).changed


def test_a_stop_in_the_reading_writes_nothing(col, tmp_path, state_path):
    root = _library(tmp_path / "polar", docs=2, per_doc=5)
    wish = _WishAt("Reading Polar documents")
    with pytest.raises(Stopped):
        sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert wish.said == ["Reading Polar documents… 0/2"]  # (stopped before the second document)
    assert col.note_count() == 0 and col.undo_status().undo == ""
    assert not SyncState(state_path, "").documents()
    assert sync(col, Settings(), state_path, source_path=root).created == 10


def test_a_stop_before_the_write_writes_nothing(col, tmp_path, state_path):
    root = _library(tmp_path / "polar", docs=2, per_doc=5)
    wish = _WishAt("Planning")
    with pytest.raises(Stopped):
        sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert col.note_count() == 0 and col.undo_status().undo == ""
    assert not SyncState(state_path, "").documents()


def test_a_write_in_one_call_is_not_cut(col, tmp_path, state_path):
    """Fewer new notes than a batch are one call: nothing to stop between."""
    root = _library(tmp_path / "polar", docs=2, per_doc=50)
    wish = _WishAt("Adding 100 notes")
    report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert report.created == 100 and not report.warnings
    assert len(SyncState(state_path, "").all_cards()) == 100


def _doc_key(d: int) -> str:
    return f"1StopDoc{d}".ljust(24, "0")


def _reopened(col: Any) -> Any:
    """The collection closed and opened again, as Anki's next start does
    (nothing of the last session kept in memory: undo history, caches)."""
    path = col.path
    col.close()
    return Collection(path)


def test_after_a_stop_and_a_restart_a_one_document_sync_does_the_rest(tmp_path, state_path):
    """A stop part-way through the adds is remembered in the sync state, in
    the stopped sync's own commit: after Anki's restart, the watcher's first
    sync (one document, not one with notes left out) reads the whole library
    and adds the rest, once; then the debt is forgotten."""
    col = make_collection(tmp_path / "col" / "collection.anki2")
    try:
        root = _library(tmp_path / "polar")
        wish = _WishAt("Adding 3,000 notes")
        report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
        assert report.created == 1000 and [w["code"] for w in report.warnings] == ["stopped_by_you"]
        assert col.undo_status().undo == "Sync from Polar"
        added = set(_polar_guids(col))
        assert SyncState(state_path, "").rest_to_come()

        col = _reopened(col)
        assert col.undo_status().undo == ""
        # A document whose notes were all added: alone, it has nothing to do.
        whole = [k for k, d in SyncState(state_path, "").documents().items() if d.size != -1]
        assert whole
        rest = sync(col, Settings(), state_path, source_path=root, only={whole[0]})
        assert not rest.errors and not rest.warnings, (rest.errors, rest.warnings)
        assert rest.created == 2000 and rest.updated == 0
        guids = _polar_guids(col)
        assert len(guids) == DOCS * PER_DOC and added <= set(guids)
        assert sorted(r.guid for r in SyncState(state_path, "").all_cards().values()) == sorted(guids)
        assert not SyncState(state_path, "").rest_to_come()
        # Its own undo step: undone, the stopped sync's 1,000 stay.
        assert col.undo_status().undo == "Sync from Polar"
        col.undo()
        assert set(_polar_guids(col)) == added
        col.redo()
        assert len(_polar_guids(col)) == DOCS * PER_DOC

        # Forgotten: the next one-document sync reads its document only.
        col = _reopened(col)
        prepared = prepare(Settings(), state_path, source_path=root, only={whole[0]},
                           collection_id=collection_identity(col))
        assert prepared.only == {whole[0]}
        assert not prepared.apply(col).changed
    finally:
        col.close()


def test_a_stop_in_the_reading_is_remembered_across_a_restart(tmp_path, state_path):
    """Stopped before it wrote (nothing else changed): the state still
    says the next sync owes the rest, and a one-document sync after Anki's
    restart brings a change Polar made to another document meanwhile."""
    col = make_collection(tmp_path / "col" / "collection.anki2")
    try:
        root = _library(tmp_path / "polar", docs=2, per_doc=5)
        assert sync(col, Settings(), state_path, source_path=root).created == 10
        doc = Doc(root, _doc_key(1), "Book 1", tags=["deck:Stop1"])
        for i in range(7):  # two cards more
            doc.card(f"1Stop1x{i:05d}", basic(f"<p>Question 1.{i}?</p>", f"<p>Answer 1.{i}</p>"), page=1 + i % 9)
        doc.write()
        wish = _WishAt("Reading Polar documents")
        with pytest.raises(Stopped):
            sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
        assert col.note_count() == 10 and SyncState(state_path, "").rest_to_come()

        col = _reopened(col)
        rest = sync(col, Settings(), state_path, source_path=root, only={_doc_key(0)})
        assert rest.created == 2 and len(_polar_guids(col)) == 12
        assert not SyncState(state_path, "").rest_to_come()
    finally:
        col.close()


def test_a_stopped_preview_owes_nothing(col, tmp_path, state_path):
    root = _library(tmp_path / "polar", docs=2, per_doc=5)
    assert sync(col, Settings(), state_path, source_path=root).created == 10
    wish = _WishAt("Reading Polar documents")
    with pytest.raises(Stopped):
        sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop, dry_run=True)
    assert not SyncState(state_path, "").rest_to_come()
    prepared = prepare(Settings(), state_path, source_path=root, only={_doc_key(0)},
                       collection_id=collection_identity(col))
    assert prepared.only == {_doc_key(0)}


def _row_ids(state_path) -> Dict[str, int]:
    with sqlite3.connect(state_path) as conn:
        return dict(conn.execute("SELECT card_id, rowid FROM cards"))


def _write_docs(root, docs: int, per_doc: int, answer: str = "Answer", deck: str = "Stop", tag: str = "") -> None:
    for d in range(docs):
        doc = Doc(root, _doc_key(d), f"Book {d}", tags=[f"deck:{deck}{d}"] + ([tag] if tag else []))
        for i in range(per_doc):
            doc.card(f"1Stop{d}x{i:05d}", basic(f"<p>Question {d}.{i}?</p>", f"<p>{answer} {d}.{i}</p>"),
                     page=1 + i % 9)
        doc.write()


def _nid(col: Any, guid: str) -> int:
    return int(col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid))


def _backs(col: Any) -> dict:
    return {n.guid: n.fields[1] for n in (col.get_note(nid) for nid in col.find_notes(""))}


def test_a_stop_between_batches_of_updates_keeps_what_was_saved_and_the_next_sync_updates_the_rest(
        tmp_path, state_path, monkeypatch):
    """A re-render (every note of the library changed in Polar) stopped
    between two batches of updated notes: the notes saved stay, in the one
    undo step, with their new state rows; the others are left as a note
    open in an editor is: their old rows (the base of the next merge),
    their cards not moved, their documents read again. After Anki's
    restart, a one-document sync updates the rest, keeping what the person
    typed into one of them meanwhile. (Batches of 10 here: the same code as
    ``UPDATE_BATCH``'s 5,000.)"""
    monkeypatch.setattr(write, "UPDATE_BATCH", 10)
    col = make_collection(tmp_path / "col" / "collection.anki2")
    try:
        root = tmp_path / "polar"
        _write_docs(root, 3, 10)
        assert sync(col, Settings(), state_path, source_path=root).created == 30
        before_rows = SyncState(state_path, "").all_cards()
        old = _backs(col)
        # Polar: every answer revised, the documents tagged, and their deck renamed (their cards move)
        _write_docs(root, 3, 10, answer="Revised", deck="Moved", tag="revised")
        wish = _WishAt("Updating 30 notes")
        report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)

        assert not report.errors
        assert [(w["code"], w["done"], w["total"]) for w in report.warnings] == [("stopped_updating_by_you", 10, 30)]
        assert report.updated == 10 and report.moved == 10 and report.created == 0
        assert sorted(c.kind for c in report.changes) == ["moved"] * 10 + ["updated"] * 10
        now = _backs(col)
        saved = {g for g in now if now[g] != old[g]}
        assert len(saved) == 10 and all(now[g].startswith("<p>Revised") for g in saved)
        assert {g for g in now if col.get_note(_nid(col, g)).has_tag("revised")} == saved
        assert {c.note_id for c in report.changes} == {_nid(col, g) for g in saved}
        # The notes saved moved with their document; the others did not.
        for g in now:
            deck = col.decks.name(col.get_note(_nid(col, g)).cards()[0].did)
            assert deck.startswith("Moved" if g in saved else "Stop"), (g, deck)
        state = SyncState(state_path, "")
        rows = state.all_cards()
        assert len(rows) == 30
        left = {cid: r for cid, r in rows.items() if r.guid not in saved}
        assert left == {cid: before_rows[cid] for cid in left}  # the last sync's rows, as they were
        assert all(rows[cid] != before_rows[cid] for cid in rows if rows[cid].guid in saved)
        docs = state.documents()
        held = {rows[cid].doc for cid in left}
        assert held and {k for k, d in docs.items() if d.size == -1} == held
        assert state.rest_to_come()
        assert col.undo_status().undo == "Sync from Polar"
        col.undo()
        assert _backs(col) == old
        col.redo()
        assert _backs(col) == now

        # The person edits a note left for later; Anki restarts.
        kept_guid = next(r.guid for r in left.values())
        note = col.get_note(_nid(col, kept_guid))
        note.fields[0] = "<p>My own question</p>"
        col.update_note(note)
        col = _reopened(col)
        whole = [k for k, d in SyncState(state_path, "").documents().items() if d.size != -1]
        assert whole  # (a document whose notes were all saved: alone, it has nothing to do)
        rest = sync(col, Settings(), state_path, source_path=root, only=set(whole[:1]))
        assert not rest.errors and not rest.warnings and not rest.conflicts, (rest.errors, rest.warnings)
        assert rest.updated == 20 and rest.created == 0
        after = _backs(col)
        assert len(after) == 30 and all(v.startswith("<p>Revised") for v in after.values())
        assert all(col.get_note(_nid(col, g)).has_tag("revised") for g in after)  # (not taken as written before)
        kept = col.get_note(_nid(col, kept_guid))
        assert kept.fields[0] == "<p>My own question</p>"  # merged against the old base: the edit stays
        assert all(col.decks.name(c.did).startswith("Moved") for nid in col.find_notes("")
                   for c in col.get_note(nid).cards())
        assert not SyncState(state_path, "").rest_to_come()
        assert col.undo_status().undo == "Sync from Polar"
        assert not sync(col, Settings(), state_path, source_path=root).changed
    finally:
        col.close()


def test_updates_in_one_call_are_not_cut(col, tmp_path, state_path):
    """Up to ``UPDATE_BATCH`` updated notes are one call: nothing to stop between."""
    root = tmp_path / "polar"
    _write_docs(root, 2, 10)
    assert sync(col, Settings(), state_path, source_path=root).created == 20
    _write_docs(root, 2, 10, answer="Revised")
    wish = _WishAt("Updating 20 notes")
    report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert report.updated == 20 and not report.warnings
    assert not SyncState(state_path, "").rest_to_come()


def test_escape_during_the_first_few_thousand_updates_stops_after_one_batch(col, tmp_path, state_path):
    """A stop wished as the updates begin is honoured after the first
    ``UPDATE_BATCH`` notes are saved: 2,000, not 5,000 (a batch of 5,000
    kept Escape waiting 0.25-0.5 s on the bench library, and a sync of up
    to 5,000 updates could not be stopped at all). Here 2,100 updates:
    2,000 saved, 100 left for the next sync."""
    assert write.UPDATE_BATCH == 2000 and write.UPDATE_BATCH % write.UPDATE_SAY_EVERY == 0
    root = tmp_path / "polar"
    _write_docs(root, 3, 700)
    assert sync(col, Settings(), state_path, source_path=root).created == 2100
    _write_docs(root, 3, 700, answer="Revised")
    wish = _WishAt("Updating 2,100 notes")
    before = _row_ids(state_path)
    report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert [(w["code"], w["done"], w["total"]) for w in report.warnings] == [("stopped_updating_by_you", 2000, 2100)]
    assert report.updated == 2000
    # The rows of the 100 left are kept as they were, not written again (the
    # state's end of a stopped sync: ~1 s for 50,000 rows rewritten unchanged).
    after = _row_ids(state_path)
    assert sorted(after) == sorted(before)
    assert sum(after[cid] == before[cid] for cid in before) == 100
    assert sum(v.startswith("<p>Revised") for v in _backs(col).values()) == 2000
    assert SyncState(state_path, "").rest_to_come()
    assert col.undo_status().undo == "Sync from Polar"
    rest = sync(col, Settings(), state_path, source_path=root)
    assert rest.updated == 100 and not rest.warnings
    assert all(v.startswith("<p>Revised") for v in _backs(col).values())


_PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def test_the_images_of_a_batch_built_but_not_sent_are_the_next_syncs(col, tmp_path, state_path):
    """A stop between two batches of new notes: the batch the builder made
    meanwhile is not sent, but the images it rendered are written to the
    media folder (the builder queues them). Anki's Check Media lists them as
    unused until the next sync, which adds their notes under the same
    names (content hashes): none is left unused, none is written twice."""
    root = tmp_path / "polar"
    for d in range(DOCS):
        doc = Doc(root, _doc_key(d), f"Book {d}", tags=[f"deck:Stop{d}"])
        for i in range(PER_DOC):
            picture = ""
            if i < 20:  # (a picture of its own: the bytes after PNG's end differ)
                png = base64.b64encode(_PNG_1PX + f"{d}.{i}".encode()).decode()
                picture = f'<img src="data:image/png;base64,{png}">'
            doc.card(f"1Stop{d}x{i:05d}", basic(f"<p>Question {d}.{i}?</p>{picture}", f"<p>Answer {d}.{i}</p>"),
                     page=1 + i % 9)
        doc.write()
    wish = _WishAt("Adding 3,000 notes")
    report = sync(col, Settings(), state_path, source_path=root, progress=wish.progress, stop=wish.stop)
    assert report.created == 1000 and not report.errors

    def media() -> Set[str]:
        return {n for n in os.listdir(col.media.dir()) if n.startswith("polar-")}

    def referenced() -> Set[str]:
        return {name for nid in col.find_notes("") for f in col.get_note(nid).fields
                for name in re.findall(r'src="(polar-[^"]+)"', f)}

    files, used = media(), referenced()
    assert used <= files and len(used) < DOCS * 20
    unused_then = set(col.media.check().unused)
    assert unused_then == files - used  # (the built batch's, if any: Check Media names them)

    again = sync(col, Settings(), state_path, source_path=root)
    assert again.created == 2000 and not again.errors
    assert media() == referenced() and len(media()) == DOCS * 20
    assert unused_then <= referenced()  # the same names: used now
    assert col.media.check().unused == []
