"""An image whose content-hash name is taken in the media folder by a file of
other bytes (a file cut short by a crash, a sync tool's conflict copy under
the name): Anki stores Polar's image under another name, and every note must
show that one, never the other file."""

from __future__ import annotations

import base64
import os
import re
import struct
import zlib

from addon.render.media import media_name
from addon.sync.media_store import BULK_THRESHOLD
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run

DAMAGED = b"\x89PNG\r\n\x1a\n cut short"


def _png(i: int) -> bytes:
    """A real 1x1 PNG, its one pixel's colour from ``i``: each ``i`` another file."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([i % 256, (i // 256) % 256, 7])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _inline(data: bytes) -> str:
    return f'<img src="data:image/png;base64,{base64.b64encode(data).decode()}">'


def _shown(col, card_id: str, field: str = "Front") -> bytes:
    names = re.findall(r'<img src="([^"]+)"', note_of(col, card_id)[field])
    assert len(names) == 1, names
    with open(os.path.join(col.media.dir(), names[0]), "rb") as fh:
        return fh.read()


def _take_the_name(col, data: bytes) -> None:
    with open(os.path.join(col.media.dir(), media_name(data, "png")), "wb") as fh:
        fh.write(DAMAGED)


def test_a_few_images_whose_names_are_taken(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1MediaTaken000000000001", "Taken")
    doc.card("1MtCard01", basic(f"<p>which?</p>{_inline(_png(1))}", "<p>this</p>"))
    doc.card("1MtCard02", basic("<p>free</p>", f"<p>back</p>{_inline(_png(2))}"))
    doc.write()
    _take_the_name(col, _png(1))
    report = run(col, lib, state)
    assert report.created == 2 and not report.errors
    assert _shown(col, "1MtCard01") == _png(1)
    assert _shown(col, "1MtCard02", "Back") == _png(2)
    assert not run(col, lib, state).changed
    # An edit in Polar brings an image whose name is taken too: the update's
    # field names the stored file.
    _take_the_name(col, _png(3))
    doc.card("1MtCard02", basic("<p>free</p>", f"<p>back</p>{_inline(_png(3))}"))
    doc.write()
    report = run(col, lib, state)
    assert report.updated == 1 and not report.errors
    assert _shown(col, "1MtCard02", "Back") == _png(3)
    assert not run(col, lib, state).changed
    with open(os.path.join(col.media.dir(), media_name(_png(1), "png")), "rb") as fh:
        assert fh.read() == DAMAGED  # the other file is left as it was


def test_an_edit_in_anki_beside_a_renamed_image_stays(col, tmp_path):
    """Before the fix, each read of the document took the note's stored name
    for a change of Polar's: the note was updated on every such sync, and
    an edit made in Anki was a conflict, Polar's version kept (the edit lost)."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1MediaTaken000000000002", "Taken")
    doc.area_highlight("1MtArea01", "1MtAreaImg.png")
    doc.card("1MtCard01", basic(f"<p>which?</p>{_inline(_png(1))}", "<p>this</p>"))
    doc.card("1MtCard02", basic("<p>free</p>", "<p>back</p>"))
    doc.card("1MtCard03", basic("<p>the area?</p>", "<p>it</p>"), ref="area-highlight:1MtArea01")
    doc.write()
    (lib / "files" / "image").mkdir(parents=True)
    (lib / "files" / "image" / "1MtAreaImg.png").write_bytes(_png(9))
    _take_the_name(col, _png(1))
    _take_the_name(col, _png(9))
    assert run(col, lib, state).created == 3
    area = note_of(col, "1MtCard03")["Back"]
    assert media_name(_png(9), "png")[:-4] + "-" in area  # the block names the stored file
    mine = note_of(col, "1MtCard01")
    mine["Front"] = mine["Front"].replace("which?", "which one? (mine)")
    col.update_note(mine)
    # Another card of the document edited in Polar: the document is read again.
    doc.card("1MtCard02", basic("<p>free</p>", "<p>back, edited</p>"))
    doc.write()
    report = run(col, lib, state)
    assert report.updated == 1 and not report.to_dict()["conflicts"], report.to_dict()["conflicts"]
    assert "which one? (mine)" in note_of(col, "1MtCard01")["Front"]
    assert _shown(col, "1MtCard01") == _png(1)
    assert note_of(col, "1MtCard03")["Back"] == area
    # Polar's edit of that card's answer is taken, the question as edited in Anki.
    doc.card("1MtCard01", basic(f"<p>which?</p>{_inline(_png(1))}", "<p>that</p>"))
    doc.write()
    report = run(col, lib, state)
    assert report.updated == 1 and not report.to_dict()["conflicts"]
    assert "which one? (mine)" in note_of(col, "1MtCard01")["Front"]
    assert note_of(col, "1MtCard01")["Back"].startswith("<p>that</p>")
    assert not run(col, lib, state).changed


def test_a_first_sync_of_many_images_one_name_taken(col, tmp_path):
    """In bulk (the note builder names files without the collection), an
    image whose name is taken is left to Anki."""
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = Doc(lib, "1MediaTakenBulk00000001", "Bulk")
    n = BULK_THRESHOLD + 6
    for i in range(n):
        doc.card(f"1MtBulk{i:03d}", basic(f"<p>image {i}</p>{_inline(_png(i))}", "<p>a</p>"))
    doc.write()
    _take_the_name(col, _png(5))
    report = run(col, lib, state)
    assert report.created == n and not report.errors
    for i in (0, 5, n - 1):
        assert _shown(col, f"1MtBulk{i:03d}") == _png(i)
    assert not run(col, lib, state).changed
