"""Polar Sync inside real Anki: installed from the built .ankiaddon, driven
through its Tools menu, the watcher and Edit ▸ Undo.

The tests share one Anki (see conftest.py) and run in file order; each
leaves the watcher as it found it (on).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Dict

import pytest

from addon.polar.docmeta import parse_docmeta
from tests.gui.conftest import DEBOUNCE_MS
from tests.polar_factory import SAMPLE_LIBRARY, Doc, basic

pytestmark = pytest.mark.anki

SAMPLE_FRONT = "When does spaced repetition schedule a review?"


def sample_card_count(library: Path) -> int:
    total = 0
    for state in library.glob("*/state.json"):
        if not state.parent.name.startswith("."):
            total += len(parse_docmeta(state.read_bytes(), state.parent.name).flashcards)
    return total


def fronts(session) -> set:
    return {note.fields[0] for note in session.notes()}


def test_installed_from_the_ankiaddon_file(anki):
    meta = json.loads((anki.addon_dir / "meta.json").read_text())
    assert meta["name"] == "Polar Sync"  # written by Anki's installer from manifest.json
    assert meta["min_point_version"] == 231000
    assert (anki.addon_dir / "_vendor" / "watchdog" / "observers" / "inotify.py").is_file()
    assert not list(anki.addon_dir.rglob("*.so"))
    # Linux: the add-on's own inotify backend; the bundled watchdog (Windows'
    # backend) is not even imported.
    assert anki.controller.watcher.wait_started(30) and anki.controller.watcher.mode == "inotify"
    import sys

    assert not [m for m in sys.modules if m.startswith("polar_sync._vendor")]


def test_tools_menu_has_sync_from_polar(anki):
    titles = [a.text() for a in anki.mw.form.menuTools.actions()]
    assert "Sync from Polar" in titles
    assert "Polar Sync" in titles
    for item in ("Preview (dry run)…", "Open sync log", "Settings…"):
        assert anki.menu_action(item) is not None


def test_startup_sync_created_the_sample_notes(anki):
    # The profile is open before the startup sync (a background op) is done.
    # (Its outcome and the notes then are kept by the session as it finishes:
    # this test need not be the session's first.)
    anki.anki.wait_until(lambda: anki.startup is not None, what="the startup sync")
    outcome, notes = anki.startup, anki.notes_after_startup
    assert outcome.request.trigger == "startup"
    assert not outcome.report.errors
    # (The sample library as copied: later tests add documents to the session's.)
    assert len(notes) == sample_card_count(SAMPLE_LIBRARY) == outcome.report.created
    assert any(SAMPLE_FRONT in note.fields[0] for note in notes)
    log = (anki.addon_dir / "user_files" / "sync-log.txt").read_text()
    assert "Sync when the profile opens" in log  # (the setting that asked for it, by its name)


def test_sync_action_applies_a_polar_change_and_undo_removes_it_in_one_step(anki):
    anki.set_config(watch=False)  # this change must arrive through the menu, not the watcher
    try:
        before = {n.id for n in anki.notes()}
        doc = Doc(anki.library, "1GuiManualSyncDoc00001", title="Manual")
        doc.card("1GuiM1", basic("<p>Manual one?</p>", "<p>1</p>"))
        doc.card("1GuiM2", basic("<p>Manual two?</p>", "<p>2</p>"), page=2)
        doc.write()

        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.request.trigger == "manual"
        assert outcome.report.created == 2
        # A clean sync's rows: the log's share (its first 2,000) made on
        # Anki's worker thread, the rest only if the report window opens.
        rows = outcome.change_rows
        assert type(rows).__name__ == "ChangeRows" and rows.made == 2
        assert rows == outcome.report.change_rows() and len(rows) == 2
        assert {"Manual one?", "Manual two?"} <= {f.replace("<p>", "").replace("</p>", "")
                                                 for f in fronts(anki)}
        assert anki.mw.col.undo_status().undo == "Sync from Polar"

        # Edit ▸ Undo, the menu item a user clicks.
        assert anki.mw.form.actionUndo.isEnabled()
        anki.mw.form.actionUndo.trigger()
        # Ids only: loading a note the undo (on Anki's background thread) is
        # removing at that moment would fail the wait, not the undo.
        anki.anki.wait_until(lambda: set(anki.mw.col.find_notes("tag:polar")) == before, what="undo")
        # One step: exactly this sync is undone (the startup sync's notes stay).
        assert anki.mw.col.undo_status().redo == "Sync from Polar"

        # Polar still has the cards, so the next sync brings them back.
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.report.created == 2
    finally:
        anki.set_config(watch=True)


def test_an_edit_undone_with_edit_undo_comes_back_with_the_next_sync(anki):
    """Edit ▸ Undo of a sync that only updated a note: the next sync brings
    Polar's edit again (the state follows the undo, journal.py), instead of
    taking the undone text for the user's own."""
    anki.set_config(watch=False)
    try:
        doc = Doc(anki.library, "1GuiUndoEditDoc000001", title="Undo")
        doc.card("1GuiU1", basic("<p>Undo me?</p>", "<p>first answer</p>"))
        doc.write()
        assert anki.trigger_and_wait("Sync from Polar").report.created == 1

        def answer() -> str:
            flds = anki.mw.col.db.scalar("SELECT flds FROM notes WHERE guid = ?", "polar:1GuiU1")
            return str(flds).split("\x1f")[1]

        doc.card("1GuiU1", basic("<p>Undo me?</p>", "<p>second answer</p>"))
        doc.write()
        assert anki.trigger_and_wait("Sync from Polar").report.updated == 1
        assert "second answer" in answer()
        anki.mw.form.actionUndo.trigger()
        anki.anki.wait_until(lambda: "first answer" in answer(), what="undo")

        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.report.updated == 1 and not outcome.report.conflicts
        assert "second answer" in answer()
        assert anki.trigger_and_wait("Sync from Polar").report.updated == 0
    finally:
        anki.set_config(watch=True)


def test_a_sync_a_person_started_keeps_its_shown_progress_window_while_it_writes(anki):
    """A progress window on screen when the reading ends stays: Anki's op for
    the writing nests in it (not closed, then Anki's "Processing…" 0.6 s
    later), and it says what is being added."""
    from aqt.qt import QTimer

    anki.set_config(watch=False)
    doc = Doc(anki.library, "1GuiProgressDoc000001", title="Progress")
    for i in range(30):
        doc.card(f"1GuiPr{i:02d}", basic(f"<p>Progress {i}?</p>", "<p>-</p>"))
    doc.write()
    anki.settle()  # (the sync that the setting's change started)
    progress, runner = anki.mw.progress, anki.controller.runner
    # (Anki 23.10 closes a window shown < 0.5 s ago inside finish(), its
    # level already 0: wait until the window itself is gone.)
    anki.wait_progress_closed()
    windows: list = []  # every progress window seen (held, so no id is reused)
    texts: list = []

    def sample() -> None:
        win = progress._win
        if win is not None:
            if not any(w is win for w in windows):
                windows.append(win)
            texts.append(win.form.label.text())

    before = runner.finished_count
    anki.menu_action("Sync from Polar").trigger()  # the runner opens its window in this call
    assert runner.busy and progress._win is not None
    # On screen at once, as after the first 0.6 s of a long reading (this
    # small one would end first); the reading's result has not come back yet.
    progress._showWin()
    sample()
    sampler = QTimer()
    sampler.timeout.connect(sample)
    sampler.start(1)
    try:
        outcome = anki.wait_synced(before)
    finally:
        sampler.stop()
        anki.set_config(watch=True)
    assert outcome.report.created == 30
    assert len(windows) == 1, "the progress window closed and another opened"
    assert texts[0] == "Reading the Polar library…", texts
    # Anki's op for the writing showed no "Processing…" of its own, and the
    # window's last words were the writing's (shown until it closed).
    assert "Processing..." not in texts, texts
    assert texts[-1].startswith(("Adding", "Updating", "Writing")), texts
    anki.wait_progress_closed()


def test_a_long_reading_shows_its_window_before_the_first_document(anki):
    """A sync a person started with much to read shows its progress window
    before the reading begins: Anki would show it 0.6 s in, in the middle of
    the parse, and that show held Anki's window up to ~0.1 s. A sync with
    little to read still leaves the window to Anki's 0.6 s rule."""
    import importlib
    import sys

    anki.set_config(watch=False)
    runner, progress = anki.controller.runner, anki.mw.progress
    package = sys.modules[type(runner).__module__].__name__.rsplit(".gui.", 1)[0]  # the installed add-on
    reading = importlib.import_module(package + ".sync.read")
    limit, real = reading.LONG_READ_BYTES, reading.read_document
    shown: list = []  # at each document the reading reaches: was the window on screen?

    def read_document(*args: Any, **kwargs: Any) -> Any:
        shown.append(bool(progress._shown))
        return real(*args, **kwargs)

    asked: list = []  # the reading's calls to show the window first
    show_first = runner._show_before_reading

    def show_before_reading() -> None:
        asked.append(1)
        show_first()

    doc = Doc(anki.library, "1GuiLongReadDoc000001", title="Long read")
    reading.read_document = read_document
    runner._show_before_reading = show_before_reading
    try:
        for step, (bytes_for_long, expected) in enumerate([(1, True), (limit, False)]):
            reading.LONG_READ_BYTES = bytes_for_long
            doc.card(f"1GuiLong{step:02d}", basic(f"<p>Read {step}?</p>", "<p>-</p>"))
            doc.write()
            anki.settle()
            anki.wait_progress_closed()
            # (As Anki's own show timer, the early show waits while no window
            # of Anki's has the focus: a window closed last leaves none here.)
            anki.mw.activateWindow()
            anki.anki.wait_until(lambda: anki.mw.app.focusWindow() is not None, 5, "Anki's window to have the focus")
            shown.clear()
            asked.clear()
            outcome = anki.trigger_and_wait("Sync from Polar")
            assert outcome.report.created == 1
            assert len(asked) == expected
            if expected:  # (a short reading is left to Anki's 0.6 s timer, whatever the machine's speed)
                assert shown and shown[0], shown[:3]
            anki.wait_progress_closed()
    finally:
        del runner._show_before_reading
        reading.LONG_READ_BYTES, reading.read_document = limit, real
        anki.set_config(watch=True)


def test_a_background_sync_opens_no_window_but_names_its_work_in_ankis(anki):
    """A sync the watcher started opens no progress window of its own; once
    Anki shows its "Processing…" for the writing (0.6 s into the op), the
    sync's next message says there what is added."""
    import sys

    anki.settle()
    runner, progress = anki.controller.runner, anki.mw.progress
    ops = sys.modules[type(runner).__module__]  # the installed add-on's own module
    say = runner._progress(ops.SyncRequest(ops.WATCH), False)  # the callback a background sync gets
    say("Reading Polar documents… 10/20")
    anki.anki.process(0.05)
    assert progress._win is None  # no window of its own

    progress.start()  # as Anki's CollectionOp opens it for the writing
    try:
        progress._showWin()
        runner._writing = True
        say("Adding notes… 5/20")
        anki.anki.process(0.05)
        bar = progress._win.form.progressBar
        assert progress._win.form.label.text() == "Adding notes… 5/20"
        assert (bar.value(), bar.maximum()) == (5, 20)  # a bar that fills, not Anki's busy one
        say("Updating notes…")
        anki.anki.process(0.05)
        assert bar.maximum() == 0  # (what does not count: busy)
        runner._writing = False
        say("Reading Polar documents… 20/20")  # (not the writing: Anki's window is not the sync's)
        anki.anki.process(0.05)
        assert progress._win.form.label.text() == "Updating notes…"
        # A watcher's writing runs without Anki's window (_QuietCollectionOp):
        # a window up meanwhile is another op's, never given the sync's words.
        runner._writing = runner._writing_quietly = True
        say("Adding notes… 7/20")
        anki.anki.process(0.05)
        assert progress._win.form.label.text() == "Updating notes…"
    finally:
        runner._writing = runner._writing_quietly = False
        progress.finish()
    anki.wait_progress_closed()


def test_a_sync_that_changes_nothing_adds_no_undo_step(anki):
    anki.settle()
    anki.trigger_and_wait("Sync from Polar")  # catch up with anything earlier tests left
    # Something of the user's own, which must stay the thing Edit ▸ Undo undoes.
    note = anki.notes()[0]
    note.tags.append("mine")
    anki.mw.col.update_note(note)
    anki.mw.update_undo_actions()
    undo_before = anki.mw.col.undo_status().undo
    assert undo_before and undo_before != "Sync from Polar"

    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not outcome.report.changed
    assert anki.mw.col.undo_status().undo == undo_before
    assert undo_before in anki.mw.form.actionUndo.text()  # what Edit ▸ Undo offers


def test_starting_a_sync_asks_the_collection_nothing_on_the_windows_thread(anki, monkeypatch):
    """Tools ▸ Sync from Polar returns to Anki's event loop before any
    collection call: the page label of a collection no sync has fixed is a
    config key Anki answers "not found", and with RUST_BACKTRACE set Anki's
    error walks the window thread's deep Qt stack (~100 ms frozen, measured
    by tools/bench_gui.py). The reading's thread asks instead."""
    anki.settle()
    col = anki.mw.col
    col.remove_config("polarSyncPageLabel")  # as a collection no sync has written to
    doc = Doc(anki.library, "1GuiLabelDoc000000001", title="Label")
    doc.card("1GuiL1", basic("<p>Label one?</p>", "<p>1</p>"), page=3)
    doc.write()
    anki.settle()  # (the watcher's sync of it, if it saw the file)
    col.remove_config("polarSyncPageLabel")
    doc.card("1GuiL2", basic("<p>Label two?</p>", "<p>2</p>"), page=4)
    doc.write()
    asked = []
    backend = col._backend
    run_command = backend._run_command

    def recorded(service: int, method: int, data: bytes) -> bytes:
        caller = sys._getframe(1).f_code.co_name  # the backend method: get_config_json, ...
        if threading.current_thread() is threading.main_thread() and not caller.startswith("translate"):
            asked.append(caller)  # (Anki's translations are not the collection)
        return run_command(service, method, data)

    monkeypatch.setattr(backend, "_run_command", recorded)
    before = anki.controller.runner.finished_count
    anki.menu_action("Sync from Polar").trigger()
    on_main = list(asked)
    monkeypatch.undo()
    assert on_main == []
    outcome = anki.wait_synced(before)
    assert outcome.request.trigger == "manual" and not outcome.report.errors
    # The reading's thread found the label missing, and the sync fixed it.
    assert col.get_config("polarSyncPageLabel") == "p. {page}"
    assert any("p.&nbsp;4" in n.joined_fields() for n in anki.notes())
    anki.settle()  # (the watcher's sync of the same write)


def test_the_sync_log_is_written_off_the_windows_thread_and_is_there_when_the_sync_is_done(anki, monkeypatch):
    """The end of a sync wrote the log and last-report.json on Anki's main
    thread (~30 ms on a slow disk, the last gap of a first sync's window,
    docs/dev-notes/perf.md). Now a thread of the add-on's writes them, and
    the sync counts as done (finished_count, not busy) only once they are
    on disk: the write is made slow here to show that it is waited for."""
    import time

    package = type(anki.controller).__module__.rsplit(".", 1)[0]
    synclog = importlib.import_module(f"{package}.synclog")
    anki.set_config(watch=False)
    try:
        anki.settle()
        log = anki.addon_dir / "user_files" / "sync-log.txt"
        text_before = log.read_text(encoding="utf-8")
        writes = []
        append_log = synclog.append_log

        def slow(*args: Any, **kwargs: Any) -> None:
            writes.append(threading.current_thread() is threading.main_thread())
            time.sleep(0.3)  # a slow disk
            append_log(*args, **kwargs)

        monkeypatch.setattr(synclog, "append_log", slow)
        runner = anki.controller.runner
        before = runner.finished_count
        anki.menu_action("Sync from Polar").trigger()
        anki.anki.wait_until(lambda: runner.finished_count > before, what="the sync")
        text = log.read_text(encoding="utf-8")  # at once: the entry is there
        assert text.startswith(text_before) and "Tools ▸ Sync from Polar" in text[len(text_before):], text[-300:]
        assert not runner.busy
        assert writes == [False]  # one write, not on the window's thread
        report = json.loads((anki.addon_dir / "user_files" / "last-report.json").read_text(encoding="utf-8"))
        assert "created" in report
    finally:
        monkeypatch.undo()
        anki.set_config(watch=True)
        anki.settle()


def test_atomic_write_while_anki_runs_arrives_through_the_watcher(anki):
    assert anki.controller.watcher is not None
    before = anki.controller.runner.finished_count
    doc = Doc(anki.library, "1GuiWatchedDoc0000001", title="Watched")
    doc.card("1GuiW1", basic("<p>Arrived by watching?</p>", "<p>yes</p>"))
    doc.write(atomic=True)  # temp file + os.replace, as Polar saves

    anki.anki.wait_until(lambda: any("Arrived by watching?" in f for f in fronts(anki)), what="the watched card")
    outcome = anki.wait_synced(before)
    assert outcome.request.trigger == "watch"
    assert outcome.request.only == frozenset({"1GuiWatchedDoc0000001"})

    # An edit of the same document: one save, one sync of that document.
    count = anki.controller.runner.finished_count
    doc.edit_card("1GuiW1", "1GuiW1b", basic("<p>Edited while watching?</p>", "<p>yes</p>"))
    doc.write(atomic=True)
    outcome = anki.wait_synced(count)
    assert outcome.request.only == frozenset({"1GuiWatchedDoc0000001"})
    assert any("Edited while watching?" in f for f in fronts(anki))
    assert not any("Arrived by watching?" in f for f in fronts(anki))
    anki.anki.process(3 * DEBOUNCE_MS / 1000)
    assert anki.controller.runner.finished_count == count + 1  # the save's events made one sync



def rows_grouped_on_the_main_thread(monkeypatch) -> list:
    """The change rows the installed add-on names by document (what
    grouping them for the report window does, once per row) on Anki's main
    thread: a first sync's report lists 50,000, and grouping them there
    froze the window ~0.15 s when the report opened."""
    module = sys.modules["polar_sync.gui.report_text"]
    named = module.document_name
    on_main: list = []

    def recorded(row: Any) -> str:
        if threading.current_thread() is threading.main_thread():
            on_main.append(row)
        return named(row)

    monkeypatch.setattr(module, "document_name", recorded)
    return on_main


def test_preview_writes_nothing_and_shows_the_report(anki, monkeypatch):
    anki.set_config(watch=False)
    grouped_on_main = rows_grouped_on_the_main_thread(monkeypatch)
    try:
        doc = Doc(anki.library, "1GuiPreviewDoc0000001", title="Preview")
        doc.card("1GuiP1", basic("<p>Only previewed?</p>", "<p>-</p>"))
        doc.write()
        undo_before = anki.mw.col.undo_status().undo
        outcome = anki.trigger_and_wait("Preview (dry run)…")
        assert outcome.report.dry_run and outcome.report.created == 1
        # The window lists them all: made on Anki's worker thread, not the window's.
        assert isinstance(outcome.change_rows, list) and len(outcome.change_rows) == 1
        assert not any("Only previewed?" in f for f in fronts(anki))
        assert anki.mw.col.undo_status().undo == undo_before
        dialog = anki.controller.report_dialog
        assert dialog is not None and dialog.isVisible()
        assert "dry run" in dialog.browser.toPlainText()
        # Grouped for the window's tree on the worker thread too.
        assert dialog.tree is not None and dialog.tree.topLevelItemCount() >= 1
        assert not [r for r in grouped_on_main if any(r is c for c in outcome.change_rows)]
        assert dialog.changes is outcome.changes
        dialog.close()
        doc.remove()
    finally:
        anki.set_config(watch=True)


def test_corrupt_state_json_produces_the_report_not_a_crash(anki, qtbot):
    """(The document is whole again at the end: the session's later tests
    read the same library. Left broken, a later test's Polar export of it
    left the document out, and that sync took its 3 notes for deleted in
    Polar: test_source_link's export test failed when its file ran after
    this one and test_readme_in_anki's, test_source_book's.)"""
    anki.settle()  # (the session's first test: the startup sync may still be running)
    victim = anki.library / "1SpacedRepetitionIntro0a" / "state.json"
    whole = victim.read_bytes()
    try:
        _corrupt_state_json_produces_the_report(anki, qtbot, victim)
    finally:
        before = anki.controller.runner.finished_count
        _replace(victim, whole)
        outcome = anki.wait_synced(before)
        assert not [e for e in outcome.report.errors if "1SpacedRepetitionIntro0a" in e["path"]]
        anki.settle()


def _replace(path, data: bytes) -> None:
    """As Polar saves a document: a new file put in its place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _corrupt_state_json_produces_the_report(anki, qtbot, victim):
    from aqt.qt import Qt

    notes_before = len(anki.notes())
    deleted_before = len(anki.notes("tag:polar::deleted"))
    before = anki.controller.runner.finished_count
    _replace(victim, b'{"docInfo": {"fingerprint": "1SpacedRepetitionIntro0a", ')  # cut short

    outcome = anki.wait_synced(before)
    paths = [e["path"] for e in outcome.report.errors]
    assert "1SpacedRepetitionIntro0a/state.json" in paths
    assert len(anki.notes()) == notes_before  # a broken file never deletes its notes
    assert len(anki.notes("tag:polar::deleted")) == deleted_before  # (nor marks one: earlier tests' are theirs)

    # The notice offers the report window: its rows were made on Anki's
    # worker thread, not the window's.
    assert isinstance(outcome.change_rows, list)
    notice = anki.controller.notice
    assert notice is not None and notice.isVisible()
    assert "problem" in notice.text()
    qtbot.mouseClick(notice, Qt.MouseButton.LeftButton)
    dialog = anki.controller.report_dialog
    assert dialog is not None and dialog.isVisible()
    text = dialog.browser.toPlainText().replace("\u2060", "")  # (paths kept whole: unbroken)
    assert "1SpacedRepetitionIntro0a/state.json" in text
    assert "not a readable Polar document" in text
    # Its tree of what changed was grouped on the worker thread too.
    assert outcome.changes is not None and dialog.changes is outcome.changes
    dialog.close()



def test_show_in_browser_of_many_notes_keeps_their_ids_out_of_the_search_bar(anki, monkeypatch):
    """The ids of a first sync's 50,000 notes are a 700 KB search: in the
    Browser's search bar Qt laid it out at every repaint (1.9 s frozen in
    all while the Browser opened) and Anki kept it in the search history.
    Past a few hundred notes the bar says what is shown in words."""
    from aqt import gui_hooks
    from aqt.qt import QTimer

    module = importlib.import_module("polar_sync.gui.report_dialog")
    monkeypatch.setattr(module, "SEARCH_BAR_IDS", 2)  # (the session's library is small)
    anki.settle()
    col = anki.mw.col
    nids = sorted(col.find_notes("tag:polar*"))[:3]
    assert len(nids) == 3
    # The Browser's editor must have loaded a note before the window closes
    # (Anki 23.10 shows an error for an editor closed mid-load).
    loaded: list = []
    hook = lambda editor: loaded.append(editor.note.id if editor.note else 0)  # noqa: E731
    gui_hooks.editor_did_load_note.append(hook)
    browser = module.open_browser(nids)
    try:
        # (Anki sets _lastSearchTxt at the Browser's first search, a moment after it shows.)
        anki.anki.wait_until(lambda: browser.isVisible() and getattr(browser, "_lastSearchTxt", "").count(",") == 2,
                             what="the Browser's search of the notes")
        assert set(col.find_notes(browser._lastSearchTxt)) == set(nids)  # the search itself, as it ran
        assert browser.table.len() >= 3
        shown = browser.current_search()
        assert "nid:" not in shown and "3 notes" in shown
        assert not any("," in entry for entry in anki.mw.pm.profile.get("searchHistory", []))
        anki.anki.wait_until(lambda: set(loaded) & set(nids), what="the Browser's editor showing a note")
    finally:
        gui_hooks.editor_did_load_note.remove(hook)
        QTimer.singleShot(60, browser.close)  # (after Anki's 50 ms move onto the screen)
        anki.anki.wait_until(lambda: not browser.isVisible(), what="the Browser closed")

def test_open_sync_log_shows_recent_syncs(anki):
    from aqt.qt import QApplication

    anki.menu_action("Open sync log").trigger()

    def shown() -> list:
        return [w for w in QApplication.topLevelWidgets() if w.objectName() == "polar_sync_log" and w.isVisible()]

    logs = anki.anki.wait_until(shown, what="the sync log window")
    assert logs
    text = logs[-1].text.toPlainText().replace("\u2060", "")  # (less unbroken's joiners)
    assert "Sync when the profile opens" in text
    logs[-1].close()


def test_settings_opens_the_settings_window_and_json_for_experts(anki):
    from aqt.addons import ConfigEditor
    from aqt.qt import QApplication, QPushButton

    anki.menu_action("Settings…").trigger()
    dialog = anki.anki.wait_until(lambda: anki.controller.settings_dialog, what="the settings window")
    assert dialog.isVisible()
    dialog.findChild(QPushButton, "polar_sync_settings_json").click()

    def shown() -> list:
        return [w for w in QApplication.topLevelWidgets() if isinstance(w, ConfigEditor) and w.isVisible()]

    editors = anki.anki.wait_until(shown, what="the config editor")
    assert len(editors) == 1
    editor = editors[0]
    assert json.loads(editor.form.editor.toPlainText())["data_dir"] == str(anki.library)
    editor.reject()
    dialog.reject()


def test_the_settings_window_names_a_value_it_refuses_by_its_label_not_its_key(anki):
    """A tag with a space typed in: the window stays open and says
    "“Tag on every synced note” must be…" (it said "“marker_tag”…", a name
    only the JSON editor shows; qa: a new user's eyes)."""
    from aqt.qt import QLabel, QLineEdit

    anki.menu_action("Settings…").trigger()
    dialog = anki.anki.wait_until(lambda: anki.controller.settings_dialog, what="the settings window")
    field = dialog.findChild(QLineEdit, "polar_sync_setting_marker_tag")
    field.setText("my tag")
    dialog.accept()
    try:
        assert dialog.isVisible()
        said = [w.text().replace("\u2060", "") for w in dialog.findChildren(QLabel) if w.isVisible()]
        assert "“Tag on every synced note” must be a single tag, without spaces or quotes." in said
        assert not [t for t in said if "marker_tag" in t]
    finally:
        dialog.reject()
    assert anki.controller.settings.marker_tag == "polar"


def test_a_bad_config_value_is_reported_not_fatal(anki):
    anki.set_config(watch_debounce_ms="soon")  # the config editor's schema would refuse this
    try:
        anki.settle()
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert not outcome.failed
        assert any(w["path"] == "add-on config" and "watch_debounce_ms" in w["message"]
                   for w in outcome.report.warnings)
        assert anki.controller.settings.watch_debounce_ms == 1500  # the default, meanwhile
    finally:
        anki.set_config(watch_debounce_ms=DEBOUNCE_MS)


def test_a_bug_in_the_sync_is_a_report_row_not_anki_s_error_box(anki, monkeypatch):
    """The sync raising what no rule knows (a bug of ours; a stand-in
    raises here): Anki shows no error box, the notice names one problem,
    the report and the log say it in words with the way on, and the
    traceback is in the add-on's log; the next sync runs as ever."""
    package = type(anki.controller).__module__.rsplit(".", 2)[0]  # the installed add-on's package
    engine = importlib.import_module(f"{package}.sync.engine")

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("no_such_key")

    anki.settle()
    monkeypatch.setattr(engine, "prepare", broken)
    outcome = anki.trigger_and_wait("Sync from Polar")
    monkeypatch.undo()
    try:
        assert outcome.failed and not outcome.interrupted and not outcome.library_error
        assert [(e["code"], e["path"]) for e in outcome.report.errors] == [("sync_failed", "Polar Sync")]
        assert "KeyError: 'no_such_key'" in outcome.report.errors[0]["message"]
        notice = anki.controller.notice
        assert notice is not None and notice.isVisible() and "1 problem" in notice.text()
        dialog = anki.controller.show_last_report()
        assert dialog is not None
        text = dialog.browser.toPlainText()
        assert "unexpected error in the add-on" in text and "Sync again" in text
        dialog.close()
        notice.close()
        from aqt import mw

        log = mw.addonManager.get_logger(anki.controller.module) if hasattr(mw.addonManager, "get_logger") else None
        if log is not None:
            files = [getattr(h, "baseFilename", "") for h in log.handlers]
            logged = "".join(Path(f).read_text(encoding="utf-8") for f in files if f and Path(f).exists())
            assert "sync failed:" in logged and "KeyError: 'no_such_key'" in logged
    finally:
        again = anki.trigger_and_wait("Sync from Polar")
    assert not again.failed and not again.report.errors


def test_syncs_wait_while_the_collection_is_temporarily_closed(anki, tmp_path):
    """Exporting a .colpkg closes the collection for a moment (as a full
    AnkiWeb sync does); a sync asked for meanwhile waits, then runs."""
    import dataclasses

    from aqt.import_export.exporting import ColpkgExporter, ExportOptions

    anki.settle()
    done = anki.controller.runner.finished_count
    wanted = dict(
        out_path=str(tmp_path / "backup.colpkg"), include_scheduling=True, include_deck_configs=True,
        include_media=False, include_tags=True, include_html=True, include_deck=True,
        include_notetype=True, include_guid=True, legacy_support=False, limit=None,
    )
    # Only the fields this Anki has (23.10 has no include_deck_configs).
    known = {f.name for f in dataclasses.fields(ExportOptions)}
    options = ExportOptions(**{k: v for k, v in wanted.items() if k in known})
    ColpkgExporter().export(anki.mw, options)  # fires collection_will_temporarily_close
    anki.menu_action("Sync from Polar").trigger()
    assert not anki.controller.runner.busy and len(anki.controller.runner.pending) == 1

    outcome = anki.wait_synced(done)  # after Anki reopened the collection
    assert (tmp_path / "backup.colpkg").stat().st_size > 0
    assert outcome.request.trigger == "manual" and not outcome.failed


def test_profile_close_stops_the_watcher_and_first_run_message_shows_once(anki, monkeypatch, tmp_path):
    from aqt.qt import QApplication

    mw = anki.mw
    marker = anki.addon_dir / "user_files" / "first-run-shown"
    marker.unlink(missing_ok=True)
    # Nothing configured and no $POLAR_DATA_DIR: the situation of a new user.
    monkeypatch.setenv("POLAR_DATA_DIR", str(tmp_path / "no-polar-here"))
    anki.set_config(data_dir="")
    anki.settle()

    def reopen_profile() -> None:
        mw.unloadProfileAndShowProfileManager()
        anki.anki.wait_until(lambda: mw.col is None and mw.state == "profileManager", what="profile close")
        assert anki.controller.watcher is None  # stopped on profile_will_close
        mw.profileForm.profiles.setCurrentRow(0)
        mw.onOpenProfile()
        anki.anki.wait_until(lambda: mw.col is not None and mw.state == "deckBrowser", what="profile open")

    def first_run_boxes() -> list:
        return [w for w in QApplication.topLevelWidgets()
                if w.objectName() == "polar_sync_library_missing" and w.isVisible() and "Polar library" in w.text()]

    try:
        reopen_profile()
        boxes = anki.anki.wait_until(first_run_boxes, what="the first-run message")  # 0.5 s after the open
        assert len(boxes) == 1 and not boxes[0].isModal()
        assert marker.exists()
        boxes[0].close()
        assert anki.controller.watcher is None

        reopen_profile()
        anki.anki.process(1.0)  # well past the 0.5 s after which the message would come
        assert first_run_boxes() == []  # once, not on every start
    finally:
        monkeypatch.delenv("POLAR_DATA_DIR")
        anki.set_config(data_dir=str(anki.library))
        anki.settle()
    assert anki.controller.watcher is not None  # settings applied without a restart


def test_a_preview_stopped_drops_no_sync_of_a_change_polar_saved_meanwhile(anki):
    """Tools ▸ Polar Sync ▸ Stop the sync (or Escape) during a preview: the
    preview is gone, nothing said (as before). A change Polar saved while it
    ran waits behind it; it was dropped as a stopped sync drops the requests
    queued behind it, though stopping a preview stops no syncing (the core
    owes nothing for a preview): the change then reached Anki only with the
    next save or start."""
    anki.set_config(watch=False)  # (the watcher's request is made here, at a known moment)
    runner = anki.controller.runner
    doc = Doc(anki.library, "1GuiPrevStop000000001", title="Preview stopped")
    doc.card("1GuiPS1", basic("<p>Saved during a preview?</p>", "<p>-</p>"))
    try:
        anki.settle()
        doc.write()
        before = runner.finished_count
        anki.menu_action("Preview (dry run)…").trigger()
        runner.request("watch", {doc.fp})  # Polar saved it meanwhile: queued behind the preview
        stop = anki.menu_action("Stop the sync")
        assert stop.isEnabled()
        stop.trigger()  # (before the reading's first document: it stops there)
        anki.anki.wait_until(lambda: runner.finished_count > before, what="the preview to stop")
        stopped = anki.controller.last_outcome
        assert stopped.request.trigger == "preview" and stopped.interrupted and stopped.by_you
        assert not runner.rest_to_come  # (a preview owes nothing: the next sync reads what it would)
        assert [r.trigger for r in runner.dropped if r.trigger == "watch" and r.only == {doc.fp}] == []
        outcome = anki.wait_synced(before + 1)
        assert outcome.request.trigger == "watch" and outcome.report.created == 1, outcome.report.summary()
        assert any("Saved during a preview?" in f for f in fronts(anki))
    finally:
        doc.remove()
        anki.set_config(watch=True)
        anki.trigger_and_wait("Sync from Polar")
        anki.settle()


def _answer_modal(kind: type, act: Callable[[Any], None]) -> None:
    """Once a modal ``kind`` is up (its own event loop runs), ``act`` on it."""
    from aqt.qt import QApplication, QDialog, QTimer

    tries = [0]

    def poll() -> None:
        shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
        tries[0] += 1
        if shown:
            act(shown[0])
        elif tries[0] > 1000:  # ~20 s: fail the test rather than hang in a modal loop
            for w in QApplication.topLevelWidgets():
                if isinstance(w, QDialog) and w.isVisible():
                    w.close()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(0, poll)


def type_and_open(dialog: Any, path: Path) -> None:
    """What a user does in Qt's file dialog: type the path, click Open (the
    dialog Anki's static call made is C++-owned: its accept() is not ours)."""
    from aqt.qt import QDialogButtonBox, QLineEdit

    dialog.findChild(QLineEdit, "fileNameEdit").setText(str(path))
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open).click()


def test_use_a_polar_export_picks_the_file_and_syncs_it(anki, tmp_path):
    from aqt.qt import QFileDialog

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    anki.settle()
    # What Polar 2.x downloads: a gzip'd tar named .zip, of the same library.
    export = write_export(tmp_path / EXPORT_NAME, library_metas(anki.library))
    notes_before = len(anki.notes())
    seen: Dict[str, Any] = {}

    def pick(dialog: Any) -> None:
        seen["filters"] = dialog.nameFilters()
        type_and_open(dialog, export)

    _answer_modal(QFileDialog, pick)
    before = anki.controller.runner.finished_count
    try:
        anki.menu_action("Use a Polar export…").trigger()
        outcome = anki.wait_synced(before, 60)
        assert any("*.tgz" in f and "*.zip" in f for f in seen["filters"])
        assert any(f.endswith("(*)") for f in seen["filters"])  # any name, no extension too
        assert anki.mw.addonManager.getConfig(anki.controller.module)["data_dir"] == str(export)
        assert not outcome.failed and outcome.report.errors == []
        # The same documents (by fingerprint): nothing new, no note lost.
        assert outcome.report.created == 0 and outcome.report.deleted == 0
        assert len(anki.notes()) == notes_before
        watcher = anki.controller.watcher  # an export does not change by itself
        assert watcher is None or (watcher.wait_started(30) and watcher.idle and watcher.backend is None)
        cache = anki.addon_dir / "user_files"
        assert list(cache.glob("state-*.export-cache.sqlite"))
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()
    assert anki.controller.watcher is not None


def test_a_file_that_is_not_an_export_is_refused_with_a_message(anki, tmp_path):
    from aqt.qt import QFileDialog, QMessageBox

    anki.settle()
    not_export = tmp_path / "notes.zip"
    not_export.write_text("not an archive")
    seen: Dict[str, Any] = {}

    def refuse(box: Any) -> None:
        seen["text"] = box.text().replace("\u2060", "")  # (its path kept whole: unbroken)
        box.close()

    def pick(dialog: Any) -> None:
        _answer_modal(QMessageBox, refuse)
        type_and_open(dialog, not_export)

    _answer_modal(QFileDialog, pick)
    anki.menu_action("Use a Polar export…").trigger()
    anki.anki.wait_until(lambda: "text" in seen, 15, "the warning")
    assert str(not_export) in seen["text"]
    assert anki.mw.addonManager.getConfig(anki.controller.module)["data_dir"] == str(anki.library)


def test_the_settings_export_button_takes_what_the_menus_entry_takes(anki, tmp_path):
    """Settings ▸ Use a Polar export… (the same words as the menu's entry)
    put any file in the field: a file picked inside an unpacked export,
    which the menu takes as the export's folder, was saved as the library
    and the sync then found none; a file that is no export, which the menu
    refuses with the reason, was saved to fail at the sync. Now as the menu."""
    import tarfile

    from aqt.qt import QFileDialog, QMessageBox, QPushButton

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    anki.settle()
    unpacked = tmp_path / "export"
    with tarfile.open(write_export(tmp_path / EXPORT_NAME, library_metas(anki.library))) as archive:
        archive.extractall(unpacked)
    inside = next((unpacked / "doc_meta").iterdir())
    not_export = tmp_path / "notes.zip"
    not_export.write_text("not an archive")
    dialog = anki.controller.open_settings()
    try:
        button = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Use a Polar export…")
        _answer_modal(QFileDialog, lambda chooser: type_and_open(chooser, inside))
        button.click()
        anki.anki.wait_until(lambda: dialog.path_edit.text() != str(anki.library), 15, "the chosen file")
        assert dialog.path_edit.text() == str(unpacked)  # the export, not one of its files

        seen: Dict[str, Any] = {}

        def refuse(box: Any) -> None:
            seen["text"] = box.text().replace("\u2060", "")
            box.close()

        def pick(chooser: Any) -> None:
            _answer_modal(QMessageBox, refuse)
            type_and_open(chooser, not_export)

        _answer_modal(QFileDialog, pick)
        button.click()
        anki.anki.wait_until(lambda: "text" in seen, 15, "the warning")
        assert "cannot use this file" in seen["text"] and str(not_export) in seen["text"]
        assert dialog.path_edit.text() == str(unpacked)  # (unchanged)
    finally:
        dialog.reject()
        anki.settle()
    assert anki.mw.addonManager.getConfig(anki.controller.module)["data_dir"] == str(anki.library)


def test_an_export_chosen_while_the_browser_downloads_it(anki, tmp_path):
    """Firefox's empty placeholder chosen: refused, the message says empty
    and names the .part (the setting unchanged). Chrome's .crdownload chosen
    (All files): synced as far as it goes, one warning, nothing taken as
    deleted; the download done (renamed), Sync from Polar reads the finished
    file though the setting still names the .crdownload."""
    from aqt.qt import QFileDialog, QMessageBox

    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    anki.settle()
    full = write_export(tmp_path / "server" / EXPORT_NAME, library_metas(anki.library)).read_bytes()
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    final = downloads / EXPORT_NAME
    final.write_bytes(b"")
    (downloads / (EXPORT_NAME + ".part")).write_bytes(full[: len(full) // 3])
    seen: Dict[str, Any] = {}

    def refuse(box: Any) -> None:
        seen["text"] = box.text().replace("\u2060", "")  # (its path kept whole: unbroken)
        box.close()

    def pick_placeholder(dialog: Any) -> None:
        _answer_modal(QMessageBox, refuse)
        type_and_open(dialog, final)

    _answer_modal(QFileDialog, pick_placeholder)
    anki.menu_action("Use a Polar export…").trigger()
    anki.anki.wait_until(lambda: "text" in seen, 15, "the warning")
    assert "is empty" in seen["text"] and EXPORT_NAME + ".part" in seen["text"], seen["text"]
    assert anki.mw.addonManager.getConfig(anki.controller.module)["data_dir"] == str(anki.library)
    final.unlink()
    (downloads / (EXPORT_NAME + ".part")).unlink()
    partial = downloads / (EXPORT_NAME + ".crdownload")
    partial.write_bytes(full[:-200])  # all but its end
    notes_before = len(anki.notes())
    deleted_before = len(anki.notes("tag:polar::deleted"))
    suspended_before = set(anki.mw.col.find_cards("tag:polar is:suspended"))
    _answer_modal(QFileDialog, lambda dialog: type_and_open(dialog, partial))
    before = anki.controller.runner.finished_count
    try:
        anki.menu_action("Use a Polar export…").trigger()
        outcome = anki.wait_synced(before, 60)
        report = outcome.report
        assert not outcome.failed and (report.orphaned, report.deleted) == (0, 0), report.warnings
        assert [w["code"] for w in report.warnings] == ["export_downloading"], report.warnings
        assert not report.errors and len(anki.notes()) == notes_before
        assert len(anki.notes("tag:polar::deleted")) == deleted_before
        assert set(anki.mw.col.find_cards("tag:polar is:suspended")) == suspended_before
        partial.write_bytes(full)
        partial.rename(final)
        done = anki.trigger_and_wait("Sync from Polar")
        assert not done.failed and not done.report.errors and not done.report.warnings, done.report.warnings
        assert (done.report.orphaned, done.report.deleted) == (0, 0) and len(anki.notes()) == notes_before
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()


def test_an_export_of_another_polar_account_suspends_nothing_of_the_first(anki, tmp_path):
    """Chosen in the menu after the test library: another account's export
    is another library; the first library's notes are not suspended, the
    report says why in the user's words, and back to the first library
    nothing of the second is suspended either."""
    from aqt.qt import QFileDialog

    from addon.gui.report_text import explain
    from tests.polar_factory import Doc, basic
    from tools.polar_export import write_export

    anki.settle()
    doc = Doc(tmp_path / "other", "1OtherAccountDocument000", title="Another account")
    doc.card("1OtherCard1", basic("other front", "other back")).write()
    export = write_export(tmp_path / "Downloads" / "1OtherAcct-2021-03-14T09:26:53.512Z.zip", [doc.meta],
                          uid="uidOfAnotherAccount")
    notes_before = len(anki.notes())
    suspended_before = set(anki.mw.col.find_cards("tag:polar is:suspended"))
    _answer_modal(QFileDialog, lambda dialog: type_and_open(dialog, export))
    before = anki.controller.runner.finished_count
    try:
        anki.menu_action("Use a Polar export…").trigger()
        outcome = anki.wait_synced(before, 60)
        report = outcome.report
        assert not outcome.failed and report.created == 1 and (report.orphaned, report.deleted) == (0, 0)
        switched = [w for w in report.warnings if w["code"] == "library_switched"]
        assert len(switched) == 1 and "another Polar library" in explain(switched[0]), report.warnings
        assert len(anki.notes()) == notes_before + 1
        assert set(anki.mw.col.find_cards("tag:polar is:suspended")) == suspended_before
    finally:
        anki.set_config(data_dir=str(anki.library))
        anki.settle()
    back = anki.trigger_and_wait("Sync from Polar")
    assert not back.failed and (back.report.orphaned, back.report.deleted) == (0, 0), back.report.warnings
    assert set(anki.mw.col.find_cards("tag:polar is:suspended")) == suspended_before
