"""The record of what the syncs wrote (``plan.WRITTEN_KEY``, collection
config that AnkiWeb carries to the other computers): Anki sends a changed
config key whole, and asks add-ons to keep a key to a few kilobytes."""

from __future__ import annotations

import json

from addon.sync.plan import WRITTEN_KEY
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run


def test_the_record_of_what_syncs_wrote_stays_a_few_kilobytes(col, library, state_path):
    """Every card of a 400-card book edited in Polar: the record, rewritten
    and sent to AnkiWeb by every sync that writes, held ~140 bytes for each
    of the last 1,000 notes written (~140 KB); it keeps the latest notes
    only, within 16 KB."""
    doc = Doc(library, "book1", title="A long book", tags=["physics"])
    for i in range(400):
        doc.card(f"c{i}", basic(f"What does law {i} of the long book say about motion?", f"Answer {i}"))
    doc.write()
    run(col, library, state_path)
    for i in range(400):
        doc.edit_card(f"c{i}", f"c{i}e", basic(f"What does law {i} of the long book say about motion?",
                                                 f"Answer {i}, corrected"))
    doc.write()
    report = run(col, library, state_path)
    assert report.updated == 400
    record = col.get_config(WRITTEN_KEY)
    assert 0 < len(record) < 400
    assert len(json.dumps(record)) <= 16 * 1024, len(json.dumps(record))
    last = col.find_notes('"back:Answer 399, corrected*"')
    assert str(last[0]) in record  # the latest notes written are the ones kept
