"""The card a person is looking at in Anki's reviewer while a background
sync (the watcher) changes its note: Polar edits it, deletes it. Real Anki
(headless, the add-on installed from dist/). See docs/dev-notes/cards.md
("The studied card, round 2")."""

from __future__ import annotations

from typing import Any

import pytest

from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

DOC = "1GuiReviewerDoc000001"
SUSPENDED = -1


def _nid(anki: Any, card_id: str) -> int:
    return int(anki.mw.col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid_for(card_id)) or 0)


def _shown(anki: Any) -> str:
    """The text of the reviewer's card as drawn (its #qa), "" before it is."""
    got: list = []
    anki.mw.reviewer.web.evalWithCallback(
        "(function(){var q=document.getElementById('qa');return q?q.innerText:'';})()", got.append)
    anki.anki.wait_until(lambda: bool(got), what="the reviewer's page text")
    return str(got[0] or "")


def _js(anki: Any, script: str) -> Any:
    got: list = []
    anki.mw.reviewer.web.evalWithCallback(script, got.append)
    anki.anki.wait_until(lambda: bool(got), what="the reviewer's page")
    return got[0]


def _wait_js(anki: Any, script: str) -> None:
    for _ in range(200):
        if _js(anki, script):
            return
        anki.anki.process(0.1)
    page = _js(anki, "document.body.innerText.slice(0, 80)")
    raise TimeoutError(f"{script}; the page shows {page!r}")


def _wait_shown(anki: Any, words: str) -> str:
    seen: list = [""]

    def has() -> bool:
        seen[0] = _shown(anki)
        return words in seen[0]

    anki.anki.wait_until(has, what=f"the reviewer to show {words!r}")
    return seen[0]


def test_the_card_in_the_reviewer_when_a_background_sync_edits_and_deletes_it(anki):
    """The answer of a card is shown; Polar saves: an edit of that card (a
    new id) is drawn in place, the answer still shown; so is an edit plus a
    new card (the study queues change: Anki's reviewer would show the
    question again, or another card); the card deleted in Polar waits
    while shown, and once answered is suspended (the reviewer goes on to
    the next card)."""
    mw = anki.mw
    anki.settle()
    # A person looking at the reviewer has Anki's window active: Anki
    # redraws the card after a change only then (else when it gets the
    # focus back). An earlier test's window, closed, can leave none active;
    # made active here, before the reviewer, so the refresh it brings is done.
    from aqt.qt import QApplication

    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    col = mw.col
    doc = Doc(anki.library, DOC, title="Reviewer", tags=["deck:ReviewerStudy"])
    doc.card("1GuiRv1", basic("<p>Shown front?</p>", "<p>shown back</p>"))
    doc.card("1GuiRv2", basic("<p>Next front?</p>", "<p>next back</p>"))
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 2
    anki.settle()
    anki.wait_progress_closed()
    anki.anki.process(1.0)  # Anki's own redraw after the sync, before the reviewer opens
    try:
        col.decks.select(col.decks.id("ReviewerStudy"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()  # (offscreen, the first one ran before the page's script)
        shown = mw.reviewer.card
        first, other = ("1GuiRv1", "Next") if shown.nid == _nid(anki, "1GuiRv1") else ("1GuiRv2", "Shown")
        mw.reviewer._showAnswer()
        assert mw.reviewer.state == "answer"
        _wait_shown(anki, " back")

        count = anki.controller.runner.finished_count
        doc.edit_card(first, "1GuiRv1e", basic("<p>Front, edited?</p>", "<p>back, edited</p>"))
        doc.write()
        assert anki.wait_synced(count).report.rekeyed == 1
        anki.settle()
        assert "back, edited" in _wait_shown(anki, "Front, edited?")
        assert (mw.state, mw.reviewer.state, mw.reviewer.card.id) == ("review", "answer", shown.id)

        count = anki.controller.runner.finished_count
        doc.find_card("1GuiRv1e")[1]["fields"]["back"]["HTML"] = "<p>back, twice</p>"
        doc.card("1GuiRv3", basic("<p>Third front?</p>", "<p>third back</p>"))
        doc.write()
        outcome = anki.wait_synced(count)
        assert (outcome.report.created, outcome.report.updated) == (1, 1)
        anki.settle()
        # Drawn in place, the answer still shown: not the question again (Anki's
        # reviewer fetches its card anew on "study queues", which the sync's
        # writing leaves out while a card is shown: test_in_anki_beside3.py).
        assert "back, twice" in _wait_shown(anki, "Front, edited?")
        assert (mw.state, mw.reviewer.state, mw.reviewer.card.id) == ("review", "answer", shown.id)

        count = anki.controller.runner.finished_count
        doc.delete_card("1GuiRv1e")
        doc.write()
        # Not set aside while the reviewer shows it (an answer given while the
        # sync wrote would undo the suspension: test_in_anki_beside3.py).
        outcome = anki.wait_synced(count)
        assert outcome.report.orphaned == 0 and outcome.report.deferred == {shown.nid: DOC}
        anki.settle()
        assert col.get_card(shown.id).queue != SUSPENDED and mw.reviewer.card.id == shown.id
        # Answered, the card is let go: set aside, the reviewer on the next card.
        count = anki.controller.runner.finished_count
        mw.reviewer._showAnswer()
        mw.reviewer._answerCard(3)
        assert anki.wait_synced(count).report.orphaned == 1
        anki.settle()
        anki.anki.wait_until(lambda: mw.reviewer.card is not None and mw.reviewer.card.id != shown.id,
                             what="the next card")
        assert col.get_card(shown.id).queue == SUSPENDED
        assert col.get_card(shown.id).reps == shown.reps + 1
        assert mw.reviewer.state == "question"
        _wait_shown(anki, f"{other} front?")
    finally:
        mw.moveToState("deckBrowser")


def test_an_edit_made_from_the_reviewer_keeps_its_block_and_stays_through_the_next_sync(anki, qtbot):
    """A person studying sees a slip on the answer, presses Edit (the
    reviewer's "Edit current" window) and types into Back, where Anki's
    editor puts the caret: at the end, inside the context block. The saved
    field still holds the whole block; Polar then changes the highlight
    (the context): the next sync keeps what was typed, draws the new
    context, no conflict; the card drawn again shows both."""
    import aqt
    from aqt.qt import QApplication

    from addon.render.context import split_block
    from tests.gui.test_in_anki_background import type_into

    mw = anki.mw
    anki.settle()
    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    col = mw.col
    doc = Doc(anki.library, "1GuiReviewerEditDoc01", title="Edited in review", tags=["deck:ReviewerEdit"])
    doc.text_highlight("1GuiRvEdHl", "The leader orders every write.", page=4)
    doc.card("1GuiRvEd1", basic("<p>Who orders writes?</p>", "<p>the leader</p>"), ref="text-highlight:1GuiRvEdHl",
             page=4)
    before = anki.controller.runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 1
    anki.settle()
    anki.wait_progress_closed()
    anki.anki.process(1.0)
    nid = _nid(anki, "1GuiRvEd1")
    written = col.get_note(nid)["Back"]
    assert "The leader orders every write." in split_block(written)[1]
    try:
        col.decks.select(col.decks.id("ReviewerEdit"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()
        mw.reviewer._showAnswer()
        _wait_shown(anki, "the leader")

        mw.onEditCurrent()  # the reviewer's "Edit" button (E)
        window = aqt.dialogs._dialogs["EditCurrent"][1]
        anki.anki.wait_until(lambda: window is not None and window.editor.note is not None
                             and window.editor.note.id == nid, what="the note in Edit")
        type_into(anki, qtbot, window.editor, 1, " mine")
        window.close()  # saves, as its Close button does
        anki.anki.wait_until(lambda: aqt.dialogs._dialogs["EditCurrent"][1] is None, what="Edit closed")
        typed = col.get_note(nid)["Back"]
        assert typed != written and typed.replace(" mine", "", 1) == written  # the block byte for byte, " mine" in it

        mw.activateWindow()  # back in the reviewer: Anki redraws its card after a change only then
        anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
        count = anki.controller.runner.finished_count
        doc.text_highlight("1GuiRvEdHl", "The leader orders every write, then the followers.", page=4)
        doc.write()
        report = anki.wait_synced(count).report
        assert report.conflicts == [] and report.errors == []
        anki.settle()
        back = col.get_note(nid)["Back"]
        user, new_block = split_block(back)
        assert "mine" in user and "mine" not in new_block, back
        assert user.startswith("<p>the leader</p>") and "then the followers." in new_block, back
        shown = _wait_shown(anki, "then the followers.")  # drawn again by Anki, the answer still shown
        assert "mine" in shown and "the leader" in shown
        anki.trigger_and_wait("Sync from Polar")
        assert col.get_note(nid)["Back"] == back  # the next sync: nothing to change
    finally:
        mw.moveToState("deckBrowser")
