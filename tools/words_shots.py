"""Screenshots of what the add-on says, for tools/screenshots.py:

* ``before_break`` (on the sample library as synced): the settings window
  (docs/settings-window.png; 400 px in night mode:
  docs/settings-window-narrow-night.png; scrolled to "Removed in Polar" and
  "Deleted in Anki": docs/settings-window-deleted.png), a Preview listing the notes it would add and
  update (docs/report-preview.png), the message for a missing library
  (docs/library-missing.png; German at night, 400 px: docs/library-missing-de-night-400.png);
* ``after_report`` (with the report of a broken document and a conflict
  open): that report in night mode (docs/report-window-night.png), in a
  400 px window (docs/report-window-narrow.png), and the Tools menu and the
  report with Anki in German (docs/tools-menu-de.png, docs/report-window-de.png), the
  settings window in German at 400 px (docs/settings-window-de-narrow.png);
  the progress window of a large first sync while it adds notes, in English and
  in German at night (docs/progress-window.png, docs/progress-window-de-night.png);
  then a German reader's document with problems of every sort (an empty front,
  a cloze that hides nothing, two deck: tags, an image on the web, a missing
  area-highlight picture): the report in German (docs/report-window-de-problems.png).
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

Shot = Callable[[Any, Path], None]


def _new_document(library: Path) -> None:
    """A document Polar added since the last sync, and an edited card."""
    from polar_files import ARCHETYPES, empty_page

    fp = "1BirdsOfTheWorld0000e"
    meta: dict = {
        "annotationInfo": {}, "version": 2, "attachments": {},
        "docInfo": {"fingerprint": fp, "title": "Birds of the world", "filename": f"{fp}.pdf",
                    "tags": {"deck:Nature": {"id": "deck:Nature", "label": "deck:Nature"}}, "nrPages": 40,
                    "archived": False, "flagged": False, "added": "2020-05-01T09:00:00.000Z",
                    "lastUpdated": "2020-05-01T09:00:00.000Z", "attachments": {}, "backend": "stash"},
        "pageMetas": {str(n): empty_page(n) for n in (3, 12, 27)},
    }
    cards = (("1BirdA", 3, "Which bird dives the fastest?", "The peregrine falcon"),
             ("1BirdB", 12, "Which is the largest living bird?", "The ostrich"),
             ("1BirdC", 27, "Which bird is the smallest?", "The bee hummingbird"))
    for i, (cid, page, front, back) in enumerate(cards):
        stamp = f"2020-05-01T09:00:0{i}.000Z"
        meta["pageMetas"][str(page)]["flashcards"][cid] = {
            "id": cid, "guid": cid, "created": stamp, "lastUpdated": stamp, "type": "BASIC_FRONT_BACK",
            "fields": {"front": {"HTML": f"<p>{front}</p>"}, "back": {"HTML": f"<p>{back}</p>"}},
            "archetype": ARCHETYPES["BASIC_FRONT_BACK"], "ref": f"page:{page}", "tags": {},
        }
    (library / fp).mkdir()
    (library / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")
    # An edit in Polar of a card synced before: a preview lists it as updated.
    state = library / "1SpacedRepetitionIntro0a" / "state.json"
    text = state.read_text(encoding="utf-8")
    edited = text.replace("What is the <i>testing effect</i>?", "What is the <i>testing effect</i>, in one line?")
    assert edited != text, "the sample card to edit was not found"
    state.write_text(edited, encoding="utf-8")


def _problem_document(library: Path) -> None:
    """A German reader's document with what a report must put in words: two
    deck: tags, a card with an empty front, a cloze that hides nothing, an
    image on the web and an area highlight whose picture is missing."""
    from polar_files import ARCHETYPES, empty_page

    fp = "1VoegelEuropas000000d"
    meta: dict = {
        "annotationInfo": {}, "version": 2, "attachments": {},
        "docInfo": {"fingerprint": fp, "title": "Vögel Europas", "filename": f"{fp}.pdf",
                    "tags": {t: {"id": t, "label": t} for t in ("deck:Natur", "deck:Biologie")}, "nrPages": 90,
                    "archived": False, "flagged": False, "added": "2021-03-01T09:00:00.000Z",
                    "lastUpdated": "2021-03-01T09:00:00.000Z", "attachments": {}, "backend": "stash"},
        "pageMetas": {str(n): empty_page(n) for n in (5, 18, 42, 61)},
    }
    meta["pageMetas"]["61"]["areaHighlights"]["1VoegelArea"] = {
        "id": "1VoegelArea", "guid": "1VoegelArea", "created": "2021-03-01T09:00:09.000Z", "flashcards": {},
        "notes": {}, "rects": {"0": {"top": 10.0, "left": 10.0, "width": 50.0, "height": 20.0}},
        "image": {"id": "1VoegelKarte.png", "type": "image/png",
                  "src": {"backend": "image", "name": "1VoegelKarte.png"}},
    }
    web = '<img src="https://example.org/wanderfalke.jpg">'
    cards = (("1VoegelA", 5, "BASIC_FRONT_BACK", {"front": f"<p>Welcher Vogel taucht am schnellsten?</p>{web}",
                                                  "back": "<p>Der Wanderfalke</p>"}, "page:5"),
             ("1VoegelB", 18, "BASIC_FRONT_BACK", {"front": "<p></p>", "back": "<p>Der Strauß</p>"}, "page:18"),
             ("1VoegelC", 42, "CLOZE", {"text": "<p>Der Zaunkönig ist einer der kleinsten Vögel Europas.</p>"},
              "page:42"),
             ("1VoegelD", 61, "BASIC_FRONT_BACK", {"front": "<p>Wo brütet der Kranich?</p>",
                                                   "back": "<p>Im Norden</p>"}, "area-highlight:1VoegelArea"))
    for i, (cid, page, kind, fields, ref) in enumerate(cards):
        stamp = f"2021-03-01T09:00:0{i}.000Z"
        meta["pageMetas"][str(page)]["flashcards"][cid] = {
            "id": cid, "guid": cid, "created": stamp, "lastUpdated": stamp, "type": kind,
            "fields": {name: {"HTML": html} for name, html in fields.items()},
            "archetype": ARCHETYPES[kind], "ref": ref, "tags": {},
        }
    (library / fp).mkdir()
    (library / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")


def _trigger(session: Any, title: str) -> None:
    controller = session.controller
    before = controller.runner.finished_count
    _action(session, title).trigger()
    session.wait_until(lambda: controller.runner.finished_count > before and not controller.runner.busy,
                       what=title)


def _action(session: Any, title: str) -> Any:
    for action in session.mw.form.menuTools.actions():
        if action.text() == title:
            return action
        sub = action.menu()
        for inner in sub.actions() if sub is not None else ():
            if inner.text() == title:
                return inner
    raise LookupError(title)


def _save(widget: Any, out: Path, session: Any) -> None:
    session.process(0.4)  # layout and paint; the picture only, no test waits on it
    widget.grab().save(str(out))


def before_break(session: Any, library: Path, docs: Path) -> List[Path]:
    controller, mw = session.controller, session.mw
    written = []

    from aqt.theme import Theme

    for name, size, theme in (("settings-window.png", (560, 720), Theme.LIGHT),
                              ("settings-window-narrow-night.png", (400, 640), Theme.DARK)):
        mw.set_theme(theme)
        dialog = controller.open_settings()
        dialog.resize(*size)
        _save(dialog, docs / name, session)
        dialog.reject()
        written.append(docs / name)
    mw.set_theme(Theme.LIGHT)
    # The part about notes removed in Polar and deleted in Anki, scrolled to
    # (the window's top shows the library and the decks only).
    from aqt.qt import QComboBox, QScrollArea

    dialog = controller.open_settings()
    dialog.resize(560, 720)
    session.process(0.3)
    combo = dialog.findChild(QComboBox, "polar_sync_setting_deleted_in_anki")
    dialog.findChild(QScrollArea).ensureWidgetVisible(combo, 0, 300)
    _save(dialog, docs / "settings-window-deleted.png", session)
    dialog.reject()
    written.append(docs / "settings-window-deleted.png")

    _new_document(library)
    _trigger(session, "Preview (dry run)…")
    report = controller.report_dialog
    report.resize(720, 600)
    tree = report.tree
    for i in range(tree.topLevelItemCount()):
        deck = tree.topLevelItem(i)
        deck.setExpanded(True)
        for j in range(deck.childCount()):
            deck.child(j).setExpanded(True)
    tree.setCurrentItem(tree.topLevelItem(0))  # the deck with the edit: Show in Browser has a note to show
    _save(report, docs / "report-preview.png", session)
    report.close()
    written.append(docs / "report-preview.png")
    _trigger(session, "Sync from Polar")  # the preview's changes, so later shots start from them

    # A note of Polar's old sync whose card is gone: the report's own section.
    col = mw.col
    old = col.new_note(col.models.by_name("Basic"))
    old["Front"], old["Back"] = "What is the forgetting curve?", "Memory decays exponentially"
    old.tags = ["_polar-flashcard", "polar_guid:1DeletedInPolar01"]
    col.add_note(old, col.decks.id("Default"))
    _trigger(session, "Sync from Polar")
    outcome = controller.last_outcome
    report = controller.show_report(outcome.report.to_dict(), "Tools ▸ Sync from Polar", outcome.finished)
    report.resize(720, 420)
    _save(report, docs / "report-old-sync.png", session)
    report.close()
    written.append(docs / "report-old-sync.png")
    col.remove_notes([old.id])
    _trigger(session, "Sync from Polar")

    written += library_missing(session, library, docs)
    return written


MISSING_LIBRARY = "/media/anna/USB stick/.polar"


def library_missing(session: Any, library: Path, docs: Path, review: Optional[Path] = None) -> List[Path]:
    """The message for a missing library as a sync shows it
    (docs/library-missing.png), and in German at night at 400 px
    (docs/library-missing-de-night-400.png); with ``review``, English and
    German, light and night, 400 px, in that folder too."""
    from aqt.theme import Theme

    controller, mw = session.controller, session.mw
    written = []
    conf = dict(mw.addonManager.getConfig("polar_sync"))
    # A folder on a USB stick that is not plugged in (never made: only its absence is looked at).
    controller._save_config(dict(conf, data_dir=MISSING_LIBRARY))
    _trigger(session, "Sync from Polar")
    box = controller.library_box
    _save(box, docs / "library-missing.png", session)
    written.append(docs / "library-missing.png")
    box.close()
    shots = [(docs / "library-missing-de-night-400.png", "de_DE", Theme.DARK)]
    if review is not None:
        review.mkdir(parents=True, exist_ok=True)
        shots += [(review / f"library-missing-{lang[:2]}-{name}-400.png", lang, theme)
                  for lang in ("en_US", "de_DE") for name, theme in (("light", Theme.LIGHT), ("night", Theme.DARK))]
    try:
        for out, lang, theme in shots:
            mw.pm.setLang(lang)
            mw.set_theme(theme)
            box = controller.show_library_missing()
            box.fit_width(400)
            _save(box, out, session)
            box.close()
            written.append(out)
    finally:
        mw.pm.setLang("en_US")
        mw.set_theme(Theme.LIGHT)
    controller._save_config(conf)  # the folder is back: a sync follows
    runner = controller.runner
    session.wait_until(lambda: not runner.busy and not runner.pending, what="the sync after the settings")
    return written


def _progress_shot(session: Any, out: Path) -> Path:
    """Anki's progress window as a sync the user started fills it: the
    runner's own callback, with the message of a first sync's writing."""
    controller, mw = session.controller, session.mw
    runner = controller.runner
    ops = sys.modules[type(runner).__module__]  # the installed add-on's own module
    mw.progress.start(label="", parent=mw)
    runner._progress_open = True  # as the runner's _start opens it
    try:
        say = runner._progress(ops.SyncRequest(ops.MANUAL), True)
        mw.progress._showWin()  # (Anki shows it 0.6 s into the sync)
        say("Adding notes… 16000/50000")
        _save(mw.progress._win, out, session)
    finally:
        runner._progress_open = False
        mw.progress.finish()
    session.process(0.6)  # (Anki closes a window shown < 0.5 s ago a moment later)
    return out


def after_report(session: Any, docs: Path, grab_menu: Callable[[Any, Path], None],
                 library: Optional[Path] = None) -> List[Path]:
    """The report just grabbed, again: night mode, narrow, German; then (with
    ``library``) a German reader's document with problems of every sort:
    the report in German (docs/report-window-de-problems.png)."""
    from aqt.theme import Theme

    controller, mw = session.controller, session.mw
    outcome = controller.last_outcome
    data = outcome.report.to_dict()
    written = []

    def show(out: Path, width: int, height: int) -> None:
        dialog = controller.show_report(data, session.addon.trigger_label("manual"), time.time())
        dialog.resize(width, height)
        _save(dialog, out, session)
        dialog.close()
        written.append(out)

    mw.set_theme(Theme.DARK)
    show(docs / "report-window-night.png", 760, 560)
    mw.set_theme(Theme.LIGHT)
    show(docs / "report-window-narrow.png", 400, 640)
    written.append(_progress_shot(session, docs / "progress-window.png"))

    # Anki in German (Preferences ▸ Language). The add-on reads the language
    # on every call; its menu follows when a profile opens, done here in place
    # (tests/gui/test_words.py does the real reopen). Anki started in German
    # would also have loaded Qt's German (Close, OK, Cancel) and built its own
    # menus in German: both done here too, so the shots show what a German
    # user sees.
    mw.pm.setLang("de_DE")
    qt_german = _qt_translator("de")
    try:
        mw.form.retranslateUi(mw)
        session.addon.menu.retranslate(controller.actions)
        grab_menu(session, docs / "tools-menu-de.png")
        written.append(docs / "tools-menu-de.png")
        show(docs / "report-window-de.png", 760, 560)
        # A German profile's default deck is "Standard": the settings say where "Default" goes.
        default_deck = mw.col.decks.get(1)
        english_name = default_deck["name"]
        mw.col.decks.rename(default_deck, "Standard")
        try:
            dialog = controller.open_settings()
            dialog.resize(400, 640)
            _save(dialog, docs / "settings-window-de-narrow.png", session)
            dialog.reject()
        finally:
            mw.col.decks.rename(mw.col.decks.get(1), english_name)
        written.append(docs / "settings-window-de-narrow.png")
        mw.set_theme(Theme.DARK)
        written.append(_progress_shot(session, docs / "progress-window-de-night.png"))
        mw.set_theme(Theme.LIGHT)
        if library is not None:
            _problem_document(library)
            before = controller.runner.finished_count
            _action(session, "Aus Polar synchronisieren").trigger()
            session.wait_until(lambda: controller.runner.finished_count > before, 30, "the German sync")
            session.wait_until(lambda: controller.notice is not None, 10, "the notice")
            controller.notice.on_click()
            dialog = controller.report_dialog
            dialog.resize(860, 860)
            splitter = dialog.browser.parentWidget()  # every row in sight, the tree below
            splitter.setSizes([700, 100])
            _save(dialog, docs / "report-window-de-problems.png", session)
            dialog.close()
            written.append(docs / "report-window-de-problems.png")
    finally:
        if qt_german is not None:
            mw.app.removeTranslator(qt_german)
        mw.pm.setLang("en_US")
        mw.form.retranslateUi(mw)
        session.addon.menu.retranslate(controller.actions)
    return written


def _qt_translator(lang: str) -> Any:
    """Qt's own words in ``lang``, as Anki loads them when it starts in it."""
    from aqt.qt import QLibraryInfo, QTranslator

    translator = QTranslator()
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if not translator.load(f"qtbase_{lang}", folder):
        return None
    import aqt

    aqt.mw.app.installTranslator(translator)
    return translator


# Anki's own name of each language the add-on speaks (its profile setting).
ANKI_LANG = {"de": "de_DE", "es": "es_ES", "fr": "fr_FR", "ja": "ja_JP", "pt_BR": "pt_BR", "zh_CN": "zh_CN"}


@contextmanager
def in_language(session: Any, lang: str) -> Iterator[None]:
    """Anki (its profile's language) and Qt's own buttons in ``lang``, then
    English again."""
    session.mw.pm.setLang(ANKI_LANG.get(lang, lang))
    qt_own = _qt_translator(lang)
    try:
        yield
    finally:
        if qt_own is not None:
            session.mw.app.removeTranslator(qt_own)
        session.mw.pm.setLang("en_US")


def in_each_language(session: Any, shoot: Callable[[str], List[Path]], default: Sequence[str] = ("de",)) -> List[Path]:
    """``shoot(lang)`` in English, then in each language the command line
    names after the output folder (``default`` when none): the shots made."""
    written = shoot("en")
    for lang in sys.argv[2:] or list(default):
        with in_language(session, lang):
            written += shoot(lang)
    return written


def notice_shot(session: Any, data: Dict[str, Any], name: Path, height: int = 360) -> Path:
    """The main window, 400 px wide, with the notice a sync of ``data``
    shows over it (worded by the add-on in the current language), saved to
    ``name``; the notice closed after."""
    import html

    from aqt.qt import QPainter, QPoint

    mw = session.mw
    mw.resize(400, height)
    notice = session.controller.show_notice("<b>" + html.escape(session.addon.notice_text(data)) + "</b>",
                                            lambda: None)
    session.process(0.4)  # layout and paint
    image = mw.grab().toImage()
    painter = QPainter(image)  # (a window of its own: drawn where it shows)
    painter.drawImage(mw.mapFromGlobal(notice.mapToGlobal(QPoint(0, 0))), notice.grab().toImage())
    painter.end()
    image.save(str(name))
    notice.close()
    return name


def report_shot(session: Any, data: Dict[str, Any], trigger: str, name: Path, height: int = 640) -> Path:
    """The report window of ``data`` (a report's dict, ``trigger`` the
    add-on's key for what started it: "manual", "preview", …), 400 px wide,
    saved to ``name`` and closed."""
    report = session.controller.show_report(data, session.addon.trigger_label(trigger), time.time())
    report.resize(400, height)
    _save(report, name, session)
    report.close()
    return name
