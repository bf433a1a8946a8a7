"""Run by test_cancel_mid_sync.py in a process of its own (a fresh profile
whose first sync is large): start real Anki with Polar Sync, press Escape in
Anki's progress window while the sync adds notes, as a person does, and note
what the add-on did; then let the next sync run and quit through Anki's own path.

Usage: cancel_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON WHICH DOC_KEY

WHICH: "startup" (the profile's first sync, run at start: Anki's own
"Processing…" window shows its words), "manual" (Tools ▸ Sync from Polar:
the add-on's window, on screen from the start of a long reading) or
"reading" (the same, Escape pressed while it reads the documents);
"updating" (the library synced first, then the marker tag changed: Sync
from Polar updates every note, and Escape is pressed while it does);
"restart" (as "manual", then Anki quits at once) and "after_restart" (Anki
started again on the same folder, no startup sync: the watcher's sync of
DOC_KEY is the first); "quiet" (DOC_KEY synced alone first, then the other
documents moved into the library: the watcher's sync writes them without a
window, and Tools ▸ Polar Sync ▸ Stop the sync is chosen, by the keyboard,
while it adds them; "quiet_reading": while it reads them); "requeue" (the same sync, asked to stop just as its
reading ends and AnkiWeb begins syncing: the sync is put back in the queue).
DOC_KEY: a document whose change Polar "saves" while the sync runs (a
watcher's request, queued behind it).
Writes the JSON the test reads.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import List, Tuple

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

# The write: media, then the new notes in batches. Pressed as soon as the
# window shows one of these, Escape leaves the most batches to stop between.
WRITING = ("Writing media", "Adding")


def main(base: Path, library: Path, addon_file: Path, result: Path, which: str, doc_key: str) -> int:
    anki_harness.prepare_environment(offscreen=True)
    if which != "after_restart":
        anki_harness.seed_base(base)
    config = {"data_dir": str(library), "watch": False}
    if which != "startup":
        config["sync_on_startup"] = False
    anki = anki_harness.start(base, addon_file, config=config)
    mw = anki.mw
    runner = anki.controller.runner
    seen: dict = {}

    from aqt import utils
    from aqt.qt import Qt
    from PyQt6.QtTest import QTest

    from addon.sync.identity import GUID_PREFIX

    def polar() -> list:
        return [g for g in mw.col.db.list("SELECT guid FROM notes") if g.startswith(GUID_PREFIX)]

    def retagged() -> int:
        return int(mw.col.db.scalar("SELECT count() FROM notes WHERE tags LIKE '% polar2 %'"))

    def window():
        win = getattr(mw.progress, "_win", None)
        return win if win is not None and win.isVisible() else None

    # Anki shows a progress window only while one of its windows has the focus
    # (ProgressManager._on_show_timer): the main window is the person's.
    mw.activateWindow()
    if which == "after_restart":
        _next_sync(anki, runner, doc_key, polar, seen, 1)
        return _quit(anki, mw, result, seen)
    if which in ("quiet", "quiet_reading", "requeue"):
        return _quiet(anki, mw, runner, library, doc_key, polar, seen, result, which, base)
    before = 0  # syncs finished before the one stopped
    if which == "updating":
        runner.request("manual")
        anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the first sync")
        before = 1
        seen["first_created"] = anki.controller.last_outcome.report.created
        _drop_tooltips()  # (its timer would close the next sync's tooltip: see _quit)
        # A setting that shapes every note: the next sync updates them all.
        # (Read as Anki's config editor's save would have it read, without the background sync that starts.)
        mw.addonManager.writeConfig(anki_harness.PACKAGE, {**config, "marker_tag": "polar2"})
        anki.controller.load_config()
        mw.activateWindow()
    if which != "startup":
        # (Offscreen, the activation above lands a moment later: a sync
        # begun before it shows no window of its own, Anki's "Processing…"
        # instead; seen in full runs of the suite.)
        anki.wait_until(lambda: mw.app.focusWindow() is not None, 30, "a window of Anki's to have the focus")
        runner.request("manual")
    when = ("Reading",) if which == "reading" else ("Updating",) if which == "updating" else WRITING
    anki.wait_until(lambda: runner.stage.startswith(when) and window() is not None, 300,
                    f"the sync's window at {when}")
    seen["stage"] = runner.stage
    seen["window_is_ours"] = window() is runner._dialog
    runner.request("watch", {doc_key})  # Polar saved a change meanwhile: queued behind this sync
    QTest.keyClick(window(), Qt.Key.Key_Escape)  # what Anki's window does with it: want_cancel()
    anki.wait_until(lambda: runner.finished_count >= before + 1 and not runner.busy, 300, "the stopped sync")
    outcome = anki.controller.last_outcome
    report = outcome.report
    seen["created"], seen["updated"] = report.created, report.updated
    seen["warnings"] = [(w.get("code"), w.get("done"), w.get("total")) for w in report.warnings]
    seen["retagged"] = retagged()
    seen["failed"], seen["interrupted"] = outcome.failed, outcome.interrupted
    seen["by_you"] = getattr(outcome, "by_you", False)
    seen["pending"] = [r.trigger for r in runner.pending]
    seen["tooltip"] = utils._tooltipLabel.text() if utils._tooltipLabel is not None else ""
    label = utils._tooltipLabel
    if label is not None:  # the whole sentence in sight: within the window, every line shown
        seen["tooltip_fits"] = (label.width() <= mw.width(), label.heightForWidth(label.width()) <= label.height())
    guids = polar()
    seen["polar_notes"], seen["distinct"] = len(guids), len(set(guids))
    seen["undo"] = mw.col.undo_status().undo
    # What the state file remembers: read from the reading's side, as the next sync does.
    from addon.gui import synclog
    from addon.sync.state import SyncState

    state_path = synclog.state_path(mw.pm.name, base / "addons21" / anki_harness.PACKAGE / "user_files")
    seen["state_guids"] = sorted(r.guid for r in SyncState(state_path, "").all_cards().values())
    seen["guids"] = sorted(guids)

    seen["rest_to_come"] = SyncState(state_path, "").rest_to_come()  # (remembered for the next start too)
    if which != "restart":
        _next_sync(anki, runner, doc_key, polar, seen, before + 2)
        seen["next_retagged"] = retagged()
    return _quit(anki, mw, result, seen)


def _quiet(anki, mw, runner, library: Path, doc_key: str, polar, seen: dict, result: Path, which: str,
           base: Path) -> int:
    """A background sync (the watcher's) of a library moved in: no window."""

    from aqt import utils
    from aqt.qt import QApplication, QMenu, Qt
    from PyQt6.QtTest import QTest

    from addon.gui import synclog
    from addon.sync.state import SyncState

    aside, others = one_document_synced(anki, mw, runner, library, doc_key, seen)
    stop = anki.controller.actions.get("stop")  # (None before the entry was made: the requeue case runs there too)
    submenu = anki.controller.actions["menu"]
    tools = mw.form.menuTools

    def stop_shown_enabled():
        """Tools ▸ Polar Sync opened as a person opens it: is Stop the sync enabled?"""
        submenu.aboutToShow.emit()
        return None if stop is None else bool(stop.isEnabled())

    seen["stop_enabled_idle"] = stop_shown_enabled()
    move_in(library, aside, others)  # (Polar's import of many books)
    mw.activateWindow()
    if which == "requeue":
        # The person asks it to stop as its reading ends, and AnkiWeb begins
        # syncing just then: the sync is put back in the queue to run after.
        apply = runner._apply

        def apply_then(*args, **kwargs):
            runner._stop.set()  # (what Escape or Stop the sync records)
            runner.hold("ankiweb")
            return apply(*args, **kwargs)

        runner._apply = apply_then
    runner.request("watch", set(others))  # the watcher's request for the documents moved in
    if which in ("quiet", "quiet_reading"):
        if which == "quiet":
            anki.wait_until(lambda: runner.stage.startswith("Adding") and runner._writing_quietly, 300,
                            "the quiet sync adding notes")
        else:
            anki.wait_until(lambda: runner.stage.startswith("Reading"), 300, "the quiet sync reading")
        seen["stage"] = runner.stage
        seen["window"] = getattr(mw.progress, "_win", None) is not None
        seen["stop_enabled_busy"] = stop_shown_enabled()
        seen["stop_first"] = [a for a in submenu.actions() if not a.isSeparator()][0] is stop
        # By the keyboard: Alt+T opens Tools; the submenu, then its first entry.
        # (A menu's Alt shortcut reaches only the active window: the person's is Anki's.)
        mw.activateWindow()
        anki.wait_until(lambda: QApplication.activeWindow() is mw, 10, "Anki's window to be active")
        QTest.keyClick(mw, Qt.Key.Key_T, Qt.KeyboardModifier.AltModifier)
        anki.wait_until(lambda: isinstance(QApplication.activePopupWidget(), QMenu), 10, "the Tools menu")
        seen["tools_opened"] = QApplication.activePopupWidget() is tools
        tools.setActiveAction(submenu.menuAction())
        QTest.keyClick(tools, Qt.Key.Key_Right)  # into Polar Sync
        anki.wait_until(lambda: QApplication.activePopupWidget() is submenu, 10, "the Polar Sync submenu")
        submenu.setActiveAction(stop)
        QTest.keyClick(submenu, Qt.Key.Key_Return)
        # What it says at once (the reading may stop at its next document, before the next event).
        seen["stopping_said"] = runner.indicator.text
        anki.wait_until(lambda: runner._stop.is_set() or not runner.busy, 10, "the wish to stop")
        seen["stop_enabled_stopping"] = stop_shown_enabled()
    anki.wait_until(lambda: runner.finished_count >= 2 and not runner.busy, 60 if which == "requeue" else 300,
                    "the stopped sync")
    outcome = anki.controller.last_outcome
    report = outcome.report
    seen["total"] = len(others)
    seen["created"] = report.created
    seen["warnings"] = [(w.get("code"), w.get("done"), w.get("total")) for w in report.warnings]
    seen["failed"], seen["interrupted"] = outcome.failed, outcome.interrupted
    seen["by_you"] = getattr(outcome, "by_you", False)
    seen["tooltip"] = utils._tooltipLabel.text() if utils._tooltipLabel is not None else ""
    label = utils._tooltipLabel
    if label is not None:
        seen["tooltip_fits"] = (label.width() <= mw.width(), label.heightForWidth(label.width()) <= label.height())
    guids = polar()
    seen["polar_notes"], seen["distinct"] = len(guids), len(set(guids))
    seen["undo"] = mw.col.undo_status().undo
    state_path = synclog.state_path(mw.pm.name, base / "addons21" / anki_harness.PACKAGE / "user_files")
    seen["state_guids"] = sorted(r.guid for r in SyncState(state_path, "").all_cards().values())
    seen["guids"] = sorted(guids)
    seen["rest_to_come"] = SyncState(state_path, "").rest_to_come()
    seen["stop_enabled_after"] = stop_shown_enabled()
    if which == "requeue":
        runner._apply = apply
        runner.release("ankiweb")  # AnkiWeb's sync is over: nothing of the stopped sync runs again
        seen["after_release"] = [runner.busy, [r.trigger for r in runner.pending]]
        anki.wait_until(lambda: not runner.busy, 300, "a sync run again")
    seen["pending"] = [r.trigger for r in runner.pending]
    _drop_tooltips()
    _next_sync(anki, runner, doc_key, polar, seen, runner.finished_count + 1)
    return _quit(anki, mw, result, seen)


def _next_sync(anki, runner, doc_key: str, polar, seen: dict, count: int) -> None:
    """The next change Polar saves: a sync of that document, and (the person
    stopped the last one) of everything it left."""
    runner.request("watch", {doc_key})
    anki.wait_until(lambda: runner.finished_count >= count and not runner.busy, 300, "the next sync")
    after = anki.controller.last_outcome
    seen["next_only"] = sorted(after.request.only) if after.request.only is not None else None
    seen["next_created"], seen["next_updated"] = after.report.created, after.report.updated
    seen["next_failed"] = after.failed
    seen["next_undo"] = anki.mw.col.undo_status().undo
    guids = polar()
    seen["next_polar_notes"], seen["next_distinct"] = len(guids), len(set(guids))


def one_document_synced(anki, mw, runner, library: Path, doc_key: str, seen: dict) -> Tuple[Path, List[str]]:
    """A first sync by hand of ``doc_key`` alone, the library's other
    documents moved aside (to come in later, as Polar imports them): the
    folder aside and their keys. ``seen["first_created"]``: its new notes."""
    aside = library.parent / "moved-in"
    aside.mkdir()
    others = sorted(p.name for p in library.iterdir() if (p / "state.json").exists() and p.name != doc_key)
    for key in others:
        shutil.move(str(library / key), str(aside / key))
    runner.request("manual")
    anki.wait_until(lambda: runner.finished_count >= 1 and not runner.busy, 300, "the first sync (one document)")
    seen["first_created"] = anki.controller.last_outcome.report.created
    _drop_tooltips()
    # Anki closes the first sync's (modal) progress window up to 0.5 s after its end
    # (ProgressManager.finish): a background sync starting before, as a person would
    # not, found it still there (the Alt+T then went to it, not to the Tools menu).
    anki.wait_until(lambda: getattr(mw.progress, "_win", None) is None, 10, "the first sync's window to go")
    return aside, others


def move_in(library: Path, aside: Path, keys: List[str]) -> None:
    """The documents ``one_document_synced`` moved aside, back in the library."""
    for key in keys:
        shutil.move(str(aside / key), str(library / key))


def _drop_tooltips() -> None:
    """A tooltip replaced by the next one is deleted later (deleteLater), and
    so is its closing timer: in an event loop of Anki's own at once, in this
    driver's waits (processEvents, the same loop level) never. Left visible,
    Anki 23.10 prints "Window should have been closed" for it as it quits;
    left running, its timer closes the next tooltip. Deleted now, as Anki's
    loop would."""
    from aqt import utils
    from aqt.qt import QApplication, QEvent

    utils.closeTooltip()
    QApplication.sendPostedEvents(None, int(QEvent.Type.DeferredDelete.value))


def _quit(anki, mw, result: Path, seen: dict) -> int:
    from aqt.qt import QTimer

    _drop_tooltips()
    anki.collection_work_done()  # (Anki 23.10: its deck list's query must not outlive the collection)
    QTimer.singleShot(0, mw.close)  # Anki quits through its own path
    seen["exit"] = anki.app.exec()
    sys.excepthook = sys.__excepthook__
    result.write_text(json.dumps(seen), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*(Path(a) for a in sys.argv[1:5]), sys.argv[5], sys.argv[6]))
