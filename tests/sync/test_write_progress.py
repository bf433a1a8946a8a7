"""What the write says while it runs (the progress window, and the quiet
tooltip of a background sync, put it in the reader's language): the adds
had their count ("Adding notes… 4,000/8,000"), the updates, moves and
suspensions only "Updating notes…" for all of them. Real Anki collections."""

from __future__ import annotations

from typing import List

from addon.settings import Settings
from addon.sync.engine import sync
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run

BIG = 4500


def test_the_write_counts_its_updates_moves_and_suspensions(col, tmp_path, state_path):
    root = tmp_path / "polar"
    doc = Doc(root, "1WriteProgressBook000000", "A big book", tags=["deck:Books/Old"])
    for i in range(BIG):
        doc.card(f"1WriteP{i:05d}", basic(f"<p>Question {i}?</p>", f"<p>Answer {i}</p>"))
    doc.write()
    assert run(col, root, state_path).created == BIG
    seen: List[str] = []
    for i in range(BIG):
        doc.find_card(f"1WriteP{i:05d}")[1]["fields"]["back"]["HTML"] = f"<p>Answer {i}, revised</p>"
    doc.untag("deck:Books/Old").tag("deck:Books/New")
    doc.write()
    report = sync(col, Settings(), state_path, source_path=root, progress=seen.append)
    assert report.updated == BIG
    assert "Updating 4,500 notes…" in seen, seen
    assert [m for m in seen if m.startswith("Updating notes… ")] == ["Updating notes… 2,000/4,500",
                                                                     "Updating notes… 4,000/4,500"]
    assert "Moving 4,500 cards…" in seen, seen
    assert not any(m.startswith("Updating notes…") and "/" not in m for m in seen)  # no count: gone
    assert not any(m.startswith("Adding") for m in seen), seen  # it said "Adding 0 notes…"
    seen.clear()
    for i in range(12):
        doc.delete_card(f"1WriteP{i:05d}")
    doc.write()
    assert sync(col, Settings(), state_path, source_path=root, progress=seen.append).orphaned == 12
    assert "Suspending 12 cards…" in seen and not any(m.startswith("Updating") for m in seen), seen
    seen.clear()
    for i in range(12):
        doc.card(f"1WriteP{i:05d}", basic(f"<p>Question {i}?</p>", f"<p>Answer {i}, revised</p>"))
    doc.write()
    assert sync(col, Settings(), state_path, source_path=root, progress=seen.append).restored == 12
    assert "Unsuspending 12 cards…" in seen and "Updating 12 notes…" in seen, seen
