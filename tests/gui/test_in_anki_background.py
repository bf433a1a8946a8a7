"""Background syncs beside a person using Anki (real Anki, see conftest.py):
a note open in an editor, AnkiWeb syncing, Edit ▸ Undo, the profile closing
while a sync reads. Quitting Anki mid-write needs an Anki of its own:
test_quit_mid_sync.py.

Each story checks the notes, the Undo menu, the sync log and that nothing
reached Anki's error handler (which prints to stdout and opens a window).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, List, Tuple

import pytest

from addon.gui import synclog
from addon.gui.operations import trigger_label
from addon.sync.identity import guid_for
from tests.gui.anki_output import media_server_noise_removed
from tests.polar_factory import Doc, basic

pytestmark = pytest.mark.anki


def nids_for(anki, card_id: str) -> List[int]:
    col = anki.mw.col
    return [nid for nid in col.find_notes("") if col.get_note(nid).guid == guid_for(card_id)]


def note_for(anki, card_id: str) -> Any:
    nids = nids_for(anki, card_id)
    assert len(nids) == 1, (card_id, nids)
    return anki.mw.col.get_note(nids[0])


def log_text(anki) -> str:
    return (anki.addon_dir / "user_files" / "sync-log.txt").read_text(encoding="utf-8")


def no_errors(capfd) -> None:
    out, err = capfd.readouterr()
    for text in (out, err):
        for sign in ("Traceback", "CollectionNotOpen", "has been deleted"):
            assert sign not in media_server_noise_removed(text), text[-3000:]


def undo_text(anki) -> str:
    return anki.mw.form.actionUndo.text()


@pytest.fixture
def quiet(anki) -> Iterator[Any]:
    """The Undo rule's clock; put back afterwards."""
    watch = anki.controller.quiet
    before = watch.seconds
    yield watch
    watch.seconds = before
    anki.controller.runner.pump()


@pytest.fixture
def loads(anki) -> Iterator[List[Any]]:
    """Every note load of every editor (a reload is what moves the caret)."""
    from aqt import gui_hooks

    seen: List[Any] = []
    hook = seen.append
    gui_hooks.editor_did_load_note.append(hook)
    yield seen
    gui_hooks.editor_did_load_note.remove(hook)


def open_browser_on(anki, nid: int, loads: List[Any]) -> Any:
    import aqt

    browser = aqt.dialogs.open("Browser", anki.mw, search=(f"nid:{nid}",))
    anki.anki.wait_until(
        lambda: browser.editor is not None and browser.editor.note is not None
        and browser.editor.note.id == nid and any(e is browser.editor for e in loads),
        30, "the Browser's editor to show the note",
    )
    return browser


def type_into(anki, qtbot, editor: Any, field: int, text: str) -> None:
    """Type ``text`` at the caret of the focused field, key by key, as a
    person does; the editor page saves it (an "Update Note" step)."""
    nid = editor.note.id
    if editor.currentField != field:
        editor.web.setFocus()
        editor.web.eval(f'require("anki/ui").loaded.then(() => focusField({field}));')
        anki.anki.wait_for_page(lambda: editor.currentField == field, 15, "the field to take the focus")
    qtbot.keyClicks(editor.web.focusProxy(), text)
    anki.anki.wait_for_page(lambda: text in anki.mw.col.get_note(nid).fields[field], 15, "the typing to be saved")


def back_text(anki, nid: int) -> str:
    return anki.mw.col.get_note(nid)["Back"]


@contextmanager
def typed_in_then_changed_in_polar(
    anki, loads, qtbot, doc_id: str, card_id: str, front: str,
) -> Iterator[Tuple[int, Any]]:
    """A one-card document synced by hand; its note open in the Browser with
    "mine" typed into Back (the caret stays there); then Polar's new front,
    ``front`` + ", Polar's", written but not synced. Yields the note's id
    and the Browser. The watcher is off meanwhile (the test syncs by hand);
    the Browser closes afterwards."""
    anki.settle()
    doc = Doc(anki.library, doc_id, title=front)
    doc.card(card_id, basic(f"<p>{front}</p>", "<p>Back</p>"))
    anki.set_config(watch=False)
    try:
        doc.write(atomic=True)
        anki.trigger_and_wait("Sync from Polar")
        nid = note_for(anki, card_id).id
        browser = open_browser_on(anki, nid, loads)
        try:
            type_into(anki, qtbot, browser.editor, 1, "mine")
            doc.find_card(card_id)[1]["fields"]["front"]["HTML"] = f"<p>{front}, Polar's</p>"
            doc.write(atomic=True)
            yield nid, browser
        finally:
            browser.close()
    finally:
        anki.set_config(watch=True)
        anki.settle()


def test_a_note_open_in_the_browser_is_left_alone_until_the_editor_lets_go(anki, quiet, loads, qtbot, capfd):
    anki.settle()
    quiet.seconds = 0  # this story is about the editor, not about Undo
    c = anki.controller
    doc = Doc(anki.library, "1GuiEditorDoc00000001", title="Editor")
    doc.card("1GuiEd1", basic("<p>Open front</p>", "<p>Open back</p>"))
    doc.card("1GuiEd2", basic("<p>Other front</p>", "<p>Other back</p>"))
    before = c.runner.finished_count
    doc.write(atomic=True)
    anki.wait_synced(before)
    nid = note_for(anki, "1GuiEd1").id

    browser = open_browser_on(anki, nid, loads)
    editor = browser.editor
    try:
        type_into(anki, qtbot, editor, 1, "typedA")
        loaded = len(loads)

        # Polar rewrites the open card and the other one while the user types.
        for cid, front in (("1GuiEd1", "<p>Open front, new in Polar</p>"),
                           ("1GuiEd2", "<p>Other front, new in Polar</p>")):
            doc.find_card(cid)[1]["fields"]["front"]["HTML"] = front
        count = c.runner.finished_count
        doc.write(atomic=True)
        outcome = anki.wait_synced(count)
        assert outcome.request.trigger == "watch" and not outcome.failed
        assert outcome.report.deferred == {nid: "1GuiEditorDoc00000001"}
        assert outcome.report.updated == 1 and not outcome.report.conflicts
        assert "Other front, new in Polar" in note_for(anki, "1GuiEd2")["Front"]
        # The open note: untouched in the collection and in the editor, which
        # was not reloaded.
        assert anki.mw.col.get_note(nid)["Front"] == "<p>Open front</p>" and "typedA" in back_text(anki, nid)
        assert editor.note.id == nid and "typedA" in editor.note["Back"]
        assert len(loads) == loaded
        assert c.deferred == {nid: "1GuiEditorDoc00000001"}
        assert "left for later (open in an editor)" in log_text(anki)

        # The caret stayed where the user left it: the next keys follow on.
        type_into(anki, qtbot, editor, 1, "B")
        assert "typedAB" in back_text(anki, nid)
        assert len(loads) == loaded and anki.mw.col.get_note(nid)["Front"] == "<p>Open front</p>"
    finally:
        count = c.runner.finished_count
        browser.close()  # the editor saves and lets go of the note

    # Then the note syncs like any Anki-side edit: three-way, field by field.
    outcome = anki.wait_synced(count)
    assert outcome.report.deferred == {} and outcome.request.only == frozenset({"1GuiEditorDoc00000001"})
    note = anki.mw.col.get_note(nid)
    assert "Open front, new in Polar" in note["Front"]
    assert "typedAB" in note["Back"] and "Open back" in note["Back"]
    assert not outcome.report.conflicts
    assert c.deferred == {} and anki.mw.col.undo_status().undo == "Sync from Polar"
    no_errors(capfd)


def test_a_manual_sync_saves_the_open_editor_then_merges_and_shows_the_result(anki, loads, qtbot, capfd):
    with typed_in_then_changed_in_polar(anki, loads, qtbot, "1GuiManualEditDoc0001", "1GuiMe1", "Manual front") as (
        nid, browser,
    ):
        # Keys typed just now, not saved yet when the sync is asked for:
        # the sync has the editor save them first.
        qtbot.keyClicks(browser.editor.web.focusProxy(), "andmore")
        loaded = len(loads)
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.report.updated == 1 and outcome.report.deferred == {}
        note = anki.mw.col.get_note(nid)
        assert "Manual front, Polar's" in note["Front"] and "mineandmore" in note["Back"]
        # Asked for by hand: the editor shows the merged note, one Undo step.
        anki.anki.wait_for_page(lambda: len(loads) > loaded, 15, "the editor to show the merged note")
        assert "Manual front, Polar's" in browser.editor.note["Front"]
        assert anki.mw.col.undo_status().undo == "Sync from Polar"
        assert "Sync from Polar" in undo_text(anki)
    no_errors(capfd)


def test_a_long_manual_write_keeps_polars_change_to_the_note_an_editor_shows(anki, loads, qtbot, capfd):
    """A manual sync's writing that lasts long enough for a progress window
    (Anki shows one 0.6 s into an op) must not let that window take the
    focus from an editor mid-write: the editor's "blur" would save the note
    it holds, from before the sync, over what the sync wrote, and the next
    sync would take the revert for an edit made in Anki."""
    import time

    runner = anki.controller.runner
    plain = runner._progress_from_thread
    slowed: List[str] = []
    with typed_in_then_changed_in_polar(anki, loads, qtbot, "1GuiLongWriteDoc00001", "1GuiLw1", "Long front") as (
        nid, browser,
    ):
        def slow(message: str) -> None:
            # The writing of a big library: its first step takes over a
            # second, on the collection's thread (the main thread runs on).
            plain(message)
            if runner._writing and not slowed:
                slowed.append(message)
                time.sleep(1.5)

        runner._progress_from_thread = slow
        try:
            outcome = anki.trigger_and_wait("Sync from Polar")  # the caret still in the Back field
        finally:
            runner._progress_from_thread = plain
        assert slowed, "the writing said nothing"
        assert outcome.report.updated == 1 and not outcome.report.conflicts
        anki.anki.process(1.0)  # anything the window's focus changes queued
        note = anki.mw.col.get_note(nid)
        assert "Long front, Polar's" in note["Front"] and "mine" in note["Back"]
        anki.anki.wait_until(lambda: "Long front, Polar's" in browser.editor.note["Front"], 15,
                             "the editor to show the synced note")
    anki.anki.process(0.5)
    note = anki.mw.col.get_note(nid)
    assert "Long front, Polar's" in note["Front"] and "mine" in note["Back"]
    # Nothing for the next sync to take for an edit in Anki.
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert not outcome.report.changed and not outcome.report.conflicts, outcome.report.summary()
    no_errors(capfd)


def test_an_editor_that_never_answers_delays_a_manual_sync_but_never_stops_it(anki, monkeypatch, capfd):
    """An add-on's editor whose page hangs: it never answers the save and
    its field never gives up the focus. The manual sync waits for it at
    most the two timeouts, with its progress window open all the while
    (Anki's own progress timers would not fire then), and then syncs."""
    import sys

    from aqt.qt import QWidget

    anki.settle()
    c = anki.controller
    editors = sys.modules[type(c.editors).__module__]  # the installed add-on's module
    monkeypatch.setattr(editors, "SAVE_TIMEOUT_MS", 1500)
    monkeypatch.setattr(editors, "BLUR_TIMEOUT_MS", 500)
    note = anki.notes()[0]
    saves: List[bool] = []

    class HungEditor:
        web = object()  # (a closed editor has none)
        addMode = False
        currentField = 0

        def __init__(self) -> None:
            self.widget = QWidget()
            self.note = note

        def call_after_note_saved(self, callback: Any, keepFocus: bool = False) -> None:
            saves.append(keepFocus)  # ... and never calls back

    hung = HungEditor()
    c.editors.track(hung)
    anki.set_config(watch=False)
    try:
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert not outcome.failed and saves == [True]
        anki.wait_progress_closed()
    finally:
        hung.web = None  # closed, as Editor.cleanup() leaves it
        hung.widget.deleteLater()
        anki.set_config(watch=True)
        anki.settle()
    assert hung not in c.editors.live()
    no_errors(capfd)


def test_every_sync_waits_for_ankiweb_then_runs_once(anki, quiet, capfd):
    from aqt import gui_hooks

    anki.settle()
    quiet.seconds = 0
    c = anki.controller
    done = c.runner.finished_count
    doc = Doc(anki.library, "1GuiAnkiWebDoc0000001", title="AnkiWeb")
    doc.card("1GuiAw1", basic("<p>After AnkiWeb?</p>", "<p>yes</p>"))
    gui_hooks.sync_will_start()  # what Anki fires when its AnkiWeb sync begins
    try:
        doc.write(atomic=True)
        anki.anki.wait_until(lambda: c.runner.pending, 20, "the watcher's request")
        anki.menu_action("Sync from Polar").trigger()
        assert c.runner.waiting == "ankiweb" and not c.runner.busy
        assert [r.trigger for r in c.runner.pending] == ["manual"]  # merged
        assert c.runner.finished_count == done
        assert not nids_for(anki, "1GuiAw1")
    finally:
        gui_hooks.sync_did_finish()
    outcome = anki.wait_synced(done)
    assert c.runner.finished_count == done + 1
    assert outcome.request.trigger == "manual" and outcome.report.created == 1
    assert note_for(anki, "1GuiAw1")["Back"].startswith("<p>yes</p>")

    # AnkiWeb starting while a sync reads: nothing is written until it is
    # over, then the library is read again.
    done = c.runner.finished_count
    doc.find_card("1GuiAw1")[1]["fields"]["back"]["HTML"] = "<p>still yes</p>"
    anki.set_config(watch=False)
    try:
        doc.write(atomic=True)
        c.runner.request("manual")
        assert c.runner.busy  # reading on a worker thread
        gui_hooks.sync_will_start()
        try:
            anki.anki.wait_until(lambda: not c.runner.busy, 20, "the read to end")
            assert c.runner.pending and c.runner.finished_count == done
            assert note_for(anki, "1GuiAw1")["Back"].startswith("<p>yes</p>")
        finally:
            gui_hooks.sync_did_finish()
        outcome = anki.wait_synced(done)
        assert outcome.report.updated == 1 and c.runner.finished_count == done + 1
        assert note_for(anki, "1GuiAw1")["Back"].startswith("<p>still yes</p>")
    finally:
        anki.set_config(watch=True)
    assert log_text(anki).count(f"[Polar Test · {trigger_label('manual')}]") >= 2
    no_errors(capfd)


def test_ankiweb_beginning_while_a_background_sync_looks_at_the_folder_holds_it(anki, quiet, capfd):
    """A background sync looks at the Polar folder on a thread of its own
    before it reads (a share may hang): AnkiWeb's sync beginning before
    that look comes back holds it, unread, until AnkiWeb is done."""
    from aqt import gui_hooks

    anki.settle()
    quiet.seconds = 0
    c = anki.controller
    anki.set_config(watch=False)  # (the request is made here)
    doc = Doc(anki.library, "1GuiAnkiWebLook000001", title="AnkiWeb look")
    doc.card("1GuiAwL1", basic("<p>Looked, then AnkiWeb?</p>", "<p>yes</p>"))
    try:
        anki.settle()
        doc.write(atomic=True)
        done = c.runner.finished_count
        c.runner.request("watch", {doc.fp})
        assert c.runner.busy and c.runner._looking is not None  # (its look is on its thread)
        gui_hooks.sync_will_start()  # before the look's answer reaches Anki's window
        try:
            anki.anki.wait_until(lambda: c.runner._looking is None and not c.runner.busy, 20, "the look's answer")
            assert c.runner.waiting == "ankiweb" and [r.trigger for r in c.runner.pending] == ["watch"]
            assert c.runner.finished_count == done and not nids_for(anki, "1GuiAwL1")
        finally:
            gui_hooks.sync_did_finish()
        outcome = anki.wait_synced(done)
        assert outcome.request.trigger == "watch" and outcome.report.created == 1
        assert c.runner.finished_count == done + 1
    finally:
        doc.remove()
        anki.set_config(watch=True)
        anki.trigger_and_wait("Sync from Polar")
    no_errors(capfd)


def test_a_background_sync_leaves_the_users_last_step_on_top_of_undo(anki, quiet, capfd):
    from aqt.operations.note import update_note

    anki.settle()
    c = anki.controller
    quiet.seconds = 3600  # the user is busy: no quiet moment yet
    mine = note_for(anki, "1GuiEd2")
    original = mine["Back"]
    mine["Back"] = "<p>my own edit</p>"
    update_note(parent=anki.mw, note=mine).run_in_background()  # as the editor saves
    anki.anki.wait_until(lambda: anki.mw.col.undo_status().undo == "Update Note", 15, "the edit")

    doc = Doc(anki.library, "1GuiUndoDoc0000000001", title="Undo")
    doc.card("1GuiUn1", basic("<p>Arrives at a quiet moment</p>", "<p>-</p>"))
    doc.write(atomic=True)
    anki.anki.wait_until(lambda: c.runner.waiting == "quiet" and c.runner.pending, 20, "the sync to wait")
    assert not c.runner.busy
    assert "Update Note" in undo_text(anki)  # Edit ▸ Undo still offers the user's step

    anki.mw.form.actionUndo.trigger()
    anki.anki.wait_until(lambda: anki.mw.col.get_note(mine.id)["Back"] == original, 15, "Undo")
    assert not nids_for(anki, "1GuiUn1")

    done = c.runner.finished_count
    quiet.seconds = 0.5  # the user pauses
    c.runner.pump()
    outcome = anki.wait_synced(done)
    assert outcome.request.trigger == "watch" and outcome.report.created == 1
    assert anki.mw.col.get_note(mine.id)["Back"] == original  # the user's Undo stands
    assert anki.mw.col.undo_status().undo == "Sync from Polar"
    assert "Sync from Polar" in undo_text(anki)

    # With our own step on top there is nothing of the user's to protect:
    # the next watcher sync lands at once, however busy the clock says.
    quiet.seconds = 3600
    done = c.runner.finished_count
    doc.card("1GuiUn2", basic("<p>Right after</p>", "<p>-</p>"))
    doc.write(atomic=True)
    outcome = anki.wait_synced(done)
    assert outcome.report.created == 1
    assert f"[Polar Test · {trigger_label('watch')} (1 document)]" in log_text(anki)
    no_errors(capfd)


def test_an_edit_made_without_an_operation_also_counts_for_undo(anki, quiet, capfd):
    """An add-on writing through the plain collection API fires no hook; the
    Undo rule still sees its step (``undo_status().last_step`` moved)."""
    anki.settle()
    c = anki.controller
    quiet.seconds = 3600
    mine = note_for(anki, "1GuiEd2")
    mine.tags.append("tagged_by_an_addon")
    anki.mw.col.update_note(mine)  # no CollectionOp, no operation_did_execute
    doc = Doc(anki.library, "1GuiUndoDoc0000000002", title="Undo 2")
    doc.card("1GuiUn3", basic("<p>After the add-on's step</p>", "<p>-</p>"))
    doc.write(atomic=True)
    anki.anki.wait_until(lambda: c.runner.waiting == "quiet" and c.runner.pending, 20, "the sync to wait")
    assert anki.mw.col.undo_status().undo == "Update Note" and not nids_for(anki, "1GuiUn3")
    done = c.runner.finished_count
    quiet.seconds = 0
    c.runner.pump()
    assert anki.wait_synced(done).report.created == 1
    no_errors(capfd)


def test_closing_the_profile_while_a_sync_reads_logs_it_as_interrupted(anki, capfd):
    mw = anki.mw
    anki.settle()
    doc = Doc(anki.library, "1GuiCloseDoc000000001", title="Closed")
    doc.card("1GuiCl1", basic("<p>Read while closing</p>", "<p>-</p>"))
    anki.set_config(watch=False)
    try:
        doc.write(atomic=True)
        c = anki.controller
        c.runner.request("manual")
        assert c.runner.busy  # reading on a worker thread
        mw.unloadProfileAndShowProfileManager()  # profile_will_close runs now, inside this call
        assert not c.runner.busy and c.runner.closing
        # A switch of profile, not Anki closing (eyes9: "interrupted by closing Anki"), and nothing changed.
        entry = synclog.read_log(anki.addon_dir / "user_files")[0]
        assert ("Polar Sync: stopped when you switched profiles, before it changed anything; "
                "the next sync does it.") in entry, entry
        assert "closing Anki" not in entry and "Anki closed" not in entry
        anki.anki.wait_until(lambda: mw.col is None and mw.state == "profileManager", what="profile close")
        mw.profileForm.profiles.setCurrentRow(0)
        mw.onOpenProfile()
        anki.anki.wait_until(lambda: mw.col is not None and mw.state == "deckBrowser", what="profile open")
    finally:
        anki.set_config(watch=True)
    anki.settle()
    outcome = anki.trigger_and_wait("Sync from Polar")  # the next sync finishes the job
    assert not outcome.failed and nids_for(anki, "1GuiCl1")
    no_errors(capfd)


def test_a_progress_window_gone_with_the_window_it_was_opened_over_is_left_alone(anki, qtbot, capfd):
    """Anki opens its "Processing…" window over the active window. When that
    window (Browse, an editor) closes while a sync writes, Qt deletes the
    progress window with it, but Anki still holds it until its finish():
    the sync's next progress message must not set a label on it (Anki's
    error window: "wrapped C/C++ object of type QLabel has been deleted")."""
    from aqt.qt import QDialog, sip

    progress, runner = anki.mw.progress, anki.controller.runner
    anki.wait_progress_closed()
    assert not runner.busy
    over = QDialog(anki.mw)
    over.show()
    progress.start(parent=over)
    try:
        progress._showWin()  # on screen, as 0.6 s into an op
        win = progress._win
        sip.delete(over)  # the window closes: its children go with it
        assert sip.isdeleted(win) and progress._win is win
        runner._writing = True  # as while our CollectionOp runs
        try:
            runner._progress_from_thread("Adding notes… 1000/5000")
            anki.anki.process(0.3)  # the message reaches the main thread
        finally:
            runner._writing = False
    finally:
        progress.finish()
    anki.wait_progress_closed()
    assert progress._win is None
    no_errors(capfd)
