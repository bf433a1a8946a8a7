"""Documents taken out of a Polar export: each kind of archive, kept once,
bounded with the least recently used going first, a broken copy re-done."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Dict, Tuple

import pytest

from addon.polar.body_cache import TAR, TAR_GZ, ZIP, BodyCache, ExtractError

PDF_A = b"%PDF-1.4\n" + b"A" * 5000 + b"\n%%EOF\n"
PDF_B = b"%PDF-1.7\n" + os.urandom(7000) + b"\n%%EOF\n"
MEMBERS = {"doc_meta/x.json": b"{}", "stash/1abc.pdf": PDF_A, "stash/2def.pdf": PDF_B}


def _tar(path: Path, gz: bool) -> Dict[str, Tuple[int, int]]:
    """The archive, and each member's (size, data offset in the uncompressed tar)."""
    with tarfile.open(path, "w:gz" if gz else "w") as tf:
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    with tarfile.open(path, "r:*") as tf:
        return {m.name: (m.size, m.offset_data) for m in tf.getmembers()}


@pytest.mark.parametrize("kind", [TAR_GZ, TAR, ZIP])
def test_a_member_is_taken_out_once(tmp_path, kind):
    archive = tmp_path / "export.zip"  # Polar names its tar.gz ".zip": the kind is by content
    if kind == ZIP:
        with zipfile.ZipFile(archive, "w") as zf:
            for name, data in MEMBERS.items():
                zf.writestr(name, data)
        where = {name: (len(data), 0) for name, data in MEMBERS.items()}
    else:
        where = _tar(archive, gz=kind == TAR_GZ)
    cache = BodyCache(tmp_path / "cache")
    size, offset = where["stash/2def.pdf"]
    path = cache.get(archive, kind, "stash/2def.pdf", size, offset)
    assert path.read_bytes() == PDF_B and path.suffix == ".pdf" and path.parent == tmp_path / "cache"
    assert cache.cached(archive, "stash/2def.pdf", size) == path
    os.utime(path, (1, 1))
    assert cache.get(archive, kind, "stash/2def.pdf", size, offset) == path
    assert path.stat().st_mtime > 1  # used again: most recent, and not taken out again
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [path.name]  # no temporary left


def test_a_broken_copy_is_taken_out_again(tmp_path):
    archive = tmp_path / "export.tar"
    where = _tar(archive, gz=False)
    cache = BodyCache(tmp_path / "cache")
    size, offset = where["stash/1abc.pdf"]
    path = cache.get(archive, TAR, "stash/1abc.pdf", size, offset)
    path.write_bytes(PDF_A[:100])  # cut short (a crash, a full disk)
    assert cache.cached(archive, "stash/1abc.pdf", size) is None
    assert cache.get(archive, TAR, "stash/1abc.pdf", size, offset).read_bytes() == PDF_A
    path.write_bytes(b"X" * size)  # right size, not a PDF
    assert cache.get(archive, TAR, "stash/1abc.pdf", size, offset).read_bytes() == PDF_A
    cache.forget(path)  # the viewer could not read it
    assert not path.exists()


def test_the_least_recently_used_go_when_the_cache_is_full(tmp_path):
    archive = tmp_path / "export.tar"
    where = _tar(archive, gz=False)
    cache = BodyCache(tmp_path / "cache", max_bytes=len(PDF_B) + 100)
    a = cache.get(archive, TAR, "stash/1abc.pdf", *where["stash/1abc.pdf"])
    b = cache.get(archive, TAR, "stash/2def.pdf", *where["stash/2def.pdf"])
    assert b.exists() and not a.exists()  # both do not fit: the older one went
    # A changed export is another version: its documents are kept apart.
    os.utime(archive, ns=(1, 1))
    assert cache.path_for(archive, "stash/2def.pdf") != b


def test_damage_and_missing_members_say_so_and_leave_nothing(tmp_path):
    archive = tmp_path / "export.tar.gz"
    where = _tar(archive, gz=True)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    cache = BodyCache(tmp_path / "cache")
    with pytest.raises(ExtractError):
        cache.get(archive, TAR_GZ, "stash/2def.pdf", *where["stash/2def.pdf"])
    with zipfile.ZipFile(tmp_path / "x.zip", "w") as zf:
        zf.writestr("stash/other.pdf", PDF_A)
    with pytest.raises(ExtractError, match="not in the export"):
        cache.get(tmp_path / "x.zip", ZIP, "stash/1abc.pdf", len(PDF_A), 0)
    assert not [p for p in (tmp_path / "cache").iterdir()]
