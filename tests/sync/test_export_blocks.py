"""Polar 3's flashcards in a 2.x export (``block/`` records, read by
``polar.blocks``), synced into real collections: a migrated card is never
made twice, an edit made in Polar 3 updates the note in place (its reviews
kept), a card made there is new, one deleted there goes the way the deletion
settings say, and a resync changes nothing. docs/dev-notes/blocks.md."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.settings import Settings
from addon.sync.engine import sync
from tests.polar_factory import Doc, basic
from tools.polar_export import EXPORT_NAME, block_basic, library_metas, migrate_to_blocks, write_export

SPACED = "1SpacedRepetitionIntro0a"  # the sample document with three cards (two on highlights)
ASKED = "polar:1FcA1b2C3d"  # its card on the highlight of page 1
CLOZE = "polar:1FcE4f5G6h"  # its cloze on the highlight of page 2
ORPHAN = "polar:1FcJ7k8L9m"  # its card whose highlight is gone from the DocMeta (never copied)
QUOTE = "Spaced repetition schedules each review just before the memory would fade."


def run(col, source: Path, state: Path, **settings):
    return sync(col, Settings(**settings), state, source_path=source)


def fields(col) -> Dict[str, List[str]]:
    return {col.get_note(n).guid: list(col.get_note(n).fields) for n in col.find_notes("")}


def note_of(col, guid: str):
    [nid] = [n for n in col.find_notes("") if col.get_note(n).guid == guid]
    return col.get_note(nid)


def review(col, guid: str) -> int:
    """Give the note's first card a review history (as studying does)."""
    card = note_of(col, guid).cards()[0]
    card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 21, col.sched.today + 21, 3
    col.update_card(card)
    return card.id


def split(metas: List[Dict[str, Any]], fp: str):
    doc = next(m for m in metas if m["docInfo"]["fingerprint"] == fp)
    return doc, [m for m in metas if m is not doc]


def export_of(tmp_path: Path, name: str, metas, blocks=(), versions=None) -> Path:
    return write_export(tmp_path / name / EXPORT_NAME, metas, blocks=blocks, versions=versions)


def counts(report) -> tuple:
    return report.created, report.updated, report.orphaned, report.deleted


@pytest.fixture
def synced(col, library, tmp_path, state_path):
    """The user's collection before Polar 3: the sample export synced, one
    card with a review history."""
    metas = library_metas(library)
    first = run(col, export_of(tmp_path, "before", metas), state_path)
    assert first.created == 6 and first.errors == []
    return metas, review(col, ASKED)


def test_a_client_migrated_document_makes_no_duplicate(col, synced, tmp_path, state_path):
    """Opening a document in Polar 3 copied its highlights and flashcards
    into blocks (new ids, created = the moment of the copy, HTML turned into
    Markdown) and left the DocMeta as it was: both copies are in the export.
    Each copy pairs with its DocMeta card: nothing new, nothing changed."""
    metas, _ = synced
    before = fields(col)
    doc, _ = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=False)
    assert after is doc and sum(b["content"]["type"] == "annotation-flashcard" for b in blocks) == 2
    report = run(col, export_of(tmp_path, "client", metas, blocks), state_path)
    assert counts(report) == (0, 0, 0, 0) and report.errors == [] and report.warnings == []
    assert fields(col) == before


def test_a_server_migrated_document_keeps_its_cards_and_their_context(col, synced, tmp_path, state_path):
    """Polar's server-side migration purged the DocMeta's highlights (a red
    placeholder instead, ``value.ver`` 3) and kept the flashcards there: the
    highlight's text is only in its block now. The cards pair with their
    copies by ``created`` and keep the quote in their context."""
    metas, _ = synced
    before = fields(col)
    assert QUOTE in "".join(before[ASKED])
    doc, others = split(metas, SPACED)
    blocks, purged = migrate_to_blocks(doc, server=True)
    assert not any(p.get("textHighlights", {}).keys() - {"1PlaceHold"} for p in purged["pageMetas"].values())
    export = export_of(tmp_path, "server", [*others, purged], blocks, versions={SPACED: 3})
    report = run(col, export, state_path)
    # The card whose highlight the DocMeta had lost before (never copied) is
    # not in Polar 3 either; after a server-side migration that cannot be
    # told from a card deleted there: it goes the way of a deleted card.
    assert counts(report) == (0, 0, 1, 0) and report.errors == [] and report.warnings == []
    assert note_of(col, ORPHAN).has_tag("polar::deleted")
    assert {g: f for g, f in fields(col).items() if g != ORPHAN} == {g: f for g, f in before.items() if g != ORPHAN}
    # Without the blocks (as the add-on read it before), the quote was lost.
    from tests.conftest import make_collection

    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        run(other, export_of(tmp_path, "o1", metas), tmp_path / "o.sqlite")
        run(other, export_of(tmp_path, "o2", [*others, purged], versions={SPACED: 3}), tmp_path / "o.sqlite")
        assert QUOTE not in "".join(fields(other)[ASKED])
    finally:
        other.close()


def _edit(block: Dict[str, Any], when: str, **new_fields: str) -> None:
    block["content"]["value"]["fields"].update(new_fields)
    block["updated"] = when
    block["mutation"] += 1


@pytest.mark.parametrize("server", [False, True], ids=["client-migrated", "server-migrated"])
def test_edits_new_cards_and_deletions_made_in_polar_3(col, synced, tmp_path, state_path, server):
    """After the migration the user edits a card in Polar 3 (its note is
    updated in place, reviews kept), makes one (a new note) and deletes one
    (its note is suspended and tagged, the default); a resync of the same
    export changes nothing. The card Polar never copied stays."""
    metas, reviewed = synced
    asked_nid = note_of(col, ASKED).id
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=server)
    run(col, export_of(tmp_path, "migrated", [*others, after], blocks, versions={SPACED: 3} if server else None),
        state_path)
    cards = [b for b in blocks if b["content"]["type"] == "annotation-flashcard"]
    asked, cloze = cards
    _edit(asked, "2021-12-01T09:00:00.000Z", front="When does **spaced repetition** schedule a review?")
    blocks.remove(cloze)  # deleted in Polar 3
    highlight = next(b for b in blocks if b["id"] == asked["parent"])
    made = copy.deepcopy(asked)
    made.update(id="1MadeIn3x", created="2021-12-02T10:00:00.000Z", updated="2021-12-02T10:00:00.000Z")
    made["content"]["value"] = block_basic("What fades without review?", "The memory")
    highlight["items"]["9"] = made["id"]
    blocks.append(made)
    export = export_of(tmp_path, "edited", [*others, after], blocks, versions={SPACED: 3} if server else None)
    report = run(col, export, state_path)
    assert counts(report) == (1, 1, 1, 0) and report.errors == [] and report.warnings == []
    note = note_of(col, ASKED)
    assert note.id == asked_nid and "<strong>spaced repetition</strong>" in note.fields[0]
    assert QUOTE in "".join(note.fields)
    assert col.get_card(reviewed).ivl == 21 and col.get_card(reviewed).reps == 3
    new = note_of(col, "polar:1MadeIn3x")
    assert new.fields[0] == "<p>What fades without review?</p>" and QUOTE in "".join(new.fields)
    gone = note_of(col, CLOZE)
    assert gone.has_tag("polar::deleted") and all(c.queue == -1 for c in gone.cards())
    # Never copied by a client-side migration (its highlight was gone from
    # the DocMeta): it stays; after a server-side one it went with the
    # migration (see the test above).
    assert note_of(col, ORPHAN).has_tag("polar::deleted") is server
    again = run(col, export, state_path)
    assert counts(again) == (0, 0, 0, 0) and again.parsed == 0 and again.warnings == []


def test_a_card_deleted_in_polar_3_is_left_alone_under_keep(col, synced, tmp_path, state_path):
    """``deletion_policy: keep``: the note of a card deleted in Polar 3 is
    reported as removed and left exactly as it was."""
    metas, _ = synced
    doc, others = split(metas, SPACED)
    blocks, _ = migrate_to_blocks(doc, server=False)
    blocks = [b for b in blocks if b["content"].get("value", {}).get("type") != "CLOZE"]
    report = run(col, export_of(tmp_path, "keep", metas, blocks), state_path, deletion_policy="keep")
    assert counts(report) == (0, 0, 1, 0)  # said, nothing done
    gone = note_of(col, CLOZE)
    assert not gone.has_tag("polar::deleted") and all(c.queue != -1 for c in gone.cards())


def test_unsure_pairs_make_no_duplicate_and_say_so(col, tmp_path, state_path):
    """Two cards on one highlight, both edited in Polar 3 after a client-side
    migration: which copy is which cannot be told. Nothing is added, the
    DocMeta's cards stay as they were, and the report says so once."""
    doc = Doc(tmp_path / "polar", "1TwoOnOneHighlight00001", title="Two")
    doc.text_highlight("1HlTwo0001", "The highlighted sentence.")
    doc.card("1CardOne01", basic("<p>First?</p>", "<p>one</p>"), ref="text-highlight:1HlTwo0001")
    doc.card("1CardTwo02", basic("<p>Second?</p>", "<p>two</p>"), ref="text-highlight:1HlTwo0001")
    first = run(col, export_of(tmp_path, "before", [doc.meta]), state_path)
    assert first.created == 2
    before = fields(col)
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    for i, block in enumerate(b for b in blocks if b["content"]["type"] == "annotation-flashcard"):
        _edit(block, "2021-12-01T09:00:00.000Z", front=f"Edited {i}?")
    report = run(col, export_of(tmp_path, "after", [doc.meta], blocks), state_path)
    assert counts(report) == (0, 0, 0, 0) and fields(col) == before
    [row] = report.warnings
    assert row["code"] == "block_flashcards_held_back" and row["count"] == 2


def test_block_flashcards_of_no_document_in_the_export_are_counted(col, library, tmp_path, state_path):
    from tools.polar_export import annotated_document_blocks, block_cloze

    metas = library_metas(library)
    info = {"fingerprint": "1NotInTheExport", "title": "Elsewhere"}
    blocks = annotated_document_blocks(info, [block_cloze("{{c1::x}}"), block_cloze("{{c1::y}}")])
    report = run(col, export_of(tmp_path, "x", metas, blocks), state_path)
    assert report.created == 6
    [row] = [w for w in report.warnings if w["code"] == "export_block_flashcards"]
    assert row["count"] == 2


def test_a_damaged_block_record_deletes_nothing(col, synced, tmp_path, state_path):
    """A block record that names an annotation but is not JSON might have
    been any card's copy: no card is taken as deleted in Polar 3, and the
    report says what could not be read."""
    import io
    import tarfile

    metas, _ = synced
    doc, _ = split(metas, SPACED)
    blocks, _ = migrate_to_blocks(doc, server=False)
    cloze = next(b for b in blocks if b["content"].get("value", {}).get("type") == "CLOZE")
    blocks.remove(cloze)
    export = export_of(tmp_path, "damaged", metas, blocks)
    broken = tmp_path / "broken" / EXPORT_NAME
    broken.parent.mkdir()
    with tarfile.open(export) as src, tarfile.open(broken, "w:gz") as dst:
        for member in src.getmembers():
            dst.addfile(member, src.extractfile(member))
        data = b'{"id": "' + cloze["id"].encode() + b'", "content": {"type": "annotation-flashcard", '
        info = tarfile.TarInfo(f"block/{cloze['id']}.json")
        info.size = len(data)
        dst.addfile(info, io.BytesIO(data))
    report = run(col, broken, state_path)
    assert counts(report) == (0, 0, 0, 0)
    assert [e["code"] for e in report.errors] == ["export_damaged"]
    assert not note_of(col, CLOZE).has_tag("polar::deleted")
