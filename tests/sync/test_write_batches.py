"""New notes in batches (``write.add_notes``): each note's ``AddNoteRequest``
written by the builder, the calls made with the backend's raw ``add_notes``;
the same notes, cards and due positions as ``col.add_notes`` makes, one undo
step, the schema untouched."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any, List

import pytest

from addon.sync import state as state_module
from addon.sync import write
from addon.sync.plan import Create
from addon.sync.state import NoteIdChanges
from addon.sync.write import NewNote
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

CARDS = write.BATCHED_MIN + 60  # enough for the batches


def _library(root):
    alpha = Doc(root, "alpha", title="Alpha", tags=["deck:alpha"])
    for i in range(CARDS // 2):
        alpha.card(f"a{i:04d}", basic(f"<p>Front {i} <b>bold</b> é e\u0301</p>", f"Back {i}"), page=1 + i % 3,
                   tags=["shared", f"t{i % 4}"])
    # Two cards with the same front: two notes (no first-field matching).
    alpha.card("same1", basic("<p>The same front</p>", "one"))
    alpha.card("same2", basic("<p>The same front</p>", "two"))
    alpha.write()
    beta = Doc(root, "beta", title="Beta", tags=["deck:beta/sub"])
    for i in range(CARDS // 2):
        beta.card(f"b{i:04d}", cloze(f"{{{{c1::one {i}}}}} and {{{{c2::two}}}}"), "CLOZE", page=2)
    beta.card("rev1", basic("forward", "reverse"), "BASIC_FRONT_BACK_AND_REVERSE")
    beta.write()
    return root


def _snapshot(col):
    """Everything a note and its cards hold, by guid and names (ids differ
    between collections)."""
    notes = col.db.all(
        "SELECT n.guid, (SELECT name FROM notetypes WHERE id = n.mid), n.flds, n.tags, n.usn, n.sfld, n.csum, "
        "n.flags, n.data FROM notes n ORDER BY n.guid")
    cards = col.db.all(
        "SELECT n.guid, c.ord, (SELECT name FROM decks WHERE id = c.did), c.due, c.type, c.queue, c.ivl, "
        "c.factor, c.reps, c.left, c.odid, c.usn, c.flags, c.data FROM cards c JOIN notes n ON n.id = c.nid "
        "ORDER BY n.guid, c.ord")
    return notes, cards, sorted(col.tags.all())


@pytest.mark.parametrize("other_way", ["col.add_notes", "in one go"])
def test_batched_notes_are_what_col_add_notes_makes(tmp_path, col, monkeypatch, other_way):
    library = _library(tmp_path / "polar")
    t0 = int(time.time())
    report = run(col, library, tmp_path / "state.sqlite")
    t1 = int(time.time())
    assert report.errors == [] and report.created == 2 * (CARDS // 2) + 3
    batched = _snapshot(col)

    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        monkeypatch.setattr(write, "BATCHED_MIN", 10**9)  # one call, no builder
        if other_way == "col.add_notes":  # and Anki's own Note objects, no request of ours
            monkeypatch.setattr(write, "_wire_matches", lambda: False)
        assert run(other, library, tmp_path / "other-state.sqlite").created == report.created
        assert _snapshot(other) == batched
    finally:
        other.close()
    assert len(batched[0]) == report.created
    assert col.db.scalar("SELECT count() FROM notes WHERE sfld = 'The same front'") == 2
    assert col.db.scalar("SELECT min(mod) FROM notes") >= t0
    assert col.db.scalar("SELECT max(mod) FROM notes") <= t1 + 1
    # The report's note ids are the notes the batches created.
    ids = {c.note_id for c in report.changes if c.note_id}
    assert ids == set(col.find_notes(""))
    # ... and the state's note-id hints say the same
    from addon.sync.state import SyncState

    in_col = dict(col.db.all("SELECT guid, id FROM notes"))
    assert SyncState(tmp_path / "state.sqlite").note_ids(in_col) == in_col


def test_batches_are_one_undo_step_and_leave_settings_and_schema(tmp_path, col):
    col.set_config("csvDuplicateResolution", 1)  # the user's CSV import choices
    col.set_config("matchScope", 1)
    schema = col.db.scalar("SELECT scm FROM col")
    library = _library(tmp_path / "polar")
    report = run(col, library, tmp_path / "state.sqlite")
    assert report.created > write.BATCHED_MIN
    assert col.get_config("csvDuplicateResolution") == 1 and col.get_config("matchScope") == 1
    assert col.db.scalar("SELECT scm FROM col") == schema
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert col.note_count() == 0
    assert col.undo_status().undo != "Sync from Polar"


def _pair(col, front: str, guid: str, tags=("t",), kind="basic"):
    nt = col.models.by_name("Basic")
    c = Create(rc=None, doc="d", deck="Default", kind=kind)  # type: ignore[arg-type]
    return c, NewNote([front, "back"], list(tags), guid, nt["id"], 1)


def test_a_note_the_request_cannot_carry_goes_through_col_add_notes(col):
    ok, empty = _pair(col, "fine", "polar:ok"), _pair(col, "", "polar:empty")
    odd = _pair(col, "lone \ud800", "polar:odd")
    w = SimpleNamespace(col=col, ids=NoteIdChanges(), stage=None)
    rest = write._send(w, write._batch([ok, empty, odd]))  # type: ignore[arg-type]
    assert [n.guid for _, n in rest] == ["polar:odd"]  # protobuf's strings are UTF-8
    assert rest[0][1].fields == ["lone \ud800", "back"]  # kept for col.add_notes
    found = dict(col.db.all("SELECT guid, id FROM notes"))
    assert ok[0].note_id == found["polar:ok"] and empty[0].note_id == found["polar:empty"]
    assert w.ids.made == [("polar:ok", ok[0].note_id), ("polar:empty", empty[0].note_id)]  # the note-id hints


def _upb(col, pairs) -> bytes:
    """The request as Anki's protobuf serialises it."""
    from anki import notes_pb2

    return notes_pb2.AddNotesRequest(requests=[
        notes_pb2.AddNoteRequest(note=notes_pb2.Note(guid=n.guid, notetype_id=n.notetype, tags=n.tags,
                                                     fields=n.fields), deck_id=n.deck)
        for _, n in pairs]).SerializeToString()


# Texts of 127, 128, 16,383, 16,384 bytes (where a length takes one more
# byte), beyond Latin-1, empty; no tags and many; ids of every size.
@pytest.mark.parametrize("front", ["é", "x" * 127, "x" * 128, "x" * 16383, "x" * 16384, "中🙂" * 70000, "",
                                   "tab\tand\x1fseparator"])
@pytest.mark.parametrize("tags", [(), ("t",), tuple(f"tag{i}" * 9 for i in range(40))])
@pytest.mark.parametrize("notetype,deck", [(1, 1), (127, 128), (16384, 2**31), (1_700_000_000_000, 2**62)])
def test_each_notes_request_is_what_protobuf_writes(col, front, tags, notetype, deck):
    assert write._wire_matches()  # this Anki's messages are the ones written
    c, n = _pair(col, front, "polar:w", tags)
    n = n._replace(notetype=notetype, deck=deck)
    assert write._wire_note(n) == _upb(col, [(c, n)])


@pytest.mark.parametrize("count", [1, 3, 2000])
def test_the_request_joined_from_each_notes_entry_is_the_whole_message(col, count):
    """The builder makes each note's entry and joins them: byte for byte
    the message protobuf makes of the whole request."""
    nt = col.models.by_name("Basic")
    pairs = [(Create(rc=None, doc="d", deck="Default", kind="basic"),  # type: ignore[arg-type]
              NewNote([f"front {i} é中🙂 \"q\"", "x" * (i % 300)], ["t", f"u{i % 7}"], f"polar:j{i}", nt["id"], 1))
             for i in range(count)]
    whole = _upb(col, pairs)
    batch = write._batch(pairs)
    assert batch.request == whole
    # The text is in the request only: a sent note is held as its guid.
    assert [(c, guid) for c, guid in batch.sent] == [(c, n.guid) for c, n in pairs]


@pytest.mark.parametrize("raw", [True, False])
def test_the_request_adds_with_or_without_the_raw_call(col, monkeypatch, raw):
    """The backend's raw add_notes takes the serialised request as it is;
    where an Anki lacked it, the same request goes through the generated
    call. Either way the ids come back in the request's order."""
    if not raw:
        monkeypatch.setattr(col._backend, "add_notes_raw", None, raising=False)
    pairs = [_pair(col, f"front {i} é中🙂", f"polar:r{i}") for i in (2, 0, 1)]
    ids = write._run_add_notes(col, _upb(col, pairs))
    assert col.db.all("SELECT guid, flds, tags FROM notes ORDER BY guid") == [
        [f"polar:r{i}", f"front {i} é中🙂\x1fback", " t "] for i in range(3)]
    assert ids == [col.db.scalar("SELECT id FROM notes WHERE guid = ?", f"polar:r{i}") for i in (2, 0, 1)]


@pytest.mark.parametrize("batch", [write.ADD_BATCH, 300])
def test_new_notes_beside_a_note_from_a_clock_ahead_get_their_own_ids(tmp_path, col, monkeypatch, batch):
    """Anki numbers new notes by the clock, and a note made on a computer
    whose clock ran ahead has a larger id than the ones made now: each new
    note's id is the one Anki answers with, whatever its size."""
    monkeypatch.setattr(write, "ADD_BATCH", batch)
    ahead = col.new_note(col.models.by_name("Basic"))
    ahead["Front"] = "made on a computer with its clock a year ahead"
    col.add_note(ahead, 1)
    future = int(time.time() * 1000) + 365 * 86_400_000
    # (a note as such a computer's sync would bring it; no API sets an id)
    col.db.execute("UPDATE cards SET nid = ? WHERE nid = ?", future, ahead.id)
    col.db.execute("UPDATE notes SET id = ? WHERE id = ?", future, ahead.id)
    report = run(col, _library(tmp_path / "polar"), tmp_path / "state.sqlite")
    assert report.errors == [] and report.created == 2 * (CARDS // 2) + 3
    assert col.note_count() == report.created + 1  # nothing added twice
    by_guid = dict(col.db.all("SELECT guid, id FROM notes"))
    assert len(by_guid) == col.note_count()
    created = {c.note_id for c in report.changes if c.kind == "created"}
    assert created == {nid for nid in by_guid.values() if nid != future}
    assert any(nid < future for nid in created)


def test_state_rows_written_during_the_batches_are_the_state_one_call_leaves(tmp_path, col, monkeypatch):
    """The builder writes the new notes' state rows ahead, batch by batch
    (``state.StagedCards``): the state file ends as the plain path leaves it."""
    from addon.sync.state import StagedCards, SyncState

    library = _library(tmp_path / "polar")
    adds = []
    real_add = StagedCards.add
    monkeypatch.setattr(StagedCards, "add", lambda self, rows: (adds.append(len(rows)), real_add(self, rows))[1])
    monkeypatch.setattr(write, "ADD_BATCH", 300)
    run(col, library, tmp_path / "state.sqlite")
    assert len(adds) >= 4 and adds == sorted(adds)  # one per batch on the builder, the rest at commit
    staged = SyncState(tmp_path / "state.sqlite").all_cards()

    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        monkeypatch.setattr(write, "BATCHED_MIN", 10**9)  # one call, no staging
        adds.clear()
        run(other, library, tmp_path / "other-state.sqlite")
        assert adds == []
    finally:
        other.close()
    assert staged == SyncState(tmp_path / "other-state.sqlite").all_cards()



def test_the_rows_move_ahead_on_their_own_thread_and_are_all_in_before_the_commit(tmp_path, col, monkeypatch):
    """``StagedCards.move_ahead`` runs on a helper thread, neither the
    caller's (Anki's calls wait for nothing but Rust) nor the note
    builder's; each move is done before the write returns, so the commit
    finds every staged row either moved or left for it."""
    import threading

    from addon.sync.state import StagedCards, SyncState

    library = _library(tmp_path / "polar")
    monkeypatch.setattr(write, "ADD_BATCH", 300)
    moves, commits = [], []
    real_move, real_commit = StagedCards.move_ahead, SyncState.commit

    def move_ahead(self):
        time.sleep(0.02)  # a slow disk: the commit must still come after every move
        real_move(self)
        moves.append((threading.current_thread().name, self.moved))

    def commit(self, *args, **kwargs):
        commits.append(len(moves))
        return real_commit(self, *args, **kwargs)

    monkeypatch.setattr(StagedCards, "move_ahead", move_ahead)
    monkeypatch.setattr(SyncState, "commit", commit)
    report = run(col, library, tmp_path / "state.sqlite")
    assert report.errors == []
    names = {name for name, _ in moves}
    assert len(moves) == len(write.batch_sizes(report.created))  # one during each call
    assert len(names) == 1 and next(iter(names)).startswith("polar-sync-state")
    assert threading.current_thread().name not in names
    assert [moved for _, moved in moves] == sorted(moved for _, moved in moves)
    assert moves[-1][1] == report.created  # every row: the commit is left with the last call's note ids
    assert commits == [len(moves)]  # one commit, after the last move
    assert SyncState(tmp_path / "state.sqlite").card_count() == col.note_count()

@pytest.mark.parametrize("failing_call", [2, "last"])
def test_a_batch_that_fails_midway_leaves_a_state_the_next_sync_converges_from(tmp_path, col, monkeypatch,
                                                                                failing_call):
    """Also when the last call fails: the state rows were moved into the
    file's tables by then (StagedCards.move_ahead), and are rolled back."""
    from addon.sync.state import StagedCards, SyncState

    library = _library(tmp_path / "polar")
    state_path = tmp_path / "state.sqlite"
    monkeypatch.setattr(write, "ADD_BATCH", 300)
    fail_at = len(write.batch_sizes(CARDS - CARDS % 2)) if failing_call == "last" else failing_call
    calls = []
    real = write._run_add_notes
    moves = []
    real_move = StagedCards.move_ahead

    def move_ahead(self):
        real_move(self)
        moves.append(self.moved)

    monkeypatch.setattr(StagedCards, "move_ahead", move_ahead)

    def failing(col_, request):
        calls.append(1)
        if len(calls) == fail_at:
            raise RuntimeError("disk full")
        return real(col_, request)

    monkeypatch.setattr(write, "_run_add_notes", failing)
    with pytest.raises(RuntimeError):
        run(col, library, state_path)
    if failing_call == "last":
        assert max(moves) > CARDS // 2  # most rows were in the file's tables before the last call failed
    state = SyncState(state_path)
    assert state.card_count() == 0 and state.problem is None  # nothing staged was committed
    assert state.note_id_summary() == (0, 0)
    monkeypatch.setattr(write, "_run_add_notes", real)
    report = run(col, library, state_path)
    assert report.errors == []
    assert col.note_count() == 2 * (CARDS // 2) + 3  # the notes the failed sync made are taken over
    assert SyncState(state_path).card_count() == col.note_count()


@pytest.mark.parametrize("total", [1, 999, 1000, 1001, 2000, 2001, 6999, 7000, 7001, 50_000, 50_001])
def test_batch_sizes_add_every_note_small_first_and_last(total):
    sizes = write.batch_sizes(total)
    assert sum(sizes) == total and all(0 < n <= write.ADD_BATCH for n in sizes)
    assert sizes[0] == min(write.FIRST_BATCH, total)
    if total >= write.FIRST_BATCH + write.LAST_BATCH:  # (both below ADD_BATCH)
        assert sizes[-1] == write.LAST_BATCH
    # no more calls than the notes need
    assert len(sizes) <= 2 + -(-(total - sizes[0] - sizes[-1]) // write.ADD_BATCH) + (len(sizes) == 1)


def test_a_large_resync_leaves_the_state_the_plain_path_leaves(tmp_path, col, monkeypatch):
    """A resync that adds a large document to a collection an earlier sync
    filled: its rows go into the state file while Anki adds the notes
    (``StagedCards.move_ahead``), before the commit's deletes (an edited
    document's old rows, its removed cards, a gone document). The state
    ends as the one-call path leaves it, and every note-id hint is right."""
    import shutil

    from addon.sync.state import SyncState

    def edit_and_grow(root):
        gamma = Doc(root, "gamma", title="Gamma")
        for i in range(20):  # kept
            gamma.card(f"g{i:03d}", basic(f"<p>G {i}</p>", "back"))
        for i in range(20, 25):  # re-made by Polar with new ids
            gamma.card(f"h{i:03d}", basic(f"<p>G {i}</p>", "back"))
        gamma.write()  # g025-g029 deleted
        shutil.rmtree(root / "delta")  # a document gone
        epsilon = Doc(root, "epsilon", title="Epsilon")
        for i in range(CARDS):
            epsilon.card(f"e{i:04d}", basic(f"<p>E {i}</p>", f"back {i}"), page=1 + i % 5)
        epsilon.write()

    ends = []
    for name, batched_from in (("moved", write.BATCHED_MIN), ("plain", 10**9)):
        root = tmp_path / name / "polar"
        gamma = Doc(root, "gamma", title="Gamma")
        for i in range(30):
            gamma.card(f"g{i:03d}", basic(f"<p>G {i}</p>", "back"))
        gamma.write()
        delta = Doc(root, "delta", title="Delta")
        for i in range(10):
            delta.card(f"d{i:03d}", basic(f"<p>D {i}</p>", "back"))
        delta.write()
        target = col if name == "moved" else make_collection(tmp_path / name / "collection.anki2")
        state_path = tmp_path / name / "state.sqlite"
        try:
            assert run(target, root, state_path).errors == []
            edit_and_grow(root)
            moves = []
            real_move = state_module.StagedCards.move_ahead

            def move_ahead(self, real=real_move, moves=moves):
                real(self)
                moves.append(self.moved)

            monkeypatch.setattr(state_module.StagedCards, "move_ahead", move_ahead)
            monkeypatch.setattr(write, "BATCHED_MIN", batched_from)
            monkeypatch.setattr(write, "ADD_BATCH", 300)
            report = run(target, root, state_path)
            assert report.errors == [] and (report.created, report.rekeyed) == (CARDS, 5)
            assert bool(moves and max(moves) > 0) == (name == "moved")
            state = SyncState(state_path)
            by_guid = dict(target.db.all("SELECT guid, id FROM notes"))
            hints = state.note_ids(by_guid)
            assert hints == {g: nid for g, nid in by_guid.items() if g in hints} and len(hints) == len(by_guid)
            ends.append((state.all_cards(), sorted(hints)))
        finally:
            if target is not col:
                target.close()
    assert ends[0] == ends[1]
    cards = ends[0][0]
    assert {"g025", "d000"} <= set(cards) and cards["g025"].orphaned and cards["d000"].orphaned
    assert not cards["h020"].orphaned and cards["e0000"].doc == "epsilon"


def _roles_writing(nt):
    return SimpleNamespace(types={"basic": nt}, decks={"default": 1}, renamed={}, rows=[], heads={}, new_tags={})


# Every role a field can have (write._new_note's one pass against
# wanted_fields): stock Basic and Cloze (the block in the answer), a stock
# type whose question shows "Back" (no block), the own types (context parts
# in fields of their own), a field Polar does not manage, a localised type.
@pytest.mark.parametrize("names,own,question", [
    (["Front", "Back"], False, frozenset()),
    (["Text", "Back Extra"], False, frozenset()),
    (["Front", "Back"], False, frozenset({"back"})),
    (["Front", "Back", "Source", "Highlight", "Image", "Comments"], True, frozenset()),
    (["Front", "Back", "Mine", "Add Reverse"], False, frozenset()),
    (["Vorderseite", "Rückseite"], False, frozenset()),
])
@pytest.mark.parametrize("back,highlight", [("", "the highlight"), ("an answer é", ""), ("中🙂", "x" * 200)])
def test_a_new_note_made_in_one_pass_is_what_wanted_fields_gives(names, own, question, back, highlight):
    from addon.render.card import RenderedCard
    from addon.render.context import Context
    from addon.sync.notetypes import NoteTypeRef
    from addon.sync.read import CardMeta

    nt = NoteTypeRef(1_700_000_000_001, "T", names, own, question_fields=question)  # type: ignore[arg-type]
    ctx = Context('<span class="polar-title">Doc</span> · p. 3', highlight, "", "")
    rc = RenderedCard("c1", "basic", "<b>front</b> é", back, ctx, ("deck:x", "t"), (), (), None)
    c = Create(rc=rc, doc="d", deck="Default", kind="basic", meta=CardMeta("text-highlight:h", "BASIC", "2020"))
    one = _roles_writing(nt)
    fast = write._new_note(one, c, rc)  # type: ignore[arg-type]
    assert fast.entry is not None and fast.fields == []
    other = _roles_writing(nt)
    general = write._new_note_general(other, c, nt, rc, 1)  # type: ignore[arg-type]
    assert general.entry is None
    assert fast.entry == write._wire_note(general)
    assert one.rows == other.rows and fast.tags == general.tags and fast.guid == general.guid


def test_a_lone_surrogate_takes_the_general_way():
    from addon.render.card import RenderedCard
    from addon.render.context import EMPTY_CONTEXT
    from addon.sync.notetypes import NoteTypeRef

    nt = NoteTypeRef(5, "Basic", ["Front", "Back"], False)  # type: ignore[arg-type]
    rc = RenderedCard("c1", "basic", "lone \ud800", "", EMPTY_CONTEXT, (), (), (), None)
    w = _roles_writing(nt)
    n = write._new_note(w, Create(rc=rc, doc="d", deck="Default", kind="basic"), rc)  # type: ignore[arg-type]
    assert n.entry is None and n.fields == ["lone \ud800", ""] and len(w.rows) == 1


@pytest.mark.parametrize("check", ["media", "database"])
def test_a_check_anki_runs_while_the_sync_writes_lets_it_finish(tmp_path, check):
    """Tools ▸ Check Media and Check Database clear Anki's undo queue. Run
    in Anki while a sync adds its notes (Anki's backend takes either
    between two of the sync's calls), the sync's last step, which folds its
    writes into one "Sync from Polar" undo step, failed: "target undo op not
    found" (InvalidInput), told as "an unexpected error in the add-on", the
    notes made and the sync state not written. Now the sync finishes; the
    undo step Anki cleared is simply gone (reliability.md, round 5)."""
    from addon.settings import Settings
    from addon.sync.engine import sync
    from tests.conftest import make_collection
    from tests.polar_factory import copy_sample_library

    lib = copy_sample_library(tmp_path / "lib")
    col = make_collection(tmp_path / "c" / "collection.anki2")
    checked: List[str] = []

    def progress(message: str, *_: Any, **__: Any) -> None:
        if message.startswith("Adding") and not checked:
            checked.append(message)
            col.media.check() if check == "media" else col.fix_integrity()

    try:
        settings, _ = Settings.from_dict({})
        report = sync(col, settings, tmp_path / "state.sqlite", source_path=lib, progress=progress)
        assert checked and report.created == 6 and not report.errors, report.to_dict()
        again = sync(col, settings, tmp_path / "state.sqlite", source_path=lib)
        assert not again.changed and again.unchanged == 6
    finally:
        col.close()
