"""A Polar data directory as a real 1.x user has it (documents, a full
stash, screenshots, logs, ``.backup-*`` hard-link snapshots), and a
collector that waits for the watcher's reports without fixed sleeps."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, FrozenSet, List, Optional, Set

from tests.polar_factory import Doc, basic


def document_id(i: int) -> str:
    return f"1WatchDoc{i:06d}"


def polar_tree(root: Path, documents: int = 30, backups: int = 20, images: int = 5) -> List[str]:
    """Documents with one card each and their PDFs in stash/, images,
    logs/, config/, info.json, and ``backups`` hard-link snapshots of it all
    (Polar makes one each time its storage is switched). The document ids."""
    ids = []
    stash = root / "stash"
    stash.mkdir(parents=True)
    for i in range(documents):
        fp = document_id(i)
        doc = Doc(root, fp, title=f"Watched {i}")
        doc.card(f"1WCard{i:06d}", basic(f"<p>Watched question {i}?</p>", "<p>answer</p>"))
        doc.write()
        (stash / f"{i:010d}-{fp}.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
        (stash / f"{i:010d}-{fp}.pdf.meta").write_text("{}")
        ids.append(fp)
    (root / "files" / "image").mkdir(parents=True)
    for i in range(images):
        (root / "files" / "image" / f"img{i:017d}.png").write_bytes(b"\x89PNG\r\n")
    (root / "logs").mkdir()
    (root / "logs" / "polar.log").write_text("started\n")
    (root / "config").mkdir()
    (root / "config" / "prefs.json").write_text("{}")
    (root / "info.json").write_text('{"created": "2019-01-01T00:00:00Z"}')
    for b in range(backups):
        snapshot = root / f".backup-2019-{b // 28 + 1:02d}-{b % 28 + 1:02d}"
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if not (Path(dirpath) == root and d.startswith("."))]
            target = snapshot / Path(dirpath).relative_to(root)
            target.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                os.link(Path(dirpath) / name, target / name)
    return ids


def folder_count(root: Path) -> int:
    return sum(1 for _ in os.walk(root))


class Collector:
    """Receives ``on_change`` calls on the watcher's thread."""

    def __init__(self) -> None:
        self.keys: Set[str] = set()
        self.batches: List[FrozenSet[str]] = []
        self._cond = threading.Condition()

    def __call__(self, keys: FrozenSet[str]) -> None:
        with self._cond:
            self.keys |= keys
            self.batches.append(keys)
            self._cond.notify_all()

    def wait_for(self, *keys: str, timeout: float = 60.0) -> bool:
        """True once every key has been reported (a generous timeout, not a
        measurement)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not set(keys) <= self.keys:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def clear(self) -> None:
        with self._cond:
            self.keys.clear()
            self.batches.clear()

    def seen_until(self, sentinel: str, timeout: float = 60.0) -> Set[str]:
        """Everything reported up to and including ``sentinel``: changes made
        before the sentinel's are reported no later than it on every backend
        (one ordered event queue, or the same or an earlier poll)."""
        assert self.wait_for(sentinel, timeout=timeout), f"{sentinel} never arrived: {self.keys}"
        with self._cond:
            return set(self.keys)


def wait_until(predicate: Callable[[], object], timeout: float = 60.0) -> bool:
    """Poll ``predicate`` until true (a generous timeout, not a measurement)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def touch_state(root: Path, fp: str, text: str = '{"edited": true}') -> None:
    """Polar's save: temp file, then a rename over state.json."""
    from tests.polar_factory import write_atomic

    write_atomic(root / fp / "state.json", text.encode())


class DeadShare:
    """Every ``os.stat`` of ``folder`` or below hangs until ``answer()``
    (pathlib's own stat too on Python < 3.11, which took ``os.stat`` when
    imported): a hard-mounted share whose server has gone, a sleeping NAS.
    ``main_thread_only``: only Anki's main thread is held (a tripwire for
    what it still touches there, whatever the other threads do)."""

    def __init__(self, folder: Path, monkeypatch: Any, main_thread_only: bool = False) -> None:
        import pathlib

        self.held = str(folder)
        self.answering = threading.Event()
        self.asked = threading.Event()
        real_stat = os.stat

        def stat(path: Any, *args: Any, **kwargs: Any) -> Any:
            name = os.fspath(path)
            if (name == self.held or name.startswith(self.held + os.sep)) and not self.answering.is_set() and (
                    not main_thread_only or threading.current_thread() is threading.main_thread()):
                self.asked.set()
                self.answering.wait(60)
            return real_stat(path, *args, **kwargs)

        monkeypatch.setattr(os, "stat", stat)
        if hasattr(pathlib, "_NormalAccessor"):
            monkeypatch.setattr(pathlib._NormalAccessor, "stat", staticmethod(stat))
        # The old code waited for this on Anki's main thread.
        self.release = threading.Timer(5.0, self.answering.set)
        self.release.start()

    def answer(self) -> None:
        self.answering.set()
        self.release.cancel()

    def holding(self) -> bool:
        """Still holding (neither answered nor let go by its own 5 s timer):
        a call that returned while this is true did not wait for the share,
        whatever the machine's load (no timed assertion)."""
        return not self.answering.is_set()


class Ticks:
    """The longest gap between the ticks of a 5 ms timer on Anki's main
    thread (as tools/bench_gui.py measures a frozen window), and ``held``:
    the ticks while ``share`` was asked and still held, none if Anki's
    main thread waited for it (an event count, not a time)."""

    def __init__(self, share: Optional[DeadShare] = None) -> None:
        from aqt.qt import QTimer

        self.share = share
        self.held = 0
        self.gaps = [0.0]
        self.last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setTimerType(self.timer.timerType().PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start(5)

    def _tick(self) -> None:
        if self.share is not None and self.share.asked.is_set() and self.share.holding():
            self.held += 1
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> float:
        self.timer.stop()
        return max(self.gaps)
