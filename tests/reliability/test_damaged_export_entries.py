"""Damaged entries of a Polar export (a real zip: bad CRC, encrypted, an
unsupported compression method, a size that lies): one ``errors`` row each,
naming the entry, and the rest of the export syncs; notes of a damaged
entry's document are never swept as deleted."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Callable, Dict

import pytest

from tests.polar_factory import Doc, basic, export_zip
from tests.reliability.cli_run import StudyData
from tests.reliability.helpers import integrity_problems, run_sync

VICTIM = "1DamagedEntryDoc"


def _export(path: Path) -> Path:
    docs = []
    for key in (VICTIM, "1HealthyEntryA", "1HealthyEntryB"):
        doc = Doc(path.parent / "src", key, key, tags=["deck:Exported"])
        doc.card(f"{key}C", basic(f"{key} question", "answer"))
        docs.append(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    return export_zip(path, docs)


def _patch(path: Path, fn: Callable[[bytearray, zipfile.ZipInfo, int], None]) -> None:
    """Edit the victim entry's bytes in place (``fn`` gets the archive, the
    entry and the offset of its central-directory record)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(f"doc_meta/{VICTIM}.json")
    name = info.filename.encode()
    central = data.find(b"PK\x01\x02")
    while data[central + 46: central + 46 + len(name)] != name:
        central = data.find(b"PK\x01\x02", central + 4)
    fn(data, info, central)
    path.write_bytes(bytes(data))


def bad_crc(data: bytearray, info: zipfile.ZipInfo, central: int) -> None:
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 10] ^= 0x01  # one flipped bit in the (stored) entry


def encrypted(data: bytearray, info: zipfile.ZipInfo, central: int) -> None:
    for at in (info.header_offset + 6, central + 8):  # general purpose flag, bit 0
        data[at] |= 0x01


def unknown_method(data: bytearray, info: zipfile.ZipInfo, central: int) -> None:
    for at in (info.header_offset + 8, central + 10):
        struct.pack_into("<H", data, at, 98)  # PPMd: not supported


def lying_size(data: bytearray, info: zipfile.ZipInfo, central: int) -> None:
    for at in (info.header_offset + 22, central + 24):  # uncompressed size: says less than there is
        struct.pack_into("<I", data, at, info.file_size - 100)


DAMAGE: Dict[str, Callable[[bytearray, zipfile.ZipInfo, int], None]] = {
    "bad_crc": bad_crc, "encrypted": encrypted, "unknown_method": unknown_method, "lying_size": lying_size,
}


@pytest.mark.parametrize("how", sorted(DAMAGE))
def test_damaged_entry_is_one_error_and_the_rest_syncs(col, tmp_path, how):
    archive = _export(tmp_path / "export" / "polar-export.zip")
    state = tmp_path / "state.sqlite"
    assert run_sync(col, archive, state).created == 3
    col.decks.select(col.decks.id_for_name("Exported"))
    col.sched.answerCard(col.sched.getCard(), 3)
    studied = StudyData.of(col)

    _patch(archive, DAMAGE[how])
    report = run_sync(col, archive, state, deletion_policy="delete", delete_max_share=1.0)
    rows = [e for e in report.errors if VICTIM in e["path"]]
    assert len(rows) == 1 and rows[0]["path"] == f"polar-export.zip:doc_meta/{VICTIM}.json", report.errors
    assert len(report.errors) == 1
    assert report.deleted == report.orphaned == 0  # the damaged document's note is not swept
    assert col.note_count() == 3
    assert StudyData.of(col).revlog == studied.revlog
    assert integrity_problems(col) == []
