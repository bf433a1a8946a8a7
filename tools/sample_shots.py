#!/usr/bin/env python3
"""Every card of the real Polar samples, as a person studies it (`make screenshots`).

The library: the bundled sample library (tools/sample_library, what `make
demo` syncs) plus Polar's real DocMeta samples from ../shared/polar-samples
when that folder exists (read from there into a temp folder, never copied
into the project), with a PDF written for the Bigtable paper (so "open at
p. N" has a file), one sample document made an EPUB, and the Linux-kernel
sample's area-highlight image (the samples carry none) drawn at its size.

Sessions, each a fresh Anki in a subprocess:

* ``en``: English profile, the add-on installed: the stock Basic/Cloze.
* ``de``: German profile, the add-on installed: its own note types.
* ``bare-en`` / ``bare-de``: the collections those two made, opened by an
  Anki *without* the add-on (what AnkiDroid, AnkiMobile and AnkiWeb show:
  the stored card, no "open at p. N").

Each grabs every card of the collection in the reviewer, question | answer,
400 px wide, light and night: build/card-shots/<session>/<NN>-<card>-<mode>.png,
with the question's and answer's HTML beside them (.html). The ``en``
session also grabs the source viewer: the Bigtable card's answer with its
link and the document window at 400 px in light and night mode, the EPUB
card's answer and its book window (light and night, 400 px), and the answer
once the PDF is gone.

A few of them go into docs/cards/ (``DOCS_SHOTS``) for the README and the
dev notes. Usage: python tools/sample_shots.py [--session NAME --work DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anki_harness  # noqa: E402
import build_addon  # noqa: E402
import card_shots  # noqa: E402
import pdf_maker  # noqa: E402

ROOT = anki_harness.ROOT
SAMPLE = ROOT / "tools" / "sample_library"
REAL = ROOT.parent / "shared" / "polar-samples"
OUT = ROOT / "build" / "card-shots"
DOCS = ROOT / "docs" / "cards"
WIDTH, HEIGHT = 400, 720
# One of each file's documents (the DocAnnotationIndexManagerTest and
# MockIDocMetas files are versions of one document each: the last one).
REAL_FILES = (
    "bigtable_example_state.json",
    "exampleA_basic_flashcard.state.json",
    "exampleB_cloze_flashcard.state.json",
    "DocAnnotationIndexManagerTest.docMeta3.json",
    "MockIDocMetas.createWithTwoAreaHighlights.json",
)
BIGTABLE = "a2887850877ae33e1e66ea24f433e30f"
EPUB_DOC = "6a1f4e3c9b0d2e7f8a5c4b3d2e1f0a9b"  # exampleA, made an EPUB
AREA_DOC = "0c7d2b8e41f95a3e6d0b7c18a2f4e965"  # exampleB: a cloze on an area highlight
SESSIONS = ("en", "de", "bare-en", "bare-de")
# (session, shot name in build/card-shots/<session>/) -> name in docs/cards/
DOCS_SHOTS: Dict[str, str] = {}


def write_library(library: Path) -> None:
    shutil.copytree(SAMPLE, library)
    if not REAL.is_dir():
        print(f"note: {REAL} is absent; only the bundled sample library")
        return
    for name in REAL_FILES:
        meta = json.loads((REAL / name).read_text(encoding="utf-8"))
        fp = meta["docInfo"]["fingerprint"]
        if fp == AREA_DOC:
            # In once its image is drawn (write_files: Qt needs its application).
            (library.parent / "pending").mkdir(exist_ok=True)
            (library.parent / "pending" / "state.json").write_text(json.dumps(meta), encoding="utf-8")
            continue
        if fp == EPUB_DOC:
            meta["docInfo"]["filename"] = meta["docInfo"]["filename"].rsplit(".", 1)[0] + ".epub"
        (library / fp).mkdir(exist_ok=True)
        (library / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")


def _epub(meta: Dict[str, Any]) -> bytes:
    """An .epub of two sections, the first holding the document's highlights' words."""
    import html
    import io
    import zipfile

    words = [h["text"]["TEXT"] if isinstance(h.get("text"), dict) else str(h.get("text", ""))
             for page in meta.get("pageMetas", {}).values() for h in page.get("textHighlights", {}).values()]
    filler = "".join(f"<p>Paragraph {i} of the chapter, before the words the card was made from.</p>"
                     for i in range(1, 25))
    marked = "".join(f"<p>{html.escape(w)}, as the chapter says.</p>" for w in words if w)
    sections = {"s1.xhtml": f"<h1>Processes</h1>{filler}{marked}<p>The end of the chapter.</p>",
                "s2.xhtml": "<h1>Signals</h1><p>The next chapter.</p>"}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                   'container"><rootfiles><rootfile full-path="OEBPS/content.opf" '
                   'media-type="application/oebps-package+xml"/></rootfiles></container>')
        items = "".join(f'<item id="s{i}" href="{name}" media-type="application/xhtml+xml"/>'
                        for i, name in enumerate(sections))
        refs = "".join(f'<itemref idref="s{i}"/>' for i in range(len(sections)))
        z.writestr("OEBPS/content.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
                   f"<metadata/><manifest>{items}</manifest><spine>{refs}</spine></package>")
        for name, body in sections.items():
            z.writestr(f"OEBPS/{name}", '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/'
                       f'xhtml"><head><title/></head><body>{body}</body></html>')
    return buf.getvalue()


def write_files(library: Path) -> None:
    """The files the samples name but do not carry (needs Qt's application)."""
    from aqt.qt import QBuffer, QImage, QIODevice, Qt

    if not (library / BIGTABLE).exists():
        return
    pdf_maker.write_pdf(library / "stash" / "1ag3DiKsWi-bigtable.pdf", 14,
                        title="Bigtable: A Distributed Storage System for Structured Data")
    epub = json.loads((library / EPUB_DOC / "state.json").read_text(encoding="utf-8"))
    # A small real EPUB with the highlight's words in its first section: the
    # add-on's book window opens it there and marks them (gui/book_window.py).
    (library / "stash" / epub["docInfo"]["filename"]).write_bytes(_epub(epub))
    image = QImage()
    image.loadFromData(card_shots.area_image())
    scaled = image.scaled(571, 195, Qt.AspectRatioMode.IgnoreAspectRatio,
                          Qt.TransformationMode.SmoothTransformation)
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    scaled.save(buffer, "PNG")
    (library / "files" / "image" / "1fgJWGXVQGMekJe2zxRc.png").write_bytes(bytes(buffer.data()))
    (library / AREA_DOC).mkdir()
    (library.parent / "pending" / "state.json").rename(library / AREA_DOC / "state.json")


def _slug(text: str) -> str:
    text = re.sub(r"<[^>]+>|\{\{c\d+::|::[^}]*\}\}|\}\}|&\w+;|\\\(|\\\)", " ", text)
    words = re.findall(r"[A-Za-z0-9]+", text)[:4]
    return "-".join(w.lower() for w in words) or "card"


def card_list(col: Any) -> List[Any]:
    """(name, card id) of every card, in deck then note then card order."""
    cards = []
    for cid in col.find_cards(""):
        card = col.get_card(cid)
        note = card.note()
        cards.append((col.decks.name(card.did), note.id, card.ord, cid, note.fields[0]))
    cards.sort()
    return [(f"{n:02d}-{_slug(front)}-c{ord_ + 1}", cid) for n, (_, _, ord_, cid, front) in enumerate(cards, 1)]


def grab_all(session: anki_harness.Anki, out: Path) -> List[Path]:
    from aqt.theme import Theme

    mw = session.mw
    out.mkdir(parents=True, exist_ok=True)
    mw.resize(WIDTH, HEIGHT)
    written = []
    cards = card_list(mw.col)
    for mode, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
        mw.set_theme(theme)
        session.process(0.3)
        for name, cid in cards:
            question, answer, q_html, a_html = card_shots.show_card(session, cid)
            path = out / f"{name}-{mode}.png"
            card_shots._side_by_side(question, answer).save(str(path))
            if mode == "light":
                (out / f"{name}.html").write_text(
                    f"<!-- question -->\n{q_html}\n\n<!-- answer -->\n{a_html}\n", encoding="utf-8")
            written.append(path)
    mw.set_theme(Theme.LIGHT)
    return written


def _answer(session: anki_harness.Anki, cid: int, ready: str = card_shots._SHOWN) -> None:
    """The card's answer in the reviewer, until ``ready`` holds in its page."""
    mw = session.mw
    card = mw.col.get_card(cid)
    mw.col.decks.select(card.did)
    mw.moveToState("review")
    session.process(0.3)
    card_shots._wait_js(session, card_shots._READY)
    mw.reviewer.card = card
    mw.reviewer._showQuestion()
    mw.reviewer._showAnswer()
    card_shots._wait_js(session, ready)


def grab_viewer(session: anki_harness.Anki, library: Path, out: Path) -> List[Path]:
    """The source viewer from the Bigtable card; the EPUB card and its book window; the PDF gone."""
    from aqt.qt import QDesktopServices, QObject, QUrl, pyqtSlot
    from aqt.theme import Theme

    mw = session.mw
    col = mw.col
    links = session.controller.source_links
    written: List[Path] = []
    found = col.find_cards('"front:*bigtable to reduce complexity*"')
    if not found:
        return written
    cid = found[0]

    class Catcher(QObject):
        urls: List[str] = []

        @pyqtSlot(QUrl)
        def take(self, url: QUrl) -> None:
            self.urls.append(url.toString())

    catcher = Catcher()
    for scheme in ("file", "http", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "take")
    try:
        for mode, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
            mw.set_theme(theme)
            mw.resize(WIDTH, HEIGHT)
            session.process(0.3)
            _answer(session, cid, "!!document.querySelector('.polar-open')")
            mw.reviewer.web.eval("document.querySelector('.polar-open').click()")
            session.wait_until(lambda: links.window is not None and links.window.isVisible(), 20,
                               "the document window")
            window = links.window
            window.resize(WIDTH, 640)
            session.wait_rendered(window)  # drawn again for the new width, on Qt PDF's thread
            path = out / f"viewer-bigtable-{mode}-400.png"
            window.grab().save(str(path))
            written.append(path)
            window.resize(760, 900)
            session.wait_rendered(window)
            path = out / f"viewer-bigtable-{mode}.png"
            window.grab().save(str(path))
            written.append(path)
            window.close()
            mw.moveToState("deckBrowser")
            session.process(0.2)
        mw.set_theme(Theme.LIGHT)
        # The EPUB: the answer's control, then what a click does.
        epub = col.find_cards('"front:*replaces the current process image*"')
        if epub:
            question, answer, _, a_html = card_shots.show_card(session, epub[0])
            path = out / "viewer-epub-answer.png"
            answer.save(str(path))
            written.append(path)
            # A click opens the add-on's book window at the highlight's words
            # (gui/book_window.py), not the system's reader.
            for mode, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
                mw.set_theme(theme)
                mw.resize(WIDTH, HEIGHT)
                session.process(0.3)
                _answer(session, epub[0], "!!document.querySelector('.polar-open')")
                mw.reviewer.web.eval("document.querySelector('.polar-open').click()")
                session.wait_until(lambda: links.book_window is not None and links.book_window.isVisible(), 20,
                                   "the book window")
                book = links.book_window
                session.wait_until(lambda b=book: not b.loading and b.shown, 20, "the book's section")
                book.resize(WIDTH, 640)
                session.process(1.0)  # (laid out again for the new width, scrolled back to the mark)
                path = out / f"viewer-epub-{mode}-400.png"
                book.grab().save(str(path))
                written.append(path)
                book.close()
                mw.moveToState("deckBrowser")
                session.process(0.3)
            if catcher.urls:
                print("handed to the system:", catcher.urls)
            mw.set_theme(Theme.LIGHT)
        # The PDF moved away after the answer showed, then the answer again.
        _answer(session, cid, "!!document.querySelector('.polar-open')")
        pdf = library / "stash" / "1ag3DiKsWi-bigtable.pdf"
        moved = library / "bigtable-moved.pdf"
        pdf.rename(moved)
        mw.reviewer.web.eval("document.querySelector('.polar-open').click()")
        session.process(1.0)
        path = out / "viewer-moved-click.png"
        _with_tooltip(mw, card_shots._grab_window(mw)).save(str(path))
        written.append(path)
        print("after the click on a moved PDF: window", links.window is not None and links.window.isVisible())
        mw.moveToState("deckBrowser")
        session.process(0.3)
        question, answer, _, _ = card_shots.show_card(session, cid)
        path = out / "viewer-moved-answer.png"
        answer.save(str(path))
        written.append(path)
        moved.rename(pdf)
    finally:
        for scheme in ("file", "http", "https"):
            QDesktopServices.unsetUrlHandler(scheme)
    return written


def _with_tooltip(mw: Any, image: Any) -> Any:
    """Anki's tooltip is a window of its own: drawn into the shot where it shows."""
    from aqt import utils
    from aqt.qt import QPainter, QPoint

    label = utils._tooltipLabel
    if label is not None and label.isVisible():
        painter = QPainter(image)
        painter.drawImage(mw.mapFromGlobal(label.mapToGlobal(QPoint(0, 0))), label.grab().toImage())
        painter.end()
    return image


def run_session(name: str, work: Path) -> None:
    library = work / "polar"
    out = OUT / name
    shutil.rmtree(out, ignore_errors=True)
    anki_harness.prepare_environment(offscreen=True)
    lang = "de_DE" if name.endswith("de") else "en_US"
    base = work / f"base-{name}"
    anki_harness.seed_base(base, lang=lang)
    addon: Optional[Path] = anki_harness.DIST
    if name.startswith("bare-"):
        # The collection the add-on made, on a computer without the add-on.
        made = work / f"base-{name[5:]}" / anki_harness.PROFILE
        profile = base / anki_harness.PROFILE
        profile.mkdir(parents=True, exist_ok=True)
        for item in ("collection.anki2", "collection.media"):
            target = profile / item
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            copy = shutil.copytree if (made / item).is_dir() else shutil.copy2
            copy(made / item, target)
        addon = None
    session = anki_harness.start(base, addon_file=addon, config={"data_dir": str(library), "watch": False},
                                 event_loop_waits=True)
    written: List[Path] = []
    try:
        if addon is not None:
            controller = session.controller
            session.wait_until(lambda: controller.runner.finished_count >= 1 and not controller.runner.busy, 60,
                               "the startup sync")
            if name == "en":
                write_files(library)
                before = controller.runner.finished_count
                next(a for a in session.mw.form.menuTools.actions() if a.text() == "Sync from Polar").trigger()
                session.wait_until(lambda: controller.runner.finished_count > before and not controller.runner.busy,
                                   60, "the sync")
        written = grab_all(session, out)
        if name == "en":
            written += grab_viewer(session, library, out)
    finally:
        anki_harness.shutdown(session)
    print(f"{name}: wrote {len(written)} shots in {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", choices=SESSIONS)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    if args.session:
        run_session(args.session, args.work)
        return
    build_addon.build(anki_harness.DIST)
    work = Path(tempfile.mkdtemp(prefix="polar-sync-samples-"))
    try:
        write_library(work / "polar")
        for name in SESSIONS:
            subprocess.run([sys.executable, __file__, "--session", name, "--work", str(work)], check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
