"""The CLI in the ordinary states of a machine, on a real process: a signal
while it starts or exits (outside the run's own handlers), a full disk (a
small tmpfs), a collection saved by a newer Anki, the collection held open by
another program. Each ends in one sentence naming the file, no traceback,
and a collection that is whole and converges on the next run."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.mounts import tmpfs
from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.cli_run import Paused, cli, dump, listing


def _synced(tmp_path: Path):
    lib = copy_sample_library(tmp_path / "polar")
    folder = tmp_path / "profile"
    col = folder / "collection.anki2"
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    Doc(lib, "1StatesNew", "New").card("1StatesCard", basic("q", "a")).write()
    return lib, folder, col


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_cli_starts_is_one_sentence_and_changes_nothing(tmp_path, signum):
    """Ctrl-C in the tenth of a second Python spends importing the sync
    printed a KeyboardInterrupt traceback (exit -2)."""
    lib, folder, col = _synced(tmp_path)
    before = dump(col), listing(folder)
    code, out, err = Paused("starting", "--data-dir", str(lib), "--collection", str(col)).signal(signum)
    name = signal.Signals(signum).name
    assert (code, out) == (1, "")
    assert err.splitlines() == [f"polar_sync: interrupted ({name}) before the sync began; nothing was changed"]
    assert (dump(col), listing(folder)) == before


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_cli_exits_after_a_complete_sync_keeps_its_outcome(tmp_path, signum):
    """Ctrl-C or SIGTERM in the last ~60 ms (Python's exit, the collection
    already closed) ended a finished sync with "Terminated" (exit -15) or a
    KeyboardInterrupt traceback, so a script took it for a failure."""
    lib, folder, col = _synced(tmp_path)
    code, out, err = Paused("exiting", "--data-dir", str(lib), "--collection", str(col)).signal(signum)
    assert code == 0, err
    assert out.startswith("Polar Sync: 1 new note"), out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert not [p for p in folder.iterdir() if "backup" in p.name or p.name.endswith(("-wal", "-journal"))]
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout + again.stderr


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """An 8 MB tmpfs, to be filled but a few KB (root only; skipped elsewhere)."""
    with tmpfs(tmp_path / "disk", "8m") as mount:
        yield mount


def _fill(mount: Path, leave: int) -> None:
    """Fill the disk but ``leave`` bytes."""
    st = os.statvfs(mount)
    free = st.f_bavail * st.f_frsize
    with open(mount / "filler", "wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


@pytest.mark.parametrize("room", [64 * 1024, 400 * 1024])  # no room to open / to write the notes
def test_a_full_disk_during_a_first_sync_is_one_sentence_and_leaves_nothing(small_disk, room):
    """Anki's backend said "DbError { info: "SqliteFailure(Error { code:
    DiskFull, extended_code: 13 }, …)", kind: Other }" and asked to run again
    with --debug."""
    lib = copy_sample_library(small_disk.parent / "polar")
    col = small_disk / "profile" / "collection.anki2"
    _fill(small_disk, room)
    run = cli("--data-dir", str(lib), "--collection", str(col))
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert str(col) in line and "(the disk is full)" in line and line.endswith("free some disk space and run again")
    assert "DbError" not in line and "--debug" not in line
    assert sorted(os.listdir(small_disk)) == ["filler"]


def test_a_full_disk_before_the_backup_of_a_resync_is_one_sentence(tmp_path, small_disk):
    lib, folder, col = _synced(tmp_path)
    for entry in folder.iterdir():
        subprocess.run(["cp", "-a", str(entry), str(small_disk)], check=True)
    col = small_disk / col.name
    _fill(small_disk, 16 * 1024)
    before = dump(col), listing(small_disk)
    run = cli("--data-dir", str(lib), "--collection", str(col))
    assert run.returncode == 1
    assert len(run.stderr.splitlines()) == 1 and "(the disk is full)" in run.stderr, run.stderr
    assert "DbError" not in run.stderr and "free some disk space" in run.stderr
    assert (dump(col), listing(small_disk)) == before
    (small_disk / "filler").unlink()
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0 and "1 new note" in again.stdout, again.stderr


def test_a_collection_of_a_newer_anki_is_named_and_left_alone(tmp_path):
    """Anki's backend refuses a schema newer than its own: the CLI printed
    "cannot open the collection … (DbError { info: "", kind: FileTooNew });
    check the file and run again"."""
    lib, folder, col = _synced(tmp_path)
    with sqlite3.connect(col) as conn:
        conn.execute("update col set ver = ver + 1")
    conn.close()
    before = dump(col), listing(folder)
    run = cli("--data-dir", str(lib), "--collection", str(col))
    assert run.returncode == 2
    [line] = run.stderr.splitlines()
    assert line.startswith(f"polar_sync: the collection {col} was saved by a newer Anki than the one this tool "
                           "runs with (anki "), line
    assert "DbError" not in line
    assert (dump(col), listing(folder)) == before


def test_a_collection_held_open_by_another_program_says_so(tmp_path):
    """A plain SQLite reader (a database browser, a script) keeps Anki's
    exclusive lock out just as Anki does; the sentence names that case too."""
    lib, folder, col = _synced(tmp_path)
    reader = subprocess.Popen(
        [sys.executable, "-c", "import sqlite3, sys, time; c = sqlite3.connect(sys.argv[1]); "
         "c.execute('select count() from notes').fetchall(); print('open', flush=True); time.sleep(60)", str(col)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "open"
        run = cli("--data-dir", str(lib), "--collection", str(col))
    finally:
        reader.kill()
        reader.wait()
    assert run.returncode == 1
    assert run.stderr.splitlines() == [
        f"polar_sync: the collection {col} is in use (open in Anki, in another sync or in another program); "
        "close it there and run again"], run.stderr
    assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0


@pytest.mark.parametrize("limit", [50_000, 150_000])  # Anki's first pages / the notes
def test_a_file_size_limit_is_one_sentence_and_leaves_nothing(tmp_path, limit):
    """RLIMIT_FSIZE (a shell's ulimit -f, a batch system's quota): SQLite
    gets EFBIG and says "disk I/O error"; the CLI printed Anki's
    "DbError { info: "SqliteFailure(Error { code: SystemIoFailure, … })" }"
    and asked for --debug."""
    import resource

    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "new" / "collection.anki2"

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    run = subprocess.run([sys.executable, str(Path(__file__).parents[2] / "tools" / "polar_sync.py"),
                          "--data-dir", str(lib), "--collection", str(col)],
                         capture_output=True, text=True, timeout=300, preexec_fn=limited)
    assert run.returncode == 1
    [line] = run.stderr.splitlines()
    assert str(col) in line and "(the disk refused a write: disk I/O error)" in line, line
    assert "--debug" not in line
    assert line.endswith("check the disk (free space, a file-size limit) and run again") and "DbError" not in line
    assert not (tmp_path / "new").exists()


def test_the_cli_takes_signals_before_it_imports_anything_but_os_signal_and_sys():
    """A fuzzer's Ctrl-C 15–31 ms after the start (4 runs in 250) met
    ``from typing import …`` (typing imports re, contextlib: ~10 ms) before
    the script's handler was set: a KeyboardInterrupt traceback, exit -2.
    Only modules Python loads with itself may come before it (a timing test
    cannot hit those ms reliably, so the order is checked)."""
    import ast

    from tests.reliability.cli_run import CLI

    tree = ast.parse(CLI.read_text(encoding="utf-8"))
    before: list = []
    for node in tree.body:
        if isinstance(node, ast.If) and "signal.signal" in ast.unparse(node):
            break
        if isinstance(node, ast.ImportFrom):
            before.append(node.module)
        elif isinstance(node, ast.Import):
            before.extend(alias.name for alias in node.names)
    else:
        raise AssertionError("the CLI sets no signal handler at module level")
    assert set(before) <= {"__future__", "os", "signal", "sys"}, before


@pytest.mark.parametrize("new", [True, False], ids=["first-sync", "resync"])
def test_a_signal_inside_a_c_extensions_imports_ends_the_run_in_one_sentence(tmp_path, new):
    """orjson's module init (Rust) imports uuid, datetime… and takes the
    exception a signal handler raises there for a failed import: the CLI
    ended with SIGSEGV (exit -11, no word), 3 random runs in 250 on Anki
    23.10's venv (orjson 3.11), once in ~300 before; the same on orjson 3.13
    with the signal at that exact moment."""
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "profile" / "collection.anki2"
    if not new:
        assert cli("--data-dir", str(lib), "--collection", str(col)).returncode == 0
    before = listing(tmp_path / "profile") if not new else None
    trap = Path(__file__).resolve().parent / "signal_in_import.py"
    from tests.reliability.cli_run import CLI

    run = subprocess.run([sys.executable, str(trap), str(CLI), "--data-dir", str(lib), "--collection", str(col)],
                         capture_output=True, text=True, timeout=300,
                         env=dict(os.environ, SIGNAL_IN_IMPORT_OF="orjson:uuid"))
    lines = run.stderr.splitlines()
    assert lines[:1] == ["SIGNAL SENT"], run.stderr  # orjson was imported, and imported uuid, in the run
    assert run.returncode == 1, (run.returncode, run.stderr)
    assert lines[1:] == ["polar_sync: interrupted (SIGINT) before the sync began; nothing was changed"]
    if new:
        assert not col.parent.exists()
    else:
        assert listing(tmp_path / "profile") == before


def test_a_reader_of_stdout_that_goes_away_does_not_turn_a_complete_sync_into_a_traceback(tmp_path):
    """``polar_sync.py … | head -1`` (or any closed pipe): the summary's
    print met BrokenPipeError after the sync was complete and closed: a
    traceback and exit 1 for a sync that was kept."""
    lib = copy_sample_library(tmp_path / "polar")
    col = tmp_path / "profile" / "collection.anki2"
    from tests.reliability.cli_run import CLI

    proc = subprocess.Popen([sys.executable, str(CLI), "--data-dir", str(lib), "--collection", str(col)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before the CLI says anything
    err = proc.stderr.read()
    assert proc.wait(timeout=300) == 0, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert not [p for p in col.parent.iterdir() if "backup" in p.name or p.name.endswith(("-wal", "-journal"))]
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0 and "nothing changed" in again.stdout, again.stdout + again.stderr


def test_the_progress_lines_of_a_long_sync_go_nowhere_once_the_reader_went_away():
    """A long sync prints progress lines: one met BrokenPipeError, which
    failed (and undid) the sync."""
    tools = Path(__file__).resolve().parents[2] / "tools"
    code = (f"import sys, time; sys.path.insert(0, {str(tools)!r}); from polar_sync import ProgressPrinter; "
            "time.sleep(0.3); p = ProgressPrinter(after=0.0, every=0.0); "
            "p('Adding 100 notes…'); p('Adding 200 notes…'); sys.stderr.write('went on')")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0 and err == "went on", err


_ANKI_AFTER_A_BACKUP = """
import sys
from pathlib import Path
from anki.collection import Collection
col = Collection(sys.argv[1])
backups = Path(sys.argv[1]).parent / "backups"
backups.mkdir(exist_ok=True)
col.create_backup(backup_folder=str(backups), force=True, wait_for_completion=True)
print("open", flush=True)
sys.stdin.readline()  # until the test lets it go on: Anki's own write, then its close
note = col.new_note(col.models.by_name("Basic"))
note["Front"] = "studied in Anki meanwhile"
col.add_note(note, col.decks.id("Default"))
col.close()
"""


def test_a_collection_open_in_anki_after_ankis_backup_is_in_use(tmp_path):
    """Anki's own backup (every 30 minutes while it runs, and the add-on's
    before its first sync in a profile) reads the collection through a
    descriptor of its own and closes it, which drops every POSIX lock Anki's
    process holds on the file (SQLite's fcntl caveat): from then on, SQLite's
    lock no longer kept the CLI out of a collection open in Anki. The CLI
    synced into it ("Polar Sync: 1 new note", exit 0), and Anki, writing
    into its write-ahead log as if alone, lost that sync when it closed
    (reliability.md, round 5). Now: "in use", exit 1, nothing written."""
    lib, folder, col = _synced(tmp_path)
    before = dump(col)
    anki = subprocess.Popen([sys.executable, "-c", _ANKI_AFTER_A_BACKUP, str(col)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert anki.stdout is not None and anki.stdout.readline().strip() == "open"
        run = cli("--data-dir", str(lib), "--collection", str(col))
        assert anki.stdin is not None
        anki.stdin.write("go on\n")
        anki.stdin.close()
        assert anki.wait(60) == 0
    finally:
        if anki.poll() is None:
            anki.kill()
            anki.wait()
    assert (run.returncode, run.stderr.splitlines()) == (1, [
        f"polar_sync: the collection {col} is in use (open in Anki, in another sync or in another program); "
        "close it there and run again"]), (run.stdout, run.stderr)
    after = dump(col)
    assert len(after["notes"]) == len(before["notes"]) + 1  # Anki's note, and no other change
    assert not [p.name for p in folder.iterdir() if "polar-sync-backup" in p.name]
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0 and "1 new note" in again.stdout, again.stdout + again.stderr
