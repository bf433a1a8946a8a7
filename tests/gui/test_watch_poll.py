"""The stat poller (macOS, and every platform's fallback): one look at a
real Polar tree, what it reports, and its thread."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import List

import pytest

from addon.gui.watch_poll import StatPoller
from addon.gui.watcher import ALL
from tests.gui.watch_helpers import Collector, document_id, polar_tree, touch_state


@pytest.fixture
def library(tmp_path: Path) -> Path:
    root = tmp_path / "polar"
    polar_tree(root, documents=10, backups=3)
    return root


def held_in(folder: Path) -> List[str]:
    """What this process's descriptors name under ``folder`` (Linux)."""
    out, folder = [], folder.resolve()
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else ():
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:  # closed meanwhile (listdir's own descriptor among them)
            continue
        if target == str(folder) or target.startswith(str(folder) + os.sep):
            out.append(target)
    return out


def holds_nothing_in(folder: Path, looks: int = 200) -> bool:
    """No descriptor under ``folder`` that stays open: a poll's scandir holds
    one for the moment of its scan, so one look without any is the proof
    (a count of the whole process's descriptors, as before, also counted
    other threads' files in a shared test session: 101 == 100 on CI)."""
    for _ in range(looks):
        if not held_in(folder):
            return True
        time.sleep(0.01)
    return False


def test_the_first_look_is_the_baseline_and_nothing_changed_is_nothing(library):
    poller = StatPoller(str(library), Collector(), 1.0)
    assert document_id(0) in poller.poll()  # everything is new to a fresh poller
    assert poller.poll() == set()


def test_each_kind_of_change_is_seen(library):
    poller = StatPoller(str(library), Collector(), 1.0)
    poller.poll()
    # Same bytes, same size: the rename alone (a new inode) must show.
    state = library / document_id(1) / "state.json"
    touch_state(library, document_id(1), state.read_text())
    assert poller.poll() == {document_id(1)}
    (library / "1New").mkdir()
    assert poller.poll() == set()  # a folder without state.json is no document yet
    touch_state(library, "1New")
    assert poller.poll() == {"1New"}
    shutil.rmtree(library / document_id(2))
    assert poller.poll() == {document_id(2)}
    (library / document_id(3)).rename(library / "1Renamed")
    assert poller.poll() == {document_id(3), "1Renamed"}
    (library / "files" / "image" / "new.png").write_bytes(b"\x89PNG")
    assert poller.poll() == {ALL}


def test_backups_stash_logs_and_reads_are_not_changes(library):
    poller = StatPoller(str(library), Collector(), 1.0)
    poller.poll()
    backup = next(library.glob(".backup-*"))
    touch_state(backup, document_id(1))
    (library / ".backup-2021-01-01").mkdir()
    (library / "stash" / "new.pdf").write_bytes(b"%PDF")
    (library / "logs" / "polar.log").write_text("more\n")
    (library / "config" / "prefs.json").write_text('{"x": 1}')
    (library / "info.json").write_text("{}")
    (library / document_id(2) / "state.json").read_bytes()
    assert poller.poll() == set()


def test_a_folder_made_within_the_listings_timestamp_tick_is_not_missed(library):
    """Coarse directory timestamps (1 s on HFS+, 2 s on FAT): a document made
    right after a listing can leave the data directory's mtime as it was."""
    poller = StatPoller(str(library), Collector(), 1.0)
    poller.poll()
    st = os.stat(library)
    touch_state(library, "1SameTick")
    os.utime(library, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert poller.poll() == {"1SameTick"}


def test_missing_data_folder_then_back(tmp_path):
    root = tmp_path / "polar"
    poller = StatPoller(str(root), Collector(), 1.0)
    assert poller.poll() == set()
    polar_tree(root, documents=2, backups=0)
    assert poller.poll() == {document_id(0), document_id(1), ALL}
    shutil.rmtree(root)
    assert poller.poll() == {document_id(0), document_id(1), ALL}


def test_thread_reports_changes_and_holds_no_descriptor(library):
    got = Collector()
    poller = StatPoller(str(library), got, 0.05)
    poller.start()
    try:
        assert holds_nothing_in(library), held_in(library)
        touch_state(library, document_id(4))
        assert got.wait_for(document_id(4))
        assert got.seen_until(document_id(4)) == {document_id(4)}  # the baseline was not reported
    finally:
        poller.stop()
    assert not poller._thread.is_alive()


def test_the_age_of_a_change_is_from_its_save_and_bounded_by_the_wait(library):
    """A poll sees a save up to one wait late; ``age`` is how late, from the
    file's mtime, so the GUI's debounce need not wait that part again. A
    file restored with an old mtime (or a clock that differs on a share)
    counts no more than the wait; a removal, from when it was seen."""
    import time

    poller = StatPoller(str(library), Collector(), 0.25)
    poller.poll()
    state = library / document_id(2) / "state.json"
    touch_state(library, document_id(2), state.read_text())
    made = time.time()
    os.utime(state, (made - 0.2, made - 0.2))  # saved 0.2 s before the poll
    assert poller.poll() == {document_id(2)}
    assert 0.19 <= poller.age() <= poller.wait() + poller.last_wall
    os.utime(state, (made - 3600, made - 3600))  # an hour-old mtime: bounded
    assert poller.poll() == {document_id(2)}
    assert poller.age() == pytest.approx(poller.wait() + poller.last_wall, abs=0.05)
    shutil.rmtree(library / document_id(3))
    assert poller.poll() == {document_id(3)}
    assert poller.age() < 0.05


def test_a_watcher_on_the_poll_reports_the_age_of_each_change(library):
    """``LibraryWatcher.change_age`` from ``on_change`` (the poll's thread,
    right after the report), as the GUI's debounce reads it; 0 with the
    event backends, which report at once."""
    import time

    from addon.gui.watcher import LibraryWatcher

    ages = []
    seen = Collector()

    def on_change(keys):
        ages.append(watcher.change_age())
        seen(keys)

    watcher = LibraryWatcher(str(library), on_change, lambda message: None, platform="darwin", poll_seconds=0.25)
    watcher.start()
    try:
        assert watcher.mode == "stat-poller"
        # Saved 0.2 s ago, as the poll will find it (the mtime set before the rename).
        state = library / document_id(4) / "state.json"
        tmp = state.with_name("state.json.tmp")
        tmp.write_text(state.read_text())
        os.utime(tmp, (time.time() - 0.2, time.time() - 0.2))
        os.replace(tmp, state)
        assert seen.wait_for(document_id(4))
        assert 0.19 <= ages[-1] <= 1.0
    finally:
        watcher.stop()
    inotify = LibraryWatcher(str(library), lambda keys: None, lambda message: None, platform="linux")
    assert inotify.change_age() == 0.0  # (no backend yet, or one that reports at once)


def test_the_debounce_left_is_the_setting_less_the_polls_lateness_and_at_least_50_ms(library):
    """What the GUI (and the bench) restart their timer with on each report."""
    import time

    from addon.gui.watcher import LibraryWatcher

    watcher = LibraryWatcher(str(library), lambda keys: None, lambda message: None, platform="darwin")
    assert watcher.debounce_left(1500) == 1500  # not started: nothing is late
    watcher.start()
    try:
        poller = watcher.backend
        poller.changed_at = time.time() - 0.2  # the change was saved 0.2 s before it was seen (bound: >= 0.25 s)
        assert 1290 <= watcher.debounce_left(1500) <= 1310
        assert watcher.debounce_left(100) == 50
    finally:
        watcher.stop()


def test_the_poll_tells_a_state_json_rewritten_in_place_from_one_replaced(tmp_path):
    """Polar and cloud clients replace state.json (temp file + rename: whole);
    a copy in place keeps its inode and may be half-way."""
    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    poller = StatPoller(str(root), lambda keys: None, 0.25)
    poller.poll()
    state = root / document_id(0) / "state.json"
    with open(state, "r+b") as f:
        f.truncate(0)
        f.write(b'{"docInfo": ')
    assert poller.poll() == {document_id(0)} and poller.in_place == {document_id(0)}
    touch_state(root, document_id(1))  # replaced
    assert poller.poll() == {document_id(1)} and poller.in_place == frozenset()
