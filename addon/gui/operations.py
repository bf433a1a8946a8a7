"""Running syncs from the GUI without freezing it.

``prepare`` (read, parse, render: two config reads, no writes) runs as a
``QueryOp.without_collection()`` so Anki stays usable; ``Prepared.apply``
runs as a ``CollectionOp`` (one undo step, browser/editor refresh). A
preview applies with ``dry_run`` inside a plain ``QueryOp``: nothing written,
no undo entry.

Only one sync runs at a time. Requests that arrive meanwhile (the watcher,
a second click) wait in a queue and merge: two requests for different
documents become one request for both; a whole-library request absorbs the
rest.

Living beside the user (see docs/background.md):
* holds: nothing starts or writes while AnkiWeb syncs or the collection is
  closed for a moment; what was asked meanwhile runs afterwards;
* a background request writes only at a quiet moment (``quiet.UndoWatch``),
  and leaves alone every note an editor shows (``editors.OpenEditors``):
  those are deferred, and synced once the editor lets go;
* a manual sync has the open editors save first, then merges;
* closing the profile cancels a running sync at its next step and waits for
  it, so the collection never closes under a write;
* Escape or Cancel in the progress window (ours, or Anki's over our writing)
  stops the sync at its next stop point (``prepare(stop=...)``): between two
  documents of the reading, nothing written; between two batches of new
  notes, what was added is kept, in its undo step, and remembered. The
  background requests queued meanwhile are dropped (the person wanted the
  syncing to stop: the next change or start syncs again), and the next sync
  reads the whole library, so the rest comes with it.
"""

from __future__ import annotations

import errno
import threading
import time
import traceback
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Literal, Optional, Sequence, Set, Tuple

from anki.collection import OpChanges
from aqt.operations import CollectionOp, QueryOp
from aqt.qt import QEventLoop, QTimer, qconnect, sip

from ..polar.library import SourceError, beside, export_needs_reading, resolve_data_dir
from ..settings import Settings
from ..sync.stop import Stopped
from .direction import in_anki
from .editors import OpenEditors
from .i18n import tr
from .polar_folder import folder_looks
from .quiet import UndoWatch, our_step_name
from .quiet_progress import QuietProgress
from .report_text import STOPPED_BY_YOU, ChangeTree, change_tree, progress_share, progress_words, source_error_words
from .spent_progress import SpentProgress
from .synclog import MAX_SAVED_CHANGES
from .synclog import state_path as profile_state_path

if TYPE_CHECKING:
    from ..sync.report import Report

# Who asked for a sync.
Trigger = Literal["manual", "preview", "startup", "watch", "settings"]
MANUAL: Trigger = "manual"
PREVIEW: Trigger = "preview"
STARTUP: Trigger = "startup"
WATCH: Trigger = "watch"
SETTINGS: Trigger = "settings"

# Who asked, in words for the log and the report window.
TRIGGER_LABELS: Dict[Trigger, str] = {
    MANUAL: "Tools ▸ Sync from Polar",
    PREVIEW: "Preview (dry run)",
    STARTUP: "Sync when the profile opens",  # (the setting that asks for it, by its name)
    WATCH: "Polar saved a change",
    SETTINGS: "settings changed",
}


def trigger_label(trigger: Trigger) -> str:
    """TRIGGER_LABELS in the interface language."""
    words = {
        MANUAL: tr("Tools ▸ Sync from Polar"),
        PREVIEW: tr("Preview (dry run)"),
        STARTUP: tr("Sync when the profile opens"),
        WATCH: tr("Polar saved a change"),
        SETTINGS: tr("settings changed"),
    }
    return words[trigger]
# Syncs a person started get a progress window; background ones stay quiet.
INTERACTIVE: FrozenSet[Trigger] = frozenset({MANUAL, PREVIEW})
# When two requests merge, the more visible trigger wins.
_RANK: Dict[Trigger, int] = {WATCH: 0, SETTINGS: 1, STARTUP: 2, MANUAL: 3, PREVIEW: 3}


@dataclass(frozen=True)
class SyncRequest:
    trigger: Trigger
    only: Optional[FrozenSet[str]] = None  # document keys; None = the whole library
    # Documents the watcher saw rewritten in place (not replaced): one that
    # cannot be parsed just after is taken as a copy still running.
    in_place: FrozenSet[str] = frozenset()
    # Only if the library is there (a folder newly chosen in the settings):
    # else dropped without a word. Looked at when it starts, off Anki's
    # main thread with the rest of its looks at the folder.
    if_there: bool = False

    @property
    def dry_run(self) -> bool:
        return self.trigger == PREVIEW

    def merge(self, other: SyncRequest) -> Optional[SyncRequest]:
        if self.dry_run != other.dry_run:
            return None
        only = None if self.only is None or other.only is None else self.only | other.only
        trigger = max(self.trigger, other.trigger, key=_RANK.__getitem__)
        return SyncRequest(trigger, only, self.in_place | other.in_place, self.if_there and other.if_there)


# Closing Anki waits this long at most for a running sync to reach its next
# step (a large first sync adds its notes in steps of a few seconds).
CLOSE_WAIT_SECONDS = 120.0
# At most this long for the editors opened during the writing to hand over
# what their page holds and take what the sync wrote (a round trip to each page).
EDITOR_WAIT_SECONDS = 5.0
# At most this long for the last sync's log entry when the profile closes.
LOG_WAIT_SECONDS = 10.0


class Interrupted(Exception):
    """Raised from the sync's progress callback once the profile closes: the
    sync stops at its next step, like a killed sync (the collection is
    written before the state file, so the next sync converges)."""


@dataclass
class Outcome:
    request: SyncRequest
    report: Report
    started: float
    finished: float
    failed: bool = False  # prepare/apply raised: the report holds the reason
    # The library itself is missing or unreadable: not a sync problem but a
    # state of its own (nothing read, nothing counted); the reason, in English.
    library_error: str = ""
    interrupted: bool = False  # stopped because the profile closed (or, with ``by_you``, before it wrote)
    # The report's change rows, made or begun on Anki's worker thread (None: not made)
    change_rows: Optional[Sequence[Dict[str, Any]]] = None
    # The report window's tree of those rows, made on the worker thread
    # when the window is likely to open (a preview; a problem, a conflict)
    changes: Optional[ChangeTree] = None
    # The sync's last progress message (where an interrupted sync stopped:
    # "Adding notes… 1,000/8,000" had added 1,000).
    stage: str = ""
    backed_up: bool = False  # Anki backed the collection up first (a profile's first sync)
    by_you: bool = False  # interrupted: the person asked it to stop (Escape, Cancel), not the profile's closing


class _Applied:
    """What the CollectionOp returns: Anki reads ``.changes`` to refresh views."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.backed_up = False  # Anki made a backup before the sync wrote
        # (note id, field) an editor opened during the writing had typed in, and the sync changed
        self.kept_typing: List[Tuple[int, int]] = []
        self.changes = report.op_changes if report.op_changes is not None else OpChanges()
        # The rows of what changed, made here on the worker thread as far as
        # they will be read (in the window's thread the rows of a 50,000-note
        # first sync froze Anki for ~0.2 s). With something to show (a
        # problem, a conflict, notes of the old sync) the notice offers the
        # report window: all of them. Else the log's share: a clean sync
        # shows its counts, and ends ~0.2 s sooner at 50,000 notes; the rest
        # are made if someone opens the report.
        self.tree: Optional[ChangeTree] = None
        if report.errors or report.conflicts or report.legacy_leftovers:
            self.change_rows: Sequence[Dict[str, Any]] = report.change_rows()
            # The window's tree too: grouping 50,000 rows in the window's
            # thread froze it ~0.15 s when the report opened.
            self.tree = change_tree(self.change_rows)
        else:
            rows = report.lazy_change_rows()
            rows.make_first(MAX_SAVED_CHANGES)  # the log's share
            self.change_rows = rows


def _empty_report(dry_run: bool = False, stopped: str = "") -> Report:
    """A report of a sync that counted nothing (``stopped``: before it began
    writing, "reading", or while it wrote, "writing"). The report's module
    is imported by the first sync, not at Anki's start (~4 ms)."""
    from ..sync.report import Report

    return Report(dry_run=dry_run, stopped=stopped)


def without_note_text(changes: OpChanges) -> OpChanges:
    """The same changes, minus "note text": the Browser and Edit Current
    reload their editor on that flag (whichever note changed), which would
    throw away the caret of someone typing in a note we did not touch."""
    out = OpChanges()
    out.CopyFrom(changes)
    out.note_text = False
    return out


def without_study_queues(changes: OpChanges) -> OpChanges:
    """The same changes, minus "study queues": Anki's reviewer answers that
    flag by fetching its card again, so a person looking at an answer saw
    the question again (or another card) whenever a background sync added
    or set aside any card. Anki's scheduler builds its queues afresh after
    such a change anyway: the next card comes from them."""
    out = OpChanges()
    out.CopyFrom(changes)
    out.study_queues = False
    return out


Context = Callable[[], Tuple[Settings, Path]]

# How often Anki's progress window is asked whether the person wants the sync
# to stop (Escape, its close button): Anki's own backend ops ask as often.
CANCEL_POLL_MS = 100

# A long reading's window, shown before it begins (``_show_before_reading``):
# how long the reading waits after the show for its events to pass, and at
# most in all (the main thread busy elsewhere).
SHOW_SETTLE_MS = 30
SHOW_WAIT_S = 0.5


def failure_cause(exc: BaseException) -> Optional[str]:
    """The report code of a failed sync whose cause is the collection's file
    or its disk, not the add-on: ``collection_full`` (no room left on the
    disk: SQLite's "database or disk is full", Anki's ``DiskFull``, ENOSPC),
    ``collection_damaged`` (SQLite finds the file malformed: Anki's
    ``DatabaseCorrupt``/``NotADatabase``), ``files_readonly`` (a file the
    sync writes is on a read-only disk or may not be written: EROFS, EACCES,
    SQLite's "attempt to write a readonly database"); else None."""
    text = str(exc)
    if (isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)) \
            or "database or disk is full" in text or "DiskFull" in text:
        return "collection_full"
    if type(exc).__name__ == "DBError" and (
            "DatabaseCorrupt" in text or "malformed" in text or "NotADatabase" in text or "kind: Corrupt" in text):
        return "collection_damaged"
    if (isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM)) \
            or "readonly database" in text or "read-only file system" in text.lower() or "ReadOnly" in text:
        # The add-on's folder (its sync state), the collection's or the media
        # folder on a disk that is read-only or turned read-only, or whose
        # permissions forbid writing.
        return "files_readonly"
    return None


class SyncRunner:
    def __init__(
        self,
        mw: Any,
        context: Context,
        on_finished: Callable[[Outcome], Optional[Future[None]]],
        log: Any,
        editors: Optional[OpenEditors] = None,
        quiet: Optional[UndoWatch] = None,
    ) -> None:
        self.mw = mw
        self.context = context
        self.on_finished = on_finished
        self.log = log
        self.editors = editors if editors is not None else OpenEditors()
        self.quiet = quiet
        self.busy = False
        self.finished_count = 0
        # Why queued requests wait: a hold's name, "quiet", or "".
        self.waiting = ""
        self.stage = ""  # the running sync's last progress message
        self._queue: List[SyncRequest] = []
        self._holds: Set[str] = set()
        self._progress_open = False
        self._dialog: Any = None  # Anki's progress window of ours (None: another op's was open)
        self.spent_progress = SpentProgress(getattr(mw, "progress", None))  # (what each window leaves)
        self._writing = False  # our CollectionOp is running (read on the sync's thread)
        self._writing_quietly = False  # ... without Anki's progress window (_QuietCollectionOp)
        self._write_began = False  # the running sync's CollectionOp has started (it may have written)
        # Anki's backup folder when the sync under way is the profile's first
        # (no sync state yet): Anki backs the collection up before it writes.
        self._backup_first: Optional[str] = None
        # Bumped when the profile closes: results of syncs started before
        # are dropped instead of being written into the next profile.
        self._generation = 0
        self._closing = False
        self._in_flight = False  # one of our QueryOps/CollectionOps is running
        # A background sync's look at the folder under way (_start): its token.
        self._looking: Optional[object] = None
        # The finished sync's log entry being written on the log's thread
        # (synclog.append_later): the runner stays busy until it is on disk.
        self._log_landing: Optional[Future[None]] = None
        self._reporting = False  # on_finished is running
        self._cancel = threading.Event()
        # The person asked the running sync to stop (Anki's progress window):
        # read by the sync at its stop points (``prepare(stop=...)``).
        self._stop = threading.Event()
        self._cancel_poll = QTimer(mw)
        self._cancel_poll.setInterval(CANCEL_POLL_MS)
        qconnect(self._cancel_poll.timeout, self._look_for_cancel)
        # A sync was stopped by the person: the next one reads the whole library (the rest comes with it).
        # The profile's sync state remembers it too (``state.REST_KEY``: across restarts, for the CLI);
        # a first sync stopped before it wrote (no state file yet) is remembered beside it (rest_marker).
        self.rest_to_come = False
        # Called when Tools ▸ Polar Sync ▸ Stop the sync may have a sync to
        # stop or no longer have one (a sync began or ended, a request began
        # waiting for a quiet moment): the entry follows it even while its
        # menu is open.
        self.on_stoppable: Callable[[bool], None] = lambda _stoppable: None
        self.dropped: List[SyncRequest] = []  # the background requests the last stop dropped
        self._told_stoppable = False
        # The progress window whose wish to stop was taken (it stays Anki's
        # current window up to 0.5 s after its finish: a sync starting
        # meanwhile nests in it and must not read the old wish as its own).
        self._wish_taken_from: Any = None
        self._pausing = False  # pause_for_close is waiting for the running sync
        self._op_ended = threading.Event()
        # A quiet write's sign of progress (no window: Anki's tooltip)
        self.indicator = QuietProgress(mw)
        self._quiet_timer = QTimer(mw)
        self._quiet_timer.setSingleShot(True)
        qconnect(self._quiet_timer.timeout, self.pump)

    # -- queue ---------------------------------------------------------------

    def request(self, trigger: Trigger, only: Optional[Set[str]] = None, in_place: FrozenSet[str] = frozenset(),
                if_there: bool = False) -> None:
        self._enqueue(SyncRequest(trigger, None if only is None else frozenset(only), in_place, if_there))
        self.pump()

    def _enqueue(self, new: SyncRequest, front: bool = False) -> None:
        for i, queued in enumerate(self._queue):
            merged = queued.merge(new)
            if merged is not None:
                self._queue[i] = merged
                return
        self._queue.insert(0 if front else len(self._queue), new)

    def hold(self, reason: str) -> None:
        """Keep queued requests waiting (AnkiWeb sync running, collection closed)."""
        self._holds.add(reason)

    def release(self, reason: str) -> None:
        self._holds.discard(reason)
        self.pump()

    @property
    def closing(self) -> bool:
        return self._closing

    def reopen(self) -> None:
        """A profile opened: start afresh (a hold left by an AnkiWeb sync
        that never finished must not block this profile for ever)."""
        self._queue.clear()
        self._holds.clear()
        self._closing = False
        self._cancel.clear()
        self._tell_stoppable()

    def pause_for_close(self) -> None:
        """Anki closes the collection for a moment as soon as this returns
        (a full sync with AnkiWeb, a .colpkg export) and sets ``col.db`` to
        None under a running op: the sync's next step failed with
        "AttributeError: 'NoneType' object has no attribute 'scalar'",
        shown as the add-on's bug, or, after a download, wrote on into the
        collection that replaced this one. A running sync stops at its next
        step instead, is waited for, and runs again once the collection is
        back (the caller's hold keeps it queued till then)."""
        if not self._in_flight or self._closing:
            return
        self._pausing = True
        self._cancel.set()
        try:
            deadline = time.monotonic() + CLOSE_WAIT_SECONDS
            while self._in_flight and time.monotonic() < deadline:
                self._op_ended.wait(0.05)
                self.mw.app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
            if self._in_flight:
                self.log.warning("a Polar sync was still running when Anki closed the collection for a moment")
        finally:
            self._pausing = False
            self._cancel.clear()

    def shut_down(self) -> None:
        """The profile is closing, and Anki closes the collection as soon as
        this returns: forget queued requests, stop a running sync at its
        next step and wait for it (its result is logged as interrupted)."""
        self._closing = True
        self._queue.clear()
        self.rest_to_come = False  # (the closing profile's state holds its own: not the next profile's)
        self._generation += 1
        self._quiet_timer.stop()
        self.waiting = ""
        self._tell_stoppable()
        if self._looking is not None:  # a look at a folder that does not answer: its answer is dropped
            self._looking = None
            self.busy = False
        if not self._in_flight:
            self._log_landed_now()
            return  # idle, or waiting for editors to save: dropped when they answer
        self._cancel.set()
        deadline = time.monotonic() + CLOSE_WAIT_SECONDS
        # The op ends on Anki's worker thread; its callbacks come through the
        # event loop, so run that (but no clicks or keys) until they did.
        while self._in_flight and time.monotonic() < deadline:
            self._op_ended.wait(0.05)
            self.mw.app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        if self._in_flight:
            self.log.warning("a Polar sync was still running when the profile closed")
            return
        self._log_landed_now()
        # A progress window shown less than half a second ago is closed by
        # Anki half a second later; let that happen while the window lives.
        deadline = time.monotonic() + 2.0
        while self.mw.progress.busy() and time.monotonic() < deadline:
            time.sleep(0.02)
            self.mw.app.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

    @property
    def pending(self) -> List[SyncRequest]:
        return list(self._queue)

    def pump(self) -> None:
        """Start the next request that may run now."""
        try:
            self._pump()
        finally:
            self._tell_stoppable()

    def _tell_stoppable(self) -> None:
        """(Main thread.) The Stop entry's state, when it changed."""
        now = self.stoppable
        if now != self._told_stoppable:
            self._told_stoppable = now
            try:
                self.on_stoppable(now)
            except Exception:  # (the menu is gone: the add-on was deleted)
                self.log.debug("could not update the Stop entry", exc_info=True)

    def _pump(self) -> None:
        self._quiet_timer.stop()
        if self.busy or self._reporting or self._closing or not self._queue or self.mw.col is None:
            return
        if self._holds:
            self.waiting = sorted(self._holds)[0]
            return
        wait = float("inf")
        for i, req in enumerate(self._queue):
            left = self._wait_left(req)
            if left <= 0:
                self.waiting = ""
                self.busy = True
                self._start(self._queue.pop(i))
                return
            wait = min(wait, left)
        self.waiting = "quiet"
        self._quiet_timer.start(int(min(wait, 24 * 3600) * 1000) + 50)

    def _wait_left(self, req: SyncRequest) -> float:
        """Background syncs wait for a quiet moment; the user's own never do."""
        if req.trigger in INTERACTIVE or self.quiet is None:
            return 0.0
        return self.quiet.wait_left()

    # -- one sync ------------------------------------------------------------

    def _progress(self, req: SyncRequest, shown: bool) -> Callable[[str], None]:
        """The sync calls this between its steps (on a worker thread)."""
        cancel = self._cancel
        interactive = shown

        def progress(message: str) -> None:
            self.stage = message  # (also where it stops: "Adding notes… 1,000/8,000" had added 1,000)
            if cancel.is_set():
                raise Interrupted()
            if interactive or self._writing:
                self._progress_from_thread(message)

        return progress

    def _start(self, req: SyncRequest) -> None:
        started = time.time()
        self.stage = ""
        self._write_began = False
        self._stop.clear()
        self._cancel_poll.start()
        generation = self._generation
        try:
            settings, state_path = self.context()
            source = resolve_data_dir(settings.data_dir)
        except Exception as exc:
            self._fail(req, exc, started)
            return
        if not self.rest_to_come and not req.dry_run and _rest_owed_beside(state_path):
            self.rest_to_come = True  # (a first sync stopped before it wrote, before a restart)
        if self.rest_to_come and req.only is not None and not req.dry_run:
            # The person stopped the last sync: what it left (documents not
            # read, notes not added) comes with this one, whatever asked.
            req = SyncRequest(req.trigger, None, req.in_place, req.if_there)
        interactive = req.trigger in INTERACTIVE
        if interactive and not req.if_there:
            self._read(req, started, generation, settings, state_path, source, True)
            return
        # A first read of an export can take minutes: shown whoever asked.
        # Whether that is ahead (and whether the folder is there at all) is a
        # look at the Polar folder, made on a thread of its own: on a share
        # that stopped answering (a dead hard-mounted NFS server) it hangs,
        # and Anki's window froze with it at the profile's open (the startup
        # sync) or at a new folder's OK in the settings, until the share answered.
        token = self._looking = object()
        cache = beside(state_path)

        def look() -> None:
            try:
                there = not req.if_there or source.exists()
            except OSError:  # (unreadable: the sync's reading says so)
                there = True
            try:
                shown = interactive or (there and export_needs_reading(source, cache))
            except Exception:  # (unreadable: the sync's reading says so, in the report)
                shown = False
            try:
                self.mw.taskman.run_on_main(lambda: self._looked(
                    token, req, started, generation, settings, state_path, source, shown if there else None))
            except RuntimeError:  # Anki is shutting down
                pass

        folder_looks(source, "polar-sync-look").ask(look)  # (one thread per folder: one stuck at most)

    def _looked(self, token: object, req: SyncRequest, started: float, generation: int, settings: Any,
                state_path: Path, source: Path, shown: Optional[bool]) -> None:
        """(Main thread.) The look at the folder came back: read, unless
        the profile closed meanwhile (shut_down freed the runner then), the
        collection closed for a moment (the request waits for it again) or
        the folder a request wanted there is not (``shown`` None: dropped)."""
        if token is not self._looking or generation != self._generation:
            return
        self._looking = None
        if shown is None:
            self.busy = False
            self.pump()
            return
        if self.mw.col is None or self._holds:
            if self._keep_a_stop_wish(req, started):
                return
            self.busy = False
            self._enqueue(req, front=True)
            self.pump()
            return
        self._read(req, started, generation, settings, state_path, source, shown)

    def _read(self, req: SyncRequest, started: float, generation: int, settings: Any, state_path: Path,
              source: Path, shown: bool) -> None:
        wanted_label = tr("p. {page}")  # (the catalogue is the main thread's)
        if shown:
            self._dialog = self.mw.progress.start(label=in_anki(tr("Reading the Polar library…")), parent=self.mw)
            self._progress_open = True
            self.spent_progress.note()
        progress = self._progress(req, shown)
        # No record for this profile: it may have been renamed (the record
        # is under its old name, found on the reading's thread).
        live = None if state_path.exists() else self._live_state_files(state_path)
        self._backup_first = None if live is None else _backup_folder(self.mw)

        def collection_reads(col: Any) -> Tuple[Optional[str], str]:
            # The collection's reads, on Anki's collection thread (the reading
            # after them runs beside Anki's own ops, without the collection),
            # and not on the main thread: a page label no sync has fixed yet is
            # a config key Anki answers "not found", and with RUST_BACKTRACE
            # set (Anki's dev setup, many add-on developers' shells) that error
            # walked the main thread's deep Qt stack: the window froze ~100 ms.
            from ..sync.identity import collection_identity
            from ..sync.page_label import stored

            # The words before a card's page number: the collection's own
            # once a sync has fixed them, else this language's (page_label.py).
            label = stored(col)
            identity = collection_identity(col)
            if live is not None:
                from ..sync.collection_view import notes_present
                from ..sync.state import take_over_renamed

                old = take_over_renamed(state_path, identity, live, lambda pairs: notes_present(col, pairs))
                if old is not None:
                    self.log.info("profile renamed: its sync state %s is now %s", old.name, state_path.name)
            return label, identity

        def op(label: Optional[str], identity: str) -> Any:
            try:
                # The engine (reading, planning, writing) is imported here, by
                # the first sync and on this thread: compiling it on Anki's
                # window's thread held the window ~90 ms on a first run.
                from ..sync.engine import prepare
                from ..sync.page_label import from_words

                return prepare(
                    settings._replace(page_label=label or from_words(wanted_label)), state_path,
                    source_path=source, only=req.only, progress=progress,
                    collection_id=identity, on_long_read=self._show_before_reading if shown else None,
                    label_fixed=label is not None, in_place=req.in_place if req.trigger == WATCH else frozenset(),
                    stop=self._stop.is_set, preview=req.dry_run,
                    settle=req.trigger != WATCH and not req.dry_run,  # (read again: setup, being_written)
                )
            finally:
                self._op_ended.set()

        def read_library(reads: Tuple[Optional[str], str]) -> None:
            QueryOp(
                parent=self.mw, op=lambda _col: op(*reads),
                success=lambda prepared: self._apply(req, prepared, started, generation),
            ).failure(lambda exc: self._fail(req, exc, started)).without_collection().run_in_background()

        self._launched()
        QueryOp(parent=self.mw, op=collection_reads, success=read_library).failure(
            lambda exc: self._fail(req, exc, started)).run_in_background()

    def _show_before_reading(self) -> None:
        """(The reading's thread.) A long reading is ahead: Anki would show
        our window 0.6 s in, in the middle of the parse. A window's show is
        many Qt events, each through Anki's Python event filter, each
        waiting for the GIL while this thread parses (up to 5 ms each): the
        window then froze for 50-100 ms. Shown now instead, while this thread
        waits for the show's events to pass (at most ``SHOW_WAIT_S``)."""
        done = threading.Event()

        def show() -> None:
            try:
                progress = self.mw.progress
                show_win = getattr(progress, "_showWin", None)  # what Anki's own show timer calls
                # As Anki's timer: not while no window of Anki's has the
                # focus (minimised), and only the window of ours not shown yet.
                if (show_win is not None and self._progress_open and self._dialog is not None
                        and getattr(progress, "_win", None) is self._dialog and not self._dialog_shown()
                        and self.mw.app.focusWindow() is not None):
                    show_win()
                    timer = getattr(progress, "_show_timer", None)
                    if timer is not None:
                        timer.stop()  # (its show would come again, mid-parse)
            finally:
                QTimer.singleShot(SHOW_SETTLE_MS, done.set)

        self.mw.taskman.run_on_main(show)
        done.wait(SHOW_WAIT_S)

    def _live_state_files(self, state_path: Path) -> List[Path]:
        """The state files of the profiles there are (Anki's profile list)."""
        try:
            names = list(self.mw.pm.profiles())
        except Exception:
            return []
        return [profile_state_path(name, state_path.parent) for name in names]

    def _launched(self) -> None:
        self._in_flight = True
        self._op_ended.clear()

    def _progress_from_thread(self, message: str) -> None:
        def show() -> None:
            # A message that counts fills the bar (documents read, notes
            # added); the others show Anki's busy bar (max 0).
            done, total = progress_share(message) or (None, 0)
            if self._writing_quietly:
                self.indicator.say(tr("Stopping the sync…") if self._stop.is_set() else progress_words(message))
                return
            if (not (self._progress_open or self._writing) or self._progress_window_gone()):
                return
            # No window of ours while writing (a background sync, or one
            # closed when the reading ended): Anki shows its own
            # "Processing…" once the writing takes over 0.6 s; say there
            # what it is doing, but never open one.
            words = tr("Stopping the sync…") if self._stop.is_set() else progress_words(message)
            self.mw.progress.update(label=in_anki(words), value=done, max=total, maybeShow=self._progress_open)

        self.mw.taskman.run_on_main(show)

    def _look_for_cancel(self) -> None:
        """(Main thread, every ``CANCEL_POLL_MS`` while a sync runs.) Escape
        or the close button in Anki's progress window records the wish
        (``ProgressManager.want_cancel``, Anki 23.10 to 26.9); the sync reads
        it at its next stop point. Only a window of this sync's: ours, or
        Anki's own over our writing (another op's may be up while we read)."""
        if not self.busy:
            self._cancel_poll.stop()
            return
        if self._stop.is_set():
            return
        progress = self.mw.progress
        win = getattr(progress, "_win", None)
        if win is None or win is self._wish_taken_from or not (
                win is self._dialog or (self._writing and not self._writing_quietly)):
            return
        try:
            wanted = progress.want_cancel()
        except RuntimeError:  # (Qt deleted it)
            return
        if not wanted:
            return
        self._wish_taken_from = win
        self._stop.set()
        self._tell_stoppable()
        self.log.info("the Polar sync was asked to stop (%s)", self.stage or "before its first step")
        if not self._progress_window_gone():
            progress.update(label=in_anki(tr("Stopping the sync…")), max=0, maybeShow=False)

    @property
    def stoppable(self) -> bool:
        """A sync that Tools ▸ Polar Sync ▸ Stop the sync reaches: one under
        way that a stop wish still reaches (started, not yet told, not
        stopping), or background requests waiting for a quiet moment."""
        return self._running_stoppable or self.waiting_for_quiet

    @property
    def _running_stoppable(self) -> bool:
        return (self.busy and not self._reporting and self._log_landing is None and not self._closing
                and not self._stop.is_set())

    @property
    def waiting_for_quiet(self) -> bool:
        """Background syncs wait in the queue until the person pauses
        (``quiet.UndoWatch``): nothing runs, nothing shows."""
        return (not self.busy and not self._reporting and not self._closing and self.waiting == "quiet"
                and any(r.trigger not in INTERACTIVE for r in self._queue))

    def stop_running(self) -> str:
        """(Main thread.) Tools ▸ Polar Sync ▸ Stop the sync: the running
        sync stops at its next stop point, as after Escape in its window (a
        background sync has none to press it in); requests waiting for a
        quiet moment are dropped, and the next sync, whatever starts it,
        reads the whole library (as after any stop: "the next sync does
        it"). What it stopped: "running", "waiting" or "" (nothing: the
        sync had ended, or was stopping already)."""
        if not self._running_stoppable:
            if self.busy and self._stop.is_set() and not self._reporting and self._log_landing is None:
                if self._writing_quietly or not (self._progress_open or self._writing):
                    self.indicator.show_now(tr("Stopping the sync…"))  # (asked again: said again)
                return "stopping"
            if not self.waiting_for_quiet:
                self._tell_stoppable()
                return ""
            self._quiet_timer.stop()
            self.log.info("the Polar sync waiting for a quiet moment was dropped from the menu")
            self._stopped_by_you()
            self._owe_the_rest()
            self.waiting = ""
            self.pump()  # (a request of the person's own, if any, runs now)
            return "waiting"
        self._stop.set()
        self._tell_stoppable()
        self.log.info("the Polar sync was asked to stop from the menu (%s)", self.stage or "before its first step")
        stopping = tr("Stopping the sync…")
        if self._progress_open or (self._writing and not self._writing_quietly):
            if not self._progress_window_gone():
                self.mw.progress.update(label=in_anki(stopping), max=0, maybeShow=False)
        else:  # no window: said in the quiet sign, at once
            self.indicator.show_now(stopping)
        return "running"

    def _keep_a_stop_wish(self, req: SyncRequest, started: float) -> bool:
        """A sync about to be put back in the queue (AnkiWeb began syncing,
        the collection closed for a moment, the person did something) that
        the person had asked to stop: it stops now, as asked, instead of
        running again from the start as if nobody had (its next start clears
        the wish). Nothing of it was written: ``Stopped``'s path."""
        if not self._stop.is_set() or self._closing:
            return False
        self._close_progress()
        self.log.info("a Polar sync asked to stop was to run again later; stopped instead")
        if not req.dry_run:  # (a preview stopped stops no syncing: nothing owed, nothing dropped)
            self._stopped_by_you()
            self._owe_the_rest()
        stopped = "writing" if self._write_began else "reading"
        self._finish(req, _empty_report(req.dry_run, stopped), started, interrupted=True, by_you=True)
        return True

    def _owe_the_rest(self) -> None:
        """The sync state's promise of the rest (``state.REST_KEY``), as the
        core keeps it for a stop before the write: any next sync, even after
        a restart, reads the whole library. (Without a state file, a first
        sync: ``_stopped_by_you`` left a mark beside it.)"""
        try:
            state_path = self.context()[1]
            if state_path.exists():
                from ..sync.state import SyncState

                SyncState(state_path, "").owe_the_rest()
        except Exception:
            self.log.warning("could not remember the stopped sync's rest in its state", exc_info=True)

    def _stopped_by_you(self) -> None:
        """The person stopped the sync: the background requests queued
        meanwhile are dropped (they wanted the syncing to stop; a request of
        their own stays), and the next sync reads the whole library. A
        profile's first sync stopped before it wrote has no state file to
        say so (making one would make the next sync no first one: no backup
        before it), so a mark beside where it will be says it, across a
        restart; the next whole sync that runs to its end removes it."""
        self.rest_to_come = not self._closing  # (a closing profile's: its state or the mark remembers)
        self.dropped = [r for r in self._queue if r.trigger not in INTERACTIVE]
        try:
            state_path = self.context()[1]
            if not state_path.exists():
                rest_marker(state_path).write_text("1", encoding="utf-8")
        except Exception:
            self.log.warning("could not remember the stopped first sync's rest", exc_info=True)
        dropped = [r for r in self._queue if r.trigger not in INTERACTIVE]
        if dropped:
            self._queue = [r for r in self._queue if r.trigger in INTERACTIVE]
            self.log.info("a Polar sync stopped as asked: background syncs queued behind it dropped: %d", len(dropped))

    def _progress_window_gone(self) -> bool:
        """Whether Anki's progress window is one Qt has deleted: Anki opens
        its "Processing…" over the active window, and a Browse or editor
        window closed mid-sync takes it along while Anki still holds it
        (until its finish(), which checks). A label set on it would raise."""
        win = getattr(self.mw.progress, "_win", None)
        return win is not None and sip.isdeleted(win)

    def _close_progress(self) -> None:
        if self._progress_open:
            self._progress_open = False
            self._dialog = None
            self.mw.progress.finish()

    def _dialog_shown(self) -> bool:
        try:
            return self._dialog is not None and bool(self._dialog.isVisible())
        except RuntimeError:  # Qt deleted it
            return False

    def _apply(self, req: SyncRequest, prepared: Any, started: float, generation: int) -> None:
        # A progress window already on screen stays open until the sync is
        # over: Anki's op for the writing nests in it (its start() opens no
        # second window), so a long sync shows one window all through, with
        # what is being added, instead of closing it and opening Anki's
        # generic "Processing…" 0.6 s later. One not shown yet is closed, as
        # before: a modal window appearing during the writing takes the focus
        # from an open editor, whose "blur" then saves the note it holds,
        # from before the sync, over what the sync wrote (Anki's editor; a
        # manual sync with editors open shows its window before the writing,
        # see _window_before_editors). Anki's own window for a long writing
        # gets our words.
        self._in_flight = False
        if self._progress_open and not self._dialog_shown():
            self._close_progress()
        if generation != self._generation:
            self._finish(req, _empty_report(req.dry_run, "reading"), started, interrupted=True)
            return  # the profile closed while reading: write nothing
        if self.mw.col is None or self._holds or self._wait_left(req) > 0:
            # AnkiWeb began syncing, or the user did something, while we read:
            # read again once it is over (a full download replaces everything).
            if self._keep_a_stop_wish(req, started):
                return
            self._close_progress()
            self.busy = False
            self._enqueue(req, front=True)
            self.pump()
            return
        if req.dry_run:
            self._launched()

            def dry(col: Any) -> Any:
                try:
                    report = prepared.apply(col, dry_run=True)
                    rows = report.change_rows()  # the window shows them all: made here,
                    return report, rows, change_tree(rows)  # and grouped (~0.15 s at 50,000 rows)
                finally:
                    self._op_ended.set()

            comparing = in_anki(tr("Comparing with your collection…"))
            QueryOp(
                parent=self.mw,
                op=dry,
                success=lambda out: self._landed(
                    lambda: self._finish(req, out[0], started, change_rows=out[1], changes=out[2])),
            ).failure(lambda exc: self._fail(req, exc, started)).with_progress(comparing).run_in_background()
            self.spent_progress.note()
            if self._progress_open and not self._progress_window_gone():  # the op's progress nests in ours
                self.mw.progress.update(label=comparing)
            return
        if req.trigger in INTERACTIVE:
            # Asked for by hand: what is typed in an open editor is saved
            # first and merged like any Anki-side edit.
            self._window_before_editors(
                lambda: self.editors.save_all(lambda: self._write(req, prepared, started, generation, frozenset()))
            )
        else:
            self._write(req, prepared, started, generation, frozenset(self.editors.note_ids()),
                        reviewer_note_ids(self.mw))

    def _window_before_editors(self, then: Callable[[], None]) -> None:
        """With an editor open, a manual sync writes the notes it shows, so
        a window must not appear in the middle of the writing: taking the
        focus from the editor's field makes the editor save ("blur") the
        note it holds, from before the sync, over what the sync wrote (a
        save queued behind the writing). So the window is put on screen
        first, and the writing waits for the fields' blur: their saves run
        before it, and the window, modal, stays up to the end."""
        if not self.editors.live():
            then()
            return
        saving = in_anki(tr("Saving the notes you have open…"))
        if self._dialog_shown():
            self.mw.progress.update(label=saving, value=0, max=0)
        else:
            self._close_progress()
            # Over the window in front (the Browser, Edit Current), as Anki's
            # own ops from there: parented to the main window, it could open
            # behind the window it blocks.
            front = self.mw.app.activeWindow() or self.mw
            self._dialog = self.mw.progress.start(label=saving, parent=front, immediate=True)
            self._progress_open = True
            self.spent_progress.note()
        # (With no window of Anki's focused, Anki defers showing ours, and
        # no field can have the focus either.)
        self.editors.after_blur(lambda: self._dialog_shown() or self.mw.app.focusWindow() is None, then)

    def _write(
        self, req: SyncRequest, prepared: Any, started: float, generation: int, held: FrozenSet[int],
        aside_later: FrozenSet[int] = frozenset(),
    ) -> None:
        """``held``: the notes open in an editor, not written; ``aside_later``:
        the note of the card the reviewer shows, not set aside (suspended,
        deleted) now: an answer given while the sync writes is applied
        after it and would take the card out of the suspension again. Both
        are synced once let go (``Controller.check_released``)."""
        if generation != self._generation:
            self._finish(req, _empty_report(stopped="reading"), started, interrupted=True)
            return  # the profile closed while the editors saved
        if self.mw.col is None or self._holds:
            if self._keep_a_stop_wish(req, started):
                return
            self._close_progress()
            self.busy = False  # closed for a moment meanwhile: again later
            self._enqueue(req, front=True)
            self.pump()
            return

        undo_name = our_step_name()  # Edit ▸ Undo says it in the user's language
        backup, self._backup_first = self._backup_first, None

        def op(col: Any) -> _Applied:
            self._write_began = True
            backed_up = False
            try:
                if backup is not None and prepared.docs:
                    # The first sync in a profile may change thousands of
                    # notes (the old sync's, taken over): a backup first,
                    # as Anki's File ▸ Create Backup makes, restored by
                    # File ▸ Switch Profile ▸ Open Backup… (Undo lasts only
                    # until Anki closes).
                    self._progress_from_thread("Backing up your collection…")
                    try:
                        col.create_backup(backup_folder=backup, force=True, wait_for_completion=True)
                        backed_up = True
                    except Exception:
                        self.log.warning("the backup before the first sync failed", exc_info=True)
                report = prepared.apply(col, undo_name=undo_name, leave_alone=held, set_aside_later=aside_later)
                kept: List[Tuple[int, int, str]] = []
                if self.editors.loaded_mid_write:
                    kept = self._editors_take_the_write(col)
                    _report_kept_typing(report, col, kept)
                applied = _Applied(report)
                applied.backed_up = backed_up
                applied.kept_typing = [(nid, i) for nid, i, _ in kept]
                return applied
            finally:
                self._writing = self._writing_quietly = False
                self._op_ended.set()

        self._launched()
        self.editors.begin_write()
        # A sync nobody asked for just now (the watcher's, the startup's)
        # writes without Anki's modal "Processing…" window: shown 0.6 s into
        # a long writing, it took the keyboard from the window the person
        # was typing in (the Add window, an editor) and the keys typed then
        # were lost; closing, it gave the focus to the main window. Asked
        # for (Tools ▸ Sync from Polar, Settings' OK), the profile's first
        # sync (thousands of notes, a backup first) and a sync whose window
        # of ours is up keep it.
        quiet = (req.trigger not in INTERACTIVE and req.trigger != SETTINGS and backup is None
                 and not self._progress_open)
        self._writing = True
        self._writing_quietly = quiet
        if quiet:
            self._undo_off()
            # No window, but a word once it lasts: a large startup sync wrote
            # for many seconds with nothing on screen.
            if self._stop.is_set():  # (asked from the menu while it read: the write stops at once)
                self.indicator.show_now(tr("Stopping the sync…"))
            else:
                self.indicator.begin(tr("Checking the collection against the last sync…"))  # (its first step)
        (_QuietCollectionOp if quiet else CollectionOp)(self.mw, op).success(
            lambda applied: self._landed(lambda: self._written(req, applied, started, held))
        ).failure(lambda exc: self._fail(req, exc, started)).run_in_background(initiator=self)
        if not quiet:  # (Anki's progress window: what it leaves)
            self.spent_progress.note()

    def _landed(self, then: Callable[[], None]) -> None:
        self._in_flight = False
        then()

    def _written(self, req: SyncRequest, applied: _Applied, started: float, held: FrozenSet[int]) -> None:
        if self.quiet is not None:
            self.quiet.own_step_done()
        # Runs before Anki fires operation_did_execute with ``applied.changes``.
        shown = self.editors.note_ids()
        # Editors that loaded their note during the writing have taken the
        # sync's fields already (_editors_take_the_write): Anki's reload
        # would throw away what was typed in them since (their saves run after).
        taken = self.editors.mid_write_note_ids()
        self.editors.end_write()
        for nid, field in applied.kept_typing:
            self.log.warning("Polar changed field %d of note %d while it was being typed into in an editor "
                             "opened during the sync; the typing was kept", field + 1, nid)
        reviewing = req.trigger not in INTERACTIVE and bool(reviewer_note_ids(self.mw))
        redraw = False
        if shown and shown <= held | taken:
            redraw = reviewing and applied.changes.note_text
            applied.changes = without_note_text(applied.changes)
        if reviewing and self._reviewer_card_kept():
            # The card shown stays, on the side shown (its note's new text
            # drawn in place); the cards added or set aside come after it.
            applied.changes = without_study_queues(applied.changes)
        if redraw:
            # The note text left out for the editors: the reviewer is told
            # once Anki has handled the op (it would take its "card changed"
            # for a mere flag change) and redraws its card when its window
            # is in front, as Anki does.
            QTimer.singleShot(0, self._redraw_reviewer)
        if any(w.get("code") in STOPPED_BY_YOU for w in applied.report.warnings):
            self._stopped_by_you()
        self._finish(req, applied.report, started, change_rows=applied.change_rows, changes=applied.tree,
                     backed_up=applied.backed_up)

    def _editors_take_the_write(self, col: Any) -> List[Tuple[int, int, str]]:
        """(The sync's thread, its writing done.) Editors that loaded a note
        while it wrote take what it wrote (``OpenEditors.take_the_write``),
        on the main thread, before their saves (queued behind this op) run."""
        done = threading.Event()
        out: List[Tuple[int, int, str]] = []

        def taken(both: List[Tuple[int, int, str]]) -> None:
            out.extend(both)
            done.set()

        def take() -> None:
            try:
                self.editors.take_the_write(col, taken)
            except Exception:
                self.log.warning("could not bring an editor up to date with the sync", exc_info=True)
                done.set()

        try:
            self.mw.taskman.run_on_main(take)
        except RuntimeError:  # Anki is shutting down
            return out
        done.wait(EDITOR_WAIT_SECONDS)
        return list(out)

    def _undo_off(self) -> None:
        """Edit ▸ Undo and Redo off while a quiet writing runs (Anki's own
        window used to block them): an Undo asked for meanwhile is an op
        queued behind the sync's, and it undid the sync while it named the
        person's own last step. Anki turns them on again, named after the
        sync, once the op is over (``update_undo_actions``; after a failure,
        ``_fail`` does)."""
        try:
            from aqt import gui_hooks
            from aqt.undo import UndoActionsInfo

            form = self.mw.form
            info = UndoActionsInfo(can_undo=False, can_redo=False, undo_text=form.actionUndo.text(),
                                   redo_text=form.actionRedo.text(), show_redo=form.actionRedo.isVisible())
            form.actionUndo.setEnabled(False)
            form.actionRedo.setEnabled(False)
            gui_hooks.undo_state_did_change(info)  # (the Browser's own Undo and Redo)
        except Exception:  # (an Anki without these: its window blocks them)
            self.log.debug("could not turn Undo off", exc_info=True)

    # What the reviewer's answer is built on (Anki refuses an answer whose
    # card's scheduling state changed since it showed: "card was modified").
    _SCHEDULING = ("did", "odid", "odue", "type", "queue", "due", "ivl", "factor", "reps", "lapses", "left")

    def _reviewer_card_kept(self) -> bool:
        """Whether the card the reviewer shows is as it was shown: the sync
        changed nothing of its scheduling (a card sent home from a filtered
        deck, moved to the document's new deck) and Anki has no refresh of
        the reviewer pending. Else the reviewer fetches its card again."""
        reviewer = self.mw.reviewer
        card = getattr(reviewer, "card", None)
        if card is None or getattr(reviewer, "_refresh_needed", None) is not None:
            return False
        try:
            now = self.mw.col.get_card(card.id)
        except Exception:  # (gone)
            return False
        return all(getattr(now, f, None) == getattr(card, f, None) for f in self._SCHEDULING)

    def _redraw_reviewer(self) -> None:
        if self.mw.col is None or not reviewer_note_ids(self.mw):
            return
        changes = OpChanges()
        changes.note_text = True
        self.mw.reviewer.op_executed(changes, self, self.mw.app.activeWindow() is self.mw)

    def _fail(self, req: SyncRequest, exc: Exception, started: float) -> None:
        self._in_flight = False
        self.indicator.end()
        self.editors.end_write()
        self._close_progress()
        if self._write_began and self.mw.col is not None:
            try:
                self.mw.update_undo_actions()  # (Anki skips it after a failed op: _undo_off's)
            except Exception:
                self.log.debug("could not update Undo", exc_info=True)
        report = _empty_report(req.dry_run, "writing" if self._write_began else "reading")
        if isinstance(exc, Stopped):  # before anything was written (read.Stopped)
            if not req.dry_run:  # (a preview owes nothing, as read._stopped keeps it: the syncs behind it run)
                self._stopped_by_you()
            self._finish(req, _empty_report(req.dry_run, "reading"), started, interrupted=True, by_you=True)
            return
        if isinstance(exc, Interrupted):
            if self._pausing and not self._closing:
                if self._keep_a_stop_wish(req, started):
                    return
                # Stopped for Anki's moment without the collection: again after it.
                self.busy = False
                self._enqueue(req, front=True)
                self.log.info("a Polar sync stopped while Anki closed the collection for a moment; it runs again after")
                return
            self._finish(req, report, started, interrupted=True)
            return
        if isinstance(exc, SourceError):
            self._finish(req, report, started, failed=True, library_error=source_error_words(exc))
            return
        cause = failure_cause(exc)
        if cause is not None:
            # Not the add-on's bug: the collection's file or its disk. Say
            # which file and what to do, not "please report it".
            self.log.warning("sync stopped (%s): %s", cause, exc)
            where = self._collection_path() or "Polar Sync"
            message = f"the sync stopped with {type(exc).__name__}: {exc}"
            if cause == "collection_full":
                report.error(where, message, code="collection_full")
            elif cause == "files_readonly":
                # The file the error names, else the folder of the sync state
                # (Python's sqlite3 names none), else the collection.
                named = getattr(exc, "filename", None)
                if not named and type(exc).__module__.startswith("sqlite3"):
                    named = self._state_folder()
                report.error(str(named or where), message, code="files_readonly")
            else:
                report.error(where, message, code="collection_damaged")
        else:
            # A bug, not a bad file: keep the traceback in Anki's add-on log.
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.log.error("sync failed:\n%s", trace)
            report.error("Polar Sync", f"the sync stopped with {type(exc).__name__}: {exc}", code="sync_failed")
        self._finish(req, report, started, failed=True)

    def _state_folder(self) -> str:
        try:
            return str(self.context()[1].parent)
        except Exception:
            return ""

    def _collection_path(self) -> str:
        try:
            return str(self.mw.pm.collectionPath())
        except Exception:  # no profile loaded any more
            return ""

    def _finish(
        self, req: SyncRequest, report: Report, started: float, failed: bool = False,
        library_error: str = "", interrupted: bool = False, change_rows: Optional[Sequence[Dict[str, Any]]] = None,
        changes: Optional[ChangeTree] = None, backed_up: bool = False, by_you: bool = False,
    ) -> None:
        self._cancel_poll.stop()
        if (self.rest_to_come and req.only is None and not req.dry_run and not (failed or interrupted or library_error)
                and not any(w.get("code") in STOPPED_BY_YOU for w in report.warnings)):
            self.rest_to_come = False  # (the whole library synced to its end)
            try:
                rest_marker(self.context()[1]).unlink()
            except FileNotFoundError:
                pass
            except Exception:
                self.log.warning("could not forget the stopped first sync's rest", exc_info=True)
        self._close_progress()
        self.indicator.end()
        self._writing = self._writing_quietly = False
        self.busy = False
        self._reporting = True  # (no sync starts from within on_finished)
        landing = None
        try:
            landing = self.on_finished(Outcome(req, report, started, time.time(), failed, library_error,
                                               interrupted, change_rows, changes, self.stage, backed_up, by_you))
        except Exception:  # showing the result must never take the queue down
            self.log.error("showing the sync result failed:\n%s", traceback.format_exc())
        finally:
            self._reporting = False
        if landing is not None and not landing.done():
            # The log is written on the log's thread: this sync is done (for
            # the next one, and for anyone reading the log) once it is there.
            self.busy = True
            self._log_landing = landing
            self._tell_stoppable()  # (over: the Stop entry off, even in a menu left open)
            landing.add_done_callback(lambda _f: self.mw.taskman.run_on_main(lambda: self._log_landed(landing)))
            return
        self._done()

    def _done(self) -> None:
        self.spent_progress.sweep()
        self.finished_count += 1
        self.pump()

    def _log_landed(self, landing: Future[None]) -> None:
        if self._log_landing is not landing:
            return  # (the profile's close waited for it already)
        self._log_landing = None
        self.busy = False
        self._done()

    def _log_landed_now(self) -> None:
        """The profile closes: the last sync's log entry is written before
        Anki closes the collection (or quits)."""
        landing = self._log_landing
        if landing is None:
            return
        try:
            landing.result(timeout=LOG_WAIT_SECONDS)
        except Exception:  # (a timeout: the entry still lands, later)
            self.log.warning("the sync log was still being written when the profile closed")
        self._log_landed(landing)


def rest_marker(state_path: Path) -> Path:
    """Beside a profile's sync state file (``state-NAME.sqlite``): the mark
    of a first sync the person stopped before it wrote (no state file yet
    to hold ``state.REST_KEY``). Not a ``state-*.sqlite`` (the renamed
    profile's search, ``state.take_over_renamed``, does not see it)."""
    return state_path.with_name(state_path.stem + ".rest-to-come")


def _rest_owed_beside(state_path: Path) -> bool:
    try:
        return rest_marker(state_path).exists()
    except OSError:
        return False


class _QuietCollectionOp(CollectionOp):
    """A ``CollectionOp`` (one undo step, views refreshed, the Browser kept
    from redrawing meanwhile, hooks fired) run without Anki's modal
    progress window: Anki's ``taskman.run_in_background`` instead of
    ``with_progress`` (``CollectionOp._run``: Anki 23.10 to 26.9; an Anki
    without it runs the op as before, with its window)."""

    def _run(self, mw: Any, op: Callable[[], Any], on_done: Callable[[Future], None]) -> None:
        mw.taskman.run_in_background(op, on_done)


def _report_kept_typing(report: Report, col: Any, kept: Sequence[Tuple[int, int, str]]) -> None:
    """(The sync's thread.) A field the sync changed while an editor opened
    during the writing was typed into keeps the typing: said as a conflict
    with Anki's version kept (the report window shows both), since the next
    sync takes that text for an edit made in Anki."""
    if not kept:
        return
    where = {c.note_id: c for c in report.changes if c.note_id}
    for nid, i, typed in kept:
        try:
            note = col.get_note(nid)
            name = note.keys()[i]
            polar = note.fields[i]
        except Exception:  # (gone, or its type changed)
            continue
        change = where.get(nid)
        doc, card = (change.document, change.card) if change is not None else ("", "")
        report.conflicts.append({
            "path": f"{doc}#{card}" if doc else f"note {nid}",
            "message": f"field {name!r} changed in Polar while it was being typed into in an editor opened "
                       "during the sync; Anki version kept",
            "code": "conflict_anki", "field": name, "polar": polar, "anki": typed, "note_id": nid,
            "document": doc, "card": card, "front": change.front if change is not None else "",
            **({"page": change.page} if change is not None and change.page else {}),
        })


def reviewer_note_ids(mw: Any) -> FrozenSet[int]:
    """The note of the card Anki's reviewer shows (none outside a review)."""
    if getattr(mw, "state", None) != "review":
        return frozenset()
    card = getattr(getattr(mw, "reviewer", None), "card", None)
    nid = getattr(card, "nid", None)
    return frozenset({int(nid)}) if nid else frozenset()


def _backup_folder(mw: Any) -> Optional[str]:
    """Anki's backup folder for this profile (Preferences ▸ Backups), or
    None when Anki cannot say."""
    try:
        return str(mw.pm.backupFolder())
    except Exception:
        return None


def suspend_notes(parent: Any, nids: List[int], on_done: Callable[[int], Any]) -> None:
    """Suspend every card of these notes: one step in Edit ▸ Undo (Anki's own
    "Suspend"), the views refreshed; ``on_done`` gets how many cards were suspended."""
    from anki.notes import NoteId

    op = CollectionOp(parent, lambda col: col.sched.suspend_notes([NoteId(n) for n in nids]))
    op.success(lambda changes: on_done(int(getattr(changes, "count", 0)))).run_in_background()
