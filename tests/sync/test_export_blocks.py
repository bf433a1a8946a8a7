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
    export = export_of(tmp_path, "x", metas, blocks)
    report = run(col, export, state_path)
    assert report.created == 6
    [row] = [w for w in report.warnings if w["code"] == "export_block_flashcards"]
    assert row["count"] == 2
    # Said once: the same export synced again says nothing (it was said at every sync, so the
    # report was never "nothing changed"); another count is said again.
    again = run(col, export, state_path)
    assert again.warnings == [] and (again.created, again.updated, again.orphaned) == (0, 0, 0), again.warnings
    blocks = annotated_document_blocks(info, [block_cloze("{{c1::x}}"), block_cloze("{{c1::y}}"),
                                              block_cloze("{{c1::z}}")])
    third = run(col, export_of(tmp_path, "y", metas, blocks), state_path)
    assert [w["count"] for w in third.warnings if w["code"] == "export_block_flashcards"] == [3], third.warnings


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


COMMENT = "daily</i> reviews beat cramming"  # the sample's DocMeta comment on ASKED's highlight, as rendered


def _comments(col, guid: str) -> List[str]:
    """The comments of a note's context, in order, as rendered."""
    import re

    context = note_of(col, guid).fields[-1]
    return re.findall(r'<div class="polar-comment"[^>]*>(.*?)</div>', context)


@pytest.mark.parametrize("server", [False, True], ids=["client-migrated", "server-migrated"])
def test_comments_written_in_polar_3_are_in_the_context(col, synced, tmp_path, state_path, server):
    """Polar 3 keeps a comment as a ``markdown`` block under its highlight;
    the migration copied the DocMeta's comments that way too. The copy is not
    a second comment; a comment written in Polar 3 joins the context (its
    Markdown rendered and sanitised as a DocMeta comment is, oldest first),
    an edit made there replaces the text, a deletion removes it; an edit
    made in Anki stays, as for any change of the context."""
    from tools.polar_export import comment_block

    metas, reviewed = synced
    asked_nid = note_of(col, ASKED).id
    [old_comment] = _comments(col, ASKED)
    assert COMMENT in old_comment
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=server)
    assert sum(b["content"]["type"] == "markdown" for b in blocks) == 1
    versions = {SPACED: 3} if server else None
    before = fields(col)
    report = run(col, export_of(tmp_path, "migrated", [*others, after], blocks, versions), state_path)
    assert report.updated == 0 and report.errors == [] and report.warnings == []
    assert {g: f for g, f in fields(col).items() if g != ORPHAN} == {g: f for g, f in before.items() if g != ORPHAN}
    # In Anki, the user edits the question; in Polar 3, the copied comment is
    # edited and a comment is written on the highlight.
    note = note_of(col, ASKED)
    note.fields[0] = note.fields[0].replace("</p>", " (my words)</p>")
    col.update_note(note)
    copied = next(b for b in blocks if b["content"]["type"] == "markdown")
    copied["content"]["data"] = "This is why *daily* reviews beat **weekly** ones."
    copied.update(updated="2021-12-01T09:00:00.000Z", mutation=1)
    highlight = next(b for b in blocks if b["id"] == copied["parent"])
    written = comment_block("1Comment3x", highlight, "A **new** thought <script>alert(1)</script>",
                            "2021-12-02T10:00:00.000Z")
    blocks.append(written)
    report = run(col, export_of(tmp_path, "commented", [*others, after], blocks, versions), state_path)
    assert report.updated == 1 and report.created == 0 and report.errors == [] and report.warnings == []
    note = note_of(col, ASKED)
    assert note.id == asked_nid and "(my words)" in note.fields[0] and col.get_card(reviewed).reps == 3
    assert _comments(col, ASKED) == ["<p>This is why <em>daily</em> reviews beat <strong>weekly</strong> ones.</p>",
                                     "<p>A <strong>new</strong> thought </p>"]
    assert "script" not in note.fields[-1] and QUOTE in note.fields[-1]
    # Deleted in Polar 3: gone from the context.
    blocks.remove(written)
    export = export_of(tmp_path, "deleted", [*others, after], blocks, versions)
    report = run(col, export, state_path)
    assert report.updated == 1 and report.errors == []
    assert _comments(col, ASKED) == ["<p>This is why <em>daily</em> reviews beat <strong>weekly</strong> ones.</p>"]
    assert "(my words)" in note_of(col, ASKED).fields[0]
    again = run(col, export, state_path)
    assert counts(again) == (0, 0, 0, 0) and again.parsed == 0


OS = "1OperatingSystems3Easy0b"  # the sample document with a cloze on an area highlight (its image in files/image)
AREA_CARD = "polar:1FcN1p2Q3r"
AREA_COMMENT = "See the state diagram."


@pytest.mark.parametrize("server,at_once", [(False, False), (False, True), (True, False)],
                         ids=["client-migrated", "client-migrated-and-edited-at-once", "server-migrated"])
def test_a_card_on_an_area_highlight_pairs_with_its_copy(col, library, tmp_path, state_path, server, at_once):
    """The migration copies an area highlight (its image named as before) and
    its cards and comments. The copy of a card on it pairs with the DocMeta
    card like a text highlight's: the note stays (reviews, the image synced
    from the data folder, the comment), and an edit made in Polar 3 updates
    it in place, also when the sync before the edit was before the
    migration."""
    import json

    state = library / OS / "state.json"
    meta = json.loads(state.read_text())
    meta["pageMetas"]["4"].setdefault("comments", {})["1CmArea001"] = {
        "id": "1CmArea001", "guid": "1CmArea001", "created": "2020-05-01T00:00:00.000Z",
        "lastUpdated": "2020-05-01T00:00:00.000Z", "content": {"HTML": f"<p>{AREA_COMMENT}</p>"},
        "ref": "area-highlight:1ArH5tQw2E"}
    state.write_text(json.dumps(meta))
    assert run(col, library, state_path).created == 6  # from the data folder: the image is there
    reviewed = review(col, AREA_CARD)
    nid = note_of(col, AREA_CARD).id
    metas = library_metas(library)
    assert counts(run(col, export_of(tmp_path, "before", metas), state_path)) == (0, 0, 0, 0)
    before = note_of(col, AREA_CARD).fields
    assert "polar-image" in before[-1] and AREA_COMMENT in before[-1]
    doc, others = split(metas, OS)
    blocks, after = migrate_to_blocks(doc, server=server)
    versions = {OS: 3} if server else None
    area = next(b for b in blocks if b["content"]["type"] == "annotation-area-highlight")
    assert area["content"]["value"]["image"]["src"]["name"] == "1AreaImg7Q2wE9rT5yU3.png"
    if not at_once:
        report = run(col, export_of(tmp_path, "migrated", [*others, after], blocks, versions), state_path)
        assert counts(report) == (0, 0, 0, 0) and report.errors == [] and report.warnings == []
        assert note_of(col, AREA_CARD).fields == before
    card = next(b for b in blocks if b["parent"] == area["id"] and b["content"]["type"] == "annotation-flashcard")
    card["content"]["value"]["fields"]["text"] = "A process is {{c1::blocked}} while it waits for I/O."
    card.update(updated="2021-12-01T09:00:00.000Z", mutation=1)
    export = export_of(tmp_path, "edited", [*others, after], blocks, versions)
    report = run(col, export, state_path)
    assert counts(report) == (0, 1, 0, 0) and report.errors == [] and report.warnings == []
    note = note_of(col, AREA_CARD)
    assert note.id == nid and "while it waits for I/O" in note.fields[0]
    assert col.get_card(reviewed).reps == 3 and not note.has_tag("polar::deleted")
    assert "polar-image" in note.fields[-1] and note.fields[-1].count(AREA_COMMENT) == 1
    assert counts(run(col, export, state_path)) == (0, 0, 0, 0)


def test_a_card_on_an_area_highlight_made_in_polar_3(col, synced, tmp_path, state_path):
    """An area highlight made in Polar 3 keeps its screenshot in Polar's
    image storage, which an export does not hold: its card is made with the
    document, page and comments, without an image, and nothing is said
    wrong (docs/polar-2-exports.md says exports carry no images)."""
    from tools.polar_export import area_highlight_block, comment_block

    metas, _ = synced
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=False)
    document = blocks[0]
    area = area_highlight_block("1AreaMade3", document, 2, "1NewShotInPolar3xyz1.png", "2021-12-02T10:00:00.000Z")
    made = {"id": "1CardOnArea", "nspace": area["uid"], "uid": area["uid"], "root": document["id"],
            "parent": area["id"], "parents": [document["id"], area["id"]], "created": "2021-12-02T10:01:00.000Z",
            "updated": "2021-12-02T10:01:00.000Z", "items": {}, "mutation": 0,
            "content": {"type": "annotation-flashcard", "docID": SPACED, "pageNum": 2, "links": [],
                        "value": block_basic("What does the chart show?", "The forgetting curve")}}
    area["items"]["1"] = made["id"]
    blocks += [area, made, comment_block("1AreaNote1", area, "Drawn by Ebbinghaus", "2021-12-02T10:02:00.000Z")]
    report = run(col, export_of(tmp_path, "area", [*others, after], blocks), state_path)
    assert counts(report) == (1, 0, 0, 0) and report.errors == [] and report.warnings == []
    note = note_of(col, "polar:1CardOnArea")
    context = note.fields[-1]
    assert "An Introduction to Spaced Repetition" in context and "2</div>" in context
    assert "polar-image" not in context and "<img" not in context
    assert _comments(col, "polar:1CardOnArea") == ["<p>Drawn by Ebbinghaus</p>"]


def test_a_revised_highlights_comments_stay_with_its_migrated_card(col, tmp_path, state_path):
    """A highlight revised in Polar 2 has a new id and keeps its guid, which
    its cards and comments name. After a client-side migration the paired
    card still names it so: its comment stays in the context."""
    doc = Doc(tmp_path / "polar", "1RevisedHighlight00001", title="Revised")
    doc.text_highlight("1HlFirst01", "The first wording.")
    doc.card("1CardOnHl1", basic("<p>Asked?</p>", "<p>yes</p>"), ref="text-highlight:1HlFirst01")
    doc.comment("1CommentA1", "<p>A remark.</p>", ref="text-highlight:1HlFirst01")
    doc.revise_highlight("1HlFirst01", "1HlSecond1", "<p>The second wording.</p>")
    assert run(col, export_of(tmp_path, "before", [doc.meta]), state_path).created == 1
    before = fields(col)
    assert "A remark." in before["polar:1CardOnHl1"][-1] and "second wording" in before["polar:1CardOnHl1"][-1]
    blocks, _ = migrate_to_blocks(doc.meta, server=False)
    report = run(col, export_of(tmp_path, "after", [doc.meta], blocks), state_path)
    assert counts(report) == (0, 0, 0, 0) and fields(col) == before


def _made_in_polar_3(blocks: List[Dict[str, Any]], like: Dict[str, Any], ident: str, when: str,
                     front: str, back: str) -> Dict[str, Any]:
    """A card the user makes in Polar 3 on ``like``'s highlight (a new block)."""
    made = copy.deepcopy(like)
    made.update(id=ident, created=when, updated=when, mutation=0)
    made["content"]["value"] = block_basic(front, back)
    highlight = next(b for b in blocks if b["id"] == like["parent"])
    highlight["items"][str(len(highlight["items"]) + 10)] = ident
    blocks.append(made)
    return made


@pytest.mark.parametrize("server", [False, True], ids=["client-migrated", "server-migrated"])
def test_a_card_deleted_in_polar_3_and_another_made_on_its_highlight_is_no_edit(
        col, synced, tmp_path, state_path, server):
    """Polar 3 keeps a card's block id through every edit: a card gone and
    another made on the same highlight between two syncs were deleted and
    made, never an edit. The new question gets a note of its own (no review
    history, due as new); the studied note keeps its reviews and goes the
    way of a deleted card (suspended and tagged). Before, the new card took
    the studied note: another question's history and due date."""
    metas, reviewed = synced
    asked_nid = note_of(col, ASKED).id
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=server)
    versions = {SPACED: 3} if server else None
    run(col, export_of(tmp_path, "migrated", [*others, after], blocks, versions=versions), state_path)
    asked = next(b for b in blocks if b["content"]["type"] == "annotation-flashcard"
                 and b["content"]["value"]["type"] != "CLOZE")
    blocks.remove(asked)  # deleted in Polar 3
    _made_in_polar_3(blocks, asked, "1MadeIn3x", "2021-12-02T10:00:00.000Z", "Who wrote the Forgetting Curve?",
                     "Ebbinghaus")
    report = run(col, export_of(tmp_path, "replaced", [*others, after], blocks, versions=versions), state_path)
    assert report.errors == [] and report.warnings == []
    assert (report.created, report.updated, report.orphaned) == (1, 0, 1)
    new = note_of(col, "polar:1MadeIn3x")
    assert new.id != asked_nid and "Forgetting Curve" in new.fields[0]
    assert all(c.type == 0 and c.queue == 0 and c.reps == 0 for c in new.cards())
    old = col.get_note(asked_nid)
    assert old.guid == ASKED and old.has_tag("polar::deleted")
    assert col.get_card(reviewed).nid == asked_nid and col.get_card(reviewed).reps == 3
    again = run(col, export_of(tmp_path, "replaced", [*others, after], blocks, versions=versions), state_path)
    assert (again.created, again.updated, again.orphaned) == (0, 0, 0)


def test_a_card_made_in_polar_3_deleted_and_another_made_there_is_no_edit(col, synced, tmp_path, state_path):
    """The same for a card that was made in Polar 3 (its note under the
    block's id) and studied: deleted, another made on its highlight."""
    metas, _ = synced
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=False)
    asked = next(b for b in blocks if b["content"]["type"] == "annotation-flashcard"
                 and b["content"]["value"]["type"] != "CLOZE")
    first = _made_in_polar_3(blocks, asked, "1FirstIn3x", "2021-12-02T10:00:00.000Z", "What is a leech?",
                             "A card failed again and again")
    report = run(col, export_of(tmp_path, "made", [*others, after], blocks), state_path)
    assert report.created == 1
    studied = review(col, "polar:1FirstIn3x")
    first_nid = note_of(col, "polar:1FirstIn3x").id
    blocks.remove(first)
    _made_in_polar_3(blocks, asked, "1OtherIn3x", "2021-12-03T10:00:00.000Z", "What is an interval?",
                     "The days until the next review")
    report = run(col, export_of(tmp_path, "other", [*others, after], blocks), state_path)
    assert (report.created, report.updated, report.orphaned) == (1, 0, 1)
    assert note_of(col, "polar:1OtherIn3x").id != first_nid
    assert col.get_note(first_nid).has_tag("polar::deleted")
    assert col.get_card(studied).nid == first_nid and col.get_card(studied).reps == 3


def test_a_card_replaced_in_polar_3_is_no_edit_on_the_second_computer_either(col, synced, tmp_path, state_path):
    """Two computers (the sync state is each computer's own): A synced the
    export with the card deleted and another made on its highlight, and
    AnkiWeb brought its notes to B, whose state still has the deleted card
    live. B's sync changes nothing: the new card's note is the one A made,
    the studied note stays set aside with its reviews."""
    import shutil

    metas, reviewed = synced
    asked_nid = note_of(col, ASKED).id
    doc, others = split(metas, SPACED)
    blocks, after = migrate_to_blocks(doc, server=False)
    run(col, export_of(tmp_path, "migrated", [*others, after], blocks), state_path)
    state_b = tmp_path / "computer-b.sqlite"
    shutil.copy(state_path, state_b)  # B synced this export too (the same rows)
    asked = next(b for b in blocks if b["content"]["type"] == "annotation-flashcard"
                 and b["content"]["value"]["type"] != "CLOZE")
    blocks.remove(asked)
    _made_in_polar_3(blocks, asked, "1MadeIn3x", "2021-12-02T10:00:00.000Z", "Who wrote the Forgetting Curve?",
                     "Ebbinghaus")
    export = export_of(tmp_path, "replaced", [*others, after], blocks)
    on_a = run(col, export, state_path)
    assert (on_a.created, on_a.updated, on_a.orphaned) == (1, 0, 1)
    made = note_of(col, "polar:1MadeIn3x").id
    on_b = run(col, export, state_b)
    assert (on_b.created, on_b.updated) == (0, 0), on_b.to_dict()
    assert note_of(col, "polar:1MadeIn3x").id == made and col.get_note(asked_nid).guid == ASKED
    assert col.get_note(asked_nid).has_tag("polar::deleted")
    assert col.get_card(reviewed).nid == asked_nid and col.get_card(reviewed).reps == 3
