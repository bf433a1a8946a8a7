"""Is a chosen folder Polar's data folder? Newcomers pick the folder above
it (their home folder), a document's own folder or ``stash/``; a sync of
such a folder finds no document and, before this check, said "everything
is up to date". Pure Python (no aqt): tested without a window.

A Polar data folder holds one folder per document with a ``state.json``
(see shared/polar-format.md, "Discovery"); ``stash/`` and the rest are
Polar's own. Looking costs one directory listing, stopped at the first
document found.

``LOOKS``: the one thread on which Anki's window has the Polar folder
looked at (it may be on a share that stopped answering).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from ..polar.library import export_in_folder, online_only, unpacked_export_around


def holds_documents(folder: Path) -> bool:
    """True when ``folder`` has at least one Polar document folder (its
    state.json there, or a file-syncing service's placeholder in its place:
    iCloud Drive takes files not opened for a while off the computer,
    ``library.online_only``)."""
    try:
        for entry in folder.iterdir():
            if entry.name.startswith("."):
                continue
            if (entry / "state.json").is_file() or (entry.is_dir() and online_only(str(entry), "state.json")):
                return True
    except OSError:
        return False
    return False


def _near(folder: Path) -> Iterable[Path]:
    yield folder / ".polar"  # the home folder (or wherever .polar lives)
    yield folder.parent  # a document's folder, stash/, files/, logs/
    if folder.parent.name == "files":
        yield folder.parent.parent  # files/image/


def better_folder(folder: Path, default: Path) -> Optional[Path]:
    """A Polar data folder near ``folder`` (or Polar's default one) when
    ``folder`` itself holds no document; None when none is found."""
    return _around(folder).better(default, default != folder and holds_documents(default))


class Chosen(NamedTuple):
    """A folder chosen as the Polar data folder, looked at (``look_chosen``)."""

    usable: bool  # it holds Polar documents or a Polar export
    near: Optional[Path]  # else a Polar data folder near it (the .polar in it, its parent)
    unpacked: Optional[Path]  # else the unpacked export it is inside of

    def better(self, default: Path, default_holds: bool) -> Optional[Path]:
        """The folder to offer instead: one near it, else Polar's default
        folder when that holds documents, else the unpacked export."""
        return self.near or (default if default_holds else None) or self.unpacked


def look_chosen(folder: Path) -> Chosen:
    """What the question after the folder chooser needs to know of the
    chosen folder and the folders around it (not of Polar's default folder,
    which may be on another share: looked at on its own)."""
    if holds_documents(folder) or export_in_folder(folder) is not None:
        return Chosen(True, None, None)
    return _around(folder)


def _around(folder: Path) -> Chosen:
    near = next((c for c in _near(folder) if c != folder and holds_documents(c)), None)
    return Chosen(False, near, None if near is not None else unpacked_export_around(folder))


class Job:
    def __init__(self, work: Callable[[], Any]) -> None:
        self.work = work
        self.result: Any = None
        self.failed: Optional[BaseException] = None
        self.done = threading.Event()
        self._lock = threading.Lock()
        self._then: Optional[Callable[[], None]] = None
        self.answered = threading.Event()  # a work of several steps: set by it once the folder answered

    def when_done(self, then: Callable[[], None]) -> bool:
        """Have ``then`` called on the lookup's thread once done; False
        (nothing arranged) when it is done already."""
        with self._lock:
            if self.done.is_set():
                return False
            self._then = then
            return True

    def finish(self) -> Optional[Callable[[], None]]:
        with self._lock:
            self.done.set()
            then, self._then = self._then, None
        return then


class Lookups:
    """Looks at the Polar folder for Anki's window (the "open" control,
    the folder choosers' start, the missing-library message) run here, on
    one thread (``polar-sync-origin``), never on Anki's main thread: a share
    that stopped answering holds this thread, not Anki's window. One thread
    at most, started when there is work and ended when there is none: while
    a look is stuck in the kernel, new ones wait behind it (the newest
    first: it is the card on screen), and no second thread is stuck beside
    it. At most ``KEEP`` wait; older ones are dropped, answered with
    nothing (their answers have long gone from the screen)."""

    KEEP = 8

    def __init__(self, log: Optional[logging.Logger] = None, name: str = "polar-sync-origin",
                 newest_first: bool = True, keep: Optional[int] = KEEP) -> None:
        self.log = log or logging.getLogger(__name__)
        self.name = name
        self.newest_first = newest_first
        self.keep = keep
        self._lock = threading.Lock()
        self._queue: List[Job] = []
        self._running = False
        self._busy_since: Optional[float] = None

    def ask(self, work: Callable[[], Any]) -> Job:
        job = Job(work)
        with self._lock:
            self._queue.append(job)
            dropped: List[Job] = []
            if self.keep is not None:
                dropped = self._queue[:-self.keep]
                del self._queue[:-self.keep]
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self.name, daemon=True).start()
        for old in dropped:  # answered "nothing": no control, nothing opens, nobody waits on
            then = old.finish()
            if then is not None:
                then()
        return job

    def idle(self) -> bool:
        """Nothing waiting and no look under way (its thread ends, or has)."""
        with self._lock:
            return not self._queue and self._busy_since is None

    def stuck(self, longer_than: float) -> bool:
        """A look has been under way longer than ``longer_than`` seconds:
        the folder is not answering now, so nobody waits for the next."""
        since = self._busy_since
        return since is not None and time.monotonic() - since > longer_than

    def _run(self) -> None:
        while True:
            with self._lock:
                if not self._queue:
                    self._running = False
                    return
                job = self._queue.pop() if self.newest_first else self._queue.pop(0)
                self._busy_since = time.monotonic()
            try:
                job.result = job.work()
            except Exception as exc:  # (a control, a message: not worth an error box)
                job.failed = exc
                self.log.exception("looking at the Polar folder")
            finally:
                self._busy_since = None
                then = job.finish()
            if then is not None:
                try:
                    then()
                except Exception:
                    self.log.exception("handing a look at the Polar folder to Anki's window")


LOOKS = Lookups()

_FOLDER_LOOKS: Dict[Tuple[str, str], Lookups] = {}
_FOLDER_LOOKS_LOCK = threading.Lock()


def folder_looks(folder: Union[str, Path], name: str) -> Lookups:
    """The one thread (named ``name``) that makes the looks of one kind at
    ``folder``, in the order asked, each run: the profile's open, a sync's
    start and the watcher's start each looked on a thread of their own, and
    on a share that never answers each profile opened meanwhile left one
    more thread stuck in the kernel. Now a look asked while one is stuck
    waits behind it (it would hang just the same) and answers when the
    share does. Another folder has its own thread. (Asked on Anki's main
    thread.) The folders no longer looked at are forgotten as another one
    is first looked at, unless a look there is under way or waits (a stuck
    one must stay found): Anki stays open for days, and the Polar folder
    may be changed in the settings again and again."""
    key = (name, str(folder))
    with _FOLDER_LOOKS_LOCK:
        looks = _FOLDER_LOOKS.get(key)
        if looks is None:
            for done in [k for k, v in _FOLDER_LOOKS.items() if v.idle()]:
                del _FOLDER_LOOKS[done]
            looks = _FOLDER_LOOKS[key] = Lookups(name=name, newest_first=False, keep=None)
        return looks


def look_briefly(work: Callable[[], Any], seconds: float = 0.2) -> Job:
    """``work`` (a look at the Polar folder) on the lookup thread, waited
    for at most ``seconds`` (not at all while an earlier look is stuck):
    ``done`` is set if it answered in time; else it answers later, or never
    (a share that does not answer)."""
    job = LOOKS.ask(work)
    job.done.wait(0 if LOOKS.stuck(seconds) else seconds)
    return job


def stamp_of(path: Path) -> Optional[Tuple[int, int]]:
    """(size, mtime) of a file, None when it is not there."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


# Read whole off Anki's main thread up to this size (a 400-page book is ~100 MB).
BODY_MAX = 128 * 1024 * 1024


class Body(NamedTuple):
    """A PDF read off Anki's main thread (``read_body``): its stamp, and its
    bytes when not larger than ``BODY_MAX`` (else None: Qt PDF reads it)."""

    stamp: Optional[Tuple[int, int]]
    data: Any  # bytes, or Qt's QByteArray of them (made on the same thread); None


def read_body(path: Path) -> Body:
    """For a file in the Polar folder, which may be on a share that answers
    slowly or not at all: Qt PDF reading it in place did so on Anki's main
    thread, a few hundred small reads (13 s at 100 ms a round trip for a
    16 KB file); read here, on the lookup thread, it is loaded from memory."""
    stamp = stamp_of(path)
    if stamp is None or stamp[0] > BODY_MAX:
        return Body(stamp, None)
    try:
        with open(path, "rb") as file:
            data = file.read(BODY_MAX + 1)
    except OSError:
        return Body(stamp, None)
    return Body(stamp, data if len(data) <= BODY_MAX else None)
