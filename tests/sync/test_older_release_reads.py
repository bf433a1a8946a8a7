"""The sync state as an older release of the add-on reads it (a user who
updated and went back, tools/upgrade_walk.py): each row of ``cards`` holds
exactly one hash per field of its note. Releases before the layout tags
(before 2026-12-03, e.g. a8fa689's ``plan.Planner.update``: ``base_hashes =
list(base.fields) if len(base.fields) == len(names) else None``) take a row
of another length for "nothing remembered" and write Polar's text over every
field that differs: a Back edited in Anki was replaced, with no conflict
said. The layout tag lives in the ``layouts`` table; rows written with it
inline (releases of 2026-12-03 to -05) are still read with it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.sync import notetypes
from addon.sync import state as state_module
from addon.sync.state import SyncState
from tests.polar_factory import basic
from tests.sync.helpers import note_of, run
from tests.sync.test_lifecycle import two_documents


def rows(state: Path) -> Dict[str, List[str]]:
    with sqlite3.connect(state) as db:
        return {guid: json.loads(fields) for guid, fields in db.execute("SELECT guid, fields FROM cards")}


def layouts(state: Path) -> Dict[str, str]:
    with sqlite3.connect(state) as db:
        return dict(db.execute("SELECT card_id, layout FROM layouts"))


def assert_one_hash_per_field(col: Any, state: Path) -> None:
    stored = rows(state)
    assert stored
    for guid, hashes in stored.items():
        nids = col.db.list("SELECT id FROM notes WHERE guid = ?", guid)
        assert len(nids) == 1, guid
        assert len(hashes) == len(col.get_note(nids[0]).fields), (guid, hashes)
        assert not [h for h in hashes if h.startswith(notetypes.LAYOUT_MARK)], (guid, hashes)


def test_the_layout_mark_is_the_note_types_one():
    assert state_module.LAYOUT_MARK == notetypes.LAYOUT_MARK


@pytest.mark.parametrize("stock", [True, False], ids=["stock", "own"])
def test_each_row_holds_one_hash_per_field_of_its_note(col, tmp_path, state_path, stock):
    """A first sync (rows moved ahead while Anki adds), a resync that edits
    and adds (rows written by the commit) and a sync after an Undo (the
    journal's pre-images put back): every row one hash per field, and the
    layouts read back with the rows as before."""
    root, a, _ = two_documents(tmp_path / "polar")
    assert run(col, root, state_path, use_stock_note_types=stock).created == 5
    assert_one_hash_per_field(col, state_path)
    cards = SyncState(state_path).all_cards()
    assert all(c.fields[-1].startswith(notetypes.LAYOUT_MARK) for c in cards.values())
    assert set(layouts(state_path)) == set(cards)

    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back, edited</p>"), ref="text-highlight:1HlA000002")
    a.card("1CardA0009", basic("<p>A new one</p>", "<p>Its back</p>"), ref="text-highlight:1HlA000002")
    a.write()
    report = run(col, root, state_path, use_stock_note_types=stock)
    assert (report.created, report.updated) == (1, 1)
    assert_one_hash_per_field(col, state_path)
    assert set(layouts(state_path)) == set(SyncState(state_path).all_cards())

    col.undo()
    run(col, root, state_path, use_stock_note_types=stock)
    assert_one_hash_per_field(col, state_path)
    cards = SyncState(state_path).all_cards()
    assert all(c.fields[-1].startswith(notetypes.LAYOUT_MARK) for c in cards.values())
    assert set(layouts(state_path)) == set(cards)
    again = run(col, root, state_path, use_stock_note_types=stock)
    assert (again.created, again.updated, again.conflicts) == (0, 0, [])


def test_a_row_with_its_layout_inline_is_read_with_it(col, tmp_path, state_path):
    """Rows as releases of 2026-12-03 to -05 wrote them (the tag the last
    hash; a ``layouts`` row left by this release before them is stale): read
    with the row's own tag, nothing to do, an Anki edit kept; the next write
    of the row takes the tag out again."""
    root, a, _ = two_documents(tmp_path / "polar")
    run(col, root, state_path)
    cards = SyncState(state_path).all_cards()
    with sqlite3.connect(state_path) as db:
        for card in cards.values():
            db.execute("UPDATE cards SET fields = ? WHERE card_id = ?", (json.dumps(list(card.fields)), card.card_id))
        db.execute("UPDATE layouts SET layout = '@qq'")
    assert SyncState(state_path).all_cards() == cards
    note = note_of(col, "1CardA0001")
    note["Back"] = "my own answer" + note["Back"]
    col.update_note(note)
    report = run(col, root, state_path)
    assert (report.created, report.updated, report.conflicts) == (0, 0, [])
    assert note_of(col, "1CardA0001")["Back"].startswith("my own answer")

    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back, edited</p>"), ref="text-highlight:1HlA000002")
    a.write()
    assert run(col, root, state_path).updated == 1
    assert note_of(col, "1CardA0001")["Back"].startswith("my own answer")
    row = rows(state_path)[note_of(col, "1CardA0002").guid]
    assert not [h for h in row if h.startswith(notetypes.LAYOUT_MARK)]


def test_a_column_a_later_release_adds_does_not_stop_this_one(col, tmp_path, state_path):
    """This release as the older one: a later release added a column (with a
    default) to every table of the state; every write here names its
    columns, so the syncs go on (before: "table cards has 10 columns but 9
    values were supplied", every sync failed)."""
    root, a, b = two_documents(tmp_path / "polar")
    run(col, root, state_path)
    with sqlite3.connect(state_path) as db:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            db.execute(f"ALTER TABLE {table} ADD COLUMN later TEXT NOT NULL DEFAULT 'x'")
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back, edited</p>"), ref="text-highlight:1HlA000002")
    a.card("1CardA0009", basic("<p>A new one</p>", "<p>Its back</p>"), ref="text-highlight:1HlA000002")
    a.write()
    b.delete_card("1CardB0002")
    b.write()
    report = run(col, root, state_path)
    assert (report.created, report.updated, report.orphaned, report.errors) == (1, 1, 1, [])
    col.undo()
    again = run(col, root, state_path)
    assert not again.errors and "A2 back, edited" in note_of(col, "1CardA0002")["Back"]
    assert run(col, root, state_path).changed is False
    assert_one_hash_per_field(col, state_path)
