"""Years of use, counted: what the sync state keeps grows with the notes,
never with the syncs. Documents come and go in Polar, the notes they leave
(suspended) are deleted by the person in Anki, cards are edited and deleted
in Polar and deleted in Anki; after a warm-up the state's rows do not grow
round by round, and a sync after an edit in Anki stays on its cheap path
(the state's rows agree with the collection's Polar notes by count)."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run

ROUNDS = 12
WARM_UP = 3
CHECKING = "Checking the collection against the last sync…"


def _rows(state: Path) -> Dict[str, int]:
    conn = sqlite3.connect(state)
    try:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                  if t != "journal"]  # (the journal keeps its last 30 syncs: journal.KEEP)
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def _polar_notes(col: Any) -> int:
    return len(col.find_notes("tag:polar"))


def _round(col: Any, lib: Path, state: Path, number: int, deleted_in_anki: str) -> List[str]:
    """A document of two cards comes, the one before goes (its notes
    suspended); the person deletes the suspended notes in Anki and one live
    note. Returns what the last sync said."""
    doc = Doc(lib, f"1YearsChurn{number:010d}", title=f"Churn {number}", pages=1)
    doc.card(f"1YearsChurnA{number:05d}", basic(f"<p>Churn {number} A</p>", "<p>A</p>"), page=1)
    doc.card(f"1YearsChurnB{number:05d}", basic(f"<p>Churn {number} B</p>", "<p>B</p>"), page=1)
    doc.write()
    if number:
        shutil.rmtree(lib / f"1YearsChurn{number - 1:010d}")
    run(col, lib, state, deleted_in_anki=deleted_in_anki)
    live = [n for n in col.find_notes("tag:polar -is:suspended")
            if col.get_note(n).guid != guid_for("1YearsKeptCard01")]
    col.remove_notes(list(col.find_notes("is:suspended")) + live[:1])
    run(col, lib, state, deleted_in_anki=deleted_in_anki)
    # AnkiWeb's sync numbers the notes: the next sync cannot trust the notes'
    # fingerprint, and counts them instead (the cheap path when the state agrees).
    col.db.execute("UPDATE notes SET usn = ?", number + 1)
    said: List[str] = []
    settings, _ = Settings.from_dict({"deleted_in_anki": deleted_in_anki})
    again = sync(col, settings, state, source_path=lib, progress=said.append)
    assert not again.changed, again.to_dict()
    return said


@pytest.mark.parametrize("deleted_in_anki", ["make_again", "leave_deleted"])
def test_documents_that_come_and_go_leave_no_rows_behind_their_deleted_notes(
        col: Any, tmp_path: Path, deleted_in_anki: str) -> None:
    lib, state = tmp_path / "polar", tmp_path / "state.sqlite"
    kept = Doc(lib, "1YearsKeptDocument01", title="Kept", pages=1)
    kept.card("1YearsKeptCard01", basic("<p>Kept</p>", "<p>A</p>"), page=1)
    kept.write()
    seen = []
    for number in range(ROUNDS):
        said = _round(col, lib, state, number, deleted_in_anki)
        rows = _rows(state)
        seen.append(rows)
        # Every card row is a Polar note of the collection's (or one left deleted).
        assert rows["cards"] == _polar_notes(col), (number, rows, _polar_notes(col))
        assert rows["suspended_by_sync"] == len(col.find_notes("is:suspended")), (number, rows)
        assert CHECKING not in said, (number, said)
    grown = {t: seen[-1][t] - seen[WARM_UP][t] for t in seen[-1] if seen[-1][t] > seen[WARM_UP][t]}
    if deleted_in_anki == "leave_deleted":
        # The person's own deletions, one a round, kept by design after their
        # document goes (state.commit: back from a restore, they stay deleted).
        assert grown.pop("left_deleted") == ROUNDS - 1 - WARM_UP
    assert not grown, (grown, seen[WARM_UP], seen[-1])


def test_a_set_aside_note_deleted_and_brought_back_by_undo_is_not_called_another_tool_s(
        col: Any, tmp_path: Path) -> None:
    """Its row goes with the note (above); Anki's Undo brings the note back
    after a sync that changed nothing: the note still carries the sync's own
    tag, so it is remembered without a word, not reported as "made by
    another tool"."""
    lib, state = tmp_path / "polar", tmp_path / "state.sqlite"
    kept = Doc(lib, "1YearsKeptDocument01", title="Kept", pages=1)
    kept.card("1YearsKeptCard01", basic("<p>Kept</p>", "<p>A</p>"), page=1)
    kept.write()
    gone = Doc(lib, "1YearsGoneDocument01", title="Gone", pages=1)
    gone.card("1YearsGoneCard01", basic("<p>Gone</p>", "<p>A</p>"), page=1)
    gone.write()
    run(col, lib, state)
    gone.remove()
    assert run(col, lib, state).orphaned == 1
    set_aside = list(col.find_notes("is:suspended"))
    col.remove_notes(set_aside)
    assert not run(col, lib, state).changed
    assert _rows(state)["cards"] == 1
    col.undo()  # (the deletion: the sync before changed nothing, so made no step)
    assert list(col.find_notes("is:suspended")) == set_aside
    back = run(col, lib, state)
    assert not [w for w in back.warnings if w.get("code") == "foreign_notes"], back.warnings
    assert not back.changed
    again = run(col, lib, state)
    assert not again.warnings and not again.changed
    # A Polar note of another tool's is still said.
    other = col.new_note(col.models.by_name("Basic"))
    other.guid, other["Front"] = guid_for("1YearsOtherTool01"), "Other"
    col.add_note(other, col.decks.id("Default"))
    said = run(col, lib, state)
    assert [w.get("count") for w in said.warnings if w.get("code") == "foreign_notes"] == [1]
