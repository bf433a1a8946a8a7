"""Run by test_in_anki_neighbours.py in a process of its own (Qt allows one
Anki per process): real Anki with Polar Sync installed from the built
.ankiaddon **beside other add-ons**, as a person runs it (5-20 add-ons).
The neighbours are real add-ons, folders in ``addons21`` that Anki's own
loader loads in folder-name order, before and after ``polar_sync``:

* ``0_neigh_before``: appends its own line to every card it shows, answers
  its own ``pycmd`` ("nb-before:"), adds a Tools entry and a reviewer key
  (Shift+P), puts a line in the reviewer's page (``webview_will_set_content``),
  and, when told, raises in ``operation_did_execute`` once (our sync's end);
* ``zy_neigh_raiser``: raises in ``card_will_show`` for the first Polar answer and
  for its own ``pycmd`` ("nb-raise") (Anki then drops that hook);
* ``zz_neigh_after``: wraps every card in its own div, answers "nb-after:",
  a Tools entry, runs a CollectionOp of its own at profile open (while the
  startup sync runs), tags the notes other operations changed from
  ``operation_did_execute`` (the plain collection API, as tagging add-ons do),
  and, while told to, calls ``mw.reset()`` / ``mw.moveToState`` on a timer;
* the real "Edit Field During Review (Cloze)" (BlueGreenMagick, AnkiWeb
  385888438) when its source is given: ``card_will_show``,
  ``webview_will_set_content`` and ``webview_did_receive_js_message`` of its own.

Anki's own stock note types share the Polar deck: an Image Occlusion note and
a "Basic (type in the answer)" note, studied in the same reviewer.

Usage: neighbours_driver.py BASE LIBRARY ADDON_FILE EFDRC_DIR|- RESULT_JSON
Writes {"facts": {...}, "log": [...]}.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import textwrap
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402
import pdf_maker  # noqa: E402

EFDRC_ID = "385888438"  # its AnkiWeb id, the folder name Anki gives it
FP = "1NeighbourPdfDoc000001"
HL = "1NeighbourHl1"
FRONT = "What do neighbours share?"

# What each neighbour records lands in ``sys.modules[name].SEEN`` (a list).
BEFORE = '''
from aqt import gui_hooks, mw
from aqt.qt import QAction

SEEN = []


def on_card(text, card, kind):
    SEEN.append(("card", kind))
    return text + '<div class="nb-before">before</div>'


def on_js(handled, message, context):
    if message.startswith("nb-before:"):
        SEEN.append(("js", message))
        return True, "before-answered"
    return handled


def on_shortcuts(state, shortcuts):
    if state == "review":
        shortcuts.append(("Shift+P", lambda: SEEN.append(("key", "Shift+P"))))


def on_content(content, context):
    if type(context).__name__ == "Reviewer":
        content.body += '<div id="nb-before-body"></div>'


RAISE_ON_OP = False  # the driver turns it on: the next operation's hook raises, once


def on_op(changes, handler):
    global RAISE_ON_OP
    if RAISE_ON_OP:
        RAISE_ON_OP = False
        SEEN.append(("op-raised", type(handler).__name__))
        raise RuntimeError("a neighbour's bug in operation_did_execute")


def on_menu():
    action = QAction("Neighbour Before", mw)
    action.triggered.connect(lambda: SEEN.append(("menu", "before")))
    mw.form.menuTools.addAction(action)


gui_hooks.card_will_show.append(on_card)
gui_hooks.webview_did_receive_js_message.append(on_js)
gui_hooks.state_shortcuts_will_change.append(on_shortcuts)
gui_hooks.webview_will_set_content.append(on_content)
gui_hooks.operation_did_execute.append(on_op)
on_menu()  # (at load, as most add-ons add theirs)
'''

RAISER = '''
from aqt import gui_hooks

SEEN = []


def on_card(text, card, kind):
    if kind == "reviewAnswer" and not SEEN and "polar" in card.note().tags:
        SEEN.append(("raised", kind))
        raise RuntimeError("a neighbour's bug in card_will_show")
    return text


def on_js(handled, message, context):
    if message == "nb-raise":
        SEEN.append(("raised", message))
        raise RuntimeError("a neighbour's bug in its pycmd")
    return handled


gui_hooks.card_will_show.append(on_card)
gui_hooks.webview_did_receive_js_message.append(on_js)
'''

AFTER = '''
from aqt import gui_hooks, mw
from aqt.operations import CollectionOp
from aqt.qt import QAction, QTimer

SEEN = []
RESETS = False  # the driver turns the reset storm on and off
OWN = object()


def on_card(text, card, kind):
    SEEN.append(("card", kind))
    return '<div class="nb-after-wrap">' + text + "</div>"


def on_js(handled, message, context):
    if message.startswith("nb-after:"):
        SEEN.append(("js", message))
        return True, "after-answered"
    return handled


def on_menu():
    for name in ("Neighbour After", "Neighbour After Too"):
        action = QAction(name, mw)
        action.triggered.connect(lambda _=False, n=name: SEEN.append(("menu", n)))
        mw.form.menuTools.addAction(action)


def own_op_at_open():
    def write(col):
        deck = col.decks.id("Neighbour")
        note = col.new_note(col.models.by_name("Basic"))
        note["Front"] = "the neighbour's own note"
        note["Back"] = "added at profile open"
        return col.add_note(note, deck)

    import sys

    polar = sys.modules.get("polar_sync.gui.setup")
    runner = polar.controller.runner if polar is not None and polar.controller is not None else None
    SEEN.append(("op", "started", bool(runner and (runner.busy or runner.pending))))
    CollectionOp(mw, write).success(lambda _: SEEN.append(("op", "done"))).failure(
        lambda err: SEEN.append(("op", "failed: %s" % err))).run_in_background(initiator=OWN)


def tag_changed(changes, handler):
    # A tagging add-on: the notes added since it last looked get its tag,
    # written with the plain collection API (no operation, no hook).
    if handler is OWN or mw.col is None or not getattr(changes, "note_text", False):
        return
    nids = mw.col.find_notes("added:1 -tag:nb::seen")
    if nids:
        mw.col.tags.bulk_add(nids, "nb::seen")
        SEEN.append(("tagged", len(nids)))


def storm():
    if RESETS and mw.col is not None:
        SEEN.append(("reset", mw.state))
        if len(SEEN) % 2:
            mw.reset()
        else:
            mw.moveToState("deckBrowser")


timer = QTimer(mw)
timer.timeout.connect(storm)
timer.start(40)

gui_hooks.card_will_show.append(on_card)
gui_hooks.webview_did_receive_js_message.append(on_js)
on_menu()  # (at load, as most add-ons add theirs)
gui_hooks.profile_did_open.append(own_op_at_open)
gui_hooks.operation_did_execute.append(tag_changed)
'''


def _write_library(library: Path) -> None:
    from tests.polar_factory import Doc, basic

    doc = Doc(library, FP, title="Good Fences", pages=4)
    doc.text_highlight(HL, "Good fences make good neighbours.", page=3)
    doc.card("1NeighC1", basic(f"<p>{FRONT}</p>", "<p>A fence.</p>"), ref=f"text-highlight:{HL}", page=3)
    doc.write()


def _neighbours(base: Path, efdrc: str) -> List[str]:
    addons = base / "addons21"
    names = []
    for name, source in (("0_neigh_before", BEFORE), ("zy_neigh_raiser", RAISER), ("zz_neigh_after", AFTER)):
        (addons / name).mkdir(parents=True)
        (addons / name / "__init__.py").write_text(textwrap.dedent(source), encoding="utf-8")
        names.append(name)
    if efdrc != "-":
        shutil.copytree(efdrc, addons / EFDRC_ID)
        # A person who has used it before: its config has its version (no
        # first-run tutorial window), and meta.json the version it was installed as.
        config = json.loads((addons / EFDRC_ID / "config.json").read_text(encoding="utf-8"))
        config["version"] = {"major": 6, "minor": 23}
        (addons / EFDRC_ID / "meta.json").write_text(json.dumps({"human_version": "6.23", "config": config}),
                                                     encoding="utf-8")
        names.append(EFDRC_ID)
    return names


def main(base: Path, library: Path, addon_file: Path, efdrc: str, result: Path) -> int:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    names = _neighbours(base, efdrc)
    _write_library(library)
    facts: Dict[str, Any] = {"neighbours": names}
    log: List[str] = []
    # Polar Sync in its folder before Anki starts, as on a person's computer:
    # Anki's loader then imports every add-on once, in folder-name order, ours
    # among them (the harness's install-after-start would load ours last).
    import zipfile

    ours = base / "addons21" / anki_harness.PACKAGE
    with zipfile.ZipFile(addon_file) as archive:
        archive.extractall(ours)
    config = json.loads((ours / "config.json").read_text(encoding="utf-8"))
    config.update(data_dir=str(library), sync_on_startup=True, watch=False)
    (ours / "meta.json").write_text(json.dumps({"config": config}), encoding="utf-8")
    os.environ["POLAR_SYNC_FORCE_GUI"] = "1"
    anki = anki_harness.start(base, None)
    mw = anki.mw
    from aqt import gui_hooks

    pdf_maker.write_pdf(library / "stash" / f"{FP}.pdf", 4, title="Good Fences")  # (Qt's painter: Anki's app up)

    before, raiser, after = (sys.modules[n] for n in ("0_neigh_before", "zy_neigh_raiser", "zz_neigh_after"))
    controller = anki.controller

    def js(script: str) -> Any:
        box: Dict[str, Any] = {}
        mw.reviewer.web.evalWithCallback(script, lambda value: box.__setitem__("v", value))
        anki.wait_for_page(lambda: "v" in box, 30, f"the reviewer to answer {script!r}")
        return box["v"]

    def synced(before_count: int) -> Dict[str, Any]:
        anki.wait_until(lambda: controller.runner.finished_count > before_count and not controller.runner.busy
                        and not controller.runner.pending, 120, "Sync from Polar")
        report = controller.last_outcome.report.to_dict()
        return {"created": report["created"], "updated": report["updated"], "errors": report["errors"],
                "codes": [w.get("code", "") for w in report["warnings"]]}

    def qa_has(text: str) -> Any:
        return js(f"document.getElementById('qa').innerHTML.indexOf({json.dumps(text)}) >= 0")

    def show_answer(cid: int, shows: str) -> None:
        col = mw.col
        col.decks.select(col.get_card(cid).did)
        mw.activateWindow()
        for _ in range(3):
            mw.moveToState("review")
            try:
                anki.wait_for_page(lambda: mw.state == "review" and js(
                    "typeof _showQuestion === 'function' && !!document.getElementById('qa')"), 20, "the reviewer")
                break
            except TimeoutError:
                pass
        reviewer = mw.reviewer
        reviewer.card = col.get_card(cid)
        reviewer._showQuestion()
        reviewer._showAnswer()
        anki.wait_for_page(lambda: qa_has(shows), 30, f"the answer showing {shows!r}")

    def step(name: str, fn: Callable[[], Any]) -> None:
        try:
            facts[name] = fn()
        except Exception as err:  # noqa: BLE001 - reported in the result
            import traceback

            log.append(f"{name}: {type(err).__name__}: {err}\n{traceback.format_exc()[-1500:]}")

    try:
        # -- the startup sync beside the neighbour's own CollectionOp at profile open
        def startup() -> Dict[str, Any]:
            anki.wait_until(lambda: controller.runner.finished_count >= 1 and not controller.runner.busy
                            and ("op", "done") in after.SEEN or any(s[0] == "op" and "failed" in s[1]
                                                                    for s in after.SEEN), 120, "both at start")
            report = controller.last_outcome.report.to_dict()
            col = mw.col
            return {"created": report["created"], "errors": report["errors"],
                    "op": [s for s in after.SEEN if s[0] == "op"],
                    "neighbour_note": len(col.find_notes('"deck:Neighbour"')),
                    "polar_notes": len(col.find_notes("tag:polar")),
                    "tagged": len(col.find_notes("tag:nb::seen")),
                    "menu": [a.text() for a in mw.form.menuTools.actions() if a.text()]}

        step("startup", startup)

        # -- Anki's stock note types in the Polar deck
        def stock() -> Dict[str, Any]:
            from aqt.qt import QColor, QImage

            col = mw.col
            cid = col.find_cards(f'"front:*{FRONT}*"')[0]
            did = col.get_card(cid).did
            image = base / "io.png"
            img = QImage(200, 120, QImage.Format.Format_RGB32)
            img.fill(QColor("white"))
            img.save(str(image))
            col.add_image_occlusion_notetype()
            io_type = col.models.by_name("Image Occlusion")
            col.decks.select(did)
            col.add_image_occlusion_note(io_type["id"], str(image),
                                         "{{c1::image-occlusion:rect:left=.1:top=.1:width=.3:height=.3:oi=1}}",
                                         "a header", "", [])
            io_cards = col.find_cards(f'"note:{io_type["name"]}"')
            col.set_deck(io_cards, did)
            typed = col.new_note(col.models.by_name("Basic (type in the answer)"))
            typed["Front"], typed["Back"] = "Type the neighbour's word", "fence"
            col.add_note(typed, did)
            return {"io_cards": list(io_cards), "typed_card": typed.card_ids()[0], "polar_card": cid}

        step("stock", stock)
        ids = facts.get("stock", {})

        # -- the reviewer: an IO answer, a typed answer, then ours, each neighbour's change kept
        def reviewer_pages() -> Dict[str, Any]:
            out: Dict[str, Any] = {}
            show_answer(ids["io_cards"][0], "image-occlusion")
            out["io"] = js("[document.querySelectorAll('.polar-open').length,"
                           " document.querySelectorAll('.nb-before').length,"
                           " document.querySelectorAll('.nb-after-wrap').length,"
                           " !!document.getElementById('image-occlusion-container')]")
            reviewer = mw.reviewer
            reviewer.card = mw.col.get_card(ids["typed_card"])
            reviewer._showQuestion()
            anki.wait_for_page(lambda: js("!!document.getElementById('typeans')"), 30, "the typing box")
            js("document.getElementById('typeans').value = 'fense'; true")
            reviewer._getTypedAnswer()
            anki.wait_for_page(lambda: reviewer.state == "answer" and qa_has("typeBad"), 30, "the typed answer")
            out["typed"] = js("[document.querySelectorAll('.polar-open').length,"
                              " document.querySelectorAll('#typeans, code#typeans, .typeBad, .typeGood').length,"
                              " document.querySelectorAll('.nb-before').length]")
            # Ours, after the IO and typed cards (the neighbour that raises: its first answer).
            reviewer.card = mw.col.get_card(ids["polar_card"])
            reviewer._showQuestion()
            try:
                reviewer._showAnswer()
                out["raised"] = False
            except RuntimeError as err:
                out["raised"] = str(err)
            reviewer._showQuestion()
            reviewer._showAnswer()
            anki.wait_for_page(lambda: qa_has("A fence.") and qa_has("polar-open"), 30, "our answer")
            out["ours"] = js("[document.querySelectorAll('.polar-source .polar-open').length,"
                             " document.querySelectorAll('.nb-before').length,"
                             " document.querySelectorAll('.nb-after-wrap').length,"
                             " !!document.getElementById('nb-before-body')]")
            out["order"] = [getattr(h, "__module__", "") for h in gui_hooks.card_will_show._hooks]
            out["efdrc_script"] = js("document.body.innerHTML.indexOf('EFDRC.serveCard()') >= 0")
            keys = [k for k, _ in _review_shortcuts(mw)]
            out["keys"] = {k: keys.count(k) for k in ("Shift+O", "Shift+P", "Enter", "Return", " ")}
            return out

        step("reviewer", reviewer_pages)

        # -- pycmds: each add-on answers its own, ours still opens after a neighbour raised in its own
        def messages() -> Dict[str, Any]:
            out: Dict[str, Any] = {}
            reviewer = mw.reviewer
            for msg in ("nb-before:hi", "nb-after:hi"):
                out[msg] = list(gui_hooks.webview_did_receive_js_message((False, None), msg, reviewer))
            try:
                gui_hooks.webview_did_receive_js_message((False, None), "nb-raise", reviewer)
                out["raise"] = False
            except RuntimeError:
                out["raise"] = True
            out["unknown"] = list(gui_hooks.webview_did_receive_js_message((False, "x"), "someone-else", reviewer))
            out["page_pycmds"] = js("pycmd('nb-after:from-page'); pycmd('nb-before:from-page'); true")
            anki.wait_for_page(lambda: ("js", "nb-after:from-page") in after.SEEN
                               and ("js", "nb-before:from-page") in before.SEEN, 30, "the neighbours' pycmds")
            links = controller.source_links
            js("document.querySelector('.polar-open').click(); true")
            anki.wait_until(lambda: links.window is not None and links.window.isVisible(), 60,
                            "the document window")
            anki.wait_rendered(links.window)
            out["opened_page"] = links.window.current_page
            links.window.close()
            out["hooks_left"] = {
                "card_will_show": [getattr(h, "__module__", "") for h in gui_hooks.card_will_show._hooks],
                "js": [getattr(h, "__module__", "") for h in gui_hooks.webview_did_receive_js_message._hooks]}
            return out

        step("messages", messages)

        # -- the edit-during-review neighbour's own reload of the answer keeps our control
        def efdrc_reload() -> Any:
            if efdrc == "-":
                return None
            handled = gui_hooks.webview_did_receive_js_message((False, None), "EFDRC!reload", mw.reviewer)
            anki.wait_for_page(lambda: qa_has("A fence."), 30, "the reloaded answer")
            return {"handled": list(handled), "controls": js("document.querySelectorAll('.polar-open').length")}

        step("efdrc", efdrc_reload)

        # -- a Polar answer edited in the reviewer with Edit Field During Review's own page code
        def efdrc_edit() -> Any:
            if efdrc == "-":
                return None
            import base64
            import re

            col = mw.col
            cid = ids["polar_card"]
            note = col.get_card(cid).note()
            model = note.note_type()
            for tmpl in model["tmpls"]:  # what its Fields tab does to the type ("Back" ticked)
                tmpl["afmt"] = re.sub(r"{{((?:(?!edit:)[^#/:}]+:)*Back)}}", r"{{edit:\1}}", tmpl["afmt"])
            col.models.update_dict(model)
            show_answer(cid, "A fence.")
            field = base64.b64encode(b"Back").decode("ascii")
            anki.wait_for_page(lambda: js(f"!!document.querySelector('[data-efdrcfield=\"{field}\"]')"), 30,
                               "the editable field")
            controls = js("document.querySelectorAll('[data-efdrcfield] .polar-source .polar-open').length")
            if os.environ.get("POLAR_SYNC_SHOTS"):  # a folder: the answer as a person sees it, to look at
                shots = Path(os.environ["POLAR_SYNC_SHOTS"])
                shots.mkdir(parents=True, exist_ok=True)
                mw.resize(900, 640)
                anki.wait_for_page(lambda: js("document.readyState === 'complete'"), 30, "the page")
                anki.process(1.0)
                mw.grab().save(str(shots / "answer-beside-neighbours.png"))
            before_mod = note.mod
            js(f"pycmd('EFDRC!focuson#{field}'); true")  # (as its focus handler asks: the raw field comes)
            anki.wait_for_page(lambda: js(f"document.querySelector('[data-efdrcfield=\"{field}\"]')"
                                          ".hasAttribute('data-efdrcnid')"), 30, "the raw field")
            js(f"(function(){{var el=document.querySelector('[data-efdrcfield=\"{field}\"]');"
               "var p=el.querySelector('p');p.textContent='A fence, mended.';"
               "EFDRC.handleBlur(null, el);})(); true")
            anki.wait_until(lambda: col.get_note(note.id).mod != before_mod, 30, "the edit saved")
            saved = col.get_note(note.id)["Back"]
            out: Dict[str, Any] = {"saved": saved, "controls_in_editable_field": controls}
            for name in ("first", "second"):
                count = controller.runner.finished_count
                mw.moveToState("deckBrowser")
                for action in mw.form.menuTools.actions():
                    if action.text() == "Sync from Polar":
                        action.trigger()
                        break
                out[name] = synced(count)
                report = controller.last_outcome.report.to_dict()
                out[name]["conflicts"] = report.get("conflicts", [])
                out[name]["back"] = col.get_note(note.id)["Back"]
            return out

        step("efdrc_edit", efdrc_edit)

        # -- Sync from Polar while a neighbour resets the main window over and over, then again
        def syncs_in_a_storm() -> Dict[str, Any]:
            col = mw.col
            from tests.polar_factory import Doc, basic

            more = Doc(library, "1NeighbourSecondDoc01", title="More Fences", pages=2)
            for n in range(30):
                more.card(f"1NeighM{n:03d}", basic(f"<p>Fence question {n}?</p>", f"<p>{n}</p>"), page=1)
            more.write()
            mw.moveToState("deckBrowser")
            after.RESETS = True
            try:
                count = controller.runner.finished_count
                for action in mw.form.menuTools.actions():
                    if action.text() == "Sync from Polar":
                        action.trigger()
                        break
                first = synced(count)
                anki.process(0.5)
            finally:
                after.RESETS = False
            count = controller.runner.finished_count
            for action in mw.form.menuTools.actions():
                if action.text() == "Sync from Polar":
                    action.trigger()
                    break
            second = synced(count)
            return {"first": first, "second": second, "resets": sum(1 for s in after.SEEN if s[0] == "reset"),
                    "polar_notes": len(col.find_notes("tag:polar")),
                    "tagged_polar": len(col.find_notes("tag:polar tag:nb::seen")),
                    "state": mw.state}

        step("storm", syncs_in_a_storm)

        # -- a neighbour raising in operation_did_execute as our sync's operation ends
        def raised_after_our_op() -> Dict[str, Any]:
            from tests.polar_factory import Doc, basic

            doc = Doc(library, "1NeighbourThirdDoc001", title="Gates", pages=1)
            doc.card("1NeighG001", basic("<p>What opens a fence?</p>", "<p>A gate.</p>"), page=1)
            doc.write()
            mw.moveToState("deckBrowser")
            before.RAISE_ON_OP = True
            out: Dict[str, Any] = {"error_windows": []}
            # Anki's error window for the neighbour's exception, closed as a person
            # closes it: modal on 23.10 (``showText``), which would hold this driver.
            from aqt.qt import QApplication, QTimer

            closer = QTimer(mw)

            def close_modal() -> None:
                modal = QApplication.activeModalWidget()
                if modal is not None:
                    out["error_windows"].append(modal.windowTitle())
                    modal.close()

            closer.timeout.connect(close_modal)
            closer.start(100)
            for name in ("raised", "next"):
                count = controller.runner.finished_count
                for action in mw.form.menuTools.actions():
                    if action.text() == "Sync from Polar":
                        action.trigger()
                        break
                out[name] = synced(count)
                anki.process(0.3)
                doc.card(f"1NeighG00{len(out) + 1}", basic(f"<p>Gate {len(out)}?</p>", "<p>Yes.</p>"), page=1)
                doc.write()
            closer.stop()
            out["op_raised"] = [s for s in before.SEEN if s[0] == "op-raised"]
            out["hook_dropped"] = "0_neigh_before" not in [getattr(h, "__module__", "")
                                                          for h in gui_hooks.operation_did_execute._hooks]
            out["runner_idle"] = not controller.runner.busy and not controller.runner.pending
            return out

        step("op_raise", raised_after_our_op)
        facts["seen"] = {"before": before.SEEN[-20:], "after": [s for s in after.SEEN if s[0] != "reset"][-20:],
                         "raiser": raiser.SEEN}
    except Exception as err:  # noqa: BLE001 - reported in the result
        log.append(f"{type(err).__name__}: {err}")
    finally:
        result.write_text(json.dumps({"facts": facts, "log": log}, indent=1, default=str), encoding="utf-8")
        anki_harness.shutdown(anki)
    return 0


def _review_shortcuts(mw: Any) -> List[Any]:
    """The reviewer's keys as Anki sets them when it enters review: its own,
    then every add-on's (``state_shortcuts_will_change``)."""
    from aqt import gui_hooks

    shortcuts = list(mw.reviewer._shortcutKeys())
    gui_hooks.state_shortcuts_will_change("review", shortcuts)
    return shortcuts


if __name__ == "__main__":
    a = sys.argv[1:]
    sys.exit(main(Path(a[0]), Path(a[1]), Path(a[2]), a[3], Path(a[4])))
