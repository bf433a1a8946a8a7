"""The note types a person moved the Polar notes into (branch ``followmoved``,
dev-notes/cards.md): every Polar note changed in the Browser (Change Note
Type) to a type of theirs, stock "Basic"/"Cloze" left untouched. Before, new
cards from Polar still went to "Basic", splitting the collection again with
each one. Now, when all of them (at least ``FOLLOW_FROM``) are in one type
of the user's that can take a new note, new ones follow, and the report says
so once. Real Anki collections, Change Note Type as the Browser does it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, List

from addon.sync.notetypes import FOLLOW_FROM
from addon.sync.write import FOLLOWED_TOLD_KEY
from tests.polar_factory import Doc, basic, cloze
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems
from tests.sync.helpers import note_of, run

N = FOLLOW_FROM + 1


def _library(lib: Path, n: int = N) -> Doc:
    doc = Doc(lib, "1MovedDoc", "Moved", tags=["deck:Moved"])
    doc.text_highlight("1MovedH1", "the highlighted passage")
    for i in range(n):
        doc.card(f"1MvB{i}", basic(f"question {i}", f"answer {i}"), ref="text-highlight:1MovedH1")
        doc.card(f"1MvZ{i}", cloze(f"a {{{{c1::cloze}}}} {i}"), "CLOZE", ref="text-highlight:1MovedH1")
    doc.write()
    return doc


def _copy_type(col: Any, stock: str, name: str) -> None:
    """A type of the user's like the stock one, with a field of theirs."""
    model = col.models.copy(col.models.by_name(stock), add=False)
    model["name"] = name
    col.models.add_field(model, col.models.new_field("Mnemonic"))
    col.models.add_dict(model)


def _move(col: Any, card_ids: List[str], to: str) -> None:
    """Browse ▸ Notes ▸ Change Note Type, the fields mapped as offered."""
    nids = [note_of(col, cid).id for cid in card_ids]
    old = col.get_note(nids[0]).mid
    info = col.models.change_notetype_info(old_notetype_id=old, new_notetype_id=col.models.by_name(to)["id"])
    request = info.input
    request.note_ids.extend(nids)
    col.models.change_notetype_of_notes(request)


def _study(col: Any) -> None:
    for nid in col.find_notes(""):
        for card in col.get_note(nid).cards():
            card.start_timer()
            col.sched.answerCard(card, 3)


def _followed(report: Any) -> List[Any]:
    return [(w["notetype"], w["stock"]) for w in report.warnings if w["code"] == "notes_followed"]


def _type_of(col: Any, cid: str) -> str:
    return str(note_of(col, cid).note_type()["name"])


def test_new_cards_follow_every_note_moved_into_the_users_type_and_the_report_says_so_once(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    assert run(col, lib, state).created == 2 * N
    _study(col)
    _copy_type(col, "Basic", "Vocab")
    _copy_type(col, "Cloze", "My Cloze")
    _move(col, [f"1MvB{i}" for i in range(N)], "Vocab")
    _move(col, [f"1MvZ{i}" for i in range(N)], "My Cloze")
    studied = StudyData.of(col)
    mine = note_of(col, "1MvB0")
    mine["Mnemonic"] = "my mnemonic"
    col.update_note(mine)

    doc.card("1MvBnew", basic("new question", "new answer"))
    doc.card("1MvZnew", cloze("new {{c1::cloze}}"), "CLOZE")
    doc.write()
    report = run(col, lib, state)
    assert report.errors == [] and report.created == 2
    assert (_type_of(col, "1MvBnew"), _type_of(col, "1MvZnew")) == ("Vocab", "My Cloze")
    assert sorted(_followed(report)) == [("My Cloze", "Cloze"), ("Vocab", "Basic")]
    assert len(report.warnings) == 2, [w["message"] for w in report.warnings]
    new = note_of(col, "1MvBnew")
    assert new["Front"] == "new question" and new["Mnemonic"] == ""
    assert 'class="polar-context"' in new["Back"]
    assert note_of(col, "1MvB0")["Mnemonic"] == "my mnemonic"
    after = StudyData.of(col)
    assert after.revlog == studied.revlog and after.reviewed == studied.reviewed
    assert integrity_problems(col) == []

    doc.card("1MvBnew2", basic("newer question", "newer answer"))
    doc.write()
    report = run(col, lib, state)
    assert report.created == 1 and _type_of(col, "1MvBnew2") == "Vocab"
    assert report.warnings == []  # told once

    # Going back: one note changed back to "Basic": new notes go there again.
    _move(col, ["1MvB1"], "Basic")
    doc.card("1MvBback", basic("back question", "back answer"))
    doc.write()
    report = run(col, lib, state)
    assert _type_of(col, "1MvBback") == "Basic" and report.warnings == []
    assert set(col.get_config(FOLLOWED_TOLD_KEY)) == {"cloze"}  # forgotten: told again on the next move
    _move(col, ["1MvB1", "1MvBback"], "Vocab")
    doc.card("1MvBagain", basic("again", "again"))
    doc.write()
    report = run(col, lib, state)
    assert _type_of(col, "1MvBagain") == "Vocab" and _followed(report) == [("Vocab", "Basic")]


def test_a_half_moved_collection_keeps_the_stock_type(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _copy_type(col, "Basic", "Vocab")
    _move(col, [f"1MvB{i}" for i in range(N - 1)], "Vocab")  # one left in "Basic"
    doc.card("1MvBnew", basic("new question", "new answer"))
    doc.write()
    report = run(col, lib, state)
    assert _type_of(col, "1MvBnew") == "Basic" and report.warnings == []


def test_a_few_notes_moved_to_try_a_type_out_redirect_nothing(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib, FOLLOW_FROM - 1)
    run(col, lib, state)
    _copy_type(col, "Basic", "Vocab")
    _move(col, [f"1MvB{i}" for i in range(FOLLOW_FROM - 1)], "Vocab")  # all of them, but only a few
    doc.card("1MvBnew", basic("new question", "new answer"))
    doc.write()
    report = run(col, lib, state)
    assert _type_of(col, "1MvBnew") == "Basic" and report.warnings == []


def test_a_type_without_the_front_on_a_question_is_not_followed(col, tmp_path):
    """Moved into a type whose question does not show Polar's front: a new
    note there would have no card, so new ones stay in "Basic"."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _copy_type(col, "Basic", "Vocab")
    model = col.models.by_name("Vocab")
    model["tmpls"][0]["qfmt"] = "{{Mnemonic}}"
    col.models.update_dict(model)
    _move(col, [f"1MvB{i}" for i in range(N)], "Vocab")
    doc.card("1MvBnew", basic("new question", "new answer"))
    doc.write()
    report = run(col, lib, state)
    assert _type_of(col, "1MvBnew") == "Basic" and report.warnings == []


def test_the_sync_undone_is_told_again(col, tmp_path):
    """Edit ▸ Undo of the sync that first followed the moved notes: its new
    note and what it remembered of the telling go; the next sync tells again."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib)
    run(col, lib, state)
    _copy_type(col, "Basic", "Vocab")
    _move(col, [f"1MvB{i}" for i in range(N)], "Vocab")
    doc.card("1MvBnew", basic("new question", "new answer"))
    doc.write()
    assert _followed(run(col, lib, state)) == [("Vocab", "Basic")]
    col.undo()
    assert col.get_config(FOLLOWED_TOLD_KEY, None) in (None, {})
    report = run(col, lib, state)
    assert _type_of(col, "1MvBnew") == "Vocab" and _followed(report) == [("Vocab", "Basic")]


# -- a note whose kind the person changed (Cloze -> Basic, Basic -> Cloze) -----------------------


def _retyped(report: Any) -> List[Any]:
    return [w for w in report.warnings if w["code"] == "kind_changed_kept"]


def test_a_cloze_note_changed_to_basic_gets_no_cloze_braces_in_its_front_and_the_report_says_so(col, tmp_path):
    """Cloze -> Basic by Change Note Type ("Text" into "Front"), then Polar
    the person makes "Front" a question and Polar edits the cloze: before,
    Polar's text went into "Front" with its ``{{c1::`` braces (the person's
    question gone, the braces shown on it), without a word. Now the front
    stays as the person has it and one row names the note; the answer and
    the context go on being updated; the next sync is quiet."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib, 1)
    run(col, lib, state)
    _study(col)
    studied = StudyData.of(col)
    _move(col, ["1MvZ0"], "Basic")
    mine = note_of(col, "1MvZ0")
    assert mine["Front"] == "a {{c1::cloze}} 0"  # (Anki's Change Note Type moves the braces along)
    mine["Front"] = "a ___ 0"  # the person makes it a question
    col.update_note(mine)
    _, raw = doc.find_card("1MvZ0")
    raw["fields"] = cloze("a {{c1::cloze}} 0, edited in Polar")
    doc.write()
    report = run(col, lib, state)

    note = note_of(col, "1MvZ0")
    assert note.note_type()["name"] == "Basic"
    assert note["Front"] == "a ___ 0"  # no "{{c1::" written over it
    rows = _retyped(report)
    assert [(r["notetype"], r["front"], r["cloze"]) for r in rows] == [("Basic", "a {{c1::cloze}} 0, edited in Polar",
                                                                        True)]
    assert len(report.warnings) == 1 and report.conflicts == [], report.warnings
    assert StudyData.of(col).revlog == studied.revlog
    again = run(col, lib, state)
    assert not again.changed and again.warnings == []
    assert integrity_problems(col) == []

    # Changed back to "Cloze": Polar's next change is written again (theirs
    # and Polar's both changed: the conflict rule, Polar's by default).
    _move(col, ["1MvZ0"], "Cloze")
    raw["fields"] = cloze("a {{c1::cloze}} 0, edited again")
    doc.write()
    report = run(col, lib, state)
    assert note_of(col, "1MvZ0")["Text"] == "a {{c1::cloze}} 0, edited again" and _retyped(report) == []
    assert StudyData.of(col).revlog == studied.revlog


def test_a_basic_note_changed_to_cloze_keeps_the_deletions_the_person_made(col, tmp_path):
    """Basic -> Cloze, the person makes a deletion in "Text"; Polar edits the
    card's front: before, Polar's text (no deletion) replaced theirs (the
    card then empty). Now "Text" stays theirs, one row names the note."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib, 1)
    run(col, lib, state)
    _move(col, ["1MvB0"], "Cloze")
    note = note_of(col, "1MvB0")
    note["Text"] = "{{c1::question}} 0"
    col.update_note(note)
    _, raw = doc.find_card("1MvB0")
    raw["fields"] = basic("question 0, edited in Polar", "answer 0")
    doc.write()
    report = run(col, lib, state)

    note = note_of(col, "1MvB0")
    assert note["Text"] == "{{c1::question}} 0" and len(note.cards()) == 1
    assert [(r["notetype"], r["cloze"]) for r in _retyped(report)] == [("Cloze", False)]
    assert report.conflicts == []
    again = run(col, lib, state)
    assert not again.changed and again.warnings == []


def test_a_preview_says_the_front_it_would_not_write_and_the_sync_then_says_it_too(col, tmp_path):
    """Preview (dry run) plans as the sync does: the row is in it, and the
    sync after it (nothing remembered by the preview) says it as well."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _library(lib, 1)
    run(col, lib, state)
    _move(col, ["1MvZ0"], "Basic")
    _, raw = doc.find_card("1MvZ0")
    raw["fields"] = cloze("a {{c1::cloze}} 0, edited in Polar")
    doc.write()
    assert [r["notetype"] for r in _retyped(run(col, lib, state, dry_run=True))] == ["Basic"]
    assert [r["notetype"] for r in _retyped(run(col, lib, state))] == ["Basic"]
    assert note_of(col, "1MvZ0")["Front"] == "a {{c1::cloze}} 0"  # as Change Note Type left it
