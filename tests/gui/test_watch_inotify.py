"""The Linux backend on a real Polar tree: what the kernel says it watches
(/proc/self/fdinfo), what arrives, and falling back when the system runs
out of watches."""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import sys
from pathlib import Path
from typing import List, Set

import pytest

from addon.gui import watch_inotify
from addon.gui.watcher import ALL, LibraryWatcher
from tests.gui.watch_helpers import Collector, document_id, folder_count, polar_tree, touch_state, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")

DOCUMENTS = 30
# root, files/, files/image/, and config/ (a plain top-level folder Polar keeps)
HANDFUL = 4


def fdinfo_watches(fd: int) -> List[str]:
    """The kernel's list of this inotify instance's watches."""
    with open(f"/proc/self/fdinfo/{fd}") as fh:
        return [line for line in fh if line.startswith("inotify wd:")]


def watched_inodes(fd: int) -> Set[int]:
    return {int(line.split("ino:")[1].split()[0], 16) for line in fdinfo_watches(fd)}


def open_fds() -> Set[int]:
    return {int(n) for n in os.listdir("/proc/self/fd")}


def watch_fds() -> Set[int]:
    """The descriptors an inotify backend holds: its instance and its
    wake-up pipe. (Once the poller has taken over, its thread lists the data
    folder now and then, a directory descriptor for a moment: all open
    descriptors would race with it.)"""
    out = set()
    for fd in open_fds():
        try:
            link = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if link.startswith(("anon_inode:inotify", "pipe:")):
            out.add(fd)
    return out


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "polar"
    polar_tree(root, documents=DOCUMENTS, backups=20)
    return root


@pytest.fixture
def watching(library: Path):
    got = Collector()
    logs: list = []
    w = LibraryWatcher(str(library), got, logs.append, platform="linux")
    w.start()
    try:
        assert w.mode == "inotify", logs
        yield w, got, logs
    finally:
        w.stop()


def test_watches_only_documents_and_a_handful_despite_backups_and_stash(library, watching):
    w, _, logs = watching
    assert folder_count(library) > 20 * DOCUMENTS  # what a recursive watch would take
    fd = w.backend.fd
    assert len(fdinfo_watches(fd)) <= DOCUMENTS + HANDFUL
    expected = {os.stat(library).st_ino, os.stat(library / "files").st_ino,
                os.stat(library / "files" / "image").st_ino, os.stat(library / "config").st_ino}
    expected |= {os.stat(library / document_id(i)).st_ino for i in range(DOCUMENTS)}
    assert watched_inodes(fd) == expected  # nothing in stash/, logs/ or any .backup-*
    assert not logs


def test_three_descriptors_whatever_the_library_size(tmp_path):
    small, large = tmp_path / "small", tmp_path / "large"
    polar_tree(small, documents=2, backups=0)
    polar_tree(large, documents=300, backups=2)
    for root in (small, large):
        before = open_fds()
        w = LibraryWatcher(str(root), Collector(), print, platform="linux")
        w.start()
        try:
            assert len(open_fds() - before) == 3  # the instance and the wake-up pipe
        finally:
            w.stop()
        assert open_fds() <= before  # all closed again


def test_save_new_folder_removed_folder_and_rename_arrive(library, watching):
    w, got, _ = watching
    fd = w.backend.fd
    touch_state(library, document_id(3))
    assert got.wait_for(document_id(3))

    new = library / "1BrandNewDocument00001"
    new.mkdir()
    assert got.wait_for(new.name)
    # Watched from now on: the first save inside it arrives too.
    got.clear()
    touch_state(library, new.name)
    assert got.wait_for(new.name)
    assert len(fdinfo_watches(fd)) == DOCUMENTS + HANDFUL + 1

    shutil.rmtree(library / document_id(4))
    assert got.wait_for(document_id(4))
    (library / document_id(5)).rename(library / "1RenamedDocument00005")
    assert got.wait_for(document_id(5), "1RenamedDocument00005")
    got.clear()
    touch_state(library, "1RenamedDocument00005")
    assert got.wait_for("1RenamedDocument00005")
    # Gone and renamed-away folders dropped: back to one per document.
    assert got.seen_until("1RenamedDocument00005") == {"1RenamedDocument00005"}
    assert len(fdinfo_watches(fd)) == DOCUMENTS + HANDFUL


def test_backups_stash_logs_and_reads_never_trigger(library, watching):
    _, got, _ = watching
    backup = next(library.glob(".backup-*"))
    touch_state(backup, document_id(1))
    (backup / "1NewInBackup").mkdir()
    (library / ".backup-2020-06-01").mkdir()
    (library / "stash" / "0000000999-new.pdf").write_bytes(b"%PDF")
    (library / "stash" / "0000000000-1WatchDoc000000.pdf").unlink()
    (library / "logs" / "polar.log").write_text("more\n")
    (library / "info.json").write_text("{}")
    (library / document_id(2) / "state.json").read_bytes()  # our own sync reading
    (library / document_id(2) / "notes.txt").write_text("not a DocMeta")
    touch_state(library, document_id(7))  # the sentinel
    assert got.seen_until(document_id(7)) == {document_id(7)}


def test_a_new_image_means_look_at_everything(library, watching):
    _, got, _ = watching
    (library / "files" / "image" / "new.png").write_bytes(b"\x89PNG")
    assert got.wait_for(ALL)


def test_image_folder_made_later_is_watched(tmp_path):
    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    shutil.rmtree(root / "files")
    got = Collector()
    w = LibraryWatcher(str(root), got, print, platform="linux")
    w.start()
    try:
        (root / "files" / "image").mkdir(parents=True)
        assert got.wait_for(ALL)
        got.clear()
        (root / "files" / "image" / "x.png").write_bytes(b"\x89PNG")
        assert got.wait_for(ALL)
    finally:
        w.stop()


def _refuse_watches(monkeypatch, allowed: int) -> None:
    """The system's watch limit (fs.inotify.max_user_watches is global, so the
    test cannot lower it): after ``allowed`` more watches, ENOSPC."""
    libc = watch_inotify._load_libc()
    real = libc.add_watch
    left = [allowed]

    def add_watch(fd: int, path: bytes, mask: int) -> int:
        if left[0] <= 0:
            ctypes.set_errno(errno.ENOSPC)
            return -1
        left[0] -= 1
        return real(fd, path, mask)

    monkeypatch.setattr(libc, "add_watch", add_watch)


def test_watch_limit_at_start_polls_instead_and_says_so_once(library, monkeypatch):
    _refuse_watches(monkeypatch, allowed=10)
    got, logs = Collector(), []
    before = watch_fds()
    w = LibraryWatcher(str(library), got, logs.append, platform="linux", poll_seconds=0.05)
    w.start()
    try:
        assert w.mode == "stat-poller"
        assert len(logs) == 1 and "max_user_watches" in logs[0] and "polling" in logs[0], logs
        assert watch_fds() <= before  # the half-built inotify instance was closed
        touch_state(library, document_id(1))
        assert got.wait_for(document_id(1))
    finally:
        w.stop()


def test_watch_limit_reached_by_a_new_document_switches_to_polling(library, watching, monkeypatch):
    w, got, logs = watching
    _refuse_watches(monkeypatch, allowed=0)
    w.poll_seconds = 0.05
    (library / "1OneTooMany").mkdir()
    assert got.wait_for(ALL)  # whatever happened while switching
    assert w.mode == "stat-poller"
    assert len(logs) == 1 and "max_user_watches" in logs[0], logs
    touch_state(library, "1OneTooMany")
    assert got.wait_for("1OneTooMany")  # the poller took over


def test_data_folder_deleted_then_back_is_polled(tmp_path):
    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    got, logs = Collector(), []
    w = LibraryWatcher(str(root), got, logs.append, platform="linux", poll_seconds=0.05)
    w.start()
    try:
        shutil.rmtree(root)
        assert wait_until(lambda: w.mode == "stat-poller")
        assert len(logs) == 1 and "deleted" in logs[0], logs
        touch_state(root, "1Back")
        assert got.wait_for("1Back")
    finally:
        w.stop()


def test_inotify_unavailable_polls(library, monkeypatch):
    def no_inotify() -> None:
        raise OSError(errno.ENOSYS, "this C library has no inotify")

    monkeypatch.setattr(watch_inotify, "_load_libc", no_inotify)
    logs: list = []
    w = LibraryWatcher(str(library), Collector(), logs.append, platform="linux")
    w.start()
    try:
        assert w.mode == "stat-poller" and "no inotify" in logs[0]
    finally:
        w.stop()


def test_out_of_descriptors_polls_instead_and_says_so_once(library, request):
    """A real EMFILE: the process may open one more descriptor, enough for
    the inotify instance but not for the rest; the poll needs none to stay."""
    import gc
    import resource

    # Objects of earlier tests (a collection, a file) freed by a garbage
    # collection inside start() would free descriptors under the limit:
    # collect now, and not during the measured part.
    gc.collect()
    gc.disable()
    request.addfinalizer(gc.enable)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    used = open_fds()
    held = watch_fds()
    lowest_free = min(n for n in range(len(used) + 1) if n not in used)
    got, logs = Collector(), []
    w = LibraryWatcher(str(library), got, logs.append, platform="linux", poll_seconds=0.05)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free + 1, hard))
    try:
        w.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        assert w.mode == "stat-poller"
        assert len(logs) == 1 and "Too many open files" in logs[0] and "polling" in logs[0], logs
        assert watch_fds() <= held  # the instance it did get was closed again
        touch_state(library, document_id(1))
        assert got.wait_for(document_id(1))
    finally:
        w.stop()
