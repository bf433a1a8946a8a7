"""Linux: one inotify instance on just the folders that can change cards.

watchdog's InotifyObserver does not fit a Polar data directory: recursive,
it takes one watch per folder of the whole tree (every ``.backup-*`` copy,
``stash/``: 6,322 watches for 300 documents); non-recursive, each scheduled
folder gets an inotify instance (a descriptor) and two threads of its own.
Here a single instance holds the data directory, each document folder,
``files/`` and ``files/image/`` (documents + 3 watches; any other plain
top-level folder, such as Polar's ``config/``, costs one more), and the
whole backend uses three descriptors: the instance and a pipe that wakes
its thread on :meth:`InotifyBackend.stop`.

Nothing here raises into Anki: a failure while running (the system's watch
limit reached by a new document, the data directory deleted) is handed to
``fail(reason, gone)`` (``gone``: the data directory itself went away) and
the thread ends; the caller falls back to polling.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import select
import struct
import threading
from typing import Any, Callable, Dict, FrozenSet, Optional, Set, Tuple

from .watch_paths import ALL, is_document_name

IN_CLOSE_WRITE = 0x00000008
IN_MOVED_FROM = 0x00000040
IN_MOVED_TO = 0x00000080
IN_CREATE = 0x00000100
IN_DELETE = 0x00000200
IN_DELETE_SELF = 0x00000400
IN_MOVE_SELF = 0x00000800
IN_UNMOUNT = 0x00002000
IN_Q_OVERFLOW = 0x00004000
IN_IGNORED = 0x00008000
IN_ONLYDIR = 0x01000000
IN_EXCL_UNLINK = 0x04000000
IN_ISDIR = 0x40000000

_ENTRIES = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO
# Reads never register: no IN_OPEN/IN_ACCESS/IN_CLOSE_NOWRITE in any mask,
# so our own sync reading state.json cannot trigger another sync.
_WRITES = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE
_DIR = IN_ONLYDIR | IN_EXCL_UNLINK
ROOT_MASK = _ENTRIES | IN_DELETE_SELF | IN_MOVE_SELF | _DIR
DOCUMENT_MASK = _WRITES | _DIR  # Polar: .state.json-<random>, then rename over state.json
FILES_MASK = _ENTRIES | _DIR  # only to see image/ appear or go
IMAGE_MASK = _WRITES | _DIR
# The data directory given as a symlink: its parent, to see the link
# replaced (``ln -sfn``: a new link renamed over it) or removed.
LINK_MASK = _ENTRIES | IN_ONLYDIR

_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name
_READ_SIZE = 64 * 1024
# Errors that mean "this system cannot give us more watches": fall back.
_LIMIT_ERRORS = (errno.ENOSPC, errno.ENOMEM, errno.EMFILE, errno.ENFILE)
_LIMIT_HINTS = {
    ("inotify_add_watch", errno.ENOSPC): "the system's inotify watch limit, fs.inotify.max_user_watches",
    ("inotify_init1", errno.EMFILE): "too many inotify instances or open files",
}

_ROOT, _DOCUMENT, _FILES, _IMAGE, _LINK = "root", "document", "files", "image", "link"

ChangeCallback = Callable[[FrozenSet[str]], None]


class _Libc:
    """The three inotify calls, looked up once through ctypes."""

    def __init__(self) -> None:
        lib: Any = None
        for name in (None, ctypes.util.find_library("c")):
            try:
                candidate = ctypes.CDLL(name, use_errno=True)
            except OSError:
                continue
            if all(hasattr(candidate, f) for f in ("inotify_init1", "inotify_add_watch", "inotify_rm_watch")):
                lib = candidate
                break
        if lib is None:
            raise OSError(errno.ENOSYS, "this C library has no inotify")
        self.init1 = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, use_errno=True)(("inotify_init1", lib))
        self.add_watch = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32, use_errno=True
        )(("inotify_add_watch", lib))
        self.rm_watch = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_int, use_errno=True)(
            ("inotify_rm_watch", lib)
        )


_libc: Optional[_Libc] = None


def _load_libc() -> _Libc:
    global _libc
    if _libc is None:
        _libc = _Libc()
    return _libc


class WatchLimitReached(OSError):
    """The system refused another watch or instance (inotify limits, EMFILE)."""


def _last_error(call: str, path: str = "") -> OSError:
    code = ctypes.get_errno()
    text = f"{call}{' ' + path if path else ''}: {os.strerror(code)}"
    hint = _LIMIT_HINTS.get((call, code))
    if hint:
        text += f" ({hint})"
    return (WatchLimitReached if code in _LIMIT_ERRORS else OSError)(code, text)


class InotifyBackend:
    name = "inotify"

    def __init__(self, root: str, emit: ChangeCallback, fail: Callable[..., None]) -> None:
        self.root = root
        self.emit = emit
        self.fail = fail
        self.fd = -1  # the inotify instance (tests and the bench read its fdinfo)
        self._wake_r = self._wake_w = -1
        self._owners: Dict[int, Tuple[str, str]] = {}  # wd -> (kind, document name)
        self._documents: Dict[str, int] = {}  # document folder name -> wd
        self._files_wd = self._image_wd = -1
        self._fd_lock = threading.Lock()  # the fds are closed by the thread, written by stop()
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Watch, or raise OSError (WatchLimitReached when a system limit is hit)."""
        libc = _load_libc()
        fd = libc.init1(os.O_CLOEXEC | os.O_NONBLOCK)
        if fd < 0:
            raise _last_error("inotify_init1")
        self.fd = fd
        try:
            self._add(self.root, ROOT_MASK, _ROOT, "", required=True)
            if os.path.islink(self.root):  # the watches follow the link as it is now
                parent, link = os.path.split(self.root)
                self._add(parent or ".", LINK_MASK, _LINK, link)
            self._scan()
            self._wake_r, self._wake_w = os.pipe()  # not inherited by child processes (PEP 446)
            self._thread = threading.Thread(target=self._run, name="polar-sync-inotify", daemon=True)
            self._thread.start()
        except BaseException:
            self._close()
            raise

    def stop(self) -> None:
        self._stopping.set()
        with self._fd_lock:
            if self._wake_w >= 0:
                try:
                    os.write(self._wake_w, b"x")
                except OSError:
                    pass
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        if thread is None:
            self._close()

    def watch_count(self) -> int:
        return len(self._owners)

    def _close(self) -> None:
        with self._fd_lock:
            for fd in (self.fd, self._wake_r, self._wake_w):
                if fd >= 0:
                    try:
                        os.close(fd)
                    except OSError:
                        pass
            self.fd = self._wake_r = self._wake_w = -1

    # -- watches ---------------------------------------------------------------

    def _add(self, path: str, mask: int, kind: str, name: str, required: bool = False) -> int:
        """The new watch's descriptor, or -1 when the folder is gone or not a
        folder (a race with Polar, harmless); raises on the system's limits."""
        wd = _load_libc().add_watch(self.fd, os.fsencode(path), mask)
        if wd < 0:
            error = _last_error("inotify_add_watch", path)
            harmless = error.errno in (errno.ENOENT, errno.ENOTDIR, errno.EACCES)
            if required or not harmless:
                raise error
            return -1
        self._owners[wd] = (kind, name)
        return wd

    def _remove(self, wd: int) -> None:
        if self._owners.pop(wd, None) is not None:
            _load_libc().rm_watch(self.fd, wd)  # EINVAL when the kernel already dropped it: fine

    def _scan(self) -> Set[str]:
        """Watch every document folder and files/ not yet watched; forget the
        ones that are gone. Returns the names that changed either way."""
        present = set()
        with os.scandir(self.root) as entries:
            for entry in entries:
                if is_document_name(entry.name) and entry.is_dir():
                    present.add(entry.name)
        changed = set()
        for name in present - set(self._documents):
            if self._watch_document(name):
                changed.add(name)
        for name in set(self._documents) - present:
            self._unwatch_document(name)
            changed.add(name)
        self._watch_files()
        return changed

    def _watch_document(self, name: str) -> bool:
        wd = self._add(os.path.join(self.root, name), DOCUMENT_MASK, _DOCUMENT, name)
        if wd >= 0:
            self._documents[name] = wd
        return wd >= 0

    def _unwatch_document(self, name: str) -> None:
        wd = self._documents.pop(name, -1)
        if wd >= 0:
            self._remove(wd)  # a folder moved out keeps its watch unless removed

    def _watch_files(self) -> bool:
        """Watch files/ and files/image/ when present; True if image/ is newly watched."""
        files = os.path.join(self.root, "files")
        if self._files_wd < 0:
            self._files_wd = self._add(files, FILES_MASK, _FILES, "")
        if self._files_wd >= 0 and self._image_wd < 0:
            self._image_wd = self._add(os.path.join(files, "image"), IMAGE_MASK, _IMAGE, "")
            return self._image_wd >= 0
        return False

    # -- events ----------------------------------------------------------------

    def _run(self) -> None:
        poller = select.poll()  # not select(): Anki's descriptors may be numbered past 1024
        poller.register(self.fd, select.POLLIN)
        poller.register(self._wake_r, select.POLLIN)
        try:
            while not self._stopping.is_set():
                poller.poll()
                if self._stopping.is_set():
                    break
                keys = self._read()
                if keys:
                    self.emit(frozenset(keys))
        except _Gone as gone:
            self.fail(str(gone), True)
        except Exception as exc:  # a limit reached by a new folder, anything else: poll instead
            if not self._stopping.is_set():
                self.fail(exc.strerror if isinstance(exc, OSError) and exc.strerror else repr(exc))
        finally:
            self._close()

    def _read(self) -> Set[str]:
        try:
            data = os.read(self.fd, _READ_SIZE)
        except BlockingIOError:
            return set()
        keys: Set[str] = set()
        offset = 0
        while offset + _HEADER.size <= len(data):
            wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
            start = offset + _HEADER.size
            name = os.fsdecode(data[start:start + length].rstrip(b"\0"))
            offset = start + length
            self._handle(wd, mask, name, keys)
        return keys

    def _handle(self, wd: int, mask: int, name: str, keys: Set[str]) -> None:
        if mask & IN_Q_OVERFLOW:  # events were lost: look at everything again
            self._scan()
            keys.add(ALL)
            return
        owner = self._owners.get(wd)
        if owner is None:
            return  # a watch removed since
        kind, document = owner
        if mask & IN_IGNORED:  # the kernel dropped the watch (folder deleted, unmounted)
            self._owners.pop(wd, None)
            if kind == _DOCUMENT and self._documents.get(document) == wd:
                del self._documents[document]
            elif kind == _FILES:
                self._files_wd = -1
            elif kind == _IMAGE:
                self._image_wd = -1
            elif kind == _ROOT:
                raise _Gone(f"{self.root} was deleted or unmounted")
            return
        if kind == _LINK:
            if name == document:  # the link pointed elsewhere (or removed): polling follows it
                raise _Gone(f"{self.root} now points elsewhere")
            return
        if kind == _ROOT:
            self._root_event(mask, name, keys)
        elif kind == _DOCUMENT:
            if name == "state.json":
                keys.add(document)
        elif kind == _FILES:
            if name == "image" and mask & IN_ISDIR:
                self._folder_event(mask, keys)
        else:  # _IMAGE: a screenshot added, replaced or removed
            keys.add(ALL)

    def _root_event(self, mask: int, name: str, keys: Set[str]) -> None:
        if mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT):
            raise _Gone(f"{self.root} was moved, deleted or unmounted")
        if not mask & IN_ISDIR:
            return  # info.json and other top-level files
        arrived = bool(mask & (IN_CREATE | IN_MOVED_TO))
        if name == "files":
            if arrived:
                if self._watch_files():
                    keys.add(ALL)
            else:
                for wd in (self._image_wd, self._files_wd):
                    if wd >= 0:
                        self._remove(wd)
                self._files_wd = self._image_wd = -1
                keys.add(ALL)
            return
        if not is_document_name(name):
            return  # .backup-*, stash/, logs/
        if arrived:
            self._watch_document(name)
        else:
            self._unwatch_document(name)
        keys.add(name)

    def _folder_event(self, mask: int, keys: Set[str]) -> None:
        if mask & (IN_CREATE | IN_MOVED_TO):
            self._watch_files()
        elif self._image_wd >= 0:
            self._remove(self._image_wd)
            self._image_wd = -1
        keys.add(ALL)


class _Gone(Exception):
    """The data directory itself went away: polling notices it coming back."""
