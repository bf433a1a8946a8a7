"""The watcher's rules and backends, without Anki (real files, real threads)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from addon.gui import watcher
from addon.gui.watcher import ALL, LibraryWatcher, change_key

ROOT = os.path.join(os.sep, "polar")


@pytest.mark.parametrize(
    ("rel", "is_dir", "key"),
    [
        ("1Doc/state.json", False, "1Doc"),
        ("1Doc/.state.json-tmp123", False, "1Doc"),  # Polar's temp file, before the rename
        ("1Doc", True, "1Doc"),
        ("files/image/abc.png", False, ALL),
        ("files/pdf/x.pdf", False, None),
        ("stash/book.pdf", False, None),
        (".backup-2020/1Doc/state.json", False, None),
        ("prefs.json", False, None),
        ("", True, None),
    ],
)
def test_change_key(rel, is_dir, key):
    assert change_key(ROOT, os.path.join(ROOT, rel) if rel else ROOT, is_dir) == key


def test_change_key_outside_root():
    assert change_key(ROOT, os.path.join(os.sep, "elsewhere", "1Doc", "state.json"), False) is None


class Collector:
    def __init__(self) -> None:
        self.keys: set = set()
        self.calls = 0
        self.event = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, keys) -> None:
        with self.lock:
            self.keys |= keys
            self.calls += 1
        self.event.set()

    def wait_for(self, key: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if key in self.keys:
                    return True
            self.event.wait(0.05)
            self.event.clear()
        return False


def atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".state.json.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


@pytest.mark.parametrize("backend", ["native", "polling", "stat-poller"])
def test_backends_report_an_atomic_write_and_ignore_reads(tmp_path, backend, monkeypatch):
    library = tmp_path / "lib"
    atomic_write(library / "1Old" / "state.json", "{}")
    got = Collector()
    logs: list = []
    if backend == "stat-poller":
        def no_watchdog():
            raise ImportError("the bundled watchdog 6.0.0 cannot be loaded")

        monkeypatch.setattr(watcher, "load_watchdog", no_watchdog)
        w = LibraryWatcher(str(library), got, logs.append, poll_seconds=0.2)
    else:
        cls = Observer if backend == "native" else PollingObserver
        w = LibraryWatcher(str(library), got, logs.append, backends=(cls, cls), poll_seconds=0.2)
    w.start()
    try:
        if backend == "stat-poller":
            assert w.mode == "stat-poller" and "polling" in logs[0]
        (library / "1Old" / "state.json").read_bytes()  # our own sync reading must not count
        atomic_write(library / "1New" / "state.json", '{"a": 1}')
        assert got.wait_for("1New"), got.keys
        assert "1Old" not in got.keys
        (library / "files" / "image").mkdir(parents=True)
        (library / "files" / "image" / "x.png").write_bytes(b"png")
        assert got.wait_for(ALL), got.keys
    finally:
        w.stop()


def test_a_backend_that_cannot_start_falls_back_and_logs(tmp_path):
    class Broken:
        def __init__(self, **_):
            pass

        def schedule(self, *a, **k):
            raise OSError(28, "inotify watch limit reached")

        def stop(self):
            pass

        def is_alive(self):
            return False

    logs: list = []
    got = Collector()
    w = LibraryWatcher(str(tmp_path), got, logs.append, backends=(Broken, PollingObserver), poll_seconds=0.2)
    w.start()
    try:
        assert w.mode == "PollingObserver"
        assert any("inotify watch limit" in m for m in logs)
        atomic_write(tmp_path / "1Doc" / "state.json", "{}")
        assert got.wait_for("1Doc")
    finally:
        w.stop()
