"""Choosing the backend per platform, falling back, and what every backend
reports on a real Polar tree (real files, real threads, no Anki)."""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest
from watchdog.observers import Observer

from addon.gui.watcher import ALL, LibraryWatcher, backends_for
from tests.gui.watch_helpers import Collector, document_id, polar_tree, touch_state, wait_until

LINUX = sys.platform.startswith("linux")


@pytest.mark.parametrize(
    ("platform", "expected"),
    [
        ("linux", ("inotify", "poll")),
        ("linux2", ("inotify", "poll")),
        ("win32", ("watchdog", "poll")),
        ("cygwin", ("watchdog", "poll")),
        ("darwin", ("poll",)),  # no FSEvents in the bundle, and never kqueue
        ("freebsd14", ("poll",)),
        ("openbsd7", ("poll",)),
        ("sunos5", ("poll",)),
    ],
)
def test_backends_for_each_platform(platform, expected):
    assert backends_for(platform) == expected


def never_loaded():
    raise AssertionError("watchdog must not be loaded on this platform")


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "polar"
    polar_tree(root, documents=8, backups=20)
    return root


def test_macos_polls_without_loading_watchdog_or_logging(library):
    logs: list = []
    w = LibraryWatcher(str(library), Collector(), logs.append, platform="darwin", load_observer=never_loaded)
    w.start()
    try:
        assert w.mode == "stat-poller"
        assert not logs  # the normal choice there, not a fallback
    finally:
        w.stop()


@pytest.mark.skipif(not LINUX, reason="runs the real inotify backend")
def test_linux_does_not_load_watchdog(library):
    w = LibraryWatcher(str(library), Collector(), print, platform="linux", load_observer=never_loaded)
    w.start()
    try:
        assert w.mode == "inotify"
    finally:
        w.stop()


def test_windows_without_a_loadable_watchdog_polls_and_says_so(library):
    def missing():
        raise ImportError("the bundled watchdog 6.0.0 cannot be loaded: ModuleNotFoundError('_vendor')")

    logs: list = []
    w = LibraryWatcher(str(library), Collector(), logs.append, platform="win32", load_observer=missing)
    w.start()
    try:
        assert w.mode == "stat-poller"
        assert len(logs) == 1 and "watchdog" in logs[0] and "polling" in logs[0], logs
    finally:
        w.stop()


class ObserverThatCannotStart:
    """Like watchdog's observer when ReadDirectoryChangesW refuses the folder."""

    stopped = False

    def schedule(self, *args, **kwargs):
        return None

    def start(self):
        raise OSError(5, "Access is denied")

    def stop(self):
        ObserverThatCannotStart.stopped = True

    def is_alive(self):
        return False


def test_windows_observer_that_cannot_start_polls_and_says_so(library):
    logs: list = []
    w = LibraryWatcher(str(library), Collector(), logs.append, platform="win32",
                       load_observer=lambda: ObserverThatCannotStart)
    w.start()
    try:
        assert w.mode == "stat-poller"
        assert len(logs) == 1 and "Access is denied" in logs[0], logs
        assert ObserverThatCannotStart.stopped  # its threads are not left behind
    finally:
        w.stop()


def test_no_backend_at_all_is_logged_not_raised(tmp_path, monkeypatch):
    from addon.gui import watcher

    class Broken:
        name = "stat-poller"

        def __init__(self, *args):
            pass

        def start(self):
            raise OSError(13, "Permission denied")

    monkeypatch.setattr(watcher, "StatPoller", Broken)
    logs: list = []
    w = LibraryWatcher(str(tmp_path), Collector(), logs.append, platform="darwin")
    w.start()
    assert w.mode == "" and w.backend is None
    assert "Permission denied" in logs[0] and "Sync from Polar" in logs[0]
    w.stop()


# The three backends on the same tree. "watchdog" is the Windows path
# (one recursive observer, events outside documents dropped); here it runs
# with the venv's watchdog Observer, the same code as on Windows but for
# the kernel interface.
BACKENDS = ["inotify", "watchdog", "stat-poller"]
PLATFORM = {"inotify": "linux", "watchdog": "win32", "stat-poller": "darwin"}


@pytest.fixture(params=BACKENDS)
def watching(request, library):
    if request.param == "inotify" and not LINUX:
        pytest.skip("inotify is Linux's")
    got, logs = Collector(), []
    w = LibraryWatcher(str(library), got, logs.append, platform=PLATFORM[request.param],
                       load_observer=lambda: Observer, poll_seconds=0.05)
    w.start()
    assert not logs
    try:
        yield w, got
    finally:
        w.stop()


def test_save_new_folder_removed_folder_and_image_arrive(library, watching):
    _, got = watching
    touch_state(library, document_id(1))
    assert got.wait_for(document_id(1))
    touch_state(library, "1AppearedLater")
    assert got.wait_for("1AppearedLater")
    shutil.rmtree(library / document_id(2))
    assert got.wait_for(document_id(2))
    (library / "files" / "image" / "new.png").write_bytes(b"\x89PNG")
    assert got.wait_for(ALL)


def test_backups_stash_and_reads_never_trigger(library, watching):
    _, got = watching
    for backup in sorted(library.glob(".backup-*"))[:3]:
        touch_state(backup, document_id(1))
    (library / "stash" / "0000009999-another.pdf").write_bytes(b"%PDF")
    (library / "logs" / "polar.log").write_text("more\n")
    (library / document_id(3) / "state.json").read_bytes()  # our own sync reading
    touch_state(library, document_id(5))  # the sentinel
    assert got.seen_until(document_id(5)) == {document_id(5)}


def test_a_failing_receiver_does_not_stop_the_watching(library, watching):
    w, got = watching
    failed = threading.Event()

    def explode(keys):
        if not failed.is_set():
            failed.set()
            raise RuntimeError("receiver bug")
        got(keys)

    w.on_change = explode
    touch_state(library, document_id(0))
    assert failed.wait(60)
    touch_state(library, "1AfterTheBug")
    assert got.wait_for("1AfterTheBug")


def test_stop_twice_and_restart(library):
    got = Collector()
    w = LibraryWatcher(str(library), got, print, poll_seconds=0.05)
    w.start()
    w.stop()
    w.stop()
    w.start()
    try:
        touch_state(library, document_id(0))
        assert got.wait_for(document_id(0))
    finally:
        w.stop()


def test_each_note_says_in_the_users_words_whether_changes_still_come(library, tmp_path, monkeypatch):
    """The notes reach the sync log (and, when changes no longer come by
    themselves, a tooltip) in the user's language: German words here, the
    folder and the reason in them, the English line kept for the log."""
    from addon.gui import i18n, watcher
    from addon.gui.report_text import watch_words

    def missing():
        raise ImportError("the bundled watchdog cannot be loaded")

    notes: list = []
    w = LibraryWatcher(str(library), Collector(), notes.append, platform="win32", load_observer=missing)
    w.start()
    w.stop()

    class Broken:
        def __init__(self, *args):
            pass

        def start(self):
            raise OSError(13, "Permission denied")

    monkeypatch.setattr(watcher, "StatPoller", Broken)
    w = LibraryWatcher(str(tmp_path), Collector(), notes.append, platform="darwin")
    w.start()
    w.stop()
    fell_back, none = notes
    assert (fell_back.code, fell_back.then, fell_back.watching) == ("watch_failed", "poll", True)
    assert (none.code, none.then, none.watching) == ("watch_failed", "", False)
    assert "polling every" in fell_back and "Permission denied" in none  # the English line, as before
    i18n.force("de")
    try:
        words = watch_words(fell_back)
        assert "beobachtet den Polar-Ordner" in words and str(library) in words and "weiterhin" in words
        words = watch_words(none)
        assert "Permission denied" in words and "Extras ▸ Aus Polar synchronisieren" in words
    finally:
        i18n.force(None)
    # The note that a running backend stopped, and that the poll could not take over.
    stopped = watcher.WatchNote("x", watcher.WATCH_STOPPED, "/p", "inotify", "deleted", "poll", 0.25)
    gone = watcher.WatchNote("y", watcher.POLL_FAILED, "/p", "poll", "gone", "", 0.25)
    assert "still comes into Anki by itself" in watch_words(stopped) and stopped.watching
    assert "no longer watch" in watch_words(gone) and not gone.watching


@pytest.mark.skipif(not LINUX, reason="inotify is the better way there")
def test_a_folder_not_there_yet_is_polled_quietly_until_it_is(tmp_path):
    """A USB drive not plugged in when Anki opens: the missing folder is
    polled (nothing failed, nothing logged); once it is there its documents
    are reported and ``can_do_better`` asks for a restart (inotify)."""
    root = tmp_path / "usb" / "polar"
    collector, logs = Collector(), []
    w = LibraryWatcher(str(root), collector, logs.append)
    w.start()
    try:
        assert w.mode == "stat-poller" and w.waiting_for_folder and not w.can_do_better and not logs
        polar_tree(root, documents=2, backups=0)
        assert collector.wait_for(document_id(0), document_id(1))
        assert w.can_do_better
    finally:
        w.stop()
    w.start()
    try:
        assert w.mode == "inotify" and not w.waiting_for_folder and not w.can_do_better
        shutil.rmtree(root)  # pulled out
        deadline = threading.Event()
        for _ in range(200):
            if w.mode == "stat-poller":
                break
            deadline.wait(0.05)
        assert w.mode == "stat-poller" and w.waiting_for_folder and not w.can_do_better and len(logs) == 1
    finally:
        w.stop()


@pytest.mark.skipif(not LINUX, reason="inotify is the better way there")
def test_a_folder_replaced_by_a_symlink_to_it_is_still_watched(tmp_path):
    """The Polar folder moved into a Dropbox folder while Anki runs and a
    symlink left in its place: inotify loses it (moved), the poll follows
    the link, a save through it is reported, and a restart then watches
    the link's target with inotify."""
    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    collector, logs = Collector(), []
    w = LibraryWatcher(str(root), collector, logs.append)
    w.start()
    try:
        assert w.mode == "inotify"
        moved = tmp_path / "Dropbox" / "polar"
        moved.parent.mkdir()
        root.rename(moved)
        root.symlink_to(moved, target_is_directory=True)
        assert collector.wait_for(ALL)  # the switch to the poll: everything looked at once
        assert w.mode == "stat-poller"
        touch_state(root, document_id(1))
        assert collector.wait_for(document_id(1))
        assert w.can_do_better
    finally:
        w.stop()
    w.start()
    try:
        assert w.mode == "inotify"
        collector.keys.clear()
        touch_state(moved, document_id(0))
        assert collector.wait_for(document_id(0))
    finally:
        w.stop()


class _Stuck:
    """``os.stat``/``os.path.isdir`` of one path held until released: a share
    that does not answer (a dead hard-mounted NFS server, a slow SMB one)."""

    def __init__(self, monkeypatch, name: str, path: Path) -> None:
        self.path = str(path)
        self.reached, self.release = threading.Event(), threading.Event()
        real = os.path.isdir if name == "isdir" else os.stat
        self.real = real

        def stuck(p, *args, **kwargs):
            if os.fspath(p) == self.path and not self.release.is_set():
                self.reached.set()
                self.release.wait(30)
            return real(p, *args, **kwargs)

        monkeypatch.setattr(os.path if name == "isdir" else os, name, stuck)


def _watching_threads():
    return [t for t in threading.enumerate() if t.name.startswith("polar-sync-") and t.is_alive()]


def test_a_start_in_the_background_neither_waits_for_a_folder_that_does_not_answer_nor_keeps_it(
        monkeypatch, library):
    """As Anki's profile opens on a dead share: the start returns at once,
    stop() (the profile closing) too; when the share answers at last, the
    stopped start keeps nothing running."""
    stuck = _Stuck(monkeypatch, "isdir", library)
    others = set(_watching_threads())  # a session Anki's own, when run with the real-Anki tests
    w = LibraryWatcher(str(library), Collector(), [].append)
    began = time.perf_counter()
    w.start_in_background()
    assert stuck.reached.wait(10)
    assert time.perf_counter() - began < 1.0 and not w.wait_started(0)
    began = time.perf_counter()
    w.stop()
    assert time.perf_counter() - began < 1.0
    stuck.release.set()
    assert w.wait_started(10)
    assert w.backend is None and wait_until(lambda: set(_watching_threads()) <= others, timeout=10)


@pytest.mark.parametrize("platform", [p for p in ("linux", "darwin") if LINUX or p == "darwin"])
def test_a_save_made_while_a_background_start_looks_at_the_folder_is_reported(monkeypatch, tmp_path, platform):
    """A save landing while the start runs (inotify: before the document's
    watch; the poll: before its baseline stat, which then takes the save as
    already there) is reported once the start is done."""
    root = tmp_path / "polar"
    polar_tree(root, documents=3, backups=0)
    for fp in (document_id(i) for i in range(3)):  # long saved: the catch-up has nothing else to say
        os.utime(root / fp / "state.json", (1_000_000_000, 1_000_000_000))
    target = root / document_id(1) / "state.json" if platform == "darwin" else root
    stuck = _Stuck(monkeypatch, "stat" if platform == "darwin" else "isdir", target)
    collector = Collector()
    w = LibraryWatcher(str(root), collector, [].append, platform=platform)
    w.start_in_background()
    try:
        assert stuck.reached.wait(10)
        touch_state(root, document_id(1))  # the save, while the start is held
        stuck.release.set()
        assert w.wait_started(10) and w.mode == ("inotify" if platform == "linux" else "stat-poller")
        assert collector.wait_for(document_id(1), timeout=10)
        assert collector.keys == {document_id(1)}  # the others were not saved since
    finally:
        w.stop()


@pytest.mark.skipif(not LINUX, reason="inotify follows the link only when the watch is made")
def test_a_data_folder_given_as_a_symlink_pointed_elsewhere_is_followed(tmp_path):
    """``~/.polar`` a symlink, pointed at another copy while Anki runs (ln
    -sfn: a new link renamed over it): inotify watched the old target for
    the rest of the session. Now the watcher polls through the link at
    once (everything looked at), and a restart watches the new target."""
    old, new = tmp_path / "old" / "polar", tmp_path / "new" / "polar"
    polar_tree(old, documents=2, backups=0)
    polar_tree(new, documents=2, backups=0)
    link = tmp_path / "polar-link"
    link.symlink_to(old, target_is_directory=True)
    collector, logs = Collector(), []
    w = LibraryWatcher(str(link), collector, logs.append)
    w.start()
    try:
        assert w.mode == "inotify"
        temporary = tmp_path / "polar-link.new"
        temporary.symlink_to(new, target_is_directory=True)
        os.replace(temporary, link)
        assert collector.wait_for(ALL, timeout=10)
        assert w.mode == "stat-poller" and w.polling_for_folder
        collector.clear()
        touch_state(new, document_id(1))
        assert collector.wait_for(document_id(1))
    finally:
        w.stop()
    w.start()
    try:
        assert w.mode == "inotify"
        collector.clear()
        touch_state(old, document_id(0))  # the old target is no longer watched
        touch_state(new, document_id(1))
        assert collector.seen_until(document_id(1)) == {document_id(1)}
    finally:
        w.stop()


@pytest.mark.skipif(not LINUX, reason="runs the real inotify backend")
def test_a_backend_giving_up_before_its_start_is_done_still_falls_back_to_the_poll(monkeypatch, tmp_path):
    """The folder deleted in the instant between inotify's start and the
    watcher taking it in use (a start on its own thread can take long): the
    failure is not lost, the poll takes over."""
    from addon.gui import watch_inotify

    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    real_start = watch_inotify.InotifyBackend.start

    def start_then_lose_the_folder(backend):
        real_start(backend)
        gone = tmp_path / "gone"
        root.rename(gone)
        assert wait_until(lambda: not backend._thread.is_alive(), timeout=10)  # it has reported

    monkeypatch.setattr(watch_inotify.InotifyBackend, "start", start_then_lose_the_folder)
    collector, logs = Collector(), []
    w = LibraryWatcher(str(root), collector, logs.append)
    w.start_in_background()
    try:
        assert w.wait_started(10)
        assert wait_until(lambda: w.mode == "stat-poller", timeout=10), w.mode
        assert w.waiting_for_folder and collector.wait_for(ALL, timeout=10) and len(logs) == 1
    finally:
        w.stop()
