"""Collections with years behind them (dev-notes/beside.md, "Collections with
years behind them"): what a long-time user's collection holds that a fresh one
does not.

A collection last studied in an Anki of before ~2.1.45 that was never given
the scheduler update (its deck list offers it) still runs Anki's v1 scheduler:
Anki 23.10 and later open it with a stand-in scheduler, and their Rust refuses
to move or suspend any of its cards (``SchedulerUpgradeRequired``). Made here
as the current Anki makes a collection, with ``schedVer`` set to 1, the one
thing that differs for these steps (the same failure was seen on a collection
made and studied by anki 2.1.35 from PyPI, opened by 23.10.1 and 26.9.3: that
Anki needs Python 3.8 and its own Rust wheel, too costly for CI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from addon.gui import i18n
from addon.gui.report_text import explain
from addon.settings import Settings
from addon.sync.engine import collection_identity, prepare
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic

DOC_A = "1OldSchedDocA000000000aa"
DOC_B = "1OldSchedDocB000000000bb"


def run(col, lib: Path, state: Path, **config):
    settings, _ = Settings.from_dict({"delete_max_share": 1, **config})
    prepared = prepare(settings, state, source_path=lib, collection_id=collection_identity(col))
    return prepared.apply(col)


def nid_of(col, card_id: str) -> int:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(card_id)]
    assert len(nids) == 1, f"{card_id}: {nids}"
    return nids[0]


def cards_of(col, card_id: str):
    return [col.get_card(c) for c in col.get_note(nid_of(col, card_id)).card_ids()]


def to_v1_scheduler(col) -> None:
    """As a collection Anki 2.1.x left on its first scheduler."""
    col.set_config("schedVer", 1)
    col._load_scheduler()
    assert col.sched_ver() == 1


def scheduling(col):
    return col.db.all("SELECT id, did, queue, type, due, ivl, factor, reps, lapses FROM cards ORDER BY id")


@pytest.fixture
def lib(tmp_path, col, state_path):
    root = tmp_path / "polar"
    a = Doc(root, DOC_A, "Doc A", tags=["deck:Books/A"])
    a.card("1OldA00001", basic("A1 front", "A1 back"))
    a.write()
    b = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"])
    b.card("1OldB00001", basic("B1 front", "B1 back"))
    b.card("1OldB00002", basic("B2 front", "B2 back"))
    b.write()
    assert run(col, root, state_path).created == 3
    return root, a, b


def test_v1_scheduler_moves_and_suspensions_wait_for_the_update(col, lib, state_path):
    root, a, b = lib
    to_v1_scheduler(col)
    revlog = col.db.scalar("SELECT count() FROM revlog")
    before = scheduling(col)
    # In Polar: Doc A gets another deck, Doc B is deleted, Doc A a new card.
    a.untag("deck:Books/A")
    a.tag("deck:Books/Moved")
    a.card("1OldA00002", basic("A2 front", "A2 back"))
    a.write()
    b.remove()

    # The old code: Anki's SchedulerUpgradeRequired failed the whole sync.
    report = run(col, root, state_path)
    assert [p["code"] for p in report.warnings] == ["old_scheduler"]
    assert report.created == 1  # the rest was synced
    assert "old scheduler" in report.summary()
    row = report.warnings[0]
    assert row["count"] == 3 and explain(row).startswith("This collection still uses Anki's old scheduler")
    i18n.force("de")
    try:
        assert "alten Zeitplaner" in explain(row) and "3 Notizen" in explain(row)
    finally:
        i18n.force(None)
    # Nothing moved, nothing suspended, nothing lost.
    assert [row for row in scheduling(col) if row in before] == before
    assert col.db.scalar("SELECT count() FROM revlog") == revlog
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::A"}
    assert all(c.queue != -1 for c in cards_of(col, "1OldB00001") + cards_of(col, "1OldB00002"))

    # Again before the update: the same, no error, nothing new.
    again = run(col, root, state_path)
    assert [p["code"] for p in again.warnings] == ["old_scheduler"] and again.created == 0

    # Anki's deck list's update (a schema change Anki asks for itself), then a sync.
    col.mod_schema(check=False)
    col.upgrade_to_v2_scheduler()
    col.set_v3_scheduler(True)
    after = run(col, root, state_path)
    assert not after.warnings
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::Moved"}
    assert all(c.queue == -1 for c in cards_of(col, "1OldB00001") + cards_of(col, "1OldB00002"))
    assert not run(col, root, state_path).changed


def test_v1_scheduler_a_sync_without_moves_says_nothing(col, lib, state_path):
    root, a, _ = lib
    to_v1_scheduler(col)
    a.card("1OldA00002", basic("A2 front", "A2 back"))
    a.write()
    report = run(col, root, state_path)
    assert report.created == 1 and not report.warnings


def test_the_report_names_a_long_standing_deck_as_anki_spells_it(tmp_path, col, state_path):
    """A deck the user made years ago, "Books::Philosophy", and Polar's tag
    ``deck:books/philosophy``: one deck in Anki (names are one deck whatever
    their case), which the report called "books::philosophy"."""
    col.decks.id("Books::Philosophy")
    root = tmp_path / "polar"
    doc = Doc(root, DOC_A, "Doc A", tags=["deck:books/philosophy"])
    doc.card("1OldA00001", basic("A1 front", "A1 back"))
    doc.write()
    for dry_run in (True, False):
        settings, _ = Settings.from_dict({})
        prepared = prepare(settings, state_path, source_path=root, collection_id=collection_identity(col))
        report = prepared.apply(col, dry_run=dry_run)
        assert report.decks == {"Books::Philosophy"}, dry_run
        assert [c.deck for c in report.changes] == ["Books::Philosophy"]
        assert "decks: Books::Philosophy" in report.summary()
    assert {col.decks.name(c.did) for c in cards_of(col, "1OldA00001")} == {"Books::Philosophy"}
    assert sorted(d.name for d in col.decks.all_names_and_ids()) == ["Books", "Books::Philosophy", "Default"]
