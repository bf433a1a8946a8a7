"""A user's colours from Polar's editor reach Anki (render version 5), and
notes synced before, without them, follow once: rewritten where the user did
not edit them, left as the user edited them otherwise (no conflict, no card
moved or reset); a later Polar edit is a conflict as ever."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

import addon.render.html as html
import addon.sync.read as read
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import note_of, run

# As Summernote writes them: execCommand's foreColor (both ways), backColor,
# and bold as a style (pasted).
RED_FRONT = '<p>The <span style="color: rgb(255, 0, 0);">red</span> word</p>'
BLUE_BACK = '<p><font color="#0000FF">blue</font> and <span style="font-weight: bold;">bold</span></p>'
MARKED = '<p>Capital of France: {{c1::<span style="background-color: rgb(255, 255, 0);">Paris</span>}}</p>'


def coloured_doc(root: Path) -> Doc:
    doc = Doc(root, "1ColourDoc00000000000000", "Colours")
    doc.text_highlight("1HlColour1", "a highlight", page=1)
    doc.card("1ColBasic1", basic(RED_FRONT, BLUE_BACK), ref="text-highlight:1HlColour1")
    doc.card("1ColBasic2", basic(RED_FRONT + "<p>second</p>", "plain back"), ref="text-highlight:1HlColour1")
    doc.card("1ColCloze1", cloze(MARKED), "CLOZE", ref="text-highlight:1HlColour1")
    return doc


def scheduling(col: Any) -> Dict[int, Tuple[Any, ...]]:
    rows = col.db.all("SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, left FROM cards")
    return {r[0]: tuple(r[1:]) for r in rows}


def as_version_4(monkeypatch: pytest.MonkeyPatch) -> None:
    """The sanitiser as render version 4 had it: no style, no <font> kept."""
    monkeypatch.setattr(read, "RENDER_VERSION", "4")
    monkeypatch.setattr(html, "kept_style", lambda name, attrs: {})
    monkeypatch.setattr(html, "_TAG_ACTIONS", {})


def test_colours_reach_the_card(col, tmp_path) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    coloured_doc(library).write()
    report = run(col, library, state)
    assert report.created == 3 and report.errors == []
    note = note_of(col, "1ColBasic1")
    assert note["Front"] == '<p>The <span style="color:#ff0000">red</span> word</p>'
    assert note["Back"].startswith('<p><font color="#0000ff" style="color:#0000ff;'
                                   'color:color-mix(in srgb,#0000ff 48%,CanvasText);color:light-dark(#0000ff,#8585ff)">'
                                   'blue</font> and <span style="font-weight:bold">bold</span></p>')
    card = note.cards()[0]
    assert 'style="color:#ff0000"' in card.question()
    assert "light-dark(#0000ff,#8585ff)" in card.answer()
    cloze_note = note_of(col, "1ColCloze1")
    assert "background-color:light-dark(#ffff00,#797900)" in cloze_note["Text"]
    assert "background-color:#ffff00" in cloze_note.cards()[0].answer()


@pytest.mark.parametrize("policy", ["polar_wins", "anki_wins"])
def test_notes_synced_without_colours_follow_once_and_keep_anki_edits(col, tmp_path, monkeypatch,
                                                                       policy: str) -> None:
    library, state = tmp_path / "polar", tmp_path / "state.sqlite"
    doc = coloured_doc(library)
    doc.write()
    as_version_4(monkeypatch)
    run(col, library, state, conflict_policy=policy)
    assert note_of(col, "1ColBasic1")["Front"] == "<p>The <span>red</span> word</p>"

    # The user studies the cards and edits the first note's front in Anki.
    col.decks.select(1)
    for _ in range(3):
        card = col.sched.getCard()
        assert card is not None
        col.sched.answerCard(card, 3)
    edited = note_of(col, "1ColBasic1")
    edited["Front"] = "<p>The <b>red</b> word, my way</p>"
    col.update_note(edited)
    before = scheduling(col)

    # The upgrade: every document is read again; colours where nobody edited.
    monkeypatch.undo()
    report = run(col, library, state, conflict_policy=policy)
    assert report.conflicts == [] and report.errors == [] and report.created == 0
    assert report.updated == 3  # the edited note too: its back has colours
    assert scheduling(col) == before  # nothing moved, reset or reordered
    mine = note_of(col, "1ColBasic1")
    assert mine["Front"] == "<p>The <b>red</b> word, my way</p>"  # the Anki edit stays
    assert '<font color="#0000ff"' in mine["Back"]  # its other field follows
    assert note_of(col, "1ColBasic2")["Front"].startswith('<p>The <span style="color:#ff0000">red</span>')
    assert "background-color:#ffff00" in note_of(col, "1ColCloze1")["Text"]
    assert run(col, library, state, conflict_policy=policy).updated == 0  # once

    # A real edit in Polar afterwards is a conflict, as ever.
    doc.page(1)["flashcards"]["1ColBasic1"]["fields"] = basic(RED_FRONT.replace("word", "term"), BLUE_BACK)
    doc.write()
    report = run(col, library, state, conflict_policy=policy)
    winner = "Polar" if policy == "polar_wins" else "Anki"
    assert [c["message"] for c in report.conflicts] == [
        f"field 'Front' changed in Polar and in Anki; {winner} version kept"]
    front = note_of(col, "1ColBasic1")["Front"]
    assert front == ('<p>The <span style="color:#ff0000">red</span> term</p>' if policy == "polar_wins"
                     else "<p>The <b>red</b> word, my way</p>")
