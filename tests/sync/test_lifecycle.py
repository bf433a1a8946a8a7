"""A user's lifetime with Polar Sync on a real collection: study, edit in
Polar, re-tag, delete, edit in Anki, adopt old notes, lose the state. After
every step: exact counts, the same note ids, reviews intact, and a second run
changes nothing."""

from __future__ import annotations

from typing import Dict, Tuple

import pytest

from addon.sync.identity import guid_for
from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

QUEUE_SUSPENDED = -1


def assert_idempotent(col, lib, state, **config):
    mods = {nid: col.get_note(nid).mod for nid in col.find_notes("")}
    again = run(col, lib, state, **config)
    assert not again.changed, again.to_dict()
    assert (again.created, again.updated, again.moved, again.orphaned, again.deleted) == (0, 0, 0, 0, 0)
    assert {nid: col.get_note(nid).mod for nid in col.find_notes("")} == mods


def nid_of(col, card_id: str) -> int:
    nids = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for(card_id)]
    assert len(nids) == 1, f"{card_id}: {nids}"
    return nids[0]


def study(col, times: int = 4) -> None:
    """Answer cards through the real scheduler so revlog rows exist."""
    done = 0
    for deck in col.decks.all_names_and_ids():
        col.decks.select(deck.id)
        while done < times:
            card = col.sched.getCard()
            if card is None:
                break
            col.sched.answerCard(card, 4)
            done += 1


def reviews(col) -> Tuple[int, Dict[int, int]]:
    ivls = {cid: ivl for cid, ivl in col.db.all("select id, ivl from cards")}
    return col.db.scalar("select count() from revlog"), ivls


@pytest.fixture
def lib(tmp_path):
    return two_documents(tmp_path / "polar")


def two_documents(root):
    """Doc A (two text-highlight cards and a cloze, deck Books::A) and Doc B
    (two basic cards, deck Books::B), written: (root, A, B)."""
    a = Doc(root, "1DocA00000000000000000aa", "Doc A", tags=["deck:Books/A"])
    a.text_highlight("1HlA000001", "first highlight")
    a.text_highlight("1HlA000002", "second highlight")
    a.card("1CardA0001", basic("<p>A1 front</p>", "<p>A1 back</p>"), ref="text-highlight:1HlA000001")
    a.card("1CardA0002", basic("<p>A2 front</p>", "<p>A2 back</p>"), ref="text-highlight:1HlA000002")
    a.card("1CardA0003", cloze("<p>{{c1::A3}} cloze</p>"), "CLOZE", ref="page:1")
    a.write()
    b = Doc(root, "1DocB00000000000000000bb", "Doc B", tags=["deck:Books/B"])
    b.card("1CardB0001", basic("B1 front", "B1 back"))
    b.card("1CardB0002", basic("B2 front", "B2 back"))
    b.write()
    return root, a, b


def test_a_lifetime(col, lib, state_path):
    root, a, b = lib
    report = run(col, root, state_path)
    assert report.created == 5 and col.note_count() == 5
    ids = {c: nid_of(col, c) for c in ("1CardA0001", "1CardA0002", "1CardA0003", "1CardB0001", "1CardB0002")}
    assert_idempotent(col, root, state_path)

    study(col, 5)
    revlog, ivls = reviews(col)
    assert revlog == 5

    # 1. Edit in Polar: a new id on the same highlight replaces the old card.
    a.edit_card("1CardA0001", "1CardA0099", basic("<p>A1 front, edited</p>", "<p>A1 back</p>"))
    a.write()
    report = run(col, root, state_path)
    assert (report.created, report.updated, report.rekeyed, report.orphaned) == (0, 1, 1, 0)
    assert nid_of(col, "1CardA0099") == ids["1CardA0001"]
    assert col.get_note(ids["1CardA0001"])["Front"] == "<p>A1 front, edited</p>"
    assert reviews(col) == (revlog, ivls)
    assert col.note_count() == 5
    assert_idempotent(col, root, state_path)

    # 2. Re-tag a document to another deck: its cards follow.
    b.untag("deck:Books/B").tag("deck:Books/Moved")
    b.write()
    report = run(col, root, state_path)
    assert report.moved == 2 and report.created == 0
    for c in ("1CardB0001", "1CardB0002"):
        assert {col.decks.name(x.did) for x in col.get_note(ids[c]).cards()} == {"Books::Moved"}
    assert reviews(col) == (revlog, ivls)
    assert_idempotent(col, root, state_path)

    # A card the user moves in Anki stays there while Polar's deck is unchanged.
    user_deck = col.decks.id("Mine")
    col.set_deck([c.id for c in col.get_note(ids["1CardA0002"]).cards()], user_deck)
    a.card("1CardA0004", basic("A4 front", "A4 back"))
    a.write()
    report = run(col, root, state_path)
    assert report.created == 1 and report.moved == 0
    assert {x.did for x in col.get_note(ids["1CardA0002"]).cards()} == {user_deck}
    assert_idempotent(col, root, state_path)

    # 3. Delete a card in Polar: tagged and suspended (default policy), kept.
    a.delete_card("1CardA0002")
    a.write()
    report = run(col, root, state_path)
    assert report.orphaned == 1 and report.deleted == 0
    note = col.get_note(ids["1CardA0002"])
    assert ORPHAN_TAG in note.tags
    assert {c.queue for c in note.cards()} == {QUEUE_SUSPENDED}
    assert col.note_count() == 6
    assert reviews(col)[0] == revlog
    assert_idempotent(col, root, state_path)

    # 4. Delete a whole document: its cards are orphaned the same way.
    b.remove()
    report = run(col, root, state_path)
    assert report.orphaned == 2
    for c in ("1CardB0001", "1CardB0002"):
        assert ORPHAN_TAG in col.get_note(ids[c]).tags
    assert col.note_count() == 6
    assert_idempotent(col, root, state_path)

    # The document comes back (restored from a backup): so do its cards.
    b.write()
    report = run(col, root, state_path)
    assert report.restored == 2 and report.created == 0
    for c in ("1CardB0001", "1CardB0002"):
        note = col.get_note(ids[c])
        assert ORPHAN_TAG not in note.tags
        assert QUEUE_SUSPENDED not in {x.queue for x in note.cards()}
    assert_idempotent(col, root, state_path)

    # 5. An edit in Anki survives a Polar change elsewhere in the document.
    note = col.get_note(ids["1CardA0003"])
    note["Text"] = "<p>{{c1::A3}} cloze, fixed in Anki</p>"
    note.tags.append("my_tag")
    col.update_note(note)
    a.card("1CardA0005", basic("A5 front", "A5 back"))
    a.write()
    report = run(col, root, state_path)
    assert report.created == 1 and report.updated == 0 and not report.conflicts
    note = col.get_note(ids["1CardA0003"])
    assert note["Text"] == "<p>{{c1::A3}} cloze, fixed in Anki</p>"
    assert "my_tag" in note.tags
    assert_idempotent(col, root, state_path)

    # Both sides changed the same field: polar_wins (default) and a conflict.
    num, raw = a.find_card("1CardA0003")
    raw["fields"]["text"]["HTML"] = "<p>{{c1::A3}} cloze, fixed in Polar</p>"
    a.write()
    report = run(col, root, state_path)
    assert report.updated == 1 and len(report.conflicts) == 1
    assert "changed in Polar and in Anki" in report.conflicts[0]["message"]
    note = col.get_note(ids["1CardA0003"])
    assert note["Text"].startswith("<p>{{c1::A3}} cloze, fixed in Polar</p>")
    assert "my_tag" in note.tags  # the user's own tag stays
    assert_idempotent(col, root, state_path)

    # 6. Lose the state file: nothing is duplicated, nothing changes.
    state_path.unlink()
    before = col.note_count()
    report = run(col, root, state_path)
    assert report.created == 0 and report.updated == 0 and col.note_count() == before
    assert reviews(col)[0] == revlog
    assert_idempotent(col, root, state_path)


def test_an_edit_after_the_highlight_was_revised_keeps_the_note(col, lib, state_path):
    """Polar re-creates an edited card with its parent's *current* id, which
    revising the highlight's text changed (the guid, which the old card
    named, kept): still the same note, reviews and all."""
    root, a, _ = lib
    run(col, root, state_path)
    nid = nid_of(col, "1CardA0001")
    study(col, 5)
    revlog, ivls = reviews(col)
    a.revise_highlight("1HlA000001", "1HlA0000R1", "<p>first highlight, revised</p>")
    a.write()
    report = run(col, root, state_path)
    assert (report.created, report.orphaned) == (0, 0)
    assert "first highlight, revised" in col.get_note(nid)["Back"]
    num, old = a.find_card("1CardA0001")
    del a.page(num)["flashcards"]["1CardA0001"]
    a.card("1CardA0098", basic("<p>A1 front, edited</p>", "<p>A1 back</p>"), ref="text-highlight:1HlA0000R1")
    a.write()
    report = run(col, root, state_path)
    assert (report.created, report.rekeyed, report.orphaned) == (0, 1, 0)
    assert nid_of(col, "1CardA0098") == nid
    assert col.get_note(nid)["Front"] == "<p>A1 front, edited</p>"
    assert reviews(col) == (revlog, ivls) and col.note_count() == 5
    assert_idempotent(col, root, state_path)


def test_anki_wins_policy_keeps_the_anki_edit(col, lib, state_path):
    root, a, _ = lib
    run(col, root, state_path, conflict_policy="anki_wins")
    nid = nid_of(col, "1CardA0003")
    note = col.get_note(nid)
    note["Text"] = "{{c1::mine}}"
    col.update_note(note)
    _, raw = a.find_card("1CardA0003")
    raw["fields"]["text"]["HTML"] = "{{c1::theirs}}"
    a.write()
    report = run(col, root, state_path, conflict_policy="anki_wins")
    assert len(report.conflicts) == 1
    assert col.get_note(nid)["Text"] == "{{c1::mine}}"
    assert_idempotent(col, root, state_path, conflict_policy="anki_wins")


@pytest.mark.parametrize("policy", ["tag", "keep", "delete"])
def test_deletion_policies(col, lib, state_path, policy):
    root, a, _ = lib
    run(col, root, state_path, deletion_policy=policy)
    nid = nid_of(col, "1CardA0002")
    a.delete_card("1CardA0002")
    a.write()
    report = run(col, root, state_path, deletion_policy=policy, delete_max_share=0.5)
    if policy == "delete":
        assert report.deleted == 1 and col.note_count() == 4
    else:
        assert report.orphaned == 1 and col.note_count() == 5
        note = col.get_note(nid)
        assert (ORPHAN_TAG in note.tags) == (policy == "tag")
        assert QUEUE_SUSPENDED not in {c.queue for c in note.cards()}
    assert_idempotent(col, root, state_path, deletion_policy=policy, delete_max_share=0.5)


def test_delete_takes_a_sweep_of_exactly_the_limit(col, lib, state_path):
    """The limit is the most that may go: 2 of 5 notes at a limit of 40%
    are deleted (more is refused: the test below)."""
    root, a, b = lib
    run(col, root, state_path, deletion_policy="delete", delete_max_share=0.4)
    b.remove()
    report = run(col, root, state_path, deletion_policy="delete", delete_max_share=0.4)
    assert report.deleted == 2 and col.note_count() == 3 and not report.errors, report.errors


def test_delete_refuses_a_large_sweep(col, lib, state_path):
    root, _, b = lib
    run(col, root, state_path, deletion_policy="delete")
    b.remove()  # 2 of 5 notes = 40% > 20%
    report = run(col, root, state_path, deletion_policy="delete")
    assert report.deleted == 0 and col.note_count() == 5
    assert any("refused to delete" in e["message"] for e in report.errors)


def test_no_sweep_when_library_is_empty_or_document_broken(col, lib, state_path):
    root, a, b = lib
    run(col, root, state_path)
    # A document that fails to parse keeps its notes untouched.
    a.path.write_text("{ truncated")
    report = run(col, root, state_path)
    assert report.orphaned == 0 and len(report.errors) == 1
    # A library emptied (unmounted disk, wrong folder): nothing is swept.
    for doc in (a, b):
        doc.remove()
    report = run(col, root, state_path)
    assert report.orphaned == 0
    assert not col.find_notes(f"tag:{ORPHAN_TAG}")
    # ... and the record of what was synced stays (qa: an empty folder chosen
    # once wiped it; the next syncs took the add-on's notes for another
    # tool's, and a card then deleted in Polar was never seen to go).
    again = run(col, root, state_path)
    assert again.orphaned == 0 and [w["code"] for w in again.warnings] == ["library_empty"]
    a.write()  # the right folder again, a card deleted in Polar meanwhile
    b.delete_card("1CardB0001").write()
    back = run(col, root, state_path)
    assert (back.created, back.orphaned, back.errors, back.warnings) == (0, 1, [], [])
    assert len(col.find_notes(f"tag:{ORPHAN_TAG}")) == 1


def test_adopts_notes_of_polars_old_sync(col, lib, state_path):
    root, a, b = lib
    basic_type = col.models.by_name("Basic")
    deck = col.decks.id("Old Polar")
    old = col.new_note(basic_type)  # Polar 1.x: tagged with the card's guid
    old["Front"], old["Back"] = "<p>A1 front</p>", "<p>A1 back</p>"
    old.tags = ["polar_guid:1CardA0001", "_polar-flashcard", "linux"]
    col.add_note(old, deck)
    old2 = col.new_note(basic_type)  # Polar 2.x: only the marker tag
    old2["Front"], old2["Back"] = "B1 front", "B1 back"
    old2.tags = ["_polar-flashcard"]
    col.add_note(old2, deck)
    study(col, 2)
    revlog, _ = reviews(col)

    report = run(col, root, state_path)
    assert report.adopted == 2 and report.created == 3
    assert col.note_count() == 5
    assert nid_of(col, "1CardA0001") == old.id and nid_of(col, "1CardB0001") == old2.id
    tags = col.get_note(old.id).tags
    assert "linux" in tags and not [t for t in tags if t.startswith("polar_guid:") or t == "_polar-flashcard"]
    assert reviews(col)[0] == revlog
    assert_idempotent(col, root, state_path)


def test_notes_taken_over_are_counted_once_not_also_as_updated(col, lib, state_path):
    """A first sync over 2,000 notes of Polar's old sync said "3143 new notes,
    1865 notes updated, 1865 notes taken over from Polar's old sync" (notice,
    tooltip, report, sync log): the same notes twice, read as 3,730. A note
    taken over is updated too (its text, its tags); it is told once now."""
    from addon.gui.report_text import counts_line

    root, _, _ = lib
    old = col.new_note(col.models.by_name("Basic"))
    old["Front"], old["Back"] = "<p>A1 front</p>", "<p>A1 back</p>"
    old.tags = ["polar_guid:1CardA0001", "_polar-flashcard", "linux"]
    col.add_note(old, col.decks.id("Old Polar"))
    report = run(col, root, state_path)
    assert (report.adopted, report.updated, report.created) == (1, 1, 4)  # the figures stay as they were
    assert report.summary().splitlines()[0] == "Polar Sync: 4 new notes, 1 note taken over from Polar's old sync."
    assert counts_line(report.to_dict()) == "4 new notes, 1 note taken over from Polar's old sync"


def test_the_report_trees_lines_tell_notes_taken_over_as_the_headline_does(col, lib, state_path):
    """The report window's tree said "2 new notes, 1 note updated" for the
    deck of a note taken over from Polar's old sync, under a headline that
    said "taken over" and no "updated" at all: a new user read two different
    syncs. Its deck, its document and its row now say "taken over"."""
    from addon.gui.report_text import change_label, change_tree, counts_words, kind_counts, tree_kind

    root, _, _ = lib
    old = col.new_note(col.models.by_name("Basic"))
    old["Front"], old["Back"] = "<p>A1 front</p>", "<p>A1 back</p>"
    old.tags = ["polar_guid:1CardA0001", "_polar-flashcard", "linux"]
    col.add_note(old, col.decks.id("Old Polar"))
    data = run(col, root, state_path).to_dict()
    rows = [r for r in data["changes"] if r.get("note_id") == old.id]
    assert [(r["change"], r.get("taken_over")) for r in rows] == [("updated", "adopted")]  # the JSON's kind stays
    assert not any(r.get("taken_over") for r in data["changes"] if r.get("note_id") != old.id)
    tree = change_tree(data["changes"])
    deck = next(d for d in tree.decks if any(r.get("note_id") == old.id for r in d.rows))
    # (listed under the deck the old sync put it in, where it stays)
    assert deck.name == "Old Polar"
    words = counts_words(deck.counts, False)
    assert words == "1 note taken over"  # the headline says from what; the line fits beside the deck
    assert {counts_words(d.counts, False) for d in tree.decks if d.name != "Old Polar"} == {"2 new notes"}
    assert kind_counts(rows, True) == "1 note would be taken over"
    assert change_label(tree_kind(rows[0]), False) == "taken over"
    # A later edit in Polar of that note is an ordinary update.
    assert change_label(tree_kind({"change": "updated"}), False) == "updated"


def test_two_computers_duplicate_is_resolved(col, lib, state_path, tmp_path):
    """AnkiWeb matches notes by id: two machines that each created the note
    leave two notes with one guid. Keep the studied one."""
    root, _, _ = lib
    run(col, root, state_path)
    first = nid_of(col, "1CardB0001")
    twin = col.new_note(col.get_note(first).note_type())
    twin.fields = list(col.get_note(first).fields)
    twin.guid = guid_for("1CardB0001")
    col.add_note(twin, col.decks.id("Default"))
    # study the twin only: it must be the one kept
    col.decks.select(col.decks.id("Default"))
    card = col.sched.getCard()
    assert card.nid == twin.id
    col.sched.answerCard(card, 3)
    report = run(col, root, state_path)
    assert report.duplicates == 1
    keeper = [n for n in col.find_notes("") if col.get_note(n).guid == guid_for("1CardB0001")]
    assert keeper == [twin.id]
    assert ORPHAN_TAG in col.get_note(first).tags
    assert_idempotent(col, root, state_path)


def test_skip_tag_and_archived(col, lib, state_path):
    root, a, b = lib
    run(col, root, state_path)
    nid = nid_of(col, "1CardB0001")
    b.tag("polar-sync:skip")
    b.delete_card("1CardB0001")
    b.card("1CardB0003", basic("new", "card"))
    b.write()
    report = run(col, root, state_path)
    assert report.skipped_documents == 1 and report.created == 0 and report.orphaned == 0
    assert ORPHAN_TAG not in col.get_note(nid).tags
    a.meta["docInfo"]["archived"] = True
    a.card("1CardA0009", basic("archived", "doc"))
    a.write()
    report = run(col, root, state_path, skip_archived=True)
    assert report.created == 0
    report = run(col, root, state_path, skip_archived=False)
    assert report.created == 1


def test_deck_moves_can_be_turned_off(col, lib, state_path):
    root, _, b = lib
    run(col, root, state_path, move_on_deck_change=False)
    b.untag("deck:Books/B").tag("deck:Elsewhere")
    b.write()
    report = run(col, root, state_path, move_on_deck_change=False)
    assert report.moved == 0
    assert {col.decks.name(c.did) for c in col.get_note(nid_of(col, "1CardB0001")).cards()} == {"Books::B"}


def test_many_new_decks_and_moves_stay_one_undo_step(col, tmp_path, state_path):
    """Anki keeps 30 undo steps and each new deck is one: a first sync into
    40 decks must still be one "Sync from Polar" step (and not fail)."""
    root = tmp_path / "many"
    docs = []
    for i in range(40):
        doc = Doc(root, f"1Many{i:019d}", f"Doc {i}", tags=[f"deck:Many/D{i}"])
        doc.card(f"1ManyC{i:04d}", basic(f"q{i}", f"a{i}"))
        doc.write()
        docs.append(doc)
    report = run(col, root, state_path)
    assert report.created == 40 and report.errors == []
    assert col.undo_status().undo == "Sync from Polar"
    # Re-tag all 40 documents into 40 new decks: one step again.
    for i, doc in enumerate(docs):
        doc.untag(f"deck:Many/D{i}").tag(f"deck:Moved/E{i}")
        doc.write()
    report = run(col, root, state_path)
    assert report.moved == 40
    assert col.undo_status().undo == "Sync from Polar"
    col.undo()
    assert {col.decks.name(c.did) for c in col.get_note(nid_of(col, "1ManyC0003")).cards()} == {"Many::D3"}
    assert col.note_count() == 40


def test_a_document_moved_to_another_folder_updates_its_notes_tags_and_says_so(col, lib, state_path):
    """Moving a document to another folder in Polar (a ``/folder`` tag label,
    ``Tags.onlyFolderTags``) or re-tagging a card in place
    (``PersistenceLayerMutator2``: ``Flashcards.update(id, ..., {tags})``,
    same id) changes only the notes' tags: an update, reported as one (it was
    "nothing changed", though the tags were written)."""
    root, a, b = lib
    b.tag("/reading/old").write()
    run(col, root, state_path)
    study(col)
    before = reviews(col)
    b.untag("/reading/old").tag("/reading/new").write()

    report = run(col, root, state_path)

    assert report.updated == 2 and report.changed, report.summary()
    assert "nothing changed" not in report.summary()
    assert {c["card"] for c in report.to_dict()["changes"] if c["change"] == "updated"} == {"1CardB0001", "1CardB0002"}
    note = col.get_note(nid_of(col, "1CardB0001"))
    assert "reading::new" in note.tags and "reading::old" not in note.tags
    assert reviews(col) == before
    assert_idempotent(col, root, state_path)

    b.meta["pageMetas"]["1"]["flashcards"]["1CardB0002"]["tags"] = {"hard": {"id": "hard", "label": "hard"}}
    b.write()
    report = run(col, root, state_path)
    assert report.updated == 1 and "hard" in col.get_note(nid_of(col, "1CardB0002")).tags
    assert_idempotent(col, root, state_path)
