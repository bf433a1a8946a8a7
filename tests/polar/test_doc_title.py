"""An untitled EPUB is named by its own ``dc:title`` (read from the stash
file inside the data directory only, once per file), not by its stash name."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from addon.polar import doc_title
from addon.polar.doc_title import epub_title, stash_title
from addon.polar.library import DataDirSource
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run

CONTAINER = ('<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
             '<rootfiles><rootfile full-path="{opf}" media-type="application/oebps-package+xml"/></rootfiles>'
             '</container>')
OPF = ('<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
       '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">{title}<dc:creator>A. Author</dc:creator>'
       '</metadata><manifest/><spine/></package>')


def make_epub(path: Path, title: str = '<dc:title id="t">The  Art of\n Memory &amp; Recall</dc:title>',
              opf: str = "OEBPS/content.opf") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml", CONTAINER.format(opf=opf))
        z.writestr(opf, OPF.format(title=title))
    return path


def test_the_title_of_an_epub(tmp_path):
    assert epub_title(str(make_epub(tmp_path / "a.epub"))) == "The Art of Memory & Recall"
    assert epub_title(str(make_epub(tmp_path / "b.epub", "<title>Plain</title>", "content.opf"))) == "Plain"
    assert epub_title(str(make_epub(tmp_path / "c.epub", "<dc:title/>"))) is None
    assert epub_title(str(make_epub(tmp_path / "d.epub", "<dc:title>  </dc:title>"))) is None
    (tmp_path / "e.epub").write_bytes(b"PK\x03\x04 not really a zip")
    assert epub_title(str(tmp_path / "e.epub")) is None
    assert epub_title(str(tmp_path / "missing.epub")) is None


def test_a_hostile_epub_expands_nothing(tmp_path):
    laughs = ('<!DOCTYPE p [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              '<dc:title>&b;&b;&b;</dc:title>')
    assert epub_title(str(make_epub(tmp_path / "x.epub", laughs))) == "&b;&b;&b;"
    with zipfile.ZipFile(tmp_path / "big.epub", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/container.xml", CONTAINER.format(opf="c.opf"))
        z.writestr("c.opf", "<dc:title>" + " " * (doc_title.MAX_XML_BYTES + 1) + "x</dc:title>")
    assert epub_title(str(tmp_path / "big.epub")) is None  # not read past the bound


def library_with_untitled_epub(root: Path, name: str = "1aBcDeFgHi-the_art.epub") -> Doc:
    doc = Doc(root, "1EpubDoc000000000001", title="")
    doc.meta["docInfo"]["filename"] = name
    doc.text_highlight("1EpubHl001", "what is remembered", page=3)
    doc.card("1EpubCard1", basic("<p>Question?</p>", "<p>Answer</p>"), ref="text-highlight:1EpubHl001", page=3)
    doc.write()
    return doc


def test_an_untitled_epub_is_named_by_its_title_on_cards_and_in_the_report(tmp_path, col):
    root = tmp_path / "polar"
    library_with_untitled_epub(root)
    make_epub(root / "stash" / "1aBcDeFgHi-the_art.epub")
    report = run(col, root, tmp_path / "state.sqlite", deck_strategy="document")
    assert report.created == 1 and not report.errors
    note = col.get_note(col.find_notes("")[0])
    assert "The Art of Memory &amp; Recall" in note["Back"] and "1aBcDeFgHi" not in note["Back"]
    assert report.titles["1EpubDoc000000000001"] == "The Art of Memory & Recall"
    assert col.decks.name(col.get_note(note.id).cards()[0].did) == "Polar::The Art of Memory & Recall"


def test_without_its_file_or_a_title_in_it_the_file_name_stays(tmp_path, col):
    root = tmp_path / "polar"
    library_with_untitled_epub(root)
    report = run(col, root, tmp_path / "state.sqlite")  # no file in the stash
    # The report names it by the file as imported (eyes9: not the stash's "1aBcDeFgHi-the_art.epub").
    assert report.titles["1EpubDoc000000000001"] == "the_art.epub" and not report.errors


def test_never_read_outside_the_data_directory(tmp_path):
    root = tmp_path / "polar"
    library_with_untitled_epub(root)
    outside = make_epub(tmp_path / "elsewhere" / "book.epub")
    (root / "stash").mkdir(parents=True, exist_ok=True)
    os.symlink(outside, root / "stash" / "1aBcDeFgHi-the_art.epub")
    assert stash_title(DataDirSource(root), "1aBcDeFgHi-the_art.epub") == ""
    assert stash_title(DataDirSource(root), "../elsewhere/book.epub") == ""


def test_titled_documents_and_pdfs_never_open_a_file(tmp_path, col, monkeypatch):
    """Off the first sync's path: a document with a title (nearly all) costs
    nothing, an untitled EPUB one read of its file, however often it is parsed."""
    root = tmp_path / "polar"
    titled = Doc(root, "1Titled00000000000001", title="Has a title")
    titled.meta["docInfo"]["filename"] = "1zzzzzzzzz-titled.epub"
    titled.card("1TitledC01", basic("<p>T?</p>", "<p>t</p>"))
    titled.write()
    make_epub(root / "stash" / "1zzzzzzzzz-titled.epub")
    pdf = Doc(root, "1Pdf0000000000000001", title="")
    pdf.card("1PdfCard01", basic("<p>P?</p>", "<p>p</p>"))
    pdf.write()
    (root / "stash" / f"{pdf.fp}.pdf").write_bytes(b"%PDF-1.4\n")
    library_with_untitled_epub(root)
    make_epub(root / "stash" / "1aBcDeFgHi-the_art.epub")
    opened = []
    real = doc_title.epub_title
    monkeypatch.setattr(doc_title, "epub_title", lambda path: opened.append(path) or real(path))
    monkeypatch.setattr(doc_title, "_known", {})
    run(col, root, tmp_path / "state.sqlite")
    assert [Path(p).name for p in opened] == ["1aBcDeFgHi-the_art.epub"]
    assert doc_title.stash_title(DataDirSource(root), "1aBcDeFgHi-the_art.epub") == "The Art of Memory & Recall"
    assert len(opened) == 1  # remembered


@pytest.mark.parametrize("name", ["book.EPUB", "book.epub"])
def test_the_suffix_in_any_case(tmp_path, name):
    root = tmp_path / "polar"
    make_epub(root / "stash" / name)
    assert stash_title(DataDirSource(root), name) == "The Art of Memory & Recall"


def test_a_document_is_known_by_its_imported_file_or_its_web_address():
    """What the report's tooltips show beside a title (eyes9), not Polar's key."""
    from addon.polar.docmeta import Document

    def doc(**kw):
        base = dict(fingerprint="1abc", title="T", filename="", url="", tags=(), archived=False, nr_pages=1,
                    flashcards=(), highlights={}, comments=())
        return Document(**{**base, **kw})

    assert doc(filename="1ag3DiKsWi-bigtable.pdf").known_as == "bigtable.pdf"
    assert doc(filename="my own name.pdf").known_as == "my own name.pdf"
    assert doc(filename="Assignment-3.pdf").known_as == "Assignment-3.pdf"  # no Polar id in front
    assert doc(filename="1aYMbsa64k-how.phz", url="https://howhttps.works/").known_as == "https://howhttps.works/"
    assert doc(filename="1aYMbsa64k-page.epub", url="https://x.org/", web_capture=True).known_as == "https://x.org/"
    assert doc(filename="1ag3DiKsWi-paper.pdf", url="https://arxiv.org/x.pdf").known_as == "paper.pdf"
    assert doc().known_as == ""


def test_a_file_saved_again_and_again_is_remembered_once(tmp_path, monkeypatch):
    """Anki open all day: an untitled EPUB written again (a new size or time
    each save) is remembered under its path once, with its latest title;
    the earlier versions' entries go."""
    root = tmp_path / "polar"
    monkeypatch.setattr(doc_title, "_known", {})
    book = root / "stash" / "1aBcDeFgHi-the_art.epub"
    for n in range(5):
        make_epub(book, f"<dc:title>Edition {n}</dc:title>")
        os.utime(book, ns=(10**18 + n, 10**18 + n))
        assert stash_title(DataDirSource(root), book.name) == f"Edition {n}"
    assert len(doc_title._known) == 1
