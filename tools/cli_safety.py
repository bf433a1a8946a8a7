"""The CLI's safety net around one sync: checks before anything is written,
the collection's lock, the backup, the restore on failure or interruption,
and one sentence per error.

Order matters (a second run must never overwrite the first one's
backup): the collection is *opened* first, which takes Anki's lock, and only
then backed up, under a name unique to this run. Everything acts on the real
file behind a symlinked collection, so the link stays a link.

A failed or interrupted run (SIGINT, SIGTERM) puts back the collection and
the sync state exactly as they were and removes whatever it created beside
them (a new collection's file, media folder and state file; media files it
added; its backups). Exit codes are the CLI contract's: 2 usage errors (nothing
written), 1 a failed sync (everything restored).

Test hook: with ``POLAR_SYNC_PAUSE_AT=<point>[,<point>...]`` the CLI
announces ``PAUSED <point>`` on stderr when it reaches that point and waits
there for a signal, so a test can interrupt it at an exact step without timing
(SIGUSR1 lets it go on).
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import signal
import sqlite3
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Set

PAUSE_ENV = "POLAR_SYNC_PAUSE_AT"
BACKUP_TAG = ".polar-sync-backup"
SQLITE_MAGIC = b"SQLite format 3\x00"


class CliError(Exception):
    """An error the user can act on: one sentence and the exit code."""

    code = 1

    def __init__(self, message: str, code: Optional[int] = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class UsageError(CliError):
    code = 2


class RestoreFailed(CliError):
    """A failed or interrupted run could not put the collection back: the
    disk refused (read-only, removed, a folder's mode). The run's writes stay
    as they are; they are whole Anki transactions, and the next sync goes on
    from them."""

    def __init__(self, path: Path, exc: OSError, backup: Optional[Path], created: bool = False) -> None:
        why = {errno.EROFS: "its disk turned read-only", errno.ENOSPC: "the disk is full",
               errno.EACCES: "permission denied", errno.EPERM: "permission denied",
               errno.EIO: "the disk refused a write: I/O error"}
        reason = why.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        kept = f"; the copy from before this run is {backup} (the next run removes it)" if backup else ""
        undone = (f"the new collection {path} it had begun could not be removed" if created
                  else f"the collection {path} could not be put back as it was")
        super().__init__(
            f"the sync stopped, and {undone} ({reason}); "
            f"once the disk takes writes again, run the sync again: it goes on from where this run stopped{kept}"
        )


class Interrupted(BaseException):
    """SIGINT/SIGTERM arrived. A BaseException, like KeyboardInterrupt, so no
    ``except Exception`` inside the sync swallows it."""

    def __init__(self, signum: int) -> None:
        self.name = signal.Signals(signum).name
        super().__init__(self.name)


# -- signals -------------------------------------------------------------------

class Signals:
    """SIGINT and SIGTERM raise :class:`Interrupted`, except inside
    :meth:`held` (opening, backing up, restoring, cleaning up: steps that must
    not be torn), where the signal waits until the block ends."""

    def __init__(self) -> None:
        self._holding = 0
        self.pending: Optional[int] = None
        self.received: Optional[int] = None
        self._old: List[Any] = []

    def install(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._old.append((signum, signal.signal(signum, self._handle)))

    def uninstall(self) -> None:
        for signum, old in self._old:
            signal.signal(signum, old)
        self._old = []

    def _handle(self, signum: int, _frame: Any) -> None:
        self.received = signum
        if self._holding:
            self.pending = signum
            return
        raise Interrupted(signum)

    @property
    def received_name(self) -> str:
        return signal.Signals(self.received).name if self.received is not None else ""

    @contextmanager
    def held(self, raise_after: bool = True) -> Iterator[None]:
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
        if raise_after and not self._holding and self.pending is not None:
            signum, self.pending = self.pending, None
            raise Interrupted(signum)


def checkpoint(point: str, signals: Optional[Signals] = None) -> None:
    """The test hook (see the module docstring). Inside a held block the
    signal cannot raise; ``signals`` then tells that it arrived."""
    if point not in os.environ.get(PAUSE_ENV, "").split(","):
        return
    resumed: List[int] = []
    previous = None
    if hasattr(signal, "SIGUSR1"):  # SIGUSR1 lets the run go on (a test's other process acts meanwhile)
        previous = signal.signal(signal.SIGUSR1, lambda signum, _frame: resumed.append(signum))
    sys.stderr.write(f"PAUSED {point}\n")
    sys.stderr.flush()
    try:
        while not resumed and (signals is None or signals.pending is None):
            time.sleep(0.1)  # the handler raises out of here, unless held
    finally:
        if previous is not None:
            signal.signal(signal.SIGUSR1, previous)


def progress_point(message: str) -> str:
    """``"Adding 12 notes…"`` → ``"adding"``: the pause point of a progress message."""
    words = message.split()
    return words[0].strip("…").lower() if words else ""


# -- checks before anything is written -------------------------------------------

def _first_existing(path: Path) -> Path:
    for candidate in [path, *path.parents]:
        if os.path.lexists(candidate):
            return candidate
    return Path(path.anchor or ".")


def check_output_folder(path: Path, flag: str) -> None:
    """``path``'s folder exists or can be made, and is writable."""
    existing = _first_existing(path.parent)
    if not existing.is_dir():
        raise UsageError(f"{flag} {path}: {existing} is a file, not a folder; choose a path in a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {path}: the folder {existing} is not writable; choose a writable folder")


def check_report_path(raw: str) -> Path:
    """Checked before the sync, so a report that cannot be written never
    costs a sync: the folder must take a file (a probe file is made and removed)."""
    path = Path(raw).expanduser()
    if path.is_dir():
        raise UsageError(f"--report {path} is a folder; give a file name for the JSON report")
    if path.exists() and not os.access(path, os.W_OK):
        raise UsageError(f"--report {path} is not writable; choose another file")
    check_output_folder(path, "--report")
    folder = _first_existing(path.parent)
    try:
        fd, probe = tempfile.mkstemp(prefix=".polar-sync-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise UsageError(f"--report {path}: cannot write in {folder} ({exc.strerror}); choose a writable folder") \
            from None
    return path


def write_report(path: Path, text: str) -> None:
    """Atomically (temp file + rename); the folder is made if missing."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # A path with bytes that are not UTF-8 (Python's lone surrogates) is
        # written escaped rather than failing the report.
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _in_use(path: Path) -> CliError:
    return CliError(
        f"the collection {path} is in use (open in Anki, in another sync or in another program); "
        "close it there and run again"
    )


def open_elsewhere(path: Path) -> bool:
    """Whether another process has ``path`` open: Linux from /proc (the
    processes this user may look into: Anki runs as the user), elsewhere
    ``lsof`` where there is one (macOS has it). Windows needs no look: a
    lock there belongs to its handle, and closing another handle keeps it."""
    if os.name == "nt":
        return False
    try:
        st = os.stat(path)
    except OSError:
        return False
    me = os.getpid()
    proc = Path("/proc")
    if (proc / str(me) / "fd").is_dir():
        target = (st.st_dev, st.st_ino)
        for entry in os.scandir(proc):
            if not entry.name.isdigit() or int(entry.name) == me:
                continue
            try:
                fds = os.scandir(os.path.join(entry.path, "fd"))
            except OSError:  # gone, or another user's
                continue
            with fds:
                for fd in fds:
                    try:
                        other = os.stat(fd.path)
                    except OSError:
                        continue
                    if (other.st_dev, other.st_ino) == target:
                        return True
        return False
    lsof = shutil.which("lsof")
    if lsof is None:
        return False
    import subprocess

    try:
        found = subprocess.run([lsof, "-t", "--", str(path)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return any(pid.strip().isdigit() and int(pid) != me for pid in found.stdout.split())


def check_collection(path: Path) -> None:
    """Usage errors of ``--collection`` (exit 2), found before opening it:
    a folder, a path under a file, an unwritable folder or file, and a file
    that is not an Anki collection (Anki would add its tables to any SQLite
    file it is given). A collection held by Anki is exit 1 (in use)."""
    flag = "--collection"
    if path.is_dir():
        raise UsageError(f"{flag} {path} is a folder; give the collection file (e.g. {path / 'collection.anki2'})")
    check_output_folder(path, flag)
    if not path.exists():
        if os.path.islink(path):
            raise UsageError(f"{flag} {path} is a symlink to a missing file; fix or remove the link")
        return
    real = Path(os.path.realpath(path))
    if not real.is_file():
        raise UsageError(f"{flag} {path} is not a regular file; give an Anki collection file")
    if not os.access(real, os.R_OK | os.W_OK):
        raise UsageError(f"{flag} {path} is read-only; make it writable (chmod u+rw) or sync a copy")
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise UsageError(
            f"{flag} {path}: its folder {real.parent} is not writable (the sync needs a backup beside it); "
            "make the folder writable"
        )
    if real.stat().st_size == 0:
        return  # an empty file: Anki makes a new collection in it
    with open(real, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head != SQLITE_MAGIC:
        raise UsageError(f"{flag} {path} is not an Anki collection; give a collection.anki2 file or a new path")
    # immutable: read the main file only, with no locks and no -wal/-shm
    # files made beside it (a read-only WAL reader would leave them).
    wal = real.with_name(real.name + "-wal")
    pending = wal.exists() and wal.stat().st_size > 0
    try:
        conn = sqlite3.connect(real.as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            tables = {r[0] for r in conn.execute("select name from sqlite_master where type = 'table'")}
        finally:
            conn.close()
    except sqlite3.DatabaseError:
        if pending:
            # A process killed mid-checkpoint leaves a main file that is only
            # whole together with its log; SQLite recovers it on open.
            return
        raise UsageError(f"{flag} {path} is not an Anki collection (a damaged SQLite file); "
                         "give a collection.anki2 file") from None
    if not tables and wal.exists():
        return  # created and never checkpointed: only the log knows; Anki decides
    if not {"col", "notes", "cards"} <= tables:
        raise UsageError(f"{flag} {path} is an SQLite file but not an Anki collection; give a collection.anki2 file")


# -- the guarded collection ------------------------------------------------------

def _pid_alive(pid: int) -> bool:
    if os.name == "nt":  # os.kill would terminate it; assume alive
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        _unlink(path)


class GuardedCollection:
    """One collection file for one run: open (lock), back up, then either
    :meth:`finish` or :meth:`restore`."""

    def __init__(self, path: Path, state: Optional[Path], signals: Signals) -> None:
        self.path = path  # as given: Anki puts the media folder beside it
        self.real = Path(os.path.realpath(path))  # what backups and restores act on
        self.state = Path(os.path.realpath(state)) if state is not None else None
        self.signals = signals
        self.col: Any = None
        self.created = not path.exists()
        self.backup: Optional[Path] = None
        self.state_backup: Optional[Path] = None
        self.state_existed = self.state is not None and self.state.exists()
        self._made_dirs: List[Path] = []
        self._flock: Optional[int] = None
        self._before: Set[Path] = set()
        self._media_before: Optional[Set[str]] = None
        # Left by an older Anki (schema below 18): closed as schema 11 again (``finish``)
        self.keep_old_schema = False

    # Entries beside the collection that belong to it: FILE.anki2-wal,
    # FILE.media/, FILE.media.db2, FILE.polar-sync.sqlite, ...
    def _siblings(self) -> Set[Path]:
        found: Set[Path] = set()
        for folder, stem in {(self.path.parent, self.path.stem), (self.real.parent, self.real.stem)}:
            try:
                names = os.listdir(folder)
            except OSError:
                continue
            found |= {folder / n for n in names if n == stem or n.startswith(stem + ".")}
        return found

    def _media_dir(self) -> Path:
        return self.path.with_name(self.path.stem + ".media")

    def open(self, lang: Optional[str]) -> Any:
        with self.signals.held():
            missing = [p for p in [self.path.parent, *self.path.parent.parents] if not p.exists()]
            self._made_dirs = list(missing)  # deepest first
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._before = self._siblings()
            self._take_run_lock()
            self._check_not_open_elsewhere()
            if self.created and lang:
                import anki.lang

                anki.lang.set_lang(lang)
            from anki.collection import Collection
            from anki.errors import DBError

            on_disk = None if self.created else old_schema_version(self.real)
            self.keep_old_schema = on_disk is not None and on_disk < OPENABLE_SCHEMA
            try:
                self.col = Collection(str(self.path))
            except DBError as exc:
                # Nothing of ours to remove but new empty folders: whatever
                # appeared meanwhile belongs to the run holding the collection.
                self._release_run_lock()
                self._remove_made_dirs()
                text = str(exc)
                if "already open" in text or "locked" in text:
                    raise _in_use(self.path) from None
                if disk_full(exc) or write_refused(exc):
                    if self.created:  # what Anki began of the new file (a lock would have said "in use")
                        self._remove_new_entries()
                    if disk_full(exc):
                        raise CliError(f"cannot open the collection {self.path} (the disk is full); "
                                       "free some disk space and run again") from None
                    raise CliError(f"cannot open the collection {self.path} ({describe(exc)}); "
                                   "check the disk (free space, a file-size limit) and run again") from None
                if "FileTooNew" in text:
                    raise too_new(self.path) from None
                if "NotADatabase" in text or "not a database" in text:
                    raise UsageError(f"--collection {self.path} is not an Anki collection; "
                                     "give a collection.anki2 file or a new path") from None
                raise CliError(f"cannot open the collection {self.path} ({text}); check the file and run again") \
                    from None
            media = self._media_dir()
            if not self.created and media.is_dir():
                self._media_before = set(os.listdir(media))
        return self.col

    def _take_run_lock(self) -> None:
        """Anki's lock ends when the collection closes, but a failed run still
        has to put its backup back after closing: a BSD lock (``flock``,
        separate from SQLite's POSIX locks) on the file keeps a second run out
        for the whole run. Anki itself does not take it; its own lock covers
        it while the collection is open. (Not on Windows.)"""
        if self.created or os.name == "nt":
            return
        import fcntl

        fd = os.open(self.real, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise _in_use(self.path) from None
        self._flock = fd

    def _check_not_open_elsewhere(self) -> None:
        """SQLite's lock is not enough to tell that Anki has the collection
        open: Anki's own backup (every 30 minutes, and the add-on's before
        its first sync) reads the file through a descriptor of its own and
        closes it, which drops every POSIX lock Anki's process holds on it;
        a sync written meanwhile is lost when Anki writes again. So any other
        process with the file open means "in use" (``open_elsewhere``)."""
        if not self.created and open_elsewhere(self.real):
            self._release_run_lock()
            raise _in_use(self.path)

    def _release_run_lock(self) -> None:
        # Only once SQLite has closed the file: closing any descriptor of it
        # while SQLite holds it open would drop SQLite's POSIX locks.
        if self._flock is not None:
            fd, self._flock = self._flock, None
            os.close(fd)

    def _sweep_stale_backups(self) -> None:
        """Backups of runs that were killed (their process is gone); we hold
        the lock, so no live run can be using one... except one that just
        closed the collection to restore it, hence the pid check."""
        targets = [self.real] + ([self.state] if self.state is not None else [])
        for target in targets:
            legacy = target.with_name(target.name + BACKUP_TAG)
            _unlink(legacy)  # the fixed name older versions used
            for stale in target.parent.glob(f"{target.name}{BACKUP_TAG}-*"):
                # A run killed inside VACUUM INTO also leaves the backup's
                # rollback journal: BACKUP-<pid>-<random>-journal.
                name = stale.name[: -len("-journal")] if stale.name.endswith("-journal") else stale.name
                try:
                    pid = int(name.rsplit("-", 2)[-2])
                except (ValueError, IndexError):
                    continue
                if pid != os.getpid() and not _pid_alive(pid):
                    _unlink(stale)

    def _unique(self, target: Path) -> Path:
        return target.with_name(f"{target.name}{BACKUP_TAG}-{os.getpid()}-{secrets.token_hex(4)}")

    def make_backup(self) -> None:
        """A consistent copy of the collection, taken while we hold its lock
        and written by the open connection itself (VACUUM INTO): it includes
        commits still in the write-ahead log (after a crash of Anki the newest
        reviews live only in ``FILE-wal``), and the file is never opened
        beside SQLite: closing any other descriptor of it would drop this
        process's POSIX locks on it, and with them the collection's lock."""
        with self.signals.held():
            self._sweep_stale_backups()
            if self.state is not None and self.state_existed:  # even beside a new collection
                state = self.state
                self.state_backup = self._copy(state, lambda dst: shutil.copy2(state, dst))
            if not self.created:  # a new one has nothing to restore: a failure removes it
                self.backup = self._copy(self.real, lambda dst: self.col.db.execute("vacuum into ?", str(dst)))

    def _copy(self, target: Path, write: Callable[[Path], Any]) -> Path:
        """A backup of ``target`` under a unique name; only a complete one is
        ever named as the backup (a torn copy must never be restored)."""
        dst = self._unique(target)
        try:
            write(dst)
            shutil.copymode(target, dst)
        except BaseException as exc:
            _unlink(dst)
            if isinstance(exc, (OSError, sqlite3.Error)) or type(exc).__name__ == "DBError":
                raise CliError(
                    f"cannot back up {target} before syncing ({describe(exc)}); "
                    "free some disk space or check the folder, then run again"
                ) from None
            raise
        return dst

    def _close(self, downgrade: bool = False) -> None:
        if self.col is not None:
            col, self.col = self.col, None
            try:
                col.close(downgrade=downgrade)
            except Exception:
                pass

    def _remove_new_entries(self) -> None:
        for entry in sorted(self._siblings() - self._before, reverse=True):
            _remove(entry)
        self._remove_made_dirs()

    def _remove_made_dirs(self) -> None:
        for folder in self._made_dirs:  # deepest first; only if still empty
            try:
                folder.rmdir()
            except OSError:
                break

    def restore(self) -> None:
        """Put everything back as it was before this run. If the disk refuses
        (it turned read-only under the run, was pulled out, a folder's mode
        changed), stop at the first refusal, keep the backups and raise
        :class:`RestoreFailed`: a half-restored collection and sync state
        would not match, while the run's own writes, left as they are, do
        (the next sync finishes the job)."""
        if self.col is None:
            self._release_run_lock()
            self._remove_made_dirs()
            return  # never opened: nothing of ours was written
        refused: Optional[OSError] = None
        with self.signals.held(raise_after=False):
            _join_workers()
            self._close()
            checkpoint("restoring", self.signals)
            try:
                self._put_back()
            except OSError as exc:
                refused = exc
            self._release_run_lock()
        if refused is not None:
            raise RestoreFailed(self.path, refused, self.backup, self.created)

    def _put_back(self) -> None:
        if self.backup is not None:
            for extra in ("-wal", "-shm"):  # they belong to the failed run's file
                _unlink(self.real.with_name(self.real.name + extra))
            os.replace(self.backup, self.real)
            self.backup = None
        if self.state is not None:
            for extra in ("-journal", "-wal", "-shm"):
                _unlink(self.state.with_name(self.state.name + extra))
            if self.state_backup is not None:
                os.replace(self.state_backup, self.state)
                self.state_backup = None
            elif not self.state_existed:
                _unlink(self.state)
        self._remove_new_entries()
        media = self._media_dir()
        if self._media_before is not None and media.is_dir():
            for name in set(os.listdir(media)) - self._media_before:
                _remove(media / name)

    def finish(self) -> None:
        """The sync is complete: drop the backups (while still holding the
        lock), then close."""
        with self.signals.held(raise_after=False):
            checkpoint("finishing", self.signals)
            for backup in (self.backup, self.state_backup):
                if backup is not None:
                    try:
                        _unlink(backup)
                    except OSError:
                        pass  # the disk turned read-only after the sync: the next run sweeps it
            self.backup = self.state_backup = None
            # A collection an older Anki left (schema 11-17, e.g. 2.1.35's 16): the
            # current Anki upgrades it to 18 on open, which that Anki cannot
            # open ("FileTooNew"); closed as schema 11, as Anki's own
            # "Downgrade & Quit" does, it opens in every Anki (nothing lost,
            # no schema change: a later Anki upgrades it again).
            self._close(downgrade=self.keep_old_schema)
            self._release_run_lock()


# The schema the Ankis since 2.1.49 or so write: an older Anki opens only
# schema 11-17 (2.1.35 refuses 18 with "FileTooNew"; 2.1.49 opens it).
OPENABLE_SCHEMA = 18


def old_schema_version(real: Path) -> Optional[int]:
    """The collection file's schema version (``col.ver``) as it is on disk,
    or None when it cannot be told without Anki (a log not yet written back,
    a damaged file): then it is taken as current."""
    wal = real.with_name(real.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return None
    try:
        conn = sqlite3.connect(real.as_uri() + "?mode=ro&immutable=1", uri=True)
        try:
            row = conn.execute("select ver from col").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return int(row[0]) if row and isinstance(row[0], int) else None


def _join_workers() -> None:
    """A worker of the sync (the media writer) may still be writing into the
    media folder: let it finish before anything is cleaned up."""
    me = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not me and thread is not threading.main_thread() and thread.is_alive():
            thread.join()


def quiet_anki_stall_note() -> None:
    """Keep Anki's "blocked main thread for N ms:" note off the CLI's stdout.

    Anki 23.12 to 25.09 print it, followed by the whole Python stack, on
    stdout whenever a backend call made on the main thread takes over 0.2 s
    (``anki/_backend.py``, ``_run_command``: a note for a GUI's developer;
    23.10 has no such check, 26.x logs it at debug level). The CLI has no
    window and syncs on its main thread: a first sync of 5,000 cards printed
    a 25-line stack between its progress lines, and a slow disk did it for a
    small one. The check compares ``current_thread()`` with that module's
    ``main_thread()``; in this process the latter names no thread."""
    try:
        import anki._backend as backend
    except ImportError:  # pragma: no cover - the CLI always has anki
        return
    if callable(getattr(backend, "main_thread", None)):
        setattr(backend, "main_thread", lambda: None)  # noqa: B010 (23.10's module has no such name to type)


def disk_full(exc: BaseException) -> bool:
    """No room left for a write: the disk (ENOSPC), a quota, a file-size
    limit, or SQLite's "database or disk is full" (Python's sqlite3 and
    Anki's backend, which reports it as ``DiskFull``)."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    text = str(exc)
    return "database or disk is full" in text or "DiskFull" in text or "No space left" in text


def write_refused(exc: BaseException) -> bool:
    """The disk refused a write that is not "full" to SQLite: a file-size
    limit (EFBIG, which SQLite reports as a plain I/O error), a failing disk."""
    text = str(exc)
    return "SystemIoFailure" in text or "disk I/O error" in text


def describe(exc: BaseException) -> str:
    if disk_full(exc):
        return "the disk is full"
    if write_refused(exc):
        return "the disk refused a write: disk I/O error"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def too_new(path: Path) -> UsageError:
    """Anki refuses a collection whose schema is newer than its own."""
    try:
        from anki.buildinfo import version
    except ImportError:  # pragma: no cover - every supported anki has it
        version = "?"
    return UsageError(
        f"the collection {path} was saved by a newer Anki than the one this tool runs with (anki {version}); "
        "sync it from that Anki (Tools ▸ Sync from Polar), or upgrade the anki package the tool uses"
    )

