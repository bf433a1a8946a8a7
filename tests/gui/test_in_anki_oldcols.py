"""Old collections and Anki states, in real Anki (headless, the add-on
installed from dist/): a deck whose options let no new card come up, and a
collection still on Anki's v1 scheduler (its notice, the report's "Suspend
them").
See docs/dev-notes/beside.md, "Old collections and Anki states, a second
round".

With POLAR_SYNC_SHOTS=<folder>, the report is also saved there as PNGs at
400 px: English and German, light and night (to look at, not compared)."""

from __future__ import annotations

import html
import os
import sys
import time
from pathlib import Path
from typing import Any, List

import pytest

from addon.sync.deck_steps import TODAY_CHECK_FROM
from addon.sync.identity import guid_for
from tests.gui.in_anki import sync_from_polar
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


def _shoot(anki: Any, data: dict, name: str) -> None:
    """The report at 400 px, English and German, light and night, into
    $POLAR_SYNC_SHOTS (nothing without it)."""
    folder = os.environ.get("POLAR_SYNC_SHOTS")
    if not folder:
        return
    from aqt.theme import Theme

    mw, controller = anki.mw, anki.controller
    Path(folder).mkdir(parents=True, exist_ok=True)
    try:
        for lang in ("en_US", "de_DE"):
            mw.pm.setLang(lang)
            for theme_name, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
                mw.set_theme(theme)
                dialog = controller.show_report(data, "manual", time.time())
                dialog.resize(400, 640)
                anki.anki.process(0.5)
                dialog.grab().save(str(Path(folder) / f"{name}-{lang[:2]}-{theme_name}-400.png"))
                dialog.close()
                # The notice, in the words of the add-on as installed (its own modules).
                words = sys.modules[type(controller).__module__.replace(".setup", ".report_text")]
                notice = controller.show_notice("<b>" + html.escape(words.notice_text(data)) + "</b>", lambda: None)
                anki.anki.process(0.3)
                notice.grab().save(str(Path(folder) / f"{name}-notice-{lang[:2]}-{theme_name}.png"))
                notice.close()
    finally:
        mw.pm.setLang("en_US")
        mw.set_theme(Theme.LIGHT)


def test_new_notes_a_decks_options_hold_back_are_named_in_the_notice_and_the_report(anki, qtbot):
    """A deck whose preset allows 0 new cards a day: the sync makes the
    notes, and the notice and the report say why none comes up, and where;
    the preset is left as the user set it."""
    from aqt.qt import Qt

    anki.settle()  # the startup sync (or the last test's) is over
    anki.set_config(watch=False)
    col = anki.mw.col
    conf = col.decks.add_config_returning_id("None new")
    cfg = col.decks.get_config(conf)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    deck = col.decks.get(col.decks.id("Held back"))
    deck["conf"] = conf
    col.decks.save(deck)
    try:
        doc = Doc(anki.library, "1GuiOldcolsHeld000001", title="Held", tags=["deck:Held back"])
        for i in range(3):
            doc.card(f"1GuiOH{i}", basic(f"<p>Held {i}?</p>", "<p>yes</p>"))
        doc.write()
        outcome = sync_from_polar(anki)
        assert outcome.report.created == 3
        rows = [w for w in outcome.report.warnings if w["code"] == "new_cards_held"]
        assert [(r["deck"], r["count"], r["limited_by"]) for r in rows] == [("Held back", 3, "Held back")]
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible()
        if os.environ.get("POLAR_SYNC_SHOTS"):
            Path(os.environ["POLAR_SYNC_SHOTS"]).mkdir(parents=True, exist_ok=True)
            notice.grab().save(str(Path(os.environ["POLAR_SYNC_SHOTS"]) / "held-back-notice.png"))
        assert "new cards held back by a deck's daily limits" in html.unescape(notice.text())
        qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
        dialog = anki.controller.report_dialog
        assert dialog is not None and dialog.isVisible()
        assert ("3 new notes in “Held back” will not come up for study while the options of “Held back” allow 0 "
                "new cards a day: raise that limit to study them.") in dialog.browser.toPlainText()
        dialog.close()
        assert col.decks.get_config(conf)["new"]["perDay"] == 0  # never written
        assert col.decks.get(col.decks.id("Held back"))["conf"] == conf
        data = anki.controller.last_report[0]
        _shoot(anki, data, "held-back")
        # A sync that adds nothing there says nothing of it.
        assert not [w for w in sync_from_polar(anki).report.warnings if w["code"] == "new_cards_held"]
        # One more card there, synced at a start (or by the watcher): the report
        # says it, the notice not again this session (a user may have paused new
        # cards on purpose); a sync the user starts does.
        from aqt.qt import sip

        controller = anki.controller
        if controller.notice is not None and not sip.isdeleted(controller.notice):
            controller.notice.close()
        controller.notice = None
        doc.card("1GuiOH9", basic("<p>Held 9?</p>", "<p>yes</p>"))
        doc.write()
        before = controller.runner.finished_count
        controller.runner.request("startup")
        outcome = anki.wait_synced(before)
        assert [w["count"] for w in outcome.report.warnings if w["code"] == "new_cards_held"] == [1]
        notice = controller.notice
        assert notice is None or "held back" not in html.unescape(notice.text())
        doc.card("1GuiOH10", basic("<p>Held 10?</p>", "<p>yes</p>"))
        doc.write()
        sync_from_polar(anki)
        assert "held back" in html.unescape(controller.notice.text())
    finally:
        anki.set_config(watch=True)
        deck = col.decks.get(col.decks.id("Held back"))
        deck["conf"] = 1
        col.decks.save(deck)


def _close_next_box(anki: Any, seen: List[str], shot: str = "v1-suspend-box") -> None:
    """Accept the next modal box once it shows, noting its text."""
    from aqt.qt import QApplication, QMessageBox, QTimer

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            folder = os.environ.get("POLAR_SYNC_SHOTS")
            if folder:
                box.grab().save(str(Path(folder) / f"{shot}.png"))
            box.accept()
        else:
            QTimer.singleShot(50, look)

    QTimer.singleShot(50, look)


def test_v1_scheduler_is_told_once_a_session_and_suspend_them_leads_to_the_update(anki):
    """A collection on Anki's v1 scheduler with a card to move: the notice
    says it at the first sync; a startup or watch sync that finds the same
    wait says it no more (the report and the log still do), a sync the user
    starts does. The report's "Suspend them" shows the deck list, whose
    banner offers the update, not Anki's error box; once updated there, the
    notes are suspended without being asked again."""
    anki.settle()
    anki.set_config(watch=False)
    mw, controller = anki.mw, anki.controller
    col = mw.col
    try:
        doc = Doc(anki.library, "1GuiOldcolsV1Sched0001", title="Old scheduler", tags=["deck:V1 before"])
        doc.card("1GuiOV1", basic("<p>Moved?</p>", "<p>later</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 1
        col.set_config("schedVer", 1)
        col._load_scheduler()
        assert col.sched_ver() == 1
        doc.untag("deck:V1 before")
        doc.tag("deck:V1 after")
        doc.write()

        def waiting(outcome: Any) -> List[Any]:
            return [w for w in outcome.report.warnings if w["code"] == "old_scheduler"]

        outcome = sync_from_polar(anki)
        assert [w["count"] for w in waiting(outcome)] == [1]
        notice = controller.notice
        assert notice is not None and notice.isVisible()
        assert "some cards wait for Anki's scheduler update" in html.unescape(notice.text())
        notice.close()
        controller.notice = None

        before = controller.runner.finished_count
        controller.runner.request("startup")  # as at Anki's next start (or a watch sync)
        outcome = anki.wait_synced(before)
        assert [w["count"] for w in waiting(outcome)] == [1]  # still waiting: in the report and the log
        # The old code: the notice again, at every start and watch sync. (Other
        # tests' documents of this library may bring a notice of their own.)
        notice = controller.notice
        assert notice is None or "scheduler" not in html.unescape(notice.text())

        outcome = sync_from_polar(anki)  # asked for: told again
        assert waiting(outcome) and controller.notice is not None and controller.notice.isVisible()
        controller.notice.close()

        # "Suspend them" (the report's link for notes of Polar's old sync): Anki refuses
        # on v1; the add-on shows the deck list and says what to do.
        nid = col.db.scalar("SELECT id FROM notes WHERE guid = ?", guid_for("1GuiOV1"))
        seen: List[str] = []
        _close_next_box(anki, seen)
        controller.suspend_leftovers([nid])
        anki.anki.wait_until(lambda: bool(seen), what="the message box")
        assert seen[0].startswith("Anki suspends no card in this collection until its old scheduler is updated")
        assert seen[0].endswith("the notes you asked to suspend are suspended as soon as it is done.")
        assert mw.state == "deckBrowser"
        assert all(col.get_card(c).queue != -1 for c in col.get_note(nid).card_ids())
        # The deck list's "Update" (Anki's own: its box "Scheduler updated
        # successfully", then the list drawn again): the notes asked for are
        # suspended then. The old code: nothing, until the person found the
        # report again (Tools ▸ Polar Sync ▸ Show last report) and asked once more.
        from aqt.qt import QApplication, QMessageBox, QTimer

        done: List[str] = []

        def answer() -> None:  # (Anki may ask first whether a full upload is fine: yes)
            box = QApplication.activeModalWidget()
            if isinstance(box, QMessageBox):
                done.append(box.text())
                yes = box.button(QMessageBox.StandardButton.Yes)
                yes.click() if yes is not None else box.accept()

        answering = QTimer()
        answering.timeout.connect(answer)
        answering.start(50)
        try:
            mw.deckBrowser._confirm_upgrade()
        finally:
            answering.stop()
        assert done and col.sched_ver() != 1
        anki.anki.wait_until(lambda: all(col.get_card(c).queue == -1 for c in col.get_note(nid).card_ids()), 15,
                             "the notes asked for to be suspended after the update")
        assert not controller.to_suspend
    finally:
        if col.sched_ver() == 1:
            col.mod_schema(check=False)
            col.upgrade_to_v2_scheduler()
            col.set_v3_scheduler(True)
        anki.set_config(watch=True)


def _close_notice(controller: Any) -> None:
    from aqt.qt import sip

    if controller.notice is not None and not sip.isdeleted(controller.notice):
        controller.notice.close()
    controller.notice = None


def test_v2_scheduler_new_notes_are_said_to_wait_for_the_update(anki):
    """A collection on v2 with v3 off (23.10 and 26.x open it with a
    stand-in scheduler): the deck list counts a child deck's own new cards
    (its parent's 0 aside), but clicked, its study screen counts 0 and
    Study Now shows Anki's "upgraded" warning: no card comes up until the
    update. The sync says so of its new notes (the notice and the report),
    where it said nothing (the limits' check followed the deck list)."""
    mw, controller = anki.mw, anki.controller
    anki.settle()
    anki.set_config(watch=False)
    col = mw.col
    conf = col.decks.add_config_returning_id("V2 none new")
    cfg = col.decks.get_config(conf)
    cfg["new"]["perDay"] = 0
    col.decks.update_config(cfg)
    parent = col.decks.get(col.decks.id("V2 parent"))
    parent["conf"] = conf
    col.decks.save(parent)
    col.set_v3_scheduler(False)
    folder = os.environ.get("POLAR_SYNC_SHOTS")
    try:
        assert col.sched_ver() == 2 and not col.v3_scheduler()
        doc = Doc(anki.library, "1GuiOldcolsV2Sched0001", title="V2", tags=["deck:V2 parent/Child"])
        doc.card("1GuiOV2a", basic("<p>Two?</p>", "<p>two</p>")).card("1GuiOV2b", basic("<p>B?</p>", "<p>b</p>"))
        doc.write()
        _close_notice(controller)
        outcome = sync_from_polar(anki)
        assert outcome.report.created == 2
        rows = [w for w in outcome.report.warnings if w["code"] in ("new_cards_wait_update", "new_cards_held")]
        assert [(w["code"], w["count"]) for w in rows] == [("new_cards_wait_update", 2)]
        notice = controller.notice
        assert notice is not None and "some cards wait for Anki's scheduler update" in html.unescape(notice.text())
        _close_notice(controller)
        # What a person sees: the deck list counts the child's 2 new cards ...
        child = col.decks.id_for_name("V2 parent::Child")
        mw.moveToState("deckBrowser")
        anki.anki.process(0.5)
        assert col.sched.deck_due_tree(child).new_count == 2
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            mw.grab().save(str(Path(folder) / "v2-deck-list.png"))
        # ... clicked, its study screen counts none, and Study Now is refused until the update.
        col.decks.select(child)
        mw.moveToState("overview")
        anki.anki.process(0.5)
        assert col.sched.counts() == (0, 0, 0)
        if folder:
            mw.grab().save(str(Path(folder) / "v2-study-screen.png"))
        seen: List[str] = []
        _close_next_box(anki, seen, "v2-study-now-box")
        mw.moveToState("review")
        anki.anki.wait_until(lambda: bool(seen), what="Anki's warning")
        assert "upgraded" in seen[0] and mw.state == "deckBrowser"
        _shoot(anki, controller.last_report[0], "v2-wait")
    finally:
        col.set_v3_scheduler(True)
        anki.set_config(watch=True)
        parent = col.decks.get(col.decks.id("V2 parent"))
        parent["conf"] = 1
        col.decks.save(parent)


def test_a_limit_of_0_reviews_a_day_is_said_to_hold_new_cards_for_good(anki):
    """The v3 scheduler counts new cards against the review limit: a deck
    at 0 reviews a day holds them until that limit is raised, and the
    notice and the report say so (not "today")."""
    controller = anki.controller
    anki.settle()
    anki.set_config(watch=False)
    col = anki.mw.col
    conf = col.decks.add_config_returning_id("No reviews")
    cfg = col.decks.get_config(conf)
    cfg["rev"]["perDay"] = 0
    col.decks.update_config(cfg)
    deck = col.decks.get(col.decks.id("No reviews"))
    deck["conf"] = conf
    col.decks.save(deck)
    try:
        doc = Doc(anki.library, "1GuiOldcolsNoRev000001", title="No reviews", tags=["deck:No reviews"])
        doc.card("1GuiONR1", basic("<p>Held?</p>", "<p>yes</p>")).write()
        _close_notice(controller)
        outcome = sync_from_polar(anki)
        rows = [w for w in outcome.report.warnings if w["code"] == "new_cards_held"]
        assert [(w["deck"], w["limited_by"], w["limit"]) for w in rows] == [("No reviews", "No reviews", "reviews")]
        assert "held back" in html.unescape(controller.notice.text())
        _shoot(anki, controller.last_report[0], "no-reviews")
    finally:
        anki.set_config(watch=True)
        deck = col.decks.get(col.decks.id("No reviews"))
        deck["conf"] = 1
        col.decks.save(deck)


def test_new_notes_behind_the_users_backlog_are_the_reports_alone(anki):
    """200 new cards of the user's in a deck at 20 a day: the sync's notes
    come up in about 10 days, which the report says, the notice not
    (nothing is wrong: Anki's order is the user's)."""
    controller = anki.controller
    anki.settle()
    anki.set_config(watch=False)
    col = anki.mw.col
    _add_own_new_cards(col, "Backlog", "mine")
    try:
        doc = Doc(anki.library, "1GuiOldcolsBacklog0001", title="Backlog", tags=["deck:Backlog"])
        for i in range(TODAY_CHECK_FROM):  # a batch (a card or two more is not looked at)
            doc.card(f"1GuiOBL{i:03d}", basic(f"<p>Later {i}?</p>", "<p>yes</p>"))
        doc.write()
        _close_notice(controller)
        outcome = sync_from_polar(anki)
        rows = [w for w in outcome.report.warnings if w["code"] == "new_cards_queued"]
        assert [(w["deck"], w["ahead"], w["days"]) for w in rows] == [("Backlog", 200, 10)]
        notice = controller.notice
        assert notice is None or "Backlog" not in html.unescape(notice.text())
        _shoot(anki, controller.last_report[0], "queued")
    finally:
        anki.set_config(watch=True)
        col.remove_notes(col.find_notes('deck:Backlog -tag:polar'))


def _add_own_new_cards(col: Any, deck: str, words: str, count: int = 200) -> None:
    """The user's own new Basic cards in ``deck`` (made if missing), ahead of ours."""
    did = col.decks.id(deck)
    basic_type = col.models.by_name("Basic")
    for i in range(count):
        note = col.new_note(basic_type)
        note["Front"] = f"{words} {i}"
        col.add_note(note, did)


def _queued_rows(outcome: Any) -> List[Any]:
    return [w for w in outcome.report.warnings if w["code"] == "new_cards_queued"]


def test_the_backlog_studied_from_the_top_deck_is_said_in_the_preview_and_once(anki):
    """Polar's deck under "Shelf", beside the user's shared deck of 200 new
    cards (20 a day). What a person sees in Anki: studied from "Shelf",
    the first card is the shared deck's (and for 10 days); Polar's deck
    clicked, its own. The preview says it (the old code: not in a
    preview), the sync says it, the next sync of the same day that adds
    more does not (the old code: at each)."""
    controller, mw = anki.controller, anki.mw
    anki.settle()
    anki.set_config(watch=False)
    col = mw.col
    _add_own_new_cards(col, "Shelf::A shared deck", "shared")
    try:
        doc = Doc(anki.library, "1GuiOldcolsShelf00001", title="Shelf", tags=["deck:Shelf/Polar"])
        for i in range(TODAY_CHECK_FROM):
            doc.card(f"1GuiOSh{i:03d}", basic(f"<p>Shelved {i}?</p>", "<p>yes</p>"))
        doc.write()
        _close_notice(controller)
        outcome = anki.trigger_and_wait("Preview (dry run)…")
        assert outcome.report.dry_run
        rows = _queued_rows(outcome)
        assert [(w["deck"], w["top"], w["top_ahead"], w["top_days"]) for w in rows] == [
            ("Shelf::Polar", "Shelf", 200, 10)]
        dialog = controller.report_dialog
        assert ("20 new notes in “Shelf::Polar”, studied from “Shelf”, come after 200 new cards of the decks in "
                "“Shelf”: at its 20 new cards a day, they begin to come up in about 10 days.") in (
            dialog.browser.toPlainText())
        data = dialog.data
        dialog.close()
        _shoot(anki, data, "queued-top-preview")
        outcome = sync_from_polar(anki)
        assert [(w["deck"], w["top_days"]) for w in _queued_rows(outcome)] == [("Shelf::Polar", 10)]
        _shoot(anki, controller.last_report[0], "queued-top")
        ours = set(col.find_notes('"deck:Shelf::Polar"'))
        assert len(ours) == TODAY_CHECK_FROM
        # Anki's study screen of "Shelf": the shared deck's card first; of Polar's deck: ours.
        anki.wait_progress_closed()
        for deck, mine in (("Shelf", False), ("Shelf::Polar", True)):
            col.decks.select(col.decks.id(deck))
            mw.moveToState("review")
            anki.anki.wait_until(lambda: mw.reviewer.card is not None, what="the reviewer's card")
            assert (mw.reviewer.card.nid in ours) == mine, deck
            mw.moveToState("deckBrowser")
            anki.anki.process(0.3)
        # Polar's next save of the same book, the same day: not said again.
        for i in range(TODAY_CHECK_FROM):
            doc.card(f"1GuiOShMore{i:03d}", basic(f"<p>More {i}?</p>", "<p>yes</p>"))
        doc.write()
        outcome = sync_from_polar(anki)
        assert outcome.report.created == TODAY_CHECK_FROM and not _queued_rows(outcome)
    finally:
        anki.set_config(watch=True)
        col.remove_notes(col.find_notes('"deck:Shelf::A shared deck"'))
