"""Anki's own tools on Polar Sync's notes, in real Anki (headless, the
add-on installed from dist/): the Browser's Toggle Suspend and Toggle Mark on
a note the sync set aside, Anki's leech action, then the card back in Polar.
See docs/dev-notes/ankitools.md."""

from __future__ import annotations

import pytest

from tests.gui.in_anki import note_for_card, sync_from_polar
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki

SUSPENDED = -1
DOC = "1GuiToolsLeech000001"


def test_a_leech_of_a_card_studied_while_set_aside_stays_suspended_when_the_card_comes_back(anki):
    """Deleted in Polar: the sync suspends the note's card and tags it
    ``polar::deleted``. The user unsuspends it in the Browser (Cards ▸ Toggle
    Suspend), marks it (Notes ▸ Toggle Mark), and studies it until Anki's
    leech action suspends it. Back in Polar: restored (the tag goes) but
    the leech stays suspended, ``leech`` and ``marked`` kept."""
    import aqt

    anki.settle()
    anki.set_config(watch=False)
    browser = None
    try:
        col = anki.mw.col
        doc = Doc(anki.library, DOC, title="Leeches", tags=["deck:ToolsLeech"])
        doc.card("1GuiTL1", basic("<p>Hard one?</p>", "<p>yes</p>"))
        doc.card("1GuiTL2", basic("<p>Easy one?</p>", "<p>yes</p>"))
        doc.write()
        assert sync_from_polar(anki).report.created == 2
        cid = note_for_card(anki, "1GuiTL1").cards()[0].id
        num, raw = doc.find_card("1GuiTL1")
        doc.delete_card("1GuiTL1").write()
        assert sync_from_polar(anki).report.orphaned == 1
        assert col.get_card(cid).queue == SUSPENDED

        browser = aqt.dialogs.open("Browser", anki.mw, search=(f"cid:{cid}",))
        anki.anki.wait_until(lambda: browser.card is not None and browser.card.id == cid, what="the Browser's card")
        browser.form.actionToggle_Suspend.trigger()
        anki.anki.wait_until(lambda: col.get_card(cid).queue != SUSPENDED, what="Toggle Suspend")
        browser.form.actionToggle_Mark.trigger()
        anki.anki.wait_until(lambda: "marked" in note_for_card(anki, "1GuiTL1").tags, what="Toggle Mark")
        # The Browser's editor saves its note as the window closes, after
        # an await: its late save (the note's tags as the editor loaded
        # them) could land after the leech tag below and drop it (seen once
        # in a loaded make test). So its save is waited for, and it is let
        # go of its note before the window closes: nothing is saved later.
        saved: list = []
        browser.editor.call_after_note_saved(lambda: saved.append(True))
        anki.anki.wait_until(lambda: saved, what="the Browser's editor saved its note")
        browser.editor.set_note(None)
        browser.close()
        anki.anki.wait_until(lambda: aqt.dialogs._dialogs["Browser"][1] is None, what="the Browser closed")
        browser = None

        # Its own preset, set to suspend leeches (the session's other decks keep theirs).
        deck = col.decks.get(col.get_card(cid).did)
        deck["conf"] = col.decks.add_config_returning_id("Tools leeches")
        col.decks.save(deck)
        conf = col.decks.config_dict_for_deck_id(deck["id"])
        conf["lapse"]["leechAction"] = 0
        col.decks.save(conf)
        card = col.get_card(cid)
        card.type, card.queue, card.ivl, card.due, card.reps = 2, 2, 10, col.sched.today, 10
        card.lapses = conf["lapse"]["leechFails"] - 1
        col.update_card(card)
        card = col.get_card(cid)
        card.start_timer()
        col.sched.answerCard(card, 1)  # Again, as the reviewer answers it
        assert col.get_card(cid).queue == SUSPENDED and "leech" in note_for_card(anki, "1GuiTL1").tags

        doc.page(num)["flashcards"]["1GuiTL1"] = raw
        doc.write()
        outcome = sync_from_polar(anki)
        assert outcome.report.restored == 1
        assert not [e for e in outcome.report.errors if e.get("document") == DOC]  # (others' are the session's)
        assert col.get_card(cid).queue == SUSPENDED
        tags = note_for_card(anki, "1GuiTL1").tags
        assert {"leech", "marked"} <= set(tags) and not [t for t in tags if t.lower().endswith("deleted")]
        assert not sync_from_polar(anki).report.changed
    finally:
        if browser is not None:
            browser.close()
        anki.set_config(watch=True)
