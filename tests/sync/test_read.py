"""The read phase (``sync.read``): the cards of a document no sync has seen
are parsed but rendered later, by the write (``read.Pending``), and a sync
made that way is the sync made by rendering everything up front: the same
notes, state, report (errors, warnings, fronts, counts), by either way into
the collection, in a real sync and in a preview."""

from __future__ import annotations

import base64
import copy
import json
import os
import sqlite3
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

import pytest

from addon.settings import Settings
from addon.sync import read, write
from addon.sync.engine import prepare
from addon.sync.identity import guid_for
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _library(root: Path, many: int = 30) -> Tuple[Path, Doc, Doc]:
    """Cards of every kind, with what a render reports: an image, a missing
    image (a warning, the card syncs), an empty front and a cloze without a
    deletion (errors, no note), and a card id two documents hold."""
    alpha = Doc(root, "1AlphaDoc0000000000000000", title="Alpha", tags=["deck:alpha"])
    for i in range(many):
        alpha.card(f"1A{i:08d}", basic(f"<p>Front {i} <b>bold</b></p>", f"Back {i}"), page=1 + i % 3)
    alpha.card("1Empty0001", basic("<p> </p>", "an answer without a question"))
    alpha.card("1NoDel0001", cloze("a cloze with no deletion"), "CLOZE")
    alpha.area_highlight("1Area00001", "1AreaImg.png", page=2)
    alpha.card("1AreaCard1", cloze("an {{c1::area}} card"), "CLOZE", ref="area-highlight:1Area00001", page=2)
    alpha.area_highlight("1Area00002", "1Missing.png", page=2)
    alpha.card("1AreaCard2", basic("a card of a lost image", "back"), ref="area-highlight:1Area00002", page=2)
    alpha.card("1Shared001", basic("held by two documents", "back"))
    alpha.write()
    beta = Doc(root, "1BetaDoc00000000000000000", title="Beta", tags=["deck:beta"])
    for i in range(many):
        beta.card(f"1B{i:08d}", cloze(f"{{{{c1::one {i}}}}} and {{{{c2::two}}}}"), "CLOZE", page=2)
    beta.card("1Shared001", basic("held by two documents", "back"))
    beta.write()
    (root / "files" / "image").mkdir(parents=True, exist_ok=True)
    (root / "files" / "image" / "1AreaImg.png").write_bytes(PNG_1PX)
    return root, alpha, beta


def _everything(col: Any, state: Path, report: Any) -> Tuple[Any, ...]:
    """What a sync left: notes and cards (by guid), media, state rows, and
    the report's counts, errors, warnings and changes (with their fronts)."""
    notes = col.db.all("SELECT guid, flds, tags FROM notes ORDER BY guid")
    cards = col.db.all("SELECT n.guid, c.ord, (SELECT name FROM decks WHERE id = c.did), c.due FROM cards c "
                       "JOIN notes n ON n.id = c.nid ORDER BY n.guid, c.ord")
    media = sorted(p.name for p in Path(col.media.dir()).iterdir())
    with sqlite3.connect(state) as conn:
        rows = conn.execute("SELECT card_id, doc, guid, fields, tags FROM cards ORDER BY card_id").fetchall()
    problems = sorted((p["path"], p["message"], p.get("code", "")) for p in report.errors)
    warnings = sorted((p["path"], p["message"]) for p in report.warnings)
    titles = report.titles
    changes = sorted(tuple(sorted((k, str(v)) for k, v in c.to_dict(titles).items() if k != "note_id"))
                     for c in report.changes)
    counts = (report.created, report.updated, report.unchanged, sorted(report.decks))
    return notes, cards, media, rows, problems, warnings, changes, counts


def _rendered_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every document rendered in the read phase, as before Pending."""
    real = read.read_document

    def eager(*args: Any, **kwargs: Any) -> Any:
        kwargs["defer"] = False
        return real(*args, **kwargs)

    monkeypatch.setattr(read, "read_document", eager)


def test_a_new_documents_cards_wait_to_be_rendered(tmp_path, col):
    library, alpha_doc, beta_doc = _library(tmp_path / "polar")
    settings, _ = Settings.from_dict({})
    state = tmp_path / "state.sqlite"
    first = prepare(settings, state, source_path=library)
    alpha = first.docs["1AlphaDoc0000000000000000"]
    # Its first card looks syncable, so the deck will be made: every card
    # waits, the two that cannot sync too (the write's rendering refuses and
    # reports them).
    assert alpha.cards == [] and len(alpha.pending) == 35
    assert {p.card_id for p in alpha.pending} == alpha.card_ids
    assert first.report.errors == []
    assert next(p.kind for p in alpha.pending if p.card_id == "1AreaCard1") == "cloze"
    report = first.apply(col)
    assert {(e["card"], e["code"]) for e in report.errors if e["code"] != "same_card_twice"} == {
        ("1Empty0001", "empty_front"), ("1NoDel0001", "cloze_without_deletion")}
    assert report.created == 35 + 31 - 1 - 2  # both documents' cards, the shared one once, not the two
    assert not {guid_for("1Empty0001"), guid_for("1NoDel0001")} & set(col.db.list("SELECT guid FROM notes"))
    # A document a sync has seen is rendered when read (its cards mostly meet notes).
    beta_doc.card("1Bnew00001", basic("a card added later", "back"))
    beta_doc.write()
    again = prepare(settings, state, source_path=library)
    beta = again.docs["1BetaDoc00000000000000000"]
    assert beta.status == "parsed" and beta.pending == [] and "1Bnew00001" in {c.card_id for c in beta.cards}
    assert again.docs["1AlphaDoc0000000000000000"].status == "unchanged"
    # New settings: every document is read again, and rendered at once.
    changed, _ = Settings.from_dict({"context": False})
    forced = prepare(changed, state, source_path=library)
    assert forced.docs["1AlphaDoc0000000000000000"].pending == []
    assert len(forced.docs["1AlphaDoc0000000000000000"].cards) == 33  # all but the two that cannot sync


def test_a_new_documents_cards_that_cannot_sync_before_its_first_that_can_are_rendered_at_once(tmp_path):
    """Until a new document's first card that looks syncable, each that does
    not is rendered (and reported) when read: a document none of whose cards
    can sync gets no deck."""
    root = tmp_path / "polar"
    doc = Doc(root, "1MixedDoc0000000000000000", title="Mixed", tags=["deck:mixed"])
    doc.card("1Blank0001", basic("<p> </p>", "no question"))
    doc.card("1Good00001", basic("<p>a question</p>", "an answer"))
    doc.card("1Blank0002", basic("", "no question either"))
    doc.write()
    none = Doc(root, "1NoneDoc00000000000000000", title="None", tags=["deck:none"])
    none.card("1Blank0003", basic("<br>", "b"))
    none.card("1NoDel0002", cloze("no deletion"), "CLOZE")
    none.write()
    settings, _ = Settings.from_dict({})
    read = prepare(settings, tmp_path / "state.sqlite", source_path=root)
    mixed = read.docs["1MixedDoc0000000000000000"]
    assert [p.card_id for p in mixed.pending] == ["1Good00001", "1Blank0002"]
    assert read.docs["1NoneDoc00000000000000000"].pending == []
    assert {e["card"] for e in read.report.errors} == {"1Blank0001", "1Blank0003", "1NoDel0002"}
    col = make_collection(tmp_path / "col")
    try:
        report = read.apply(col)
        assert report.created == 1
        assert {e["card"] for e in report.errors} == {"1Blank0001", "1Blank0002", "1Blank0003", "1NoDel0002"}
        assert sorted(col.decks.all_names_and_ids(), key=lambda d: d.name)[-1].name == "mixed"
        assert not [d for d in col.decks.all_names_and_ids() if d.name == "none"]
    finally:
        col.close()


@pytest.mark.parametrize("way", ["batches", "one go"])
def test_rendering_late_syncs_what_rendering_early_does(tmp_path, monkeypatch, way):
    library, _, _ = _library(tmp_path / "polar")
    if way == "batches":  # the builder renders, beside Anki's add_notes
        monkeypatch.setattr(write, "BATCHED_MIN", 10)
    else:  # few new notes: rendered on the collection thread before the media
        monkeypatch.setattr(write, "BATCHED_MIN", 10**9)
    got: Dict[str, Tuple[Any, ...]] = {}
    for mode in ("late", "early"):
        with monkeypatch.context() as m:
            if mode == "early":
                _rendered_up_front(m)
            col = make_collection(tmp_path / mode / "collection.anki2")
            try:
                state = tmp_path / mode / "state.sqlite"
                report = run(col, library, state)
                got[mode] = _everything(col, state, report)
            finally:
                col.close()
    assert got["late"] == got["early"]
    notes, _, media, _, problems, warnings, changes, counts = got["late"]
    assert counts[0] == len(notes) == 2 * 30 + 3  # the two cards that cannot be synced made no note
    assert {code for _, _, code in problems} == {"empty_front", "cloze_without_deletion", "same_card_twice"}
    assert any("1Missing.png" in message for _, message in warnings)
    assert len([m for m in media if m.startswith("polar-")]) == 1
    assert all(dict(c)["front"] for c in changes)  # every created note's front is in the report


def test_a_preview_renders_what_it_shows(tmp_path, col, monkeypatch):
    library, _, _ = _library(tmp_path / "polar")
    preview = run(col, library, tmp_path / "state.sqlite", dry_run=True)
    assert col.note_count() == 0
    assert preview.created == 2 * 30 + 3
    fronts = [c.front for c in preview.changes if c.kind == "created"]
    assert len(fronts) == preview.created and all(fronts)
    assert {(e["card"], e["code"]) for e in preview.errors if e["code"] != "same_card_twice"} == {
        ("1Empty0001", "empty_front"), ("1NoDel0001", "cloze_without_deletion")}
    synced = run(col, library, tmp_path / "state.sqlite")
    assert synced.created == preview.created == col.note_count()


def test_a_new_document_whose_cards_already_have_notes_updates_them(tmp_path, col, monkeypatch):
    """The sync state lost (or another computer's): a new document's cards
    meet their notes and are rendered on the spot; nothing is made twice."""
    monkeypatch.setattr(write, "BATCHED_MIN", 10)
    library, alpha, _ = _library(tmp_path / "polar")
    first = run(col, library, tmp_path / "state.sqlite")
    before = col.note_count()
    alpha.edit_card("1A00000000", "1A00000000", basic("<p>Front 0, edited</p>", "Back 0"))
    alpha.write()
    again = run(col, library, tmp_path / "lost-state.sqlite")
    assert again.created == 0 and col.note_count() == before == first.created
    # With no record of the note, whose the difference is cannot be told:
    # the note's text stays, and the report shows Polar's beside it.
    assert again.updated == 0
    assert [(r["card"], r["code"], r["polar"]) for r in again.conflicts] == [
        ("1A00000000", "unrecorded_anki", "Front 0, edited")]


@pytest.mark.parametrize("way", ["batches", "one go"])
def test_a_new_document_with_nothing_to_sync_makes_no_deck(tmp_path, col, monkeypatch, way):
    monkeypatch.setattr(write, "BATCHED_MIN", 10 if way == "batches" else 10**9)
    library, _, _ = _library(tmp_path / "polar")
    broken = Doc(library, "1BrokenDoc000000000000000", title="Broken", tags=["deck:broken"])
    broken.card("1Broken001", cloze("a cloze whose deletion was forgotten"), "CLOZE")
    broken.write()
    report = run(col, library, tmp_path / "state.sqlite")
    assert [e["card"] for e in report.errors if e["document"] == "1BrokenDoc000000000000000"] == ["1Broken001"]
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert "alpha" in names and "broken" not in names


def test_a_long_reading_is_announced_once_before_its_first_document(tmp_path, col, monkeypatch):
    """``on_long_read`` (the GUI shows its window then) comes once, before
    any document is read, when the documents to read hold LONG_READ_BYTES or
    more: new or changed ones count, unchanged ones do not."""
    library, alpha, beta = _library(tmp_path / "polar")
    state = tmp_path / "state.sqlite"
    settings, _ = Settings.from_dict({})

    def saved_a_while_ago(doc: Doc) -> None:  # (a file saved just now is read again, to be sure: trusted_signature)
        os.utime(doc.path, (time.time() - 3600, time.time() - 3600))

    saved_a_while_ago(alpha)
    saved_a_while_ago(beta)
    sizes = {d.fp: d.path.stat().st_size for d in (alpha, beta)}
    events: List[str] = []
    real = read.read_document

    def reading(file: Any, *args: Any, **kwargs: Any) -> Any:
        events.append(f"read {file.key}")
        return real(file, *args, **kwargs)

    monkeypatch.setattr(read, "read_document", reading)

    def prepared(limit: int) -> Any:
        monkeypatch.setattr(read, "LONG_READ_BYTES", limit)
        events.clear()
        return prepare(settings, state, source_path=library, on_long_read=lambda: events.append("long"))

    # Both documents are new: their bytes together reach the limit.
    prepared(sum(sizes.values())).apply(col)
    assert events[0] == "long" and events.count("long") == 1 and len(events) == 3
    # Nothing changed: nothing to read, nothing announced, at any limit.
    prepared(1)
    assert "long" not in events
    # One document changed: only its bytes count.
    beta.card("1Bnew00001", basic("a card added later", "back"))
    beta.write()
    saved_a_while_ago(beta)
    changed = beta.path.stat().st_size
    prepared(changed + 1)
    assert "long" not in events
    prepared(changed)
    assert events[0] == "long" and events.count("long") == 1
    # Without the callback (the CLI, a background sync) nothing is asked.
    monkeypatch.setattr(read, "LONG_READ_BYTES", 1)
    assert prepare(settings, state, source_path=library).docs


def _watched(col: Any, library: Path, state: Path, in_place=frozenset({"1HalfWritten000000001"})) -> Any:
    """A sync as the watcher asks for one after it saw ``in_place`` rewritten in place."""
    from addon.sync.engine import collection_identity

    prepared = prepare(Settings(), state, source_path=library, collection_id=collection_identity(col),
                       in_place=in_place)
    return prepared.apply(col)


def test_a_document_cut_short_just_after_a_write_is_read_again_not_called_damaged(tmp_path, col):
    """A document being copied in place (a restore, a copy over a slow
    share) is seen half-way by the watcher's sync: not a damaged file (whose
    advice is to restore a backup) but one to read again shortly. Once it
    is old, in a sync the watcher did not ask for, or replaced whole, it is
    reported."""
    library, state = tmp_path / "polar", tmp_path / "state.json"
    doc = Doc(library, "1HalfWritten000000001", title="Copied in")
    doc.card("1HwA", basic("<p>Q?</p>", "<p>A</p>"))
    doc.write()
    assert run(col, library, state).count("created") == 1
    data = doc.path.read_bytes()
    doc.path.write_bytes(data[: len(data) // 2])

    report = _watched(col, library, state)
    assert not report.errors and report.being_written == {"1HalfWritten000000001": "1HalfWritten000000001/state.json"}
    assert "1 document still being written, left as it is for now" in report.summary()
    assert report.to_dict()["being_written"] == 1
    assert len(col.find_notes("")) == 1  # its note kept, untouched
    # Read again when the copy is done: synced, as any change.
    doc.card("1HwB", basic("<p>Q2?</p>", "<p>A2</p>"))
    doc.write()
    report = _watched(col, library, state)
    assert not report.errors and not report.being_written and report.count("created") == 1

    # Left broken: once older than WRITING_NS, it is reported as before.
    doc.path.write_bytes(b"")
    old = time.time() - read.WRITING_NS / 1e9 - 1
    os.utime(doc.path, (old, old))
    report = _watched(col, library, state)
    assert [e["code"] for e in report.errors] == ["not_a_document"] and not report.being_written
    # The CLI's sync reports it at once (the GUI's startup and by-hand syncs settle: test_cloud_folder).
    doc.path.write_bytes(b"{cut")
    report = run(col, library, state)
    assert [e["code"] for e in report.errors] == ["not_a_document"] and not report.being_written
    # So does the watcher's, for a file replaced whole (temp file + rename:
    # Polar, cloud clients): its writer had finished.
    doc.path.write_bytes(b"{cut")
    report = _watched(col, library, state, in_place=frozenset())
    assert [e["code"] for e in report.errors] == ["not_a_document"] and not report.being_written
    # An mtime in the future (a share's clock ahead) would never grow old: reported.
    doc.path.write_bytes(b"{cut")
    ahead = time.time() + 3600
    os.utime(doc.path, (ahead, ahead))
    report = _watched(col, library, state)
    assert [e["code"] for e in report.errors] == ["not_a_document"] and not report.being_written
    assert len(col.find_notes("")) == 2


def _damage(meta: Dict[str, Any], how: str) -> None:
    """One part of a DocMeta made unreadable, as the QA pass found them."""
    if how == "pageMetas a list":
        meta["pageMetas"] = list(meta["pageMetas"].values())
    elif how == "page a string":
        meta["pageMetas"]["2"] = "page"
    elif how == "page a list":
        meta["pageMetas"]["2"] = [meta["pageMetas"]["2"]]
    elif how == "page's flashcards a string":
        meta["pageMetas"]["2"]["flashcards"] = "x"
    elif how == "page's flashcards a list":
        meta["pageMetas"]["2"]["flashcards"] = list(meta["pageMetas"]["2"]["flashcards"].values())
    else:  # one flashcard's value
        meta["pageMetas"]["2"]["flashcards"]["1CardP2001"] = {"card null": None, "card a string": "card",
                                                             "card a list": [{}]}[how]


@pytest.mark.parametrize("how", [
    "pageMetas a list", "page a string", "page a list", "page's flashcards a string", "page's flashcards a list",
    "card null", "card a string", "card a list",
])
def test_a_part_of_a_document_skipped_takes_none_of_its_cards_as_deleted(tmp_path, col, state_path, how):
    """A part the report says was skipped (pageMetas or a page not a map, a
    flashcards map not a map, a card not an object) still had its cards
    taken as deleted in Polar: notes suspended and tagged. Its cards keep
    their notes as they are, as a card with an empty front does; the rest of
    the library syncs; once the file is repaired it syncs as before."""
    from addon.sync.plan import ORPHAN_TAG

    root = tmp_path / "polar"
    doc = Doc(root, "1Parts000000000000000", "Parts")
    doc.text_highlight("1Hl0000001", "a highlight")
    doc.card("1CardHl0001", basic("on the highlight", "h"), ref="text-highlight:1Hl0000001")
    doc.card("1CardP1001", basic("page one", "p1"))
    doc.card("1CardP2001", basic("page two", "p2"), page=2).card("1CardP2002", cloze("{{c1::two}} b"), "CLOZE", page=2)
    doc.write()
    other = Doc(root, "1Other000000000000000", "Other")
    other.card("1CardO0001", basic("other", "o")).write()
    assert run(col, root, state_path).created == 5
    nids = set(col.find_notes(""))
    damaged = copy.deepcopy(doc.meta)
    _damage(damaged, how)
    doc.path.write_text(json.dumps(damaged))
    other.card("1CardO0002", basic("other two", "o2")).write()
    report = run(col, root, state_path)
    rows = [e for e in report.errors if e.get("document") == doc.fp]
    assert rows and len(rows) == len(report.errors), report.errors
    assert all(e["path"].startswith(f"{doc.fp}/state.json") for e in rows)
    assert {e["code"] for e in rows} <= {"document_part_skipped", "card_problem"}
    assert report.created == 1  # the other document's new card
    assert (report.orphaned, report.deleted) == (0, 0), report.to_dict()
    assert nids < set(col.find_notes(""))
    assert not col.find_cards("is:suspended") and not col.find_notes(f"tag:{ORPHAN_TAG}")
    doc.write()  # repaired (doc.meta is as it was)
    report = run(col, root, state_path)
    assert not report.errors and (report.orphaned, report.created, report.deleted) == (0, 0, 0), report.to_dict()
    assert not col.find_cards("is:suspended") and len(col.find_notes("")) == 6


def test_a_card_deleted_beside_a_card_that_cannot_be_read_is_still_taken_as_deleted(tmp_path, col, state_path):
    """A card unreadable under an id the last sync knew holds only that
    card's note: another card deleted in Polar meanwhile is deleted still."""
    from addon.sync.plan import ORPHAN_TAG

    root = tmp_path / "polar"
    doc = Doc(root, "1Parts000000000000000", "Parts")
    doc.card("1CardP1001", basic("one", "1")).card("1CardP1002", basic("two", "2"))
    doc.write()
    run(col, root, state_path)
    doc.delete_card("1CardP1002")
    doc.page(1)["flashcards"]["1CardP1001"] = None
    doc.write()
    report = run(col, root, state_path)
    assert [e["code"] for e in report.errors] == ["card_problem"]
    assert report.orphaned == 1 and len(col.find_notes(f"tag:{ORPHAN_TAG}")) == 1
    assert col.get_note(col.find_notes(f"tag:{ORPHAN_TAG}")[0]).guid == guid_for("1CardP1002")


def test_a_card_gone_beside_an_unreadable_card_of_a_new_id_keeps_its_note(tmp_path, col, state_path):
    """Polar's edit of a card deletes it and makes a new one (a new id); a
    new card that cannot be read (a damaged record) may be that
    edit, so the card gone beside it keeps its note as it is: not suspended
    or tagged as deleted. Once the new card can be read, it takes the note
    over, reviews and all (``plan.document``'s ``whole``)."""
    from addon.sync.plan import ORPHAN_TAG

    root = tmp_path / "polar"
    doc = Doc(root, "1Parts000000000000000", "Parts")
    doc.card("1CardP1001", basic("one", "1")).card("1CardP1002", basic("two", "2"))
    doc.write()
    run(col, root, state_path)
    nid = col.find_notes("two")[0]
    doc.edit_card("1CardP1002", "1CardP1003", basic("two, edited", "2"))
    raw = doc.page(1)["flashcards"]["1CardP1003"]
    doc.page(1)["flashcards"]["1CardP1003"] = [raw]  # (damaged: a list, not an object)
    doc.write()
    report = run(col, root, state_path)
    assert [(e["code"], e.get("card")) for e in report.errors] == [("card_problem", "1CardP1003")]
    assert (report.orphaned, report.deleted, report.created) == (0, 0, 0), report.to_dict()
    assert not col.find_notes(f"tag:{ORPHAN_TAG}") and not col.find_cards("is:suspended")
    doc.page(1)["flashcards"]["1CardP1003"] = raw
    doc.write()
    report = run(col, root, state_path)
    assert (report.orphaned, report.created, report.rekeyed) == (0, 0, 1), report.to_dict()
    assert col.get_note(nid).guid == guid_for("1CardP1003") and "two, edited" in col.get_note(nid)["Front"]
    assert len(col.find_notes("")) == 2


@pytest.mark.parametrize("pages", ["missing", "null"])
def test_a_docmeta_without_its_pagemetas_is_refused_and_deletes_nothing(tmp_path, col, state_path, pages):
    """pageMetas missing or null beside a docInfo read as "no cards": every
    note of the document was marked removed, with no word. Polar writes
    pageMetas in every DocMeta (DocMetas.create; a sparse one's is {}), so
    such a file is refused as {} is: one row names it, its notes stay."""
    from addon.sync.plan import ORPHAN_TAG

    root = tmp_path / "polar"
    doc = Doc(root, "1NoPages0000000000000", "No pages")
    doc.card("1CardP1001", basic("one", "1")).write()
    Doc(root, "1Other000000000000000", "Other").card("1CardO0001", basic("other", "o")).write()
    run(col, root, state_path)
    good = dict(doc.meta)
    doc.meta = dict(good, pageMetas=None)
    if pages == "missing":
        del doc.meta["pageMetas"]
    doc.write()
    report = run(col, root, state_path)
    assert [(e["path"], e["code"]) for e in report.errors] == [(f"{doc.fp}/state.json", "not_a_document")]
    assert "pageMetas" in report.errors[0]["message"]
    assert (report.orphaned, report.deleted) == (0, 0) and len(col.find_notes("")) == 2
    assert not col.find_cards("is:suspended") and not col.find_notes(f"tag:{ORPHAN_TAG}")
    doc.meta = good
    doc.write()
    report = run(col, root, state_path)
    assert not report.errors and (report.orphaned, report.created) == (0, 0)
