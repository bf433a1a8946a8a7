"""Wiring the add-on into Anki: hooks, menu, watcher, startup sync, config.

:func:`install` is the only thing ``addon/__init__.py`` calls. All state
lives on one :class:`PolarSync` object (``controller``), created once per
Anki run; profiles come and go through the hooks.
"""

from __future__ import annotations

import html
import logging
import sys
import time
from concurrent.futures import Future
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

from aqt import gui_hooks, mw
from aqt.qt import Qt, QTimer, QWidget, qconnect, sip
from aqt.utils import showInfo

from ..polar.library import (
    beside,
    default_data_dir,
    export_in_folder,
    resolve_data_dir,
)
from ..settings import Settings, load_defaults
from . import addon_life, config_check, i18n, library_missing, menu, synclog
from .editors import OpenEditors
from .i18n import ntr, tr
from .operations import (
    INTERACTIVE,
    MANUAL,
    PREVIEW,
    SETTINGS,
    STARTUP,
    WATCH,
    Outcome,
    SyncRunner,
    reviewer_note_ids,
    suspend_notes,
    trigger_label,
)
from .polar_folder import Job, folder_looks, look_briefly
from .quiet import UndoWatch
from .report_text import (
    SCHEDULER_WAIT_CODES,
    ChangeTree,
    backup_words,
    conflict_count,
    emptied_cloze_count,
    held_back_decks,
    left_deleted_count,
    leftover_ids,
    log_words,
    made_again_count,
    notice_text,
    problem_count,
    replaced_away_count,
    scheduler_wait_count,
    stopped_by_you_words,
    stopped_words,
    to_do_codes,
    tooltip_text,
    watch_words,
)
from .source_link import SourceLinks
from .tooltips import long_tooltip as tooltip  # (Anki's, wrapped to the window)
from .watcher import ALL, LibraryWatcher, WatchNote

if TYPE_CHECKING:
    # The windows are imported when first opened, not at Anki's start: the
    # settings window needs aqt.addons' config editor (~9 ms on a slow
    # machine where Anki has not loaded it yet).
    from .report_dialog import LogDialog, Notice, ReportDialog
    from .settings_dialog import SettingsDialog

controller: Optional[PolarSync] = None

_HOLD_ANKIWEB = "ankiweb"  # Anki syncing with AnkiWeb (and at startup, until it did)
_HOLD_COLLECTION = "collection"  # collection temporarily closed (full sync, restore)


def install() -> None:
    global controller
    if controller is None:
        controller = PolarSync()
        controller.install()


def _unwritten_lines_are_lost(log: logging.Logger) -> logging.Logger:
    """A log line that cannot be written (the disk full, the logs folder
    gone) is lost, not printed: Python's logging prints "--- Logging error
    ---" and a traceback on stderr, which Anki catches and shows in a box
    ("Your computer's storage may be full", or its "report the issue to the
    add-on author"), over the add-on's own words for the full disk. Only
    the handlers of the add-on's own logger (Anki makes one file for each
    add-on; 23.10: ours), never Python's global ``logging.raiseExceptions``."""
    for handler in log.handlers:
        handler.handleError = lambda record: None  # type: ignore[method-assign]
    return log


def _logger(module: str) -> Any:
    # Anki after 23.x writes add-on logs to the profile's logs/ folder.
    get_logger = getattr(mw.addonManager, "get_logger", None)
    if get_logger:
        return _unwritten_lines_are_lost(get_logger(module))
    # Anki 23.10 has no get_logger: a plain logger's warning went to stderr
    # (Python's last-resort handler), which Anki catches and shows as its
    # "An error occurred … report the issue to the add-on author" box, e.g.
    # over its own "collection appears to be corrupt". A file of ours instead.
    log = logging.getLogger(module)
    if not log.handlers:
        from logging.handlers import RotatingFileHandler

        try:
            synclog.USER_FILES.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = RotatingFileHandler(
                synclog.USER_FILES / "addon-log.txt", maxBytes=1_000_000, backupCount=1, encoding="utf-8", delay=True)
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        except OSError:
            handler = logging.NullHandler()
        log.addHandler(handler)
        log.setLevel(logging.INFO)
    log.propagate = False
    return _unwritten_lines_are_lost(log)


class Told:
    """What a profile's user was told this Anki session, so that a notice
    says it once: old-sync notes (by note id; reported on every sync, a
    notice only for ones not mentioned before), the most notes told
    waiting for Anki's scheduler update, the decks told to hold new cards
    back (by their names)."""

    def __init__(self) -> None:
        self.leftovers: Set[int] = set()
        self.waiting = 0
        self.held: Set[str] = set()


class PolarSync:
    def __init__(self) -> None:
        self.module = mw.addonManager.addonFromModule(__name__)
        self.log = _logger(self.module)
        self.settings = Settings()
        self.config_warnings: List[str] = []
        self.editors = OpenEditors()
        self.quiet = UndoWatch(mw)
        self.runner = SyncRunner(mw, self._context, self._on_finished, self.log, self.editors, self.quiet)
        # Notes an editor showed when a background sync ran (note id ->
        # document): synced again once no editor shows them.
        self.deferred: Dict[int, str] = {}
        self._release_timer = QTimer(mw)
        qconnect(self._release_timer.timeout, self.check_released)
        self.watcher: Optional[LibraryWatcher] = None
        self.watch_root = ""
        self.actions: Dict[str, Any] = {}
        self.last_outcome: Optional[Outcome] = None
        self.closing_cause = ""  # why the profile last closed: "quit", "switch" or "" (closing_cause)
        self.report_dialog: Optional[ReportDialog] = None
        # The report's "Suspend them", asked on Anki's v1 scheduler: done once
        # the scheduler is updated (suspend_after_update).
        self.to_suspend: List[int] = []
        self.notice: Optional[Notice] = None
        # What each profile was told this session (by the profile's name):
        # another profile opened in the same Anki run is told its own.
        self.told: Dict[str, Told] = {}
        self.library_box: Optional[library_missing.LibraryMissing] = None
        self.settings_dialog: Optional[SettingsDialog] = None
        # The last sync's report as the notice shows it (this profile's, this session's).
        self.last_report: Optional[Tuple[Dict[str, Any], str, float, Optional[ChangeTree]]] = None
        # What the watcher reported and no sync took yet: each key with the
        # time.monotonic() at which it has been quiet long enough.
        self._watch_due: Dict[str, float] = {}
        self._watch_since = 0.0  # when the oldest of them (or the last partial flush) came
        self._watch_in_place: Set[str] = set()  # of those, rewritten in place (watcher.in_place)
        self._debounce = QTimer(mw)
        self._debounce.setSingleShot(True)
        qconnect(self._debounce.timeout, self._flush_watch)
        self.source_links = SourceLinks(self._source_context, self.log)
        # Deleted in Tools ▸ Add-ons while Anki runs: nothing of ours runs
        # again until Anki restarts (the folder is gone; see addon_life.py).
        self.removed = False
        # Bumped as a profile opens and closes: a look at the folder made for
        # one profile (_look) is not answered into the next.
        self._opened = 0

    def install(self) -> None:
        self.actions = menu.build(self)
        self.runner.on_stoppable = lambda _stoppable: self.show_stoppable()
        gui_hooks.profile_did_open.append(self.on_profile_open)
        gui_hooks.profile_will_close.append(self.on_profile_close)
        gui_hooks.collection_will_temporarily_close.append(self.on_collection_will_close)
        gui_hooks.collection_did_temporarily_close.append(self.on_collection_reopened)
        gui_hooks.sync_will_start.append(self.on_ankiweb_sync_started)
        gui_hooks.sync_did_finish.append(self.on_ankiweb_sync_finished)
        gui_hooks.deck_browser_did_render.append(lambda _browser: self.suspend_after_update())
        self.editors.install()
        self.quiet.install(self.runner)
        # An editor letting go of a note: another note loaded, or its window
        # closed (focus moves); the timer catches anything else.
        gui_hooks.editor_did_load_note.append(lambda _editor: self.check_released())
        gui_hooks.focus_did_change.append(lambda _new, _old: self.check_released())
        mw.addonManager.setConfigUpdatedAction(self.module, self.on_config_updated)
        # Tools ▸ Add-ons ▸ Config opens our settings window, not the raw JSON.
        mw.addonManager.setConfigAction(self.module, self._config_action)
        self.source_links.install()
        gui_hooks.addon_manager_will_install_addon.append(self.on_addon_will_install)
        gui_hooks.addons_dialog_will_delete_addons.append(self.on_addons_will_delete)

    # -- config ----------------------------------------------------------------

    def load_config(self, raw: Optional[Dict[str, Any]] = None) -> None:
        if raw is None:
            raw = mw.addonManager.getConfig(self.module) or {}
        self.settings, warnings = Settings.from_dict(raw)
        for warning in warnings:
            self.log.warning(warning)
        # The same findings in the interface language, naming the key.
        self.config_warnings = (config_check.problems(raw) or warnings) if warnings else []

    def _context(self) -> Tuple[Settings, Path]:
        return self.settings, synclog.state_path(mw.pm.name or "")

    def _source_context(self) -> Tuple[Settings, Optional[Path], Path]:
        """For the "open at p. N" control: no library while no profile is open."""
        profile = mw.pm.name if mw.col is not None and not self.removed else None
        library = self.data_dir() if profile else None
        return self.settings, library, synclog.state_path(profile or "")

    def data_dir(self) -> Path:
        return resolve_data_dir(self.settings.data_dir)

    def on_config_updated(self, raw: Dict[str, Any]) -> None:
        """Anki's config editor saved: apply at once, no restart. A change
        that shapes the notes syncs: a new Polar folder or export (from the
        menu, the missing-library message, the settings or the JSON) as a
        sync the person asked for (at once, with its progress window and its
        result), any other as a background one."""
        old = self.settings
        self.load_config(raw)
        self.source_links.forget()
        if mw.col is None:
            return
        if (old.watch, old.data_dir) != (self.settings.watch, self.settings.data_dir):
            self.start_watcher()
        message = tr("Polar Sync: settings applied.")
        if self.config_warnings:
            message += "<br>" + "<br>".join(html.escape(w) for w in self.config_warnings)
        tooltip(message, period=6000)
        if old.sync_key() != self.settings.sync_key():
            # e.g. a new data_dir or deck strategy: show its effect now, if
            # the folder is there (looked at as the sync starts, off Anki's
            # window's thread: a folder on a dead share hangs that look)
            self.runner.request(MANUAL if old.data_dir != self.settings.data_dir else SETTINGS, if_there=True)

    def _look(self, folder: Path, look: Callable[[], bool], then: Callable[[bool], Any]) -> None:
        """``look`` at the Polar folder on a thread of its own, then
        ``then(answer)`` on Anki's main thread, unless the profile closed (or
        another opened) meanwhile. On a share that stopped answering (a dead
        hard-mounted NFS server, a sleeping NAS) a look hangs until it answers:
        on the main thread that was Anki's window frozen, not even repainted.
        A look that fails otherwise answers True: the sync then says why."""
        opened = self._opened

        def run() -> None:
            try:
                answer = look()
            except OSError:
                answer = True

            def back() -> None:
                if opened == self._opened and mw.col is not None and not self.removed:
                    then(answer)

            try:
                mw.taskman.run_on_main(back)
            except RuntimeError:  # Anki is shutting down
                pass

        folder_looks(folder, "polar-sync-look").ask(run)  # (one thread per folder: one stuck at most)

    def _write_config(self, **changes: Any) -> None:
        raw = dict(mw.addonManager.getConfig(self.module) or {})
        raw.update(changes)
        mw.addonManager.writeConfig(self.module, raw)
        self.on_config_updated(raw)

    # -- the add-on's own files ---------------------------------------------------

    def on_addon_will_install(self, _manager: Any, module: str) -> None:
        """An update is about to replace our files, and this version runs on
        until Anki restarts: load the rest of it first."""
        if module == self.module:
            failed = addon_life.load_all(self.module)
            self.log.info("before the update: kept the running version (%d vendored modules not for this system)",
                          len(failed))

    def on_addons_will_delete(self, _dialog: Any, modules: List[str]) -> None:
        """Deleted in Tools ▸ Add-ons: stop now, as when the profile closes
        (a running sync stops at its next step), remove our menu entries and
        stay still until Anki restarts: nothing may write into the folder
        Anki removes, nor open a window whose code is gone."""
        if self.module not in modules or self.removed:
            return
        addon_life.load_all(self.module)
        self.on_profile_close()
        self.removed = True
        menu.remove(self.actions)

    # -- profile lifecycle ------------------------------------------------------

    def on_profile_open(self) -> None:
        if self.removed:
            return
        menu.retranslate(self.actions)  # Anki's language may have changed meanwhile
        self.load_config()
        self.runner.reopen()
        self.quiet.reset()
        self.deferred.clear()
        self.runner.release(_HOLD_COLLECTION)
        self._opened += 1
        if self.settings.sync_on_startup and mw.can_auto_sync():
            # Anki syncs with AnkiWeb right after this hook; a full download
            # then would replace what we write. Go after it. (Held here, not
            # once the folder answered: by then that sync may be over.)
            self.runner.hold(_HOLD_ANKIWEB)
        if self.settings.data_dir.strip():
            self._start_profile(True)
        else:  # Polar's own folder: is it there? (Off Anki's window's thread.)
            default = default_data_dir()
            self._look(default, default.exists, self._start_profile)

    def _start_profile(self, there: bool) -> None:
        if not there:
            # Nothing to sync and nothing configured: say so once, ever.
            if not synclog.first_run_done():
                mw.progress.single_shot(500, self.show_first_run)
            return
        other = self._profile_synced_instead()
        if other:
            self._say_left_alone(other)
            return
        self.start_watcher()
        if self.settings.sync_on_startup:
            self.runner.request(STARTUP)

    def _profile_synced_instead(self) -> str:
        """Another profile this library is synced into, while this one never
        synced (else ""). Anki keeps one add-on config for all profiles: a
        second profile (another person's, another subject) would otherwise
        fill with the first one's Polar cards as it opens, and again at each
        change Polar saves. Only a sync asked for here brings them."""
        profile = mw.pm.name or ""
        if synclog.state_path(profile).exists():
            return ""
        # Profiles there are only: a renamed profile's record is under its old name.
        return next((name for name in mw.pm.profiles()
                     if name != profile and synclog.state_path(name).exists()), "")

    def _say_left_alone(self, other: str) -> None:
        words = tr("Polar Sync leaves this profile alone: your Polar library is synced into the profile "
                   "“{profile}”. To have its cards here too, use Tools ▸ Sync from Polar once.", profile=other)
        synclog.append_log(mw.pm.name or "", trigger_label(STARTUP), words)
        mw.progress.single_shot(500, lambda: tooltip(html.escape(words), period=10000))

    def on_ankiweb_sync_started(self) -> None:
        # Every AnkiWeb sync (on open, by hand, on close): nothing of ours
        # starts or writes until it finished; requests wait and merge.
        self.runner.hold(_HOLD_ANKIWEB)

    def on_ankiweb_sync_finished(self) -> None:
        self.runner.release(_HOLD_ANKIWEB)

    def on_profile_close(self) -> None:
        self._opened += 1
        self.closing_cause = closing_cause()  # (for the log's words of a sync it stops)
        self.stop_watcher()
        self._debounce.stop()
        self._watch_due.clear()
        self._watch_in_place.clear()
        self._release_timer.stop()
        self.deferred.clear()
        self.to_suspend = []  # (this profile's notes)
        # Anki closes the collection right after this hook: a running sync
        # stops at its next step and is waited for here.
        self.runner.shut_down()
        self.runner.release(_HOLD_ANKIWEB)
        self.source_links.close()
        if self.settings_dialog is not None and not sip.isdeleted(self.settings_dialog):
            # Its unsaved changes kept as the profile's draft, shown at the
            # next Settings (no question here: settings_draft says why).
            self.settings_dialog.close_with_profile()
        for widget in (self.notice, self.report_dialog, self.library_box, self.settings_dialog):
            _close(widget)
        self.notice = self.report_dialog = self.library_box = self.settings_dialog = None
        self.last_report = None

    def on_collection_will_close(self, col: Any) -> None:
        self.runner.hold(_HOLD_COLLECTION)
        self.runner.pause_for_close()  # a running sync stops and waits for the collection

    def on_collection_reopened(self, col: Any) -> None:
        self.runner.release(_HOLD_COLLECTION)

    # -- watcher ------------------------------------------------------------------

    def start_watcher(self) -> None:
        self.stop_watcher()
        if not self.settings.watch:
            return
        root = self.data_dir()
        # Every look at the folder happens on the watcher's own thread: on a
        # slow share the baseline of 1,000 documents takes seconds, a dead
        # hard-mounted one never answers, and Anki's window must not wait.
        # A folder not there (a USB drive not plugged in yet) is polled
        # until it is: then its changes come in by themselves.
        self.watch_root = str(root)
        self.watcher = LibraryWatcher(self.watch_root, self._on_change_from_thread, self._log_watcher,
                                      wanted=lambda: _worth_watching(root), on_started=self._watcher_started)
        self.watcher.start_in_background()

    def _watcher_started(self, watcher: LibraryWatcher) -> None:
        # On the watcher's starting thread: only the Python log.
        if watcher.idle:
            self.log.info("not watching %s: an export does not change while Anki runs", watcher.root)
        else:
            self.log.info("watching %s (%s)", watcher.root, watcher.mode or "nothing")

    def stop_watcher(self) -> None:
        watcher, self.watcher = self.watcher, None
        if watcher is not None:
            watcher.stop()

    def _log_watcher(self, note: WatchNote) -> None:
        # Called from start() on the main thread, or from the watching thread
        # when it falls back to polling later (logging and the log's one
        # append are safe there); also goes to the sync log, in the user's
        # words with the technical line below, so a user who wonders why
        # changes arrive late can see it. When changes no longer come by
        # themselves, a tooltip says so too (from the main thread).
        self.log.warning(note)
        words = watch_words(note)
        synclog.append_log(mw.pm.name or "", tr("watching the Polar folder"), f"{words}\n{note}")
        if not note.watching:
            try:
                mw.taskman.run_on_main(lambda: tooltip(words, period=8000, parent=mw))
            except RuntimeError:  # Anki is shutting down
                pass

    def _on_change_from_thread(self, keys: FrozenSet[str]) -> None:
        watcher = self.watcher
        if watcher is None:
            return  # stopped meanwhile
        # Here, right after the report: a poll's lateness is known now.
        wait_ms = watcher.debounce_left(self.settings.watch_debounce_ms)
        in_place = watcher.in_place()
        try:
            mw.taskman.run_on_main(lambda: self._on_change(keys, watcher, wait_ms, in_place))
        except RuntimeError:  # Anki is shutting down
            pass

    def _on_change(self, keys: FrozenSet[str], watcher: LibraryWatcher, wait_ms: int,
                   in_place: FrozenSet[str] = frozenset()) -> None:
        if watcher is not self.watcher:
            return  # from a watcher stopped since
        self._watch_in_place |= in_place
        # Sync once Polar has been quiet for watch_debounce_ms (one save is
        # several events), counted from the save itself.
        self._watch_wait(keys, wait_ms)

    def _watch_wait(self, keys: FrozenSet[str], wait_ms: int, at_least: bool = False) -> None:
        """``keys`` are synced once quiet for ``wait_ms`` more (``at_least``:
        not sooner than they already were). The timer is restarted by every
        report, but a document written again and again (a client writing it
        in chunks) holds up only itself: the others are synced within
        _WATCH_CAP_MS of their first report."""
        now = time.monotonic()
        if not self._watch_due:
            self._watch_since = now
        due = now + wait_ms / 1000
        for key in keys:
            self._watch_due[key] = max(self._watch_due.get(key, 0.0), due) if at_least else due
        self._arm_watch(now)

    def _arm_watch(self, now: float) -> None:
        if not self._watch_due:
            self._debounce.stop()
            return
        cap = max(_WATCH_CAP_MS, 4 * self.settings.watch_debounce_ms) / 1000
        last, first = max(self._watch_due.values()), min(self._watch_due.values())
        fire = last if last <= self._watch_since + cap else max(self._watch_since + cap, first)
        self._debounce.start(max(int((fire - now) * 1000) + 1, 0))

    def _flush_watch(self) -> None:
        now = time.monotonic()
        ready = frozenset(k for k, due in self._watch_due.items() if due <= now)
        if not ready:
            self._arm_watch(now)  # the timer came early
            return
        for key in ready:
            del self._watch_due[key]
        in_place = frozenset(self._watch_in_place & ready)
        self._watch_in_place -= ready
        if self._watch_due:  # still being written: the rest of the wait starts again
            self._watch_since = now
            self._arm_watch(now)
        if mw.col is None:
            return
        self.runner.request(WATCH, None if ALL in ready else set(ready), in_place)

    # -- notes open in an editor ----------------------------------------------------

    def note_deferred(self, deferred: Dict[int, str]) -> None:
        self.deferred.update(deferred)
        if self.deferred and not self._release_timer.isActive():
            self._release_timer.start(1000)

    def check_released(self) -> None:
        """Sync the documents of deferred notes no editor (nor the reviewer)
        shows any more."""
        if not self.deferred or mw.col is None:
            self._release_timer.stop()
            return
        shown = self.editors.note_ids() | reviewer_note_ids(mw)
        released = {nid: doc for nid, doc in self.deferred.items() if nid not in shown}
        if not released:
            return
        for nid in released:
            del self.deferred[nid]
        if not self.deferred:
            self._release_timer.stop()
        self.runner.request(WATCH, set(released.values()))

    # -- actions --------------------------------------------------------------------

    def sync_now(self) -> None:
        if mw.col is not None:
            self.runner.request(MANUAL)

    def can_stop(self) -> bool:
        """Whether Tools ▸ Polar Sync ▸ Stop the sync has a sync to stop."""
        return mw.col is not None and self.runner.stoppable

    def stop_sync(self) -> None:
        """Tools ▸ Polar Sync ▸ Stop the sync: as Escape in the sync's window
        (a background sync has none): it stops at its next stop point. A
        background sync waiting for a pause in the person's work is dropped
        (the next sync does it). Chosen when there is nothing to stop (a
        choice that came as the sync ended): said, nothing else done."""
        stopped = self.runner.stop_running()
        self.show_stoppable()
        if stopped == "waiting":
            words = tr("Polar Sync: the sync that was waiting for a pause in your work will not run, as you asked; "
                       "the next sync does it.")
            tooltip(html.escape(words), period=6000)
            dropped = self.runner.dropped
            if dropped:  # (in the sync log too, under what had asked for it, as a stopped sync is)
                label = trigger_label(dropped[0].trigger)
                only = dropped[0].only
                if len(dropped) == 1 and only is not None:
                    label += " (" + ntr("{n} document", "{n} documents", len(only)) + ")"
                self._log(mw.pm.name or "", label, words)
        elif not stopped:
            tooltip(html.escape(tr("Polar Sync: no sync is running now; nothing was stopped.")), period=4000)

    def show_stoppable(self) -> None:
        """Stop the sync enabled exactly while there is a sync to stop: the
        runner calls this as a sync begins, begins waiting or ends, so a
        menu left open shows it true."""
        action = self.actions.get("stop")
        if action is not None:
            action.setEnabled(self.can_stop())

    def preview(self) -> None:
        if mw.col is not None:
            self.runner.request(PREVIEW)

    def open_log(self) -> LogDialog:
        from .report_dialog import show_log

        return show_log(mw)

    def open_settings(self) -> SettingsDialog:
        """Our settings window (also Anki's Add-ons ▸ Config button)."""
        from .settings_dialog import SettingsDialog

        shown = self.settings_dialog
        if shown is not None and not sip.isdeleted(shown) and shown.isVisible() and shown.changed():
            # Asked for again while it holds unsaved changes (a draft shown
            # again, too): brought to the front, not replaced (which dropped them).
            shown.raise_()
            shown.activateWindow()
            return shown
        _close(shown)
        dialog = SettingsDialog(mw, mw.addonManager.getConfig(self.module) or {}, load_defaults(), self.module,
                                self._save_config, profile=(mw.pm.name or "") if mw.col is not None else "")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        self.settings_dialog = dialog
        return dialog

    def _config_action(self) -> None:
        self.open_settings()  # returning None tells Anki the add-on handled it

    def _save_config(self, raw: Dict[str, Any]) -> None:
        mw.addonManager.writeConfig(self.module, raw)
        self.on_config_updated(raw)

    def choose_data_dir(self) -> None:
        from .settings_dialog import choose_folder

        path = choose_folder(mw, self.settings.data_dir)
        if path:
            self._write_config(data_dir=path)

    def choose_export_zip(self) -> None:
        from .settings_dialog import export_chosen

        path = export_chosen(mw, self.settings.data_dir)  # (refused with a box, or the export's folder)
        if not path:
            return
        if path == self.settings.data_dir:
            self.runner.request(MANUAL)  # the same file again (a newer download saved over it)
        else:
            self._write_config(data_dir=path)  # a new source: synced as asked, with its progress

    def show_first_run(self) -> None:
        synclog.mark_first_run_done()
        self.show_library_missing(first_run=True)

    def _close_library_box(self) -> None:
        box = self.library_box
        if box is not None and not sip.isdeleted(box) and box.isVisible():
            box.close()

    def show_library_missing(
        self, detail: str = "", first_run: bool = False, empty: bool = False
    ) -> Optional[library_missing.LibraryMissing]:
        """The message, with what it says of the folder looked up off Anki's
        main thread (the folder may be on a share that stopped answering, or
        fails each look only after a soft mount's timeout): shown now when
        the look answers within 0.2 s (returned), else when it answers (None)."""
        path = self.data_dir()
        cache = beside(synclog.state_path(mw.pm.name or ""))
        job = look_briefly(lambda: library_missing.look(path, empty, cache=cache))
        if job.done.is_set():
            return self._show_library_missing(path, cache, job, detail, first_run, empty)
        opened = self._opened

        def back() -> None:
            if (opened == self._opened and mw.col is not None and not self.removed and not self.runner.closing
                    and self.data_dir() == path):
                self._show_library_missing(path, cache, job, detail, first_run, empty)

        def then() -> None:
            try:
                mw.taskman.run_on_main(back)
            except RuntimeError:  # Anki is shutting down
                pass

        if not job.when_done(then):
            return self._show_library_missing(path, cache, job, detail, first_run, empty)
        return None

    def _show_library_missing(self, path: Path, cache: Path, job: Job, detail: str, first_run: bool,
                              empty: bool) -> library_missing.LibraryMissing:
        looked = job.result if isinstance(job.result, library_missing.Looked) else library_missing.Looked(
            bool(detail), False, None)  # (a look that failed: said as the sync found it)
        box = library_missing.show(
            mw, path, bool(self.settings.data_dir.strip()), self.choose_data_dir,
            self.choose_export_zip, detail=detail, first_run=first_run,
            previous=self.library_box if self.library_box is not None and not sip.isdeleted(self.library_box)
            else None, empty=empty, cache=cache, looked_up=looked,
        )
        self.library_box = box
        return box

    # -- results ----------------------------------------------------------------------

    def _on_finished(self, outcome: Outcome) -> Optional[Future[None]]:
        """Log and show a finished sync. Returns the log entry's write when
        it runs on the log's thread: the runner counts the sync as done
        once it is on disk."""
        self.last_outcome = outcome
        stop = self.actions.get("stop")
        if stop is not None:  # (no sync to stop now: a menu left open meanwhile says so)
            stop.setEnabled(False)
        report = outcome.report
        trigger = outcome.request.trigger
        label = trigger_label(trigger)
        if outcome.request.only is not None:
            label += " (" + ntr("{n} document", "{n} documents", len(outcome.request.only)) + ")"
        profile = mw.pm.name or ""
        if outcome.interrupted and outcome.by_you:
            # Stopped as the person asked (Escape, Cancel), before it wrote: said as they see it
            # (a preview stopped is simply gone: nothing to say of it).
            if trigger == PREVIEW:
                return None
            words = stopped_words(report.stopped, outcome.stage, "you")
            landing = self._log(profile, label, words)
            if not self.runner.closing:
                tooltip(html.escape(words), period=6000)
            return landing
        if outcome.interrupted:
            # A normal quit, not a failure; no window may be shown now. (Here,
            # not on the log's thread: Anki may be quitting.)
            synclog.append_log(profile, label, stopped_words(report.stopped, outcome.stage, self.closing_cause))
            return None
        if outcome.library_error:
            # Not a problem of the sync: there was nothing to sync. Say how to fix it.
            landing = self._log(profile, label, tr("No Polar library: {reason}", reason=outcome.library_error))
            # Not for a change the watcher saw: the folder going away is that
            # change (a USB drive unplugged, a share gone while the laptop
            # sleeps); a window in the middle of a review would only say it.
            # The log does; a sync asked for (or at start) opens the window.
            if not self.runner.closing and trigger != WATCH:
                self.show_library_missing(detail=outcome.library_error)
            return landing
        if not _no_documents(report):
            self._close_library_box()  # found since it said the library was missing (drive plugged back)
        watcher = self.watcher
        if watcher is not None and watcher.polling_for_folder and not _no_documents(report) and not self.runner.closing:
            self.start_watcher()  # the folder is back: inotify again instead of the poll
        if trigger == MANUAL and outcome.request.only is None and not outcome.failed:
            self.deferred.clear()  # written by hand, editors saved first
            if self.watcher is None and not self.runner.closing:
                self.start_watcher()  # a profile left alone (_profile_synced_instead) synced by hand
        deferred = report.deferred
        self.note_deferred(deferred)
        if report.being_written and not self.runner.closing:
            # Cut short just after a write (a copy in place still running):
            # read again once it is older than read.WRITING_NS, so that a
            # file left broken is then reported; with whatever the watcher
            # reports meanwhile. (Imported here: not at Anki's start.)
            from ..sync.read import WRITING_NS

            # Read again by the in-place rule (read_document's just_changed)
            # whether or not the watcher saw it: a copy still at work then is
            # left again, not called damaged (the watcher off saw nothing).
            self._watch_in_place |= set(report.being_written)
            self._watch_wait(frozenset(report.being_written), WRITING_NS // 1_000_000 + 1000, at_least=True)
        if trigger in (STARTUP, MANUAL, SETTINGS):  # a typo in the config deserves a mention
            for warning in self.config_warnings:
                report.warn("add-on config", warning, code="config_setting")
        data = report_data(outcome)
        told = self.told.setdefault(profile, Told())
        new_leftovers = set(leftover_ids(data)) - told.leftovers
        told.leftovers |= new_leftovers
        attention = problem_count(data) + conflict_count(data) + len(new_leftovers) + made_again_count(data)
        attention += replaced_away_count(data)  # said once: it is not the user's deletion
        attention += left_deleted_count(data)  # said once: later syncs leave them without a word
        attention += emptied_cloze_count(data)  # shown empty in the reviews until Empty Cards
        # A newer export beside, a download in progress, another library...; the
        # v1 scheduler's wait (old_scheduler) once a session while it holds no
        # more notes than told, unless a person asked for this sync: a user who
        # does not update yet would hear it at every start and watch sync.
        # The same for decks whose options hold new cards back (new_cards_held):
        # a user who paused new cards on purpose hears it once a session a deck.
        waiting = scheduler_wait_count(data)
        quiet = set(SCHEDULER_WAIT_CODES) if 0 < waiting <= told.waiting and trigger not in INTERACTIVE else set()
        told.waiting = max(told.waiting, waiting)
        held = held_back_decks(data)
        if held and held <= told.held and trigger not in INTERACTIVE:
            quiet.add("new_cards_held")
        told.held |= held
        quiet_wait = bool(quiet)
        shown = data
        if quiet:  # nor in a notice that other news brings (the report and the log still say it)
            shown = dict(data, warnings=[w for w in data.get("warnings") or [] if w.get("code") not in quiet])
        attention += len(to_do_codes(shown))
        noteworthy = report.changed or attention or data.get("warnings") or deferred or trigger != WATCH
        landing = None
        if noteworthy:
            words = log_words(data)  # the rows in the user's words, above the technical lines
            if data.get("backup"):
                words = backup_words() + ("\n" + words if words else "")
            if stopped_by_you_words(data):  # the first thing to know of it
                words = stopped_by_you_words(data) + ("\n" + words if words else "")
            summary = report.summary()  # English (the CLI's too)
            # The gist, then the rows in the user's words, then the technical English lines (eyes11:
            # 15 damaged files put ~40 lines of them above the rows, which were out of sight).
            if i18n.current() != "en":
                gist = notice_text(data, len(new_leftovers)) if attention or quiet_wait else tooltip_text(data)
                text = "\n".join(part for part in (gist, words, summary) if part)
            else:  # the same order: its first line is the gist
                gist, _, rest = summary.partition("\n")
                text = "\n".join(part for part in (gist, words, rest) if part)
            landing = self._log(profile, label, text, data)
        if self.runner.closing:
            return landing  # finished while the profile closes: logged, nothing shown
        if trigger == PREVIEW:
            self.show_report(data, label, outcome.finished, outcome.changes)
            return landing
        self.last_report = (data, label, outcome.finished, outcome.changes)
        if (trigger in (MANUAL, SETTINGS, STARTUP) and outcome.request.only is None and not outcome.failed
                and _no_documents(report) and not attention):
            # Most often the wrong folder: say so instead of "everything is up to date".
            self.show_library_missing(empty=True)
            return landing
        if attention:
            self.show_notice(
                "<b>" + html.escape(notice_text(shown, len(new_leftovers))) + "</b>",
                lambda: self.show_report(data, label, outcome.finished, outcome.changes),
            )
        elif stopped_by_you_words(data):  # (how far it got, and that the rest comes)
            tooltip(html.escape(stopped_by_you_words(data)), period=6000)
        elif report.changed or trigger in INTERACTIVE:
            # Quiet when nothing changed, unless a person asked for this sync.
            tooltip(html.escape(tooltip_text(data)), period=4000)
        return landing

    def _log(self, profile: str, label: str, summary: str, data: Optional[Dict[str, Any]] = None
             ) -> Optional[Future[None]]:
        """A finished sync's log entry (and last-report.json): on the log's
        thread, off Anki's (~30 ms on a slow disk); here while the profile
        closes (Anki may quit next)."""
        if self.runner.closing:
            synclog.append_log(profile, label, summary, data)
            return None
        return synclog.append_later(profile, label, summary, data)

    def show_notice(self, text: str, on_click: Any) -> Notice:
        from .report_dialog import Notice

        _close(self.notice)
        notice = Notice(mw.app.activeWindow() or mw, text, on_click, period_ms=15000)
        notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        notice.show()
        self.notice = notice
        return notice

    def show_last_report(self) -> Optional[ReportDialog]:
        """Tools ▸ Polar Sync ▸ Show last report: the report the notice opens
        on a click, for whoever has no mouse (the notice takes no keys) or
        missed it (it goes after 15 s)."""
        if self.last_report is None:
            tooltip(html.escape(tr("No sync has finished since this profile was opened.")), period=4000)
            return None
        return self.show_report(*self.last_report)

    def show_report(self, data: Dict[str, Any], trigger: str, when: float,
                    changes: Optional[ChangeTree] = None) -> ReportDialog:
        from .report_dialog import ReportDialog

        _close(self.report_dialog)
        dialog = ReportDialog(mw, data, trigger, when, suspend=self.suspend_leftovers, changes=changes)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.report_dialog = dialog
        dialog.show()
        dialog.raise_()
        return dialog


    def suspend_leftovers(self, nids: List[int]) -> None:
        """The report's "Suspend them" for notes of Polar's old sync."""
        if mw.col is None or not nids:
            return
        if mw.col.sched_ver() == 1:
            # Anki refuses (SchedulerUpgradeRequired) with its own error box,
            # which names no way on: the deck list, whose banner offers the
            # update, and the notes suspended once it is done (the person
            # asked for it: they had to find the report again, Tools ▸ Polar
            # Sync ▸ Show last report, and ask once more).
            self.to_suspend = list(dict.fromkeys([*self.to_suspend, *nids]))
            mw.moveToState("deckBrowser")
            report = self.report_dialog
            shown = report is not None and not sip.isdeleted(report) and report.isVisible()
            showInfo(tr("Anki suspends no card in this collection until its old scheduler is updated: the deck "
                        "list, shown now, offers the update, and the notes you asked to suspend are suspended as "
                        "soon as it is done."),
                     parent=report if shown else mw)
            return
        suspend_notes(mw, nids, lambda n: tooltip(html.escape(
            ntr("{n} card suspended", "{n} cards suspended", n)), period=3000))


    def suspend_after_update(self) -> None:
        """The notes the report's "Suspend them" asked for on the v1
        scheduler, suspended as the deck list shows again after Anki's
        scheduler update (its "Update" button: the list is drawn again once
        its "Scheduler updated successfully" box is closed). Nothing while
        none wait or the collection is still on v1 (every drawing of the
        deck list: one look at a list)."""
        if not self.to_suspend or mw.col is None or mw.col.sched_ver() == 1:
            return
        nids, self.to_suspend = self.to_suspend, []
        self.suspend_leftovers(nids)


# A document written again and again holds up the others' watch sync no
# longer than this (or four times the debounce setting, if longer).
_WATCH_CAP_MS = 10_000


def _no_documents(report: Any) -> bool:
    """A whole-library sync that found no document and changed nothing."""
    return not report.documents and not report.changed and not report.errors


def _close(widget: Optional[QWidget]) -> None:
    """Close a window we may have shown before; Qt may have deleted it since."""
    if widget is not None and not sip.isdeleted(widget):
        widget.close()


def report_data(outcome: Outcome) -> Dict[str, Any]:
    """A finished sync's report as the window, the notice and the log have
    it: the core's figures, and whether Anki backed the collection up first
    (the report and the log then say how to go back, if the sync changed
    anything: a first sync that found everything in place has no step to undo)."""
    data = outcome.report.to_dict(outcome.change_rows)
    if outcome.backed_up and outcome.report.changed:
        data["backup"] = True
    return data


def closing_cause() -> str:
    """Why the profile closes, read from Anki's own call that closes it
    (``profile_will_close`` runs inside it, in 23.10 as in 26.x): "quit"
    (``unloadProfileAndExit``: the window closed, File ▸ Exit), "switch"
    (``unloadProfileAndShowProfileManager``: File ▸ Switch Profile), or ""
    (another way, e.g. a backup being restored)."""
    causes = {"unloadProfileAndExit": "quit", "unloadProfileAndShowProfileManager": "switch"}
    frame: Optional[FrameType] = sys._getframe(1)
    for _ in range(40):  # the hook is a few calls below Anki's method
        if frame is None:
            break
        cause = causes.get(frame.f_code.co_name)
        if cause is not None:
            return cause
        frame = frame.f_back
    return ""


def _worth_watching(root: Path) -> bool:
    """Whether the library at ``root`` can change while Anki runs (on the
    watcher's starting thread): a data directory, there or not yet; not an
    export, nor one unpacked, nor a folder of them."""
    if root.exists() and not root.is_dir():
        return False
    return not (root.is_dir() and export_in_folder(root) is not None)
