"""Notes of Polar's old AnkiConnect sync whose Polar card is gone.

Polar's old sync added a note per card and never updated one: an edit in
Polar (new id, same highlight and type) left the old note behind and the next
old sync added another (Polar #1092). Collections of Polar's users hold those
stale notes, with review history. Each test builds them as the old sync did
(Basic/Cloze by English name, the document's deck, tags = the document's and
the card's labels + ``_polar-flashcard`` (+ ``polar_guid:<id>`` on Polar 1.x)).
"""

from __future__ import annotations

import base64
import dataclasses
import random
from pathlib import Path
from typing import Iterable, List, Optional

import pytest

from addon.polar.hashcodes import create_id
from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from addon.sync.legacy import PAIR_THRESHOLD, RIVAL_THRESHOLD, similarity
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run


def old_sync_note(col, doc: Doc, front: str, back: str = "", *, card_id: Optional[str] = None,
                  deck: Optional[str] = None, kind: str = "Basic", card_tags: Iterable[str] = ()) -> int:
    """A note as Polar's old sync made it (1.x with ``card_id``, 2.x without)."""
    model = col.models.by_name(kind)
    note = col.new_note(model)
    if model["type"] == 1:  # a cloze type ("Cloze", "Lückentext")
        note.fields[0] = front
    else:
        note.fields[0], note.fields[1] = front, back
    labels = list(doc.meta["docInfo"]["tags"]) + list(card_tags)
    deck_tags = [t for t in labels if t.startswith("deck:")]
    name = deck or (deck_tags[-1][len("deck:"):].replace("/", "::") if deck_tags else "Default")
    note.tags = labels + ["_polar-flashcard"]  # as AnkiConnect set them: Anki splits a spaced one
    if card_id:
        note.tags.append(f"polar_guid:{card_id}")
    col.add_note(note, col.decks.id(name))
    return note.id


def edited_in_polar(doc: Doc, *card_ids: str) -> None:
    """Polar makes an edited card anew (a new id): made after the old sync's
    note of its first version. (The factory's cards are of 2020, before any
    note a test adds: the card the old sync wrote a note from. A pairing
    tells a Polar edit from a question fixed in Anki by that.)"""
    import time

    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 2))
    for cid in card_ids:
        _, raw = doc.find_card(cid)
        raw["created"] = raw["lastUpdated"] = stamp


def answer_all(col, nids: Iterable[int]) -> None:
    """Review every card of these notes through the real scheduler."""
    wanted = {cid for nid in nids for cid in col.card_ids_of_note(nid)}
    for deck in col.decks.all_names_and_ids():
        col.decks.select(deck.id)
        while True:
            card = col.sched.getCard()
            if card is None or card.id not in wanted:
                break
            col.sched.answerCard(card, 3)
            wanted.discard(card.id)


def study_state(col, nid: int):
    rows = col.db.all("select id, type, queue, due, ivl, reps from cards where nid = ? order by ord", nid)
    revlog = col.db.all("select id, cid, ease from revlog where cid in "
                        "(select id from cards where nid = ?) order by id", nid)
    return rows, revlog


def notes_with_guid(col, card_id: str) -> List[int]:
    return list(col.db.list("select id from notes where guid = ?", guid_for(card_id)))


@pytest.fixture
def book(tmp_path):
    doc = Doc(tmp_path / "polar", "1DocLegacy000000000000aa", "Operating Systems", tags=["deck:compsci/os", "os"])
    doc.text_highlight("1HlLeg0001", "A process is a program in execution.")
    doc.text_highlight("1HlLeg0002", "The kernel schedules threads.")
    return doc


def test_edited_since_pairs_with_the_new_card_and_keeps_history(col, book, state_path):
    old = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardOld001")
    answer_all(col, [old])
    before = study_state(col, old)
    assert before[1], "the legacy note has reviews"
    # Edited in Polar after the old sync: new id, same highlight and type.
    book.card("1CardNew001", basic("What is a process in an OS?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    book.card("1CardOther1", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.write()

    report = run(col, book.root, state_path)

    assert report.paired == 1 and report.created == 1
    assert notes_with_guid(col, "1CardNew001") == [old]
    assert col.note_count() == 2
    note = col.get_note(old)
    assert "What is a process in an OS?" in note["Front"]
    assert not [t for t in note.tags if t.startswith("polar_guid:") or t == "_polar-flashcard"]
    rows, revlog = study_state(col, old)
    assert revlog == before[1] and rows == before[0]
    assert report.legacy_leftovers == []
    again = run(col, book.root, state_path)
    assert not again.changed and again.paired == 0


def test_edited_since_pairs_for_polar_2x_notes_without_a_guid_tag(col, book, state_path):
    old = old_sync_note(col, book, "Define <b>process</b>", "A program in execution")
    book.card("1CardNew002", basic("Define <b>process</b> (OS)", "A program in execution."),
              ref="text-highlight:1HlLeg0001")
    edited_in_polar(book, "1CardNew002")
    book.write()
    report = run(col, book.root, state_path)
    assert report.paired == 1 and report.created == 0
    assert notes_with_guid(col, "1CardNew002") == [old]


def test_deleted_since_is_reported_and_left_alone(col, book, state_path):
    keep = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardKeep01")
    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks", card_id="1CardGone01")
    answer_all(col, [gone])
    before = study_state(col, gone)
    fields, tags = list(col.get_note(gone).fields), list(col.get_note(gone).tags)
    book.card("1CardKeep01", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.write()

    report = run(col, book.root, state_path)

    assert report.adopted == 1 and report.paired == 0
    assert notes_with_guid(col, "1CardKeep01") == [keep]
    assert report.legacy_leftovers == [gone]
    assert report.to_dict()["legacy_leftovers"] == [gone]
    note = col.get_note(gone)
    assert note.fields == fields and note.tags == tags and study_state(col, gone) == before
    # Still reported on the next sync, still untouched, until the user acts.
    again = run(col, book.root, state_path)
    assert again.legacy_leftovers == [gone] and not again.changed
    assert col.get_note(gone).tags == tags


def test_two_similar_new_cards_do_not_pair(col, book, state_path):
    old = old_sync_note(col, book, "What is the capital of France?", "Paris")
    fields = list(col.get_note(old).fields)
    book.card("1CardFr0001", basic("What is the capital city of France?", "Paris"), ref="page:1")
    book.card("1CardDe0001", basic("What is the capital city of Germany?", "Berlin"), ref="page:1")
    book.write()
    report = run(col, book.root, state_path)
    assert report.paired == 0 and report.created == 2
    assert col.get_note(old).fields == fields
    assert report.legacy_leftovers == [old]


def test_near_miss_text_does_not_pair(col, book, state_path):
    old = old_sync_note(col, book, "What does the scheduler do?", "Picks the next thread to run")
    book.card("1CardNear01", basic("What does the memory manager do?", "Maps pages to frames"), ref="page:1")
    book.write()
    report = run(col, book.root, state_path)
    assert report.paired == 0 and report.created == 1
    assert report.legacy_leftovers == [old]


def test_other_card_type_or_other_document_does_not_pair(col, book, state_path, tmp_path):
    cloze_old = old_sync_note(col, book, "A {{c1::process}} is a program in execution", kind="Cloze")
    other = Doc(book.root, "1DocOther00000000000000bb", "Networks", tags=["deck:compsci/net"])
    elsewhere = old_sync_note(col, other, "What is TCP?", "A transport protocol")
    book.card("1CardBas001", basic("A process is a program in execution", "yes"), ref="page:1")
    book.card("1CardTcp001", basic("What is TCP exactly?", "A transport protocol"), ref="page:1")
    book.write()
    other.write()
    report = run(col, book.root, state_path)
    assert report.paired == 0 and report.created == 2
    assert sorted(report.legacy_leftovers) == sorted([cloze_old, elsewhere])


def test_a_users_own_note_is_never_touched(col, book, state_path):
    model = col.models.by_name("Basic")
    mine = col.new_note(model)
    mine["Front"], mine["Back"] = "What is a process?", "A program in execution"
    mine.tags = ["os"]
    col.add_note(mine, col.decks.id("compsci::os"))
    book.card("1CardNew003", basic("What is a process in an OS?", "A program in execution"), ref="page:1")
    book.write()
    report = run(col, book.root, state_path)
    assert report.paired == 0 and report.created == 1 and report.legacy_leftovers == []
    assert col.get_note(mine.id).fields == ["What is a process?", "A program in execution"]


def test_dry_run_reports_pairs_and_leftovers_without_writing(col, book, state_path):
    old = old_sync_note(col, book, "What is a process?", "A program in execution")
    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks")
    book.card("1CardNew004", basic("What is a process, exactly?", "A program in execution"), ref="page:1")
    edited_in_polar(book, "1CardNew004")
    book.write()
    mod = col.mod
    settings, _ = Settings.from_dict({})
    report = sync(col, settings, state_path, source_path=book.root, dry_run=True)
    assert report.paired == 1 and report.legacy_leftovers == [gone]
    assert col.mod == mod and col.get_note(old).guid != guid_for("1CardNew004")


@pytest.mark.parametrize(("old", "new", "pairs"), [
    ("What is a process?", "What is a process in an OS?", True),
    ("Define process", "Define a process.", True),
    ("The <b>kernel</b> schedules threads", "The kernel schedules the threads", True),
    ("What is the capital of France?", "What is the capital of Germany?", False),
    ("What does the scheduler do?", "What does the memory manager do?", False),
    ("TCP", "UDP", False),
    ("", "anything", False),
])
def test_similarity_measure(old, new, pairs):
    from addon.sync.legacy import PAIR_THRESHOLD

    assert (similarity(old, new) >= PAIR_THRESHOLD) is pairs


def test_cli_report_lists_the_leftovers(col, book, tmp_path):
    import json
    import subprocess
    import sys

    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks", card_id="1CardGone02")
    book.card("1CardNew005", basic("Who schedules threads?", "The kernel"), ref="page:1")
    book.write()
    path = col.path
    col.close()
    report = tmp_path / "report.json"
    cli = Path(__file__).resolve().parents[2] / "tools" / "polar_sync.py"
    out = subprocess.run([sys.executable, str(cli), "--data-dir", str(book.root), "--collection", path,
                          "--report", str(report)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    data = json.loads(report.read_text())
    assert data["legacy_leftovers"] == [gone] and data["paired"] == 0 and data["created"] == 1
    assert "1 note from Polar's old sync no longer matches a Polar card; left as it is" in out.stdout
    col.reopen()


def test_suspended_leftovers_are_no_longer_reported(col, book, state_path):
    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks", card_id="1CardGone03")
    book.card("1CardNew006", basic("Who schedules threads?", "The kernel"), ref="page:1")
    book.write()
    assert run(col, book.root, state_path).legacy_leftovers == [gone]
    col.sched.suspend_cards(col.card_ids_of_note(gone))  # the report's "Suspend them"
    again = run(col, book.root, state_path)
    assert again.legacy_leftovers == [] and not again.changed
    assert col.get_note(gone).fields == ["What is paging?", "Fixed-size memory blocks"]


def test_a_broken_document_keeps_its_cards_old_notes_out_of_the_leftovers(col, book, state_path):
    book.card("1CardKept01", basic("Who schedules threads?", "The kernel"), ref="page:1")
    book.write()
    run(col, book.root, state_path)
    twin = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardKept01")
    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks", card_id="1CardGone04")
    book.path.write_bytes(b'{"docInfo": {')  # cut short: the document cannot be read now
    report = run(col, book.root, state_path)
    assert report.errors and report.legacy_leftovers == [gone]
    assert twin not in report.legacy_leftovers


def _rename_type(col, name: str, new: str) -> None:
    model = col.models.by_name(name)
    model["name"] = new
    col.models.update_dict(model)


def test_polar_2x_notes_are_adopted_and_paired_after_the_user_renamed_basic_and_cloze(col, book, state_path):
    """The old sync put its notes in "Basic" and "Cloze" by name; a user who
    renamed those types since ("Basic (Polar)", or names of their own
    language) still has the notes, with their reviews: they are found by the
    type they are in, not by its name. Neither is duplicated nor reported as
    matching no card."""
    same = old_sync_note(col, book, "Who schedules threads?", "The kernel")
    text = old_sync_note(col, book, "A {{c1::process}} is a program in execution", kind="Cloze")
    edited = old_sync_note(col, book, "Define <b>process</b>", "A program in execution")
    answer_all(col, [same, text, edited])
    before = {nid: study_state(col, nid) for nid in (same, text, edited)}
    _rename_type(col, "Basic", "Basic (Polar)")
    _rename_type(col, "Cloze", "Lückentext (alt)")
    book.card("1CardSame01", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.card("1CardText01", cloze("A {{c1::process}} is a program in execution"), "CLOZE",
              ref="text-highlight:1HlLeg0001")
    book.card("1CardEdit01", basic("Define <b>process</b> (OS)", "A program in execution."),
              ref="text-highlight:1HlLeg0001")
    edited_in_polar(book, "1CardEdit01")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.paired, report.created) == (2, 1, 0)
    assert report.legacy_leftovers == []
    assert col.note_count() == 3
    assert notes_with_guid(col, "1CardSame01") == [same]
    assert notes_with_guid(col, "1CardText01") == [text]
    assert notes_with_guid(col, "1CardEdit01") == [edited]
    assert {nid: study_state(col, nid)[1] for nid in before} == {nid: s[1] for nid, s in before.items()}
    assert col.get_note(text).note_type()["name"] == "Lückentext (alt)"
    assert not run(col, book.root, state_path).changed


def test_polar_2x_cloze_notes_in_the_cloze_type_polar_made_itself_are_adopted(col, book, state_path):
    """Where a profile had no "Cloze" (a German one's is "Lückentext"),
    Polar's old sync made one through AnkiConnect's createModel without
    isCloze (polar-bookshelf AnkiSyncEngine.createRequiredModelForCloze): a
    standard type with the fields Text and Back Extra. Its notes are cloze
    cards all the same: taken over with their reviews, not made twice and
    listed as matching no card (qa: Polar's old notes)."""
    model = col.models.new("Cloze")  # as AnkiConnect's createModel makes it
    for name in ("Text", "Back Extra"):
        col.models.add_field(model, col.models.new_field(name))
    template = col.models.new_template("Card 1")
    template["qfmt"], template["afmt"] = "{{cloze:Text}}", "{{cloze:Text}}<br>\n{{Back Extra}}"
    col.models.add_template(model, template)
    _rename_type(col, "Cloze", "Lückentext")  # (the profile's own, by the name a German one gives it)
    col.models.add_dict(model)
    text = old_sync_note(col, book, "A {{c1::process}} is a program in execution", kind="Cloze")
    answer_all(col, [text])
    before = study_state(col, text)
    book.card("1CardText02", cloze("A {{c1::process}} is a program in execution"), "CLOZE",
              ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.created, report.legacy_leftovers) == (1, 0, [])
    assert notes_with_guid(col, "1CardText02") == [text] and col.note_count() == 1
    assert study_state(col, text)[1] == before[1]
    assert not run(col, book.root, state_path).changed


def test_polar_2x_notes_are_adopted_by_the_text_polars_old_sync_sent(col, book, state_path):
    """Polar's old sync put ``HTML || TEXT || MARKDOWN`` into the note as it
    was (polar-bookshelf ``AnkiSyncEngine.toNoteDescriptors``): raw Markdown,
    TEXT unescaped, a bare ``&`` in HTML. Such a 2.x note (no ``polar_guid:``)
    is its card's note all the same, even beside a near twin (where pairing by
    similarity must refuse)."""
    shapes = [
        ("1CardMd0001", {"MARKDOWN": "What is **a** process?"}),
        ("1CardMd0002", {"MARKDOWN": "What is **a** thread?"}),
        ("1CardTxt001", {"TEXT": "Is 2 < 3 & 4 > 1 in C?"}),
        ("1CardTxt002", {"TEXT": "Is 2 < 3 & 4 > 1 in Go?"}),
        ("1CardHtm001", {"HTML": "Tom & Jerry's <i>show</i>"}),
        ("1CardHtm002", {"HTML": "Tom & Jerry's <i>film</i>"}),
    ]
    olds = {}
    for card_id, front in shapes:
        book.card(card_id, {"front": front, "back": {"TEXT": "x"}}, ref="text-highlight:1HlLeg0001")
        olds[card_id] = old_sync_note(col, book, next(iter(front.values())), "x")
    book.card("1CardClz001", {"text": {"MARKDOWN": "A {{c1::process}} runs **code**"}}, ctype="CLOZE")
    olds["1CardClz001"] = old_sync_note(col, book, "A {{c1::process}} runs **code**", kind="Cloze")
    book.write()
    answer_all(col, olds.values())
    before = {cid: study_state(col, nid) for cid, nid in olds.items()}

    report = run(col, book.root, state_path)

    assert report.created == 0 and report.legacy_leftovers == []
    assert report.adopted + report.paired == len(olds)
    assert col.note_count() == len(olds)
    for card_id, nid in olds.items():
        assert notes_with_guid(col, card_id) == [nid], card_id
        assert study_state(col, nid) == before[card_id]
    assert "<strong>a</strong> process" in col.get_note(olds["1CardMd0001"])["Front"]


def test_a_document_tag_with_a_space_still_traces_an_old_note_to_its_document(col, tmp_path, state_path):
    """Polar's old sync sent each label as one tag (AnkiConnect ``addNote``:
    ``ankiNote.tags = note['tags']``) and Anki splits a note's tags on
    spaces: "machine learning" is "machine" and "learning" on the old note
    (what ``col.add_note`` makes of it here too). Spaces are allowed in Polar
    tags since 1.80, so such a note must still pair with its edited card."""
    doc = Doc(tmp_path / "polar", "1DocSpaced00000000000aa", "Deep Learning", tags=["machine learning", "O'Reilly"])
    doc.text_highlight("1HlSpace01", "Gradient descent follows the slope.")
    model = col.models.by_name("Basic")
    note = col.new_note(model)
    note["Front"], note["Back"] = "What does gradient descent follow?", "The slope"
    note.tags = ["machine learning", "O'Reilly", "_polar-flashcard", "polar_guid:1CardOldSp1"]
    col.add_note(note, col.decks.id("Default"))
    assert "machine" in col.get_note(note.id).tags  # Anki split it
    answer_all(col, [note.id])
    before = study_state(col, note.id)
    doc.card("1CardNewSp1", basic("What does gradient descent follow downhill?", "The slope"),
             ref="text-highlight:1HlSpace01")
    doc.write()

    report = run(col, doc.root, state_path)

    assert report.paired == 1 and report.created == 0 and report.legacy_leftovers == []
    assert notes_with_guid(col, "1CardNewSp1") == [note.id]
    assert study_state(col, note.id) == before


def _rename_field(col, type_name: str, field: str, new: str) -> None:
    model = col.models.by_name(type_name)
    col.models.rename_field(model, next(f for f in model["flds"] if f["name"] == field), new)
    col.models.update_dict(model)


def test_old_notes_in_a_german_cloze_type_get_their_context(col, book, state_path):
    """A German profile's stock types are "Einfach" (Vorderseite, Rückseite)
    and "Lückentext" (Text, Rückseite Extra); the old sync's notes sit in them
    (a German user renamed them "Basic"/"Cloze" for AnkiConnect, or the notes
    were made before Anki's language changed). Taken over, the cloze notes got
    no context: their "Text" field was found by name, and then its answer
    field, whose name is German, was not looked for by place (the Einfach
    notes, none of whose fields is named in English, were). Counted
    "unchanged" in a German first sync: 626 of 1,865. An "… Extra" field
    right after Text is the answer field now, as the stock Cloze's in every
    language."""
    _rename_type(col, "Basic", "Einfach")
    _rename_field(col, "Einfach", "Front", "Vorderseite")
    _rename_field(col, "Einfach", "Back", "Rückseite")
    _rename_type(col, "Cloze", "Lückentext")
    _rename_field(col, "Lückentext", "Back Extra", "Rückseite Extra")
    book.card("1CardGerB01", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.card("1CardGerC01", cloze("A {{c1::process}} is a program in execution"), "CLOZE",
              ref="text-highlight:1HlLeg0001")
    book.write()
    plain = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardGerB01", kind="Einfach")
    text = old_sync_note(col, book, "A {{c1::process}} is a program in execution", card_id="1CardGerC01",
                         kind="Lückentext")

    report = run(col, book.root, state_path)

    assert (report.adopted, report.created, report.updated) == (2, 0, 2)
    assert "polar-context" in col.get_note(plain)["Rückseite"]
    extra = col.get_note(text)["Rückseite Extra"]
    assert "polar-context" in extra and "A process is a program in execution." in extra
    assert col.get_note(text)["Text"] == "A {{c1::process}} is a program in execution"
    assert not run(col, book.root, state_path).changed


def test_a_card_edited_twice_pairs_with_its_newest_old_note_and_keeps_its_history(col, book, state_path):
    """Polar made a new card on every edit and its old sync a new note for
    each version (v1, v2), which the user studied side by side; edited
    once more since (v3), the card resembles both old notes. It takes the
    newest (v2, the one the last old sync wrote) with its reviews; v1 stays
    a leftover. Before, the two candidates made the pair ambiguous: v3 came
    as a new note without reviews and both old notes were left over."""
    v1 = old_sync_note(col, book, "What is a process?", "A program in execution")
    v2 = old_sync_note(col, book, "What is a process in an OS?", "A program in execution")
    answer_all(col, [v1, v2])
    before = study_state(col, v2)
    book.card("1CardV3", basic("What is a process in an operating system?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    edited_in_polar(book, "1CardV3")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.paired, report.created) == (1, 0)
    assert notes_with_guid(col, "1CardV3") == [v2]
    assert study_state(col, v2) == before
    assert report.legacy_leftovers == [v1]
    assert "operating system" in col.get_note(v2)["Front"]
    assert not run(col, book.root, state_path).changed


def test_a_sibling_cloze_of_the_same_sentence_is_no_older_version(col, book, state_path):
    """Two cloze cards of one sentence (different deletions) resemble each
    other as versions do; the new card is an edit of the older one, the
    newer one is a sibling, not its predecessor: nothing is paired."""
    a = old_sync_note(col, book, "{{c1::Paris}} is the capital and largest city of France", kind="Cloze")
    b = old_sync_note(col, book, "Paris is the capital and largest city of {{c1::France}}", kind="Cloze")
    book.card("1CardClzC", cloze("{{c1::Paris}} is the capital and the largest city of France"), "CLOZE",
              ref="text-highlight:1HlLeg0001")
    book.write()
    report = run(col, book.root, state_path)
    assert (report.paired, report.created) == (0, 1)
    assert sorted(report.legacy_leftovers) == sorted([a, b])


PNG_1PX = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def test_a_2x_question_fixed_in_anki_is_kept_and_a_2x_card_edited_in_polar_is_polars(col, book, state_path):
    """A 2.x note (no card id of its own) is found by its question: one the
    user fixed in Anki ("parsr" → "parser") matches its card no more and is
    paired with it by likeness. The card was made before the note, so it
    is the one the old sync wrote it from: the fix is the user's, kept and
    told, as for a 1.x note (it was written back to Polar's typo, silently;
    qa: Polar's old notes). A card Polar made after the note is an edit of
    Polar's: its question is written, as before."""
    import time

    fixed = old_sync_note(col, book, "What does a parsr build from tokens?", "A syntax tree")
    edited = old_sync_note(col, book, "Who schedules the threads?", "The kernel")
    answer_all(col, [fixed, edited])
    before = {nid: study_state(col, nid) for nid in (fixed, edited)}
    note = col.get_note(fixed)
    note["Front"] = "What does a parser build from tokens?"
    col.update_note(note)
    book.card("1CardFix001", basic("What does a parsr build from tokens?", "A syntax tree"),
              ref="text-highlight:1HlLeg0001")
    book.card("1CardEdt001", basic("Who schedules the threads, in the kernel?", "The kernel"),
              ref="text-highlight:1HlLeg0002")
    _, raw = book.find_card("1CardEdt001")  # made anew by Polar's edit, after the old sync
    raw["created"] = raw["lastUpdated"] = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() + 2))
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.paired, report.created, report.legacy_leftovers) == (1, 1, 0, [])
    assert notes_with_guid(col, "1CardFix001") == [fixed] and notes_with_guid(col, "1CardEdt001") == [edited]
    assert {nid: study_state(col, nid)[1] for nid in before} == {nid: s[1] for nid, s in before.items()}
    assert col.get_note(fixed)["Front"] == "What does a parser build from tokens?"
    assert col.get_note(edited)["Front"] == "Who schedules the threads, in the kernel?"
    assert [(c["code"], c["field"], c.get("old_sync"), c["note_id"]) for c in report.conflicts] == [
        ("unrecorded_anki", "Front", True, fixed)]
    assert not run(col, book.root, state_path).changed


def test_an_old_sync_note_edited_in_anki_keeps_the_edit_when_adopted(col, book, state_path):
    """A note of Polar's old sync the user fixed in Anki since (a typo in
    the Back, a sentence added) is adopted with the fix kept and listed as
    kept as in Anki; before, adoption wrote Polar's text over it silently
    ("1 note updated"). The old sync never updated a note and Polar gives an
    edited card a new id, so a note found by its card's id (1.x) or front
    (2.x) whose field differs from what that sync wrote was edited in Anki.
    What it wrote as it was (raw Markdown, TEXT, a data image as a media
    name, ``&nbsp;``) is no edit: those notes take Polar's text as before."""
    image = f'<img src="data:image/png;base64,{PNG_1PX}">'
    shapes = {  # card id -> (Polar's fields, the old note's Front, Back as the old sync wrote them)
        "1CardTyp001": ({"front": {"HTML": "What is a process?"}, "back": {"HTML": "A progam in execution"}},
                        "What is a process?", "A progam in execution"),
        "1CardTyp002": ({"front": {"HTML": "Who schedules threads?"}, "back": {"HTML": "The kernel"}},
                        "Who schedules threads?", "The kernel"),
        "1CardMd0001": ({"front": {"MARKDOWN": "What is **a** thread?"}, "back": {"TEXT": "2 < 3 & more"}},
                        "What is **a** thread?", "2 < 3 & more"),
        "1CardImg001": ({"front": {"HTML": f"What is shown?{image}"}, "back": {"HTML": "A&nbsp;pixel"}},
                        f'What is shown?<img src="{_old_sync_media_name(PNG_1PX)}">', "A&nbsp;pixel"),
    }
    olds = {}
    for i, (card_id, (fields, front, back)) in enumerate(shapes.items()):
        book.card(card_id, fields, ref="text-highlight:1HlLeg0001")
        olds[card_id] = old_sync_note(col, book, front, back, card_id=card_id if i % 2 == 0 else None)
    book.write()
    answer_all(col, olds.values())
    fixed = col.get_note(olds["1CardTyp001"])
    fixed["Back"] = "A program in execution (fixed)"
    col.update_note(fixed)
    fixed2x = col.get_note(olds["1CardTyp002"])
    fixed2x["Back"] = "The kernel's scheduler"
    col.update_note(fixed2x)

    report = run(col, book.root, state_path)

    assert report.adopted == 4 and report.created == 0 and report.legacy_leftovers == []
    kept = sorted((c["card"], c["field"], c["anki"]) for c in report.conflicts)
    assert kept == [("1CardTyp001", "Back", "A program in execution (fixed)"),
                    ("1CardTyp002", "Back", "The kernel's scheduler")]
    assert all(c["code"] == "unrecorded_anki" and "old sync" in c["message"] and c["old_sync"]
               for c in report.conflicts)
    assert col.get_note(olds["1CardTyp001"])["Back"].startswith("A program in execution (fixed)<div")
    assert col.get_note(olds["1CardTyp002"])["Back"].startswith("The kernel's scheduler<div")
    assert "<strong>a</strong> thread" in col.get_note(olds["1CardMd0001"])["Front"]
    again = run(col, book.root, state_path)
    assert not again.changed and not again.conflicts
    assert col.get_note(olds["1CardTyp001"])["Back"].startswith("A program in execution (fixed)<div")


@pytest.mark.parametrize("old_deck", ["machine learning::deep nets",  # Polar 2.x: Decks.toSubDeck
                                      "machine::learning::deep::nets"])  # Polar 1.x: "_" a level
def test_a_deck_tag_with_an_underscore_keeps_the_deck_the_old_sync_made(col, tmp_path, state_path, old_deck):
    """Polar's old sync wrote ``_`` in a ``deck:`` tag as a space (2.x) or
    as a level (1.x); this add-on keeps it. The adopted notes, with their
    reviews, stayed in the old sync's deck while the document's new cards
    went to a new deck beside it ("machine_learning::deep_nets"): one
    document in two decks. Its cards now go to the old sync's deck, and stay
    there on later syncs."""
    doc = Doc(tmp_path / "polar", "1DocML00000000000000000aa", "ML book", tags=["deck:machine_learning/deep_nets"])
    doc.text_highlight("1HlMl0001", "A neuron sums its inputs.")
    old = old_sync_note(col, doc, "What is a neuron?", "A unit", deck=old_deck)
    answer_all(col, [old])
    doc.card("1CardNeur01", basic("What is a neuron?", "A unit"), ref="text-highlight:1HlMl0001")
    doc.card("1CardLayer1", basic("What is a layer?", "Units side by side"), ref="text-highlight:1HlMl0001")
    doc.write()

    report = run(col, doc.root, state_path)

    assert (report.adopted, report.created) == (1, 1)
    new = notes_with_guid(col, "1CardLayer1")[0]
    decks = {col.decks.name(c.did) for nid in (old, new) for c in col.get_note(nid).cards()}
    assert decks == {old_deck}
    assert not col.decks.id_for_name("machine_learning::deep_nets")
    doc.card("1CardLater1", basic("What is a weight?", "A factor"), ref="text-highlight:1HlMl0001")
    doc.write()
    again = run(col, doc.root, state_path)
    assert again.created == 1
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardLater1")[0]).cards()} == {old_deck}
    # A book added later with the same tag goes there too (the deck is followed by its id).
    other = Doc(doc.root, "1DocML22222222222222222bb", "ML book 2", tags=["deck:machine_learning/deep_nets"])
    other.card("1CardTensor", basic("What is a tensor?", "An array"), ref="page:1")
    other.write()
    run(col, doc.root, state_path)
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardTensor")[0]).cards()} == {old_deck}
    assert not col.decks.id_for_name("machine_learning::deep_nets")


def test_a_deck_tag_with_an_underscore_and_no_old_notes_is_kept_as_it_is(col, tmp_path, state_path):
    doc = Doc(tmp_path / "polar", "1DocML00000000000000000aa", "ML book", tags=["deck:machine_learning"])
    doc.card("1CardLayer1", basic("What is a layer?", "Units side by side"), ref="page:1")
    doc.write()
    col.decks.id("machine learning")  # the user's own deck of that name, no old-sync note in it
    run(col, doc.root, state_path)
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardLayer1")[0]).cards()} \
        == {"machine_learning"}


def test_the_trigram_filter_never_refuses_what_similarity_would_pair():
    """``pair`` skips the comparison when the old text's characters covered
    by 3-character windows found in the new text cannot reach the bar: a
    bound on what ``similarity`` keeps (runs of 3+), so never a lost pair."""
    from addon.sync.legacy import _could_reach, _similarity, _trigrams, _windows

    assert _could_reach("aaaaaaaaa", _windows("aaaaaaaaa"), _trigrams("aaaaaaaaa"), PAIR_THRESHOLD)
    rnd = random.Random(3)
    for _ in range(5000):
        a = "".join(rnd.choice("abc de") for _ in range(rnd.randint(0, 40)))
        b = "".join(rnd.choice("abc de") for _ in range(rnd.randint(0, 40)))
        for share in (RIVAL_THRESHOLD, PAIR_THRESHOLD):
            if _similarity(a, b) >= share:
                assert _could_reach(a, _windows(a), _trigrams(b), share), (a, b, share)


def test_hundreds_of_unrelated_old_notes_and_new_cards_are_not_compared_one_by_one(monkeypatch):
    """A document with 300 old notes no card claims and 300 new cards: the
    first sync compared all 90,000 pairs (~0.3 ms each, half a minute);
    unrelated texts are now set aside before the comparison."""
    import addon.sync.legacy as legacy

    rnd = random.Random(5)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 9))) for _ in range(3000)]

    def sentence() -> str:
        return " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 14)))

    tags = frozenset({"os"})
    old = [legacy.OldNote(i, "basic", sentence(), tags, "os") for i in range(300)]
    new = [legacy.NewCard(f"c{i}", "doc", "basic", sentence(), tags, frozenset({"os"})) for i in range(300)]
    new[7] = dataclasses.replace(new[7], text=old[3].text + " indeed")  # an edit of old note 3
    calls = []
    real = legacy._similarity
    monkeypatch.setattr(legacy, "_similarity", lambda a, b: calls.append(1) or real(a, b))
    assert legacy.pair(old, new) == [(3, "c7")]
    assert len(calls) < 1000


def test_older_versions_of_a_card_synced_now_are_told_apart_from_deleted_cards(col, book, state_path):
    """Polar 1.x's old sync added a note for each version of an edited card
    (v1, v2, v3, each with its polar_guid:); the user studied all three.
    v3 is its card's note now; v1 and v2 are left over as before, never
    changed, but named as older versions of a card synced now (the user is
    studying duplicates), apart from a note whose card was deleted in Polar.
    Still so on the next syncs, until the user suspends them."""
    v1 = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardV1")
    v2 = old_sync_note(col, book, "What is a process in an OS?", "A program in execution", card_id="1CardV2")
    v3 = old_sync_note(col, book, "What is a process in an operating system?", "A program in execution",
                       card_id="1CardV3")
    gone = old_sync_note(col, book, "What is paging?", "Fixed-size memory blocks", card_id="1CardGone1")
    answer_all(col, [v1, v2, v3, gone])
    before = {nid: study_state(col, nid) for nid in (v1, v2, gone)}
    book.card("1CardV3", basic("What is a process in an operating system?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert report.adopted == 1 and notes_with_guid(col, "1CardV3") == [v3]
    assert report.legacy_leftovers == sorted([v1, v2, gone])
    assert report.legacy_older == sorted([v1, v2])
    assert report.to_dict()["legacy_older_versions"] == sorted([v1, v2])
    assert "2 notes are older versions of a card synced now" in report.summary()
    assert {nid: study_state(col, nid) for nid in before} == before
    again = run(col, book.root, state_path)
    assert again.legacy_older == sorted([v1, v2]) and not again.changed
    col.sched.suspend_cards(col.card_ids_of_note(v1))
    third = run(col, book.root, state_path)
    assert third.legacy_leftovers == sorted([v2, gone]) and third.legacy_older == [v2]


def test_the_same_question_in_two_books_takes_each_books_own_old_note(col, tmp_path, state_path):
    """Polar 2.x's old notes carry no card id: they are found by their
    front. The same question in two books ("What is a process?" in an OS
    book and a biology book), or twice in one book with other answers, had
    each card take the first note with that front: the OS card got the
    biology note, its reviews, its deck and (kept as the user's edit) its
    answer. Each card now takes the note of its own document and answer."""
    os_book = Doc(tmp_path / "polar", "1DocOsBook00000000000000", "OS book", tags=["deck:os", "os"])
    bio = Doc(tmp_path / "polar", "1DocBioBook0000000000000", "Bio book", tags=["deck:bio", "biology"])
    bio_note = old_sync_note(col, bio, "What is a process?", "A series of steps in a cell")
    os_note = old_sync_note(col, os_book, "What is a process?", "A program in execution")
    twice = [old_sync_note(col, os_book, "Define:", back) for back in ("A thread", "A fibre")]
    answer_all(col, [bio_note])
    before = study_state(col, bio_note)
    os_book.card("1CardOsProc", basic("What is a process?", "A program in execution"), ref="page:1")
    os_book.card("1CardFibre1", basic("Define:", "A fibre"), ref="page:1")
    os_book.card("1CardThread", basic("Define:", "A thread"), ref="page:1")
    bio.card("1CardBioPro", basic("What is a process?", "A series of steps in a cell"), ref="page:1")
    os_book.write()
    bio.write()

    report = run(col, os_book.root, state_path)

    assert report.adopted == 4 and report.created == 0 and not report.conflicts
    assert notes_with_guid(col, "1CardOsProc") == [os_note]
    assert notes_with_guid(col, "1CardBioPro") == [bio_note]
    assert notes_with_guid(col, "1CardThread") == [twice[0]]
    assert notes_with_guid(col, "1CardFibre1") == [twice[1]]
    assert study_state(col, bio_note) == before
    assert {col.decks.name(c.did) for c in col.get_note(bio_note).cards()} == {"bio"}


def test_a_back_edited_in_polar_after_the_old_sync_is_polars_not_kept_as_an_edit(col, book, state_path):
    """A 2.x note is found by its front; the card's back may have been edited
    in Polar since (Polar re-creates the card: new id, made after the old
    note; AnkiConnect refused the new version as a duplicate front). That
    difference is Polar's edit: the note takes Polar's back, no Kept as in
    Anki row. A card made before the note (the note was written from it)
    keeps the user's edit (test above)."""
    old = old_sync_note(col, book, "Who schedules threads?", "The kernal")
    answer_all(col, [old])
    before = study_state(col, old)
    book.card("1CardSched2", basic("Who schedules threads?", "The kernel's scheduler"), ref="page:1")
    _, card = book.find_card("1CardSched2")
    card["created"] = card["lastUpdated"] = "2099-01-01T00:00:00.000Z"  # after the note, as an edit in Polar
    book.write()

    report = run(col, book.root, state_path)

    assert report.adopted == 1 and not report.conflicts
    assert col.get_note(old)["Back"].startswith("The kernel's scheduler<div")
    assert study_state(col, old) == before


def test_old_sync_tags_moved_under_a_parent_tag_are_still_the_old_syncs(col, book, state_path):
    """``_polar-flashcard`` sorts first in the Browser's tag list; a user who
    tidies drags it (and ``polar_guid:…``) under a parent ("Polar"), which
    makes them ``Polar::_polar-flashcard`` on every note. Those notes were
    still found by the tag scan but not recognised: each card got a new note
    beside its old one (reviews left behind) and the old one was listed as
    matching no card. They are adopted as before, the moved tags removed."""
    two = old_sync_note(col, book, "Who schedules threads?", "The kernel")
    one = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardOne01")
    for nid in (two, one):
        note = col.get_note(nid)
        note.tags = ["Polar::" + t if t.startswith(("_polar-flashcard", "polar_guid:")) else t for t in note.tags]
        col.update_note(note)
    answer_all(col, [two, one])
    before = {nid: study_state(col, nid) for nid in (two, one)}
    book.card("1CardTwo01", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.card("1CardOne01", basic("What is a process?", "A program in execution"), ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.created) == (2, 0) and report.legacy_leftovers == []
    assert notes_with_guid(col, "1CardTwo01") == [two] and notes_with_guid(col, "1CardOne01") == [one]
    assert {nid: study_state(col, nid) for nid in before} == before
    for nid in (two, one):
        assert not [t for t in col.get_note(nid).tags if "polar-flashcard" in t or "polar_guid" in t]


def test_an_old_note_in_its_documents_title_deck_pairs(col, tmp_path, state_path):
    """Polar before 1.8 made a deck per document, named by its title; a
    document without tags has nothing else to trace its old notes by. An
    edited card now pairs with the old note in the title's deck (it had a
    new note and the old one, with its reviews, was left over)."""
    doc = Doc(tmp_path / "polar", "1DocTitled00000000000000", "Operating Systems: Three Easy Pieces")
    old = old_sync_note(col, doc, "What is a process?", "A program in execution",
                        deck="Operating Systems: Three Easy Pieces")
    answer_all(col, [old])
    doc.card("1CardProcOS", basic("What is a process in an OS?", "A program in execution"), ref="page:1")
    edited_in_polar(doc, "1CardProcOS")
    doc.write()
    report = run(col, doc.root, state_path)
    assert (report.paired, report.created) == (1, 0) and report.legacy_leftovers == []
    assert notes_with_guid(col, "1CardProcOS") == [old]


def test_of_an_edited_cards_old_versions_the_one_the_user_suspended_is_passed_over(col, book, state_path):
    """Seeing two notes of one card (v1, v2), the user suspended v2 and kept
    studying v1. Edited once more (v3), the card takes v1, the one studied,
    not the suspended newest."""
    v1 = old_sync_note(col, book, "What is a process?", "A program in execution")
    v2 = old_sync_note(col, book, "What is a process in an OS?", "A program in execution")
    answer_all(col, [v1])
    col.sched.suspend_cards(col.card_ids_of_note(v2))
    before = study_state(col, v1)
    book.card("1CardV3", basic("What is a process in an operating system?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    edited_in_polar(book, "1CardV3")
    edited_in_polar(book, "1CardV3")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.paired, report.created) == (1, 0)
    assert notes_with_guid(col, "1CardV3") == [v1]
    assert study_state(col, v1) == before
    assert report.legacy_leftovers == []  # v2: suspended, the user's answer already


def test_two_old_notes_with_the_cards_front_and_other_answers_are_not_taken_at_random(col, book, state_path):
    """"Define:" twice in one book ("A thread", "A fibre"), then the second
    answer edited in Polar ("A fibre, lighter than a thread"): neither old
    note has the card's answer, and taking the first found gave the card
    the thread note's reviews. The card now goes to pairing, which finds
    the fibre note by its text; the thread card takes its own note. (Made
    after the notes, as Polar's edit is, the fibre card is taken over by
    its question beside its answer's likeness: counted as taken over.)"""
    thread = old_sync_note(col, book, "Define:", "A thread of execution")
    fibre = old_sync_note(col, book, "Define:", "A fibre of execution")
    answer_all(col, [thread, fibre])
    before = {nid: study_state(col, nid) for nid in (thread, fibre)}
    book.card("1CardFibre2", basic("Define:", "A fibre of execution, lighter than a thread"), ref="page:1")
    book.card("1CardThrea2", basic("Define:", "A thread of execution"), ref="page:1")
    edited_in_polar(book, "1CardFibre2")
    book.write()

    report = run(col, book.root, state_path)

    assert notes_with_guid(col, "1CardThrea2") == [thread]
    assert notes_with_guid(col, "1CardFibre2") == [fibre]
    assert (report.adopted + report.paired, report.created) == (2, 0)
    assert {nid: study_state(col, nid) for nid in before} == before


def test_a_question_in_a_second_book_does_not_take_the_first_books_old_note(col, tmp_path, state_path):
    """AnkiConnect refused a note whose first field another note of its type
    had: the same question in two books left one old note, the first
    book's. The second book's card, planned first, took it (its reviews,
    its deck) and the first book's card came as a new note. A note carrying
    another document's labels is now that document's."""
    first = Doc(tmp_path / "polar", "1DocZzOsBook000000000000", "OS book", tags=["deck:os", "os"])
    second = Doc(tmp_path / "polar", "1DocAaBioBook00000000000", "Bio book", tags=["deck:bio", "biology"])
    old = old_sync_note(col, first, "What is a process?", "A program in execution")
    answer_all(col, [old])
    first.card("1CardOsProc", basic("What is a process?", "A program in execution"), ref="page:1")
    second.card("1CardBioPro", basic("What is a process?", "A series of steps in a cell"), ref="page:1")
    first.write()
    second.write()

    report = run(col, first.root, state_path)

    assert notes_with_guid(col, "1CardOsProc") == [old]
    assert (report.adopted, report.created) == (1, 1) and not report.conflicts
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardBioPro")[0]).cards()} == {"bio"}


def test_a_document_without_tags_whose_old_notes_the_user_moved_pairs_in_their_deck(col, tmp_path, state_path):
    """A document without tags: the old sync put its notes in "Default" (or
    its title's deck), and the user moved them into a deck of their own
    ("Books::OS"). Its cards still taken over by id or front show where the
    document's old notes are now: an edited card pairs with the old note
    beside them (it had a new note in "Default", the studied old one was
    left over)."""
    doc = Doc(tmp_path / "polar", "1DocUntagged000000000000", "An untagged book")
    doc.text_highlight("1HlUnt0001", "A process is a program in execution.")
    same = old_sync_note(col, doc, "What is a process?", "A program", deck="Books::OS")
    edited = old_sync_note(col, doc, "Who schedules threads?", "The kernel", deck="Books::OS")
    answer_all(col, [same, edited])
    before = study_state(col, edited)
    doc.card("1CardUnt001", basic("What is a process?", "A program"), ref="text-highlight:1HlUnt0001")
    doc.card("1CardUnt002", basic("Who schedules threads in an OS?", "The kernel"), ref="text-highlight:1HlUnt0001")
    edited_in_polar(doc, "1CardUnt002")
    doc.write()

    report = run(col, doc.root, state_path)

    assert (report.adopted, report.paired, report.created) == (1, 1, 0)
    assert report.legacy_leftovers == []
    assert notes_with_guid(col, "1CardUnt002") == [edited]
    assert study_state(col, edited) == before
    assert {col.decks.name(c.did) for c in col.get_note(edited).cards()} == {"Books::OS"}
    assert not run(col, doc.root, state_path).changed


def test_an_untagged_documents_moved_old_notes_do_not_pair_with_another_documents_card(col, tmp_path, state_path):
    """The deck of a document's adopted notes is that document's only: the
    user moved two untagged books' old notes into one deck, and the second
    book (none of its old notes taken over) does not take the first's."""
    one = Doc(tmp_path / "polar", "1DocUntagged000000000001", "Book one")
    two = Doc(tmp_path / "polar", "1DocUntagged000000000002", "Book two")
    for d in (one, two):
        d.text_highlight("1HlUnt0001", "A process is a program in execution.")
    same = old_sync_note(col, one, "What is a process?", "A program", deck="Books::OS")
    other = old_sync_note(col, two, "Who schedules threads?", "The kernel", deck="Books::OS")
    answer_all(col, [same, other])
    one.card("1CardUnt011", basic("What is a process?", "A program"), ref="text-highlight:1HlUnt0001")
    one.write()
    two.card("1CardUnt012", basic("Who schedules threads in an OS?", "The kernel"), ref="text-highlight:1HlUnt0001")
    two.write()

    report = run(col, one.root, state_path)

    assert (report.adopted, report.paired, report.created) == (1, 0, 1)
    assert report.legacy_leftovers == [other]


def test_a_deck_tag_with_a_slash_keeps_the_deck_polar_1x_made_before_sub_decks(col, tmp_path, state_path):
    """Polar 1.x before sub-decks (polar-bookshelf ``AnkiSyncEngine``:
    only ``_`` → ``::``) made ``deck:compsci/os`` a deck named "compsci/os";
    this add-on makes "compsci::os". The adopted notes stayed in the old
    deck and the document's new cards went to the new one: one document in
    two decks. Its cards now go to the old sync's deck."""
    doc = Doc(tmp_path / "polar", "1DocSlash000000000000000", "OS book", tags=["deck:compsci/os"])
    doc.text_highlight("1HlSla0001", "A process is a program in execution.")
    old = old_sync_note(col, doc, "What is a process?", "A program", card_id="1CardSla001", deck="compsci/os")
    answer_all(col, [old])
    doc.card("1CardSla001", basic("What is a process?", "A program"), ref="text-highlight:1HlSla0001")
    doc.card("1CardSla002", basic("What is a thread?", "A unit of execution"), ref="text-highlight:1HlSla0001")
    doc.write()

    report = run(col, doc.root, state_path)

    assert (report.adopted, report.created) == (1, 1)
    new = notes_with_guid(col, "1CardSla002")[0]
    assert {col.decks.name(c.did) for nid in (old, new) for c in col.get_note(nid).cards()} == {"compsci/os"}
    assert not col.decks.id_for_name("compsci::os")
    assert not run(col, doc.root, state_path).changed


def test_an_untagged_documents_new_cards_join_its_old_notes_in_its_title_deck(col, tmp_path, state_path):
    """Polar before 1.8 made a deck per document, named by its title. A
    document without tags whose old notes (studied) are there had its new
    cards sent to "Default": one book in two decks. On its first sync its
    cards go to the title's deck when its own old notes are there."""
    doc = Doc(tmp_path / "polar", "1DocTitled00000000000001", "Three Easy Pieces")
    doc.text_highlight("1HlTit0001", "A process is a program in execution.")
    one = old_sync_note(col, doc, "What is a process?", "A program", card_id="1CardTit001", deck="Three Easy Pieces")
    two = old_sync_note(col, doc, "Who schedules threads?", "The kernel", deck="Three Easy Pieces")
    answer_all(col, [one, two])
    doc.card("1CardTit001", basic("What is a process?", "A program"), ref="text-highlight:1HlTit0001")
    doc.card("1CardTit002", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlTit0001")
    doc.card("1CardTit003", basic("What is a thread?", "A unit of execution"), ref="text-highlight:1HlTit0001")
    doc.write()

    report = run(col, doc.root, state_path)

    assert (report.adopted, report.created) == (2, 1)
    new = notes_with_guid(col, "1CardTit003")[0]
    assert {col.decks.name(c.did) for nid in (one, two, new) for c in col.get_note(nid).cards()} \
        == {"Three Easy Pieces"}
    assert not run(col, doc.root, state_path).changed
    doc.card("1CardTit004", basic("What is a page?", "A block of memory"), ref="text-highlight:1HlTit0001")
    doc.write()
    assert run(col, doc.root, state_path).created == 1
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardTit004")[0]).cards()} \
        == {"Three Easy Pieces"}


def test_an_untagged_document_with_no_old_notes_in_a_deck_of_its_title_goes_to_the_default_deck(
        col, tmp_path, state_path):
    """A deck named like the title holding other notes (the user's own, or
    another book's old notes) is no reason to leave "Default"."""
    doc = Doc(tmp_path / "polar", "1DocTitled00000000000002", "Three Easy Pieces")
    other = Doc(tmp_path / "other", "1DocTitled00000000000003", "Another book")
    old_sync_note(col, other, "What is a monad?", "A monoid", deck="Three Easy Pieces")
    doc.card("1CardTit011", basic("What is a thread?", "A unit of execution"), ref="page:1")
    doc.write()
    run(col, doc.root, state_path)
    assert {col.decks.name(c.did) for c in col.get_note(notes_with_guid(col, "1CardTit011")[0]).cards()} \
        == {"Default"}


def _png(red: int) -> str:
    """A valid 1×1 PNG of its own colour, base64 (two images, two names)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(bytes([0, red, 0, 0]))) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode()


def _old_sync_media_name(data: str) -> str:
    """The name Polar's old sync stored a ``data:image/png`` image by
    (``MediaContents.toMediaFile``: ``Hashcodes.createID(data, 20)``)."""
    return create_id(data, 20) + ".png"


@pytest.mark.parametrize("question", ["", "What is shown?", '<img src="https://example.org/cell.svg">'])
def test_a_card_with_another_image_in_front_does_not_take_an_old_note(col, book, state_path, question):
    """Polar 2.x notes are found by their front's text; two cards whose
    front is an image (alone, or after the same words) have the same text.
    The old sync stored each image by a name made from its data: the old
    note of the card with the other image was taken (its reviews, its
    answer kept as an edit in Anki), and the card it belongs to got a new
    note. An image in front now has to be the one the old sync stored."""
    mito, ribo = _png(10), _png(200)
    old = old_sync_note(col, book, f'{question}<img src="{_old_sync_media_name(mito)}">', "Mitochondria")
    answer_all(col, [old])
    before = study_state(col, old)
    # The card Polar made later (no old note) comes first in the document.
    book.card("1CardImg0R1", basic(f'{question}<img src="data:image/png;base64,{ribo}">', "Ribosome"), ref="page:1")
    book.card("1CardImg0M1", basic(f'{question}<img src="data:image/png;base64,{mito}">', "Mitochondria"),
              ref="page:1")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.created) == (1, 1) and not report.conflicts
    assert notes_with_guid(col, "1CardImg0M1") == [old]
    assert col.get_note(old)["Back"].startswith("Mitochondria")
    assert study_state(col, old) == before
    assert col.get_note(notes_with_guid(col, "1CardImg0R1")[0])["Back"].startswith("Ribosome")
    assert not run(col, book.root, state_path).changed


def test_accents_anki_composed_are_no_edit_in_anki_and_no_other_front(col, book, state_path):
    """Text from a PDF often has its accents as separate characters
    (NFD: "e" + U+0301); Anki stores a note's fields composed (NFC), so the
    old sync's notes hold "é" where the card has "é". Adopting them
    reported every such field as "edited in Anki after Polar's old sync wrote
    it: your version was kept", and a 2.x note was not found by its front."""
    import unicodedata

    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    front, back = "Qu'est-ce qu'un élément ?", "Une espèce chimique"
    by_id = old_sync_note(col, book, nfd(front), nfd(back), card_id="1CardNfd001")
    by_front = old_sync_note(col, book, nfd("Le {{c1::défaut}} d'électrons"), kind="Cloze")
    assert col.get_note(by_id)["Front"] == front  # composed by Anki
    answer_all(col, [by_id, by_front])
    book.card("1CardNfd001", basic(nfd(front), nfd(back)), ref="text-highlight:1HlLeg0001")
    book.card("1CardNfd002", cloze(nfd("Le {{c1::défaut}} d'électrons")), "CLOZE", ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.adopted, report.paired, report.created) == (2, 0, 0)
    assert report.conflicts == []
    assert notes_with_guid(col, "1CardNfd002") == [by_front]
    assert not run(col, book.root, state_path).changed


@pytest.mark.parametrize("polar", ["1.x", "2.x"])
def test_a_cards_own_old_note_the_user_suspended_gives_way_to_the_version_they_study(col, book, state_path, polar):
    """Polar's old sync added a note for each edit of a card (v1, v2); the
    user suspended the new one (v2, never studied) and kept studying v1. The
    card (v2) took its own note, the suspended one: the note synced from now
    on was one the user never sees, and v1, with the reviews, was reported as
    an older version to look at, with "Suspend them" beside it. Now the
    version they study takes the card, its reviews and due date kept; v2
    stays as it is (suspended, not listed)."""
    v1 = old_sync_note(col, book, "What is a process?", "A program in execution",
                       card_id="1CardSus001" if polar == "1.x" else None)
    answer_all(col, [v1])
    before = study_state(col, v1)
    v2 = old_sync_note(col, book, "What is a process in an OS?", "A program in execution",
                       card_id="1CardSus002" if polar == "1.x" else None)
    col.sched.suspend_cards(col.card_ids_of_note(v2))
    v2_fields, v2_tags = list(col.get_note(v2).fields), list(col.get_note(v2).tags)
    book.card("1CardSus002", basic("What is a process in an OS?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert notes_with_guid(col, "1CardSus002") == [v1]
    assert report.legacy_leftovers == [] and report.legacy_older == []
    assert report.adopted + report.paired == 1 and report.created == 0
    assert study_state(col, v1) == before
    assert "What is a process in an OS?" in col.get_note(v1)["Front"]
    assert col.get_note(v2).fields == v2_fields and col.get_note(v2).tags == v2_tags
    assert all(c.queue == -1 for c in col.get_note(v2).cards())
    assert not run(col, book.root, state_path).changed


def test_a_suspended_old_note_the_user_studied_is_still_its_cards(col, book, state_path):
    """Suspended after reviews (a leech, a break): still the card's note."""
    v1 = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardSus011")
    v2 = old_sync_note(col, book, "What is a process in an OS?", "A program in execution", card_id="1CardSus012")
    answer_all(col, [v1, v2])
    col.sched.suspend_cards(col.card_ids_of_note(v2))
    book.card("1CardSus012", basic("What is a process in an OS?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    book.write()
    report = run(col, book.root, state_path)
    assert notes_with_guid(col, "1CardSus012") == [v2]
    assert report.legacy_older == [v1]


def _move_to_own_type(col, nids, name: str = "Q&A") -> None:
    """The user's Change Note Type of old notes into a type of their own:
    Question/Answer, and fields of theirs that the add-on's own types also
    have ("Source"), filled by hand."""
    mm = col.models
    basic_type = mm.by_name("Basic")
    own = mm.copy(basic_type, add=False)
    own["name"] = name
    own["flds"][0]["name"], own["flds"][1]["name"] = "Question", "Answer"
    for t in own["tmpls"]:
        t["qfmt"] = t["qfmt"].replace("{{Front}}", "{{Question}}")
        t["afmt"] = t["afmt"].replace("{{Back}}", "{{Answer}}").replace("{{Front}}", "{{Question}}")
    mm.add_field(own, mm.new_field("Source"))
    mm.add_field(own, mm.new_field("Comments"))
    mm.add_dict(own)
    request = mm.change_notetype_info(old_notetype_id=basic_type["id"], new_notetype_id=mm.by_name(name)["id"]).input
    request.note_ids.extend(nids)
    mm.change_notetype_of_notes(request)


@pytest.mark.parametrize("how", ["adopted", "paired"])
def test_an_old_notes_own_fields_the_user_filled_are_kept_when_taken_over(col, book, state_path, how):
    """Old notes the user moved to a note type of their own, whose
    "Source" and "Comments" they filled by hand ("Tanenbaum, ch. 2"): the
    old sync never wrote those fields, and taking the note over wrote this
    add-on's context over the user's words (an own type's context fields
    are the add-on's). Now what the user wrote there stays, told as kept."""
    old = old_sync_note(col, book, "What is a process?", "A program in execution",
                        card_id="1CardOwn001" if how == "adopted" else None)
    empty = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardOwn002")
    answer_all(col, [old, empty])
    _move_to_own_type(col, [old, empty])
    note = col.get_note(old)
    note["Source"], note["Comments"] = "Tanenbaum, ch. 2", "my mnemonic: PIE"
    col.update_note(note)
    front = "What is a process?" if how == "adopted" else "What is a process in an OS?"
    book.card("1CardOwn001", basic(front, "A program in execution"), ref="text-highlight:1HlLeg0001")
    book.card("1CardOwn002", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0001")
    book.write()

    report = run(col, book.root, state_path)

    assert report.adopted + report.paired == 2 and report.created == 0
    assert notes_with_guid(col, "1CardOwn001") == [old]
    note = col.get_note(old)
    assert (note["Source"], note["Comments"]) == ("Tanenbaum, ch. 2", "my mnemonic: PIE")
    kept = {c["field"] for c in report.conflicts if c["note_id"] == old}
    assert kept == {"Source", "Comments"}
    assert all(c.get("old_sync") for c in report.conflicts)
    assert "Operating Systems" in col.get_note(empty)["Source"]  # empty: the add-on's context, as before
    again = run(col, book.root, state_path)
    assert not again.changed and not again.conflicts
    assert col.get_note(old)["Source"] == "Tanenbaum, ch. 2"


def test_a_clozes_back_extra_the_user_wrote_pairs_and_is_kept(col, book, state_path):
    """Polar's cloze cards have no "Back Extra" (the old sync wrote "Text"
    alone); users wrote their own there in Anki ("Remember: PIE"). An edited
    cloze then did not pair with its old note (the user's words counted as
    text the card had lost): a new note beside the studied one. Paired, the
    user's words were replaced by the context, silently. Now they count for
    nothing in pairing and stay, told as kept, the context after them."""
    old = old_sync_note(col, book, "A {{c1::process}} is a program in execution", kind="Cloze")
    answer_all(col, [old])
    before = study_state(col, old)
    note = col.get_note(old)
    note["Back Extra"] = "Remember: PIE"
    col.update_note(note)
    book.card("1CardExt001", cloze("A {{c1::process}} is a program in execution, says the book"), "CLOZE",
              ref="text-highlight:1HlLeg0001")
    edited_in_polar(book, "1CardExt001")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.paired, report.created) == (1, 0)
    assert notes_with_guid(col, "1CardExt001") == [old]
    assert study_state(col, old) == before
    extra = col.get_note(old)["Back Extra"]
    assert extra.startswith("Remember: PIE<div") and "Operating Systems" in extra
    assert [(c["code"], c["field"], c.get("old_sync")) for c in report.conflicts] \
        == [("unrecorded_anki", "Back Extra", True)]
    again = run(col, book.root, state_path)
    assert not again.changed and not again.conflicts


def test_a_title_and_tags_with_decomposed_accents_still_trace_old_notes(col, tmp_path, state_path):
    """A title out of a PDF or a Mac's file name, or a label, with its
    accents decomposed (NFD): Anki stored the old sync's tags and decks
    composed, so the document's old notes were not its (an edited card
    came as a new note beside the studied one)."""
    import unicodedata

    def nfd(text: str) -> str:
        return unicodedata.normalize("NFD", text)

    tagged = Doc(tmp_path / "polar", "1DocNfdTag00000000000000", "Chimie", tags=[nfd("chimie_générale")])
    titled = Doc(tmp_path / "polar", "1DocNfdTit00000000000000", nfd("Éléments de chimie"))
    olds = []
    questions = ["Qu'est-ce qu'un atome ?", "Qui a découvert l'électron ?"]
    for n, doc in enumerate((tagged, titled)):
        doc.text_highlight("1HlNfd0001", "x")
        deck = nfd("Éléments de chimie") if doc is titled else None
        olds.append(old_sync_note(col, doc, questions[n], "Une particule", deck=deck))
        doc.card(f"1CardNfdT0{n}", basic(questions[n] + " au juste", "Une particule"),
                 ref="text-highlight:1HlNfd0001")
        edited_in_polar(doc, f"1CardNfdT0{n}")
        doc.write()
    answer_all(col, olds)

    report = run(col, tagged.root, state_path)

    assert (report.paired, report.created) == (2, 0) and report.legacy_leftovers == []
    assert [notes_with_guid(col, f"1CardNfdT0{n}") for n in (0, 1)] == [[olds[0]], [olds[1]]]


def test_the_report_names_a_german_profiles_default_deck_as_its_deck_list_does(col_de, tmp_path, state_path):
    """Polar's "Default" (a document without a deck tag; the old sync's
    notes of most users) is the profile's own default deck, "Standard" in
    German: the report said "decks: Default", a deck the user could not
    find."""
    doc = Doc(tmp_path / "polar", "1DocStandard000000000000", "Buch")
    doc.card("1CardStd001", basic("Was ist ein Prozess?", "Ein Programm"), ref="page:1")
    doc.write()

    report = run(col_de, doc.root, state_path)

    assert [col_de.decks.name(c.did) for c in col_de.get_note(notes_with_guid(col_de, "1CardStd001")[0]).cards()] \
        == ["Standard"]
    assert report.sorted_decks() == ["Standard"]
    assert [c["deck"] for c in report.to_dict()["changes"]] == ["Standard"]
    assert "decks: Standard" in report.summary()


def _german_basic_for_polar(col) -> None:
    """What a German user did for Polar's old sync: "Einfach" copied as
    "Basic" with the fields Front/Back it sends."""
    mm = col.models
    own = mm.copy(mm.by_name("Einfach"), add=False)
    own["name"] = "Basic"
    own["flds"][0]["name"], own["flds"][1]["name"] = "Front", "Back"
    for t in own["tmpls"]:
        t["qfmt"] = t["qfmt"].replace("{{Vorderseite}}", "{{Front}}")
        t["afmt"] = t["afmt"].replace("{{Rückseite}}", "{{Back}}").replace("{{Vorderseite}}", "{{Front}}")
    mm.add_dict(own)


def test_the_old_syncs_default_deck_beside_a_german_profiles_standard_keeps_the_books_cards(
        col_de, tmp_path, state_path):
    """AnkiConnect made the old sync's "Default" deck in a German profile,
    beside the profile's own "Standard": the old notes of every document
    without a deck tag are there. Their new cards went to "Standard" (one
    book in two decks). "Default" is now the deck of that name when there is
    one, and the report names it so."""
    _german_basic_for_polar(col_de)
    doc = Doc(tmp_path / "polar", "1DocDeDefault00000000000", "Betriebssysteme")
    doc.text_highlight("1HlDeD0001", "x")
    old = old_sync_note(col_de, doc, "Was ist ein Prozess?", "Ein Programm", card_id="1CardDeD001")
    answer_all(col_de, [old])
    assert {col_de.decks.name(c.did) for c in col_de.get_note(old).cards()} == {"Default"}
    assert col_de.decks.name(1) == "Standard"
    doc.card("1CardDeD001", basic("Was ist ein Prozess?", "Ein Programm"), ref="text-highlight:1HlDeD0001")
    doc.card("1CardDeD002", basic("Was ist ein Thread?", "Eine Einheit"), ref="text-highlight:1HlDeD0001")
    doc.write()

    report = run(col_de, doc.root, state_path)

    assert (report.adopted, report.created) == (1, 1)
    new = notes_with_guid(col_de, "1CardDeD002")[0]
    assert {col_de.decks.name(c.did) for nid in (old, new) for c in col_de.get_note(nid).cards()} == {"Default"}
    assert report.sorted_decks() == ["Default"]
    assert not run(col_de, doc.root, state_path).changed


def test_studied_versions_of_many_cards_are_not_compared_one_by_one(monkeypatch):
    """A card's own old note suspended and never studied is checked against
    every studied leftover of its document: with 300 of each, the plain
    comparison of each pair took 0.3 s a card. Unrelated texts are set aside
    before the comparison, and each note is prepared once."""
    import addon.sync.legacy as legacy

    rnd = random.Random(6)
    words = ["".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(3, 9))) for _ in range(3000)]

    def sentence() -> str:
        return " ".join(rnd.choice(words) for _ in range(rnd.randint(6, 14)))

    tags = frozenset({"os"})
    old = [legacy.OldNote(i, "basic", sentence(), tags, "os") for i in range(300)]
    cards = [legacy.NewCard(f"c{i}", "doc", "basic", sentence(), tags, frozenset({"os"})) for i in range(300)]
    cards[7] = dataclasses.replace(cards[7], text=old[3].text + " indeed")  # an edit of old note 3
    calls = []
    real = legacy._similarity
    monkeypatch.setattr(legacy, "_similarity", lambda a, b: calls.append(1) or real(a, b))
    versions = legacy.StudiedVersions(old)
    assert [versions.of(card) for card in cards] == [None] * 7 + [3] + [None] * 292
    assert versions.of(cards[7], taken={3}) is None
    assert len(calls) < 1000


@pytest.mark.parametrize("polar,added", [("1.x", " (mnemonic: PIE, a Program In Execution)"),
                                         ("2.x", " (mnemonic: PIE, a Program In Execution)"),
                                         ("1.x", " (PIE)")], ids=["1.x-long", "2.x-long", "1.x-short"])
def test_a_back_the_user_added_to_in_anki_pairs_when_polar_edited_the_front(col, book, state_path, polar, added):
    """legacy3's Left: an old note whose Back the user added to in Anki
    ("… (mnemonic: PIE)"), whose card's question was then edited in Polar
    (a new id, a new front, the same answer). The user's words counted as
    text the card had lost: no pair, a new note without history beside the
    studied one (a leftover). Now, when the card's whole answer is still in
    the note's (the user added words around it) and the question is an edit
    of the note's, they pair: the reviews and due date stay, the question
    is Polar's edit, and the Back keeps the user's words (kept as in Anki,
    told: whether Polar or the user wrote them cannot be told, and keeping
    them loses nothing). A few words added ("(PIE)") paired before, and
    Polar's answer was written over them, silently."""
    old = old_sync_note(col, book, "What is a process?", "A program in execution",
                        card_id="1CardMne001" if polar == "1.x" else None)
    other = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardMne002")
    answer_all(col, [old, other])
    note = col.get_note(old)
    note["Back"] = "A program in execution" + added
    col.update_note(note)
    before = study_state(col, old)
    book.card("1CardMne003", basic("What is a process in an OS?", "A program in execution"),
              ref="text-highlight:1HlLeg0001")
    book.card("1CardMne002", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    edited_in_polar(book, "1CardMne003")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.paired, report.adopted, report.created) == (1, 1, 0)
    assert notes_with_guid(col, "1CardMne003") == [old] and report.legacy_leftovers == []
    assert study_state(col, old) == before
    note = col.get_note(old)
    assert note["Front"] == "What is a process in an OS?"
    assert note["Back"].startswith("A program in execution" + added + "<div")
    assert [(c["code"], c["field"], c.get("old_sync")) for c in report.conflicts] \
        == [("unrecorded_anki", "Back", True)]
    again = run(col, book.root, state_path)
    assert not again.changed and not again.conflicts


def test_an_answer_found_in_another_notes_back_does_not_pair_another_question(col, book, state_path):
    """The other way round, never a wrong pair: a new card whose answer is
    inside an old note's Back but whose question is another ("What runs a
    CPU run?" → "A program") takes nothing; nor does a card whose question
    is an edit of two old notes' (a rival: ambiguous)."""
    old = old_sync_note(col, book, "What is a process?", "A program in execution (mnemonic: PIE)")
    twin1 = old_sync_note(col, book, "What does the kernel schedule?", "Threads, says chapter 2")
    twin2 = old_sync_note(col, book, "What does the kernel schedule first?", "Threads, says chapter 3")
    answer_all(col, [old, twin1, twin2])
    book.card("1CardAns001", basic("Name what a CPU runs", "A program"), ref="text-highlight:1HlLeg0001")
    book.card("1CardAns002", basic("What does the kernel schedule, in Linux?", "Threads"),
              ref="text-highlight:1HlLeg0002")
    book.write()

    report = run(col, book.root, state_path)

    assert (report.paired, report.created) == (0, 2)
    assert sorted(report.legacy_leftovers) == sorted([old, twin1, twin2])


def test_an_old_note_moved_to_basic_and_reversed_is_counted_once(col, book, state_path):
    """A note of the old sync the user moved to "Basic (and reversed card)":
    taken over (its guid is the card's now), counted as taken over and not
    also as unchanged (the headline summed to more notes than cards)."""
    moved = old_sync_note(col, book, "What is a process?", "A program in execution", card_id="1CardOld001")
    kept = old_sync_note(col, book, "Who schedules threads?", "The kernel", card_id="1CardOld002")
    answer_all(col, [moved, kept])
    rev = col.models.by_name("Basic (and reversed card)")
    info = col.models.change_notetype_info(old_notetype_id=col.models.by_name("Basic")["id"],
                                           new_notetype_id=rev["id"])
    req = info.input
    req.note_ids.extend([moved])
    col.models.change_notetype_of_notes(req)
    book.card("1CardOld001", basic("What is a process?", "A program in execution"), ref="text-highlight:1HlLeg0001")
    book.card("1CardOld002", basic("Who schedules threads?", "The kernel"), ref="text-highlight:1HlLeg0002")
    book.write()

    report = run(col, book.root, state_path)

    assert notes_with_guid(col, "1CardOld001") == [moved]
    assert report.adopted + report.paired == 2
    assert report.created == 0 and report.unchanged == 0
    words = report.counts_words()
    assert words == ["2 notes taken over from Polar's old sync"], words
    again = run(col, book.root, state_path)
    assert not again.changed and again.unchanged == 2


def test_old_notes_left_in_the_old_syncs_deck_are_reported_there(col, tmp_path, state_path):
    """A document re-tagged in Polar after the old sync (``deck:net`` →
    ``deck:networking/tcp``): its old notes stay in "net" (taken over, not
    moved); the report's decks and rows name "net", not a
    "networking::tcp" that no note went to and Anki does not have."""
    doc = Doc(tmp_path / "polar", "1DocNet0000000000000000a", "Networks", tags=["deck:net"])
    doc.text_highlight("1HlNet0001", "TCP is reliable.")
    a = old_sync_note(col, doc, "Is TCP reliable?", "Yes", card_id="1CardNet001")
    b = old_sync_note(col, doc, "Is UDP reliable?", "No", card_id="1CardNet002")
    doc.untag("deck:net").tag("deck:networking/tcp")
    doc.card("1CardNet001", basic("Is TCP reliable?", "Yes"), ref="text-highlight:1HlNet0001")
    doc.card("1CardNet002", basic("Is UDP reliable?", "No"), ref="text-highlight:1HlNet0001")
    doc.write()

    preview = run(col, doc.root, state_path, dry_run=True)
    assert preview.sorted_decks() == ["net"]
    report = run(col, doc.root, state_path)

    assert report.adopted == 2 and report.created == 0
    assert {col.decks.name(col.get_card(c).did) for n in (a, b) for c in col.card_ids_of_note(n)} == {"net"}
    assert report.sorted_decks() == ["net"]
    assert {c.deck for c in report.changes} == {"net"}
    assert "networking::tcp" not in [d.name for d in col.decks.all_names_and_ids()]
    again = run(col, doc.root, state_path)
    assert not again.changed and "networking::tcp" not in again.sorted_decks()
