"""The bulk media path: files written straight into the media folder must
land exactly as ``write_data`` would leave them, and Anki must see them."""

import hashlib

from addon.sync.media_store import MediaWriter, _write_file


def _png(i: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + i.to_bytes(4, "big") * 10


def _name(data: bytes) -> str:
    return f"polar-{hashlib.sha1(data).hexdigest()[:20]}.png"


def test_bulk_writes_are_plain_files_anki_registers(col):
    writer = MediaWriter(col, bulk=True)
    names = []
    for i in range(5):
        data = _png(i)
        assert writer.write(_name(data), data) == _name(data)
        names.append(_name(data))
    assert writer.finish() == []
    for i, name in enumerate(names):
        assert col.media.have(name)
        with open(f"{col.media.dir()}/{name}", "rb") as fh:
            assert fh.read() == _png(i)
    # Anki's media check finds them, referenced by a note, neither missing nor unused.
    note = col.new_note(col.models.by_name("Basic"))
    note.fields[0] = "".join(f'<img src="{n}">' for n in names)
    col.add_note(note, 1)
    out = col.media.check()
    assert not out.missing and not out.unused
    assert not [n for n in __import__("os").listdir(col.media.dir()) if n.startswith(".polar-sync")]


def test_a_file_is_written_whole_with_the_mode_open_gives(tmp_path):
    data = bytes(range(256)) * 300 + b"\r\n"  # every byte, line ends kept
    _write_file(str(tmp_path / "a.png"), data)
    with open(tmp_path / "b.png", "wb") as fh:
        fh.write(data)
    assert (tmp_path / "a.png").read_bytes() == data
    assert (tmp_path / "a.png").stat().st_mode == (tmp_path / "b.png").stat().st_mode
    _write_file(str(tmp_path / "a.png"), b"short")  # an existing file is emptied first
    assert (tmp_path / "a.png").read_bytes() == b"short"
    _write_file(str(tmp_path / "e.png"), b"")
    assert (tmp_path / "e.png").read_bytes() == b""


def test_same_name_other_bytes_goes_through_anki(col):
    data = _png(1)
    name = _name(data)
    col.media.write_data(name, b"\x89PNG\r\n\x1a\nsomething else")
    stored = MediaWriter(col, bulk=True).write(name, data)
    assert stored != name  # Anki renamed it: the other file is not overwritten
    assert MediaWriter(col, bulk=True).write(name, b"\x89PNG\r\n\x1a\nsomething else") == name


def test_identical_file_is_kept(col):
    data = _png(2)
    name = _name(data)
    assert MediaWriter(col, bulk=False).write(name, data) == name  # Anki's path
    assert MediaWriter(col, bulk=True).write(name, data) == name


def test_failed_write_is_returned(col, tmp_path):
    writer = MediaWriter(col, bulk=True)
    writer.folder = str(tmp_path / "no such folder")
    data = _png(4)
    assert writer.write(_name(data), data) == _name(data)
    assert [name for name, _ in writer.finish()] == [_name(data)]


def test_other_names_use_anki(col):
    assert MediaWriter(col, bulk=True).write("photo one.png", _png(3)) == col.media.write_data("photo one.png", _png(3))


def test_bulk_write_sweeps_temp_files_of_a_killed_sync(col):
    import os

    stale = os.path.join(col.media.dir(), ".polar-sync-999-deadbeef.tmp")
    with open(stale, "wb") as fh:
        fh.write(b"half a png")
    writer = MediaWriter(col, bulk=True)
    data = _png(42)
    writer.write(_name(data), data)
    assert writer.finish() == []
    assert not os.path.exists(stale)
    assert sorted(os.listdir(col.media.dir())) == [_name(data)]


def test_held_until_the_last_batch_or_too_many_bytes(col, monkeypatch):
    """add_notes has its builder call write_held after each batch: files
    wait in memory until its last batch, or until they hold HELD_MAX bytes;
    every file is written once, and finish() writes what nothing reached."""
    import os

    import addon.sync.media_store as media_store

    def on_disk():
        return sorted(n for n in os.listdir(col.media.dir()) if not n.startswith(".polar-sync"))  # not the temp file

    writer = MediaWriter(col, bulk=True)
    datas = [_png(100 + i) for i in range(7)]
    for data in datas[:3]:
        writer.write(_name(data), data)
    writer.write_held(False)
    assert on_disk() == []  # held: the builder's time goes to the next batch
    monkeypatch.setattr(media_store, "HELD_MAX", sum(len(d) for d in datas[:4]))
    writer.write(_name(datas[3]), datas[3])
    writer.write_held(False)  # as many bytes as may be held: written
    assert on_disk() == sorted(_name(d) for d in datas[:4])
    for data in datas[4:6]:
        writer.write(_name(data), data)
    writer.write_held(True)  # the last batch is made: everything queued
    assert on_disk() == sorted(_name(d) for d in datas[:6])
    assert writer._held == 0 and not any(data for _, data in writer._queue)  # written: not held any more
    writer.write(_name(datas[6]), datas[6])  # queued after the last call: finish() writes it
    assert writer.finish() == []
    assert on_disk() == sorted(_name(d) for d in datas)
    for data in datas:
        with open(os.path.join(col.media.dir(), _name(data)), "rb") as fh:
            assert fh.read() == data


def test_a_part_reports_its_failures_at_finish(col, tmp_path):
    writer = MediaWriter(col, bulk=True)
    writer.folder = str(tmp_path / "no such folder")
    datas = [_png(200 + i) for i in range(4)]
    for data in datas:
        writer.write(_name(data), data)
    writer.write_held(True)
    writer.start()  # everything is written: no thread for nothing
    assert writer._thread is None
    assert sorted(name for name, _ in writer.finish()) == sorted(_name(d) for d in datas)


def test_claim_queues_new_files_without_the_collection(col, monkeypatch):
    """The note builder's way (no collection access): a new file is queued and
    written with the rest, a file already there with the same bytes is
    taken as it is; anything Anki must name is refused (None), never decided."""
    import os

    def no_anki(*args):
        raise AssertionError("claim must not touch the collection")

    monkeypatch.setattr(col.media, "write_data", no_anki)
    writer = MediaWriter(col, bulk=True)
    there = _png(300)
    with open(os.path.join(col.media.dir(), _name(there)), "wb") as fh:
        fh.write(there)
    taken = _png(301)
    assert writer.claim(_name(there), there) == _name(there)
    assert writer.claim(_name(taken), taken) == _name(taken)
    clash = _png(302)
    with open(os.path.join(col.media.dir(), _name(clash)), "wb") as fh:
        fh.write(b"other bytes")
    assert writer.claim(_name(clash), clash) is None  # same name, other bytes: Anki renames
    assert writer.claim("photo.png", clash) is None  # not a content-hashed name
    assert MediaWriter(col, bulk=False).claim(_name(taken), taken) is None  # few files: write_data's way
    writer.write_held(True)  # a claimed file is written like a queued one
    with open(os.path.join(col.media.dir(), _name(taken)), "rb") as fh:
        assert fh.read() == taken
    assert writer.finish() == []


def test_a_name_is_decided_once_for_both_ways(col):
    """What ``write`` (collection thread) decided, ``claim`` (builder) gets
    back, renamed or not, and the other way round: one file per name."""
    import os

    writer = MediaWriter(col, bulk=True)
    clash = _png(310)
    with open(os.path.join(col.media.dir(), _name(clash)), "wb") as fh:
        fh.write(b"other bytes")
    stored = writer.write(_name(clash), clash)
    assert stored != _name(clash)  # Anki kept the file there and named ours anew
    assert writer.claim(_name(clash), clash) == stored
    fresh = _png(311)
    assert writer.claim(_name(fresh), fresh) == _name(fresh)
    assert writer.write(_name(fresh), fresh) == _name(fresh)
    assert writer.finish() == []
    assert len(writer._failed) == 0
    assert sorted(os.listdir(col.media.dir())) == sorted([_name(clash), stored, _name(fresh)])
