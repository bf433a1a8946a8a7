"""Run by test_held_collection.py in a process of its own (Qt allows one Anki
per process): the profile's collection held by another process while real
Anki with Polar Sync starts on it, or the command-line sync run on the
profile while this Anki has it open.

Usage: held_driver.py BASE LIBRARY ADDON_FILE KIND RESULT_JSON

KIND ``cli-first``: the CLI (tools/polar_sync.py, a process of its own) syncs
the profile's collection and is paused in the middle (``PAUSED adding``);
Anki starts on that profile; every window is recorded and closed as a person
would; then the CLI goes on (SIGUSR1) and ends; then the person opens the
profile again from Anki's profile manager, and its startup sync runs.

KIND ``anki-first``: Anki starts on the profile and its startup sync runs;
then the CLI is run on the same collection; then a document changes in
Polar and the person asks for Sync from Polar.

Writes {"windows": [[class, title, text]...], "cli": [[rc, stdout, stderr]...],
"state", "profile", "notes", "polar_guids": {guid: count}, "log"}.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))

import anki_harness  # noqa: E402

CLI = ROOT / "tools" / "polar_sync.py"


def _cli(library: Path, collection: Path, pause: str = "") -> subprocess.Popen[str]:
    env = dict(os.environ, POLAR_SYNC_PAUSE_AT=pause) if pause else dict(os.environ)
    env.pop("POLAR_SYNC_FORCE_GUI", None)
    return subprocess.Popen([sys.executable, str(CLI), "--data-dir", str(library), "--collection", str(collection)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)


def _wait_paused(proc: subprocess.Popen[str], point: str) -> None:
    assert proc.stderr is not None
    line = proc.stderr.readline()
    assert line.strip() == f"PAUSED {point}", line


def main(base: Path, library: Path, addon_file: Path, kind: str, result: Path) -> int:
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    profile = base / anki_harness.PROFILE
    profile.mkdir(exist_ok=True)
    collection = profile / "collection.anki2"
    from anki.collection import Collection

    made = Collection(str(collection))  # the person's own collection, one note of theirs
    note = made.new_note(made.models.by_name("Basic"))
    note["Front"] = "a note of the person's"
    made.add_note(note, made.decks.id("Default"))
    made.close()

    out: Dict[str, Any] = {"cli": []}
    held = None
    if kind == "cli-first":
        held = _cli(library, collection, pause="adding")
        _wait_paused(held, "adding")

    import aqt
    from aqt.qt import QApplication, QDialog, QLabel, QMessageBox, QTextBrowser, QTimer

    aqt.AnkiApp.KEY = os.environ["ANKI_SINGLE_INSTANCE_KEY"]
    app = aqt._run(["anki", "-b", str(base), "-p", anki_harness.PROFILE], exec=False)
    mw = aqt.mw
    if not hasattr(mw.pm, "check_for_updates"):
        mw.setup_auto_update = lambda *_: None
    mw.addonManager.install(str(addon_file))
    mw.addonManager.writeConfig(anki_harness.PACKAGE, {"data_dir": str(library), "watch": False})
    os.environ["POLAR_SYNC_FORCE_GUI"] = "1"
    mw.addonManager.loadAddons()
    del os.environ["POLAR_SYNC_FORCE_GUI"]

    windows: List[List[str]] = []

    def look() -> None:
        for w in QApplication.topLevelWidgets():
            if w is mw or not w.isVisible() or not isinstance(w, (QMessageBox, QDialog)):
                continue
            if type(w).__name__ in ("ProfileManager", "ProgressDialog"):  # Anki's own, left to it
                continue
            parts = [lbl.text() for lbl in w.findChildren(QLabel)]
            parts += [t.toPlainText().replace("\u2060", "") for t in w.findChildren(QTextBrowser)]
            text = w.text() if isinstance(w, QMessageBox) else " | ".join(parts)
            windows.append([type(w).__name__, w.windowTitle(), text[:400]])
            w.close()

    def runner() -> Any:
        setup = sys.modules.get(f"{anki_harness.PACKAGE}.gui.setup")
        return setup.controller.runner if setup is not None else None

    def finish_cli(proc: subprocess.Popen[str]) -> None:
        stdout, stderr = proc.communicate(timeout=300)
        out["cli"].append([proc.returncode, stdout, stderr])

    def synced(count: int) -> bool:
        r = runner()
        return mw.col is not None and mw.state == "deckBrowser" and r is not None and not r.busy \
            and r.finished_count >= count

    def done() -> None:
        out["state"] = mw.state
        out["profile"] = mw.pm.name
        out["notes"] = mw.col.note_count() if mw.col is not None else None
        if mw.col is not None:
            rows = mw.col.db.all("select guid, count() from notes where guid like 'polar%' group by guid")
            out["polar_guids"] = {str(g): int(n) for g, n in rows}
            out["integrity"] = mw.col.db.scalar("pragma integrity_check")
        app.quit()

    steps: List[Any] = []

    def step() -> None:  # one step after another, each when its condition holds
        if not steps:
            return
        cond, act = steps[0]
        if cond():
            steps.pop(0)
            act()
        QTimer.singleShot(200, step)

    if kind == "cli-first":
        started = time.monotonic()

        def release() -> None:
            assert held is not None
            held.send_signal(signal.SIGUSR1)
            finish_cli(held)

        def reopen() -> None:  # the profile manager Anki shows: the same profile, Open
            out["first_state"] = mw.state
            if mw.col is None:
                mw.pm.load(anki_harness.PROFILE)
                mw.onOpenProfile()

        steps += [
            (lambda: time.monotonic() - started > 8, release),
            (lambda: True, reopen),
            (lambda: synced(1), done),
        ]
    else:
        def second_cli() -> None:
            finish_cli(_cli(library, collection))
            # A change in Polar, then Sync from Polar in this Anki.
            from tests.polar_factory import Doc, basic

            Doc(library, "1HeldDoc0000000000000001", "Held").card("1HeldCard01", basic("q held", "a held")).write()
            r = runner()
            out["finished_before"] = r.finished_count
            setup = sys.modules[f"{anki_harness.PACKAGE}.gui.setup"]
            setup.controller.sync_now()

        steps += [
            (lambda: synced(1), second_cli),
            (lambda: synced(out.get("finished_before", 99) + 1), done),
        ]

    watcher = QTimer()
    watcher.timeout.connect(look)
    watcher.start(100)
    QTimer.singleShot(500, step)
    QTimer.singleShot(200_000, app.quit)  # never hang a test run
    app.exec()
    out["windows"] = windows
    log = base / "addons21" / anki_harness.PACKAGE / "user_files" / "sync-log.txt"
    out["log"] = log.read_text(encoding="utf-8") if log.exists() else ""
    if held is not None and held.poll() is None:
        held.kill()
    result.write_text(json.dumps(out), encoding="utf-8")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    a = sys.argv[1:6]
    sys.exit(main(Path(a[0]), Path(a[1]), Path(a[2]), a[3], Path(a[4])))
