"""The CLI when the disk under the collection stops taking writes while it
syncs (an ext4 disk remounted read-only after an error, as a failing disk or a
pulled USB stick is; a folder made read-only) and the run is then interrupted
or fails: it cannot put the collection back, says so in one sentence, and the
next run, once the disk takes writes again, goes on and converges. A library
on a read-only mount is read and interrupted like any other."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from tests.mounts import mounted
from tests.polar_factory import Doc, basic, copy_sample_library
from tests.reliability.cli_run import Paused, cli, dump, listing


def _synced(tmp_path: Path, folder: Path):
    lib = copy_sample_library(tmp_path / "polar")
    col = folder / "collection.anki2"
    first = cli("--data-dir", str(lib), "--collection", str(col))
    assert first.returncode == 0, first.stderr
    for n in range(30):
        Doc(lib, f"1ReadOnly{n}", f"Read-only {n}").card(f"1ReadOnlyCard{n}", basic(f"q{n}", "a")).write()
    return lib, col


def _one_sentence_about(err: str, col: Path, reason: str, new: bool = False) -> str:
    assert "Traceback" not in err, err
    [line] = err.splitlines()
    undone = f"the new collection {col} it had begun could not be removed" if new else \
        f"the collection {col} could not be put back"
    assert line.startswith(f"polar_sync: the sync stopped, and {undone}"), line
    assert f"({reason})" in line and "run the sync again" in line, line
    return line


def test_a_folder_made_read_only_under_an_interrupted_sync_is_one_sentence(tmp_path):
    """The restore's first unlink was refused (EACCES) and the run ended with
    two tracebacks ("During handling of the above exception…"), exit 1."""
    folder = tmp_path / "profile"
    lib, col = _synced(tmp_path, folder)
    paused = Paused("adding", "--data-dir", str(lib), "--collection", str(col), as_user=True)
    folder.chmod(0o555)
    try:
        code, out, err = paused.signal(signal.SIGINT)
    finally:
        folder.chmod(0o755)
    assert (code, out) == (1, "")
    line = _one_sentence_about(err, col, "permission denied")
    [backup] = [p for p in folder.iterdir() if p.name.startswith("collection.anki2.polar-sync-backup-")
                and not p.name.endswith("-journal")]
    assert str(backup) in line
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0, again.stderr
    assert not [p for p in folder.iterdir() if "backup" in p.name], "the next run sweeps the kept copies"
    third = cli("--data-dir", str(lib), "--collection", str(col))
    assert "nothing changed" in third.stdout, third.stdout


@pytest.fixture
def ext4_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MB ext4 disk (a loop device) that turns read-only on an error, as
    Linux mounts most disks; root with loop devices only, skipped elsewhere."""
    if os.geteuid() != 0 or shutil.which("mkfs.ext4") is None:
        pytest.skip("needs root and mkfs.ext4 for a loop-mounted ext4 disk")
    image, mount = tmp_path / "disk.img", tmp_path / "disk"
    with open(image, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    subprocess.run(["mkfs.ext4", "-q", str(image)], check=True)
    with mounted(mount, ["-o", "loop,errors=remount-ro", str(image)], "a loop device"):
        yield mount


def _turn_read_only(mount: Path) -> None:
    """An ext4 error, as the kernel meets on a failing disk: errors=remount-ro
    makes the whole disk read-only at once, open files included."""
    device = os.path.basename(os.path.realpath(
        [line.split()[0] for line in open("/proc/mounts") if line.split()[1] == str(mount)][-1]))
    trigger = Path(f"/sys/fs/ext4/{device}/trigger_fs_error")
    if not trigger.exists():
        pytest.skip("this kernel has no ext4 trigger_fs_error")
    trigger.write_text("polar sync test\n")
    with pytest.raises(OSError) as refused:
        (mount / "probe").write_bytes(b"")
    assert refused.value.errno == errno.EROFS


def _writable_again(mount: Path, image: Path) -> None:
    subprocess.run(["umount", str(mount)], check=True)
    subprocess.run(["e2fsck", "-fy", str(image)], capture_output=True)  # exit 1: it fixed the error flag
    subprocess.run(["mount", "-o", "loop,errors=remount-ro", str(image), str(mount)], check=True)


def _paused_on_a_disk_turned_read_only(disk: Path, lib: Path, col: Path) -> Paused:
    """A CLI sync of ``lib`` into ``col`` paused while adding notes, its
    disk then turned read-only under it (the process killed if that fails)."""
    paused = Paused("adding", "--data-dir", str(lib), "--collection", str(col))
    try:
        _turn_read_only(disk)
    except BaseException:
        paused.proc.kill()
        paused.proc.wait()
        raise
    return paused


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_disk_turned_read_only_under_an_interrupted_sync_is_one_sentence_and_the_next_run_converges(
        tmp_path, ext4_disk, signum):
    """The restore met EROFS: "OSError: [Errno 30] Read-only file system:
    '…/collection.anki2-wal'" after the Interrupted traceback."""
    lib, col = _synced(tmp_path, ext4_disk / "profile")
    os.sync()  # the collection was on the disk long before, as a user's is
    paused = _paused_on_a_disk_turned_read_only(ext4_disk, lib, col)
    code, out, err = paused.signal(signum)
    assert (code, out) == (1, "")
    _one_sentence_about(err, col, "its disk turned read-only")
    _writable_again(ext4_disk, tmp_path / "disk.img")
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0, again.stderr
    third = cli("--data-dir", str(lib), "--collection", str(col))
    assert "nothing changed" in third.stdout, third.stdout
    from anki.collection import Collection

    c = Collection(str(col))
    try:
        assert c.db.scalar("pragma integrity_check") == "ok"
        assert c.db.scalar("select count() from notes where flds like 'q%'") == 30
    finally:
        c.close()


def test_a_library_on_a_read_only_mount_is_read_and_an_interrupted_sync_restored(tmp_path):
    """Checked: fine before too (the sync never writes into the library)."""
    lib = copy_sample_library(tmp_path / "polar")
    mount = tmp_path / "ro-polar"
    mount.mkdir()
    if subprocess.run(["mount", "--bind", str(lib), str(mount)], capture_output=True).returncode != 0:
        pytest.skip("cannot bind-mount here")
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(mount)], check=True)
        folder = tmp_path / "profile"
        col = folder / "collection.anki2"
        code, out, err = Paused("adding", "--data-dir", str(mount), "--collection", str(col)).signal(signal.SIGINT)
        assert code == 1 and "restored as they were" in err and not folder.exists(), err
        first = cli("--data-dir", str(mount), "--collection", str(col))
        assert first.returncode == 0 and "new notes" in first.stdout, first.stderr
        before = dump(col), listing(folder)
        code, out, err = Paused("reading", "--data-dir", str(mount), "--collection", str(col)).signal(signal.SIGTERM)
        assert code == 1 and (dump(col), listing(folder)) == before, err
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_disk_turned_read_only_under_an_interrupted_first_sync_is_one_sentence_and_the_next_run_converges(
        tmp_path, ext4_disk):
    """A first sync: the new collection could not be removed (EROFS): the
    same two tracebacks on the old code."""
    lib = copy_sample_library(tmp_path / "polar")
    col = ext4_disk / "profile" / "collection.anki2"
    paused = _paused_on_a_disk_turned_read_only(ext4_disk, lib, col)
    code, out, err = paused.signal(signal.SIGTERM)
    assert (code, out) == (1, "")
    _one_sentence_about(err, col, "its disk turned read-only", new=True)
    _writable_again(ext4_disk, tmp_path / "disk.img")
    again = cli("--data-dir", str(lib), "--collection", str(col))
    assert again.returncode == 0, again.stderr
    third = cli("--data-dir", str(lib), "--collection", str(col))
    assert "nothing changed" in third.stdout, third.stdout
