"""Run by test_day_in_anki.py in a process of its own (it switches
profiles): a day in one real Anki, in fast-forward, counting what the
process holds before and after each phase.

Phases: watch syncs (a real document edited on disk each time), Tools ▸
Sync from Polar, previews, stopped syncs, the report and settings windows
opened and closed, the Polar folder changed in the settings and back, the
collection closed for a moment by Anki (a .colpkg export: the path of a
full AnkiWeb sync), profile switches there and back. After them: exactly one watcher runs and
one change Polar saves brings exactly one sync.

Usage: day_driver.py BASE LIBRARY ADDON_FILE RESULT_JSON TIMES_JSON
(TIMES_JSON: how many times each phase runs its step, by the phase's name:
{"watch": 200, "menu": 20, "preview": 10, "stopped": 10, "windows": 20,
"folder": 10, "closed": 10, "profiles": 10}.)
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import sys
import threading
import traceback
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(Path(__file__).parent))

import anki_harness  # noqa: E402
from addon_life_driver import finish  # noqa: E402
from soak_driver import _fds, _held, _inotify_watches, _rss_kb  # noqa: E402

DEBOUNCE_MS = 150
OTHER = "Second Profile"


def ours(obj: Any) -> bool:
    """A hook callback of the add-on: its function's module, or its bound
    object's class's."""
    owner = getattr(obj, "__self__", None)
    module = type(owner).__module__ if owner is not None else getattr(obj, "__module__", "")
    return isinstance(module, str) and module.startswith(anki_harness.PACKAGE)


def hooks() -> Dict[str, int]:
    """Our callbacks in each of aqt.gui_hooks' hooks (and Anki's legacy
    ``addHook`` ones)."""
    import anki.hooks
    from aqt import gui_hooks

    out: Dict[str, int] = {}
    for name in dir(gui_hooks):
        hook = getattr(gui_hooks, name)
        callbacks = getattr(hook, "_hooks", None)
        if isinstance(callbacks, list):
            n = sum(1 for cb in callbacks if ours(cb))
            if n:
                out[name] = n
    for name, callbacks in getattr(anki.hooks, "_hooks", {}).items():
        n = sum(1 for cb in callbacks if ours(cb))
        if n:
            out[f"legacy:{name}"] = n
    return out


def measure(anki: Any) -> Dict[str, Any]:
    from aqt.qt import QApplication, QObject, QTimer

    gc.collect()
    mw, c = anki.mw, anki.controller
    counts: Counter = Counter()
    for obj in gc.get_objects():
        module = getattr(type(obj), "__module__", "")
        if isinstance(module, str) and module.startswith(anki_harness.PACKAGE):
            counts[type(obj).__qualname__] += 1
    watcher_cls = type(c.watcher) if c.watcher is not None else None
    running = 0
    if watcher_cls is not None:
        running = sum(1 for o in gc.get_objects() if type(o) is watcher_cls and o.backend is not None)
    fd_targets = []
    for name in os.listdir("/proc/self/fd"):
        try:
            fd_targets.append(os.readlink(f"/proc/self/fd/{name}"))
        except OSError:
            pass
    app = QApplication.instance()
    return {
        "rss_kb": _rss_kb(),
        "fds": _fds(),
        "sqlite": sorted(t for t in fd_targets if t.endswith((".anki2", ".db", "-wal", "-journal", ".sqlite"))),
        "files": sorted(t for t in fd_targets if t.startswith("/")),
        "threads": sorted(t.name for t in threading.enumerate()),
        "inotify": _inotify_watches(),
        "top_level": sorted(type(w).__name__ for w in QApplication.topLevelWidgets()),
        # (a box left up: its words, so a failure says which)
        "boxes": sorted(f"{w.windowTitle()}: {w.text()}" for w in QApplication.topLevelWidgets()
                        if type(w).__name__ == "QMessageBox"),
        "timers_app": len(app.findChildren(QTimer)),
        "timers_mw": len(mw.findChildren(QTimer)),
        "mw_children": len(mw.findChildren(QObject)),
        "hooks": hooks(),
        "ours": dict(counts),
        "held": _held(anki),
        "watchers_running": running,
        "holds": sorted(c.runner._holds),
    }


def main(base: Path, library: Path, addon_file: Path, result: Path, times: Dict[str, int]) -> int:
    return finish(lambda seen: run(base, library, addon_file, seen, times), result)


def run(base: Path, library: Path, addon_file: Path, seen: Dict[str, Any], times: Dict[str, int]) -> None:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    anki = anki_harness.start(base, addon_file, config={"data_dir": str(library), "watch_debounce_ms": DEBOUNCE_MS},
                              event_loop_waits=True)
    mw, c = anki.mw, anki.controller
    mw.pm.create(OTHER)
    errors: List[str] = seen["errors"]
    sys.excepthook = lambda kind, value, tb: errors.append("".join(traceback.format_exception(kind, value, tb)))
    other_library = library.parent / "polar-other"
    shutil.copytree(library, other_library)

    def close_report() -> None:
        from aqt.qt import sip

        for widget in (c.report_dialog, c.notice):
            if widget is not None and not sip.isdeleted(widget):
                widget.close()

    def idle() -> bool:
        return not c.runner.busy and not c.runner.pending and not c._debounce.isActive()

    def synced_after(count: int, what: str) -> None:
        anki.wait_until(lambda: c.runner.finished_count > count and idle(), what=what)

    state = sorted(library.glob("*/state.json"))[0]
    edits = [0]

    def edit() -> None:
        data = json.loads(state.read_text(encoding="utf-8"))
        edits[0] += 1
        data["docInfo"]["title"] = f"Edited {edits[0]}"
        tmp = state.with_name("state.json.tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, state)

    def watch_sync() -> None:
        count = c.runner.finished_count
        edit()
        synced_after(count, "the watcher's sync")

    def menu_sync() -> None:
        count = c.runner.finished_count
        c.actions["sync"].trigger()  # (Tools ▸ Sync from Polar)
        synced_after(count, "Sync from Polar")
        anki.process(0.05)

    def preview() -> None:
        count = c.runner.finished_count
        c.preview()
        synced_after(count, "a preview")
        anki.process(0.05)
        close_report()
        anki.process(0.05)

    def stopped() -> None:
        count = c.runner.finished_count
        c.sync_now()
        anki.wait_until(lambda: c.runner.stoppable or c.runner.finished_count > count, what="a sync to stop")
        c.stop_sync()
        synced_after(count, "the stopped sync")
        anki.process(0.05)
        close_report()

    def windows() -> None:
        report = c.show_last_report()
        anki.process(0.03)
        if report is not None:
            report.close()
        settings = c.open_settings()
        anki.process(0.03)
        settings.close()
        log = c.open_log()
        anki.process(0.03)
        log.close()
        anki.process(0.03)

    def folder_changed() -> None:
        for folder in (other_library, library):
            count = c.runner.finished_count
            anki.set_config(data_dir=str(folder))
            synced_after(count, f"the sync of {folder.name}")
            anki.wait_until(lambda: c.watcher is not None and c.watcher.wait_started(0), what="the watcher")
            anki.process(0.05)
            close_report()

    reopened: List[int] = []
    from aqt import gui_hooks

    gui_hooks.collection_did_temporarily_close.append(lambda _col: reopened.append(1))

    def closed() -> None:
        """Anki closes the collection for a moment (a .colpkg exported, as a
        full AnkiWeb sync and older Ankis' syncs do), then Polar saves."""
        import dataclasses

        from aqt.import_export.exporting import ColpkgExporter, ExportOptions

        wanted = dict(out_path=str(base.parent / "backup.colpkg"), include_scheduling=True,
                      include_deck_configs=True, include_media=False, include_tags=True, include_html=True,
                      include_deck=True, include_notetype=True, include_guid=True, legacy_support=False, limit=None)
        known = {f.name for f in dataclasses.fields(ExportOptions)}  # (23.10 has no include_deck_configs)
        n = len(reopened)
        ColpkgExporter().export(mw, ExportOptions(**{k: v for k, v in wanted.items() if k in known}))
        anki.wait_until(lambda: len(reopened) > n and mw.col is not None, what="the collection back")
        anki.wait_until(lambda: not mw.progress.busy(), what="Anki's export to end")
        watch_sync()

    def switch_to(name: str) -> None:
        count = c.runner.finished_count
        # As a person does, not within milliseconds of the last sync: Anki's
        # own refresh after an op (the deck browser's QueryOp) reads mw.col
        # when it runs, and a profile closed before it ran made it fail
        # ("'NoneType' object has no attribute 'sched'", Anki's error box;
        # twice in 7 runs under load). Anki's race, whatever the op.
        anki.process(0.1)
        anki.wait_until(lambda: not getattr(mw, "_background_op_count", 0), what="Anki's background work")
        mw.unloadProfile(lambda: (mw.pm.load(name), mw.loadProfile()))
        anki.wait_until(lambda: mw.col is not None and mw.pm.name == name and mw.state == "deckBrowser",
                        what=f"profile {name} to open")
        if name == anki_harness.PROFILE:
            synced_after(count, "the startup sync")
        anki.wait_until(lambda: c.watcher is None or c.watcher.wait_started(0), what="the watcher")

    def cycle() -> None:
        switch_to(OTHER)
        switch_to(anki_harness.PROFILE)

    synced_after(0, "the startup sync")
    anki.wait_until(lambda: c.watcher is not None and c.watcher.wait_started(0), what="the watcher")
    # A warm-up: each kind once.
    for step in (watch_sync, menu_sync, preview, stopped, windows, folder_changed, closed, cycle):
        step()
    anki.process(0.3)
    phases: List[Dict[str, Any]] = [{"phase": "start", **measure(anki)}]
    steps: Dict[str, Callable[[], None]] = {
        "watch": watch_sync, "menu": menu_sync, "preview": preview, "stopped": stopped, "windows": windows,
        "folder": folder_changed, "closed": closed, "profiles": cycle}
    for name, step in steps.items():
        for _ in range(times.get(name, 0)):
            step()
        anki.process(0.3)
        phases.append({"phase": name, "times": times.get(name, 0), **measure(anki)})
    seen["phases"] = phases
    # Exactly one watcher, one sync per change.
    anki.process(0.5)
    count = c.runner.finished_count
    edit()
    synced_after(count, "the last change's sync")
    anki.process(3 * DEBOUNCE_MS / 1000 + 1.5)
    anki.wait_until(idle, what="nothing queued")
    seen["syncs_for_one_change"] = c.runner.finished_count - count
    seen["end"] = measure(anki)
    anki_harness.shutdown(anki)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), json.loads(sys.argv[5])))
