"""A card that could not be synced is reported on every sync until it is
fixed, not only the first: an unchanged document is not read again, so its
still-missing card must come from what the last read remembered."""

from __future__ import annotations

from tests.polar_factory import Doc, basic, cloze
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync


def _errors_for(report, key):
    return sorted((e["path"], e["message"]) for e in report.errors if e["path"].startswith(key + "/"))


def test_unsynced_card_is_reported_until_fixed(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    broken = Doc(lib, "1UnsyncedDoc", "Broken", tags=["deck:Work"])
    broken.card("1UnsyncedOk", basic("fine", "a"))
    broken.card("1UnsyncedBad", cloze("no deletion here"), "CLOZE")
    broken.write()
    Doc(lib, "1UnsyncedOther", "Other").card("1UnsyncedO1", basic("other", "b")).write()

    first = run_sync(col, lib, state)
    assert first.created == 2
    expected = [("1UnsyncedDoc/state.json#1UnsyncedBad", "cloze card has no deletion {{c1::...}}")]
    assert _errors_for(first, "1UnsyncedDoc") == expected

    # Study meanwhile; nothing in Polar changes.
    col.decks.select(col.decks.id_for_name("Work"))
    col.sched.answerCard(col.sched.getCard(), 3)
    studied = StudyData.of(col)
    for _ in range(2):
        again = run_sync(col, lib, state)
        assert again.parsed == 0 and not again.changed  # the document was not read ...
        assert _errors_for(again, "1UnsyncedDoc") == expected  # ... and the card is still reported

    # Another document changing does not hide it either.
    Doc(lib, "1UnsyncedOther", "Other").card("1UnsyncedO1", basic("other, edited", "b")).write()
    other = run_sync(col, lib, state)
    assert other.parsed == 1 and _errors_for(other, "1UnsyncedDoc") == expected

    # Fixed in Polar: synced, and no longer reported.
    _, raw = broken.find_card("1UnsyncedBad")
    raw["fields"] = cloze("now with a {{c1::deletion}}")
    broken.write()
    fixed = run_sync(col, lib, state)
    assert fixed.created == 1 and _errors_for(fixed, "1UnsyncedDoc") == []
    assert _errors_for(run_sync(col, lib, state), "1UnsyncedDoc") == []
    assert StudyData.of(col).revlog == studied.revlog
    assert integrity_problems(col) == []


def test_document_that_disappears_takes_its_problems_along(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1UnsyncedGone", "Gone")
    doc.card("1UnsyncedGoneOk", basic("ok", "a")).card("1UnsyncedGoneBad", basic("", "empty front"))
    doc.write()
    Doc(lib, "1UnsyncedStays", "Stays").card("1UnsyncedStaysC", basic("q", "a")).write()
    assert _errors_for(run_sync(col, lib, state), "1UnsyncedGone")
    doc.remove()
    assert _errors_for(run_sync(col, lib, state), "1UnsyncedGone") == []
    assert _errors_for(run_sync(col, lib, state), "1UnsyncedGone") == []
