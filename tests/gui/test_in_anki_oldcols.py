"""Old collections and Anki states, in real Anki (headless, the add-on
installed from dist/): a deck whose options let no new card come up.
See docs/dev-notes/beside.md, "Old collections and Anki states, a second
round".

With POLAR_SYNC_SHOTS=<folder>, the report is also saved there as PNGs at
400 px: English and German, light and night (to look at, not compared)."""

from __future__ import annotations

import html
import os
import time
from pathlib import Path
from typing import Any

import pytest

from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


def _manual(anki: Any) -> Any:
    return anki.trigger_and_wait("Sync from Polar")


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
        outcome = _manual(anki)
        assert outcome.report.created == 3
        rows = [w for w in outcome.report.warnings if w["code"] == "new_cards_held"]
        assert [(r["deck"], r["count"], r["limited_by"]) for r in rows] == [("Held back", 3, "Held back")]
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible()
        if os.environ.get("POLAR_SYNC_SHOTS"):
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
        assert not [w for w in _manual(anki).report.warnings if w["code"] == "new_cards_held"]
    finally:
        anki.set_config(watch=True)
        deck = col.decks.get(col.decks.id("Held back"))
        deck["conf"] = 1
        col.decks.save(deck)
