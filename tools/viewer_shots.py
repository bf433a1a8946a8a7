"""The "open at p. N" screenshots of tools/screenshots.py.

Adds a 12-page PDF (tools/pdf_maker.py) to the library's stash with a card
on a two-line highlight on page 7, syncs, shows the card's answer in the
reviewer (docs/open-at-page.png: the control in the context line; also
night mode in a 400 px window, docs/open-at-page-night-400.png), clicks
the control in the reviewer's web view and grabs the add-on's window
(docs/document-window.png).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any, Dict, List

import pdf_maker

FP = "1ShotsPdfDocument00001"
HL = "1ShotsHl7"
TITLE = "Make It Stick: The Science of Successful Learning"
PX = 96 / 72  # Polar's scale-1 pixels per PDF point


def _rect(line: int, width_pt: float) -> Dict[str, float]:
    # pdf_maker's text lines: x = 72 pt, y = 170 + 20 * line pt, 18 pt high.
    return {"left": 70 * PX, "top": (170 + 20 * line) * PX, "width": width_pt * PX, "height": 18 * PX}


def write_document(library: Path) -> None:
    pages = {str(n): {"pageInfo": {"num": n}, "textHighlights": {}, "areaHighlights": {}, "comments": {},
                      "flashcards": {}, "notes": {}, "questions": {}, "pagemarks": {}} for n in range(1, 13)}
    pages["7"]["textHighlights"][HL] = {
        "id": HL, "guid": HL, "created": "2020-03-01T10:00:00.000Z", "color": "yellow",
        "text": {"TEXT": "Every successful recall pushes the next review further out."},
        "rects": {"0": _rect(8, 472), "1": _rect(9, 300)},
    }
    pages["7"]["flashcards"]["1ShotsCard7"] = {
        "id": "1ShotsCard7", "guid": "1ShotsCard7", "created": "2020-03-01T10:01:00.000Z",
        "lastUpdated": "2020-03-01T10:01:00.000Z", "type": "BASIC_FRONT_BACK",
        "archetype": "9d146db1-7c31-4bcf-866b-7b485c4e50ea", "ref": f"text-highlight:{HL}",
        "fields": {"front": {"HTML": "<p>What does each successful recall do to the next review?</p>"},
                   "back": {"HTML": "<p>It pushes it further out.</p>"}},
    }
    meta = {"annotationInfo": {}, "version": 2, "attachments": {}, "pageMetas": pages, "docInfo": {
        "fingerprint": FP, "title": TITLE, "filename": f"{FP[:10]}-make-it-stick.pdf", "tags": {},
        "nrPages": 12, "added": "2020-03-01T09:00:00.000Z", "lastUpdated": "2020-03-01T10:01:00.000Z",
        "archived": False, "flagged": False, "attachments": {}, "backend": "stash"}}
    (library / FP).mkdir(parents=True, exist_ok=True)
    (library / FP / "state.json").write_text(json.dumps(meta), encoding="utf-8")


def write_pdf(library: Path) -> None:
    """Once Anki runs (QPdfWriter needs its application)."""
    pdf_maker.write_pdf(library / "stash" / f"{FP[:10]}-make-it-stick.pdf", 12, title=TITLE)


def _js(session: Any, script: str) -> Any:
    box: Dict[str, Any] = {}
    session.mw.reviewer.web.evalWithCallback(script, lambda value: box.__setitem__("v", value))
    session.wait_until(lambda: "v" in box, 10, "the reviewer's page")
    return box["v"]


def _until_js(session: Any, script: str) -> None:
    end = time.monotonic() + 30
    while not _js(session, script):
        if time.monotonic() > end:
            raise TimeoutError(script)
        session.process(0.05)


def grab(session: Any, library: Path, docs: Path) -> List[Path]:
    """Sync the document in, then the two PNGs. Light theme, English."""
    write_pdf(library)
    mw = session.mw
    controller = session.controller
    before = controller.runner.finished_count
    next(a for a in mw.form.menuTools.actions() if a.text() == "Sync from Polar").trigger()
    session.wait_until(lambda: controller.runner.finished_count > before and not controller.runner.busy, 30,
                       "the sync")
    col = mw.col
    cid = col.find_cards('"front:*successful recall do*"')[0]
    col.decks.select(col.get_card(cid).did)
    mw.resize(900, 640)
    mw.moveToState("review")
    _until_js(session, "typeof _showQuestion === 'function' && !!document.getElementById('qa')")
    reviewer = mw.reviewer
    reviewer.card = col.get_card(cid)
    reviewer._showQuestion()
    reviewer._showAnswer()
    _until_js(session, "!!document.querySelector('.polar-open') && "
                       "getComputedStyle(document.getElementById('qa')).opacity === '1'")
    session.process(0.5)
    answer = docs / "open-at-page.png"
    reviewer.web.grab().save(str(answer))
    narrow = _night_narrow(session, docs / "open-at-page-night-400.png")

    _js(session, "document.querySelector('.polar-open').click(); true")
    links = controller.source_links
    session.wait_until(lambda: links.window is not None and links.window.isVisible(), 10, "the window")
    window = links.window
    window.resize(680, 860)
    session.wait_rendered(window)  # page 7 drawn for this width (on Qt PDF's thread)
    assert window.rendered_page == 7 and len(window.view.mark_rects()) == 2
    shot = docs / "document-window.png"
    window.grab().save(str(shot))
    window.close()
    mw.moveToState("deckBrowser")
    return [answer, narrow, shot]


def _night_narrow(session: Any, out: Path) -> Path:
    """The same answer in night mode in a 400 px window (the link wraps)."""
    from aqt.theme import Theme

    mw = session.mw
    reviewer = mw.reviewer
    mw.set_theme(Theme.DARK)
    mw.resize(400, 640)
    session.process(0.3)
    reviewer._showQuestion()
    reviewer._showAnswer()
    _until_js(session, "!!document.querySelector('.polar-open') && document.body.classList.contains('nightMode')"
                       " && getComputedStyle(document.getElementById('qa')).opacity === '1'")
    session.process(0.5)
    reviewer.web.grab().save(str(out))
    mw.set_theme(Theme.LIGHT)
    mw.resize(900, 640)
    reviewer._showQuestion()
    reviewer._showAnswer()
    _until_js(session, "!!document.querySelector('.polar-open') && !document.body.classList.contains('nightMode')")
    return out
