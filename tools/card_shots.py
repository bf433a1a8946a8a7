"""The reviewer screenshots of tools/screenshots.py: what a person studies.

Builds a small Polar library with one card of each kind that matters (basic
with a highlight, reversed from a web capture with a long tracked URL, cloze
on a real-size area highlight, basic with comments, basic with colour-coded
text as Polar's editor writes it), syncs it twice into a
running headless Anki (first with the stock note types, then the same
cards under new ids with ``use_stock_note_types: false``, so the own types),
and grabs Anki's main window in the reviewer, question and answer side by
side, in light and night mode, at 400 px wide.

Output: docs/cards/<kind>-<stock|own>-<light|night>.png; and, from a German
Anki whose collection the first sync wrote in German (own types, "S. N"),
docs/cards/<kind>-de-light.png.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Tuple

from polar_files import ARCHETYPES, empty_page, tag_map

WIDTH, HEIGHT = 400, 720
AREA_IMAGE = "1ShotAreaImgDDIAfig51"
# Each shot: kind name -> (card type, which card of the note to show).
KINDS: Dict[str, Tuple[str, int]] = {
    "basic": ("BASIC_FRONT_BACK", 0),
    "reversed": ("BASIC_FRONT_BACK_AND_REVERSE", 1),  # card 2: Back is the question
    "cloze-image": ("CLOZE", 0),
    "comments": ("BASIC_FRONT_BACK", 0),
    "colours": ("BASIC_FRONT_BACK", 0),
    "long-code": ("BASIC_FRONT_BACK", 0),  # a long highlight, code in the answer
    "rtl-cjk": ("BASIC_FRONT_BACK", 0),  # Hebrew title and highlight, Arabic comment, Japanese answer
}
LONG_URL = (
    "https://www.nature.com/articles/s41586-020-2649-2?utm_source=newsletter&utm_medium=email"
    "&utm_campaign=weekly-digest-2020-10&utm_content=article-3&fbclid=IwAR2xq0Zf9Lr8kVYb3nT5pQe"
)


def _hl(hid: str, text: str, top: float, color: str = "yellow") -> Dict[str, Any]:
    return {
        "id": hid, "guid": hid, "created": "2021-03-01T10:00:00.000Z", "lastUpdated": "2021-03-01T10:00:00.000Z",
        "rects": {"0": {"left": 96.0, "top": top, "right": 700.0, "bottom": top + 16, "width": 604.0, "height": 16.0}},
        "text": {"TEXT": text}, "color": color, "flashcards": {}, "notes": {}, "questions": {}, "images": {},
    }


def _card(cid: str, ctype: str, fields: Dict[str, Any], ref: str) -> Dict[str, Any]:
    return {"id": cid, "guid": cid, "created": "2021-03-01T10:01:00.000Z", "lastUpdated": "2021-03-01T10:01:00.000Z",
            "type": ctype, "fields": fields, "archetype": ARCHETYPES[ctype], "ref": ref}


def _comment(cid: str, html: str, ref: str, minute: int) -> Dict[str, Any]:
    when = f"2021-03-01T10:{minute:02d}:00.000Z"
    return {"id": cid, "guid": cid, "created": when, "lastUpdated": when, "content": {"HTML": html}, "ref": ref}


def _docs(prefix: str, deck: str) -> List[Tuple[str, Dict[str, Any], Dict[str, Any]]]:
    """(fingerprint, docInfo extras, pages) for each kind; ids made unique by ``prefix``."""
    docs = []
    # basic
    p = empty_page(20)
    p["textHighlights"][f"1{prefix}HlBasic"] = _hl(
        f"1{prefix}HlBasic",
        "System 1 operates automatically and quickly, with little or no effort\nand no sense of voluntary control.",
        212.0)
    p["flashcards"][f"1{prefix}CardBasic"] = _card(
        f"1{prefix}CardBasic", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>How does <b>System 1</b> operate?</p>"},
         "back": {"HTML": "<p>Automatically and quickly, with little or no effort.</p>"}},
        f"text-highlight:1{prefix}HlBasic")
    docs.append((f"1{prefix}DocBasic", {"title": "Thinking, Fast and Slow", "tags": [f"deck:{deck}::basic"]},
                 {"20": p}))
    # reversed, a web capture with a long tracked URL
    p = empty_page(1)
    p["textHighlights"][f"1{prefix}HlRev"] = _hl(
        f"1{prefix}HlRev",
        "The NumPy array is a data structure that efficiently stores and accesses multidimensional arrays "
        "(also known as tensors).", 300.0, "green")
    p["flashcards"][f"1{prefix}CardRev"] = _card(
        f"1{prefix}CardRev", "BASIC_FRONT_BACK_AND_REVERSE",
        {"front": {"HTML": "<p>NumPy's core data structure</p>"},
         "back": {"HTML": "<p>the <code>ndarray</code>: an n-dimensional array</p>"}},
        f"text-highlight:1{prefix}HlRev")
    docs.append((f"1{prefix}DocRev", {"title": "Array programming with NumPy", "url": LONG_URL,
                                      "tags": [f"deck:{deck}::reversed"]}, {"1": p}))
    # cloze on an area highlight with a real-size screenshot
    p = empty_page(142)
    p["pageInfo"]["dimensions"] = {"width": 816, "height": 1056}
    p["areaHighlights"][f"1{prefix}Area"] = {
        "id": f"1{prefix}Area", "guid": f"1{prefix}Area", "created": "2021-03-01T10:00:00.000Z",
        "lastUpdated": "2021-03-01T10:00:00.000Z",
        "rects": {"0": {"left": 8.0, "top": 30.0, "width": 84.0, "height": 32.0, "bottom": 100, "right": 100}},
        "position": {"x": 65.0, "y": 317.0, "width": 685.0, "height": 262.0},
        "image": {"id": AREA_IMAGE, "type": "image/png", "src": {"backend": "image", "name": f"{AREA_IMAGE}.png"},
                  "width": 1100, "height": 420, "rel": "screenshot"},
        "flashcards": {}, "notes": {}, "questions": {}, "images": {},
    }
    p["flashcards"][f"1{prefix}CardCloze"] = _card(
        f"1{prefix}CardCloze", "CLOZE",
        {"text": {"HTML": "<p>In leader-based replication, clients send writes to the {{c1::leader}}, "
                          "which streams them to its {{c2::followers}}.</p>"}},
        f"area-highlight:1{prefix}Area")
    docs.append((f"1{prefix}DocCloze", {"title": "Designing Data-Intensive Applications",
                                        "tags": [f"deck:{deck}::cloze-image"]}, {"142": p}))
    # basic with comments
    p = empty_page(37)
    hid = f"1{prefix}HlCmt"
    p["textHighlights"][hid] = _hl(
        hid, "Retrieval practice—recalling facts or concepts from memory—is a more effective learning "
             "strategy than review by rereading.", 540.0)
    p["comments"][f"1{prefix}Cmt1"] = _comment(
        f"1{prefix}Cmt1", "<p>Tried this with my Spanish vocabulary: it <i>works</i>.</p>", f"text-highlight:{hid}", 2)
    p["comments"][f"1{prefix}Cmt2"] = _comment(
        f"1{prefix}Cmt2", "<p>See also: the testing effect (Roediger &amp; Karpicke, 2006).</p>",
        f"text-highlight:{hid}", 3)
    p["flashcards"][f"1{prefix}CardCmt"] = _card(
        f"1{prefix}CardCmt", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>Why does retrieval practice beat rereading?</p>"},
         "back": {"HTML": "<p>Recalling strengthens the memory; rereading only builds familiarity.</p>"}},
        f"text-highlight:{hid}")
    docs.append((f"1{prefix}DocCmt", {"title": "Make It Stick", "tags": [f"deck:{deck}::comments"]}, {"37": p}))
    # colour-coded text, as Polar's editor (Summernote) writes it: <font color>, styled spans
    p = empty_page(12)
    hid = f"1{prefix}HlColour"
    p["textHighlights"][hid] = _hl(hid, "Oxidation is loss of electrons; reduction is gain of electrons.", 400.0)
    p["flashcards"][f"1{prefix}CardColour"] = _card(
        f"1{prefix}CardColour", "BASIC_FRONT_BACK",
        {"front": {"HTML": '<p>What happens to electrons in <font color="#000080">oxidation</font> and in '
                           '<span style="color: rgb(156, 0, 0);">reduction</span>?</p>'},
         "back": {"HTML": '<p><font color="#000080">Oxidation</font>: <span style="background-color: '
                          'rgb(255, 255, 0);">loss</span> of electrons.<br><span style="color: rgb(156, 0, 0);">'
                          'Reduction</span>: <span style="font-weight: bold;">gain</span> of electrons.</p>'
                          '<p><span style="color: rgb(0, 0, 0);">(OIL RIG, pasted from a web page)</span> '
                          '<span style="color: rgb(255, 0, 0);">red</span> '
                          '<font color="#397B21">green</font> <font color="#FFFF00">yellow</font></p>'}},
        f"text-highlight:{hid}")
    docs.append((f"1{prefix}DocColour", {"title": "Chemistry Basics", "tags": [f"deck:{deck}::colours"]},
                 {"12": p}))
    # a long highlight (a whole paragraph), a code block and a long identifier in the answer
    p = empty_page(211)
    hid = f"1{prefix}HlLong"
    p["textHighlights"][hid] = _hl(
        hid, "The kernel does not distinguish between processes and threads in the way many other operating "
             "systems do. Instead, a thread is merely a process that shares certain resources with other "
             "processes: the address space, open files, signal handlers and so on. Each thread has a unique "
             "task_struct and appears to the kernel as a normal process, which happens to share resources "
             "such as an address space with other processes. The clone() system call takes a set of flags "
             "that say which resources the parent and child will share: CLONE_VM, CLONE_FS, CLONE_FILES and "
             "CLONE_SIGHAND together give what the rest of the world calls a thread.", 120.0)
    p["flashcards"][f"1{prefix}CardLong"] = _card(
        f"1{prefix}CardLong", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>Which flags make <code>clone()</code> create a thread?</p>"},
         "back": {"HTML": "<pre><code>pid = clone(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND, 0);\n"
                          "if (pid == 0)\n    run();</code></pre>"
                          "<p>see <code>kernel/fork.c:copy_process_and_wake_up_new_task_if_permitted()</code></p>"}},
        f"text-highlight:{hid}")
    docs.append((f"1{prefix}DocLong", {"title": "Linux Kernel Development", "tags": [f"deck:{deck}::long-code"]},
                 {"211": p}))
    # right-to-left and CJK text
    p = empty_page(12)
    hid = f"1{prefix}HlRtl"
    p["textHighlights"][hid] = _hl(hid, "החזרה המרווחת מתזמנת כל חזרה רגע לפני שהזיכרון דועך (Ebbinghaus, 1885).",
                                   300.0)
    p["comments"][f"1{prefix}CmtRtl"] = _comment(
        f"1{prefix}CmtRtl", "<p>التكرار المتباعد يقوّي الذاكرة.</p>", f"text-highlight:{hid}", 4)
    p["flashcards"][f"1{prefix}CardRtl"] = _card(
        f"1{prefix}CardRtl", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>間隔反復はいつ復習を予定しますか？</p>"},
         "back": {"HTML": "<p>記憶が薄れる直前に。</p>"}},
        f"text-highlight:{hid}")
    docs.append((f"1{prefix}DocRtl", {"title": "מבוא לחזרה מרווחת", "tags": [f"deck:{deck}::rtl-cjk"]},
                 {"12": p}))
    return docs


def write_library(root: Path, prefix: str, deck: str) -> None:
    """Write the shot documents (ids starting with ``prefix``) into ``root``."""
    for fp, extra, pages in _docs(prefix, deck):
        info = {
            "fingerprint": fp, "title": extra["title"], "filename": f"{fp}.pdf", "tags": tag_map(extra["tags"]),
            "nrPages": 400, "added": "2021-03-01T09:00:00.000Z", "archived": False, "backend": "stash",
        }
        if "url" in extra:
            info["url"] = extra["url"]
            info["filename"] = f"{fp}.phz"
        meta = {"annotationInfo": {}, "version": 2, "attachments": {}, "docInfo": info, "pageMetas": pages}
        (root / fp).mkdir(parents=True, exist_ok=True)
        (root / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")
    images = root / "files" / "image"
    images.mkdir(parents=True, exist_ok=True)
    if not (images / f"{AREA_IMAGE}.png").exists():
        (images / f"{AREA_IMAGE}.png").write_bytes(area_image())


def area_image() -> bytes:
    """A 1100x420 crop of a book page, as Polar's area highlight saves it:
    white paper, a figure with boxes and arrows, a caption."""
    from aqt.qt import QBuffer, QColor, QFont, QImage, QIODevice, QPainter, QPen, QPoint, QRect, Qt

    image = QImage(1100, 420, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(40, 40, 40))
    pen.setWidth(3)
    p.setPen(pen)
    font = QFont("DejaVu Sans", 22)
    p.setFont(font)
    boxes = {"Client": QRect(40, 150, 200, 90), "Leader": QRect(420, 150, 220, 90),
             "Follower 1": QRect(820, 60, 240, 90), "Follower 2": QRect(820, 240, 240, 90)}
    for label, rect in boxes.items():
        p.setBrush(QColor(235, 240, 248) if label != "Leader" else QColor(255, 236, 179))
        p.drawRoundedRect(rect, 12, 12)
        p.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def arrow(a: QPoint, b: QPoint) -> None:
        p.drawLine(a, b)
        p.setBrush(QColor(40, 40, 40))
        dx, dy = b.x() - a.x(), b.y() - a.y()
        length = max((dx * dx + dy * dy) ** 0.5, 1)
        ux, uy = dx / length, dy / length
        left = QPoint(int(b.x() - 18 * ux + 9 * uy), int(b.y() - 18 * uy - 9 * ux))
        right = QPoint(int(b.x() - 18 * ux - 9 * uy), int(b.y() - 18 * uy + 9 * ux))
        p.drawPolygon([b, left, right])

    arrow(QPoint(240, 195), QPoint(418, 195))
    arrow(QPoint(640, 180), QPoint(818, 110))
    arrow(QPoint(640, 210), QPoint(818, 282))
    p.setFont(QFont("DejaVu Sans", 16))
    p.drawText(QRect(250, 150, 170, 40), Qt.AlignmentFlag.AlignCenter, "write")
    p.drawText(QRect(600, 110, 200, 40), Qt.AlignmentFlag.AlignCenter, "replication log")
    caption = QFont("DejaVu Serif", 19)
    caption.setItalic(True)
    p.setFont(caption)
    p.drawText(QRect(0, 360, 1100, 40), Qt.AlignmentFlag.AlignCenter,
               "Figure 5-1. Leader-based (master–slave) replication.")
    p.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data())


_READY = "typeof _showQuestion === 'function' && !!document.getElementById('qa')"
_SHOWN = (
    "(function(){var qa=document.getElementById('qa');"
    "return !!qa && qa.innerHTML.length>0 && getComputedStyle(qa).opacity==='1'"
    " && Array.from(document.images).every(function(i){return i.complete;});})()"
)


def _wait_js(session: Any, script: str) -> None:
    """Until ``script`` is true in the reviewer's page."""
    web = session.mw.reviewer.web
    done: Dict[str, Any] = {}

    def ask() -> None:
        done.pop("ok", None)
        web.evalWithCallback(script, lambda ok: done.__setitem__("ok", ok))

    for _ in range(200):
        ask()
        session.wait_until(lambda: "ok" in done, 10, "the reviewer's page")
        if done["ok"]:
            session.process(0.4)  # one more paint after the fade
            return
        session.process(0.05)
    raise TimeoutError(f"the reviewer's page never satisfied {script}")


def _fit_bottom_bar(session: Any) -> None:
    """Anki sizes the bottom bar (Show Answer, ease buttons) to its page once
    that page has loaded; ask again now that it has."""
    bottom = session.mw.bottomWeb
    for _ in range(50):
        bottom.adjustHeightToFit()
        session.process(0.1)
        if bottom.height() > 20:
            session.process(0.2)
            return
    print("note: the reviewer's bottom bar did not lay out; shot without it")


def _grab_window(mw: Any) -> Any:
    """The main window as shown. Offscreen, a grab of the window leaves the
    bottom bar's web view blank, so that one is grabbed and drawn in itself."""
    from aqt.qt import QPainter, QPoint

    image = mw.grab().toImage()
    bottom = mw.bottomWeb
    painter = QPainter(image)
    painter.drawImage(bottom.mapTo(mw, QPoint(0, 0)), bottom.grab().toImage())
    painter.end()
    return image


def _side_by_side(question: Any, answer: Any) -> Any:
    from aqt.qt import QColor, QImage, QPainter

    gap = 12
    out = QImage(question.width() + gap + answer.width(), max(question.height(), answer.height()),
                 QImage.Format.Format_RGB32)
    out.fill(QColor(128, 128, 128))
    p = QPainter(out)
    p.drawImage(0, 0, question)
    p.drawImage(question.width() + gap, 0, answer)
    p.end()
    return out


def show_card(session: Any, cid: int) -> Tuple[Any, Any, str, str]:
    """The card in the reviewer: (question image, answer image, question
    HTML, answer HTML) of Anki's main window as it is sized now."""
    mw = session.mw
    col = mw.col
    card = col.get_card(cid)
    col.decks.select(card.current_deck_id() if hasattr(card, "current_deck_id") else card.did)
    mw.moveToState("review")
    session.process(0.3)
    reviewer = mw.reviewer
    _wait_js(session, _READY)  # the page's script has loaded
    reviewer.card = card
    reviewer._showQuestion()
    _wait_js(session, _SHOWN)
    _fit_bottom_bar(session)
    question = _grab_window(mw)
    question_html = _js_value(session, "document.getElementById('qa').innerHTML")
    reviewer.web.eval("window.polarShotQuestion = document.getElementById('qa').innerHTML;")
    reviewer._showAnswer()
    _wait_js(session, f"({_SHOWN}) && document.getElementById('qa').innerHTML !== window.polarShotQuestion")
    _fit_bottom_bar(session)
    answer = _grab_window(mw)
    answer_html = _js_value(session, "document.getElementById('qa').innerHTML")
    mw.moveToState("deckBrowser")
    session.process(0.2)
    return question, answer, question_html, answer_html


def _js_value(session: Any, script: str) -> str:
    box: Dict[str, Any] = {}
    session.mw.reviewer.web.evalWithCallback(script, lambda value: box.__setitem__("v", value))
    session.wait_until(lambda: "v" in box, 10, "the reviewer's page")
    return str(box["v"])


def grab_cards(session: Any, deck_root: str, variant: str, out: Path, night: bool = True) -> List[Path]:
    """Question | answer PNGs of each kind's card in ``deck_root``, light and night."""
    from aqt.theme import Theme

    mw = session.mw
    col = mw.col
    written = []
    mw.resize(WIDTH, HEIGHT)
    modes = (("light", Theme.LIGHT), ("night", Theme.DARK)) if night else (("light", Theme.LIGHT),)
    for mode, theme in modes:
        mw.set_theme(theme)
        session.process(0.3)
        for kind, (_ctype, ord_) in KINDS.items():
            did = col.decks.id_for_name(f"{deck_root}::{kind}")
            assert did is not None, f"no deck {deck_root}::{kind}"
            cids = sorted(col.find_cards(f"did:{did}"), key=lambda cid: col.get_card(cid).ord)
            question, answer, _, _ = show_card(session, cids[ord_])
            path = out / f"{kind}-{variant}-{mode}.png"
            _side_by_side(question, answer).save(str(path))
            written.append(path)
    mw.set_theme(Theme.LIGHT)
    return written
