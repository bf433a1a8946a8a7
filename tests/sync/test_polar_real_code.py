"""A library written by Polar's own code, run (not read): polar-app's
``DocMetas``, ``TextHighlightRecords``, ``TextHighlights.setRevisedText``,
``AreaHighlights``' writer, ``Comments`` and the sidebar's
``FlashcardActions`` (create, update = delete + a new card, delete), built
and run by tools/polar_real (see its build.py), synced into real
collections. ``live`` runs Polar's code now (skipped without node, tsc or the
polar-app mirror); ``fixture`` is the same run checked in
(tests/data/polar_real_library_{2x,1x}.json; ``polar_commit`` names the
commit of Polar that wrote it), so the class stays tested without node.
Also: our factories (tests/polar_factory.Doc, tools/polar_export.sparse)
write the shapes Polar's code writes."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from pathlib import Path
from typing import Any, Dict

import pytest

from tests.polar_factory import Doc, basic, state_json
from tests.sync.helpers import note_of, run
from tools import polar_export
from tools.polar_real import build as polar_real

_LIVE: Dict[str, Dict[str, Any]] = {}


def library(source: str, era: str = "2x") -> Dict[str, Any]:
    if source == "fixture":
        return json.loads(polar_real.fixture_path(era).read_text(encoding="utf-8"))
    why = polar_real.available(era)
    if why:
        pytest.skip(f"Polar's code cannot run here: {why}")
    if era not in _LIVE:
        _LIVE[era] = polar_real.run([], era)
    return _LIVE[era]


# Cards in reading order (page, then place on the page), as the driver made them.
ORDER = ["first", "basic", "cloze", "beforeRevision", "afterRevision", "area", "areaCloze",
         "onComment", "markdown", "text", "page", "arabic", "japanese", "image"]


def write(lib: Dict[str, Any], root: Path, version: str, form: str) -> None:
    fp = lib["ids"]["fingerprint"]
    images = root / "files" / "image"
    images.mkdir(parents=True, exist_ok=True)
    wanted = lib[version].get("images", lib["images"])
    for name, data in wanted.items():
        (images / name).write_bytes(base64.b64decode(data))
    for there in images.iterdir():  # an image replaced: its committer deleted the old file
        if there.name not in wanted:
            there.unlink()
    (root / fp).mkdir(parents=True, exist_ok=True)
    state = root / fp / "state.json"
    if "state" in lib[version]:  # 1.x: the state.json its DiskDatastore wrote
        state.write_text(lib[version]["state"], encoding="utf-8")
    elif form == "sparse":  # what Polar's Datastore writes since the sparse DocMeta
        state.write_text(lib[version]["sparse"], encoding="utf-8")
    else:  # the whole DocMeta, compact, as 1.x wrote it
        state.write_text(json.dumps(lib[version]["full"], separators=(",", ":"), ensure_ascii=False),
                         encoding="utf-8")
    st = state.stat()
    os.utime(state, ns=(st.st_atime_ns, st.st_mtime_ns + 10_000_000))


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html).replace("&nbsp;", " "))


@pytest.mark.parametrize("form", ["full", "sparse"])
@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_library_polars_code_wrote_syncs_once_in_reading_order_with_its_context(
        col, tmp_path, state_path, source, form):
    """Every card arrives once, in reading order, with its highlight, comment,
    revised text or image; then Polar's own edit (a new card id), delete,
    comment edit and second revision are an update, a removal (kept,
    ``polar::deleted``) and context updates, with the reviews kept."""
    lib = library(source)
    ids = lib["ids"]
    root = tmp_path / "polar"
    write(lib, root, "v1", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (14, [], []), (report.errors, report.warnings)
    assert col.note_count() == 14
    notes = {key: note_of(col, ids[key]) for key in ORDER}
    dues = [min(card.due for card in notes[key].cards()) for key in ORDER]
    assert dues == sorted(dues) and len(set(dues)) == len(dues), dict(zip(ORDER, dues))
    back = {key: text(note.fields[-1]) for key, note in notes.items()}
    assert "The mitochondria is the powerhouse of the cell." in back["basic"]
    assert "Remember this one." in back["cloze"]
    # both cards of the revised highlight show the revised text, not the old one
    for key in ("beforeRevision", "afterRevision"):
        assert "ATP synthase makes ATP from ADP." in back[key], back[key]
        assert "ATP synthase makes ATP." not in back[key]
    assert "<img" in notes["area"].fields[-1] and "<img" in notes["areaCloze"].fields[-1]
    assert "Ribosomes translate mRNA." in back["onComment"] and "What about tRNA?" in back["onComment"]
    assert "p. 5" in back["page"]
    assert notes["markdown"]["Front"] == "<p>What is <strong>osmosis</strong>?</p>"
    assert notes["text"]["Front"] == "Is 2 &lt; 3 &amp; 4 &gt; 3?"
    assert "細胞はすべての生物の基本単位である。" in back["japanese"]
    assert "{{c1::وحدة}}" in notes["arabic"]["Text"]
    assert re.search(r'<img src="polar-[0-9a-f]+\.png">', notes["image"]["Front"])
    assert "deck:" not in " ".join(notes["basic"].tags)
    assert {col.decks.name(card.did) for n in notes.values() for card in n.cards()} == {"biology::cells"}

    # Study two cards, then Polar edits, deletes and revises.
    studied = {}
    for key in ("basic", "areaCloze"):
        card = notes[key].cards()[0]
        card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 12, 40, 3
        col.update_card(card)
        studied[key] = card.id
    write(lib, root, "v2", form)
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.rekeyed, report.errors, report.warnings) == (
        0, 1, 2, [], []), report
    assert col.note_count() == 14
    edited = note_of(col, ids["basicEdited"])
    assert edited.id == notes["basic"].id and "(edited)" in edited["Back"]
    assert note_of(col, ids["areaClozeEdited"]).id == notes["areaCloze"].id
    assert "{{c1::Golgi apparatus}}" in note_of(col, ids["areaClozeEdited"])["Text"]
    if "images" in lib["v2"]:  # the area highlight resized: a new image on both its cards
        old_img = re.findall(r'<img src="([^"]+)"', notes["area"].fields[-1])
        new_img = re.findall(r'<img src="([^"]+)"', note_of(col, ids["area"]).fields[-1])
        assert old_img and new_img and old_img != new_img, (old_img, new_img)
        assert new_img == re.findall(r'<img src="([^"]+)"', note_of(col, ids["areaClozeEdited"]).fields[-1])
    for key, cid in studied.items():
        card = col.get_card(cid)
        assert (card.ivl, card.due, card.reps) == (12, 40, 3), key
    assert "polar::deleted" in note_of(col, ids["first"]).tags
    assert "Remember this one!" in text(note_of(col, ids["cloze"]).fields[-1])
    assert "ATP synthase makes ATP (revised twice)." in text(note_of(col, ids["beforeRevision"]).fields[-1])
    if "v3" not in lib:
        return
    # Then tags as Polar 2's PersistenceLayerMutator2 sets them: a card's in place
    # (same id, lastUpdated untouched), the document's deck; a colour changed; a
    # highlight deleted under its card (TextHighlights.deleteTextHighlight).
    write(lib, root, "v3", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (0, [], []), report
    tags = note_of(col, ids["cloze"]).tags
    assert "hard" in tags and "biology::exam" in tags, tags
    live = [note_of(col, ids[key]) for key in ORDER if key not in ("first", "basic", "areaCloze")]
    assert {col.decks.name(c.did) for n in live for c in n.cards()} == {"biology::organelles"}
    image = note_of(col, ids["image"])
    assert "polar::deleted" not in image.tags and "The end." not in text(image["Back"])
    for key, cid in studied.items():
        card = col.get_card(cid)
        assert (card.ivl, card.due, card.reps) == (12, 40, 3), key


@pytest.mark.parametrize("form", ["full", "sparse"])
@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_card_made_after_a_revision_keeps_its_highlight_when_it_is_revised_again(
        col, tmp_path, state_path, source, form):
    """``setRevisedText`` re-keys the highlight under a new random id each
    time and keeps only the guid: a card made after the first revision
    points at an id the second revision removes (Polar's own sidebar shows
    it under no highlight). The answer lost the highlight's text (only the
    title and page were left); now the parent the last sync found (the
    highlight's guid) is used while that highlight is there."""
    lib = library(source)
    ids = lib["ids"]
    root = tmp_path / "polar"
    write(lib, root, "v1", form)
    run(col, root, state_path)
    write(lib, root, "v2", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (0, [], []), report
    after = note_of(col, ids["afterRevision"])
    back = text(after.fields[-1])
    assert "ATP synthase makes ATP (revised twice)." in back, back
    due = {key: note_of(col, ids[key]).cards()[0].due for key in ("beforeRevision", "afterRevision", "area")}
    assert due["beforeRevision"] < due["afterRevision"] < due["area"], due
    # A third sync reads it the same way (the parent stored again is the guid).
    path = root / ids["fingerprint"] / "state.json"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 20_000_000))
    run(col, root, state_path)
    assert "ATP synthase makes ATP (revised twice)." in text(note_of(col, ids["afterRevision"]).fields[-1])


def test_a_card_whose_highlight_was_deleted_stays_without_one(col, tmp_path, state_path):
    """Deleting a highlight in Polar leaves its cards (issue #1231): their ref
    names no highlight, and the parent the last sync stored is gone too, so
    the card stays page-level (no other highlight's text is borrowed)."""
    doc = Doc(tmp_path / "polar", "1DocDeletedHl", "Deleted", pages=2)
    doc.text_highlight("1HlGone000", "Words of a highlight deleted later.", top=100.0)
    doc.text_highlight("1HlStays00", "Words of a highlight that stays.", top=200.0)
    doc.card("1CardOrph0", basic("Q", "A"), ref="text-highlight:1HlGone000")
    doc.write()
    run(col, doc.root, state_path)
    assert "Words of a highlight deleted later." in text(note_of(col, "1CardOrph0")["Back"])
    del doc.page(1)["textHighlights"]["1HlGone000"]
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors) == (0, []), report
    back = text(note_of(col, "1CardOrph0")["Back"])
    assert "Words of a highlight" not in back, back


def test_highlights_in_the_same_place_on_two_pages_keep_their_own_cards(col, tmp_path, state_path):
    """Polar makes a text highlight's id from its rectangles
    (``TextHighlightRecords.create``: ``createID(rects)``), so a highlight in
    the same place on another page (a full line of a justified page, a
    slide's title) has the same id; Polar looks for a child's highlight on
    the child's page. A card on page 1 showed page 2's highlight, page and
    comments; and when both were revised, their guids collided the same way."""
    doc = Doc(tmp_path / "polar", "1DocSamePl0", "Same Place", pages=4)
    for page, words in ((1, "one"), (2, "two"), (3, "three"), (4, "four")):
        doc.text_highlight("1SameRect0", f"Words on page {words}.", page=page, top=100.0)
        doc.card(f"1CardPage{page}", basic(f"Q{page}", f"A{page}"), ref="text-highlight:1SameRect0", page=page)
        doc.comment(f"1CommentPage{page}xxxx", f"<p>Comment on page {words}.</p>", "text-highlight:1SameRect0",
                    page=page)
    doc.revise_highlight("1SameRect0", "RevisedP3x", "<p>Page three, revised.</p>", page=3)
    doc.revise_highlight("1SameRect0", "RevisedP4x", "<p>Page four, revised.</p>", page=4)
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors, report.warnings) == (4, [], []), report
    wanted = {1: "Words on page one.", 2: "Words on page two.", 3: "Page three, revised.", 4: "Page four, revised."}
    words = {1: "one", 2: "two", 3: "three", 4: "four"}
    for page, highlight in wanted.items():
        back = text(note_of(col, f"1CardPage{page}")["Back"])
        assert f"p. {page}" in back and highlight in back and f"Comment on page {words[page]}." in back, back
        assert sum(w in back for w in wanted.values()) == 1 and back.count("Comment on page") == 1, back
    dues = [note_of(col, f"1CardPage{page}").cards()[0].due for page in wanted]
    assert dues == sorted(dues), dues


@pytest.mark.parametrize("edit_at", ["upgrade", "later"])
def test_a_card_on_the_second_same_place_highlight_edited_after_the_update_keeps_its_note(
        col, tmp_path, state_path, monkeypatch, edit_at):
    """Before 5 December 2026 a later page's highlight in the same place took
    the earlier page's id, and its cards were recorded under that plain id;
    now they are under "<id>@<page>". Polar edits a card by deleting it and
    making a new one on the same parent: such an edit, in the first sync of
    this version or any later one, must still find the card it replaces (its
    note, with its reviews), not make a second note beside a deleted one."""
    import addon.polar.docmeta as docmeta
    from tests.sync.test_upgrade_layout import scheduling, studied

    # As the earlier version read it: the later page's highlight under the plain id.
    monkeypatch.setattr(docmeta, "_page_key", lambda highlights, hid, page, local: hid)
    doc = Doc(tmp_path / "polar", "1DocSamePl1", "Same Place", pages=2)
    for page, words in ((1, "one"), (2, "two")):
        doc.text_highlight("1SameRect1", f"Words on page {words}.", page=page, top=100.0)
        doc.card(f"1CardPg{page}xx", basic(f"Q{page}", f"A{page}"), ref="text-highlight:1SameRect1", page=page)
    doc.write()
    assert run(col, doc.root, state_path).created == 2
    before, reviews = studied(col, "1CardPg1xx", "1CardPg2xx")
    kept = note_of(col, "1CardPg2xx").id
    monkeypatch.undo()
    if edit_at == "later":
        report = run(col, doc.root, state_path)
        assert (report.created, report.errors) == (0, []), report
    doc.edit_card("1CardPg2xx", "1CardPg2ed", basic("Q2, edited in Polar", "A2"))
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors, report.conflicts) == (0, [], []), report
    note = col.get_note(kept)
    assert note["Front"] == "Q2, edited in Polar" and "Words on page two." in text(note["Back"])
    assert "p. 2" in text(note["Back"]) and "Words on page one." not in text(note["Back"])
    assert len(col.find_notes("")) == 2 and scheduling(col) == before
    assert col.db.scalar("SELECT count() FROM revlog") == reviews
    assert "Words on page one." in text(note_of(col, "1CardPg1xx")["Back"])


def test_a_card_on_a_lost_revision_borrows_no_highlight_that_was_as_it_is_before(col, tmp_path, state_path):
    """A card made on a revision whose highlight was then revised again and
    deleted points at an id nowhere in the DocMeta. A revised highlight of
    its page that was already as it is now when the card was made (revised
    and changed before it, or with a card on its present id made before it)
    cannot be its highlight: the card stays without one."""
    doc = Doc(tmp_path / "polar", "1DocLostRv0", "Lost Revision", pages=1)
    doc.text_highlight("1HlEarly00", "Revised before the card.", top=50.0)
    doc.revise_highlight("1HlEarly00", "EarlyRev01", "<p>Early, revised.</p>")
    doc.text_highlight("1HlClaim00", "Claimed by a card.", top=150.0)
    doc.revise_highlight("1HlClaim00", "ClaimRev01", "<p>Claimed, revised.</p>")
    doc.card("1CardClaim", basic("Claim", "Yes"), ref="text-highlight:ClaimRev01")
    doc.text_highlight("1HlGone000", "Deleted later.", top=250.0)
    doc.revise_highlight("1HlGone000", "GoneRev001", "<p>Gone, revised.</p>")
    doc.card("1CardLost0", basic("Lost", "Yes"), ref="text-highlight:GoneRev001")
    doc.revise_highlight("GoneRev001", "GoneRev002", "<p>Gone, revised twice.</p>")
    doc.page(1)["textHighlights"]["ClaimRev01"]["lastUpdated"] = doc._now()  # (a colour changed)
    del doc.page(1)["textHighlights"]["GoneRev002"]
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.created, report.errors) == (2, []), report
    back = text(note_of(col, "1CardLost0")["Back"])
    assert "revised" not in back and "Lost Revision" in back, back
    assert "Claimed, revised." in text(note_of(col, "1CardClaim")["Back"])


@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_polar_2x_export_of_that_library_gives_the_same_notes(col, tmp_path, state_path, source):
    """The export's ``doc_meta`` record wraps the string Polar's Datastore
    wrote (``DocMetas.serialize(docMeta, "")``, sparse) as it is."""
    lib = library(source)
    meta = lib["v1"]["full"]
    info = meta["docInfo"]
    ident = polar_export.doc_meta_id(info["fingerprint"])
    record = {"uid": polar_export.UID, "id": ident, "value": {"docInfo": info, "value": lib["v1"]["sparse"]}}
    member = polar_export._bytes(polar_export.pretty(record))
    member.name = f"doc_meta/{ident}.json"
    dest = polar_export.write_tar_gz(tmp_path / "export.zip", [member])
    report = run(col, dest, state_path)
    assert (report.created, report.errors) == (14, []), report.errors
    for key in ORDER:
        note_of(col, lib["ids"][key])


def _keys(obj: Dict[str, Any]) -> set:
    return set(obj)


@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_library_polar_1x_code_wrote_syncs_once_in_reading_order_with_its_context(
        col, tmp_path, state_path, source):
    """Polar 1.x's own code of 2019 (its ``TextHighlightRecords``,
    ``CommentActions``, ``FlashcardActions`` create and update, the
    ``state.json`` its ``DocMetas.serialize`` wrote): the same promises."""
    lib = library(source, "1x")
    ids = lib["ids"]
    root = tmp_path / "polar"
    write(lib, root, "v1", "full")
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (5, [], []), (report.errors, report.warnings)
    order = ["first", "basic", "cloze", "russian", "last"]
    dues = [min(card.due for card in note_of(col, ids[key]).cards()) for key in order]
    assert dues == sorted(dues) and len(set(dues)) == len(dues), dict(zip(order, dues))
    back = text(note_of(col, ids["basic"])["Back"])
    assert "Rome was not built in a day." in back and "A proverb." in back
    assert "Москва — столица России." in text(note_of(col, ids["russian"])["Back"])
    assert {col.decks.name(c.did) for nid in col.find_notes("") for c in col.get_note(nid).cards()} == {"history"}
    card = note_of(col, ids["basic"]).cards()[0]
    card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 9, 30, 2
    col.update_card(card)
    write(lib, root, "v2", "full")
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.rekeyed, report.errors) == (0, 1, 1, []), report
    edited = note_of(col, ids["basicEdited"])
    assert edited.id == card.nid and "Centuries" in edited["Back"]
    assert (col.get_card(card.id).ivl, col.get_card(card.id).reps) == (9, 2)
    assert "polar::deleted" in note_of(col, ids["first"]).tags


@pytest.mark.parametrize("form", ["full", "sparse"])
@pytest.mark.parametrize("source", ["fixture", "live"])
def test_an_epub_polar_2x_annotated_reads_in_the_books_order(col, tmp_path, state_path, source, form):
    """An EPUB in Polar 2.x's viewer: a page is a section, a highlight's
    ``order`` is its top plus the section's scroll (``SelectedContents``),
    so a highlight made after scrolling can sit higher on screen than one
    made before. Cards come in the book's order and name the section."""
    lib = library(source)
    if "epub" not in lib:
        pytest.skip("made before the EPUB run")
    book = dict(lib["epub"], images={})
    root = tmp_path / "polar"
    write(book, root, "v1", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (3, [], []), (report.errors, report.warnings)
    order = ["early", "late", "last"]
    dues = [note_of(col, book["ids"][key]).cards()[0].due for key in order]
    assert dues == sorted(dues), dict(zip(order, dues))
    back = text(note_of(col, book["ids"]["late"])["Back"])
    assert "§ 2" in back and "p. 2" not in back and "Later in the chapter, after scrolling." in back, back


@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_1x_document_saved_again_by_polar_2x_is_the_same_notes(col, tmp_path, state_path, source):
    """A Polar 1.x user's document, loaded and saved by Polar 2.x's code
    (``DocMetas.deserialize``: ``upgrade``; ``serialize``: sparse), read
    after the 1.x one: the same notes, nothing new, nothing removed."""
    lib = library(source, "1x")
    if source == "live":
        upgraded = polar_real.upgrade_by_2x(lib["v1"]["state"]) if polar_real.available("2x") is None else None
        if upgraded is None:
            pytest.skip("Polar 2.x's code cannot run here")
    else:
        upgraded = lib["v1"]["upgraded_by_2x"]
    root = tmp_path / "polar"
    write(lib, root, "v1", "full")
    run(col, root, state_path)
    before = {nid: col.get_note(nid).fields for nid in col.find_notes("")}
    state = root / lib["ids"]["fingerprint"] / "state.json"
    state.write_text(upgraded, encoding="utf-8")
    st = state.stat()
    os.utime(state, ns=(st.st_atime_ns, st.st_mtime_ns + 20_000_000))
    report = run(col, root, state_path)
    assert (report.created, report.updated, report.orphaned, report.errors, report.warnings) == (
        0, 0, 0, [], []), report
    assert {nid: col.get_note(nid).fields for nid in col.find_notes("")} == before


@pytest.mark.parametrize("source", ["fixture", "live"])
def test_our_factories_write_the_shapes_polars_code_writes(tmp_path, source):
    """Key for key, the objects tests/polar_factory.Doc writes are the ones
    Polar's code writes for the same action, and tools/polar_export's sparse
    form is what Polar's ``SparseDocMetas.toSparse`` makes, keys in order."""
    lib = library(source)
    real = lib["v1"]["full"]
    ids = lib["ids"]
    page1, page3 = real["pageMetas"]["1"], real["pageMetas"]["3"]

    doc = Doc(tmp_path, "1Fingerprint", "T", pages=3)
    doc.text_highlight("1Hl", "words", top=10.0)
    doc.area_highlight("1Area", "Aw6664ZxWCqv7g1cGaZB")
    doc.comment("1Comment", "<p>c</p>", "text-highlight:1Hl")
    doc.card("1Card", basic("q", "a"), ref="text-highlight:1Hl")
    ours = doc.meta["pageMetas"]["1"]

    assert _keys(ours) == _keys(page1)
    assert _keys(ours["textHighlights"]["1Hl"]) == _keys(page1["textHighlights"][ids["h1"]]) - {"order"}
    assert _keys(ours["textHighlights"]["1Hl"]["rects"]["0"]) == _keys(
        page1["textHighlights"][ids["h1"]]["rects"]["0"])
    assert _keys(ours["areaHighlights"]["1Area"]) == _keys(page3["areaHighlights"][ids["a3"]])
    assert _keys(ours["areaHighlights"]["1Area"]["image"]) == _keys(page3["areaHighlights"][ids["a3"]]["image"])
    assert _keys(ours["comments"]["1Comment"]) == _keys(page1["comments"][ids["comment"]])
    assert _keys(ours["flashcards"]["1Card"]) == _keys(page1["flashcards"][ids["basic"]])
    assert _keys(doc.meta) == _keys(real)
    # lastUpdated: Polar's persistence layer stamps it on every write; backend: read as "stash"
    assert _keys(doc.meta["docInfo"]) - {"lastUpdated", "backend"} == _keys(real["docInfo"])

    # (the actions book: docInfo as RepoDocMetaManager.writeDocInfo leaves it, a DocInfo
    # with archived and flagged)
    for made_by in [lib, lib.get("actions", {})]:
        for version in [v for v in ("v1", "v2", "v3", "v4") if v in made_by]:
            made = json.loads(made_by[version]["sparse"])
            assert list(polar_export.sparse(made_by[version]["full"]).items()) == list(made.items())
            assert polar_export.js_stringify(made) == made_by[version]["sparse"]

    # Polar 1.x (2019): the same keys, and its state.json byte for byte as our factory writes one
    old = library(source, "1x")
    page = old["v1"]["full"]["pageMetas"]["1"]
    assert _keys(ours["textHighlights"]["1Hl"]) == _keys(page["textHighlights"][old["ids"]["h1"]])
    assert _keys(ours["flashcards"]["1Card"]) == _keys(page["flashcards"][old["ids"]["basic"]])
    assert _keys(ours["comments"]["1Comment"]) == _keys(page["comments"][old["ids"]["comment"]])
    assert _keys(doc.meta["docInfo"]) - {"lastUpdated", "backend"} == _keys(old["v1"]["full"]["docInfo"])
    assert state_json(old["v1"]["full"]) == old["v1"]["state"].encode("utf-8")


_REVISED_CARDS = ["onOriginal", "onRevision1", "onRevision2", "onRevision3", "onLast"]


@pytest.mark.parametrize("form", ["full", "sparse"])
@pytest.mark.parametrize("source", ["fixture", "live"])
def test_cards_and_comments_made_between_revisions_keep_their_highlight(col, tmp_path, state_path, source, form):
    """A highlight revised again and again between two syncs (Polar re-keys it
    at each ``setRevisedText``): the cards and comments made on each of its
    revisions point at ids no longer in the DocMeta, and no sync saw them
    (Polar's own sidebar, matching id or guid, shows them under no highlight).
    Each still shows the highlight's last text and every comment made on it,
    in its place; two highlights revised in turn with a card on each one's
    first revision lend neither card a text (the DocMeta cannot tell whose
    it was); after a sync, a card and a comment made on the then current
    revision keep it through two more; a deleted highlight lends its card no
    other's text; a colour change, a new title and another highlight's
    revision reverted (which widens that one's times: the comments then
    follow the cards the last sync placed) keep it all. Also: two highlights
    in the same place on two pages (Polar's id is made from the rectangles,
    so theirs is one) each keep their own page's cards and comments."""
    lib = library(source)
    if "revised" not in lib:
        pytest.skip("made before the revisions run")
    _revised_book_syncs(col, tmp_path, state_path, dict(lib["revised"], images={}), form)


@pytest.mark.parametrize("revision", [1, 2, 3, 4])
def test_a_revision_whose_random_id_begins_with_1(col, tmp_path, state_path, revision):
    """Polar's random ids (``createRandomID``: base58 of 32 bytes) begin with
    "1", as every ``createID`` (a highlight's first id) does, when the first
    byte is 0: one revision in 256 (the live run met one in thirty runs).
    Such a lost id is a revision's when a child on an earlier lost revision
    of the same highlight shows it was being revised by then (revisions 2
    and 3: every card and comment keeps the highlight); on the first
    revision made a card on, the DocMeta cannot tell it from a deleted
    highlight's id (old Polar left their cards, issue #1231): its card gets
    no highlight's text (only the comment made on the same id), the others
    keep theirs. Revision 4, the one a sync saw (a card and a comment made on
    it after, then revised twice): its comment stays on every card when a
    later change of another revised highlight of the page widens the times
    (v3: the comments then follow the parent the last sync stored for the
    cards on that id; it was left out for an id beginning with "1", one
    live run in 60)."""
    book = dict(library("fixture")["revised"], images={})
    p1 = book["v1"]["full"]["pageMetas"]["1"]
    if revision == 4:
        lost = book["v2"]["full"]["pageMetas"]["1"]["comments"][book["ids"]["commentRevision4"]]["ref"]
        lost = lost.partition(":")[2]
        assert lost[0] != "1" and lost in p1["textHighlights"]
        assert lost not in book["v2"]["full"]["pageMetas"]["1"]["textHighlights"]
    else:
        lost = p1["comments"][book["ids"][f"commentRevision{revision}"]]["ref"].partition(":")[2]
        assert lost[0] != "1" and lost not in p1["textHighlights"]
    book = json.loads(json.dumps(book).replace(lost, "1" + lost[1:]))
    _revised_book_syncs(col, tmp_path, state_path, book, "full")


def test_a_card_left_by_a_deleted_highlight_gets_no_revised_highlights_text(col, tmp_path, state_path):
    """Old Polar deleted a highlight and left its cards (issue #1231),
    pointing at the highlight's own first id (``createID``: it begins with
    "1"). One made while another highlight of its page was being revised,
    before any card on a revision of it, is not given that highlight's text
    (the first sync of years of such data: nothing tells it apart)."""
    book = dict(library("fixture")["revised"], images={})
    ids = book["ids"]
    p1 = book["v1"]["full"]["pageMetas"]["1"]
    cards = p1["flashcards"]
    before, after = cards[ids["onOriginal"]]["created"], cards[ids["onRevision1"]]["created"]
    assert before < after
    orphan = dict(cards[ids["onOriginal"]], id="1LeftBehindX", guid="1LeftBehindX",
                  ref="text-highlight:1DeLeTeD9x", created=_between(before, after),
                  fields={"front": {"HTML": "Left by a deletion?"}, "back": {"HTML": "Yes"}})
    assert before < orphan["created"] < after, orphan["created"]
    cards[orphan["id"]] = orphan
    root = tmp_path / "polar"
    write(book, root, "v1", "full")
    report = run(col, root, state_path)
    assert (report.created, report.errors) == (11, []), report.errors
    back = text(note_of(col, "1LeftBehindX")["Back"])
    assert "Enzymes" not in back.replace("Enzymes, Revised", "") and "Comment on" not in back, back
    back = text(note_of(col, ids["onRevision1"])["Back"])
    assert "Enzymes speed reactions by lowering the activation energy." in back, back


def _between(before: str, after: str) -> str:
    """The ISO time halfway between two of Polar's."""
    from datetime import datetime

    a, b = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (before, after))
    return (a + (b - a) / 2).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _revised_book_syncs(col: Any, tmp_path: Path, state_path: Path, book: Dict[str, Any], form: str) -> None:
    ids = book["ids"]
    root = tmp_path / "polar"
    write(book, root, "v1", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (10, [], []), (report.errors, report.warnings)
    comments = ["Comment on the original.", "Comment on revision 1.", "Comment on revision 2.",
                "Comment on revision 3."]
    cards = list(_REVISED_CARDS)
    p1 = book["v1"]["full"]["pageMetas"]["1"]
    if p1["comments"][ids["commentRevision1"]]["ref"].startswith("text-highlight:1"):
        # the first revision's random id began with "1" (one run in 256 live): told from
        # a deleted highlight's id by nothing (test_a_revision_whose_random_id_begins_with_1)
        cards.remove("onRevision1")
        comments.remove("Comment on revision 1.")
        back = text(note_of(col, ids["onRevision1"])["Back"])
        assert "Enzymes" not in back.replace("Enzymes, Revised", "") and "Comment on the original." not in back, back
        assert "Comment on revision 1." in back, back  # the comment made on the same id, its own
    for key in cards:
        back = text(note_of(col, ids[key])["Back"])
        assert "Enzymes speed reactions by lowering the activation energy." in back, (key, back)
        assert all(c in back for c in comments), (key, back)
        assert "Substrates" not in back, (key, back)
    assert "Comment on" not in text(note_of(col, ids["onNeighbour"])["Back"])
    for key in ("onA1", "onB1"):
        back = text(note_of(col, ids[key])["Back"])
        assert "Left" not in back and "Right" not in back, (key, back)
    # The same rectangles on pages 1 and 2 (so one id): each card its own page's highlight and comment
    assert ids["sameId"] is True
    for page, other in (("1", "2"), ("2", "1")):
        back = text(note_of(col, ids[f"samePage{page}"])["Back"])
        names = {"1": "one", "2": "two"}
        assert f"p. {page}" in back and f"Same place, page {names[page]}." in back, back
        assert f"Comment on page {names[page]}." in back and names[other] + "." not in back, back
    due = {key: note_of(col, ids[key]).cards()[0].due for key in _REVISED_CARDS + ["onNeighbour"]}
    assert max(due[key] for key in cards) < due["onNeighbour"], due  # a page-level card after the page's highlights

    write(book, root, "v2", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (1, [], []), report
    for key in cards + ["onRevision4"]:
        back = text(note_of(col, ids[key])["Back"])
        assert "Enzymes lower the activation energy (revision 6)." in back, (key, back)
        assert all(c in back for c in comments + ["Comment on revision 4."]), (key, back)
    if "v3" not in book:
        return
    # Then the colour changed (lastUpdated stamped), the document renamed, pages marked
    # read, and page 2's left highlight deleted in the sidebar: its card on the first
    # revision stays, and the right one, the only revised highlight left there that the
    # times fit, is still not made its highlight (the last sync saw the card without it).
    write(book, root, "v3", form)
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.errors, report.warnings) == (0, 0, [], []), report
    for key in _REVISED_CARDS + ["onRevision4", "onNeighbour", "onA1", "onB1", "samePage1", "samePage2"]:
        assert "Enzymes, Retitled" in text(note_of(col, ids[key])["Back"]), key
    for key in ("onA1", "onB1"):
        back = text(note_of(col, ids[key])["Back"])
        assert "Left" not in back and "Right" not in back, (key, back)
    back = text(note_of(col, ids[cards[1]])["Back"])
    assert "Enzymes lower the activation energy (revision 6)." in back and "Comment on revision 4." in back, back
    # the neighbour's revision reverted (resetRevisedText: re-keyed again): its card shows the words as highlighted
    back = text(note_of(col, ids["onNeighbour"])["Back"])
    assert "Substrates bind the active site." in back and "Enzymes" not in back.replace("Enzymes, Retitled", ""), back


def test_a_document_deleted_and_restored_keeps_its_notes_and_reviews(col, tmp_path, state_path):
    """Polar's repository deletes a document's folder (its DocMeta and files);
    a person may put it back from a backup. Its notes stay, marked
    ``polar::deleted`` with their reviews, and come back as they were: no
    duplicate, the mark gone."""
    lib = library("fixture")
    ids = lib["ids"]
    root = tmp_path / "polar"
    write(dict(lib["epub"], images={}), root, "v1", "sparse")  # another document: the library is not empty
    write(lib, root, "v1", "sparse")
    assert run(col, root, state_path).created == 17
    card = note_of(col, ids["basic"]).cards()[0]
    card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 12, 40, 3
    col.update_card(card)
    shutil.move(str(root / ids["fingerprint"]), str(tmp_path / "aside"))
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.errors, report.warnings) == (0, 14, [], []), report
    assert col.note_count() == 17 and all("polar::deleted" in note_of(col, ids[key]).tags for key in ORDER)
    shutil.move(str(tmp_path / "aside"), str(root / ids["fingerprint"]))
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.errors, report.warnings) == (0, 0, [], []), report
    assert col.note_count() == 17 and not any("polar::deleted" in note_of(col, ids[key]).tags for key in ORDER)
    card = col.get_card(card.id)
    assert (card.ivl, card.due, card.reps, card.queue) == (12, 40, 3, 2)


def _study(col: Any, note: Any) -> Dict[int, tuple]:
    """Every card of ``note`` made a review card; what each then is."""
    got = {}
    for i, card in enumerate(note.cards()):
        card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 10 + i, 50 + i, 2 + i
        col.update_card(card)
        got[card.id] = (card.ivl, card.due, card.reps)
    return got


def _reviews_kept(col: Any, studied: Dict[int, tuple]) -> None:
    for cid, was in studied.items():
        card = col.get_card(cid)
        assert (card.ivl, card.due, card.reps) == was, (cid, was)


@pytest.mark.parametrize("form", ["full", "sparse"])
@pytest.mark.parametrize("source", ["fixture", "live"])
def test_a_persons_edits_in_polars_sidebar_and_repository_reach_anki(col, tmp_path, state_path, source, form):
    """The driver's ``actionsBook``, each action through the function Polar's UI
    calls: a card edited twice between two syncs and once more after (one
    note, its reviews kept), a three-deletion cloze edited to drop ``c2`` (one
    note, ``c1``/``c3`` reviews kept, the emptied card said), a basic card
    saved as a cloze in the editor (a new note; the old one kept with its
    reviews, ``polar::deleted``, as docs/notes-and-fields.md says), a comment
    edited in the sidebar, another deleted, a third deleted from the menu with
    the card made on it (the answers follow; that card's note kept as
    removed), a card tagged in the sidebar and its tag removed later, the
    document's tags set in the repository (its ``deck:`` tag and another
    removed: the cards go to the default deck, the tag leaves the notes), the
    document flagged, then archived (left alone unless ``skip_archived``)."""
    book = library(source)["actions"]
    ids = book["ids"]
    root = tmp_path / "polar"
    write(dict(book, images={}), root, "v1", form)
    report = run(col, root, state_path)
    assert (report.created, report.errors, report.warnings) == (6, [], []), report
    keys = ("twice", "cloze", "tagged", "plain", "switched", "onComment")
    notes = {key: note_of(col, ids[key]) for key in keys}
    assert {col.decks.name(c.did) for n in notes.values() for c in n.cards()} == {"physics::mechanics"}
    for n in notes.values():
        assert {"newton", "motion"} <= set(n.tags), n.tags
    back = text(notes["twice"]["Back"])
    assert "The second law." in back and "A comment deleted later." in back, back
    back = text(notes["onComment"]["Back"])
    assert "Momentum is conserved." in back and "In a closed system." in back, back
    assert len(notes["cloze"].cards()) == 3
    studied = {**_study(col, notes["twice"]), **_study(col, notes["cloze"]), **_study(col, notes["switched"])}

    write(dict(book, images={}), root, "v2", form)
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.rekeyed, report.errors) == (1, 2, 2, []), report
    assert note_of(col, ids["twice2"]).id == notes["twice"].id
    assert "m a (edit 2)" in note_of(col, ids["twice2"])["Back"]
    cloze = note_of(col, ids["clozeEdited"])
    assert cloze.id == notes["cloze"].id and "{{c2::" not in cloze["Text"], cloze["Text"]
    assert [w.get("code") for w in report.warnings] == ["cloze_cards_emptied"], report.warnings
    _reviews_kept(col, studied)
    for key in ("twice2", "clozeEdited", "tagged"):
        back = text(note_of(col, ids[key]).fields[-1])
        assert "The second law, edited." in back and "A comment deleted later." not in back, (key, back)
    assert "exam" in note_of(col, ids["tagged"]).tags
    back = text(note_of(col, ids["plain"])["Back"])
    assert "The second law" not in back and "In a closed system." not in back, back
    switched = note_of(col, ids["switchedEdited"])
    assert switched.id != notes["switched"].id and "{{c1::conserved}}" in switched["Text"]
    for key in ("switched", "onComment"):
        gone = col.get_note(notes[key].id)
        assert "polar::deleted" in gone.tags and all(c.queue == -1 for c in gone.cards()), key
    assert col.note_count() == 7

    write(dict(book, images={}), root, "v3", form)
    report = run(col, root, state_path)
    assert (report.created, report.orphaned, report.rekeyed, report.errors, report.warnings) == (
        0, 0, 1, [], []), report
    now = {key: note_of(col, ids[key]) for key in ("twice3", "clozeEdited", "tagged", "plain", "switchedEdited")}
    assert now["twice3"].id == notes["twice"].id and "m a (edit 3)" in now["twice3"]["Back"]
    default = col.decks.name(1)
    assert {col.decks.name(c.did) for n in now.values() for c in n.cards()} == {default}
    for key, n in now.items():
        assert "newton" in n.tags and "motion" not in n.tags, (key, n.tags)
    assert "exam" not in now["tagged"].tags  # its tag removed in the sidebar
    _reviews_kept(col, studied)

    # archived: synced as before by default, left alone with skip_archived
    write(dict(book, images={}), root, "v4", form)
    report = run(col, root, state_path)
    assert (report.created, report.updated, report.orphaned, report.errors, report.warnings) == (
        0, 0, 0, [], []), report
    report = run(col, root, state_path, skip_archived=True)
    assert (report.skipped_archived, report.orphaned, report.errors) == (1, 0, []), report
    assert col.note_count() == 7 and all("polar::deleted" not in n.tags for n in now.values())
    _reviews_kept(col, studied)
