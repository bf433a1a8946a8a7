"""A background sync must never disturb what the person is doing (real
Anki, see conftest.py): typing in the Add window while the watcher writes a
big change, ...

Sorted after test_in_anki.py: the startup sync has happened.
"""

from __future__ import annotations

import shutil
import time
from typing import Any, Dict, Iterator, List

import pytest

from tests.gui.test_in_anki_background import no_errors
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

# Enough cards that Polar's edit of all their answers takes the writing well
# over Anki's 0.6 s before it shows its "Processing…" window (1.5-2 s here;
# 3,000 took 0.6 s).
BIG = 8000
BIG_DOC = "1GuiBeside3BigDoc0001"


def big_card(n: int) -> str:
    return f"{BIG_DOC[:6]}{n:05d}"


@pytest.fixture(scope="module")
def big_doc(anki: Any) -> Iterator[Doc]:
    """A synced document of BIG cards; afterwards its folder and notes are
    removed (the later test files stay fast)."""
    anki.settle()
    doc = Doc(anki.library, BIG_DOC, title="A long book")
    for n in range(BIG):
        doc.card(big_card(n), basic(f"<p>Question {n}</p>", f"<p>Answer {n}</p>"))
    before = anki.controller.runner.finished_count
    there = set(anki.mw.col.find_notes(""))
    doc.write(atomic=True)
    anki.wait_synced(before, 300)
    ours = set(anki.mw.col.find_notes("")) - there
    assert len(ours) == BIG
    yield doc
    anki.settle()
    before = anki.controller.runner.finished_count
    shutil.rmtree(doc.path.parent)
    anki.wait_synced(before, 300)
    anki.mw.col.remove_notes(list(ours))
    anki.settle()


def polar_revises_every_answer(doc: Doc, words: str) -> None:
    for n in range(BIG):
        doc.find_card(big_card(n))[1]["fields"]["back"]["HTML"] = f"<p>Answer {n}, {words}</p>"


def open_add_window(anki: Any) -> Any:
    import aqt

    anki.mw.activateWindow()
    add = aqt.dialogs.open("AddCards", anki.mw)
    editor = add.editor
    anki.anki.wait_until(lambda: editor.note is not None and editor.web is not None, 30, "the Add window")
    add.activateWindow()
    editor.web.setFocus()
    editor.web.eval('require("anki/ui").loaded.then(() => focusField(0));')
    anki.anki.wait_for_page(lambda: editor.currentField == 0, 30, "the Front field to take the focus")
    return add


def test_typing_in_the_add_window_during_a_long_background_write_loses_nothing(anki, big_doc, qtbot, capfd):
    """A person types into the Add window, one key every 40 ms, to wherever
    the keyboard's focus is, while the watcher writes Polar's new answers
    of 8,000 cards.
    Before: Anki's modal "Processing…" window came up 0.6 s into the
    writing, took the focus, and the keys typed then went to it (lost)."""
    from aqt.qt import QApplication, QTimer, sip

    anki.settle()
    runner = anki.controller.runner
    add = open_add_window(anki)
    editor = add.editor
    seen: Dict[str, Any] = {"typed": 0, "to_add": 0, "typed_while_writing": 0, "progress_shown": False,
                            "other_window": [], "write_began": None, "write_ended": None}

    def tick() -> None:
        if runner._writing and seen["write_began"] is None:
            seen["write_began"] = time.monotonic()
        if seen["write_began"] is not None and not runner._writing and seen["write_ended"] is None:
            seen["write_ended"] = time.monotonic()
        win = getattr(anki.mw.progress, "_win", None)
        if win is not None and win.isVisible():
            seen["progress_shown"] = True
        active = QApplication.activeWindow()
        if active is not add:
            seen["other_window"].append(type(active).__name__)
        target = QApplication.focusWidget() or active
        if target is not None:
            qtbot.keyClick(target, "x")
            seen["typed"] += 1
            seen["typed_while_writing"] += bool(runner._writing)
            if target is editor.web.focusProxy():
                seen["to_add"] += 1

    doc = big_doc
    polar_revises_every_answer(doc, "revised")
    timer = QTimer()
    timer.setInterval(40)
    timer.timeout.connect(tick)
    before = runner.finished_count
    try:
        timer.start()
        doc.write(atomic=True)
        outcome = anki.wait_synced(before, 300)
        anki.anki.process(0.5)
        timer.stop()
        assert outcome.request.trigger == "watch" and not outcome.failed and outcome.report.updated == BIG
        took = seen["write_ended"] - seen["write_began"]
        print(f"background write: {took:.2f} s; keys typed {seen['typed']} ({seen['typed_while_writing']} while "
              f"it wrote), to the Add window {seen['to_add']}")
        # Keys were typed while the sync wrote (else the story proves nothing):
        # a window frozen by the write would have let none through.
        assert seen["typed_while_writing"] >= 5, seen
        assert not seen["progress_shown"]
        assert not seen["other_window"], seen["other_window"][:5]
        assert seen["to_add"] == seen["typed"]
        # Every key reached the field.
        anki.anki.wait_for_page(lambda: editor.note.fields[0].count("x") == seen["typed"], 15,
                                "the keys to reach the note")
    finally:
        timer.stop()
        no_errors(capfd)
        add.ifCanClose = lambda on_ok: on_ok()  # (no "discard?" question for the typed x's)
        add.close()
        anki.anki.wait_until(lambda: sip.isdeleted(add) or not add.isVisible(), 15, "the Add window to close")


def test_a_card_answered_while_the_sync_sets_it_aside_is_answered_then_suspended(anki, big_doc, capfd):
    """The reviewer shows a card's answer; Polar deletes that card while it
    saves a big change, and the person rates the card while the sync
    writes. Before: Anki's answer, queued behind the sync, set the card's
    queue from the states it showed: the suspension was undone, the card
    studied on, tagged deleted. Now the note the reviewer shows is not set
    aside while shown: the answer lands, then (the card let go) the
    document syncs again and suspends it; its review is kept."""
    from aqt.qt import QApplication, QTimer

    from tests.gui.test_in_anki_reviewer import SUSPENDED, _nid, _wait_js

    mw = anki.mw
    col = mw.col
    runner = anki.controller.runner
    anki.settle()
    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    doc = Doc(anki.library, "1GuiBeside3Answer0001", title="Answered", tags=["deck:Beside3Answer"])
    doc.card("1GuiB3a1", basic("<p>Rated front?</p>", "<p>rated back</p>"))
    doc.card("1GuiB3a2", basic("<p>Other front?</p>", "<p>other back</p>"))
    before = runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 2
    anki.settle()
    anki.wait_progress_closed()
    anki.anki.process(1.0)
    answered: Dict[str, Any] = {}
    try:
        col.decks.select(col.decks.id("Beside3Answer"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()
        shown = mw.reviewer.card
        card_id = "1GuiB3a1" if shown.nid == _nid(anki, "1GuiB3a1") else "1GuiB3a2"
        mw.reviewer._showAnswer()
        assert mw.reviewer.state == "answer"

        def rate_while_writing() -> None:
            if runner._writing and not answered:
                answered["at"] = True
                mw.reviewer._answerCard(3)  # "Good", as the key 3 does

        timer = QTimer()
        timer.setInterval(20)
        timer.timeout.connect(rate_while_writing)
        timer.start()
        count = runner.finished_count
        doc.delete_card(card_id)
        polar_revises_every_answer(big_doc, "again")
        doc.write()
        big_doc.write(atomic=True)
        outcome = anki.wait_synced(count, 300)
        timer.stop()
        assert answered, "the card was not rated while the sync wrote"
        anki.settle()
        # The answer landed, the reviewer went on; then the card was set aside.
        anki.anki.wait_until(lambda: mw.reviewer.card is None or mw.reviewer.card.id != shown.id,
                             what="the next card")
        anki.anki.wait_until(lambda: col.get_card(shown.id).queue == SUSPENDED, 30,
                             "the deleted card to be suspended")
        anki.settle()
        card = col.get_card(shown.id)
        assert card.reps == shown.reps + 1
        assert col.db.scalar("SELECT count() FROM revlog WHERE cid = ?", shown.id) == 1
        assert col.get_note(shown.nid).has_tag("polar::deleted")
        assert outcome.report.updated == BIG
        no_errors(capfd)
    finally:
        mw.moveToState("deckBrowser")
        anki.settle()


def test_the_reviewer_redraws_polars_edit_of_its_card_while_the_browser_edits_another(anki, qtbot, capfd):
    """The reviewer shows a card's answer; the Browser is open on another
    note of the document, typed into. Polar edits both: the Browser's note
    waits (left alone), the reviewer's is written. Before: the sync left
    "note text" out of its changes (so that the Browser's editor keeps its
    caret), and the reviewer, told nothing, kept the old text until the next
    card. Now it redraws it, on the answer side (when its window is in
    front, as Anki does)."""
    import aqt
    from aqt.qt import QApplication

    from tests.gui.test_in_anki_background import type_into
    from tests.gui.test_in_anki_reviewer import _nid, _wait_js, _wait_shown

    mw = anki.mw
    col = mw.col
    runner = anki.controller.runner
    anki.settle()
    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    doc = Doc(anki.library, "1GuiBeside3Redraw0001", title="Redraw", tags=["deck:Beside3Redraw"])
    doc.card("1GuiB3r1", basic("<p>First front?</p>", "<p>first back</p>"))
    doc.card("1GuiB3r2", basic("<p>Second front?</p>", "<p>second back</p>"))
    before = runner.finished_count
    doc.write()
    assert anki.wait_synced(before).report.created == 2
    anki.settle()
    anki.wait_progress_closed()
    anki.anki.process(1.0)
    browser = None
    try:
        col.decks.select(col.decks.id("Beside3Redraw"))
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()
        shown = mw.reviewer.card
        reviewed, edited = ("1GuiB3r1", "1GuiB3r2") if shown.nid == _nid(anki, "1GuiB3r1") else ("1GuiB3r2", "1GuiB3r1")
        mw.reviewer._showAnswer()
        _wait_shown(anki, " back")

        other = _nid(anki, edited)
        browser = aqt.dialogs.open("Browser", mw, search=(f"nid:{other}",))
        anki.anki.wait_until(lambda: browser.editor is not None and browser.editor.note is not None
                             and browser.editor.note.id == other, 30, "the Browser's editor")
        type_into(anki, qtbot, browser.editor, 1, "mine")
        # Back to the reviewer (it redraws for the typing now), the Browser open.
        mw.activateWindow()
        anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
        anki.anki.process(0.5)
        assert mw.reviewer._refresh_needed is None

        count = runner.finished_count
        for cid in (reviewed, edited):
            doc.find_card(cid)[1]["fields"]["front"]["HTML"] = f"<p>{cid} front, edited in Polar?</p>"
        doc.write()
        outcome = anki.wait_synced(count)
        assert outcome.report.updated == 1 and outcome.report.deferred == {other: "1GuiBeside3Redraw0001"}
        anki.settle()
        assert f"{reviewed} front, edited in Polar?" in _wait_shown(anki, "edited in Polar")
        assert (mw.state, mw.reviewer.state, mw.reviewer.card.id) == ("review", "answer", shown.id)
        assert "mine" in browser.editor.note["Back"]
        no_errors(capfd)
    finally:
        if browser is not None:
            browser.close()
        mw.moveToState("deckBrowser")
        # (The note the Browser held syncs once let go: not in the next test.)
        anki.anki.wait_until(lambda: not anki.controller.deferred, 30, "the held note to sync")
        anki.settle()


def test_the_browser_and_the_add_window_keep_what_the_person_chose_through_a_background_sync(anki, capfd):
    """The Browser open: a sort column chosen, a row selected below the
    fold, the table scrolled, a deck picked in the sidebar; the Add window
    open on the person's own deck and note type. Polar saves a new document
    (a new deck, a new tag, Basic and Cloze cards) and the watcher syncs.
    Everything stays as the person left it; the next Add window opens on
    their note type and deck too (Anki's add_notes records the sync's notes
    as if the person had added them: test_adding_defaults.py)."""
    import aqt
    from aqt.qt import QApplication

    from tests.polar_factory import cloze

    mw = anki.mw
    col = mw.col
    runner = anki.controller.runner
    anki.settle()
    reversed_type = col.models.by_name("Basic (and reversed card)")
    mine = col.decks.id("Beside3 Mine")
    for k in range(60):
        note = col.new_note(reversed_type)
        note["Front"], note["Back"] = f"mine {k:02d}", "hello"
        col.add_note(note, mine)
    col.decks.select(mine)
    mw.activateWindow()
    browser = aqt.dialogs.open("Browser", mw, search=('"deck:Beside3 Mine"',))
    add = None
    try:
        table = browser.table
        anki.anki.wait_until(lambda: table.len() >= 60, 30, "the Browser's rows")
        view = table._view
        view.sortByColumn(view.horizontalHeader().sortIndicatorSection(), view.horizontalHeader().sortIndicatorOrder())
        table.select_single_card(col.find_cards('"deck:Beside3 Mine" front:"mine 50"')[0])
        anki.anki.process(0.5)
        chosen = (list(table.get_selected_card_ids()), view.verticalScrollBar().value(),
                  view.horizontalHeader().sortIndicatorSection(), view.horizontalHeader().sortIndicatorOrder())
        assert chosen[1] > 0  # (scrolled: the row is below the fold)
        sidebar_current = browser.sidebar.currentIndex().data()

        add = aqt.dialogs.open("AddCards", mw)
        anki.anki.wait_until(lambda: add.editor.note is not None, 30, "the Add window")
        add.notetype_chooser.selected_notetype_id = reversed_type["id"]
        add.deck_chooser.selected_deck_id = mine
        anki.anki.process(0.5)

        doc = Doc(anki.library, "1GuiBeside3Choices0001", title="Choices", tags=["deck:Beside3 Polar", "newtag"])
        doc.card("1GuiB3c1", basic("<p>Polar front?</p>", "<p>polar back</p>"))
        doc.card("1GuiB3c2", cloze("{{c1::Polar}} cloze"), ctype="CLOZE")
        count = runner.finished_count
        doc.write()
        outcome = anki.wait_synced(count)
        assert outcome.report.created == 2 and not outcome.failed
        anki.settle()
        browser.activateWindow()
        anki.anki.wait_until(lambda: QApplication.activeWindow() is browser, what="the Browser in front")
        anki.anki.process(1.0)
        assert (list(table.get_selected_card_ids()), view.verticalScrollBar().value(),
                view.horizontalHeader().sortIndicatorSection(), view.horizontalHeader().sortIndicatorOrder()) == chosen
        assert browser.sidebar.currentIndex().data() == sidebar_current
        assert add.notetype_chooser.selected_notetype_id == reversed_type["id"]
        assert add.deck_chooser.selected_deck_id == mine
        assert col.decks.current()["id"] == mine
        defaults = col.defaults_for_adding(current_review_card=None)
        assert (defaults.notetype_id, defaults.deck_id) == (reversed_type["id"], mine)
        no_errors(capfd)
    finally:
        if add is not None:
            add.ifCanClose = lambda on_ok: on_ok()
            add.close()
        browser.close()
        anki.settle()


def test_ctrl_z_pressed_while_a_background_sync_writes_undoes_nothing_it_did_not_name(anki, big_doc, capfd):
    """The person's last step (a note edited) is some seconds old; the
    watcher writes a big change, and the person presses Ctrl+Z (Edit ▸ Undo,
    named after their edit) meanwhile. Before: Anki's Undo op was queued
    behind the sync's, and undid the sync. Now Undo and Redo are off while
    the sync writes (in every window that has them, the Browser too); after
    it, Edit ▸ Undo names the sync."""
    import aqt
    from aqt.operations.note import update_note
    from aqt.qt import QTimer

    mw = anki.mw
    col = mw.col
    runner = anki.controller.runner
    anki.settle()
    mw.activateWindow()
    note = col.get_note(col.find_notes("")[0])
    note["Front"] = note["Front"] + " (mine)"
    done = []
    update_note(parent=mw, note=note).success(lambda _: done.append(True)).run_in_background()
    anki.anki.wait_until(lambda: bool(done), what="the person's edit")
    mine = col.undo_status().undo
    assert mine and mine != "Sync from Polar"
    browser = aqt.dialogs.open("Browser", mw, search=("nid:1",))  # (no note in its editor)
    mw.activateWindow()
    pressed: Dict[str, Any] = {}

    def press_ctrl_z() -> None:
        if runner._writing and not pressed:
            pressed["enabled"] = (mw.form.actionUndo.isEnabled(), browser.form.actionUndo.isEnabled())
            mw.form.actionUndo.trigger()  # (a disabled action does nothing, as its shortcut)

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(press_ctrl_z)
    try:
        timer.start()
        polar_revises_every_answer(big_doc, "for undo")
        count = runner.finished_count
        big_doc.write(atomic=True)
        outcome = anki.wait_synced(count, 300)
        timer.stop()
        anki.anki.process(1.0)
        assert pressed, "Ctrl+Z was not pressed while the sync wrote"
        assert outcome.report.updated == BIG and not outcome.failed
        assert pressed["enabled"] == (False, False)
        assert "(mine)" in col.get_note(note.id)["Front"]
        assert "for undo" in col.get_note(col.find_notes('"Back:<p>Answer 7, *"')[0])["Back"]
        assert col.undo_status().undo == "Sync from Polar"
        assert mw.form.actionUndo.isEnabled() and "Sync from Polar" in mw.form.actionUndo.text()
        assert browser.form.actionUndo.isEnabled() and "Sync from Polar" in browser.form.actionUndo.text()
        no_errors(capfd)
    finally:
        timer.stop()
        browser.close()
        anki.settle()


def test_a_card_studied_in_a_filtered_deck_that_the_sync_sends_home_is_answered_without_an_error(anki, capfd,
                                                                                              monkeypatch):
    """The person studies a filtered deck built from a document's cards, the
    answer of one shown; in Polar, the document goes to another deck: the
    watcher's sync sends its cards home, out of the filtered deck, which
    changes the shown card's scheduling state. The reviewer must not keep
    the states it showed (Anki refuses an answer built on them: "card was
    modified"), so here it fetches its card again, as Anki does; the
    answer then lands with no error."""
    import aqt.webview
    from aqt.qt import QApplication

    from tests.gui.test_in_anki_reviewer import _wait_js, _wait_shown

    alerts: List[str] = []
    monkeypatch.setattr(aqt.webview.AnkiWebPage, "javaScriptAlert", lambda _page, _url, text: alerts.append(text))
    mw = anki.mw
    col = mw.col
    runner = anki.controller.runner
    anki.settle()
    mw.activateWindow()
    anki.anki.wait_until(lambda: QApplication.activeWindow() is mw, what="Anki's window active")
    doc = Doc(anki.library, "1GuiBeside3Filter0001", title="Filtered", tags=["deck:Beside3Home"])
    doc.card("1GuiB3f1", basic("<p>Filter one?</p>", "<p>one back</p>"))
    doc.card("1GuiB3f2", basic("<p>Filter two?</p>", "<p>two back</p>"))
    stays = Doc(anki.library, "1GuiBeside3Filter0002", title="Stays", tags=["deck:Beside3Stay"])
    stays.card("1GuiB3f3", basic("<p>Filter three?</p>", "<p>three back</p>"))
    stays.write()
    doc.write()
    anki.anki.wait_until(lambda: len(col.find_cards('"deck:Beside3Home" OR "deck:Beside3Stay"')) == 3,
                         what="the three cards synced")
    anki.settle()
    session = col.decks.new_filtered("Beside3 Session")
    deck = col.sched.get_or_create_filtered_deck(session)
    deck.config.search_terms[0].search = '"deck:Beside3Home" OR "deck:Beside3Stay"'
    deck.config.search_terms[0].limit = 100
    deck.config.reschedule = True
    col.sched.add_or_update_filtered_deck(deck)
    anki.anki.process(1.0)
    try:
        col.decks.select(session)
        mw.moveToState("review")
        anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
        _wait_js(anki, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
        mw.reviewer._showQuestion()
        shown = mw.reviewer.card
        assert shown.odid
        if col.get_note(shown.nid)["Front"].count("three"):  # (the one that stays: answered first)
            mw.reviewer._showAnswer()
            mw.reviewer._answerCard(3)
            anki.anki.wait_until(lambda: mw.reviewer.card is not None and mw.reviewer.card.id != shown.id
                                 and mw.reviewer.state == "question", what="the next card")
            shown = mw.reviewer.card
        mw.reviewer._showAnswer()
        anki.anki.process(0.5)
        modal = QApplication.activeModalWidget()
        if modal is not None and "Unexpected API access" in getattr(modal, "text", lambda: "")():
            # Anki 23.10's reviewer, entering the filtered deck after this
            # session's Browser and Add windows, shows this box before any
            # sync runs (seen only there; alone the story passes on 23.10).
            modal.close()
            pytest.skip("Anki's own 'Unexpected API access' box before the sync (23.10 in a long session)")
        assert modal is None, ("before the sync", modal)

        count = runner.finished_count
        doc.untag("deck:Beside3Home").tag("deck:Beside3Elsewhere")
        doc.write()
        outcome = anki.wait_synced(count)
        assert outcome.report.moved == 2 and not outcome.failed
        anki.settle()
        anki.anki.process(0.5)
        assert not col.get_card(shown.id).odid  # (sent home)
        assert QApplication.activeModalWidget() is None
        # Its scheduling changed: the reviewer fetched its card again (the
        # one left in the session; the answer of the one shown would fail).
        anki.anki.wait_until(lambda: mw.reviewer.state == "question" and mw.reviewer.card is not None
                             and mw.reviewer.card.id != shown.id, what="the card fetched again")
        _wait_shown(anki, "?")
        card = mw.reviewer.card
        reps = col.get_card(card.id).reps
        mw.reviewer._showAnswer()
        anki.anki.wait_until(lambda: mw.reviewer.state == "answer", what="the answer")
        mw.reviewer._answerCard(3)
        anki.anki.wait_until(lambda: col.get_card(card.id).reps == reps + 1, what="the answer to land")
        anki.anki.process(0.5)
        assert not alerts, alerts
        no_errors(capfd)
    finally:
        mw.moveToState("deckBrowser")
        anki.settle()
        col.decks.remove([session])
