"""From a synced note back to its document: the sync state's card row, the
DocMeta read again, the stash file; nothing when any of them is missing."""

from __future__ import annotations

import io
import sqlite3

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from addon.sync.origin import OriginFinder
from addon.sync.state import card_origin
from tests.polar_factory import Doc, basic


def _library(library):
    doc = Doc(library, "1OriginDoc00000000001", title="Origins", pages=9)
    doc.text_highlight("1OrHl", "the highlighted text", page=6)
    doc.page(6)["textHighlights"]["1OrHl"]["rects"] = {"0": {"left": 96, "top": 96, "width": 100, "height": 20}}
    doc.card("1OrCard", basic("<p>Q?</p>", "<p>A</p>"), ref="text-highlight:1OrHl", page=6)
    doc.card("1OrPage", basic("<p>Page?</p>", "<p>A</p>"), page=3)
    doc.write()
    return doc


def test_a_synced_card_leads_back_to_its_page_and_file(col, library, state_path):
    doc = _library(library)
    sync(col, Settings.from_dict({})[0], state_path, source_path=library)
    assert card_origin(state_path, guid_for("1OrCard")) == (doc.fp, "text-highlight:1OrHl")
    assert card_origin(state_path, "polar:unknown") is None

    finder = OriginFinder(library, state_path)
    assert finder.find(guid_for("1OrCard")) is None  # no PDF in stash/: nothing to open
    (library / "stash" / f"{doc.fp}.pdf").write_bytes(b"%PDF-1.4\n")
    origin = finder.find(guid_for("1OrCard"))
    assert origin is not None
    assert origin.original.path is not None and origin.original.path.name == f"{doc.fp}.pdf"
    assert origin.spot.page == 6 and len(origin.spot.rects) == 1
    page_card = finder.find(guid_for("1OrPage"))
    assert page_card is not None and page_card.spot.page == 3 and not page_card.spot.rects

    # Polar moves the highlight: the next look reads the changed file.
    doc.meta["pageMetas"]["6"]["textHighlights"]["1OrHl"]["rects"]["0"]["top"] = 500
    doc.write()
    origin = finder.find(guid_for("1OrCard"))
    assert origin is not None and origin.spot.rects[0][1] == 500


def test_a_file_gone_since_is_told_by_its_title_and_where_it_was_looked_for(col, library, state_path):
    """The answer offered "open at p. 6", then the PDF moved: a click must
    say so (the GUI's tooltip), not do nothing."""
    doc = _library(library)
    sync(col, Settings.from_dict({})[0], state_path, source_path=library)
    pdf = library / "stash" / f"{doc.fp}.pdf"
    pdf.parent.mkdir(exist_ok=True)
    pdf.write_bytes(b"%PDF-1.4\n")
    finder = OriginFinder(library, state_path)
    assert finder.find(guid_for("1OrCard")) is not None
    pdf.unlink()
    assert finder.find(guid_for("1OrCard")) is None
    title, where = finder.lost(guid_for("1OrCard"))
    assert title == "Origins" and where == str(library.resolve() / "stash" / f"{doc.fp}.pdf")
    assert finder.lost("polar:not-a-card") is None
    # A web capture has an address, not a file: nothing is missing.
    web = Doc(library, "1OriginWebDoc00000001", title="A page", pages=1)
    web.meta["docInfo"].update(filename="1OriginWeb.phz", url="notaurl")
    web.card("1OrWeb", basic("<p>Web?</p>", "<p>A</p>"), page=1)
    web.write()
    sync(col, Settings.from_dict({})[0], state_path, source_path=library)
    assert finder.find(guid_for("1OrWeb")) is None and finder.lost(guid_for("1OrWeb")) is None


def test_no_state_or_a_locked_state_is_simply_no_origin(library, tmp_path):
    assert card_origin(tmp_path / "none.sqlite", guid_for("x")) is None
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    assert card_origin(junk, guid_for("x")) is None
    # A sync writing the state holds its lock: showing a card does not wait for it.
    locked = tmp_path / "locked.sqlite"
    conn = sqlite3.connect(str(locked))
    conn.execute("CREATE TABLE cards (card_id, doc, guid, ref, orphaned)")
    conn.execute("INSERT INTO cards VALUES ('x', 'd', 'polar:x', 'page:1', 0)")
    conn.commit()
    assert card_origin(locked, "polar:x") == ("d", "page:1")
    conn.execute("BEGIN EXCLUSIVE")
    try:
        assert card_origin(locked, "polar:x") is None
    finally:
        conn.rollback()
        conn.close()


def test_a_library_that_appears_later_is_opened_then(col, tmp_path):
    library = tmp_path / "later"
    state_path = tmp_path / "state.sqlite"
    finder = OriginFinder(library, state_path)
    assert finder.source() is None  # not there (an unplugged drive, a folder not made yet)
    library.mkdir()
    doc = _library(library)
    sync(col, Settings.from_dict({})[0], state_path, source_path=library)
    (library / "stash").mkdir()
    (library / "stash" / f"{doc.fp}.pdf").write_bytes(b"%PDF-1.4\n")
    origin = finder.find(guid_for("1OrCard"))
    assert origin is not None and origin.spot.page == 6


def test_in_a_polar_export_the_body_is_found_from_what_the_sync_remembered(col, library, tmp_path):
    from addon.polar.body_cache import TAR_GZ, ZIP, BodyCache
    from tools.polar_export import library_metas, rezip, write_export

    doc = _library(library)
    pdf = b"%PDF-1.4\n" + b"x" * 3000 + b"\n%%EOF\n"

    def body(fingerprint, info):
        return (len(pdf), lambda: io.BytesIO(pdf)) if fingerprint == doc.fp else None

    export = write_export(tmp_path / "export.zip", library_metas(library), body=body)
    state_path = tmp_path / "export-state.sqlite"
    # Never read the archive to show a card: before a sync has read it there is nothing.
    assert OriginFinder(export, state_path).find(guid_for("1OrCard")) is None
    sync(col, Settings.from_dict({})[0], state_path, source_path=export)
    origin = OriginFinder(export, state_path).find(guid_for("1OrCard"))
    assert origin is not None and origin.spot.page == 6 and len(origin.spot.rects) == 1
    original = origin.original
    assert (original.archive, original.archive_kind, original.size) == (export, TAR_GZ, len(pdf))
    assert original.member.startswith("stash/") and original.member.endswith(".pdf") and original.path is None
    cache = BodyCache(tmp_path / "documents")
    assert cache.get(export, original.archive_kind, original.member, original.size, original.offset
                     ).read_bytes() == pdf

    # Unpacked and zipped again by the user: the same document from the zip.
    zipped = rezip(export, tmp_path / "rezipped.zip")
    sync(col, Settings.from_dict({})[0], state_path, source_path=zipped)
    origin = OriginFinder(zipped, state_path).find(guid_for("1OrCard"))
    assert origin is not None and origin.original.archive_kind == ZIP
    o = origin.original
    assert cache.get(zipped, o.archive_kind, o.member, o.size, o.offset).read_bytes() == pdf
