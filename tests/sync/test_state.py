"""The state file: card rows staged ahead of the commit (``StagedCards``)."""

from __future__ import annotations

import sqlite3

from addon.sync.state import CardState, DocState, NoteIdChanges, SyncState


def _row(i: int, doc: str = "d1", fields: tuple = ("h1", "h2"), orphaned: bool = False) -> CardState:
    return CardState(f"c{i:05d}", doc, f"polar:c{i:05d}", "text-highlight:x", "BASIC", "2020-01-01",
                     fields, ("t\u00e9g", 'q"uote'), orphaned)


def _commit(state: SyncState, rows, staged=None) -> None:
    state.commit(docs=[DocState("d1", 1, 2, "sha", "Deck", True)], cards=rows, replace_docs=["d1"],
                 drop_docs=[], drop_cards=[], staged=staged)


def _table(path) -> list:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM cards ORDER BY card_id").fetchall()


def _staging_after(path, rows):
    """A state file holding one synced row, and a new sync's staging of ``rows``."""
    state = SyncState(path, "col")
    _commit(state, [_row(1)])
    staged = state.stage()
    assert staged is not None
    staged.add(rows)
    return state, staged


def test_staged_rows_commit_exactly_as_the_rows_themselves(tmp_path):
    rows = [_row(i) for i in range(300)]
    rows.append(_row(7, fields=("later",)))  # a card id met twice: its last row counts
    rows.append(_row(400, doc="d2", orphaned=True))
    plain = SyncState(tmp_path / "plain.sqlite", "col")
    _commit(plain, rows)

    state = SyncState(tmp_path / "staged.sqlite", "col")
    staged = state.stage()
    assert staged is not None
    grown: list = []
    for part in (rows[:120], rows[120:250]):  # as the note builder adds them, batch by batch
        grown += part
        staged.add(grown)
    assert staged.count == 250
    _commit(state, rows, staged)  # the rest goes in at commit
    assert staged.conn is None
    assert _table(tmp_path / "staged.sqlite") == _table(tmp_path / "plain.sqlite")
    assert state.all_cards()["c00007"].fields == ("later",)
    assert len(state.all_cards()) == 301


def test_the_state_file_is_untouched_and_readable_until_the_commit(tmp_path):
    path = tmp_path / "state.sqlite"
    state, staged = _staging_after(path, [_row(i) for i in range(2, 500)])
    # Another reader (the card viewer's source link) is neither blocked nor shown half a sync.
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0)
    assert reader.execute("SELECT count(*) FROM cards").fetchone()[0] == 1
    reader.close()
    _commit(state, [_row(i) for i in range(2, 500)], staged)
    assert SyncState(path, "col").card_count() == 498


def test_making_rows_ready_needs_neither_the_file_nor_its_lock(tmp_path):
    """The note builder's share (add, add_ids) is plain Python: it goes on
    while another writer holds the file, and the commit writes what it made."""
    path = tmp_path / "state.sqlite"
    state = SyncState(path, "col")
    _commit(state, [_row(1)])
    staged = state.stage()
    assert staged is not None
    rows = [_row(i) for i in range(2, 50)]
    other = sqlite3.connect(path, timeout=0)
    other.execute("BEGIN EXCLUSIVE")  # any SQL on the file would now fail at once ("database is locked")
    try:
        staged.add(rows[:30])
        staged.add(rows)
        staged.add_ids([("polar:c00002", 7)])
    finally:
        other.rollback()
        other.close()
    assert (staged.count, staged.id_count, staged.moved) == (48, 1, 0) and staged.conn is not None
    state.commit(docs=[DocState("d1", 1, 2, "sha", "Deck", True)], cards=rows, replace_docs=["d1"], drop_docs=[],
                 drop_cards=[], staged=staged, note_ids=NoteIdChanges(made=[("polar:c00002", 7), ("polar:c00003", 8)]))
    assert sorted(state.all_cards()) == [f"c{i:05d}" for i in range(2, 50)]
    assert state.note_ids(["polar:c00002", "polar:c00003"]) == {"polar:c00002": 7, "polar:c00003": 8}


def test_a_first_sync_that_stops_before_its_commit_leaves_a_valid_empty_state(tmp_path):
    path = tmp_path / "state.sqlite"
    staged = SyncState(path, "col", "settings-key").stage()
    assert staged is not None and path.exists()
    staged.add([_row(i) for i in range(10)])
    staged.close()  # the write failed: no commit
    again = SyncState(path, "col", "settings-key")
    assert again.documents() == {} and again.card_count() == 0
    assert again.problem is None and path.exists()  # not discarded with a warning
    assert again.meta("settings") == "settings-key"


def test_no_stage_without_a_state_file(tmp_path):
    assert SyncState(None).stage() is None


def test_note_id_hints_staged_and_committed_are_the_same_as_committed(tmp_path):
    from addon.sync.state import NoteIdChanges

    made = [(f"polar:c{i:05d}", 1000 + i) for i in range(300)]
    plain = SyncState(tmp_path / "plain.sqlite", "col")
    plain.commit(docs=[], cards=[], replace_docs=[], drop_docs=[], drop_cards=[], note_ids=NoteIdChanges(made=made))
    state = SyncState(tmp_path / "staged.sqlite", "col")
    staged = state.stage()
    assert staged is not None
    staged.add_ids(made[:120])  # as the note builder adds them, import by import
    assert staged.id_count == 120
    changes = NoteIdChanges(made=made, keyed=[("polar:new", 5)], gone=[("polar:c00003", 1003), ("polar:c00004", 1)],
                            removed=[1003])
    state.commit(docs=[], cards=[], replace_docs=[], drop_docs=[], drop_cards=[], staged=staged, note_ids=changes)
    hints = state.note_ids([g for g, _ in made] + ["polar:new"])
    assert len(hints) == 300 and "polar:c00003" not in hints  # gone
    assert hints["polar:c00004"] == 1004  # another note's (guid, id) pair left it alone
    assert hints["polar:new"] == 5
    assert plain.note_ids([g for g, _ in made]) == dict(made)
    assert state.note_id_summary() == (300, sum(hints.values()))


def test_note_id_hints_made_anew_in_a_new_file_leave_it_valid(tmp_path):
    path = tmp_path / "state.sqlite"
    assert SyncState(path, "col", "key").replace_note_ids({"polar:a": 1, "polar:b": 2})
    again = SyncState(path, "col", "key")
    assert again.note_id_summary() == (2, 3)
    assert again.problem is None and again.documents() == {}  # stamped: not discarded with a warning
    assert not SyncState(None).replace_note_ids({"polar:a": 1})


def _resync_commit(state: SyncState, rows, staged=None, drop_cards=(), changes=None) -> None:
    state.commit(docs=[DocState("d1", 3, 4, "sha2", "Deck", True), DocState("d2", 5, 6, "sha3", "Deck", True)],
                 cards=rows, replace_docs=["d1"], drop_docs=["d3"], drop_cards=list(drop_cards), staged=staged,
                 note_ids=changes)


def _ids(path) -> list:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT * FROM note_ids ORDER BY guid").fetchall()


def test_rows_moved_ahead_commit_exactly_as_the_rows_themselves(tmp_path):
    """move_ahead puts the staged rows into the file's tables before the
    commit's deletes: those must still remove only the rows that were there
    (a replaced document's, a dropped card's, a gone document's), never this
    sync's, and the note-id hints must end the same."""
    from addon.sync.state import NoteIdChanges

    before = [_row(i) for i in range(40)] + [_row(i, doc="d2") for i in range(40, 60)] + [_row(99, doc="d3")]
    rows = [_row(i, fields=("new",)) for i in range(10, 70)]  # re-made, new, and one from d2 moved to d1
    rows.append(_row(12, fields=("last",)))  # met twice: its last row counts
    rows.append(_row(45, doc="d1"))  # a card of d2 now in d1
    made = [(f"polar:c{i:05d}", 2000 + i) for i in range(10, 70)]

    def changes() -> NoteIdChanges:
        return NoteIdChanges(made=list(made), keyed=[("polar:k", 7)], gone=[("polar:c00001", 1001)], removed=[1001])

    ends = []
    for name, ahead in (("plain", False), ("staged", False), ("ahead", True)):
        path = tmp_path / f"{name}.sqlite"
        state = SyncState(path, "col")
        _commit(state, before)
        state.commit(docs=[], cards=[], replace_docs=[], drop_docs=[], drop_cards=[],
                     note_ids=NoteIdChanges(made=[(f"polar:c{i:05d}", 1000 + i) for i in range(40)]))
        staged = None
        if name != "plain":
            staged = state.stage()
            assert staged is not None
            staged.add(rows[:50])
            staged.add_ids(made[:30])
            if ahead:
                staged.move_ahead()
                assert staged.rowid_bound is not None and staged.moved == 50 and staged.moved_ids == 30
                staged.add(rows[:55])  # more rows and ids after the move: into the same transaction
                staged.add_ids(made[:45])
                bound = staged.rowid_bound
                staged.move_ahead()  # a move after each of Anki's adds: only what is new
                assert (staged.moved, staged.moved_ids, staged.rowid_bound) == (55, 45, bound)
                staged.add(rows[:58])  # and the commit moves the rest
        # d1 replaced; c00030 dropped though re-made (kept: this sync's row), c00005 dropped
        _resync_commit(state, rows, staged, drop_cards=["c00005", "c00030"], changes=changes())
        ends.append((_table(path), _ids(path)))
    assert ends[0] == ends[1] == ends[2]
    cards = {row[0]: row for row in ends[2][0]}
    assert "c00005" not in cards and "c00099" not in cards  # dropped; its document gone
    assert all(f"c{i:05d}" not in cards for i in range(0, 10))  # d1's rows not re-made
    assert cards["c00030"][6] == '["new"]' and cards["c00012"][6] == '["last"]'
    assert cards["c00045"][1] == "d1"


def test_a_move_ahead_is_invisible_to_readers_and_undone_without_its_commit(tmp_path):
    path = tmp_path / "state.sqlite"
    state, staged = _staging_after(path, [_row(i) for i in range(2, 300)])
    staged.move_ahead()
    staged.add([_row(i) for i in range(2, 400)])  # no commit of its own now
    staged.add_ids([("polar:x", 5)])
    # The card viewer's source link still reads the file as the last sync left it.
    reader = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0)
    assert reader.execute("SELECT count(*) FROM cards").fetchone()[0] == 1
    reader.close()
    staged.close()  # the write failed after the move: no commit
    again = SyncState(path, "col")
    assert again.card_count() == 1 and again.problem is None
    assert again.note_id_summary() == (0, 0)


def test_a_move_ahead_that_fails_leaves_every_row_to_the_commit(tmp_path):
    rows = [_row(i) for i in range(2, 60)]
    state, staged = _staging_after(tmp_path / "state.sqlite", rows[:30])
    assert staged.conn is not None
    # The move's insert fails (as a full disk would make it); the commit's connection is another.
    staged.conn.execute("CREATE TEMP TRIGGER full BEFORE INSERT ON main.cards BEGIN SELECT RAISE(ABORT, 'full'); END")
    staged.move_ahead()
    assert staged.conn is None and staged.rowid_bound is None  # given up, and rolled back
    _commit(state, rows, staged)
    assert sorted(state.all_cards()) == [r.card_id for r in rows]


def test_problems_for_a_few_documents_or_most_of_them_alike(tmp_path):
    # A resync asks for every unchanged document's problems: past a few keys
    # the table is read in one pass instead of by key; the answers agree.
    state = SyncState(tmp_path / "state.sqlite", "col")
    docs = [DocState(f"doc{i:03d}", 1, 2, "sha", "Deck", True) for i in range(120)]
    problems = {
        "doc007": [{"path": "a.json#c1", "message": "first"}, {"path": "a.json#c2", "message": "second",
                                                               "code": "card_problem", "card": "c2"}],
        "doc100": [{"path": "b.json", "message": "not a readable Polar document: bad"}],
        "doc119": [{"path": "c.json", "message": "third"}],
    }
    state.commit(docs=docs, cards=[], replace_docs=[d.key for d in docs], drop_docs=[], drop_cards=[],
                 problems=problems)
    many = [d.key for d in docs if d.key != "doc119"]
    few = ["doc007", "doc100", "doc050"]
    expected = {"doc007": problems["doc007"], "doc100": problems["doc100"]}
    assert state.problems_for(many) == expected  # (doc119 not asked for: not given)
    assert state.problems_for(few) == expected
    assert state.problems_for(["doc050"]) == {} and state.problems_for([]) == {}


def test_card_rows_write_each_rows_own_tags_as_json(tmp_path):
    import json

    from addon.sync.state import _card_rows

    runs = [("a", "t\u00e9g"), ("a", "t\u00e9g"), ("b",), ("a", "t\u00e9g"), (), ('q"uote',), ('q"uote',)]
    rows = [CardState(f"c{i}", "d1", f"g{i}", "r", "BASIC", "x", ("h",), tags, False) for i, tags in enumerate(runs)]
    assert [json.loads(r[7]) for r in _card_rows(rows, [])] == [list(t) for t in runs]
    assert [r[7] for r in _card_rows(rows, [])] == [json.dumps(list(t)) for t in runs]


def test_deck_homes_are_committed_journaled_and_rolled_back(tmp_path):
    """``deck_homes``: made, cleared, gone with a dropped document; a
    generation's pre-images of its documents' rows and of the documents
    whose home it only records are put back by a roll-back."""
    from addon.sync.state import DeckHome, DeckHomes

    path = tmp_path / "s.sqlite"
    state = SyncState(path, "col")
    docs = [DocState(k, 1, 2, "sha", "Deck", True) for k in ("d1", "d2", "d3")]
    state.commit(docs=docs, cards=[], replace_docs=[], drop_docs=[], drop_cards=[],
                 homes=DeckHomes(made={"d1": DeckHome(10, "Deck"), "d2": DeckHome(10, "Deck")}))
    assert state.deck_homes() == {"d1": DeckHome(10, "Deck"), "d2": DeckHome(10, "Deck")}
    assert state.deck_home_outline() == ({DeckHome(10, "Deck")}, {"d3"})

    gen = state.next_generation(["d1", "d2"], [], homes=["d3"])
    assert gen is not None and gen.homes == ["d3"]
    state.commit(docs=[], cards=[], replace_docs=["d1"], drop_docs=["d2"], drop_cards=[], generation=gen,
                 homes=DeckHomes(made={"d3": DeckHome(11, "Deck")}, cleared=["d1"]))
    assert state.deck_homes() == {"d3": DeckHome(11, "Deck")}  # d2's went with the document
    assert state.roll_back(0) == {"d1", "d2"}
    assert state.deck_homes() == {"d1": DeckHome(10, "Deck"), "d2": DeckHome(10, "Deck")}


def test_a_renamed_profiles_state_is_taken_over_and_nothing_else_is(tmp_path):
    """Switch Profile ▸ Rename: the state file is named after the profile,
    so the renamed profile's first sync found none (every record lost: Anki
    edits, renamed decks, what the sync suspended). The file of this very
    collection whose profile is no more becomes the new name's, with its
    export cache; another collection's, a live profile's, or two candidates
    are left alone."""
    from addon.sync.collection_view import notes_present
    from addon.sync.identity import collection_identity
    from addon.sync.state import take_over_renamed
    from tests.conftest import make_collection
    from tests.polar_factory import Doc, basic
    from tests.sync.helpers import note_of, run

    files = tmp_path / "user_files"
    files.mkdir()
    old, new = files / "state-Old.sqlite", files / "state-New.sqlite"
    col = make_collection(tmp_path / "col" / "collection.anki2")
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        library = tmp_path / "polar"
        Doc(library, "1RenamedProfile00000001", title="R", tags=["deck:R"]).card(
            "1RP1", basic("question", "answer")).write()
        run(col, library, old)
        run(other, library, files / "state-Other.sqlite")
        (files / "state-Old.export-cache.sqlite").write_bytes(b"cache")
        note = note_of(col, "1RP1")
        note["Front"] = "question, mine"
        col.update_note(note)
        ident = collection_identity(col)
        assert collection_identity(other) == ident  # made the same day: the day alone tells nothing

        def has(pairs):
            return notes_present(col, pairs)

        assert take_over_renamed(new, ident, [new, old], has) is None  # "Old" is still a profile
        assert take_over_renamed(new, "", [new], has) is None
        assert take_over_renamed(files / "state-Other.sqlite", ident, [], has) is None  # exists already
        assert take_over_renamed(new, ident, [new], has) == old  # not Other's: none of its notes here
        assert new.exists() and not old.exists()
        assert (files / "state-New.export-cache.sqlite").read_bytes() == b"cache"
        assert (files / "state-Other.sqlite").exists()  # another collection's: left alone

        report = run(col, library, new)
        assert not report.changed and not report.conflicts and not report.warnings
        assert note_of(col, "1RP1")["Front"] == "question, mine"
        import shutil

        shutil.copy(new, files / "state-Copy.sqlite")  # two fit: whose is which cannot be told
        assert take_over_renamed(files / "state-Third.sqlite", ident, [], has) is None
    finally:
        col.close()
        other.close()


def _rowids(path) -> dict:
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT card_id, rowid FROM cards"))


def test_rows_as_stored_are_left_in_place_and_the_rest_replaced_as_before(tmp_path):
    """``as_stored``: the rows a sync would write exactly as they are stored
    stay (same rowid: not written again), their layouts too; the file ends
    as a commit of every row would leave it."""
    first = [_row(i) for i in range(40)] + [_row(i, doc="d2") for i in range(40, 50)]
    # Cards 0-29 as stored; 30-34 changed; 35-39 gone from d1; a new one; 7 met twice, last as stored.
    second = [_row(i) for i in range(30)] + [_row(i, fields=("new", "h2")) for i in range(30, 35)]
    second += [_row(7, fields=("between",)), _row(7), _row(60)]
    kept = {f"c{i:05d}" for i in range(30)}

    def run(path, as_stored):
        state = SyncState(path, "col")
        state.commit(docs=[DocState("d1", 1, 2, "sha", "Deck", True), DocState("d2", 1, 2, "sha", "Deck", True)],
                     cards=first, replace_docs=["d1", "d2"], drop_docs=[], drop_cards=[])
        before = _rowids(path)
        state.commit(docs=[DocState("d1", 3, 4, "sha", "Deck", True)], cards=second, replace_docs=["d1"],
                     drop_docs=[], drop_cards=[], as_stored=as_stored)
        return state, before, _rowids(path)

    everything, left = tmp_path / "every.sqlite", tmp_path / "left.sqlite"
    run(everything, frozenset())
    state, before, after = run(left, kept)
    assert _table(left) == _table(everything)
    with sqlite3.connect(left) as a, sqlite3.connect(everything) as b:
        layouts = "SELECT * FROM layouts ORDER BY card_id"
        assert a.execute(layouts).fetchall() == b.execute(layouts).fetchall()
    assert {cid for cid in kept if after[cid] == before[cid]} == kept
    assert all(after[f"c{i:05d}"] != before[f"c{i:05d}"] for i in range(30, 35))
    assert "c00035" not in after and "c00060" in after and "c00045" in after
    assert state.all_cards()["c00031"].fields == ("new", "h2")


def test_a_damaged_state_file_is_set_aside_whole_and_said(tmp_path, col):
    """A state file SQLite cannot read (a disk's error, a copy cut short):
    the sync rebuilds it from the notes and says so, naming the file, and
    the damaged file is kept beside it (``.bad-<time>``), its bytes as they
    were, for the person or a helper to look at: never deleted."""
    from tests.polar_factory import Doc, basic
    from tests.sync.helpers import run

    root, state = tmp_path / "polar", tmp_path / "state.sqlite"
    Doc(root, "1StateBad000000000000000", "Bad state").card("1CardSB001", basic("front", "back")).write()
    run(col, root, state)
    damaged = b"not a database, " * 64
    state.write_bytes(damaged)
    report = run(col, root, state)
    assert [(w["code"], w["path"]) for w in report.warnings] == [("state_rebuilt", str(state))]
    assert "state.sqlite" in report.warnings[0]["message"]
    aside = list(tmp_path.glob("state.sqlite.bad-*"))
    assert [p.read_bytes() for p in aside] == [damaged]
    assert (report.created, report.orphaned) == (0, 0) and len(col.find_notes("")) == 1


def test_a_row_rewritten_by_an_older_release_holds_its_layout_once(tmp_path):
    """A release of 30 November - 3 December (before the layouts table)
    writes a card's row with its layout tag as the last of its hashes, and
    leaves a newer release's layouts row beside it (a downgrade, and back,
    c58cee1): the row reads with that
    tag once, as the sync wrote it, not twice (an extra "field" that makes
    its note look changed in every field count)."""
    import json

    state = SyncState(tmp_path / "s.sqlite", "c1")
    row = CardState("c1", "d1", "g1", "r", "BASIC", "x", ("h1", "h2", "@b1"), ("t",), False)
    state.commit(docs=[DocState("d1", 1, 1, "s", "D", True)], cards=[row], replace_docs=["d1"], drop_docs=[],
                 drop_cards=[])
    assert SyncState(tmp_path / "s.sqlite", "c1").cards_for(["d1"])["c1"].fields == ("h1", "h2", "@b1")
    conn = sqlite3.connect(str(tmp_path / "s.sqlite"))
    with conn:
        conn.execute("UPDATE cards SET fields = ? WHERE card_id = 'c1'", (json.dumps(["h1", "h2", "@b1"]),))
    conn.close()
    again = SyncState(tmp_path / "s.sqlite", "c1")
    assert again.cards_for(["d1"])["c1"].fields == ("h1", "h2", "@b1")
    assert [json.loads(f) for _, _, f in again.live_fields(["d1"])] == [["h1", "h2", "@b1"]]
