"""The archive walk: formats by content, safety, damage."""

import gzip
import io
import json
import os
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from addon.polar import archive
from addon.polar.archive import TAR, TAR_GZ, ZIP, ArchiveError, probe, scan, sniff

CAP = 1000


def keep_json(name):
    return CAP if name.endswith(".json") else None


def tar_bytes(members, fmt=tarfile.USTAR_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data, kind in members:
            info = tarfile.TarInfo(name)
            info.type = kind
            if kind == tarfile.REGTYPE:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                info.linkname = "target"
                tar.addfile(info)
    return buf.getvalue()


def files(*pairs):
    return [(name, data, tarfile.REGTYPE) for name, data in pairs]


MEMBERS = files(("doc_meta/a.json", b'{"a":1}'), ("stash/x.pdf", os.urandom(3000)), ("doc_meta/b.json", b'{"b":2}'))


def walk(path, kind=None):
    return list(scan(str(path), kind or sniff(str(path)), keep_json))


def write(path, data):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("name", ["export.zip", "export.tar.gz", "export.tgz", "export"])
def test_recognised_by_content_not_name(tmp_path, name):
    raw = tar_bytes(MEMBERS)
    assert sniff(str(write(tmp_path / name, gzip.compress(raw)))) == TAR_GZ
    assert sniff(str(write(tmp_path / ("plain-" + name), raw))) == TAR
    zpath = tmp_path / ("zip-" + name)
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("doc_meta/a.json", "{}")
    assert sniff(str(zpath)) == ZIP
    assert sniff(str(write(tmp_path / ("text-" + name), b"hello"))) is None


def test_the_three_formats_give_the_same_members(tmp_path):
    raw = tar_bytes(MEMBERS)
    tgz = write(tmp_path / "a.zip", gzip.compress(raw))
    plain = write(tmp_path / "b", raw)
    zpath = tmp_path / "c.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data, _ in MEMBERS:
            zf.writestr(name, data)
    results = []
    for path in (tgz, plain, zpath):
        entries = walk(path)
        results.append([(e.name, e.size, e.data, e.problem) for e in entries])
    assert results[0] == results[1] == results[2]
    assert [r[0] for r in results[0]] == ["doc_meta/a.json", "stash/x.pdf", "doc_meta/b.json"]
    assert results[0][1][2] is None  # the body is skipped, never held
    assert results[0][0][2] == b'{"a":1}'


def test_offsets_point_at_member_data(tmp_path):
    raw = tar_bytes(MEMBERS)
    path = write(tmp_path / "t", raw)
    body = next(e for e in walk(path) if e.name == "stash/x.pdf")
    assert raw[body.offset:body.offset + body.size] == MEMBERS[1][1]


def test_links_devices_absolute_and_dotdot_refused(tmp_path):
    raw = tar_bytes([
        ("doc_meta/link.json", b"", tarfile.SYMTYPE),
        ("doc_meta/hard.json", b"", tarfile.LNKTYPE),
        ("doc_meta/dev.json", b"", tarfile.CHRTYPE),
        ("doc_meta/fifo.json", b"", tarfile.FIFOTYPE),
        ("/etc/x.json", b"{}", tarfile.REGTYPE),
        ("doc_meta/../../x.json", b"{}", tarfile.REGTYPE),
        ("doc_meta/ok.json", b"{}", tarfile.REGTYPE),
    ])
    entries = walk(write(tmp_path / "t.tar", raw))
    by_name = {e.name: e for e in entries}
    for name in ("doc_meta/link.json", "doc_meta/hard.json"):
        assert by_name[name].problem == "links are refused" and by_name[name].data is None
    for name in ("doc_meta/dev.json", "doc_meta/fifo.json"):
        assert by_name[name].problem == "devices and pipes are refused"
    assert "absolute" in by_name["/etc/x.json"].problem
    assert "'..'" in by_name["doc_meta/../../x.json"].problem
    assert by_name["doc_meta/ok.json"].data == b"{}"
    assert not any(e.fatal for e in entries)


def test_zip_symlink_refused(tmp_path):
    path = tmp_path / "l.zip"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("doc_meta/l.json")
        info.create_system = 3
        info.external_attr = (0o120777) << 16
        zf.writestr(info, "/etc/passwd")
        zf.writestr("doc_meta/ok.json", "{}")
    entries = walk(path)
    assert entries[0].problem == "links are refused"
    assert entries[1].data == b"{}"


def test_member_over_the_cap_is_not_read(tmp_path):
    raw = tar_bytes(files(("doc_meta/big.json", b" " * (CAP + 1)), ("doc_meta/ok.json", b"{}")))
    for path in (write(tmp_path / "t", raw), write(tmp_path / "g", gzip.compress(raw))):
        entries = walk(path)
        assert "over the 1000-byte limit" in entries[0].problem and entries[0].data is None
        assert entries[1].data == b"{}"


def test_zip_bomb_member_is_bounded(tmp_path):
    path = tmp_path / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("doc_meta/bomb.json", b"\x00" * (20 * 1024 * 1024))
    entries = walk(path)
    assert "limit" in entries[0].problem and entries[0].data is None


def test_pax_and_gnu_long_names(tmp_path):
    long = "doc_meta/" + "x" * 150 + ".json"
    for fmt in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        raw = tar_bytes(files((long, b"{}"), ("./doc_meta/dot.json", b"[]")), fmt)
        entries = walk(write(tmp_path / f"t{fmt}", raw))
        assert [(e.name, e.data) for e in entries] == [(long, b"{}"), ("doc_meta/dot.json", b"[]")]


def test_empty_archives(tmp_path):
    assert walk(write(tmp_path / "e.tgz", gzip.compress(tar_bytes([])))) == []
    path = tmp_path / "e.zip"
    zipfile.ZipFile(path, "w").close()
    probe(str(path), ZIP)
    assert walk(path) == []


def test_progress_reaches_the_total(tmp_path):
    path = write(tmp_path / "p", gzip.compress(tar_bytes(MEMBERS)))
    seen = []
    list(scan(str(path), TAR_GZ, keep_json, lambda done, total: seen.append((done, total))))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size)
    assert all(a <= b for (a, _), (b, _) in zip(seen, seen[1:]))


# -- damage ---------------------------------------------------------------------


def test_truncated_gzip_keeps_what_came_before(tmp_path):
    raw = tar_bytes(files(("doc_meta/a.json", b"{}"), ("stash/x.pdf", os.urandom(200_000)),
                          ("doc_meta/b.json", b"{}")))
    packed = gzip.compress(raw)
    path = write(tmp_path / "cut.zip", packed[: len(packed) // 2])
    entries = walk(path)
    assert entries[0].data == b"{}"
    assert entries[-1].fatal and entries[-1].name == "stash/x.pdf"
    assert "truncated" in entries[-1].problem
    assert "doc_meta/b.json" not in [e.name for e in entries]


def test_truncated_inside_a_record_names_it(tmp_path):
    raw = tar_bytes(files(("doc_meta/a.json", b"{" + b" " * 900 + b"}"),))
    path = write(tmp_path / "cut", raw[:700])
    entries = walk(path)
    assert len(entries) == 1 and entries[0].fatal and entries[0].name == "doc_meta/a.json"


def test_bad_gzip_crc_is_reported_after_everything_was_read(tmp_path):
    packed = bytearray(gzip.compress(tar_bytes(MEMBERS)))
    packed[-8] ^= 0xFF  # the CRC32 in the trailer
    entries = walk(write(tmp_path / "crc.zip", bytes(packed)))
    assert [e.data for e in entries[:3]] == [b'{"a":1}', None, b'{"b":2}']
    assert entries[-1].fatal and "gzip checksum" in entries[-1].problem and entries[-1].name == ""


def test_corrupt_deflate_data(tmp_path):
    raw = tar_bytes(files(("doc_meta/a.json", b"{}"), ("stash/x.pdf", b"abc" * 100_000), ("doc_meta/b.json", b"{}")))
    packed = bytearray(gzip.compress(raw))
    for i in range(len(packed) // 2, len(packed) // 2 + 40):
        packed[i] ^= 0x5A
    entries = walk(write(tmp_path / "bad", bytes(packed)))
    assert entries[0].data == b"{}"
    assert entries[-1].fatal
    assert sum(1 for e in entries if e.problem) == 1


def _retarget_size(raw, name, new_size):
    """Rewrite one member's header size (and checksum): a member lying about its size."""
    buf = bytearray(raw)
    pos = 0
    while True:
        header = buf[pos:pos + 512]
        if header[:len(name)] == name.encode():
            break
        size = int(header[124:136].strip(b"\x00 ") or b"0", 8)
        pos += 512 + size + (-size % 512)
    buf[pos + 124:pos + 136] = b"%011o\x00" % new_size
    buf[pos + 148:pos + 156] = b" " * 8
    buf[pos + 148:pos + 156] = b"%06o\x00 " % sum(buf[pos:pos + 512])
    return bytes(buf)


@pytest.mark.parametrize("delta", [-1000, 1000])
def test_member_lying_about_its_size(tmp_path, delta):
    raw = tar_bytes(files(("doc_meta/a.json", b"{}"), ("stash/x.pdf", os.urandom(10_000)),
                          ("stash/y.pdf", os.urandom(10_000)), ("doc_meta/b.json", b"{}")))
    lied = _retarget_size(raw, "stash/x.pdf", 10_000 + delta)
    for path in (write(tmp_path / "t", lied), write(tmp_path / "g", gzip.compress(lied))):
        entries = walk(path)
        assert entries[0].data == b"{}"
        assert entries[-1].fatal and "after stash/x.pdf" in entries[-1].problem
        assert "doc_meta/b.json" not in [e.name for e in entries if e.data]


def test_lying_size_landing_on_zeros_is_caught(tmp_path):
    body = b"\x01" * 512 + b"\x00" * 4096 + b"\x02" * 512
    raw = tar_bytes(files(("stash/x.pdf", body), ("doc_meta/b.json", b"{}")))
    lied = _retarget_size(raw, "stash/x.pdf", 512)  # the walk lands inside the zeros
    entries = walk(write(tmp_path / "t", lied))
    assert entries[-1].fatal and "data follows the end" in entries[-1].problem


def test_not_an_archive_inside_gzip(tmp_path):
    path = write(tmp_path / "j.zip", gzip.compress(b'{"json": true}' * 100))
    with pytest.raises(ArchiveError):
        probe(str(path), TAR_GZ)


@pytest.mark.parametrize("data", [b"\x1f\x8b\x08\x00garbage", b"\x1f\x8b", b"PK\x03\x04short", b"PKjunkjunk"])
def test_unopenable(tmp_path, data):
    path = write(tmp_path / "x.zip", data)
    kind = sniff(str(path))
    if kind is None:
        return  # not even recognised: open_source refuses it by name
    with pytest.raises(ArchiveError):
        probe(str(path), kind)


# -- zip damage --------------------------------------------------------------------


def make_zip(path, members, method=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return path


def patch_zip(path, name, local=None, central=None):
    """Patch header fields of one entry: {offset_in_header: bytes}."""
    buf = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(buf))) as zf:
        info = zf.getinfo(name)
    for off, value in (local or {}).items():
        buf[info.header_offset + off:info.header_offset + off + len(value)] = value
    cd = buf.find(b"PK\x01\x02", 0)
    while cd >= 0:
        nlen = struct.unpack("<H", buf[cd + 28:cd + 30])[0]
        if buf[cd + 46:cd + 46 + nlen] == name.encode():
            for off, value in (central or {}).items():
                buf[cd + off:cd + off + len(value)] = value
        cd = buf.find(b"PK\x01\x02", cd + 4)
    path.write_bytes(bytes(buf))
    return path


ZMEMBERS = [("doc_meta/a.json", b'{"a":1}'), ("stash/x.pdf", b"%PDF" * 1000), ("doc_meta/b.json", b'{"b":2}')]


def test_zip_encrypted_entry(tmp_path):
    path = patch_zip(make_zip(tmp_path / "e.zip", ZMEMBERS), "doc_meta/a.json",
                     local={6: b"\x01\x00"}, central={8: b"\x01\x00"})
    entries = walk(path)
    assert "encrypted" in entries[0].problem
    assert entries[2].data == b'{"b":2}'


def test_zip_unsupported_compression(tmp_path):
    path = patch_zip(make_zip(tmp_path / "m.zip", ZMEMBERS), "doc_meta/a.json",
                     local={8: b"\x09\x00"}, central={10: b"\x09\x00"})
    entries = walk(path)
    assert "compression method 9" in entries[0].problem
    assert entries[2].data == b'{"b":2}'


def test_zip_bad_crc(tmp_path):
    path = patch_zip(make_zip(tmp_path / "c.zip", ZMEMBERS, zipfile.ZIP_STORED), "doc_meta/a.json",
                     local={14: b"\0\0\0\0"}, central={16: b"\0\0\0\0"})
    entries = walk(path)
    assert "checksum" in entries[0].problem and entries[0].data is None
    assert entries[2].data == b'{"b":2}'


@pytest.mark.parametrize("size", [3, 500])
def test_zip_entry_lying_about_its_size(tmp_path, size):
    field = struct.pack("<L", size)
    path = patch_zip(make_zip(tmp_path / "s.zip", ZMEMBERS), "doc_meta/a.json",
                     local={22: field}, central={24: field})
    entries = walk(path)
    assert entries[0].problem and entries[0].data is None
    assert entries[2].data == b'{"b":2}'


def test_zip_broken_central_directory_read_from_local_headers(tmp_path):
    path = make_zip(tmp_path / "d.zip", ZMEMBERS)
    buf = bytearray(path.read_bytes())
    cd = buf.find(b"PK\x01\x02")
    buf[cd:cd + 4] = b"XXXX"
    path.write_bytes(bytes(buf))
    probe(str(path), ZIP)
    entries = walk(path)
    assert [(e.name, e.data) for e in entries[:-1]] == [
        ("doc_meta/a.json", b'{"a":1}'), ("stash/x.pdf", None), ("doc_meta/b.json", b'{"b":2}')]
    assert entries[-1].fatal and "central directory is damaged" in entries[-1].problem


def test_truncated_zip_keeps_entries_before_the_cut(tmp_path):
    path = make_zip(tmp_path / "t.zip", [("doc_meta/a.json", b"{}"), ("stash/x.pdf", os.urandom(50_000)),
                                          ("doc_meta/b.json", b"{}")], zipfile.ZIP_STORED)
    data = path.read_bytes()
    path.write_bytes(data[:30_000])
    entries = walk(path)
    assert entries[0].data == b"{}"
    assert entries[-1].fatal and "after stash/x.pdf" in entries[-1].problem and "truncated" in entries[-1].problem


def test_streamed_zip_without_directory(tmp_path):
    """Zips written to a pipe (sizes after the data), then cut: deflate ends are found by inflating."""
    buf = io.BytesIO()

    class Unseekable(io.RawIOBase):
        def writable(self):
            return True

        def write(self, b):
            return buf.write(b)

    with zipfile.ZipFile(Unseekable(), "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in ZMEMBERS:
            zf.writestr(name, data)
    data = buf.getvalue()
    path = write(tmp_path / "s.zip", data[: data.find(b"PK\x01\x02")])
    entries = walk(path)
    assert [(e.name, e.data) for e in entries if not e.problem] == [
        ("doc_meta/a.json", b'{"a":1}'), ("stash/x.pdf", None), ("doc_meta/b.json", b'{"b":2}')]


def test_plain_tar_skips_by_seeking(tmp_path, monkeypatch):
    raw = tar_bytes(files(("stash/x.pdf", b"\x07" * 100_000), ("doc_meta/a.json", b"{}")))
    path = write(tmp_path / "p.tar", raw)
    reads = []
    real_open = open

    class Counting(io.FileIO):
        def read(self, n=-1):
            data = super().read(n)
            reads.append(len(data))
            return data

    monkeypatch.setattr(archive, "open", lambda p, mode="rb": Counting(p, "r") if mode == "rb" else real_open(p, mode),
                        raising=False)
    entries = walk(path, TAR)
    assert entries[1].data == b"{}"
    assert sum(reads) < 50_000  # the 100,000-byte body was seeked over, never read


def test_crc_of_kept_members(tmp_path):
    entries = walk(write(tmp_path / "g", gzip.compress(tar_bytes(MEMBERS))))
    assert entries[0].crc == zlib.crc32(b'{"a":1}')
    assert Path(tmp_path).joinpath("g").exists()


def test_probe_reads_past_a_header_longer_than_its_read(tmp_path):
    """``probe`` reads the file 16 KiB at a time (an unchanged export is
    probed on every sync): a gzip header with a long file name, or a first
    member that needs more input than one read, still opens."""
    tar = tar_bytes(MEMBERS)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="n" * 40_000, mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(tar)
    probe(str(write(tmp_path / "long.tar.gz", buf.getvalue())), TAR_GZ)
    stored = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff" + zlib.compressobj(0, zlib.DEFLATED, -15).compress(
        os.urandom(50_000))
    with pytest.raises(ArchiveError):  # no tar header behind 50 KB of stored noise
        probe(str(write(tmp_path / "noise.tar.gz", stored)), TAR_GZ)
    with_noise_first = tar_bytes(files(("stash/big.bin", os.urandom(60_000)), *[(n, d) for n, d, _ in MEMBERS]))
    probe(str(write(tmp_path / "big-first.tar.gz", gzip.compress(with_noise_first, 0))), TAR_GZ)
    assert [e.name for e in walk(tmp_path / "big-first.tar.gz") if e.name.endswith(".json")] == [
        "doc_meta/a.json", "doc_meta/b.json"]


def _raw_name_tar(names, fmt=tarfile.USTAR_FORMAT):
    """A tar whose member names are these bytes as they are (not UTF-8)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape") as tar:
        for raw in names:
            info = tarfile.TarInfo(raw.decode("utf-8", "surrogateescape"))
            info.size = 2
            tar.addfile(info, io.BytesIO(b"{}"))
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_names_that_are_not_utf8_are_delivered_printable(tmp_path, fmt):
    """Bytes that are not UTF-8 come out as \\xNN (never lone surrogates,
    which SQLite and JSON refuse), kept apart from each other, and judged
    as the names they are (\\xe9... is not taken for an absolute name)."""
    long_dir = "d" * 120 + "/"  # a GNU long name / pax path as well
    names = [b"stash/caf\xe9.pdf", b"doc_meta/caf\xe9.json", b"doc_meta/caf\xe8.json", b"\xe9top.json",
             b"/abs/caf\xe9.pdf", long_dir.encode() + b"\xff.json"]
    if fmt == tarfile.USTAR_FORMAT:
        names.pop()
    entries = walk(write(tmp_path / "t.tar.gz", gzip.compress(_raw_name_tar(names, fmt))))
    got = {e.name: e for e in entries}
    for e in entries:
        e.name.encode("utf-8")  # storable anywhere
        assert not e.fatal
    assert got["stash/caf\\xe9.pdf"].data is None and not got["stash/caf\\xe9.pdf"].problem
    assert got["doc_meta/caf\\xe9.json"].data == b"{}" and got["doc_meta/caf\\xe8.json"].data == b"{}"
    assert got["\\xe9top.json"].data == b"{}"
    assert got["/abs/caf\\xe9.pdf"].problem == "absolute member names are refused"
    if fmt != tarfile.USTAR_FORMAT:
        assert got[long_dir + "\\xff.json"].data == b"{}"


def test_zip_names_that_are_not_utf8_are_delivered_printable(tmp_path):
    """A zip flagged UTF-8 whose names are not: read from its local headers,
    each name printable and kept apart from the other."""
    path = make_zip(tmp_path / "z.zip", [("doc_meta/cafA.json", b"{}"), ("doc_meta/cafB.json", b"{}")])
    data = path.read_bytes()
    for plain, raw in ((b"cafA", b"caf\xe9"), (b"cafB", b"caf\xe8")):
        data = data.replace(plain, raw)
    data = data.replace(b"\x14\x00\x00\x00", b"\x14\x00\x00\x08")  # general purpose flag: UTF-8 names
    path.write_bytes(data)
    entries = walk(path)
    assert [e.name for e in entries] == ["doc_meta/caf\\xe9.json", "doc_meta/caf\\xe8.json"]
    # The directory is whole (only its names are mis-flagged): no damage is
    # reported, so a sync may still see a document as gone.
    assert not any(e.fatal or e.problem for e in entries)


def test_header_checksums_are_the_sum_of_their_bytes():
    """The checksum is summed in two adler32 halves (exact up to 256 bytes
    of 0xFF each): the same verdict as the plain sum, for the unsigned and
    the signed (old tar) forms, on headers of every byte value."""
    import random

    def plain(block):
        stored = int(block[148:156].split(b"\x00", 1)[0].strip() or b"-1", 8)
        return stored in (sum(block[:148]) + 256 + sum(block[156:]),
                          sum(struct.unpack("148b", block[:148])) + 256 + sum(struct.unpack("356b", block[156:])))

    rng = random.Random(5)
    for n in range(3000):
        fill = (0, 0xFF, None)[n % 3]
        body = bytearray(rng.randbytes(512) if fill is None else bytes([fill]) * 512)
        unsigned = sum(body[:148]) + 256 + sum(body[156:])
        signed = sum(struct.unpack("148b", bytes(body[:148]))) + 256 + sum(struct.unpack("356b", bytes(body[156:])))
        stored = (unsigned, signed, unsigned + rng.choice((-1, 1, 256)))[n % 3 if signed >= 0 else 0]
        body[148:156] = b"%06o\x00 " % stored
        assert archive._header_checksum_ok(bytes(body)) == plain(bytes(body))
        assert archive._header_checksum_ok(bytes(body)) == (n % 3 != 2 or stored in (unsigned, signed))


def test_an_unchanged_unpacked_export_is_told_without_a_stat_per_block(tmp_path, monkeypatch):
    """The no-op sync of an unpacked export (tens of thousands of Polar 3
    block files) costs a listing of its folders, not a stat of each block
    (0.36 s a sync at 53,000 files); what an unpack over it, a new export
    or an edit changes still changes the identity."""
    root = tmp_path / "export"
    for folder in ("doc_meta", "doc_info", "stash", "block"):
        (root / folder).mkdir(parents=True)
    (root / "doc_meta" / "a.json").write_bytes(b'{"id": "a"}')
    (root / "doc_info" / "a.json").write_bytes(b'{"id": "a"}')
    (root / "stash" / "x.pdf").write_bytes(b"%PDF")
    for i in range(300):
        (root / "block" / f"1B{i:05d}.json").write_bytes(b'{"id": "b"}')
    stated = []
    real_scandir, real_stat, real_lstat = os.scandir, os.stat, os.lstat

    class Counted:
        def __init__(self, entry):
            self._entry = entry

        def __getattr__(self, name):
            return getattr(self._entry, name)

        def stat(self, **kwargs):
            stated.append(self._entry.path)
            return self._entry.stat(**kwargs)

    class Listing:
        def __init__(self, path):
            self._it = real_scandir(path)

        def __enter__(self):
            return (Counted(e) for e in self._it)

        def __exit__(self, *exc):
            self._it.close()

        def __iter__(self):
            return (Counted(e) for e in self._it)

    def count(real):
        def call(path, *args, **kwargs):
            stated.append(str(path))
            return real(path, *args, **kwargs)
        return call

    monkeypatch.setattr(archive.os, "scandir", Listing)
    monkeypatch.setattr(archive.os, "stat", count(real_stat))
    monkeypatch.setattr(archive.os, "lstat", count(real_lstat))
    first = archive.identity(str(root))
    assert archive.identity(str(root)) == first
    blocks = [p for p in stated if os.sep + "block" + os.sep in p]
    assert not blocks, f"{len(blocks)} block files stat'ed"
    monkeypatch.undo()

    def changes(step):
        before = archive.identity(str(root))
        step()
        assert archive.identity(str(root)) != before, step.__name__

    block = root / "block" / "1B00007.json"

    def block_written_again():  # as tar, bsdtar and 7-Zip do: unlinked, then written
        block.unlink()
        os.utime(root / "block", ns=(1, 1))
        block.write_bytes(b'{"id": "c"}')

    def block_added():
        (root / "block" / "1Bnew.json").write_bytes(b"{}")
        os.utime(root / "block", ns=(1, 1))  # (a folder time that did not move: the names tell)

    def record_edited_in_place():
        (root / "doc_meta" / "a.json").write_bytes(b'{"id": "A"}')

    def document_replaced():
        (root / "stash" / "x.pdf").write_bytes(b"%PDF-1.7 longer")

    for step in (block_written_again, block_added, record_edited_in_place, document_replaced):
        changes(step)


def _export_folder(root, docs, blocks, when):
    """An unpacked export's records (doc_info saying the document last
    changed in 2020) and blocks, dated ``when`` (seconds) as tar leaves them."""
    for folder in ("doc_meta", "doc_info", "stash", "block"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    written = []
    for ident in docs:
        for folder in ("doc_meta", "doc_info"):
            path = root / folder / f"{ident}.json"
            path.write_bytes(b'{"uid": "u", "id": "%s", "value": {"added": "2020-01-01T00:00:00.000Z", '
                             b'"lastUpdated": "2020-02-01T00:00:00.000Z"}}' % ident.encode())
            written.append(path)
    for ident in blocks:
        path = root / "block" / f"{ident}.json"
        path.write_bytes(b'{"id": "%s"}' % ident.encode())
        written.append(path)
    for path in written:
        os.utime(path, (when, when))


def _members(root):
    return {e.name for e in scan(str(root), archive.DIR, keep_json) if e.name != archive.LEFTOVERS}


def test_files_left_by_an_older_export_unpacked_there_are_told_apart(tmp_path):
    """An older export's files under a newer one unpacked over it (days
    older than the newer export's minute): the records of the documents
    only the older holds are left out when the newer was written over the
    older (its documents, unchanged since, dated anew); a block file alone
    is never left out (an unpack cut short after the records leaves blocks
    of live cards dated old); newest files fewer than the older, or a
    document's two records of two times (a hand edit), leave all as read."""
    month = 30 * 86400
    root = tmp_path / "over"
    _export_folder(root, ["A", "B", "C", "Gone"], ["b1", "b2"], 1_600_000_000)
    _export_folder(root, ["A", "B", "C"], ["b1"], 1_600_000_000 + month)
    got = _members(root)
    assert "doc_meta/Gone.json" not in got and "doc_info/Gone.json" not in got
    assert {"doc_meta/A.json", "block/b1.json", "block/b2.json"} <= got
    said = [e for e in scan(str(root), archive.DIR, keep_json) if e.name == archive.LEFTOVERS]
    assert [json.loads(e.data) for e in said] == [
        {"documents": 1, "blocks": 1, "dated": "2020-09-13", "taken": True, "newest": 1_600_000_000 + month}]

    cut = tmp_path / "cut after the records"
    _export_folder(cut, ["A", "B"], ["b1", "b2"], 1_600_000_000)
    _export_folder(cut, ["A", "B"], ["b1"], 1_600_000_000 + month)
    assert {"block/b1.json", "block/b2.json"} <= _members(cut)

    skipped = tmp_path / "kept the files there"
    _export_folder(skipped, ["A", "B", "C"], [], 1_600_000_000)
    _export_folder(skipped, ["New"], [], 1_600_000_000 + month)
    assert {"doc_meta/A.json", "doc_meta/New.json"} <= _members(skipped)

    edited = tmp_path / "edited by hand"
    _export_folder(edited, ["A", "B", "C", "D"], [], 1_600_000_000)
    for ident in ("A", "B", "C"):
        os.utime(edited / "doc_meta" / f"{ident}.json", (1_600_000_000 + month,) * 2)
    assert len([n for n in _members(edited) if n.startswith("doc_")]) == 8
    assert [json.loads(e.data) for e in scan(str(edited), archive.DIR, keep_json) if e.name == archive.LEFTOVERS] == [
        {"newest": 1_600_000_000 + month}]


def test_files_left_by_an_older_export_are_judged_without_reading_through_a_link(tmp_path, monkeypatch):
    """The older files are judged from the newer documents' doc_info
    records: a doc_info/ that is a link is not read through for that."""
    month = 30 * 86400
    root = tmp_path / "over"
    _export_folder(root, ["A", "B", "C", "Gone"], [], 1_600_000_000)
    _export_folder(root, ["A", "B", "C"], [], 1_600_000_000 + month)
    elsewhere = tmp_path / "elsewhere"
    (root / "doc_info").rename(elsewhere)
    (root / "doc_info").symlink_to(elsewhere, target_is_directory=True)
    opened = []
    real_open = open

    def watch(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    import builtins

    monkeypatch.setattr(builtins, "open", watch)
    entries = list(scan(str(root), archive.DIR, keep_json))
    monkeypatch.undo()
    assert not [p for p in opened if "doc_info" in p or str(elsewhere) in p], opened
    assert any(e.fatal and e.name == "doc_info" for e in entries)
