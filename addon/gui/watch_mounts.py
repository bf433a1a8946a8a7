"""Linux: is the data directory on a file system whose changes can be made
somewhere inotify never hears of?

inotify reports what passes through this computer's kernel. A Polar folder
on a network share (NFS, SMB), a FUSE mount (sshfs, rclone, a gocryptfs
folder whose ciphertext Dropbox syncs underneath, the Flatpak document
portal), a virtual machine's or WSL's shared folder (9p, vboxsf, virtiofs)
is changed by another computer, the host or a process below the mount:
inotify starts fine there and then stays silent for those changes (seen
with a passthrough FUSE mount: a save through the mount arrives, the same
save made below it never does). Such a folder is polled from the start.

Read from ``/proc/self/mountinfo`` (the mount that holds the folder's real
path: the last of the longest mount points above it); no descriptor is kept.
"""

from __future__ import annotations

import os
import re
from typing import Optional

MOUNTINFO = "/proc/self/mountinfo"

# File systems whose content other machines (or the host, or a layer below
# the mount) change without this kernel's inotify seeing it.
_REMOTE = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "coda", "ceph", "glusterfs", "lustre",
    "beegfs", "gpfs", "ocfs2", "gfs2", "9p", "v9fs", "drvfs", "vboxsf", "vmhgfs", "virtiofs",
    "davfs", "fuse",
})
# FUSE over a local block device (ntfs-3g, exfat on a USB drive): every
# change passes through this kernel, so inotify sees it.
_LOCAL_FUSE = frozenset({"fuseblk"})

_ESCAPE = re.compile(r"\\([0-7]{3})")


def _unescape(field: str) -> str:
    """mountinfo writes a space, tab, newline and backslash as octal escapes."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def filesystem_of(path: str, mountinfo: str = MOUNTINFO) -> Optional[str]:
    """The file system type of the mount holding ``path`` (``fuse.sshfs``,
    ``nfs4``, ``ext4``), or None when the table cannot be read."""
    try:
        with open(mountinfo, encoding="utf-8", errors="surrogateescape") as table:
            lines = table.read().splitlines()
    except OSError:
        return None
    real = os.path.realpath(path)
    best, best_len = None, -1
    for line in lines:
        fields = line.split(" ")
        try:
            point = _unescape(fields[4])
            fstype = fields[fields.index("-", 6) + 1]
        except (IndexError, ValueError):
            continue
        inside = real == point or point == "/" or real.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= best_len:  # a later mount on the same point hides the earlier
            best, best_len = fstype, len(point)
    return best


def is_remote(fstype: Optional[str]) -> bool:
    """True for a file system whose changes inotify may never report."""
    if not fstype or fstype in _LOCAL_FUSE:
        return False
    base = fstype.split(".", 1)[0]  # fuse.sshfs, fuse.rclone, fuse.portal
    return fstype in _REMOTE or base in _REMOTE


def remote_filesystem(path: str, mountinfo: str = MOUNTINFO) -> Optional[str]:
    """The file system's type when ``path`` is on one inotify cannot watch
    for changes made elsewhere; None otherwise (or when unknown)."""
    fstype = filesystem_of(path, mountinfo)
    return fstype if is_remote(fstype) else None
