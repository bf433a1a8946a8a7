"""Watching the Polar data directory for changes.

Runs entirely off the main thread and never touches Anki or Qt: every change
is reported as a set of document keys (the ``<fingerprint>`` folder names)
through ``on_change``, which the caller must hop to the main thread
(``mw.taskman.run_on_main``) and debounce; Polar writes a temp file and
renames it, so one save produces several events.

Only what can change cards is watched: the data directory itself (documents
appearing, going, renamed), each document folder (its ``state.json``) and
``files/image/``; never ``.backup-*`` or other dot-folders, ``stash/``,
``logs/``. Backends by platform (:func:`backends_for`):

* Linux: one inotify instance, documents + 3 watches (watch_inotify.py);
* Windows: the bundled watchdog's ReadDirectoryChangesW observer, one
  recursive handle, events outside documents dropped (watch_paths.py);
* a folder on a network or shared file system (NFS, SMB, sshfs and other
  FUSE mounts, a VM's or WSL's shared folder; watch_mounts.py): the poll
  from the start, on Linux too: changes made on the other side of such a
  mount raise no inotify event;
* macOS and the rest: a stat poll (watch_poll.py). The bundled watchdog has
  no FSEvents (compiled) and its kqueue fallback opens a descriptor per file,
  thousands for a real library, inside Anki's own process.

Every platform falls back to the poll, at start or later (the system's watch
limit reached by a new document): logged once through ``log`` (which may be
called from the watching thread), never raised into Anki.
"""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from typing import Any, Callable, FrozenSet, Optional, Tuple

from . import watch_mounts
from .polar_folder import folder_looks
from .vendor import load_windows_observer
from .watch_mounts import remote_filesystem
from .watch_paths import ALL, change_key
from .watch_poll import StatPoller, recent_documents

__all__ = ["ALL", "LibraryWatcher", "WatchNote", "backends_for", "change_key"]

# The poll's shortest interval: with the default 1.5 s debounce on top,
# change -> note stays within 2 s (watch_poll.py stretches it when one poll
# gets expensive).
POLL_SECONDS = 0.25

INOTIFY, WATCHDOG, POLL = "inotify", "watchdog", "poll"

# Reads (including our own sync reading state.json) must not trigger syncs.
_IGNORED_EVENTS = frozenset({"opened", "closed_no_write"})

ChangeCallback = Callable[[FrozenSet[str]], None]

# What a WatchNote says happened.
WATCH_FAILED = "watch_failed"  # a backend could not start (then: the next one, or none)
WATCH_STOPPED = "watch_stopped"  # a running backend gave up: polling instead
POLL_FAILED = "poll_failed"  # the poll could not start in its place: not watching


class WatchNote(str):
    """What the watcher tells its log: the English message (a ``str``: the
    Python log and the tests read it as before) with its kind (``code``) and
    the parts the add-on's words need (``report_text.watch_words``): the
    folder, the backend, the reason, what comes next (``then``: a backend,
    ``poll`` or "" for nothing: changes wait for a sync by hand) and the
    poll's interval."""

    code: str
    root: str
    backend: str
    reason: str
    then: str
    seconds: float

    def __new__(cls, message: str, code: str, root: str, backend: str, reason: str, then: str,
                seconds: float) -> WatchNote:
        made = super().__new__(cls, message)
        made.code, made.root, made.backend, made.reason, made.then, made.seconds = (
            code, root, backend, reason, then, seconds)
        return made

    @property
    def watching(self) -> bool:
        """Whether changes still arrive by themselves."""
        return bool(self.then)


Log = Callable[[WatchNote], None]


def backends_for(platform: str) -> Tuple[str, ...]:
    """The backends to try, best first, on a ``sys.platform`` value."""
    if platform.startswith("linux"):
        return (INOTIFY, POLL)
    if platform in ("win32", "cygwin"):
        return (WATCHDOG, POLL)
    return (POLL,)  # darwin, BSDs: watchdog would use kqueue (a descriptor per file)


class _Handler:
    """watchdog calls ``dispatch`` on its own thread for every event."""

    def __init__(self, root: str, emit: ChangeCallback) -> None:
        self.root = root
        self.emit = emit

    def dispatch(self, event: Any) -> None:
        if event.event_type in _IGNORED_EVENTS:
            return
        keys = set()
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                if isinstance(path, bytes):
                    path = os.fsdecode(path)
                key = change_key(self.root, path, event.is_directory)
                if key:
                    keys.add(key)
        if keys:
            self.emit(frozenset(keys))


class _WatchdogBackend:
    """One watchdog observer scheduled recursively on the data directory
    (on Windows: one ReadDirectoryChangesW handle for the whole tree)."""

    def __init__(self, root: str, emit: ChangeCallback, observer_class: Any) -> None:
        self.root = root
        self.emit = emit
        self.observer_class = observer_class
        self.name = getattr(observer_class, "__name__", WATCHDOG)
        self._observer: Any = None

    def start(self) -> None:
        observer = self.observer_class()
        try:
            observer.schedule(_Handler(self.root, self.emit), self.root, recursive=True)
            observer.start()
        except BaseException:
            _stop_observer(observer)
            raise
        self._observer = observer

    def stop(self) -> None:
        observer, self._observer = self._observer, None
        _stop_observer(observer)


class LibraryWatcher:
    """Watches one data directory until :meth:`stop`. ``mode`` names the
    backend in use (for the log and the tests); ``backend`` is it."""

    def __init__(
        self,
        root: str,
        on_change: ChangeCallback,
        log: Log,
        *,
        poll_seconds: float = POLL_SECONDS,
        platform: Optional[str] = None,
        load_observer: Optional[Callable[[], Any]] = None,
        mountinfo: Optional[str] = None,
        wanted: Optional[Callable[[], bool]] = None,
        on_started: Optional[Callable[[LibraryWatcher], None]] = None,
    ) -> None:
        self.root = os.path.abspath(root)
        self.on_change = on_change
        self.log = log
        self.poll_seconds = poll_seconds
        self.platform = platform or sys.platform
        self.load_observer = load_observer or load_windows_observer
        self.mountinfo = mountinfo  # Linux: where the folder's file system type is read (watch_mounts.py)
        self.remote = ""  # that type, when it is a network or shared one (then: the poll)
        # Polling only until the folder is there (again): a USB drive not yet
        # plugged in, pulled out; the caller restarts the watcher once a
        # sync found the library (``LibraryWatcher.can_do_better``).
        self.waiting_for_folder = False
        self.mode = ""
        self.backend: Any = None
        # Checked first, on the starting thread: False (an export, a file)
        # leaves the watcher idle (``mode`` "").
        self.wanted = wanted
        self.on_started = on_started  # called on the starting thread once ``mode`` is known
        self.idle = False
        self._lock = threading.Lock()
        self._stopped = False
        self._generation = 0  # a start still running when stop() came keeps nothing it made
        self._started = threading.Event()
        self._started.set()
        # A backend that gave up before the start installed it (its thread
        # runs from backend.start()): handled once it is.
        self._early_failure: Optional[Tuple[str, str, bool]] = None

    def start(self) -> None:
        """Start on this thread (tests, the bench): ``mode`` is known on return."""
        self.stop()  # never two backends for one watcher
        with self._lock:
            self._stopped = False
            self._generation += 1
            generation = self._generation
            self._started = started = threading.Event()  # this start's own: an older one ends by itself
            self.mode = ""
            self._early_failure = None
        try:
            self._begin(generation, None)
        finally:
            started.set()

    def start_in_background(self) -> None:
        """Start on a thread of its own and return at once: every touch of
        the folder (is it there, which file system, the baseline, a watch per
        document) can take long on a slow share and hang on a dead one,
        which must not freeze Anki's window as the profile opens. A save
        made while the start runs is reported once it has (its mtime is no
        older than the start: ``recent_documents``)."""
        self.stop()
        with self._lock:
            self._stopped = False
            self._generation += 1
            generation = self._generation
            self._started = started = threading.Event()
            self.mode = ""
            self._early_failure = None
        since_ns = time.time_ns()
        # One starting thread per folder: a start asked while an earlier one
        # is stuck on a dead share waits behind it (that one, stopped, then
        # touches nothing) instead of leaving one more thread in the kernel.
        folder_looks(self.root, "polar-sync-watch-start").ask(
            lambda: self._begin_on_thread(generation, since_ns, started))

    def wait_started(self, timeout: Optional[float] = None) -> bool:
        """True once the start has finished (``mode`` known)."""
        return self._started.wait(timeout)

    def _begin_on_thread(self, generation: int, since_ns: int, started: threading.Event) -> None:
        try:
            self._begin(generation, since_ns)
        except Exception:  # nothing may escape a thread; not watching then
            pass
        finally:
            started.set()

    def _begin(self, generation: int, since_ns: Optional[int]) -> None:
        wanted = self.wanted is None or self.wanted()
        waiting = wanted and not os.path.isdir(self.root)
        if not self._current(generation):
            return  # stopped (or started again) meanwhile: an older start touches nothing
        self.remote = ""
        self.idle = not wanted
        if self.idle:  # an export: nothing to watch
            self.mode = ""
            self._tell_started()
            return
        self.waiting_for_folder = waiting
        if self.waiting_for_folder and POLL in backends_for(self.platform):
            # Not there (yet): the poll sees it arrive, at one stat a
            # wait; nothing to say, nothing has failed.
            poller = self._poller()
            try:
                poller.start()
            except Exception:  # then the usual order, which logs
                pass
            else:
                if self._install(generation, poller):
                    self._catch_up(since_ns, poller)
                return
        for kind in backends_for(self.platform):
            try:
                backend = self._make(kind)
                backend.start()
            except Exception as exc:  # e.g. the inotify watch limit, a missing module
                if not self._current(generation):
                    return
                reason, then = _reason(exc), self._then(kind)
                self.log(WatchNote(f"cannot watch {self.root} with {kind} ({reason}); {self._next(kind)}",
                                   WATCH_FAILED, self.root, kind, reason, then, self.poll_seconds))
                continue
            if self._install(generation, backend):
                self._catch_up(since_ns, backend)
            return
        self._tell_started()

    def _current(self, generation: int) -> bool:
        return not self._stopped and generation == self._generation

    def _install(self, generation: int, backend: Any) -> bool:
        """Make ``backend`` the one in use, unless stop() (or another start)
        came meanwhile: then stop it. Whether it was installed."""
        with self._lock:
            current = self._current(generation)
            if current:
                self.backend, self.mode = backend, backend.name
            failure, self._early_failure = self._early_failure, None
        if not current:
            _stop_quietly(backend)
            return False
        self._tell_started()
        if failure is not None:
            self._failed(*failure)
        return True

    def _tell_started(self) -> None:
        if self.on_started is not None:
            try:
                self.on_started(self)
            except Exception:  # the receiver's problem must not end the start
                pass

    def _catch_up(self, since_ns: Optional[int], backend: Any) -> None:
        """A start in the background: the documents saved since it began may
        be in the backend's baseline (or saved before their folder got its
        watch) and in no sync yet: report them."""
        if since_ns is None:
            return
        keys = recent_documents(self.root, since_ns, backend if isinstance(backend, StatPoller) else None)
        if keys:
            self._emit(keys)

    def stop(self) -> None:
        """Never waits for a start still running (a dead share): that start
        stops what it made when it ends."""
        with self._lock:
            self._stopped = True
            backend, self.backend = self.backend, None
        if backend is not None:
            _stop_quietly(backend)

    @property
    def polling_for_folder(self) -> bool:
        """Polling only for want of the folder, where the platform has
        better: once a sync found the library, a restart gets the
        platform's own notices back. No file-system touch (the main thread
        asks)."""
        return self.waiting_for_folder and self.mode == StatPoller.name and backends_for(self.platform)[0] != POLL

    @property
    def can_do_better(self) -> bool:
        """Polling only for want of the folder, which is there now: a
        restart gets the platform's own notices back."""
        return (self.waiting_for_folder and self.mode == StatPoller.name and backends_for(self.platform)[0] != POLL
                and os.path.isdir(self.root))

    def change_age(self) -> float:
        """Seconds since the change just reported was made, as far as the
        backend knows: a poll sees a save up to one interval late; the
        event backends report at once (0). Called from ``on_change`` (the
        backend's thread, right after the report)."""
        backend = self.backend
        return backend.age() if isinstance(backend, StatPoller) else 0.0

    def in_place(self) -> FrozenSet[str]:
        """The documents of the change just reported that were rewritten in
        place, not replaced (only the poll can tell: inotify reports an
        in-place write when it is closed, whole). Called from ``on_change``,
        like ``change_age``."""
        backend = self.backend
        return backend.in_place if isinstance(backend, StatPoller) else frozenset()

    def debounce_left(self, debounce_ms: int) -> int:
        """Milliseconds to wait before syncing the change just reported (the
        caller restarts its timer with it on every report): ``debounce_ms``
        of quiet counted from the save, not from when it was seen; at least
        50. Called from ``on_change``, like ``change_age``."""
        return max(debounce_ms - int(self.change_age() * 1000), 50)

    def _make(self, kind: str) -> Any:
        if kind == INOTIFY:
            remote = remote_filesystem(self.root, self.mountinfo or watch_mounts.MOUNTINFO)
            if remote:
                self.remote = remote
                raise NotLocal(errno.EREMOTE, f"the folder is on a network or shared file system ({remote}), "
                                              "whose changes made elsewhere inotify does not report")
            # Imported here: ctypes costs more than the rest of the add-on's
            # import at Anki's start, and only Linux needs it.
            from .watch_inotify import InotifyBackend

            return InotifyBackend(self.root, self._emit,
                                  lambda reason, gone=False: self._failed(kind, reason, gone))
        if kind == WATCHDOG:
            return _WatchdogBackend(self.root, self._emit, self.load_observer())
        return self._poller()

    def _poller(self) -> StatPoller:
        poller = StatPoller(self.root, self._emit, self.poll_seconds)
        poller.remote = bool(self.remote)  # a share's server counts its wall time too
        return poller

    def _then(self, kind: str) -> str:
        """The backend tried after ``kind``, or "" (none: not watching)."""
        kinds = backends_for(self.platform)
        later = kinds[kinds.index(kind) + 1:] if kind in kinds else ()
        return later[0] if later else ""

    def _next(self, kind: str) -> str:
        then = self._then(kind)
        if not then:
            return "not watching; use Sync from Polar"
        return f"trying {then}" if then != POLL else f"polling every {self.poll_seconds:g} s"

    def _emit(self, keys: FrozenSet[str]) -> None:
        if self._stopped:
            return
        try:
            self.on_change(keys)
        except Exception:  # the receiver's problem must not end the watching thread
            pass

    def _failed(self, kind: str, reason: str, gone: bool = False) -> None:
        """A backend gave up while running (called on its thread): poll
        instead. ``gone``: the folder itself went (deleted, moved, unmounted;
        something may already stand in its place, a symlink to where it went):
        the poll is then only until a sync finds it (``can_do_better``)."""
        with self._lock:
            if self._stopped:
                return
            if self.backend is None:  # not installed yet (a start on its own thread): once it is
                self._early_failure = (kind, reason, gone)
                return
            if self.backend.name != kind:
                return
            self.waiting_for_folder = gone or not os.path.isdir(self.root)  # deleted, unmounted, pulled out
            self.log(WatchNote(
                f"stopped watching {self.root} with {kind} ({reason}); polling every {self.poll_seconds:g} s",
                WATCH_STOPPED, self.root, kind, reason, POLL, self.poll_seconds))
            poller = self._poller()
            try:
                poller.start()
            except Exception as exc:
                why = _reason(exc)
                self.log(WatchNote(f"cannot poll {self.root} ({why}); not watching", POLL_FAILED, self.root, POLL,
                                   why, "", self.poll_seconds))
                self.backend, self.mode = None, ""
                return
            self.backend, self.mode = poller, poller.name
        self._emit(frozenset({ALL}))  # what changed while switching is not known


class NotLocal(OSError):
    """The folder is on a file system whose changes inotify may never see."""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return f"{type(exc).__name__}: {exc}"


def _stop_quietly(backend: Any) -> None:
    try:
        backend.stop()
    except Exception:  # stopping a half-started backend must not raise
        pass


def _stop_observer(observer: Any) -> None:
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except Exception:  # stopping a half-started observer must not raise
        pass
