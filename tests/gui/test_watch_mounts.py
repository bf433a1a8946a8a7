"""A Polar folder on a network or shared file system is polled: inotify
starts there but never hears of a save made on the other side of the mount
(reproduced with a passthrough FUSE mount, see docs/dev-notes/watcher.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from addon.gui.watch_mounts import filesystem_of, is_remote, remote_filesystem
from addon.gui.watch_poll import StatPoller
from addon.gui.watcher import LibraryWatcher
from tests.gui.watch_helpers import Collector, document_id, polar_tree, touch_state

LINUX = sys.platform.startswith("linux")

# Real lines, as Linux writes them (one per mount, in mount order).
TABLE = """\
22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw
25 22 0:23 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw
40 22 0:40 / /home/ana/nas rw,relatime shared:20 - nfs4 nas:/export/ana rw,vers=4.2,rsize=1048576
41 22 0:41 / /mnt/share rw,relatime shared:21 - cifs //server/share rw,vers=3.1.1,cache=strict
42 22 0:42 / /home/ana/remote rw,nosuid,nodev,relatime shared:22 - fuse.sshfs ana@box:/home/ana rw,user_id=1000
43 22 0:43 / /mnt/c rw,noatime shared:23 - 9p drvfs rw,dirsync,aname=drvfs;path=C:\\;uid=1000
44 22 8:17 / /media/ana/USB\\040STICK rw,nosuid,nodev,relatime shared:24 - fuseblk /dev/sdb1 rw,user_id=0
45 22 0:45 / /run/user/1000/doc rw,nosuid,nodev,relatime shared:25 - fuse.portal portal rw,user_id=1000
46 40 0:46 / /home/ana/nas/local rw,relatime shared:26 - ext4 /dev/sdc1 rw
47 22 0:47 / /media/vm rw,nodev,relatime shared:27 - vboxsf Polar rw
"""


@pytest.fixture
def table(tmp_path: Path) -> str:
    path = tmp_path / "mountinfo"
    path.write_text(TABLE, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("folder", "fstype", "remote"),
    [
        ("/home/ana/.polar", "ext4", False),
        ("/home/ana/nas/.polar", "nfs4", True),
        ("/home/ana/nas", "nfs4", True),  # the mount point itself
        ("/home/ana/nasty/.polar", "ext4", False),  # a name that merely starts alike
        ("/home/ana/nas/local/.polar", "ext4", False),  # a local disk mounted inside the share
        ("/mnt/share/Polar", "cifs", True),
        ("/home/ana/remote/.polar", "fuse.sshfs", True),
        ("/mnt/c/Users/ana/.polar", "9p", True),  # WSL: Polar on Windows, Anki in Linux
        ("/media/ana/USB STICK/.polar", "fuseblk", False),  # ntfs-3g on a USB drive: local
        ("/run/user/1000/doc/abc/.polar", "fuse.portal", True),  # Flatpak's document portal
        ("/media/vm/.polar", "vboxsf", True),
        ("/dev/shm/polar", "tmpfs", False),
    ],
)
def test_the_file_system_of_a_folder_and_whether_inotify_can_watch_it(table, folder, fstype, remote):
    assert filesystem_of(folder, table) == fstype
    assert is_remote(fstype) is remote
    assert remote_filesystem(folder, table) == (fstype if remote else None)


def test_a_later_mount_on_the_same_point_hides_the_earlier(tmp_path):
    path = tmp_path / "mountinfo"
    path.write_text(TABLE + "48 40 0:48 / /home/ana/nas rw - ext4 /dev/sdd1 rw\n", encoding="utf-8")
    assert remote_filesystem("/home/ana/nas/.polar", str(path)) is None


def test_a_symlink_to_a_share_is_judged_by_where_it_leads(tmp_path):
    share = tmp_path / "share"
    (share / ".polar").mkdir(parents=True)
    link = tmp_path / "home" / ".polar"
    link.parent.mkdir()
    link.symlink_to(share / ".polar")
    path = tmp_path / "mountinfo"
    path.write_text(f"22 1 259:2 / / rw - ext4 /dev/sda1 rw\n40 22 0:40 / {share} rw - nfs ha:/x rw\n",
                    encoding="utf-8")
    assert remote_filesystem(str(link), str(path)) == "nfs"


def test_no_table_means_local(tmp_path):
    assert filesystem_of("/home/ana/.polar", str(tmp_path / "none")) is None
    assert remote_filesystem("/home/ana/.polar", str(tmp_path / "none")) is None
    path = tmp_path / "garbled"
    path.write_text("nonsense\n\n1 2 3\n", encoding="utf-8")
    assert filesystem_of("/x", str(path)) is None


@pytest.mark.skipif(not LINUX, reason="the inotify choice is Linux's")
def test_a_folder_on_a_network_share_is_polled_and_the_log_says_why(tmp_path):
    root = tmp_path / "polar"
    polar_tree(root, documents=3, backups=0)
    table = tmp_path / "mountinfo"
    table.write_text(f"22 1 259:2 / / rw - ext4 /dev/sda1 rw\n40 22 0:40 / {tmp_path} rw - nfs4 nas:/x rw\n",
                     encoding="utf-8")
    collector, logs = Collector(), []
    watcher = LibraryWatcher(str(root), collector, logs.append, mountinfo=str(table))
    watcher.start()
    try:
        assert watcher.mode == "stat-poller" and watcher.remote == "nfs4"
        assert watcher.backend.remote
        assert len(logs) == 1 and logs[0].code == "watch_failed" and logs[0].then == "poll"
        assert "network or shared file system (nfs4)" in logs[0]
        touch_state(root, document_id(1))
        assert collector.wait_for(document_id(1))
    finally:
        watcher.stop()
    # The same folder on a local disk: inotify, as before.
    table.write_text("22 1 259:2 / / rw - ext4 /dev/sda1 rw\n", encoding="utf-8")
    watcher = LibraryWatcher(str(root), collector, logs.append, mountinfo=str(table))
    watcher.start()
    try:
        assert watcher.mode == "inotify" and watcher.remote == "" and len(logs) == 1
    finally:
        watcher.stop()


def test_a_poll_of_a_share_waits_for_the_server_not_only_for_the_cpu(tmp_path):
    """On a share every stat is a round trip: the wait grows with a poll's
    wall time there (10x), while a local poll counts CPU time only (a
    loaded machine must not slow it)."""
    root = tmp_path / "polar"
    polar_tree(root, documents=2, backups=0)
    local = StatPoller(str(root), lambda keys: None, 0.25)
    share = StatPoller(str(root), lambda keys: None, 0.25, remote=True)
    for poller in (local, share):
        poller.last_cost, poller.last_wall = 0.001, 0.2  # a 200 ms poll that took 1 ms of CPU
    assert local.wait() == 0.25
    assert share.wait() == pytest.approx(2.0)
    assert share.age() <= share.wait() + share.last_wall
