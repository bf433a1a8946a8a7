"""ExportSource: listing an export as Polar writes it, remembering the read,
the documents' own files."""

import gzip
import os
import sqlite3

import pytest

from addon.polar import archive
from addon.polar.library import ExportSource, ImagesNotExported, SourceError, open_source
from tests.polar_factory import SAMPLE_LIBRARY
from tools.polar_export import (
    EXPORT_NAME,
    UID,
    doc_meta_id,
    library_metas,
    retar,
    rezip,
    stash_member,
    write_export,
)


@pytest.fixture
def metas():
    return library_metas(SAMPLE_LIBRARY)


@pytest.fixture
def export(tmp_path, metas):
    return write_export(tmp_path / EXPORT_NAME, metas)


def listing(source):
    return [(d.key, d.signature, d.parse(d.read()).fingerprint) for d in source.list_documents()]


def test_polar_export_is_listed_by_its_records(export, metas, tmp_path):
    source = open_source(export, tmp_path / "cache.sqlite")
    assert isinstance(source, ExportSource) and source.kind == archive.TAR_GZ
    got = listing(source)
    fps = {m["docInfo"]["fingerprint"] for m in metas}
    assert {fp for _, _, fp in got} == fps
    assert {key for key, _, _ in got} == fps  # keyed as in a data directory
    assert source.problems == [] and source.complete


def test_rezipped_retarred_and_foldered_exports_list_the_same(export, tmp_path):
    expected = listing(open_source(export))
    for variant in (rezip(export, tmp_path / "re.zip"), rezip(export, tmp_path / "f.zip", folder="Polar export/"),
                    retar(export, tmp_path / "plain")):
        assert listing(open_source(variant)) == expected


def test_unchanged_export_is_not_read_again(export, tmp_path, monkeypatch):
    cache = tmp_path / "cache.sqlite"
    first = open_source(export, cache)
    assert first.needs_reading()
    expected = listing(first)
    assert first.read_now

    def no_scan(*args, **kwargs):
        raise AssertionError("the export was decompressed again")

    monkeypatch.setattr(archive, "scan", no_scan)
    again = open_source(export, cache)
    assert not again.needs_reading()
    assert listing(again) == expected and not again.read_now
    # Moved elsewhere, same bytes and mtime: still the same export.
    moved = tmp_path / "moved"
    moved.mkdir()
    os.rename(export, moved / export.name)
    assert listing(open_source(moved / export.name, cache)) == expected


def test_replaced_export_is_read_once(export, metas, tmp_path):
    cache = tmp_path / "cache.sqlite"
    before = {key: sig for key, sig, _ in listing(open_source(export, cache))}
    metas[0]["docInfo"]["title"] = "Retitled"
    write_export(export, metas)  # a fresh download over the old file
    source = open_source(export, cache)
    assert source.needs_reading()
    after = {key: sig for key, sig, _ in listing(source)}
    changed = {k for k in after if after[k] != before.get(k)}
    assert changed == {metas[0]["docInfo"]["fingerprint"]}  # per document, like a data dir
    assert not open_source(export, cache).needs_reading()


def test_cache_damage_means_one_more_read(export, tmp_path):
    cache = tmp_path / "cache.sqlite"
    expected = listing(open_source(export, cache))
    cache.write_bytes(b"not sqlite")
    source = open_source(export, cache)
    assert listing(source) == expected and source.read_now


def test_nothing_is_written_but_the_cache(export, tmp_path):
    cache = tmp_path / "state" / "cache.sqlite"
    before = sorted(p.name for p in tmp_path.rglob("*"))
    listing(open_source(export, cache))
    after = sorted(p.name for p in tmp_path.rglob("*"))
    assert set(after) - set(before) == {"state", "cache.sqlite"}
    con = sqlite3.connect(cache)
    names = [r[0] for r in con.execute("SELECT name FROM records")]
    con.close()
    assert names and all(n.startswith(("doc_meta/", "doc_info/")) for n in names)


def test_document_bodies_are_found_not_extracted(export, metas, tmp_path):
    source = open_source(export, tmp_path / "cache.sqlite")
    docs = source.list_documents()
    for meta in metas:
        key = meta["docInfo"]["fingerprint"]
        assert source.document_body(key) == stash_member(meta["docInfo"]["filename"], UID)
    assert source.document_body("nope") is None
    # Also from the cache alone (the later "open at a page" feature).
    again = open_source(export, tmp_path / "cache.sqlite")
    assert again.document_body(docs[0].key) == source.document_body(docs[0].key)


def test_export_without_bodies(metas, tmp_path):
    source = open_source(write_export(tmp_path / "nobodies.zip", metas, body=None))
    assert [source.document_body(d.key) for d in source.list_documents()] == [None] * len(metas)


def test_images_are_not_in_exports(export):
    with pytest.raises(ImagesNotExported):
        open_source(export).read_image("1AreaImg7Q2wE9rT5yU3.png", 1000)


def test_damaged_record_is_a_failed_document_and_the_rest_lists(export, metas, tmp_path):
    zpath = rezip(export, tmp_path / "re.zip")
    data = bytearray(zpath.read_bytes())
    # Flip a byte inside the first doc_meta entry's compressed data.
    import zipfile

    with zipfile.ZipFile(zpath) as zf:
        info = next(i for i in zf.infolist() if i.filename.startswith("doc_meta/"))
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0xFF
    zpath.write_bytes(bytes(data))
    source = open_source(zpath)
    docs = {d.key: d for d in source.list_documents()}
    # Known by its fingerprint all the same (from its doc_info record).
    bad_key = next(m["docInfo"]["fingerprint"] for m in metas
                   if doc_meta_id(m["docInfo"]["fingerprint"]) in info.filename)
    assert len(docs) == 4 and docs[bad_key].label.endswith(info.filename)
    with pytest.raises(ValueError):
        docs[bad_key].read()
    for key, doc in docs.items():
        if key != bad_key:
            assert doc.parse(doc.read()).fingerprint


def test_truncated_export_lists_what_came_before(export, tmp_path):
    packed = export.read_bytes()
    cut = tmp_path / "cut.zip"
    cut.write_bytes(packed[: int(len(packed) * 0.6)])
    source = open_source(cut)
    docs = source.list_documents()
    assert not source.complete
    assert len(source.problems) + sum(1 for d in docs if d.signature == (-1, -1)) == 1
    assert all("truncated" in m for _, m in source.problems)
    assert 0 < len(docs) <= 4


@pytest.mark.parametrize("data", [b"\x1f\x8b\x08\x00\x00\x00", b"PK\x03\x04", b"plain text", b""])
def test_unopenable_archives(tmp_path, data):
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    with pytest.raises(SourceError) as info:
        open_source(path, tmp_path / "cache.sqlite")
    assert str(path) in str(info.value)
    assert not (tmp_path / "cache.sqlite").exists()


def test_gzip_of_something_else(tmp_path):
    path = tmp_path / "export.zip"
    path.write_bytes(gzip.compress(b"{}" * 600))
    with pytest.raises(SourceError, match="does not hold a tar archive"):
        open_source(path)


def test_an_unchanged_export_is_listed_from_the_cache_index_and_older_caches_still_load(export, tmp_path):
    """The cache holds a covering index of the records' listing (an unchanged
    export's resync reads only that, not a page of every record); a cache
    written before it, without the index, is read as it is."""
    cache = tmp_path / "cache.sqlite"
    expected = listing(open_source(export, cache))
    con = sqlite3.connect(cache)
    try:
        plan = " ".join(row[-1] for row in con.execute(
            "EXPLAIN QUERY PLAN SELECT name, fingerprint, size, crc FROM records"))
        assert "COVERING INDEX" in plan
        con.execute("DROP INDEX records_listing")  # as a cache of the version before
        con.commit()
    finally:
        con.close()
    again = open_source(export, cache)
    assert listing(again) == expected and not again.read_now


def test_the_cache_stores_text_sqlite_would_refuse(tmp_path):
    """A lone surrogate (a name's undecodable byte, an escaped \\udcXX in a
    record's fingerprint) is written as its escape, not a failed sync."""
    from addon.polar import export_cache

    cache = tmp_path / "cache.sqlite"
    writer = export_cache.Writer("id", archive.TAR_GZ, cache)
    writer.record("doc_meta/caf\udce9.json", "1Fp\ud800", b"{}", 0)
    writer.body("stash/caf\udce9.pdf", 10, 512)
    writer.problem("block/caf\udce9.json", "refused: 'caf\udce9'")
    writer.finish()
    snap = export_cache.load(cache, "id")
    assert snap is not None
    assert list(snap.records.values()) == [("doc_meta/caf\\udce9.json", "1Fp\\ud800", 2, 0)]
    assert snap.read("doc_meta/caf\\udce9.json") == b"{}"
    assert list(snap.bodies) == ["stash/caf\\udce9.pdf"]
    assert [(p.name, p.message) for p in snap.problems] == [("block/caf\\udce9.json", "refused: 'caf\\udce9'")]


def _cut_export(dest, metas, seed=7):
    """``metas``' export with the first document's doc_meta cut in half and
    no doc_info records: nothing in it names that document."""
    import io

    from tools.polar_export import members, write_tar_gz

    victim = f"doc_meta/{doc_meta_id(metas[0]['docInfo']['fingerprint'])}.json"
    parts = [m for m in members(metas, seed=seed) if not m.name.startswith("doc_info/")]
    for m in parts:
        if m.name == victim:
            with m.open() as fh:
                half = fh.read()[: m.size // 2]
            m.size, m.open = len(half), (lambda half=half: io.BytesIO(half))
    return write_tar_gz(dest, parts)


def test_a_record_that_cannot_name_its_document_is_known_from_the_export_before(export, metas, tmp_path):
    cache = tmp_path / "cache.sqlite"
    fps = sorted(m["docInfo"]["fingerprint"] for m in metas)
    open_source(export, cache).list_documents()
    for seed in (7, 8):  # and again from a newer download (the memory carries on)
        source = open_source(_cut_export(tmp_path / f"cut{seed}.zip", metas, seed), cache)
        assert sorted(d.key for d in source.list_documents()) == fps and source.read_now
        assert source.unidentified == []
    # Nothing remembered: listed under its export id, and said to be unknown.
    alone = open_source(tmp_path / "cut8.zip")
    keys = {d.key for d in alone.list_documents()}
    ident = doc_meta_id(metas[0]["docInfo"]["fingerprint"])
    assert keys == set(fps) - {metas[0]["docInfo"]["fingerprint"]} | {ident}
    assert alone.unidentified == [(f"cut8.zip:doc_meta/{ident}.json", ident)]


@pytest.mark.parametrize("name, what", [
    ("x.zip", "export"), ("Export.TAR.GZ", "export"), ("x.tgz", "export"), ("x.tar", "export"),
    (".polar", "data directory"), ("x.json", "data directory"),
])
def test_a_missing_library_is_named_for_what_it_looks_like(tmp_path, name, what):
    with pytest.raises(SourceError, match=f"^the Polar {what} .*{name} does not exist$"):
        open_source(tmp_path / name)


def test_two_records_of_one_document_are_told_apart_the_same_way_in_any_member_order(metas, tmp_path):
    """Two ``doc_meta`` records naming one fingerprint (two accounts' copies
    merged into one export): the same record is the document in every
    export, whatever order the exporter's streams interleaved in, so a
    new download never swaps them (and moves every card between them)."""
    from tools.polar_export import members, write_tar_gz

    first = members(metas[:1], seed=1)
    second = [m for m in members(metas[:1], uid="aNoThErUsEr000000000000000b", seed=1)
              if not m.name.startswith(("block/", "stash/"))]
    fingerprint = metas[0]["docInfo"]["fingerprint"]
    seen = set()
    for n, parts in enumerate((first + second, second + first)):
        source = open_source(write_tar_gz(tmp_path / f"e{n}.zip", parts))
        docs = {d.key: d.label for d in source.list_documents()}
        assert len(docs) == 2 and fingerprint in docs
        seen.add(docs[fingerprint].split(":", 1)[1])
    assert len(seen) == 1


def test_annotation_blocks_are_kept_however_packed_and_remembered_by_the_cache(tmp_path, metas):
    """``block/`` records are IBlocks (docs/dev-notes/blocks.md): the
    annotation and document blocks are kept beside the records (a Polar 3
    note is not), go with their document (its signature and bytes), survive
    the cache; a cache written before blocks were kept is read again when it
    counted block flashcards, and used as it is when it counted none."""
    from tools.polar_export import annotated_document_blocks, block_basic, block_cloze, markdown_block

    fp = metas[0]["docInfo"]["fingerprint"]
    blocks = [*annotated_document_blocks(metas[0]["docInfo"], [block_basic("f", "b"), block_cloze("{{c1::x}}")]),
              markdown_block("1NoteBlock1", 'quoting "annotation-flashcard" in a note')]
    export = write_export(tmp_path / EXPORT_NAME, metas, blocks=blocks)
    plain_export = write_export(tmp_path / "plain" / EXPORT_NAME, metas)
    source = ExportSource(tmp_path / EXPORT_NAME, archive.TAR_GZ)
    snap = source.snapshot()
    assert [(g.fingerprint, g.blocks, g.flashcards) for g in snap.block_groups.values()] == [(fp, 4, 2)]
    assert not [name for name in snap.records if "block/" in name] and snap.block_flashcards == 2
    with_blocks, plain = listing(source), listing(open_source(plain_export))
    assert source.block_flashcards == 0  # every one read, with its document
    changed = [(a, b) for a, b in zip(with_blocks, plain) if a != b]
    assert [a[0] for a, _ in changed] == [fp] and changed[0][0][1] != changed[0][1][1]
    doc = next(d for d in source.list_documents() if d.key == fp)
    assert {c.id for c in doc.parse(doc.read()).flashcards} == {"1FcBlock001", "1FcBlock002"}
    assert listing(open_source(rezip(export, tmp_path / "folder.zip", folder="export/"))) == with_blocks
    cache = tmp_path / "cache.sqlite"
    assert listing(open_source(export, cache)) == with_blocks
    cached = open_source(export, cache)
    assert not cached.needs_reading() and listing(cached) == with_blocks
    con = sqlite3.connect(cache)
    con.execute("DROP TABLE block_groups")
    con.commit()
    assert open_source(export, cache).needs_reading()  # counted 2, kept none: read again
    con.execute("UPDATE meta SET value = '0' WHERE key = 'block_flashcards'")
    con.commit()
    assert not open_source(export, cache).needs_reading()
    # A cache that kept its blocks one by one (before they were grouped by
    # document) is read again, even when they hold no flashcard.
    con.execute("CREATE TABLE blocks (name TEXT PRIMARY KEY, data BLOB)")
    con.execute("INSERT INTO blocks VALUES ('block/1DocBlock01.json', x'00')")
    con.commit()
    con.close()
    assert open_source(export, cache).needs_reading()


def test_block_flashcards_of_no_document_listed_are_counted(tmp_path, metas):
    from tools.polar_export import annotated_document_blocks, block_cloze

    info = {"fingerprint": "1ElsewhereDoc", "title": "Elsewhere"}
    write_export(tmp_path / EXPORT_NAME, metas, blocks=annotated_document_blocks(info, [block_cloze("{{c1::x}}")]))
    source = open_source(tmp_path / EXPORT_NAME)
    assert len(source.list_documents()) == len(metas) and source.block_flashcards == 1


def test_blocks_that_name_no_document_go_with_their_root_document_block_in_any_member_order(tmp_path, metas):
    """An annotation block without ``content.docID`` belongs to the document
    its root document block names; the export cache groups it there however
    the exporter's streams interleaved, with the same signature."""
    from tools.polar_export import annotated_document_blocks, block_basic, block_cloze, members, write_tar_gz

    blocks = annotated_document_blocks(metas[0]["docInfo"], [block_basic("f", "b"), block_cloze("{{c1::x}}")])
    for block in blocks[1:]:
        del block["content"]["docID"]
    seen = set()
    for seed in (1, 2, 3):
        export = write_tar_gz(tmp_path / f"e{seed}.zip", members(metas, seed=seed, blocks=blocks))
        for cache in (None, tmp_path / f"c{seed}.sqlite"):
            source = open_source(export, cache)
            snap = source.snapshot()
            assert [(g.fingerprint, g.blocks, g.flashcards) for g in snap.block_groups.values()] == [
                (metas[0]["docInfo"]["fingerprint"], 4, 2)]
            doc = next(d for d in source.list_documents() if d.key == metas[0]["docInfo"]["fingerprint"])
            assert {c.id for c in doc.parse(doc.read()).flashcards} >= {"1FcBlock001", "1FcBlock002"}
            assert source.block_flashcards == 0
            seen.add(doc.signature)
    assert len(seen) == 1


def test_comments_on_highlights_go_with_their_document_and_older_caches_are_read_again(tmp_path, metas):
    """A comment written in Polar 3 is a ``markdown`` block under a highlight
    block (or deeper), naming no document: it goes with the document its
    root document block names, in any member order, also when its words
    quote an annotation type; a note of Polar 3's (another root) does not.
    An export cache whose block groups were written before comments were
    kept is read again once; one without block groups is used as it is."""
    from tools.polar_export import _block, annotated_document_blocks, block_basic, comment_block, members, write_tar_gz

    fp = metas[0]["docInfo"]["fingerprint"]
    blocks = annotated_document_blocks(metas[0]["docInfo"], [block_basic("f", "b")])
    highlight = blocks[1]
    first = comment_block("1Comment01", highlight, "A *first* thought", "2021-12-01T10:00:00.000Z")
    quoting = comment_block("1Comment02", highlight, 'Polar calls it "annotation-flashcard"',
                            "2021-12-01T11:00:00.000Z")
    nested = _block("1Comment03", {"type": "markdown", "data": "deeper", "links": []}, "u", [
        blocks[0]["id"], highlight["id"], first["id"]], "2021-12-01T12:00:00.000Z", "2021-12-01T12:00:00.000Z")
    page = _block("1NotesPage", {"type": "name", "data": "Reading", "links": []}, "u", [], "2021-12-01T09:00:00.000Z",
                  "2021-12-01T09:00:00.000Z")
    note = _block("1NoteDeep1", {"type": "markdown", "data": "not a comment", "links": []}, "u", [
        page["id"], "1NoteTop01"], "2021-12-01T09:00:00.000Z", "2021-12-01T09:00:00.000Z")
    blocks += [first, quoting, nested, page, note]
    seen = set()
    for seed in (1, 2, 3):
        export = write_tar_gz(tmp_path / f"e{seed}.zip", members(metas, seed=seed, blocks=blocks))
        for cache in (None, tmp_path / f"c{seed}.sqlite"):
            source = open_source(export, cache)
            assert [(g.fingerprint, g.blocks) for g in source.snapshot().block_groups.values()] == [(fp, 6)]
            doc = next(d for d in source.list_documents() if d.key == fp)
            parsed = doc.parse(doc.read())
            assert sorted((c.id, c.ref_id, c.content.value if c.content else None) for c in parsed.comments) == [
                ("1Comment01", highlight["id"], "A *first* thought"),
                ("1Comment02", highlight["id"], 'Polar calls it "annotation-flashcard"'),
                ("1Comment03", highlight["id"], "deeper")]
            seen.add(doc.signature)
    assert len(seen) == 1
    cache = tmp_path / "c1.sqlite"
    con = sqlite3.connect(cache)
    con.execute("DELETE FROM meta WHERE key = 'blocks_format'")
    con.commit()
    con.close()
    assert open_source(tmp_path / "e1.zip", cache).needs_reading()
    plain = write_export(tmp_path / "plain" / EXPORT_NAME, metas)
    open_source(plain, tmp_path / "plain.sqlite").list_documents()
    con = sqlite3.connect(tmp_path / "plain.sqlite")
    con.execute("DELETE FROM meta WHERE key = 'blocks_format'")
    con.commit()
    con.close()
    assert not open_source(plain, tmp_path / "plain.sqlite").needs_reading()


def test_a_notes_root_is_read_from_its_bytes_only_two_levels_down():
    import json

    from addon.polar.library import _deep_note_root

    note = {"id": "1Note00001", "root": "1DocBlock1", "parents": ["1DocBlock1", "1Highlight"],
            "content": {"type": "markdown", "data": 'quoting "root": "1Other0001", "parents": ["x", "y"]'}}
    for data in (json.dumps(note, indent=2), json.dumps(note, separators=(",", ":"))):
        assert _deep_note_root(data.encode()) == b"1DocBlock1"
    for parents in ([], ["1DocBlock1"]):
        for data in (json.dumps(dict(note, parents=parents), indent=2), json.dumps(dict(note, parents=parents))):
            assert _deep_note_root(data.encode()) is None, data


def test_a_pipe_or_a_device_chosen_as_the_library_is_named_for_what_it_is(tmp_path):
    """A FIFO, or a link to /dev/zero, given as the library was said not to
    exist: it is there, and neither a folder nor a file. Never opened."""
    os.mkfifo(tmp_path / "12dzxVk3Q8-2021-03-14T09:26:53.512Z.zip")
    (tmp_path / "zero.zip").symlink_to("/dev/zero")
    with pytest.raises(SourceError, match=r"12dzxVk3Q8-2021-03-14T09:26:53\.512Z\.zip is a pipe \(FIFO\), not a "
                                          "folder or a regular file"):
        open_source(tmp_path / "12dzxVk3Q8-2021-03-14T09:26:53.512Z.zip")
    with pytest.raises(SourceError, match=r"zero\.zip is a device, not a folder or a regular file"):
        open_source(tmp_path / "zero.zip")
