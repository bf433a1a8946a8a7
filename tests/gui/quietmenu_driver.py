"""Run by test_quietmenu.py in a process of its own: real Anki with Polar
Sync (the built .ankiaddon), Tools ▸ Polar Sync ▸ Stop the sync as a person
meets it; notes what the add-on did, then quits through Anki's own path.

Usage: quietmenu_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON WHICH DOC_KEY

WHICH:
"open_menu": DOC_KEY synced by hand, the other documents moved in; the
  Polar Sync submenu opened while nothing runs and left open as the
  watcher's sync of them begins, then opened again while it runs and left
  open till it ends; then the entry's slot is called with nothing to stop
  (a choice that came as the sync ended).
"waiting": the same library; the person adds a note (an undoable step of
  theirs), so the watcher's sync of the documents moved in waits for a
  pause; Stop the sync is chosen by the keyboard meanwhile; then the next
  change Polar saves (DOC_KEY) is synced.
"first_stop": a fresh profile's first sync (Tools ▸ Sync from Polar)
  stopped from the menu before it wrote; Anki quits. "first_after": Anki
  started again on the same folder (no sync at start): the watcher's sync
  of DOC_KEY is the next.
Writes the JSON the test reads.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402
from cancel_driver import _drop_tooltips, move_in, one_document_synced  # noqa: E402
from cancel_driver import _quit as quit_anki  # noqa: E402  (its last steps, after the wait below)


def main(base: Path, library: Path, addon_file: Path, result: Path, which: str, doc_key: str) -> int:
    anki_harness.prepare_environment(offscreen=True)
    if which != "first_after":
        anki_harness.seed_base(base)
    config = {"data_dir": str(library), "watch": False, "sync_on_startup": False}
    anki = anki_harness.start(base, addon_file, config=config)
    mw = anki.mw
    runner = anki.controller.runner
    seen: dict = {}

    from addon.gui import synclog
    from addon.sync.identity import GUID_PREFIX
    from addon.sync.state import SyncState

    state_path = synclog.state_path(mw.pm.name, base / "addons21" / anki_harness.PACKAGE / "user_files")

    def polar() -> list:
        return [g for g in mw.col.db.list("SELECT guid FROM notes") if g.startswith(GUID_PREFIX)]

    mw.activateWindow()
    if which == "first_stop":
        runner.request("manual")  # (started at once: the reading's thread is under way)
        seen["busy"] = runner.busy
        anki.controller.stop_sync()  # the entry's slot, as the menu calls it
        anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the stopped sync")
        outcome = anki.controller.last_outcome
        seen["interrupted"], seen["by_you"] = outcome.interrupted, outcome.by_you
        seen["polar_notes"] = len(polar())
        seen["state_file"] = state_path.exists()
        seen["marks"] = sorted(p.name for p in state_path.parent.iterdir() if p.name.startswith("state-"))
        seen["tooltip"] = _tooltip()
        return _quit(anki, mw, result, seen)
    if which == "first_after":
        seen["state_file_before"] = state_path.exists()
        runner.request("watch", {doc_key})  # Polar's next change: the first sync after the restart
        anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the next sync")
        after = anki.controller.last_outcome
        seen["next_only"] = sorted(after.request.only) if after.request.only is not None else None
        seen["next_created"] = after.report.created
        seen["next_failed"] = after.failed
        seen["backed_up"] = after.backed_up
        guids = polar()
        seen["polar_notes"], seen["distinct"] = len(guids), len(set(guids))
        seen["marks"] = sorted(p.name for p in state_path.parent.iterdir() if p.name.startswith("state-"))
        seen["rest_to_come"] = SyncState(state_path, "").rest_to_come()
        return _quit(anki, mw, result, seen)

    # One document synced by hand; the others then moved in (Polar imported them).
    aside, others = one_document_synced(anki, mw, runner, library, doc_key, seen)
    move_in(library, aside, others)
    seen["total"] = len(others)
    stop = anki.controller.actions["stop"]
    submenu = anki.controller.actions["menu"]
    mw.activateWindow()
    if which == "open_menu":
        _open_menu_case(anki, mw, runner, submenu, stop, others, seen)
    else:
        _waiting_case(anki, mw, runner, submenu, stop, others, doc_key, polar, state_path, seen)
    return _quit(anki, mw, result, seen)


def _open_menu_case(anki, mw, runner, submenu, stop, others, seen: dict) -> None:
    from aqt.qt import QPoint

    # The quiet sign at once (not after a second of writing: this write may take less).
    sys.modules[type(runner.indicator).__module__].SHOW_AFTER_MS = 0
    seen["title_idle"] = mw.windowTitle()
    submenu.popup(mw.mapToGlobal(QPoint(20, 20)))  # opened, and left open
    anki.wait_until(submenu.isVisible, 10, "the submenu")
    seen["enabled_idle"] = stop.isEnabled()
    runner.request("watch", set(others))  # the watcher's sync begins under the open menu
    seen["busy"] = runner.busy
    seen["enabled_running"] = stop.isEnabled()
    # Closed and opened again while it runs, and left open till it ends.
    submenu.hide()
    submenu.popup(mw.mapToGlobal(QPoint(20, 20)))
    seen["enabled_reopened"] = [runner.busy, stop.isEnabled()]
    # What a screen reader can read while it writes: Anki's window title and description.
    anki.wait_until(lambda: runner.indicator.shown or not runner.busy, 60, "the quiet sign")
    seen["sign_shown"] = runner.indicator.shown
    seen["title_busy"], seen["description_busy"] = mw.windowTitle(), mw.accessibleDescription()
    anki.wait_until(lambda: runner.finished_count >= 2 and not runner.busy, 300, "the watcher's sync")
    seen["created"] = anki.controller.last_outcome.report.created
    seen["menu_still_open"] = submenu.isVisible()
    seen["enabled_after"] = stop.isEnabled()
    seen["title_after"], seen["description_after"] = mw.windowTitle(), mw.accessibleDescription()
    submenu.hide()
    _drop_tooltips()
    # Chosen with nothing to stop (as the sync ended): said, nothing else.
    finished = runner.finished_count
    anki.controller.stop_sync()
    seen["late_tooltip"] = _tooltip()
    seen["late_changed"] = [runner.busy, runner.finished_count - finished, [r.trigger for r in runner.pending],
                            runner.rest_to_come]


def _waiting_case(anki, mw, runner, submenu, stop, others, doc_key, polar, state_path, seen: dict) -> None:
    from aqt.operations.note import add_note
    from aqt.qt import QApplication, QMenu, Qt
    from PyQt6.QtTest import QTest

    from addon.gui import synclog
    from addon.sync.state import SyncState

    # The person adds a note of their own: an undoable step on top of ours.
    col = mw.col
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"], note["Back"] = "mine", "kept"
    added = []
    add_note(parent=mw, note=note, target_deck_id=col.decks.id("Default")).success(
        lambda _changes: added.append(True)).run_in_background()
    anki.wait_until(lambda: added, 30, "the person's note")
    runner.request("watch", set(others))  # Polar's import: waits for a pause in the person's work
    logged = len(synclog.read_log(state_path.parent))
    seen["waiting"] = runner.waiting
    seen["busy"] = runner.busy
    seen["enabled_waiting"] = stop.isEnabled()
    # By the keyboard, as a person: Alt+T, into Polar Sync, Return on Stop the sync.
    anki.wait_until(lambda: QApplication.activeWindow() is mw, 10, "Anki's window to be active")
    tools = mw.form.menuTools
    QTest.keyClick(mw, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
    anki.wait_until(lambda: isinstance(QApplication.activePopupWidget(), QMenu), 10, "the Tools menu")
    tools.setActiveAction(submenu.menuAction())
    QTest.keyClick(tools, Qt.Key.Key_Right)
    anki.wait_until(lambda: QApplication.activePopupWidget() is submenu, 10, "the Polar Sync submenu")
    seen["enabled_shown"] = stop.isEnabled()
    submenu.setActiveAction(stop)
    QTest.keyClick(submenu, Qt.Key.Key_Return)
    anki.process(0.1)
    seen["tooltip"] = _tooltip()
    seen["after"] = [runner.busy, runner.waiting, [r.trigger for r in runner.pending], runner._quiet_timer.isActive(),
                     runner.finished_count]
    seen["enabled_after"] = stop.isEnabled()
    seen["rest_to_come"] = SyncState(state_path, "").rest_to_come()
    seen["polar_notes_after"] = len(polar())
    # (The log's entry is written on the log's thread.)
    anki.wait_until(lambda: len(synclog.read_log(state_path.parent)) > logged, 30, "the log's entry")
    seen["log"] = synclog.read_log(state_path.parent)[:1]
    tools.hide()
    _drop_tooltips()
    # The next change Polar saves: synced as the person pauses (here: at once).
    runner.quiet.seconds = 0.0
    runner.request("watch", {doc_key})
    anki.wait_until(lambda: runner.finished_count >= 2 and not runner.busy, 300, "the next sync")
    after = anki.controller.last_outcome
    seen["next_only"] = sorted(after.request.only) if after.request.only is not None else None
    seen["next_created"] = after.report.created
    guids = polar()
    seen["polar_notes"], seen["distinct"] = len(guids), len(set(guids))


def _tooltip() -> str:
    from aqt import utils

    label = utils._tooltipLabel
    return label.text() if label is not None else ""


def _quit(anki, mw, result: Path, seen: dict) -> int:
    # (Anki closes a sync's progress window up to 0.5 s after its end: not mid-quit.)
    anki.wait_until(lambda: getattr(mw.progress, "_win", None) is None, 10, "the sync's window to go")
    return quit_anki(anki, mw, result, seen)


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5]), sys.argv[5], sys.argv[6]))
