"""Run by test_soak_in_anki.py in a process of its own: one Anki kept open
for a long session with the watcher on, as a person keeps it all day.

Each round: Polar saves a document (its state.json written to a temp file
and renamed over, as Polar does) with a card edited, one added and one
deleted, a new document comes and the one before goes, and the watcher's
sync runs; a save that changes nothing syncs too; Anki's Sync button syncs
with AnkiWeb (Anki's own sync server, tests/reliability/ankiweb.py); the
report, the settings window and the sync log are opened and closed; "open at p. N" on a card's
answer opens the PDF window, on another card's the book window, both
closed. Every ``SWITCH_EVERY`` rounds the notes the syncs suspended are
deleted in Anki and the profile is switched to another and back. After
each round what the process holds is measured: memory, descriptors,
threads, inotify watches, Qt windows and timers, the add-on's live Python
objects and every container they and its modules hold, temp files, the
add-on's files, the sync state's rows.

Usage: soak_driver.py BASE LIBRARY ADDON_FILE ROUNDS RESULT_JSON
"""

from __future__ import annotations

import gc
import io
import os
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).parent))

import anki_harness  # noqa: E402
import pdf_maker  # noqa: E402
from addon_life_driver import finish  # noqa: E402

from tests.gui.driver_windows import ExceptionsShown  # noqa: E402
from tests.polar_factory import Doc, basic  # noqa: E402
from tests.reliability.ankiweb import start_server, stop_server, upload_profile  # noqa: E402

DEBOUNCE_MS = 200
OTHER = "Second Profile"
SWITCH_EVERY = 5
PDF_FP = "1SoakPdfDocument00001"
BOOK_FP = "1SoakEpubDocument0001"
BUSY_FP = "1SoakBusyDocument0001"
PLAIN = "1SoakPlainDocument001"


def _epub() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("mimetype", "application/epub+zip")
        z.writestr("META-INF/container.xml",
                   '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:'
                   'container"><rootfiles><rootfile full-path="content.opf" media-type="application/oebps-package'
                   '+xml"/></rootfiles></container>')
        z.writestr("content.opf",
                   '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
                   '<metadata/><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/>'
                   '<item id="b" href="b.xhtml" media-type="application/xhtml+xml"/></manifest>'
                   '<spine><itemref idref="a"/><itemref idref="b"/></spine></package>')
        for name, body in (("a.xhtml", "<h1>One</h1><p>Nothing here.</p>"),
                           ("b.xhtml", "<h1>Two</h1><p>The soak words are here in section two.</p>")):
            z.writestr(name, f'<html xmlns="http://www.w3.org/1999/xhtml"><body>{body}</body></html>')
    return buf.getvalue()


def write_library(library: Path) -> Dict[str, Doc]:
    pdf = Doc(library, PDF_FP, title="Soak PDF", pages=3)
    pdf.text_highlight("1SoakHlPdf", "Words on page two.", page=2)
    pdf.card("1SoakCardPdf", basic("<p>Soak PDF card?</p>", "<p>Yes.</p>"), ref="text-highlight:1SoakHlPdf",
             page=2)
    pdf.write()
    pdf_maker.write_pdf(library / "stash" / f"{PDF_FP}.pdf", 3, title="Soak PDF")
    book = Doc(library, BOOK_FP, title="Soak Book", pages=2)
    book.meta["docInfo"]["filename"] = f"{BOOK_FP}.epub"
    book.text_highlight("1SoakHlBook", "The soak words are here", page=2)
    book.card("1SoakCardBook", basic("<p>Soak book card?</p>", "<p>Yes.</p>"), ref="text-highlight:1SoakHlBook",
              page=2)
    book.write()
    (library / "stash" / f"{BOOK_FP}.epub").write_bytes(_epub())
    busy = Doc(library, BUSY_FP, title="Soak Busy", pages=2)
    for i in range(5):
        busy.card(f"1SoakBusy{i:03d}", basic(f"<p>Busy card {i}?</p>", "<p>A.</p>"), page=1)
    busy.write()
    plain = Doc(library, PLAIN, title="Soak Plain", pages=1)
    plain.card("1SoakPlain001", basic("<p>Plain card?</p>", "<p>A.</p>"), page=1)
    plain.write()
    return {"busy": busy, "plain": plain}


def _fds() -> Dict[str, int]:
    kinds: Counter = Counter()
    for name in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{name}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if ":" in target and not target.startswith("/") else "file"
        kinds[kind] += 1
    kinds["total"] = sum(kinds.values())
    return dict(kinds)


def _targets() -> List[str]:
    out = []
    for name in os.listdir("/proc/self/fd"):
        try:
            out.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            continue
    return out


def _inotify_watches() -> int:
    total = 0
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") != "anon_inode:inotify":
                continue
            with open(f"/proc/self/fdinfo/{name}", encoding="ascii") as fh:
                total += sum(1 for line in fh if line.startswith("inotify wd:"))
        except OSError:
            continue
    return total


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _lengths(prefix: str, obj: Any, out: Dict[str, int]) -> None:
    try:
        items = vars(obj).items()
    except TypeError:
        return
    for name, value in items:
        if isinstance(value, (dict, list, set, frozenset, tuple)) or type(value).__name__ in ("deque", "WeakSet",
                                                                                              "OrderedDict"):
            try:
                out[f"{prefix}.{name}"] = len(value)
            except TypeError:
                pass
        elif type(value).__name__ == "_lru_cache_wrapper":
            out[f"{prefix}.{name}"] = value.cache_info().currsize


def _held(anki: Any) -> Dict[str, int]:
    """The length of every container the add-on's modules and its main
    objects hold (a list that grows a sync shows here)."""
    out: Dict[str, int] = {}
    for name, module in list(sys.modules.items()):
        if name.startswith(anki_harness.PACKAGE) and module is not None:
            _lengths(name, module, out)
    c = anki.controller
    for label, obj in (("c", c), ("runner", c.runner), ("watcher", c.watcher),
                       ("backend", getattr(c.watcher, "backend", None)), ("links", c.source_links),
                       ("finder", c.source_links._finder), ("lookups", c.source_links.lookups),
                       ("editors", getattr(c, "editors", None)), ("undo", getattr(c.runner, "undo", None)),
                       ("indicator", getattr(c.runner, "indicator", None))):
        if obj is not None:
            _lengths(label, obj, out)
    return out


def _state_rows(path: Path) -> Dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        conn.close()


def _ankis_own(obj: Any, mw: Any) -> bool:
    """A window of Anki's own (a class of ``aqt``: its progress windows, its
    media sync's), or a part of one. Anki keeps some of them: 23.10 two
    progress windows a profile switch and one an AnkiWeb sync, 26.9 a media
    sync window a profile (an Anki without add-ons too)."""
    while obj is not None and obj is not mw:
        if type(obj).__module__.startswith("aqt."):
            return True
        obj = obj.parent()
    return False


def measure(anki: Any, tmp: Path) -> Dict[str, Any]:
    import threading

    from aqt.qt import QApplication, QMessageBox, QObject, QTimer

    gc.collect()
    ours: Counter = Counter()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "")
        if isinstance(module, str) and module.startswith(anki_harness.PACKAGE):
            ours[type(obj).__qualname__] += 1
    mw = anki.mw
    user_files = Path(mw.addonManager.addonsFolder(anki_harness.PACKAGE)) / "user_files"
    return {
        "rss_kb": _rss_kb(),
        "fds": _fds(),
        "threads": len(threading.enumerate()),
        "thread_names": sorted(t.name for t in threading.enumerate()),
        "tasks": len(os.listdir("/proc/self/task")),
        "inotify": _inotify_watches(),
        "top_level": len(QApplication.topLevelWidgets()),
        "top_level_names": sorted(type(w).__name__ for w in QApplication.topLevelWidgets()
                                  if not _ankis_own(w, mw)),
        "ankis_own": sorted(type(w).__name__ for w in QApplication.topLevelWidgets() if _ankis_own(w, mw)),
        "boxes": [(w.windowTitle(), w.text(), w.isVisible()) for w in QApplication.topLevelWidgets()
                  if isinstance(w, QMessageBox)],
        "mw_children": len(mw.findChildren(QObject)),
        "mw_child_kinds": dict(Counter(type(o).__name__ for o in mw.findChildren(QObject) if not _ankis_own(o, mw))),
        "fd_targets": sorted(_targets()),
        "mw_timers": len(mw.findChildren(QTimer)),
        "ours": dict(ours),
        "held": _held(anki),
        "tmp_files": sum(1 for _ in tmp.rglob("*")),
        "user_files": {p.name: _size(p) for p in sorted(user_files.iterdir())},
        "state_rows": _state_rows(sys.modules[f"{anki_harness.PACKAGE}.gui.synclog"].state_path(
            anki_harness.PROFILE, user_files)),
        "polar_notes": len(mw.col.find_notes("tag:polar")) if mw.col is not None else -1,
    }


def main(base: Path, library: Path, addon_file: Path, rounds: int, result: Path) -> int:
    return finish(lambda seen: run(base, library, addon_file, rounds, seen), result)


def run(base: Path, library: Path, addon_file: Path, rounds: int, seen: Dict[str, Any]) -> None:
    server_base = base.parent / "ankiweb"
    server_base.mkdir(parents=True, exist_ok=True)
    proc, server = start_server(server_base)
    try:
        soak(base, library, addon_file, rounds, seen, server.account())
    finally:
        stop_server(proc)


def soak(base: Path, library: Path, addon_file: Path, rounds: int, seen: Dict[str, Any], account: Any) -> None:
    import traceback

    from aqt import gui_hooks

    tmp = Path(tempfile.gettempdir())
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    auth = upload_profile(account, base / anki_harness.PROFILE, 1)  # (the profile's collection on "AnkiWeb")
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch_debounce_ms": DEBOUNCE_MS},
                              event_loop_waits=True)  # (a deleteLater runs, as in Anki's own loop)
    mw, c = anki.mw, anki.controller
    errors_shown = ExceptionsShown(seen.setdefault("shown", []))
    mw.pm.set_sync_key(auth.hkey)
    mw.pm.set_custom_sync_url(account.endpoint)
    ankiweb: List[int] = []
    gui_hooks.sync_did_finish.append(lambda: ankiweb.append(1))

    def ankiweb_sync() -> None:
        """Anki's Sync button, and its media sync to the end."""
        n = len(ankiweb)
        mw.on_sync_button_clicked()
        anki.wait_until(lambda: len(ankiweb) > n, what="Anki's sync")
        anki.wait_until(lambda: not mw.media_syncer.is_syncing(), what="Anki's media sync")
    mw.pm.create(OTHER)
    errors: List[str] = seen["errors"]
    sys.excepthook = lambda kind, value, tb: errors.append("".join(traceback.format_exception(kind, value, tb)))

    def idle() -> bool:
        return not c.runner.busy and not c.runner.pending and not c._debounce.isActive()

    def synced_after(count: int, what: str) -> None:
        anki.wait_until(lambda: c.runner.finished_count > count and idle(), what=what)

    def switch_to(name: str) -> None:
        count = c.runner.finished_count
        mw.unloadProfile(lambda: (mw.pm.load(name), mw.loadProfile()))
        anki.wait_until(lambda: mw.col is not None and mw.pm.name == name and mw.state == "deckBrowser",
                        what=f"profile {name} to open")
        if name == anki_harness.PROFILE:
            synced_after(count, "the startup sync")

    synced_after(0, "the startup sync")
    docs = write_library(library)  # (after Anki's start: the PDF is drawn by Qt)
    count = c.runner.finished_count
    c.sync_now()
    synced_after(count, "Sync from Polar")
    links = c.source_links
    busy = docs["busy"]
    seen["rounds"] = []
    next_id = 1000
    for number in range(rounds):
        # Polar saves: a card edited (a new id), one added, the oldest deleted.
        count = c.runner.finished_count
        cards = sorted(cid for page in busy.meta["pageMetas"].values() for cid in page["flashcards"])
        busy.edit_card(cards[-1], f"1SoakBusy{next_id:03d}", basic(f"<p>Busy card {next_id}?</p>", "<p>B.</p>"))
        busy.card(f"1SoakBusy{next_id + 1:03d}", basic(f"<p>Busy card {next_id + 1}?</p>", "<p>A.</p>"), page=1)
        busy.delete_card(cards[0])
        next_id += 2
        busy.write(atomic=True)
        # A document comes, the one before goes (its notes suspended, then
        # deleted by the person in the Browser).
        churn = Doc(library, f"1SoakChurn{number:011d}", title=f"Churn {number}", pages=1)
        churn.card(f"1SoakChurnCard{number:05d}", basic(f"<p>Churn {number}?</p>", "<p>A.</p>"), page=1)
        churn.write(atomic=True)
        if number:
            shutil.rmtree(library / f"1SoakChurn{number - 1:011d}")
        synced_after(count, f"round {number}: the watcher's sync")
        # A save that changes nothing the add-on keeps.
        count = c.runner.finished_count
        docs["plain"].write(atomic=True)
        synced_after(count, f"round {number}: the watcher's second sync")

        ankiweb_sync()
        anki.wait_until(idle, what=f"round {number}: nothing of ours waiting after AnkiWeb's sync")

        # The report, the settings, the log.
        report = c.show_last_report()
        anki.process(0.05)
        if report is not None:
            report.close()
        settings = c.open_settings()
        anki.process(0.05)
        settings.close()
        log = c.open_log()
        anki.process(0.05)
        log.close()

        # The source viewer: the PDF's window and the book's.
        col = mw.col
        for front in ("Soak PDF card", "Soak book card"):
            card = col.get_card(col.find_cards(f'"front:*{front}*"')[0])
            mw.reviewer.card = card
            card.answer()  # (card_will_show: the control looked up)
            window = links.open_card(card)
            anki.wait_until(lambda: (links.window is not None and links.window.isVisible())
                            or (links.book_window is not None and links.book_window.isVisible()
                                and not links.book_window.loading), what=f"round {number}: {front}'s window")
            anki.process(0.1)
            for shown in (links.window, links.book_window, window):
                if shown is not None:
                    shown.close()
            anki.process(0.05)

        if number % SWITCH_EVERY == SWITCH_EVERY - 1:
            # (Just before the switch: a background sync waits for a pause
            # after the person's own step, and the switch empties Undo.)
            mw.col.remove_notes(list(mw.col.find_notes("is:suspended")))
            switch_to(OTHER)
            switch_to(anki_harness.PROFILE)
            anki.process(0.1)
            # Anki's own race as a profile closes after its AnkiWeb sync (its
            # deck browser's refresh read the collection just closed: its box
            # "CollectionNotOpen", once in CI under load): clicked away, noted.
            seen.setdefault("ankis_races", []).extend(
                {"round": number, **race} for race in errors_shown.close_ankis_own_races())
        anki.process(0.3)
        seen["rounds"].append({**measure(anki, tmp), "ankiweb_syncs": len(ankiweb)})
    seen["notes"] = len(mw.col.find_notes("tag:polar"))
    seen["ankiweb_syncs"] = len(ankiweb)
    from aqt.qt import QApplication

    seen["top_level_end"] = [(type(w).__module__, type(w).__name__, w.windowTitle(), w.isVisible(),
                              repr(w.parent()), [type(k).__name__ for k in w.children()][:10])
                             for w in QApplication.topLevelWidgets()]
    anki_harness.shutdown(anki)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), Path(sys.argv[5])))
