"""Syncing Polar 2.x exports as Polar writes them: the same notes whichever
way the export is packed, read once, differential per document, damage that
costs only what it hit."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from addon.polar import archive
from addon.polar.docmeta import export_docmeta
from addon.polar.library import SourceError, beside, export_needs_reading, open_source
from addon.polar.originals import find_original
from addon.settings import Settings
from addon.sync.engine import prepare, sync
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic
from tools.polar_export import EXPORT_NAME, MTIME, doc_meta_id, library_metas, rezip, write_export, write_tar_gz
from tools.polar_export import members as export_members


def run(col, source: Path, state: Path, **kwargs):
    return sync(col, Settings(), state, source_path=source, **kwargs)


def notes(col):
    out = set()
    for nid in col.find_notes(""):
        note = col.get_note(nid)
        decks = tuple(sorted(col.decks.name(c.did) for c in note.cards()))
        out.add((note.guid, note.note_type()["name"], tuple(note.fields), tuple(sorted(note.tags)), decks))
    return out


@pytest.fixture
def export(library, tmp_path):
    return write_export(tmp_path / "downloads" / EXPORT_NAME, library_metas(library))


def test_polar_export_and_a_rezip_of_it_give_identical_notes(col, library, export, tmp_path, state_path):
    first = run(col, export, state_path)
    assert first.created == 6 and first.errors == [] and first.documents == 4
    # The area-highlight card has no image in an export: no warning for that.
    assert not [w for w in first.warnings if "image" in w["message"]]
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        second = run(other, rezip(export, tmp_path / "rezipped.zip"), tmp_path / "other.sqlite")
        assert second.created == 6 and second.errors == []
        assert notes(other) == notes(col)
    finally:
        other.close()
    # And the same cards as syncing the data directory itself.
    from_dir = make_collection(tmp_path / "dir" / "collection.anki2")
    try:
        run(from_dir, library, tmp_path / "dir.sqlite")
        assert {n[0] for n in notes(from_dir)} == {n[0] for n in notes(col)}
    finally:
        from_dir.close()


def _fields(col):
    return {col.get_note(nid).guid: list(col.get_note(nid).fields) for nid in col.find_notes("")}


AREA_CARD = "polar:1FcN1p2Q3r"  # the sample library's area-highlight card


@pytest.mark.parametrize("stock", [True, False])
def test_moving_from_the_data_folder_to_an_export_keeps_every_note(col, library, export, state_path, stock):
    """A Polar 1.x user moving to 2.x: the export's documents are the same
    documents (keyed by fingerprint), nothing is orphaned, and the
    area-highlight card keeps the image the data folder gave it (exports
    carry none), in the stock block or an own type's Image field."""
    settings = Settings(use_stock_note_types=stock)
    sync(col, settings, state_path, source_path=library)
    before = _fields(col)
    assert any('class="polar-image"' in f or f.startswith("<img") for f in before[AREA_CARD])
    report = sync(col, settings, state_path, source_path=export)
    assert (report.created, report.orphaned, report.deleted, report.updated) == (0, 0, 0, 0)
    assert report.unchanged == 6 and _fields(col) == before
    # Polar edits the card's text (a new export): the text follows, the image stays.
    path = library / "1OperatingSystems3Easy0b" / "state.json"
    text = path.read_text(encoding="utf-8").replace("an I/O request", "an I/O request (edited)")
    path.write_text(text, encoding="utf-8")
    again = write_export(export.parent / "again" / EXPORT_NAME, library_metas(library))
    edited = sync(col, settings, state_path, source_path=again)
    assert edited.updated == 1 and not edited.conflicts
    after = _fields(col)[AREA_CARD]
    assert any("(edited)" in f for f in after)
    assert [f for f in after if "img" in f] == [f for f in before[AREA_CARD] if "img" in f]
    # And the data folder again: the same image, nothing to change.
    back_to_dir = sync(col, settings, state_path, source_path=library)
    assert not back_to_dir.changed


def test_an_export_gives_a_new_note_no_image_and_no_trace_of_one(col, export, state_path):
    run(col, export, state_path)
    area = _fields(col)[AREA_CARD]
    assert not any("<img" in f or "polar-sync:" in f or "polar-image" in f for f in area)
    assert not any("polar-sync:" in f for fields in _fields(col).values() for f in fields)


def test_unchanged_export_is_not_decompressed_again(col, export, state_path, monkeypatch):
    run(col, export, state_path)
    assert beside(state_path).is_file()

    def no_scan(*args, **kwargs):
        raise AssertionError("the export was decompressed again")

    monkeypatch.setattr(archive, "scan", no_scan)
    again = run(col, export, state_path)
    assert (again.created, again.updated, again.unchanged, again.parsed) == (0, 0, 6, 0)


def test_a_new_export_is_read_once_and_costs_only_what_changed(col, library, export, state_path, tmp_path):
    run(col, export, state_path)
    doc = Doc(library, "1SpacedRepetitionIntro0a")
    import json

    doc.meta = json.loads(doc.path.read_bytes())
    doc.card("1NewCard001", basic("new front", "new back"), page=1)
    doc.write()
    newer = write_export(tmp_path / "downloads" / "12newerExp-2021-04-14T09:26:53.512Z.zip", library_metas(library))
    report = run(col, newer, state_path)
    assert report.created == 1 and report.parsed == 1 and report.unchanged == 6
    assert report.errors == []


def test_progress_reports_bytes_of_a_first_read(col, export, state_path):
    seen = []
    run(col, export, state_path, progress=seen.append)
    reading = [m for m in seen if "export" in m.lower()]
    assert reading and reading[-1].endswith("(100%)")
    seen.clear()
    run(col, export, state_path, progress=seen.append)
    assert not [m for m in seen if "export" in m.lower()]  # nothing to read the second time


def test_unopenable_export_writes_nothing(tmp_path, state_path):
    bad = tmp_path / EXPORT_NAME
    bad.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6 + b"not deflate at all")
    with pytest.raises(SourceError) as info:
        prepare(Settings(), state_path, source_path=bad)
    assert str(bad) in str(info.value) and "\n" not in str(info.value)
    assert not state_path.exists() and not beside(state_path).exists()


# -- damage -------------------------------------------------------------------------


def _readable_prefix(packed: bytes) -> bytes:
    d = zlib.decompressobj(31)
    try:
        return d.decompress(packed)
    except zlib.error:
        return b""


def _complete_members(raw: bytes):
    """Names of the tar members whose data lies wholly inside ``raw``."""
    names = []
    with tarfile.open(fileobj=io.BytesIO(raw), mode="r:") as tar:
        try:
            for m in tar:
                if m.offset_data + m.size <= len(raw):
                    names.append(m.name)
        except (tarfile.TarError, EOFError):
            pass
    return names


def test_truncated_export_syncs_what_came_before_and_deletes_nothing(col, library, export, tmp_path, state_path):
    assert run(col, export, state_path).created == 6
    packed = export.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(packed[: len(packed) * 2 // 3])
    readable = [n for n in _complete_members(_readable_prefix(cut.read_bytes())) if n.startswith("doc_meta/")]
    fresh = make_collection(tmp_path / "fresh" / "collection.anki2")
    try:
        report = run(fresh, cut, tmp_path / "fresh.sqlite")
        assert len(report.errors) == 1 and "truncated" in report.errors[0]["message"]
        assert report.errors[0]["path"].startswith("cut.zip")
        assert report.documents == len(readable) + (1 if "doc_meta/" in report.errors[0]["path"] else 0)
    finally:
        fresh.close()
    # Over an earlier full sync: documents not seen are not taken as deleted.
    again = run(col, cut, state_path)
    assert (again.orphaned, again.deleted) == (0, 0)
    assert col.note_count() == 6


def test_bad_gzip_checksum_syncs_everything_and_deletes_nothing(col, export, tmp_path, state_path):
    data = bytearray(export.read_bytes())
    data[-8] ^= 0xFF
    bad = tmp_path / "crc.zip"
    bad.write_bytes(bytes(data))
    report = run(col, bad, state_path)
    assert report.created == 6
    assert len(report.errors) == 1 and "checksum" in report.errors[0]["message"]


def _patch_zip_entry(path: Path, name: str, local: dict, central: dict) -> None:
    buf = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(buf))) as zf:
        offset = zf.getinfo(name).header_offset
    for off, value in local.items():
        buf[offset + off:offset + off + len(value)] = value
    cd = buf.find(b"PK\x01\x02")
    while cd >= 0:
        nlen = struct.unpack("<H", buf[cd + 28:cd + 30])[0]
        if buf[cd + 46:cd + 46 + nlen] == name.encode():
            for off, value in central.items():
                buf[cd + off:cd + off + len(value)] = value
        cd = buf.find(b"PK\x01\x02", cd + 4)
    path.write_bytes(bytes(buf))


ZIP_DAMAGE = {
    "encrypted": ({6: b"\x01\x00"}, {8: b"\x01\x00"}, "encrypted"),
    "unsupported compression": ({8: b"\x09\x00"}, {10: b"\x09\x00"}, "compression method 9"),
    "bad crc": ({14: b"\x00\x00\x00\x00"}, {16: b"\x00\x00\x00\x00"}, "checksum"),
    "size smaller than the data": ({22: struct.pack("<L", 5)}, {24: struct.pack("<L", 5)}, "damaged"),
    "size larger than the data": ({22: struct.pack("<L", 50_000)}, {24: struct.pack("<L", 50_000)}, "holds 50000"),
}


@pytest.mark.parametrize("damage", list(ZIP_DAMAGE))
def test_one_damaged_zip_entry_is_one_error_and_the_rest_syncs(col, library, export, tmp_path, state_path, damage):
    assert run(col, export, state_path).created == 6
    zpath = rezip(export, tmp_path / "re.zip")
    victim = f"doc_meta/{doc_meta_id('1OperatingSystems3Easy0b')}.json"
    local, central, words = ZIP_DAMAGE[damage]
    _patch_zip_entry(zpath, victim, local, central)
    report = run(col, zpath, state_path)
    assert len(report.errors) == 1, report.errors
    assert report.errors[0]["path"] == f"re.zip:{victim}" and words in report.errors[0]["message"]
    # Its two cards keep their notes; nothing is taken as deleted.
    assert (report.orphaned, report.deleted) == (0, 0) and col.note_count() == 6
    fresh = make_collection(tmp_path / "fresh" / "collection.anki2")
    try:
        assert run(fresh, zpath, tmp_path / "fresh.sqlite").created == 4  # the other documents' cards
    finally:
        fresh.close()


def test_broken_central_directory_syncs_every_entry(col, export, tmp_path, state_path):
    zpath = rezip(export, tmp_path / "re.zip")
    data = bytearray(zpath.read_bytes())
    cd = data.find(b"PK\x01\x02")
    data[cd:cd + 4] = b"\x00\x00\x00\x00"
    zpath.write_bytes(bytes(data))
    report = run(col, zpath, state_path)
    assert report.created == 6
    assert len(report.errors) == 1 and "central directory" in report.errors[0]["message"]


def _export_with_a_cut_record(dest: Path, library: Path, keep_doc_info: bool = False) -> str:
    """The library's export with one ``doc_meta`` record cut to half its
    bytes (not JSON) and, unless ``keep_doc_info``, no ``doc_info`` records
    (nothing in the export says which document the cut record is). Returns
    that document's fingerprint."""
    from tools.polar_export import members, write_tar_gz

    metas = library_metas(library)
    victim = metas[0]["docInfo"]["fingerprint"]
    parts = []
    for member in members(metas):
        if member.name.startswith("doc_info/") and not keep_doc_info:
            continue
        if member.name == f"doc_meta/{doc_meta_id(victim)}.json":
            with member.open() as fh:
                data = fh.read()
            half = data[: len(data) // 2]
            member.size, member.open = len(half), (lambda half=half: io.BytesIO(half))
        parts.append(member)
    write_tar_gz(dest, parts)
    return victim


def _notes_of(col, tag: str = "polar::deleted"):
    return sorted(col.find_notes(f"tag:{tag}"))


@pytest.mark.parametrize("policy", ["suspend", "delete"])
def test_a_record_no_export_names_is_never_taken_as_deleted(col, library, export, tmp_path, state_path, policy):
    """One doc_meta record cut short, and no doc_info record to say whose it
    is: the export alone cannot tell which document it is. The export read
    before remembers it (the cache), so it fails as its own document and
    nothing is suspended, tagged or deleted."""
    settings = Settings(deletion_policy=policy, delete_max_share=1.0)
    first = sync(col, settings, state_path, source_path=export)
    assert first.created == 6
    suspended = col.db.scalar("select count() from cards where queue = -1")
    cut = tmp_path / "downloads" / "second.zip"
    victim = _export_with_a_cut_record(cut, library)
    report = sync(col, settings, state_path, source_path=cut)
    bad = [e for e in report.errors if e.get("code") == "not_a_document"]
    assert len(bad) == 1 and bad[0]["document"] == victim, report.errors
    assert (report.orphaned, report.deleted) == (0, 0)
    assert col.note_count() == 6 and _notes_of(col) == []
    assert col.db.scalar("select count() from cards where queue = -1") == suspended
    again = sync(col, settings, state_path, source_path=cut)  # read from the cache now
    assert (again.orphaned, again.deleted, again.created) == (0, 0, 0) and col.note_count() == 6


@pytest.mark.parametrize("policy", ["suspend", "delete"])
def test_without_memory_an_unknown_record_stops_the_sweep(col, library, export, tmp_path, state_path, policy):
    """The same export with nothing remembered (the cache deleted): no
    document can be taken as deleted, and the report says why once."""
    settings = Settings(deletion_policy=policy, delete_max_share=1.0)
    assert sync(col, settings, state_path, source_path=export).created == 6
    beside(state_path).unlink()
    cut = tmp_path / "downloads" / "second.zip"
    _export_with_a_cut_record(cut, library)
    report = sync(col, settings, state_path, source_path=cut)
    assert (report.orphaned, report.deleted) == (0, 0)
    assert col.note_count() == 6 and _notes_of(col) == []
    said = [w for w in report.warnings if "taken as deleted" in w["message"]]
    assert len(said) == 1 and "second.zip:doc_meta/" in said[0]["message"], report.warnings
    assert len([e for e in report.errors if e.get("code") == "not_a_document"]) == 1
    # Its doc_info back: known again, nothing held back, nothing swept.
    _export_with_a_cut_record(cut, library, keep_doc_info=True)
    report = sync(col, settings, state_path, source_path=cut)
    assert not [w for w in report.warnings if "taken as deleted" in w["message"]]
    assert (report.orphaned, report.deleted) == (0, 0) and col.note_count() == 6
    # A document really gone from a whole export is still handled by the policy.
    metas = library_metas(library)
    gone = sync(col, settings, state_path, source_path=write_export(tmp_path / "third.zip", metas[1:]))
    assert gone.orphaned + gone.deleted > 0 and not [w for w in gone.warnings if "taken as deleted" in w["message"]]


def _block_warnings(report):
    return [w for w in report.warnings if w.get("code") == "export_block_flashcards"]


def test_flashcards_stored_as_polar_3_blocks_are_read_once_per_export(col, library, state_path, tmp_path,
                                                                      monkeypatch):
    """Polar 3 keeps annotations as ``block/`` records (docs/dev-notes/blocks.md):
    a document's block flashcards are its cards (a note each, under the
    block's id), the DocMeta card Polar copied and then lost in Polar 3 is
    not; a Polar 3 note that only mentions flashcards is no card. Synced
    again from the export's cache: nothing read, nothing said."""
    from tools.polar_export import annotated_document_blocks, block_basic, block_cloze, markdown_block

    metas = library_metas(library)
    info = metas[0]["docInfo"]
    blocks = [
        *annotated_document_blocks(info, [
            block_basic("What is **spaced** repetition?", "Reviewing at growing intervals"),
            block_cloze("The {{c1::forgetting curve}} is exponential"),
        ]),
        markdown_block("1NoteBlock2", "a note that mentions annotation-flashcard in its text"),
    ]
    export = write_export(tmp_path / "downloads" / EXPORT_NAME, metas, blocks=blocks)
    first = run(col, export, state_path)
    assert first.created == 7 and first.errors == [] and _block_warnings(first) == []
    by_guid = {col.get_note(n).guid: col.get_note(n) for n in col.find_notes("")}
    assert by_guid["polar:1FcBlock001"].fields[0] == "<p>What is <strong>spaced</strong> repetition?</p>"
    assert "forgetting curve" in by_guid["polar:1FcBlock002"].fields[0]
    assert "polar:1FcW7x8Y9z" not in by_guid  # the DocMeta's card on the highlight (gone in Polar 3)

    def no_scan(*args, **kwargs):
        raise AssertionError("the export was decompressed again")

    with monkeypatch.context() as m:
        m.setattr(archive, "scan", no_scan)
        again = run(col, export, state_path)
    assert (again.created, again.updated, again.parsed) == (0, 0, 0) and again.warnings == []


def _library(root: Path, prefix: str, docs: int = 3):
    """A small library of ``docs`` documents, two cards each; their metas."""
    metas = []
    for i in range(docs):
        doc = Doc(root, f"{prefix}Doc{i:02d}Fingerprint0000"[:24], title=f"{prefix} {i}")
        doc.card(f"1{prefix}{i}a", basic(f"{prefix} front {i}a", "back"))
        doc.card(f"1{prefix}{i}b", basic(f"{prefix} front {i}b", "back"))
        doc.write()
        metas.append(doc.meta)
    return metas


def _suspended(col) -> int:
    return len(col.find_cards("is:suspended"))


def _switched(report):
    return [w for w in report.warnings if w.get("code") == "library_switched"]


@pytest.mark.parametrize("policy", ["suspend", "delete", "tag"])
def test_an_export_of_another_polar_account_takes_no_note_of_the_first_as_deleted(col, tmp_path, state_path, policy):
    """Two Polar accounts (a second account, a shared computer): choosing
    the export of the other one after the first is another library, not
    "every document deleted in Polar". Its notes are left as they are, said
    once; switching back finds them as they were (reviews, no suspension) and
    the second account's likewise; a document really deleted in one account
    afterwards is handled by the policy when that account's export is synced."""
    settings = Settings(deletion_policy=policy)
    first = _library(tmp_path / "a", "Aa")
    second = _library(tmp_path / "b", "Bb")
    downloads = tmp_path / "Downloads"
    a1 = write_export(downloads / "1AccountAa-2021-03-14T09:26:53.512Z.zip", first, uid="uidOfAccountA")
    b1 = write_export(downloads / "1AccountBb-2021-03-15T09:26:53.512Z.zip", second, uid="uidOfAccountB")
    assert sync(col, settings, state_path, source_path=a1).created == 6
    other = sync(col, settings, state_path, source_path=b1)
    assert other.created == 6 and (other.orphaned, other.deleted) == (0, 0), other.warnings
    assert col.note_count() == 12 and _suspended(col) == 0
    assert not col.find_notes("tag:polar::deleted")
    said = _switched(other)
    assert len(said) == 1 and said[0]["count"] == 3, other.warnings
    # Synced again (the second account kept): still nothing of the first swept.
    again = sync(col, settings, state_path, source_path=b1)
    assert (again.orphaned, again.deleted) == (0, 0) and col.note_count() == 12 and _suspended(col) == 0
    # Back to the first account: the second's notes are left alone in turn.
    back = sync(col, settings, state_path, source_path=a1)
    assert (back.orphaned, back.deleted, back.created) == (0, 0, 0), back.warnings
    assert col.note_count() == 12 and _suspended(col) == 0 and len(_switched(back)) == 1
    # A document deleted in the first account since: the policy, as ever.
    a2 = write_export(downloads / "1AccountAa-2021-03-21T09:26:53.512Z.zip", first[1:], uid="uidOfAccountA")
    gone = sync(col, settings, state_path, source_path=a2)
    assert gone.orphaned + gone.deleted == 2 and not _switched(gone), (gone.orphaned, gone.deleted, gone.warnings)


def test_a_data_folder_of_another_library_takes_no_note_of_the_first_as_deleted(col, tmp_path, state_path):
    """Data folders name no account: a folder sharing no document with the
    library synced before is another library (another computer's .polar, a
    colleague's backup), not one whose every document was deleted; back to
    the first, the other's notes are left alone too."""
    first = tmp_path / "a"
    second = tmp_path / "b"
    _library(first, "Aa")
    _library(second, "Bb")
    sync(col, Settings(), state_path, source_path=first)
    other = sync(col, Settings(), state_path, source_path=second)
    assert other.created == 6 and (other.orphaned, other.deleted) == (0, 0) and _suspended(col) == 0
    assert len(_switched(other)) == 1
    back = sync(col, Settings(), state_path, source_path=first)
    assert (back.orphaned, back.deleted) == (0, 0) and _suspended(col) == 0 and len(_switched(back)) == 1
    # The same library keeps its deletions: a document removed from it is swept.
    (first / "AaDoc00Fingerprint0000"[:24]).rename(tmp_path / "removed")
    gone = sync(col, Settings(), state_path, source_path=first)
    assert gone.orphaned == 2 and not _switched(gone)


def test_an_export_chosen_while_the_browser_downloads_it(col, tmp_path, state_path):
    """Firefox saves an empty file under the final name and the bytes in
    ``<name>.part``; Chrome writes ``<name>.crdownload`` and renames it at the
    end. Chosen mid-download: one sentence naming the file and the download,
    nothing taken as deleted; once the download is done the next sync (the
    setting still naming the ``.crdownload``) reads the finished file."""
    metas = _library(tmp_path / "lib", "Cc", docs=4)
    downloads = tmp_path / "Downloads"
    old = write_export(downloads / "1OldExport-2021-03-07T09:26:53.512Z.zip", metas[:3])
    assert sync(col, Settings(), state_path, source_path=old).created == 6
    full = write_export(tmp_path / "server" / EXPORT_NAME, metas[1:]).read_bytes()  # doc 0 deleted, doc 3 new
    # Firefox: the placeholder is empty, the bytes go to .part.
    final = downloads / EXPORT_NAME
    final.write_bytes(b"")
    (downloads / (EXPORT_NAME + ".part")).write_bytes(full[: len(full) // 2])
    with pytest.raises(SourceError) as err:
        sync(col, Settings(), state_path, source_path=final)
    said = str(err.value)
    assert "is empty" in said and EXPORT_NAME + ".part" in said and "download" in said, said
    # Chrome: the .crdownload itself chosen (All files), half there.
    (downloads / (EXPORT_NAME + ".part")).unlink()
    final.unlink()
    partial = downloads / (EXPORT_NAME + ".crdownload")
    for part in range(1, 10):  # cut anywhere: inside a record too (that one is not read yet either)
        partial.write_bytes(full[: len(full) * part // 10])
        try:
            report = sync(col, Settings(), state_path, source_path=partial)
        except SourceError as exc:  # not even its first record there: one sentence, nothing synced
            assert "download not finished" in str(exc) and col.note_count() == 6, str(exc)
            continue
        assert (report.orphaned, report.deleted) == (0, 0) and _suspended(col) == 0
        assert [w["code"] for w in report.warnings] == ["export_downloading"], report.warnings
        assert EXPORT_NAME + ".crdownload" in report.warnings[0]["message"] and not report.errors, report.errors
    # The download finishes: renamed to its final name. Synced from the setting as it is.
    partial.write_bytes(full)
    partial.rename(final)
    done = sync(col, Settings(), state_path, source_path=partial)
    assert done.orphaned == 2 and not done.errors, (done.errors, done.warnings)  # (new ones: some made mid-way)
    assert not [w for w in done.warnings if w.get("code") in ("export_downloading", "export_incomplete")]
    assert col.note_count() == 8 and len(col.find_notes("tag:polar::deleted")) == 2


def test_a_newer_export_downloaded_beside_the_chosen_one_is_named(col, tmp_path, state_path):
    """Polar names every export anew (``<random id>-<ISO date>.zip``,
    UserBackupCreator.ts), so a new download never replaces the one chosen:
    syncing the old file while a newer one sits beside it says so (it
    would otherwise be "nothing changed"), and the old one deleted, the
    message that it is missing names the newer one. Browsers on Windows
    write the date's colons as another character; "(1)" copies count."""
    metas = _library(tmp_path / "lib", "Nn", docs=2)
    downloads = tmp_path / "Downloads"
    old = write_export(downloads / "1OldExpXyz-2021-03-07T09:26:53.512Z.zip", metas)
    write_export(downloads / "1OlderOne9-2021-02-28T09_26_53.512Z.zip", metas)
    (downloads / "notes-2021-04-01.zip").write_bytes(b"PK\x05\x06" + bytes(18))
    first = sync(col, Settings(), state_path, source_path=old)
    assert not [w for w in first.warnings if w.get("code") == "export_newer_beside"]
    newer = write_export(downloads / "1NewExpAbc-2021-03-14T09_26_53.512Z (1).zip", metas[:1])
    stale = sync(col, Settings(), state_path, source_path=old)
    said = [w for w in stale.warnings if w.get("code") == "export_newer_beside"]
    assert len(said) == 1 and said[0]["file"] == newer.name and newer.name in said[0]["message"], stale.warnings
    assert not [w for w in sync(col, Settings(), state_path, source_path=newer).warnings
                if w.get("code") == "export_newer_beside"]
    old.unlink()
    with pytest.raises(SourceError) as err:
        sync(col, Settings(), state_path, source_path=old)
    assert "does not exist" in str(err.value) and newer.name in str(err.value), str(err.value)


def test_a_newer_export_beside_the_chosen_one_is_said_once_per_newer_export(col, tmp_path, state_path):
    """A newer export downloaded beside the chosen one was said at every
    sync while both stayed (a notice at every startup sync, the report never
    "nothing changed"). Now said by the sync that first sees it, again only
    when another newer one arrives; a dry run's account says it and does
    not count as said; a sync that fails says it again."""
    metas = _library(tmp_path / "lib", "Nb", docs=2)
    downloads = tmp_path / "Downloads"
    old = write_export(downloads / "1OldExpXyz-2021-03-07T09:26:53.512Z.zip", metas)
    assert not run(col, old, state_path).warnings

    def newer_said(**kwargs):
        return [w["file"] for w in run(col, old, state_path, **kwargs).warnings if w["code"] == "export_newer_beside"]

    newer = write_export(downloads / "1NewExpAbc-2021-03-14T09_26_53.512Z.zip", metas)
    assert newer_said(dry_run=True) == [newer.name]
    assert newer_said() == [newer.name]
    again = run(col, old, state_path)
    assert not again.warnings and (again.created, again.updated, again.orphaned) == (0, 0, 0), again.warnings
    assert newer_said() == []
    newest = write_export(downloads / "1NewestAbc-2021-04-14T09_26_53.512Z.zip", metas)
    assert newer_said() == [newest.name]
    assert newer_said() == []


@pytest.mark.parametrize("what", ["export", "unpacked export"])
def test_an_export_renamed_by_its_user_is_named_and_nothing_is_lost(col, library, tmp_path, state_path, what):
    """The export chosen in the settings, then renamed by its user in the
    same folder ("polar-march.zip", "Polar March"): the sync said only that
    the path did not exist (an unpacked one: "the Polar data directory"),
    leaving the user to guess that a rename was all. Now the sentence names
    the same export under its new name; nothing in the collection changes,
    reviews stay; chosen under the new name it is not read again and every
    note is the same. Moved to another folder, it is only said missing."""
    downloads = tmp_path / "Downloads"
    export = write_export(downloads / EXPORT_NAME, library_metas(library))
    if what == "unpacked export":
        export = _untar(export, downloads / EXPORT_NAME[:-4])
    first = run(col, export, state_path)
    assert first.created == 6
    card = col.get_card(col.find_cards("")[0])
    card.start_timer()
    col.sched.answerCard(card, 3)
    reviewed = (card.id, col.get_card(card.id).due, col.get_card(card.id).reps)
    assert reviewed[2] == 1
    before = notes(col)
    renamed = export.rename(downloads / ("polar-march.zip" if what == "export" else "Polar March"))
    with pytest.raises(SourceError) as err:
        run(col, export, state_path)
    said = str(err.value)
    assert said == (f"the {'Polar export' if what == 'export' else 'unpacked Polar export'} {export} does not exist; "
                    f"the same export is in that folder, named {renamed.name}: choose that one"), said
    assert notes(col) == before and not col.find_cards("is:suspended")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(archive, "scan", lambda *a, **k: pytest.fail("the renamed export was read again"))
    try:
        again = run(col, renamed, state_path)
    finally:
        monkeypatch.undo()
    assert (again.created, again.updated, again.orphaned, again.unchanged) == (0, 0, 0, 6), again
    assert notes(col) == before
    assert (card.id, col.get_card(card.id).due, col.get_card(card.id).reps) == reviewed
    elsewhere = tmp_path / "Archive"
    elsewhere.mkdir()
    moved = renamed.rename(elsewhere / renamed.name)
    with pytest.raises(SourceError) as err:
        run(col, renamed, state_path)
    assert str(err.value).endswith(f"{renamed} does not exist") and moved.exists(), str(err.value)


def _untar(export: Path, into: Path) -> Path:
    """``tar -xzf export -C into``: what file managers and 7-Zip make of it."""
    with tarfile.open(export) as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    return into


def _unpack(layout: str, export: Path, downloads: Path) -> Path:
    """The export unpacked as users do it; returns what they then choose."""
    stem = export.name[: -len(".zip")]
    if layout == "tar -xzf in Downloads":  # doc_meta/, stash/... beside the .zip
        return _untar(export, downloads)
    if layout == "folder named after the file":  # Archive Utility, Linux file managers
        return _untar(export, downloads / stem)
    if layout == "the folder that holds it":  # ...and then Downloads chosen
        _untar(export, downloads / stem)
        return downloads
    if layout == "nested one level deeper":  # 7-Zip: X.zip -> X/X.tar -> X/X/
        outer = downloads / stem
        outer.mkdir()
        with gzip.open(export) as packed:
            (outer / (stem + ".tar")).write_bytes(packed.read())
        _untar(outer / (stem + ".tar"), outer / stem)
        return outer
    assert layout == "the inner .tar"  # 7-Zip's first step, chosen as the file
    inner = downloads / (stem + ".tar")
    with gzip.open(export) as packed:
        inner.write_bytes(packed.read())
    return inner


UNPACKED = ["tar -xzf in Downloads", "folder named after the file", "the folder that holds it",
            "nested one level deeper", "the inner .tar"]


@pytest.mark.parametrize("layout", UNPACKED)
def test_an_unpacked_export_syncs_the_same_notes_as_the_archive(col, library, export, tmp_path, state_path,
                                                                 layout):
    """A user who unpacked Polar's export (tar -xzf, a file manager, macOS's
    Archive Utility, 7-Zip's two steps) and chose the folder or the inner
    .tar: "an unpacked Polar export, not a Polar data directory" and
    nothing synced. Now the same notes, the same guids as the archive, and
    moving between the archive and the folder, either way, changes nothing."""
    chosen = _unpack(layout, export, export.parent)
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        from_folder = run(other, chosen, tmp_path / "other.sqlite")
        assert (from_folder.created, from_folder.errors) == (6, []), from_folder.errors
        assert not from_folder.warnings, from_folder.warnings
        first = run(col, export, state_path)
        assert notes(other) == notes(col)
    finally:
        other.close()
    for path in (chosen, export, chosen):
        again = run(col, path, state_path)
        assert (again.created, again.updated, again.orphaned, again.deleted) == (0, 0, 0, 0), path
        assert again.unchanged == first.created and not again.errors and not again.warnings, again.warnings
    assert col.note_count() == 6


def test_an_unpacked_export_is_read_once_and_follows_an_edit(col, library, export, tmp_path, state_path,
                                                            monkeypatch):
    """The folder is read as an archive is: once (a stat per file tells an
    unchanged folder), an edited record read again; a file macOS writes
    beside each one on a FAT disk (``._x.json``) is not a document; the
    document's file opens from the folder."""
    folder = _unpack("folder named after the file", export, export.parent)
    meta = next((folder / "doc_meta").iterdir())
    (folder / "doc_meta" / ("._" + meta.name)).write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    first = run(col, folder, state_path)
    assert first.created == 6 and not first.errors and not first.warnings
    real_scan = archive.scan

    def no_scan(*args, **kwargs):
        raise AssertionError("the folder was read again")

    monkeypatch.setattr(archive, "scan", no_scan)
    assert run(col, folder, state_path).unchanged == 6
    monkeypatch.setattr(archive, "scan", real_scan)
    for name in (folder / "doc_meta").glob("[!.]*.json"):
        text = name.read_text(encoding="utf-8")
        if "an I/O request" in text:
            name.write_text(text.replace("an I/O request", "an I/O request (edited)"), encoding="utf-8")
    edited = run(col, folder, state_path)
    assert (edited.updated, edited.created, edited.parsed) == (1, 0, 1), edited
    source = open_source(folder, beside(state_path))
    doc = next(f for f in source.list_documents() if f.key == "1OperatingSystems3Easy0b")
    original = find_original(source, doc.key, export_docmeta(doc.read(), doc.key)[0])
    assert original is not None and original.path is not None and original.path.is_file(), original
    assert original.path.parent == folder / "stash"


def test_a_folder_of_several_exports_reads_the_latest_and_says_which(col, library, tmp_path, state_path):
    """Downloads chosen as the folder, holding this month's and last
    month's exports (one unpacked): the latest is read, the report names it;
    one still downloading is not taken; the next download is read next."""
    downloads = tmp_path / "Downloads"
    metas = library_metas(library)
    old = write_export(downloads / "1OldExpXyz-2021-02-07T09:26:53.512Z.zip", metas[:2])
    _untar(old, downloads / old.name[:-4])
    write_export(downloads / "1MidExpAbc-2021-03-07T09_26_53.512Z.zip", metas)
    (downloads / "1NewExpDef-2021-04-07T09_26_53.512Z.zip").write_bytes(b"")
    (downloads / "1NewExpDef-2021-04-07T09_26_53.512Z.zip.part").write_bytes(b"\x1f\x8b")
    (downloads / "holiday.jpg").write_bytes(b"\xff\xd8")
    report = run(col, downloads, state_path)
    assert report.created == 6 and not report.errors, report.errors
    said = [w for w in report.warnings if w.get("code") == "export_chosen_in_folder"]
    assert len(said) == 1 and said[0]["file"] == "1MidExpAbc-2021-03-07T09_26_53.512Z.zip", report.warnings
    assert "holds 2 Polar exports" in said[0]["message"] and str(downloads) in said[0]["message"]
    (downloads / "1NewExpDef-2021-04-07T09_26_53.512Z.zip.part").unlink()
    (downloads / "1NewExpDef-2021-04-07T09_26_53.512Z.zip").unlink()
    write_export(downloads / "1NewExpDef-2021-04-07T09_26_53.512Z.zip", metas[1:])
    assert export_needs_reading(downloads, beside(state_path))  # (the GUI's progress window: a first read)
    newer = run(col, downloads, state_path)
    assert not export_needs_reading(downloads, beside(state_path)) and not export_needs_reading(library, None)
    assert newer.orphaned > 0 and newer.created == 0, newer
    assert [w["file"] for w in newer.warnings if w.get("code") == "export_chosen_in_folder"] == [
        "1NewExpDef-2021-04-07T09_26_53.512Z.zip"]


@pytest.mark.parametrize("how", ["saved", "unpacked"])
def test_a_data_folder_with_an_export_beside_its_documents_stays_a_data_folder(col, library, export, state_path,
                                                                              how):
    """A Polar 1.x data folder where an export was saved, or unpacked
    (tar -xzf in ~/.polar): its documents are read, not the export."""
    if how == "saved":
        (library / export.name).write_bytes(export.read_bytes())
    else:
        _untar(export, library)
        assert (library / "doc_meta").is_dir()
    report = run(col, library, state_path)
    assert report.created == 6 and not report.warnings and not report.errors


def test_an_export_unpacked_from_a_download_cut_short_takes_no_note_as_deleted(col, library, export, state_path):
    """tar -xzf (or 7-Zip) of a download cut short leaves the records that
    came before the cut: the documents after it looked deleted and their
    notes were suspended. A doc_info record without its doc_meta (Polar
    writes and deletes both together) marks the folder incomplete: one row
    names it, nothing is taken as deleted."""
    first = run(col, export, state_path)
    folder = _unpack("folder named after the file", export, export.parent)
    gone = sorted((folder / "doc_meta").iterdir())[:2]
    for path in gone:
        path.unlink()
    report = run(col, folder, state_path)
    assert (report.orphaned, report.deleted, report.created) == (0, 0, 0), report
    assert [w["code"] for w in report.warnings] == ["export_incomplete"], report.warnings
    assert len(report.errors) == 1 and "the unpacked export is incomplete" in report.errors[0]["message"]
    assert "doc_info/" + gone[0].name in report.errors[0]["message"]
    assert not col.find_cards("is:suspended") and col.note_count() == first.created


def test_an_unpacked_export_zipped_again_two_folders_deep_gives_the_same_notes(col, export, tmp_path, state_path):
    """7-Zip unpacks X.zip into X/X/; that X zipped again holds
    X/X/doc_meta/...: "0 documents". The same notes as the export now."""
    first = run(col, export, state_path)
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        stem = export.name[:-4]
        again = run(other, rezip(export, tmp_path / "again.zip", folder=f"{stem}/{stem}/"), tmp_path / "o.sqlite")
        assert (again.documents, again.created, again.errors) == (first.documents, 6, [])
        assert notes(other) == notes(col)
    finally:
        other.close()


DAY = 86400


def _extract(how: str, export: Path, into: Path) -> None:
    """The export unpacked into a folder that may hold an older one:
    GNU tar (unlinks a file in the way, keeps the members' times), Python's
    tarfile (writes over it in place), or either told to keep the files
    already there (``tar --skip-old-files``, 7-Zip's "Skip existing files")."""
    into.mkdir(parents=True, exist_ok=True)
    if how.startswith("GNU tar"):
        if shutil.which("tar") is None:
            pytest.skip("no tar here")
        skip = ["--skip-old-files"] if "skip" in how else []
        subprocess.run(["tar", "-xzf", str(export), "-C", str(into), *skip], check=True)
        return
    with tarfile.open(export) as tar:
        members = [m for m in tar if "skip" not in how or not (into / m.name).exists()]
        if hasattr(tarfile, "data_filter"):
            tar.extractall(into, members, filter="data")
        else:
            tar.extractall(into, members)


@pytest.mark.parametrize("how", ["GNU tar", "Python tarfile"])
def test_an_export_unpacked_over_an_older_one_takes_polars_deletions_as_the_archive_does(
        col, library, tmp_path, state_path, monkeypatch, how):
    """A new export unpacked into the folder of last month's (tar and
    7-Zip write files, never delete): the document deleted in Polar since
    stayed as a file and was read as live, its notes never suspended, and
    nothing said. The exporter dates every member at its minute, so the
    older export's files are told apart: the same notes suspended as
    syncing the two archives, one sentence saying why; the unchanged
    folder is not read again."""
    metas = library_metas(library)
    downloads = tmp_path / "downloads"
    older = write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    newer = write_export(downloads / EXPORT_NAME, metas[1:])
    folder = downloads / "Polar export"
    _extract(how, older, folder)
    first = run(col, folder, state_path)
    assert (first.created, first.errors, first.warnings) == (6, [], [])
    _extract(how, newer, folder)
    over = run(col, folder, state_path)
    other = make_collection(tmp_path / "other" / "collection.anki2")
    try:
        run(other, older, tmp_path / "other.sqlite")
        by_archive = run(other, newer, tmp_path / "other.sqlite")
        assert by_archive.orphaned >= 1
        assert (over.orphaned, over.created, over.updated, over.errors) == (by_archive.orphaned, 0, 0, []), over
        assert sorted(col.find_cards("is:suspended")) and len(col.find_cards("is:suspended")) == len(
            other.find_cards("is:suspended"))
    finally:
        other.close()
    assert [w["code"] for w in over.warnings] == ["export_leftovers_taken"], over.warnings
    said = over.warnings[0]["message"]
    assert "dated 2021-02-12" in said and "deleted in Polar (1 document)" in said, said
    monkeypatch.setattr(archive, "scan", lambda *a, **k: pytest.fail("the folder was read again"))
    again = run(col, folder, state_path)
    assert (again.orphaned, again.created, again.unchanged) == (0, 0, first.created - over.orphaned), again
    assert again.warnings == []  # (said once: test_what_an_exports_folder_holds_is_said_once_per_change)


@pytest.mark.parametrize("how", ["GNU tar, skipping existing files", "Python tarfile, skipping existing files"])
def test_an_export_unpacked_over_an_older_one_keeping_its_files_suspends_no_live_card(
        col, library, tmp_path, state_path, how):
    """The same, told to keep the files already there: only the documents
    new since are written, the rest stay dated as the older export, just as
    if they had been deleted in Polar. Nothing can tell the two apart, so
    nothing is taken as deleted (no live card suspended) and one sentence
    says to unpack into a new folder."""
    metas = library_metas(library)
    new_docs = []
    for i in range(len(metas)):
        doc = Doc(tmp_path / "new", f"1NewSince{i}", title=f"New {i}").card(f"1NewCard0{i}", basic(f"Q{i}", "A"))
        doc.meta["docInfo"].update(added="2021-03-01T10:00:00.000Z", lastUpdated="2021-03-02T10:00:00.000Z")
        new_docs.append(doc.meta)
    downloads = tmp_path / "downloads"
    older = write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    newer = write_export(downloads / EXPORT_NAME, metas + new_docs)
    folder = downloads / "Polar export"
    _extract(how, older, folder)
    first = run(col, folder, state_path)
    _extract(how, newer, folder)
    over = run(col, folder, state_path)
    assert (over.orphaned, over.created, over.errors) == (0, len(new_docs), []), over
    assert not col.find_cards("is:suspended") and col.note_count() == first.created + len(new_docs)
    assert [w["code"] for w in over.warnings] == ["export_leftovers_kept"], over.warnings
    assert "new, empty folder" in over.warnings[0]["message"]


@pytest.mark.parametrize("how", ["GNU tar", "Python tarfile"])
@pytest.mark.parametrize("cut", ["inside a document's file", "before the documents' files"])
def test_an_export_cut_short_unpacked_over_an_older_one_suspends_no_live_card(
        col, library, tmp_path, state_path, how, cut):
    """A download cut short, unpacked over last month's export. Polar's
    exporter merges the record streams (ordered by id) with the documents'
    files, read from storage more slowly: a cut can fall after every record
    of the first documents and before both records of the last, which then
    keep the older export's time as if deleted in Polar since, the newest
    documents more than those. The last document's live cards were
    suspended. The files of the documents written (or not) tell a cut: one
    dated at the unpack (the file cut in half), or the older export's time
    (after the cut). Nothing is taken, nothing suspended."""
    metas = sorted(library_metas(library), key=lambda m: ("flashcards" in str(m), m["docInfo"]["fingerprint"]))
    assert "flashcards" in str(metas[-1])  # (the document after the cut has cards)
    downloads = tmp_path / "downloads"
    older = write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    parts = export_members(metas)
    records = [m for m in parts if not m.name.startswith("stash/")]
    last = doc_meta_id(metas[-1]["docInfo"]["fingerprint"])
    bodies = [m for m in parts if m.name.startswith("stash/")]
    order = [m for m in records if last not in m.name] + bodies + [m for m in records if last in m.name]
    whole = write_tar_gz(tmp_path / "whole.tar.gz", order, mtime=MTIME)
    with tarfile.open(whole) as tar:
        offsets = {m.name: (m.offset_data, m.size) for m in tar}
    first_body = min(offsets[b.name][0] for b in bodies)
    at = (first_body - 300 if cut.startswith("before") else
          max(offsets[b.name][0] + offsets[b.name][1] // 2 for b in bodies))
    short = downloads / EXPORT_NAME
    short.write_bytes(gzip.compress(gzip.decompress(whole.read_bytes())[:at]))
    folder = downloads / "Polar export"
    _extract("GNU tar", older, folder)
    first = run(col, folder, state_path)
    assert (first.created, first.orphaned) == (6, 0)
    _unpack_cut(how, short, folder)
    assert (folder / "doc_meta" / f"{last}.json").stat().st_mtime == MTIME - 30 * DAY
    over = run(col, folder, state_path)
    assert (over.orphaned, over.created) == (0, 0), over
    assert not col.find_cards("is:suspended")
    assert "export_leftovers_taken" not in [w["code"] for w in over.warnings], over.warnings
    # (The archive lies beside the folder, outside what the user chose: not read, so the cut is not named;
    # the files' own times kept the older ones.)
    assert [w["code"] for w in over.warnings] == ["export_leftovers_kept"], over.warnings


def _unpack_cut(how: str, short: Path, folder: Path) -> None:
    """A download cut short unpacked into ``folder`` as far as it goes, by
    GNU tar or Python's tarfile: what came before the cut stays."""
    if how == "GNU tar":
        subprocess.run(["tar", "-xzf", str(short), "-C", str(folder)], capture_output=True)
        return
    with tarfile.open(short) as tar:
        try:
            for member in tar:
                tar.extract(member, folder, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
        except (EOFError, tarfile.ReadError):
            pass


def _cut_at_a_member_boundary(whole_tar: bytes, at: int, cut: str) -> bytes:
    """The download of a gzip'd tar cut short so that ``at`` (a member's
    header) is where the members stop: the compressed bytes end a little
    after it, mid-stream (what a dropped connection leaves: tar sees part of
    a header and stops there), or a whole gzip stream of a tar that stops
    there (no end-of-archive blocks)."""
    if cut == "gzip stream cut":
        squeeze = zlib.compressobj(6, zlib.DEFLATED, 31)
        return squeeze.compress(whole_tar[:at + 100]) + squeeze.flush(zlib.Z_SYNC_FLUSH)
    return gzip.compress(whole_tar[:at])


@pytest.mark.parametrize("cut", ["gzip stream cut", "tar end missing"])
@pytest.mark.parametrize("how", ["GNU tar", "Python tarfile"])
def test_an_export_cut_between_members_unpacked_over_an_older_one_suspends_no_live_card(
        col, library, tmp_path, state_path, how, cut):
    """Left by round 6: a download cut exactly between two members, after
    every document's file and before both records of the last documents
    (Polar's exporter, UserBackupCreator.ts, merges the record streams with
    the files' stream), unpacked over last month's export. Every file
    written is whole and dated as the export's, so the last document looked
    deleted in Polar: its live cards were suspended. The archive in the
    folder chosen (``tar -xzf`` run in Downloads) tells the cut (its gzip
    stream ends early, or its tar has no end-of-archive blocks): nothing is
    taken. Archives made by GNU tar
    (``tar -czf -T list``, gnu format) and by Python's tarfile (as
    tar-stream writes them), each unpacked by the same tool."""
    metas = sorted(library_metas(library), key=lambda m: ("flashcards" in str(m), m["docInfo"]["fingerprint"]))
    assert "flashcards" in str(metas[-1])  # (the document after the cut has cards)
    downloads = tmp_path / "downloads"
    older = write_export(tmp_path / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    parts = export_members(metas)
    records = [m for m in parts if not m.name.startswith("stash/")]
    last = doc_meta_id(metas[-1]["docInfo"]["fingerprint"])
    bodies = [m for m in parts if m.name.startswith("stash/")]
    order = [m for m in records if last not in m.name] + bodies + [m for m in records if last in m.name]
    if how == "GNU tar":
        if shutil.which("tar") is None:
            pytest.skip("no tar here")
        stage = tmp_path / "stage"
        for member in order:
            dest = stage / member.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            with member.open() as fh:
                dest.write_bytes(fh.read())
            os.utime(dest, (MTIME, MTIME))
        (tmp_path / "list").write_text("".join(m.name + "\n" for m in order))
        plain = tmp_path / "whole.tar"
        subprocess.run(["tar", "-cf", str(plain), "--format=gnu", "--no-recursion", "-C", str(stage),
                        "-T", str(tmp_path / "list")], check=True)
        whole_tar = plain.read_bytes()
    else:
        whole_tar = gzip.decompress(write_tar_gz(tmp_path / "whole.tar.gz", order, mtime=MTIME).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(whole_tar)) as tar:
        at = min(m.offset for m in tar if last in m.name)  # the header of the last document's first record
    short = downloads / EXPORT_NAME
    downloads.mkdir(parents=True, exist_ok=True)
    short.write_bytes(_cut_at_a_member_boundary(whole_tar, at, cut))
    folder = downloads  # (unpacked where it was downloaded: the archive is in the folder chosen)
    _extract("GNU tar", older, folder)
    first = run(col, folder, state_path)
    assert (first.created, first.orphaned) == (6, 0)
    _unpack_cut(how, short, folder)
    # Every file of the newer export written whole, at its time; the last document's as the older export left them.
    assert (folder / "doc_meta" / f"{last}.json").stat().st_mtime == MTIME - 30 * DAY
    assert all((folder / b.name).stat().st_mtime == MTIME for b in bodies)
    over = run(col, folder, state_path)
    assert (over.orphaned, over.created) == (0, 0), over
    assert not col.find_cards("is:suspended")
    assert [(w["code"], w["file"]) for w in over.warnings] == [("export_unpacked_cut", EXPORT_NAME)], over.warnings
    assert "download the export again" in over.warnings[0]["message"]
    assert not run(col, folder, state_path).warnings  # (said once)
    # The whole download, unpacked over it: the same export, every file written; nothing was deleted in Polar.
    short.write_bytes(gzip.compress(whole_tar))
    _extract("GNU tar" if how == "GNU tar" else "Python tarfile", short, folder)
    whole = run(col, folder, state_path)
    assert (whole.orphaned, whole.created, whole.warnings) == (0, 0, []), whole
    assert not col.find_cards("is:suspended")


@pytest.mark.parametrize("where", ["unpacked in Downloads itself", "an unfinished download unpacked"])
def test_a_cut_between_members_is_told_by_the_archive_in_the_folder_or_its_unfinished_download(
        col, library, tmp_path, state_path, where):
    """The same cut as above, ``tar -xzf`` run in Downloads (the archive
    inside the folder chosen, beside doc_meta/): the archive itself, or the
    browser's unfinished file of it (``.crdownload``) unpacked as it was.
    Nothing is taken either way."""
    metas = sorted(library_metas(library), key=lambda m: ("flashcards" in str(m), m["docInfo"]["fingerprint"]))
    downloads = tmp_path / "downloads"
    older = write_export(tmp_path / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    parts = export_members(metas)
    last = doc_meta_id(metas[-1]["docInfo"]["fingerprint"])
    order = ([m for m in parts if not m.name.startswith("stash/") and last not in m.name]
             + [m for m in parts if m.name.startswith("stash/")]
             + [m for m in parts if not m.name.startswith("stash/") and last in m.name])
    whole_tar = gzip.decompress(write_tar_gz(tmp_path / "whole.tar.gz", order, mtime=MTIME).read_bytes())
    with tarfile.open(fileobj=io.BytesIO(whole_tar)) as tar:
        at = min(m.offset for m in tar if last in m.name)
    name = EXPORT_NAME + (".crdownload" if where.startswith("an unfinished") else "")
    folder = downloads
    short = downloads / name
    downloads.mkdir(parents=True, exist_ok=True)
    _extract("Python tarfile", older, folder)
    assert run(col, folder, state_path).created == 6
    short.write_bytes(_cut_at_a_member_boundary(whole_tar, at, "gzip stream cut"))
    _unpack_cut("Python tarfile", short, folder)
    over = run(col, folder, state_path)
    assert (over.orphaned, over.created) == (0, 0) and not col.find_cards("is:suspended"), over
    assert [(w["code"], w["file"]) for w in over.warnings] == [("export_unpacked_cut", name)], over.warnings


def test_an_export_unpacked_over_an_older_one_beside_its_whole_archive_still_takes_deletions(
        col, library, tmp_path, state_path):
    """The archive in the folder read whole (its gzip ends, its tar has its
    end blocks): deletions in Polar are taken as before."""
    metas = library_metas(library)
    downloads = tmp_path / "downloads"
    _extract("GNU tar", write_export(tmp_path / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas,
                                     mtime=MTIME - 30 * DAY), downloads)
    run(col, downloads, state_path)
    _extract("GNU tar", write_export(downloads / EXPORT_NAME, metas[1:]), downloads)
    over = run(col, downloads, state_path)
    assert [w["code"] for w in over.warnings] == ["export_leftovers_taken"], over.warnings


_OPENED: list = []


def _audit_opens(event: str, args: tuple) -> None:
    if _OPENED and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit_opens)


def test_the_archive_beside_an_unpacked_export_is_never_read(col, library, tmp_path, state_path):
    """Nothing outside the folder the user chose is read: the archive a
    folder was unpacked from usually lies beside it (Downloads/X.zip and
    Downloads/X/), and even when it is cut short the sync does not open it.
    The older files' cards are then suspended as deleted in Polar, which
    Anki's Unsuspend (or the next whole export) takes back."""
    metas = library_metas(library)
    downloads = tmp_path / "downloads"
    folder = downloads / "Polar export"
    _extract("GNU tar", write_export(tmp_path / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas,
                                     mtime=MTIME - 30 * DAY), folder)
    run(col, folder, state_path)
    newer = write_export(downloads / EXPORT_NAME, metas[1:])
    _extract("GNU tar", newer, folder)
    newer.write_bytes(newer.read_bytes()[: newer.stat().st_size // 2])  # (cut: it would say so if read)
    _OPENED[:] = ["(watching)"]
    try:
        over = run(col, folder, state_path)
    finally:
        opened, _OPENED[:] = _OPENED[1:], []
    beside_it = [p for p in opened if os.path.realpath(p).startswith(str(downloads.resolve()))
                 and not os.path.realpath(p).startswith(str(folder.resolve()) + os.sep)]
    assert opened and beside_it == [], beside_it
    assert [w["code"] for w in over.warnings] == ["export_leftovers_taken"], over.warnings


def test_two_exports_unpacked_over_one_another_within_the_hour_say_nothing(col, library, tmp_path, state_path):
    """Exports made minutes apart are not told apart (their files' times
    overlap an export's own minute): read as one, as before, nothing said."""
    metas = library_metas(library)
    folder = tmp_path / "Polar export"
    _extract("Python tarfile", write_export(tmp_path / "a.zip", metas, mtime=MTIME - 600), folder)
    run(col, folder, state_path)
    _extract("Python tarfile", write_export(tmp_path / "b.zip", metas[1:]), folder)
    again = run(col, folder, state_path)
    assert (again.orphaned, again.warnings) == (0, []), again


def test_what_an_exports_folder_holds_is_said_once_per_change(col, library, tmp_path, state_path):
    """An export unpacked over an older one (its files kept), and a folder
    holding several exports: true at every sync while the files stay, and
    said at every sync, a startup sync's notice included, so the report was
    never "nothing changed". Now said by the sync that sees it, again only
    when it changes (another export unpacked there, a new download); not by
    a dry run's account of it."""
    metas = library_metas(library)
    new_docs = []
    for i in range(2):
        doc = Doc(tmp_path / "new", f"1NewSince{i}", title=f"New {i}").card(f"1NewCard0{i}", basic(f"Q{i}", "A"))
        doc.meta["docInfo"].update(added="2021-03-01T10:00:00.000Z", lastUpdated="2021-03-02T10:00:00.000Z")
        new_docs.append(doc.meta)
    downloads = tmp_path / "downloads"
    folder = downloads / "Polar export"
    _extract("GNU tar", write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas,
                                     mtime=MTIME - 30 * DAY), folder)
    run(col, folder, state_path)
    _extract("GNU tar, skipping existing files", write_export(downloads / EXPORT_NAME, metas + new_docs[:1]), folder)

    def codes(report):
        return [w["code"] for w in report.warnings]

    dry = run(col, folder, state_path, dry_run=True)
    assert codes(dry) == ["export_leftovers_kept"]
    assert codes(run(col, folder, state_path)) == ["export_leftovers_kept"]
    assert codes(run(col, folder, state_path)) == []
    assert codes(run(col, folder, state_path)) == []
    _extract("GNU tar, skipping existing files", write_export(
        downloads / "1NewerXyzA-2021-04-14T09_26_53.512Z.zip", metas + new_docs, mtime=MTIME + 31 * DAY), folder)
    changed = run(col, folder, state_path)
    assert codes(changed) == ["export_leftovers_kept"] and changed.created == 1, changed
    assert codes(run(col, folder, state_path)) == []
    # Downloads itself chosen: it holds three exports now.
    assert codes(run(col, downloads, state_path)).count("export_chosen_in_folder") == 1
    assert "export_chosen_in_folder" not in codes(run(col, downloads, state_path))
    write_export(downloads / "1NewestAbc-2021-05-14T09_26_53.512Z.zip", metas + new_docs)
    assert codes(run(col, downloads, state_path)).count("export_chosen_in_folder") == 1


@pytest.mark.parametrize("copy", [" (1)", "-1"])
def test_an_export_downloaded_twice_is_one_export_of_the_folder(col, library, tmp_path, state_path, copy):
    """The mail's link clicked twice: Downloads holds X.zip and "X (1).zip"
    (Chrome, Firefox; Safari: "X-1.zip"), and the folder unpacked from it
    (7-Zip's "X (1)/"; Archive Utility's "X 2/" beside "X/"): the same
    export, read once, and the folder was said to hold 2 Polar exports
    (Safari's copy was not taken for an export at all)."""
    downloads = tmp_path / "Downloads"
    stem = "12dzxVk3Q8-2021-03-14T09_26_53.512Z"
    export = write_export(downloads / f"{stem}.zip", library_metas(library))
    again = shutil.copy(export, downloads / f"{stem}{copy}.zip")
    _untar(Path(again), downloads / f"{stem}{copy}")
    _untar(export, downloads / stem)
    _untar(export, downloads / f"{stem} 2")
    report = run(col, downloads, state_path)
    assert (report.created, report.errors, report.warnings) == (6, [], []), report.warnings
    # Chosen itself, a newer export beside it is named.
    newer = write_export(downloads / "1NewExpAbc-2021-04-14T09_26_53.512Z.zip", library_metas(library))
    stale = run(col, Path(again), state_path)
    assert [w["file"] for w in stale.warnings if w["code"] == "export_newer_beside"] == [newer.name]


@pytest.mark.parametrize("linked", ["doc_meta", "block", "stash"])
def test_an_unpacked_export_whose_folder_is_a_link_reads_nothing_outside_it(col, library, export, tmp_path,
                                                                            state_path, linked):
    """An unpacked export whose doc_meta/ (block/, stash/) is a symbolic
    link (a tar holding "doc_meta -> /elsewhere", which tar makes at the
    end of the unpack, or a link made by hand): its files were read from
    wherever it pointed. Now the link is refused with one row, nothing is
    read through it, and no note is taken as deleted."""
    folder = _unpack("folder named after the file", export, export.parent)
    first = run(col, folder, state_path)
    elsewhere = tmp_path / "elsewhere"
    (folder / linked).rename(elsewhere)
    (folder / linked).symlink_to(elsewhere, target_is_directory=True)
    opened = []
    real_open = open

    def watch(path, *args, **kwargs):
        opened.append(str(path))
        return real_open(path, *args, **kwargs)

    import builtins

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", watch)
        report = run(col, folder, state_path)
    assert not [p for p in opened if p.startswith(str(folder / linked)) or p.startswith(str(elsewhere))], opened
    assert (report.orphaned, report.deleted, report.created) == (0, 0, 0), report
    assert [e["message"] for e in report.errors] == [
        "the folder is a link, which is refused: nothing is read outside the export"], report.errors
    assert not col.find_cards("is:suspended") and col.note_count() == first.created


def test_members_refused_alike_are_one_row_of_the_report(col, library, export, tmp_path, state_path):
    """An export re-packed with absolute names (``tar -czPf``: every member
    refused, tens of thousands for a Polar 3 library) filled the report with
    a row per member. One row now, saying how many; nothing is read or
    written outside the archive, and nothing is taken as deleted."""
    first = run(col, export, state_path)
    repacked = tmp_path / "absolute.tgz"
    with tarfile.open(export) as src, tarfile.open(repacked, "w:gz") as out:
        for info in src:
            data = src.extractfile(info).read()
            info.name = "/home/zoë/Polar export/" + info.name
            out.addfile(info, io.BytesIO(data))
        members = len(src.getmembers())
    report = run(col, repacked, state_path)
    assert [e["message"] for e in report.errors] == [
        f"absolute member names are refused (and {members - 1} more members alike)"], report.errors
    assert (report.orphaned, report.deleted) == (0, 0) and not col.find_cards("is:suspended")
    assert col.note_count() == first.created


def test_an_export_unpacked_over_the_folder_of_an_older_one_is_not_named_as_newer_beside_it(
        col, library, tmp_path, state_path):
    """This month's export unpacked into the folder named after last
    month's (tar -xzf -C, a file manager's "Extract to" an existing folder):
    every sync said "a Polar export downloaded later is beside it: choose
    that one", the one already unpacked there. The files' times (the
    exporter's) say which export is in the folder; a later one still is."""
    metas = library_metas(library)
    downloads = tmp_path / "Downloads"
    older = write_export(downloads / "1OldExpXyz-2021-02-12T09_26_53.512Z.zip", metas, mtime=MTIME - 30 * DAY)
    newer = write_export(downloads / EXPORT_NAME, metas)  # 2021-03-14T09:26:53.512Z, members dated MTIME
    folder = downloads / older.name[:-4]
    _extract("Python tarfile", older, folder)
    assert [w["code"] for w in run(col, folder, state_path).warnings] == ["export_newer_beside"]
    _extract("Python tarfile", newer, folder)
    over = run(col, folder, state_path)
    assert not over.warnings and (over.created, over.orphaned) == (0, 0), over.warnings
    latest = write_export(downloads / "1LatestXyz-2021-04-14T09_26_53.512Z.zip", metas)
    assert [w["file"] for w in run(col, folder, state_path).warnings] == [latest.name]


@pytest.mark.parametrize("how", ["left out", "a directory"])
def test_a_packed_export_missing_a_doc_meta_beside_its_doc_info_takes_no_note_as_deleted(
        col, library, export, tmp_path, state_path, how):
    """An export whose doc_meta member is missing, or is a directory of that
    name, while its doc_info record is there: the document looked deleted in
    Polar, its notes suspended, with no word. As for an unpacked export cut
    short: one row names the doc_info record, nothing is taken as deleted,
    the rest syncs; a whole export syncs as before."""
    from addon.sync.plan import ORPHAN_TAG

    first = run(col, export, state_path)
    metas = library_metas(library)
    name = f"doc_meta/{doc_meta_id(metas[0]['docInfo']['fingerprint'])}.json"
    parts = [m for m in export_members(metas) if m.name != name]
    assert len(parts) == len(export_members(metas)) - 1
    damaged = tmp_path / "damaged" / EXPORT_NAME
    write_tar_gz(damaged, parts)
    if how == "a directory":
        with tarfile.open(damaged, "r:gz") as tar:
            kept = [(info, tar.extractfile(info).read()) for info in tar.getmembers()]
        folder = tarfile.TarInfo(name)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, MTIME
        with tarfile.open(damaged, "w:gz", format=tarfile.USTAR_FORMAT) as tar:
            tar.addfile(folder)
            for info, data in kept:
                tar.addfile(info, io.BytesIO(data))
    report = run(col, damaged, state_path)
    info = name.replace("doc_meta/", "doc_info/")
    assert [(e["path"], e["code"]) for e in report.errors] == [(f"{EXPORT_NAME}:{info}", "export_damaged")]
    assert "the export is incomplete" in report.errors[0]["message"] and info in report.errors[0]["message"]
    assert [w["code"] for w in report.warnings] == ["export_incomplete"], report.warnings
    assert (report.orphaned, report.deleted, report.created) == (0, 0, 0), report
    assert col.note_count() == first.created
    assert not col.find_cards("is:suspended") and not col.find_notes(f"tag:{ORPHAN_TAG}")
    report = run(col, export, state_path)  # the whole export again
    assert not report.errors and not report.warnings and (report.orphaned, report.created) == (0, 0)


@pytest.mark.parametrize("how", ["a link", "a pipe"])
def test_a_record_of_an_unpacked_export_that_is_no_plain_file_takes_no_note_as_deleted(
        col, library, export, tmp_path, state_path, how):
    """One doc_meta record of an unpacked export turned into a link (to a copy
    kept elsewhere) or a pipe: it is refused with a row naming the file, its
    document's notes stay as they are, and the other documents sync."""
    folder = _unpack("folder named after the file", export, export.parent)
    first = run(col, folder, state_path)
    record = sorted((folder / "doc_meta").iterdir())[0]
    kept = tmp_path / "kept.json"
    record.rename(kept)
    if how == "a link":
        record.symlink_to(kept)
    else:
        os.mkfifo(record)
    report = run(col, folder, state_path)
    assert (report.orphaned, report.deleted, report.created) == (0, 0, 0), report
    assert not col.find_cards("is:suspended") and col.note_count() == first.created
    rows = [e for e in report.errors + report.warnings if record.name in e["path"] + e["message"]]
    assert len(rows) == 1 and ("links are refused" if how == "a link" else "pipes are refused") in rows[0]["message"], \
        report.errors + report.warnings
