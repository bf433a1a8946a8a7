"""The core sync on a real collection: decks, note types, identity, no-op
re-runs, one undo step, errors that name the file."""

from __future__ import annotations

import json
import os
import time

import pytest

from addon.polar.library import SourceError
from addon.settings import Settings
from addon.sync.engine import prepare, sync
from addon.sync.identity import guid_for
from addon.sync.notetypes import MARKER
from tests.conftest import make_collection
from tests.polar_factory import SHARED_SAMPLES, Doc, basic, cloze, export_zip
from tests.sync.helpers import run

SAMPLE_CARDS = {"1FcA1b2C3d", "1FcE4f5G6h", "1FcJ7k8L9m", "1FcN1p2Q3r", "1FcS4t5U6v", "1FcW7x8Y9z"}


def note_of(col, card_id: str):
    nids = col.find_notes("")
    for nid in nids:
        note = col.get_note(nid)
        if note.guid == guid_for(card_id):
            return note
    raise AssertionError(f"no note for {card_id}")


def decks_of(col, note) -> set:
    return {col.decks.name(c.did) for c in note.cards()}


def test_sample_library_lands_with_decks_and_note_types(col, library, state_path):
    report = run(col, library, state_path)
    assert report.created == 6 and report.errors == []
    assert {col.get_note(n).guid for n in col.find_notes("")} == {guid_for(c) for c in SAMPLE_CARDS}
    # deck:learning/memory → sub-deck created with its parent
    assert decks_of(col, note_of(col, "1FcA1b2C3d")) == {"learning::memory"}
    assert col.decks.id_for_name("learning") is not None
    # spaces kept
    assert decks_of(col, note_of(col, "1FcN1p2Q3r")) == {"compsci::operating systems"}
    # no deck tag → Default
    assert decks_of(col, note_of(col, "1FcW7x8Y9z")) == {"Default"}
    # English profile: the stock Basic and Cloze are used; a reversed card gets
    # the own type (stock card 2 would show the context on its question)
    assert note_of(col, "1FcA1b2C3d").note_type()["name"] == "Basic"
    assert note_of(col, "1FcE4f5G6h").note_type()["name"] == "Cloze"
    assert note_of(col, "1FcW7x8Y9z").note_type()["name"] == "Polar Basic (and reversed card)"
    assert [m[MARKER] for m in col.models.all() if m.get(MARKER)] == ["basic_reverse"]
    # cloze with two deletions → two cards; reversed → two cards
    assert len(note_of(col, "1FcE4f5G6h").cards()) == 2
    assert len(note_of(col, "1FcW7x8Y9z").cards()) == 2
    assert col.card_count() == 8
    assert report.decks == {"learning::memory", "compsci::operating systems", "Default"}


def test_second_run_changes_nothing(col, library, state_path):
    run(col, library, state_path)
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    usn_before = col.db.scalar("select max(mod) from cards")
    report = run(col, library, state_path)
    assert (report.created, report.updated, report.moved, report.orphaned) == (0, 0, 0, 0)
    assert report.unchanged == 6
    assert report.parsed == 0  # unchanged files are not even parsed
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods
    assert col.db.scalar("select max(mod) from cards") == usn_before


def test_lost_state_never_duplicates(col, library, state_path):
    run(col, library, state_path)
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    state_path.unlink()
    report = run(col, library, state_path)
    assert report.created == 0 and report.updated == 0 and report.unchanged == 6
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods


def test_corrupt_state_file_is_rebuilt(col, library, state_path):
    run(col, library, state_path)
    state_path.write_bytes(b"this is not sqlite" * 100)
    report = run(col, library, state_path)
    assert report.created == 0 and report.unchanged == 6
    assert any("unreadable" in w["message"] for w in report.warnings)


def test_german_profile_uses_own_note_types(col_de, library, state_path):
    assert col_de.models.by_name("Basic") is None  # "Einfach" in German
    report = run(col_de, library, state_path)
    assert report.created == 6 and report.errors == []
    own = {m[MARKER]: m for m in col_de.models.all() if m.get(MARKER)}
    assert set(own) == {"basic", "cloze", "basic_reverse"}
    assert note_of(col_de, "1FcE4f5G6h").note_type()[MARKER] == "cloze"
    assert len(note_of(col_de, "1FcE4f5G6h").cards()) == 2
    # "Default" is the profile's own default deck, not a new English one
    assert decks_of(col_de, note_of(col_de, "1FcW7x8Y9z")) == {"Standard"}
    assert col_de.decks.id_for_name("Default") is None
    # context lives in dedicated fields with the own types
    n = note_of(col_de, "1FcA1b2C3d")
    assert "An Introduction to Spaced Repetition" in n["Source"]
    assert "p.&nbsp;1" in n["Source"]
    # found again, never duplicated, never given new fields
    fields_before = {k: [f["name"] for f in m["flds"]] for k, m in own.items()}
    Doc(library, "1NewDoc000000000000000x", "New").card("1NewCard01", cloze("{{c1::x}}")).write()
    run(col_de, library, state_path)
    own_after = {m[MARKER]: m for m in col_de.models.all() if m.get(MARKER)}
    assert {k: [f["name"] for f in m["flds"]] for k, m in own_after.items()} == fields_before
    assert len([m for m in col_de.models.all() if m.get(MARKER) == "cloze"]) == 1


def test_reshaped_stock_type_is_not_used(col, library, state_path):
    basic_type = col.models.by_name("Basic")
    col.models.rename_field(basic_type, basic_type["flds"][0], "Question")
    col.models.update_dict(basic_type)
    run(col, library, state_path)
    assert note_of(col, "1FcA1b2C3d").note_type().get(MARKER) == "basic"
    assert col.models.by_name("Basic")["flds"][0]["name"] == "Question"  # untouched


def test_stock_types_can_be_turned_off(col, library, state_path):
    run(col, library, state_path, use_stock_note_types=False)
    assert note_of(col, "1FcA1b2C3d").note_type().get(MARKER) == "basic"


def test_whole_sync_is_one_undo_step(col, library, state_path):
    run(col, library, state_path)
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert col.note_count() == 0


def test_noop_sync_adds_no_undo_step(col, library, state_path):
    run(col, library, state_path)
    note = col.get_note(col.find_notes("")[0])
    note.tags.append("mine")
    col.update_note(note)
    assert col.undo_status().undo != "Sync from Polar"
    run(col, library, state_path)
    assert col.undo_status().undo != "Sync from Polar"


def test_default_deck_and_document_strategy(col, library, state_path):
    run(col, library, state_path, default_deck="Polar Inbox", deck_strategy="document",
        document_deck_parent="Reading")
    assert decks_of(col, note_of(col, "1FcW7x8Y9z")) == {"Reading::How HTTPS works"}
    assert decks_of(col, note_of(col, "1FcN1p2Q3r")) == {"Reading::Operating Systems: Three Easy Pieces"}


def test_default_deck_configurable(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    Doc(lib, "1Doc0000000000000000000a", "No deck").card("1Card00001", basic("q", "a")).write()
    run(col, lib, state_path, default_deck="Polar Inbox")
    assert decks_of(col, note_of(col, "1Card00001")) == {"Polar Inbox"}


def test_deck_tag_forms(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    Doc(lib, "1Doc0000000000000000000a", tags=["deck:All::DevOps"]).card("1Card00001", basic("q", "a")).write()
    Doc(lib, "1Doc0000000000000000000b", tags=["deck:compsci/linux", "deck:Other Deck"]) \
        .card("1Card00002", basic("q2", "a2")).write()
    report = run(col, lib, state_path)
    assert decks_of(col, note_of(col, "1Card00001")) == {"All::DevOps"}
    # several deck tags: the last one wins (Polar's rule) and a warning says so
    assert decks_of(col, note_of(col, "1Card00002")) == {"Other Deck"}
    assert any("deck tags" in w["message"] for w in report.warnings)


def test_corrupt_document_is_named_and_rest_syncs(col, library, state_path):
    bad = library / "1OperatingSystems3Easy0b" / "state.json"
    bad.write_bytes(bad.read_bytes()[:500])  # truncated, as Polar issue #444
    report = run(col, library, state_path)
    assert report.created == 4  # the two OS cards are missing, the rest landed
    assert [e["path"] for e in report.errors] == ["1OperatingSystems3Easy0b/state.json"]
    assert "not valid JSON" in report.errors[0]["message"]


def test_bad_cards_reported_rest_of_document_syncs(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000a", "Doc")
    doc.card("1Good00001", basic("q", "a"))
    doc.card("1NoCloze01", cloze("no deletion here"), ctype="CLOZE")
    doc.page(1)["flashcards"]["1Broken001"] = "not an object"
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 1
    paths = sorted(e["path"] for e in report.errors)
    assert paths == ["1Doc0000000000000000000a/state.json#1Broken001",
                     "1Doc0000000000000000000a/state.json#1NoCloze01"]


def test_tolerates_old_shapes(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Old0000000000000000000a", "Old")
    doc.card("1Capital01", {"Front": {"HTML": "Q"}, "Back": {"HTML": "A"}})
    doc.card("1Plain0001", {"front": "plain string front", "back": "plain back"})
    doc.page(2)["textHighlights"] = None
    doc.page(2)["flashcards"] = None
    doc.meta["pageMetas"]["3"] = None
    # the same card also inside its highlight: de-duplicated by id
    doc.text_highlight("1Hl0000001", "hl text", page=1)
    doc.page(1)["textHighlights"]["1Hl0000001"]["flashcards"] = {
        "1Capital01": doc.page(1)["flashcards"]["1Capital01"]}
    doc.write()
    report = run(col, lib, state_path)
    assert report.created == 2 and report.errors == []
    assert note_of(col, "1Capital01")["Front"] == "Q"
    assert note_of(col, "1Plain0001")["Front"] == "plain string front"


def test_area_highlight_flashcards_are_read(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000a", "Doc")
    doc.page(1)["areaHighlights"]["1Area00001"] = {
        "id": "1Area00001", "image": None,
        "flashcards": {"1InArea001": {"id": "1InArea001", "type": "BASIC_FRONT_BACK",
                                      "fields": {"front": {"HTML": "f"}, "back": {"HTML": "b"}}}},
    }
    doc.write()
    assert run(col, lib, state_path).created == 1


def test_export_zip_including_sparse(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    a = Doc(lib, "1ZipDoc00000000000000000", "Zipped", tags=["deck:zip/one"], pages=4)
    a.card("1ZipCard01", basic("zq", "za"), page=3)
    b = Doc(lib, "1ZipDoc00000000000000001", "Zipped 2", pages=2).card("1ZipCard02", cloze("{{c1::z}}"), "CLOZE")
    z = export_zip(tmp_path / "export.zip", [a], sparse=True)
    report = run(col, z, state_path)
    assert report.created == 1 and report.errors == []
    assert decks_of(col, note_of(col, "1ZipCard01")) == {"zip::one"}
    assert "p.&nbsp;3" in note_of(col, "1ZipCard01")["Back"]
    z2 = export_zip(tmp_path / "export2.zip", [a, b])
    assert run(col, z2, state_path).created == 1


def test_dot_entries_and_temp_files_ignored(col, library, state_path):
    assert (library / ".backup-2020-05-02").is_dir()
    (library / "1SpacedRepetitionIntro0a" / ".state.json-tmp123").write_text("{garbage")
    report = run(col, library, state_path)
    assert report.documents == 4 and report.errors == []


def test_missing_data_dir_raises_before_anything(col, tmp_path, state_path):
    with pytest.raises(SourceError):
        prepare(Settings(), state_path, source_path=tmp_path / "nope")
    assert not state_path.exists()


def test_dry_run_writes_nothing(col, library, state_path):
    settings = Settings()
    report = sync(col, settings, state_path, source_path=library, dry_run=True)
    assert report.created == 6 and report.dry_run
    assert col.note_count() == 0 and not state_path.exists()
    assert not [m for m in col.models.all() if m.get(MARKER)]


@pytest.mark.skipif(not SHARED_SAMPLES.is_dir(), reason="../shared/polar-samples not present")
@pytest.mark.parametrize("sample", sorted(p.name for p in SHARED_SAMPLES.glob("*.json")) if SHARED_SAMPLES.is_dir()
                         else [])
def test_real_polar_samples_parse_and_land(tmp_path, sample):
    from addon.polar.docmeta import parse_docmeta

    raw = (SHARED_SAMPLES / sample).read_bytes()
    doc = parse_docmeta(raw, "fp")
    expected = {c.id for c in doc.flashcards}
    meta = json.loads(raw)
    assert doc.title == (meta["docInfo"].get("title") or "")
    lib = tmp_path / "lib"
    (lib / "fp").mkdir(parents=True)
    (lib / "fp" / "state.json").write_bytes(raw)
    for lang in ("en_US", "de_DE"):
        col = make_collection(tmp_path / lang / "c.anki2", lang)
        report = run(col, lib, tmp_path / f"{lang}.sqlite")
        assert report.errors == [], report.errors
        assert report.created == len(expected)
        got = {col.get_note(n).guid for n in col.find_notes("")}
        assert got == {guid_for(i) for i in expected}
        for nid in col.find_notes(""):
            for card in col.get_note(nid).cards():
                assert doc.display_title in card.answer()
        col.close()
    os.environ.pop("POLAR_DATA_DIR", None)


def test_same_card_id_in_two_documents_makes_one_note(col, tmp_path, state_path):
    lib = tmp_path / "lib"
    Doc(lib, "1DocA000000000000000000a", "A").card("1Shared001", basic("q", "a")).write()
    report = run(col, lib, state_path)
    assert report.created == 1
    Doc(lib, "1DocB000000000000000000b", "B copy").card("1Shared001", basic("q", "a")).write()
    report = run(col, lib, state_path)
    assert report.created == 0 and col.note_count() == 1
    assert report.errors[0]["path"] == "1DocB000000000000000000b/state.json#1Shared001"
    # both new in one run: still one note
    lib2 = tmp_path / "lib2"
    Doc(lib2, "1DocC000000000000000000c", "C").card("1Shared002", basic("q", "a")).write()
    Doc(lib2, "1DocD000000000000000000d", "D").card("1Shared002", basic("q", "a")).write()
    report = run(col, lib2, tmp_path / "other-state.sqlite")
    assert report.created == 1 and len(report.errors) == 1


def test_racy_signature_is_rehashed_not_trusted(col, tmp_path, state_path):
    """A file synced right after it was written is re-hashed next time (its
    mtime might not move for a same-size rewrite); once its mtime is safely
    in the past, its signature is trusted again and it is not even read."""
    from addon.sync.state import SyncState

    lib = tmp_path / "lib"
    doc = Doc(lib, "1Doc0000000000000000000a", "Racy")
    doc.card("1Card00001", basic("q", "a"))
    path = doc.write()
    # "Just written" however slow this machine is between the write and the
    # read: an mtime ahead of the clock is always within the racy window.
    soon = time.time_ns() + 3600 * 10**9
    os.utime(path, ns=(soon, soon))
    run(col, lib, state_path)
    assert SyncState(state_path).documents()[doc.fp].mtime == -1  # too fresh to trust
    old = time.time_ns() - 10_000_000_000
    os.utime(path, ns=(old, old))
    report = run(col, lib, state_path)
    assert report.parsed == 0 and not report.changed  # same content: hashed, not parsed
    assert SyncState(state_path).documents()[doc.fp].mtime == old


def test_state_file_of_an_older_version_gets_the_per_document_index(col, library, state_path):
    """The per-document counts read an index on (doc, orphaned); a state
    file an older version wrote (its index on doc alone) is given it, and a
    file an older version opens again (and indexes its way) still syncs."""
    import sqlite3

    from addon.sync.state import SyncState

    def indexes() -> set:
        with sqlite3.connect(state_path) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")
            return {r[0] for r in rows}

    first = run(col, library, state_path)
    with sqlite3.connect(state_path) as conn:  # as an older version leaves the file
        conn.execute("DROP INDEX cards_doc_live")
        conn.execute("CREATE INDEX cards_doc ON cards(doc)")
    counts = SyncState(state_path).live_cards_per_doc()
    assert indexes() == {"cards_doc_live", "problems_doc"}
    assert sum(counts.values()) == first.created
    with sqlite3.connect(state_path) as conn:  # an older version again
        conn.execute("CREATE INDEX IF NOT EXISTS cards_doc ON cards(doc)")
    again = run(col, library, state_path)
    assert not again.changed and again.unchanged == first.created


def test_the_per_card_lists_are_let_go_in_pieces_and_the_report_keeps_its_own(tmp_path, monkeypatch):
    """``apply`` frees its per-card lists a piece at a time (a large sync's,
    freed at once, held the GIL and froze Anki's window ~0.1 s), on a thread
    of its own once the report is made; nothing the report shows goes with
    them."""
    from addon.sync import apply as apply_module

    root = tmp_path / "polar"
    doc = Doc(root, "1DocP00000000000000000aa", "Pieces", tags=["deck:Pieces"])
    for i in range(7):
        doc.card(f"1CardP000{i}", basic(f"<p>P{i} front</p>", f"<p>P{i} back</p>"))
    doc.write()
    held = []
    real = apply_module._let_go

    def let_go(ctx) -> None:
        held.append((ctx.rows, ctx.planner.plan.creates, ctx.ids.made))
        sizes = [(len(rows), len(creates), len(made)) for rows, creates, made in held]
        assert sizes == [(7, 7, 7)]  # what the sync made, until here
        real(ctx)

    reports = []
    for piece, free in ((1, let_go), (2000, lambda ctx: None)):
        monkeypatch.setattr(apply_module, "FREE_PIECE", piece)
        monkeypatch.setattr(apply_module, "_let_go", free)
        col = make_collection(tmp_path / f"col-{piece}")
        data = run(col, root, tmp_path / f"state-{piece}.sqlite").to_dict()
        if piece == 1:  # more than a piece: freed on a thread of its own, after the report is made
            assert apply_module._freeing is not None and apply_module._freeing.name == "polar-sync-let-go"
            assert apply_module.let_go_done(30)
            assert not apply_module._freeing.is_alive()
        for row in data["changes"]:
            assert row.pop("note_id") in col.find_notes("")  # (each collection's own ids)
        reports.append(data)
        assert col.note_count() == 7
        col.close()
    assert held and all(not part for part in held[0])  # emptied
    assert reports[0] == reports[1] and reports[0]["created"] == 7 and len(reports[0]["changes"]) == 7


@pytest.mark.parametrize("force", [False, True])
def test_a_new_documents_cards_are_planned_by_created_then_id(tmp_path, force):
    """A new document's cards are planned (and, reading order off, added) by
    their created time, then id: pending (the key read from each card) or,
    when changed settings make every document read again, rendered while
    reading (the key from their meta)."""
    root = tmp_path / "polar"
    col = make_collection(tmp_path / "col")
    state = tmp_path / "state.sqlite"
    if force:  # a first sync under other settings: this one reads (and renders) every document
        Doc(root, "1DocF00000000000000000aa", "First", tags=["deck:Order"]).card(
            "1CardF0000", basic("<p>f</p>", "<p>b</p>")).write()
        run(col, root, state, reading_order=False, marker_tag="other")
    doc = Doc(root, "1DocO00000000000000000aa", "Order", tags=["deck:Order"])
    created = {"1CardO0003": "2020-01-02T00:00:00Z", "1CardO0001": "2020-01-03T00:00:00Z",
               "1CardO0002": "2020-01-02T00:00:00Z", "1CardO0000": "2019-12-31T00:00:00Z"}
    for cid, when in created.items():
        doc.card(cid, basic(f"<p>{cid} front</p>", "<p>back</p>"))
        doc.find_card(cid)[1]["created"] = when
    doc.write()
    report = run(col, root, state, reading_order=False)
    made = [c["card"] for c in report.to_dict()["changes"] if c["change"] == "created"]
    assert made == ["1CardO0000", "1CardO0002", "1CardO0003", "1CardO0001"]
    assert report.parsed == (2 if force else 1)  # (forced: the first document read again too)
    col.close()
