"""Anki's real states around a sync, in the shared real Anki (headless, the
add-on installed from dist/): a sync asked for while Tools ▸ Check Database
runs; the add-on disabled and enabled again in Tools ▸ Add-ons without a
restart. See docs/dev-notes/reliability.md, round 4."""

from __future__ import annotations

import time
from typing import Any, List

import pytest

from tests.gui.in_anki import note_for_card
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


class Ticks:
    """The main thread's longest stall while it runs: a 10 ms timer's gaps."""

    def __init__(self) -> None:
        from aqt.qt import QTimer, qconnect

        self.gaps: List[float] = []
        self.last = time.monotonic()
        self.timer = QTimer()
        qconnect(self.timer.timeout, self._tick)
        self.timer.start(10)

    def _tick(self) -> None:
        now = time.monotonic()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps, default=0.0)


def _own_errors(report: Any, *docs: str) -> List[Any]:
    """The report's errors about these documents (the session's library
    holds a document an earlier test left broken on purpose)."""
    return [e for e in report.errors if e.get("document") in docs]


def test_a_sync_asked_for_during_check_database_waits_for_it_and_anki_stays_responsive(anki):
    anki.settle()
    anki.set_config(watch=False)
    mw = anki.mw
    try:
        # Enough notes that Anki's check (a backup, then fix_integrity on its
        # collection thread) takes a while.
        col = mw.col
        model = col.models.by_name("Basic")
        deck = col.decks.id("Beside::Bulk")
        for i in range(3000):
            note = col.new_note(model)
            note["Front"], note["Back"] = f"bulk {i}", "x"
            col.add_note(note, deck)
        doc = Doc(anki.library, "1GuiStatesCheckDb001", title="During check", tags=["deck:Beside"])
        doc.card("1GuiSCD1", basic("<p>Synced during the check?</p>", "<p>after it</p>"))
        doc.write()
        before = anki.controller.runner.finished_count
        seen: List[Any] = []

        def watch_levels() -> None:
            seen.append((mw.progress._levels, anki.controller.runner.busy))

        from aqt.qt import QTimer, qconnect

        probe = QTimer()
        qconnect(probe.timeout, watch_levels)
        probe.start(20)
        ticks = Ticks()
        mw.form.actionFullDatabaseCheck.trigger()  # Tools ▸ Check Database
        anki.menu_action("Sync from Polar").trigger()  # …and Sync from Polar at once
        outcome = anki.wait_synced(before)
        anki.anki.wait_until(lambda: mw.progress._levels == 0, what="Check Database")
        anki.wait_progress_closed()
        stall = ticks.stop()
        probe.stop()

        assert any(busy and levels >= 1 for levels, busy in seen), "the sync never overlapped the check"
        assert outcome.report.created == 1, outcome.report
        assert not _own_errors(outcome.report, "1GuiStatesCheckDb001"), outcome.report.errors
        assert note_for_card(anki, "1GuiSCD1") is not None
        assert stall < 1.0, f"Anki's window stalled {stall:.2f} s"
        assert mw.col.fix_integrity()[1]
        again = anki.trigger_and_wait("Sync from Polar")
        assert not again.report.changed
    finally:
        anki.set_config(watch=True)


def _addons_dialog_row(dialog: Any, package: str) -> int:
    for row in range(dialog.form.addonList.count()):
        if dialog.addons[row].dir_name == package:
            return row
    raise LookupError(package)


def test_disabled_and_enabled_again_in_tools_addons_without_a_restart_goes_on_syncing(anki):
    """Tools ▸ Add-ons ▸ Toggle Enabled twice, then Close, as a user does:
    Anki only writes the add-on's meta.json ("disabled"), asks for a
    restart, and loads or unloads nothing; the running add-on goes on
    (watcher, menu, settings kept) and no hook runs twice."""
    import aqt

    from tools import anki_harness

    anki.settle()
    mw = anki.mw
    manager = mw.addonManager
    config_before = manager.getConfig(anki_harness.PACKAGE)
    mw.form.actionAdd_ons.trigger()  # Tools ▸ Add-ons
    dialog = anki.anki.wait_until(lambda: aqt.dialogs._dialogs["AddonsDialog"][1], what="the Add-ons window")
    try:
        dialog.form.addonList.setCurrentRow(_addons_dialog_row(dialog, anki_harness.PACKAGE))
        dialog.form.toggleEnabled.click()
        assert not manager.addon_meta(anki_harness.PACKAGE).enabled
        label = dialog.form.addonList.item(_addons_dialog_row(dialog, anki_harness.PACKAGE)).text()
        assert label.startswith("Polar Sync") and label != "Polar Sync", label  # "(disabled)"
        dialog.form.addonList.setCurrentRow(_addons_dialog_row(dialog, anki_harness.PACKAGE))
        dialog.form.toggleEnabled.click()
        assert manager.addon_meta(anki_harness.PACKAGE).enabled
    finally:
        dialog.reject()  # Close: "Changes will take effect when Anki is restarted."
    anki.anki.process(0.3)

    assert manager.getConfig(anki_harness.PACKAGE) == config_before
    # The watcher and the menu of the running add-on, once each.
    before = anki.controller.runner.finished_count
    doc = Doc(anki.library, "1GuiStatesToggle001", title="Toggled", tags=["deck:Beside"])
    doc.card("1GuiSTG1", basic("<p>Still syncing?</p>", "<p>yes</p>"))
    doc.write()
    outcome = anki.wait_synced(before)
    assert outcome.report.created == 1 and note_for_card(anki, "1GuiSTG1") is not None
    anki.settle()
    assert anki.controller.runner.finished_count == before + 1, "one change, one sync"
    actions = [a.text() for a in mw.form.menuTools.actions()]
    assert actions.count("Sync from Polar") == 1, actions
    again = anki.trigger_and_wait("Sync from Polar")
    assert not again.report.changed and not _own_errors(again.report, "1GuiStatesToggle001")
