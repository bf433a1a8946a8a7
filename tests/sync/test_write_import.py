"""New notes through Anki's foreign-data import (``write.add_notes``): the
same notes, cards and due positions as ``add_notes`` makes, matched on guid
only, one undo step, the user's import settings and the schema untouched."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest

from addon.sync import write
from addon.sync.identity import guid_for
from addon.sync.plan import Create
from addon.sync.state import NoteIdChanges
from addon.sync.write import NewNote
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

CARDS = write.IMPORT_MIN + 60  # enough for the import path


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


def test_imported_notes_are_what_add_notes_makes(tmp_path, col, monkeypatch):
    library = _library(tmp_path / "polar")
    t0 = int(time.time())
    report = run(col, library, tmp_path / "state.sqlite")
    t1 = int(time.time())
    assert report.errors == [] and report.created == 2 * (CARDS // 2) + 3
    imported = _snapshot(col)

    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        monkeypatch.setattr(write, "IMPORT_MIN", 10**9)  # everything through add_notes
        assert run(other, library, tmp_path / "other-state.sqlite").created == report.created
        assert _snapshot(other) == imported
    finally:
        other.close()
    assert len(imported[0]) == report.created
    assert col.db.scalar("SELECT count() FROM notes WHERE sfld = 'The same front'") == 2
    assert col.db.scalar("SELECT min(mod) FROM notes") >= t0
    assert col.db.scalar("SELECT max(mod) FROM notes") <= t1 + 1
    # The report's note ids are the notes the import created.
    ids = {c.note_id for c in report.changes if c.note_id}
    assert ids == set(col.find_notes(""))


def test_import_is_one_undo_step_and_leaves_settings_and_schema(tmp_path, col):
    col.set_config("csvDuplicateResolution", 1)  # the user's CSV import choices
    col.set_config("matchScope", 1)
    schema = col.db.scalar("SELECT scm FROM col")
    library = _library(tmp_path / "polar")
    report = run(col, library, tmp_path / "state.sqlite")
    assert report.created > write.IMPORT_MIN
    assert col.get_config("csvDuplicateResolution") == 1 and col.get_config("matchScope") == 1
    assert col.db.scalar("SELECT scm FROM col") == schema
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert col.note_count() == 0
    assert col.undo_status().undo != "Sync from Polar"


@pytest.mark.parametrize("first", ["", "lone \ud800 surrogate"])
def test_what_the_import_cannot_take_goes_through_add_notes(col, first):
    nt = col.models.by_name("Basic")
    assert nt is not None

    def create(front: str, guid: str):
        c = Create(rc=None, doc="d", deck="Default", kind="basic")  # type: ignore[arg-type]
        return c, NewNote([front, "back"], ["t"], guid, nt["id"], 1)

    ok, odd = create("fine", "polar:ok"), create(first, "polar:odd")
    w = SimpleNamespace(col=col, ids=NoteIdChanges(), newest=None)
    rest = write._import(w, write._batch([ok, odd]), write._import_options(col))  # type: ignore[arg-type]
    assert [n.guid for _, n in rest] == ["polar:odd"]
    assert ok[0].note_id == col.db.scalar("SELECT id FROM notes WHERE guid = 'polar:ok'")
    assert w.ids.made == [("polar:ok", ok[0].note_id)]  # for the state's note-id hints
    if not first:  # an empty first field is a note add_notes takes as it is
        write._add(w, rest)  # type: ignore[arg-type]
        assert odd[0].note_id == col.db.scalar("SELECT id FROM notes WHERE guid = 'polar:odd'")
        assert w.ids.made[1:] == [("polar:odd", odd[0].note_id)]


def _message(text: bytes) -> bytes:
    """A serialised ``String`` of ``text``, as Anki's protobuf makes it."""
    from anki.generic_pb2 import String

    return String(val=text.decode("utf-8")).SerializeToString()


# Texts of 127, 128, 16,384 bytes (where the length takes one more byte) and beyond Latin-1.
@pytest.mark.parametrize("note", ['"é"', '"' + "x" * 113 + '"', '"' + "x" * 114 + '"', '"' + "x" * 16370 + '"',
                                  '"' + "中🙂" * 70000 + '"', '{"a": 1}'])
def test_import_request_is_the_message_anki_would_serialise(note):
    note_bytes = note.encode("utf-8")
    text = b'{"notes":[' + note_bytes + b"]}"
    assert write._request([note_bytes], {}) == _message(text)
    assert write._message_text(write._request([note_bytes], {})) == text


@pytest.mark.parametrize("raw", [True, False])
def test_the_request_imports_with_or_without_the_raw_call(col, monkeypatch, raw):
    """The backend's raw import takes the serialised request as it is; where
    an Anki lacked it, the same request goes through ``import_json_string``."""
    import orjson

    if not raw:
        monkeypatch.setattr(col._backend, "import_json_string_raw", None, raising=False)
    mid, did = int(col.models.id_for_name("Basic")), int(col.decks.id("Default"))
    notes = [{"guid": f"polar:r{i}", "fields": [f"front {i} é中🙂", "back"], "tags": ["t"],
              "notetype": mid, "deck": did} for i in range(3)]
    write._run_import(col, _message(orjson.dumps({"notes": notes, **write._import_options(col)})))
    assert col.db.all("SELECT guid, flds, tags FROM notes ORDER BY guid") == [
        [f"polar:r{i}", f"front {i} é中🙂\x1fback", " t "] for i in range(3)]


@pytest.mark.parametrize("batch", [write.IMPORT_BATCH, 300])
@pytest.mark.parametrize("clock_ahead", [True, False])
def test_new_notes_below_a_note_from_a_clock_ahead_are_found_by_guid(tmp_path, col, monkeypatch, batch, clock_ahead):
    """Anki numbers new notes by the clock; a note made on a computer whose
    clock ran ahead has a larger id than the ones the import makes now. The
    sync reads the new ids back above the newest id before each import (the
    first one's read, the next ones' the largest id read back): the notes it
    misses that way are found by guid, never added twice."""
    monkeypatch.setattr(write, "IMPORT_BATCH", batch)
    guid_lookups = []
    real_guid_ids = write.guid_ids
    monkeypatch.setattr(write, "guid_ids", lambda col_, guids: (guid_lookups.append(len(guids)),
                                                                real_guid_ids(col_, guids))[1])
    ahead = col.new_note(col.models.by_name("Basic"))
    ahead["Front"] = "made on a computer with its clock a year ahead"
    col.add_note(ahead, 1)
    future = int(time.time() * 1000) + 365 * 86_400_000 if clock_ahead else ahead.id
    # (a note as such a computer's sync would bring it; no API sets an id)
    col.db.execute("UPDATE cards SET nid = ? WHERE nid = ?", future, ahead.id)
    col.db.execute("UPDATE notes SET id = ? WHERE id = ?", future, ahead.id)
    report = run(col, _library(tmp_path / "polar"), tmp_path / "state.sqlite")
    assert report.errors == [] and report.created == 2 * (CARDS // 2) + 3
    assert col.note_count() == report.created + 1  # nothing added twice
    by_guid = dict(col.db.all("SELECT guid, id FROM notes"))
    assert len(by_guid) == col.note_count()
    ids = sorted(c.note_id for c in report.changes if c.kind == "created")
    assert ids == sorted(nid for nid in by_guid.values() if nid != future)
    # Only the notes that landed below the clock-ahead one (Anki gives a
    # few of each import a number from the clock) were looked for by guid.
    assert sum(guid_lookups) == sum(nid < future for nid in ids)
    assert (sum(guid_lookups) > 0) == clock_ahead


def test_state_rows_written_during_the_import_are_the_state_add_notes_leaves(tmp_path, col, monkeypatch):
    """The builder writes the new notes' state rows ahead, batch by batch
    (``state.StagedCards``): the state file ends as the plain path leaves it."""
    from addon.sync.state import StagedCards, SyncState

    library = _library(tmp_path / "polar")
    adds = []
    real_add = StagedCards.add
    monkeypatch.setattr(StagedCards, "add", lambda self, rows: (adds.append(len(rows)), real_add(self, rows))[1])
    monkeypatch.setattr(write, "IMPORT_BATCH", 300)
    run(col, library, tmp_path / "state.sqlite")
    assert len(adds) >= 4 and adds == sorted(adds)  # one per batch on the builder, the rest at commit
    staged = SyncState(tmp_path / "state.sqlite").all_cards()

    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        monkeypatch.setattr(write, "IMPORT_MIN", 10**9)  # add_notes, no staging
        adds.clear()
        run(other, library, tmp_path / "other-state.sqlite")
        assert adds == []
    finally:
        other.close()
    assert staged == SyncState(tmp_path / "other-state.sqlite").all_cards()


def test_an_import_that_fails_midway_leaves_a_state_the_next_sync_converges_from(tmp_path, col, monkeypatch):
    from addon.sync.state import SyncState

    library = _library(tmp_path / "polar")
    state_path = tmp_path / "state.sqlite"
    monkeypatch.setattr(write, "IMPORT_BATCH", 300)
    calls = []
    real = write._run_import

    def failing(col_, request):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        real(col_, request)

    monkeypatch.setattr(write, "_run_import", failing)
    with pytest.raises(RuntimeError):
        run(col, library, state_path)
    state = SyncState(state_path)
    assert state.card_count() == 0 and state.problem is None  # nothing staged was committed
    monkeypatch.setattr(write, "_run_import", real)
    report = run(col, library, state_path)
    assert report.errors == []
    assert col.note_count() == 2 * (CARDS // 2) + 3  # the notes the failed sync made are taken over
    assert SyncState(state_path).card_count() == col.note_count()


@pytest.mark.parametrize("count", [1, 3, 2000])
def test_the_request_joined_from_each_notes_json_is_the_whole_texts(col, count):
    """The builder makes each note's JSON, the collection thread joins them:
    byte for byte the message of the whole text as one ``orjson.dumps``."""
    import orjson

    nt = col.models.by_name("Basic")
    pairs = [(Create(rc=None, doc="d", deck="Default", kind="basic"),  # type: ignore[arg-type]
              NewNote([f"front {i} é中🙂 \"q\"", "x" * (i % 300)], ["t", f"u{i % 7}"], f"polar:j{i}", nt["id"], 1))
             for i in range(count)]
    options = write._import_options(col)
    whole = orjson.dumps({"notes": [{"guid": n.guid, "fields": n.fields, "tags": n.tags, "notetype": int(n.notetype),
                                     "deck": int(n.deck)} for _, n in pairs], **options})
    batch = write._batch(pairs)
    request = write._request(batch.notes, options)
    assert request == _message(whole)
    assert write._message_text(request) == whole
    assert all(n.fields == [] for _, n in batch.sent)  # the text is in the request only


def test_a_note_the_importer_skips_goes_through_add_notes_with_its_fields(tmp_path, col, monkeypatch):
    """The builder lets go of a sent note's fields (they are in the request);
    should the importer leave a note out, add_notes still gets all of it."""
    import orjson

    real = write._run_import

    def drop_one(col_, request):
        payload = orjson.loads(write._message_text(request))
        payload["notes"] = [n for n in payload["notes"] if n["guid"] != guid_for("a0007")]
        real(col_, _message(orjson.dumps(payload)))

    monkeypatch.setattr(write, "_run_import", drop_one)
    report = run(col, _library(tmp_path / "polar"), tmp_path / "state.sqlite")
    assert report.errors == [] and report.created == 2 * (CARDS // 2) + 3 == col.note_count()
    flds, tags = col.db.first("SELECT flds, tags FROM notes WHERE guid = ?", guid_for("a0007"))
    assert flds.startswith("<p>Front 7 <b>bold</b>") and "t3" in tags.split()
