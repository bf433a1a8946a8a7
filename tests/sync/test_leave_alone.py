"""Notes left alone for one sync (open in an Anki editor): nothing of theirs
is written, their document is not remembered as synced, and the next sync
merges them three-way against the same base as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from addon.render.context import split_block
from addon.settings import Settings
from addon.sync.engine import collection_identity, prepare, sync
from addon.sync.identity import guid_for
from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import Doc, basic

DOC_B = "1DocB00000000000000000bb"


def run(col, lib: Path, state: Path, leave_alone=(), only=None, **config):
    settings, warnings = Settings.from_dict(config)
    assert not warnings, warnings
    prepared = prepare(settings, state, source_path=lib, only=only, collection_id=collection_identity(col))
    return prepared.apply(col, leave_alone=set(leave_alone))


def nid_of(col, card_id: str) -> int:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(card_id)]
    assert len(nids) == 1, f"{card_id}: {nids}"
    return nids[0]


@pytest.fixture
def lib(tmp_path, col, state_path):
    root = tmp_path / "polar"
    b = Doc(root, DOC_B, "Doc B", tags=["deck:Books/B"])
    b.card("1CardB0001", basic("B1 front", "B1 back"))
    b.card("1CardB0002", basic("B2 front", "B2 back"))
    b.write()
    assert run(col, root, state_path).created == 2
    return root, b


def edit_in_anki(col, nid: int, field: str, value: str) -> None:
    note = col.get_note(nid)
    note[field] = value
    col.update_note(note)


def test_a_note_left_alone_is_not_written_and_merges_next_time(col, lib, state_path):
    root, b = lib
    held = nid_of(col, "1CardB0001")
    edit_in_anki(col, held, "Back", "typed in the Browser")
    mod = col.get_note(held).mod
    _, raw = b.find_card("1CardB0001")
    raw["fields"]["front"]["HTML"] = "B1 front, edited in Polar"
    _, raw2 = b.find_card("1CardB0002")
    raw2["fields"]["front"]["HTML"] = "B2 front, edited in Polar"
    b.card("1CardB0003", basic("B3 front", "B3 back"))
    b.write()

    report = run(col, root, state_path, leave_alone={held})
    assert report.deferred == {held: DOC_B}
    assert (report.created, report.updated, report.conflicts) == (1, 1, [])
    note = col.get_note(held)
    assert note.fields[:2] == ["B1 front", "typed in the Browser"] and note.mod == mod
    assert "B2 front, edited in Polar" in col.get_note(nid_of(col, "1CardB0002"))["Front"]
    assert "left for later" in report.summary()

    # The editor let go: the same document is read again (its state was not
    # kept) and merged field by field: Polar's front, the user's back.
    report = run(col, root, state_path, only={DOC_B})
    assert report.parsed == 1 and report.updated == 1 and not report.deferred and not report.conflicts
    note = col.get_note(held)
    # (the context block after the user's text is the add-on's, regenerated)
    assert "B1 front, edited in Polar" in note["Front"] and split_block(note["Back"])[0] == "typed in the Browser"
    again = run(col, root, state_path)
    assert again.parsed == 0 and not again.changed


def test_an_unchanged_note_in_an_editor_defers_nothing(col, lib, state_path):
    root, b = lib
    b.card("1CardB0003", basic("B3 front", "B3 back"))
    b.write()
    report = run(col, root, state_path, leave_alone={nid_of(col, "1CardB0001")})
    assert report.created == 1 and not report.deferred
    assert run(col, root, state_path).parsed == 0  # the document was remembered


def test_a_polar_edit_of_a_held_note_is_rekeyed_later(col, lib, state_path):
    root, b = lib
    held = nid_of(col, "1CardB0001")
    b.edit_card("1CardB0001", "1CardB0001x", basic("B1 edited", "B1 back"))
    b.write()
    report = run(col, root, state_path, leave_alone={held})
    assert report.deferred == {held: DOC_B} and report.rekeyed == 0
    assert col.get_note(held).guid == guid_for("1CardB0001") and col.note_count() == 2

    report = run(col, root, state_path)
    assert report.rekeyed == 1 and col.note_count() == 2
    assert nid_of(col, "1CardB0001x") == held and "B1 edited" in col.get_note(held)["Front"]


def test_a_held_note_of_a_deleted_document_is_tagged_later(col, lib, state_path):
    root, b = lib
    held = nid_of(col, "1CardB0001")
    other = nid_of(col, "1CardB0002")
    keep = Doc(root, "1DocC00000000000000000cc", "Doc C")  # the library must not be empty
    keep.card("1CardC0001", basic("C1", "C1"))
    keep.write()
    b.remove()
    report = run(col, root, state_path, leave_alone={held})
    assert report.deferred == {held: DOC_B} and report.orphaned == 1
    assert col.get_note(other).has_tag(ORPHAN_TAG) and not col.get_note(held).has_tag(ORPHAN_TAG)

    report = run(col, root, state_path)
    assert report.orphaned == 1 and col.get_note(held).has_tag(ORPHAN_TAG)
    assert not run(col, root, state_path).changed


def test_a_held_note_of_a_card_deleted_under_the_delete_policy_is_deleted_later(col, lib, state_path):
    """Under "delete", a card gone from Polar whose note is open in an editor:
    the note stays for now, and its state row too (not dropped with the
    card), so the next sync deletes it, once, and remembers no card."""
    root, b = lib
    held = nid_of(col, "1CardB0001")
    b.delete_card("1CardB0001")
    b.write()
    policy = {"deletion_policy": "delete", "delete_max_share": 1.0}
    report = run(col, root, state_path, leave_alone={held}, **policy)
    assert report.deferred == {held: DOC_B} and report.deleted == 0
    assert col.get_note(held) is not None and col.note_count() == 2

    report = run(col, root, state_path, **policy)
    assert report.deleted == 1 and col.note_count() == 1
    assert not run(col, root, state_path, **policy).changed
    b.card("1CardB0001", basic("B1 front", "B1 back"))  # back in Polar (an undo there): made again
    b.write()
    assert run(col, root, state_path, **policy).created == 1 and col.note_count() == 2


def test_a_held_note_keeps_the_record_of_what_the_sync_suspended(col, lib, state_path):
    """A note set aside under "suspend" whose card the user had suspended
    themselves (the sync suspended nothing, and remembers so), then the
    policy turned to "delete" while the note is open in an editor: nothing
    of it is written, and its suspension record stays with its row. The
    policy back and the card back in Polar, the note is restored and the
    user's suspension stays (without the record every suspended card of the
    note would come back, as for a note of an older version)."""
    root, b = lib
    held = nid_of(col, "1CardB0001")
    col.sched.suspend_cards([c.id for c in col.get_note(held).cards()])
    num, raw = b.find_card("1CardB0001")
    b.delete_card("1CardB0001").write()
    assert run(col, root, state_path, deletion_policy="suspend").orphaned == 1
    b.card("1CardB0002", basic("B2 front", "B2 back, edited")).write()
    report = run(col, root, state_path, leave_alone={held}, deletion_policy="delete", delete_max_share=1.0)
    assert report.deferred == {held: DOC_B} and report.deleted == 0 and report.updated == 1
    b.page(num)["flashcards"]["1CardB0001"] = raw
    b.write()
    report = run(col, root, state_path, deletion_policy="suspend")
    assert report.restored == 1 and not col.get_note(held).has_tag(ORPHAN_TAG)
    assert {c.queue for c in col.get_note(held).cards()} == {-1}  # the user's suspension


def test_a_held_note_whose_card_comes_back_keeps_the_edit_made_in_its_editor(col, lib, state_path):
    """The same, the card back in Polar (an undo there) before the next sync,
    the note edited in the editor that held it: its row was kept, so the
    edit is merged against it (kept, no conflict), not taken for a note no
    sync recorded."""
    root, b = lib
    held = nid_of(col, "1CardB0001")
    b.delete_card("1CardB0001")
    b.write()
    policy = {"deletion_policy": "delete", "delete_max_share": 1.0}
    assert run(col, root, state_path, leave_alone={held}, **policy).deferred == {held: DOC_B}
    edit_in_anki(col, held, "Back", "B1 back, as I typed it")
    b.card("1CardB0001", basic("B1 front", "B1 back"))
    b.write()
    report = run(col, root, state_path, **policy)
    assert (report.deleted, report.created) == (0, 0) and not report.to_dict()["conflicts"], report.to_dict()
    assert split_block(col.get_note(held)["Back"])[0] == "B1 back, as I typed it"
    assert not run(col, root, state_path, **policy).changed


def test_sync_without_editors_is_unchanged(col, lib, state_path):
    root, b = lib
    _, raw = b.find_card("1CardB0001")
    raw["fields"]["back"]["HTML"] = "new back"
    b.write()
    settings, _ = Settings.from_dict({})
    report = sync(col, settings, state_path, source_path=root)
    assert report.updated == 1 and report.deferred == {} and report.to_dict()["deferred"] == 0


def test_a_note_shown_in_the_reviewer_is_written_but_set_aside_later(col, lib, state_path):
    """``set_aside_later`` (the reviewer's card): Polar's edit of it is
    written; its deletion waits (an answer given during the write would
    take the card out of the suspension again) and is done by the next
    sync of its document."""
    root, b = lib
    shown, other = nid_of(col, "1CardB0001"), nid_of(col, "1CardB0002")
    _, raw = b.find_card("1CardB0001")
    raw["fields"]["front"]["HTML"] = "B1 front, edited in Polar"
    b.write()
    settings, _ = Settings.from_dict({})
    prepared = prepare(settings, state_path, source_path=root, collection_id=collection_identity(col))
    report = prepared.apply(col, set_aside_later={shown})
    assert report.updated == 1 and not report.deferred
    assert "B1 front, edited in Polar" in col.get_note(shown)["Front"]

    b.delete_card("1CardB0001").delete_card("1CardB0002")
    b.write()
    prepared = prepare(settings, state_path, source_path=root, collection_id=collection_identity(col))
    report = prepared.apply(col, set_aside_later={shown})
    assert report.deferred == {shown: DOC_B} and report.orphaned == 1
    assert not col.get_note(shown).has_tag(ORPHAN_TAG) and col.get_note(other).has_tag(ORPHAN_TAG)
    assert all(c.queue >= 0 for c in col.get_note(shown).cards())

    report = run(col, root, state_path, only={DOC_B})
    assert report.orphaned == 1 and col.get_note(shown).has_tag(ORPHAN_TAG)
    assert all(c.queue == -1 for c in col.get_note(shown).cards())
    assert not run(col, root, state_path).changed
