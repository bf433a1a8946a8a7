"""A card a person studied and a card made later on the same parent.

Polar's edit deletes the card and creates a new one with a new id on the
same parent, in one save (``FlashcardActions.update``: one batched
mutation), and the sync pairs the two (a re-key: the note keeps its
reviews). A card an earlier sync found gone was deleted, not edited: a card
made later on its highlight or page is a new card. Real collections, the
cards studied through Anki's scheduler."""

from __future__ import annotations

from typing import Any

import pytest

from addon.sync.plan import ORPHAN_TAG
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run

SUSPENDED = -1
NEW = 0


def study(col: Any, deck: str, answers: int = 3) -> None:
    """Answered Easy: a new card becomes a review card at once. (Good took two
    answers 10 minutes apart, and in the 10-20 minutes before Anki's day
    rollover, 4 a.m. local, the second was not due today: the card stayed in
    learning and the "studied" precondition failed, on every Anki.)"""
    col.decks.select(col.decks.id(deck))
    for _ in range(answers):
        card = col.sched.getCard()
        if card is None:
            break
        col.sched.answerCard(card, 4)


def history(col: Any, nid: int) -> tuple:
    cards = col.get_note(nid).cards()
    revlog = col.db.scalar(f"select count() from revlog where cid in ({','.join(str(c.id) for c in cards)})")
    return revlog, [(c.type, c.ivl, c.reps) for c in cards]


@pytest.fixture
def doc(tmp_path):
    d = Doc(tmp_path / "lib", "1PairDoc00000000000000aa", "Pairing", tags=["deck:Pairs"])
    d.text_highlight("1HlP000001", "a highlight")
    d.card("1CardP0001", basic("What is A?", "A"), ref="text-highlight:1HlP000001")
    d.card("1CardP0002", basic("A page card", "B"), page=2)
    d.write()
    return d


@pytest.mark.parametrize("parent", ["text-highlight", "page"])
@pytest.mark.parametrize("taken_back", [False, True], ids=["orphan", "taken-back"])
def test_a_card_made_after_its_parents_card_was_deleted_is_a_new_note(col, doc, state_path, parent, taken_back):
    """Card A studied, deleted in Polar (a sync orphans it: suspended,
    tagged), optionally kept by the user (tag removed: "yours"); later a
    card B on the same highlight or page: B is a new card (new, unseen), A's
    note keeps its text, reviews and suspension. Was: B took A's note (its
    text replaced by B's, restored, B due as a mature card)."""
    lib = doc.root
    old_id = "1CardP0001" if parent == "text-highlight" else "1CardP0002"
    ref = "text-highlight:1HlP000001" if parent == "text-highlight" else "page:2"
    run(col, lib, state_path)
    study(col, "Pairs", 6)
    a = note_of(col, old_id)
    studied = history(col, a.id)
    assert studied[0] > 0
    doc.delete_card(old_id).write()
    assert run(col, lib, state_path).orphaned == 1
    if taken_back:
        note = col.get_note(a.id)
        note.remove_tag(ORPHAN_TAG)
        col.update_note(note)

    doc.card("1CardPNew01", basic("Something else entirely", "C"), ref=ref, page=1 if parent != "page" else 2)
    doc.write()
    report = run(col, lib, state_path)
    assert (report.created, report.rekeyed, report.restored, report.updated) == (1, 0, 0, 0), report.to_dict()
    b = note_of(col, "1CardPNew01")
    assert b.id != a.id
    assert [(c.type, c.queue, c.reps) for c in b.cards()] == [(NEW, NEW, 0)]
    kept = col.get_note(a.id)
    assert kept.fields[0] == a.fields[0] and kept.fields[1] == a.fields[1]
    assert history(col, a.id) == studied
    assert [c.queue for c in kept.cards()] == [SUSPENDED]
    assert (ORPHAN_TAG in kept.tags) is not taken_back
    again = run(col, lib, state_path)
    assert not again.changed, again.to_dict()


def test_an_edit_in_polar_still_keeps_the_studied_note(col, doc, state_path):
    """The edit itself (delete and create in one save) is still a re-key."""
    lib = doc.root
    run(col, lib, state_path)
    study(col, "Pairs", 6)
    a = note_of(col, "1CardP0001")
    studied = history(col, a.id)
    doc.edit_card("1CardP0001", "1CardPEdit1", basic("What is A, exactly?", "A")).write()
    report = run(col, lib, state_path)
    assert (report.created, report.rekeyed) == (0, 1)
    assert note_of(col, "1CardPEdit1").id == a.id
    assert history(col, a.id) == studied


@pytest.mark.parametrize("broken", [
    cloze("Alpha and Beta"),  # the last deletion taken out
    cloze("<p> </p>"),  # the text emptied
], ids=["no-deletion", "empty"])
def test_an_edit_polar_makes_unsyncable_keeps_the_studied_note_until_it_is_fixed(col, doc, state_path, broken):
    """A studied cloze edited in Polar into one the sync cannot make a
    note of (reported): its note stays as it was, live, reviews and due
    dates untouched, on every sync while it is so; the card fixed in Polar
    (another edit, another id) updates that note. Was: the note was
    orphaned (suspended, tagged polar::deleted) and the fixed card made a
    new note without the reviews."""
    lib = doc.root
    doc.card("1ClozeP001", cloze("{{c1::Alpha}} and {{c2::Beta}}"), "CLOZE", ref="text-highlight:1HlP000001")
    doc.write()
    run(col, lib, state_path)
    study(col, "Pairs", 9)
    a = note_of(col, "1ClozeP001")
    studied = history(col, a.id)
    rows = [(c.id, c.did, c.type, c.queue, c.due, c.ivl, c.reps) for c in a.cards()]
    assert {t for t, _, _ in studied[1]} == {2}

    doc.edit_card("1ClozeP001", "1ClozeP002", broken).write()
    for _ in range(2):
        report = run(col, lib, state_path)
        assert [e["card"] for e in report.to_dict()["errors"]] == ["1ClozeP002"]
        assert (report.orphaned, report.created, report.updated) == (0, 0, 0), report.to_dict()
        kept = col.get_note(a.id)
        assert kept.fields == a.fields and kept.tags == a.tags
        assert [(c.id, c.did, c.type, c.queue, c.due, c.ivl, c.reps) for c in kept.cards()] == rows

    doc.edit_card("1ClozeP002", "1ClozeP003", cloze("{{c1::Alpha}} and {{c2::Beta}}, fixed")).write()
    report = run(col, lib, state_path)
    assert (report.rekeyed, report.created, report.orphaned) == (1, 0, 0), report.to_dict()
    assert note_of(col, "1ClozeP003").id == a.id
    assert history(col, a.id) == studied
    assert not run(col, lib, state_path).changed


def test_a_card_made_unsyncable_and_then_deleted_orphans_the_note(col, doc, state_path):
    """The broken card deleted in Polar afterwards: the note it kept is an
    orphan as any card deleted in Polar."""
    lib = doc.root
    run(col, lib, state_path)
    a = note_of(col, "1CardP0001")
    doc.edit_card("1CardP0001", "1CardP0009", basic("", "A")).write()
    assert run(col, lib, state_path).orphaned == 0
    doc.delete_card("1CardP0009").write()
    report = run(col, lib, state_path)
    assert report.orphaned == 1 and report.errors == []
    assert ORPHAN_TAG in col.get_note(a.id).tags


def _decks_of(col: Any, nid: int) -> set:
    return {col.decks.name(c.odid or c.did) for c in col.get_note(nid).cards()}


@pytest.mark.parametrize("when", ["same-sync", "later"])
def test_an_orphan_follows_its_documents_deck_and_is_restored_there(col, doc, state_path, when):
    """A studied card deleted in Polar when (or after) its document is
    re-tagged to another deck: its note, set aside, moves with the
    document's cards, and comes back there (Undo in Polar) with its reviews.
    Was: it stayed in the old deck, emptied of every other card, and was
    restored there, apart from its document."""
    lib = doc.root
    run(col, lib, state_path)
    study(col, "Pairs", 6)
    a = note_of(col, "1CardP0001")
    studied = history(col, a.id)
    num, raw = doc.find_card("1CardP0001")
    doc.delete_card("1CardP0001")
    if when == "later":
        doc.write()
        assert run(col, lib, state_path).orphaned == 1
    doc.untag("deck:Pairs").tag("deck:Reading/Pairs").write()
    report = run(col, lib, state_path)
    assert report.moved == 1 and report.orphaned == (1 if when == "same-sync" else 0), report.to_dict()
    assert _decks_of(col, a.id) == {"Reading::Pairs"} == _decks_of(col, note_of(col, "1CardP0002").id)
    assert ORPHAN_TAG in col.get_note(a.id).tags and [c.queue for c in col.get_note(a.id).cards()] == [SUSPENDED]
    assert not run(col, lib, state_path).changed

    doc.page(num)["flashcards"]["1CardP0001"] = raw
    doc.write()
    report = run(col, lib, state_path)
    assert report.restored == 1 and report.moved == 0
    assert _decks_of(col, a.id) == {"Reading::Pairs"}
    assert history(col, a.id)[0] == studied[0]
    assert not run(col, lib, state_path).changed


def test_a_note_taken_back_stays_where_the_user_keeps_it(col, doc, state_path):
    """polar::deleted removed (the note is the user's): no deck change of its
    old document moves it."""
    lib = doc.root
    run(col, lib, state_path)
    a = note_of(col, "1CardP0001")
    doc.delete_card("1CardP0001").write()
    run(col, lib, state_path)
    note = col.get_note(a.id)
    note.remove_tag(ORPHAN_TAG)
    col.update_note(note)
    doc.untag("deck:Pairs").tag("deck:Reading/Pairs").write()
    run(col, lib, state_path)
    assert _decks_of(col, a.id) == {"Pairs"}
    assert _decks_of(col, note_of(col, "1CardP0002").id) == {"Reading::Pairs"}


def test_a_note_set_aside_on_another_computer_is_not_given_to_a_new_card(col, doc, state_path):
    """Computer 1's sync found card A deleted and set its note aside
    (suspended, tagged); AnkiWeb brings that here, where the state still
    knows A as live. Here Polar's data then shows A gone and a card B on
    its highlight: B is a new card (A's deletion was seen alone, so B is no
    edit of it); A's note keeps its text, tag and suspension."""
    lib = doc.root
    run(col, lib, state_path)
    study(col, "Pairs", 6)
    a = note_of(col, "1CardP0001")
    studied = history(col, a.id)
    note = col.get_note(a.id)  # what AnkiWeb brings from computer 1
    note.add_tag(ORPHAN_TAG)
    col.update_note(note)
    col.sched.suspend_cards([c.id for c in note.cards()])

    doc.delete_card("1CardP0001")
    doc.card("1CardPNew02", basic("Another question", "C"), ref="text-highlight:1HlP000001")
    doc.write()
    report = run(col, lib, state_path)
    assert (report.created, report.rekeyed, report.restored) == (1, 0, 0), report.to_dict()
    kept = col.get_note(a.id)
    assert kept.fields == note.fields and ORPHAN_TAG in kept.tags
    assert [c.queue for c in kept.cards()] == [SUSPENDED] and history(col, a.id) == studied
    assert not run(col, lib, state_path).changed


@pytest.fixture
def two_on_one(tmp_path):
    """Two cards on one highlight, the older one studied."""
    d = Doc(tmp_path / "lib2", "1TwoOnOne000000000000aa", "Two on one", tags=["deck:Two"])
    d.text_highlight("1HlT000001", "a highlight with two cards")
    d.card("1CardTOld1", basic("What year did the treaty end the war?", "1648"), ref="text-highlight:1HlT000001")
    d.card("1CardTNew1", basic("Which city hosted the congress?", "Münster"), ref="text-highlight:1HlT000001")
    d.write()
    return d


def _studied_older(col, d, state_path):
    run(col, d.root, state_path)
    older = note_of(col, "1CardTOld1")
    card = older.cards()[0]
    card.start_timer()
    col.sched.answerCard(card, 3)
    return older.id, history(col, older.id)


@pytest.mark.parametrize("story", ["both-edited-newer-first", "older-deleted-newer-edited",
                                   "older-edited-after-a-new-card"])
def test_cards_of_one_highlight_changed_in_one_sync_keep_their_own_notes(col, two_on_one, state_path, story):
    """Two cards of a highlight edited in the other order than they were
    made (or one edited, the other deleted; or one edited after a new card
    was made beside it), between two syncs: each note stays with its own
    card's text, reviews and due date. Was: paired by age, the notes swapped
    (the studied note showed the other card's question)."""
    d = two_on_one
    older, studied = _studied_older(col, d, state_path)
    if story == "both-edited-newer-first":
        d.edit_card("1CardTNew1", "1CardTNew2", basic("Which city hosted the peace congress?", "Münster"))
        d.edit_card("1CardTOld1", "1CardTOld2", basic("What year did the treaty end the Thirty Years' War?", "1648"))
    elif story == "older-deleted-newer-edited":
        d.delete_card("1CardTOld1")
        d.edit_card("1CardTNew1", "1CardTNew2", basic("Which city hosted the peace congress?", "Münster"))
    else:
        d.card("1CardTMade", basic("Who signed for Sweden?", "Oxenstierna"), ref="text-highlight:1HlT000001")
        d.edit_card("1CardTOld1", "1CardTOld2", basic("What year did the treaty end the Thirty Years' War?", "1648"))
    d.write()
    report = run(col, d.root, state_path)
    if story == "older-deleted-newer-edited":
        assert (report.rekeyed, report.orphaned, report.created) == (1, 1, 0), report.to_dict()
        assert "Which city hosted the peace congress?" in note_of(col, "1CardTNew2").fields[0]
        assert col.get_note(older).fields[0] == "What year did the treaty end the war?"
        assert ORPHAN_TAG in col.get_note(older).tags
    else:
        assert note_of(col, "1CardTOld2").id == older
        assert "Thirty Years" in col.get_note(older).fields[0]
    assert history(col, older) == studied
    assert not run(col, d.root, state_path).changed


def test_a_studied_cloze_that_loses_a_deletion_in_polar_is_named_in_the_report(col, doc, state_path):
    """c1 taken out of a studied cloze in Polar (c3 added): both studied
    cards keep their reviews, c3 is a new card, and c1's card, which Anki
    keeps and shows as "No cloze 1 found on card" until Tools ▸ Empty Cards,
    is named once in the report (in the user's language), not on later
    syncs; a deletion only added says nothing."""
    from addon.gui import i18n
    from addon.gui.report_text import explain, log_words

    lib = doc.root
    doc.card("1ClozeE001", cloze("{{c1::Alpha}} and {{c2::Beta}}"), "CLOZE", ref="text-highlight:1HlP000001")
    doc.write()
    run(col, lib, state_path)
    study(col, "Pairs", 9)
    a = note_of(col, "1ClozeE001")
    studied = history(col, a.id)

    doc.edit_card("1ClozeE001", "1ClozeE002", cloze("Alpha and {{c2::Beta}} or {{c3::Gamma}}")).write()
    report = run(col, lib, state_path)
    rows = [w for w in report.to_dict()["warnings"] if w.get("code") == "cloze_cards_emptied"]
    assert [(w["count"], w["front"], w["note_id"]) for w in rows] == [(1, "Alpha and Beta or Gamma", a.id)], rows
    cards = col.get_note(a.id).cards()
    assert history(col, a.id)[1][:2] == studied[1] and len(cards) == 3 and cards[2].reps == 0
    assert "Empty Cards" in cards[0].question()  # Anki: "No cloze 1 found on card. … use the Empty Cards tool."
    i18n.force("de")
    try:
        assert "Extras ▸ Leere Karten löschen" in explain(rows[0])
        line = log_words({"warnings": rows}).splitlines()[1]
        assert line.startswith("  „Alpha and Beta or Gamma“ in „Pairing“ (Seite 1) — 1 Karte dieses Lückentexts")
    finally:
        i18n.force(None)

    assert not [w for w in run(col, lib, state_path).warnings if w.get("code") == "cloze_cards_emptied"]
    doc.edit_card("1ClozeE002", "1ClozeE003", cloze("Alpha and {{c2::Beta}} or {{c3::Gamma}} {{c4::Delta}}")).write()
    report = run(col, lib, state_path)
    assert report.rekeyed == 1 and not [w for w in report.warnings if w.get("code") == "cloze_cards_emptied"]


def test_a_card_deleted_beside_a_card_that_never_synced_is_set_aside(col, doc, state_path):
    """A card that could never be synced (an empty front, reported on every
    sync) beside card A on its highlight; A deleted in Polar: A's note is an
    orphan as any deleted card's. The unsyncable card is no edit of A."""
    lib = doc.root
    doc.card("1CardPBad1", basic("<p> </p>", "no front"), ref="text-highlight:1HlP000001")
    doc.write()
    report = run(col, lib, state_path)
    assert [e["card"] for e in report.to_dict()["errors"]] == ["1CardPBad1"]
    a = note_of(col, "1CardP0001")
    doc.delete_card("1CardP0001").write()
    report = run(col, lib, state_path)
    assert report.orphaned == 1, report.to_dict()
    assert ORPHAN_TAG in col.get_note(a.id).tags
