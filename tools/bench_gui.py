#!/usr/bin/env python3
"""The child process of bench figure ``gui``: does a large sync make Anki's
window stutter?

Real Anki (aqt, Qt offscreen) starts with a fresh profile and Polar Sync
installed from the built .ankiaddon (tools/anki_harness.py, as the GUI
tests do), its data folder set to the library; then Tools ▸ Sync from
Polar runs while Anki's own event loop (``app.exec()``) runs. A timer on
the main thread ticks every 5 ms and records how late each tick comes:
the longest gap is the longest the window could not repaint or answer a
click. The reading runs in a QueryOp and the writing in a CollectionOp,
both on Anki's worker thread; what is left for the main thread are the
progress updates, the op callbacks and the report. Prints one JSON line.

``--update-all``: the library is synced first (not timed), then the marker
tag setting changes (as Anki's config editor saves it) and the timed sync
updates every note: what an add-on update that changes the cards, or a
setting that shapes them, costs. ``--escape`` (with it): Escape is pressed
in the progress window once the sync says "Updating…"; ``escape_s`` is
from the key to the sync's end (what was saved stays, the rest is left).

    python tools/bench_gui.py --library L --work W [--addon dist/polar_sync.ankiaddon] [--update-all [--escape]]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

TICK_MS = 5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="an empty folder for Anki's base folder")
    ap.add_argument("--addon", type=Path, help="the .ankiaddon to install (default: dist/)")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--update-all", action="store_true", help="time a sync that updates every note (see above)")
    ap.add_argument("--escape", action="store_true", help="with --update-all: Escape once it updates")
    args = ap.parse_args()

    import anki_harness

    anki_harness.prepare_environment()
    anki_harness.seed_base(args.work)
    config = {"data_dir": str(args.library), "sync_on_startup": False, "watch": False}
    anki = anki_harness.start(args.work, addon_file=args.addon or anki_harness.DIST, config=config)
    from aqt.qt import QTimer

    app, runner = anki.app, anki.controller.runner
    gaps: List[Tuple[float, str]] = []  # (ms beyond the tick, what the sync was doing)
    out: Dict[str, Any] = {}
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(((now - last[0]) * 1000 - TICK_MS, runner.stage or ""))
        last[0] = now

    before = [runner.finished_count]
    started = [0.0]
    escaped = [0.0]
    mw = anki.mw

    def begin() -> None:
        if args.update_all and "first_s" not in out:
            started[0] = time.perf_counter()
            anki.controller.sync_now()  # the library synced once, not timed
            return
        started[0] = time.perf_counter()
        last[0] = started[0]
        ticker.start(TICK_MS)
        anki.controller.sync_now()

    def escape() -> None:
        # Anki shows its window only while one of its windows has the focus.
        win = getattr(mw.progress, "_win", None)
        if win is not None and win.isVisible():
            from aqt.qt import Qt
            from PyQt6.QtTest import QTest

            escaped[0] = time.perf_counter()
            out["escape_stage"] = runner.stage
            QTest.keyClick(win, Qt.Key.Key_Escape)  # what Anki's window does with it: want_cancel()

    def check() -> None:
        if args.update_all and "first_s" not in out:
            if runner.finished_count > before[0] and not runner.busy:
                out["first_s"] = time.perf_counter() - started[0]
                out["first_created"] = anki.controller.last_outcome.report.created
                config = mw.addonManager.getConfig(anki_harness.PACKAGE) or {}
                mw.addonManager.writeConfig(anki_harness.PACKAGE, {**config, "marker_tag": "polar2"})
                anki.controller.load_config()
                mw.activateWindow()
                before[0] = runner.finished_count
                begin()
            return
        if args.escape and not escaped[0] and (runner.stage or "").startswith("Updating"):
            escape()
        if runner.finished_count > before[0] and not runner.busy:
            if escaped[0]:
                out["escape_s"] = time.perf_counter() - escaped[0]
            report = anki.controller.last_outcome.report
            out["updated"] = report.updated
            out["warnings"] = [w.get("code") for w in report.warnings]
            out["undo"] = mw.col.undo_status().undo
            out["sync_s"] = time.perf_counter() - started[0]
            ticker.stop()
            checker.stop()
            out["notes"] = anki.mw.col.note_count()
            # Close as File ▸ Exit does, in this same event loop (a second
            # app.exec() after this one returned crashed Qt at exit).
            anki.mw.unloadProfileAndExit()
        elif time.perf_counter() - started[0] > args.timeout:
            app.exit(2)

    ticker = QTimer()
    ticker.setTimerType(ticker.timerType().PreciseTimer)
    ticker.timeout.connect(tick)
    checker = QTimer()
    checker.timeout.connect(check)
    checker.start(50)
    QTimer.singleShot(0, begin)
    code = app.exec()
    sys.excepthook = sys.__excepthook__  # as anki_harness.shutdown restores them
    sys.stderr = anki._saved_stderr
    if code != 0 or "sync_s" not in out:
        raise SystemExit(f"the sync did not finish within {args.timeout:g} s (exit code {code})")
    late = sorted(gap for gap, _ in gaps)
    worst = max(gaps, default=(0.0, ""))
    out.update(
        ticks=len(gaps),
        max_gap_ms=worst[0],
        max_gap_during=worst[1],
        p99_gap_ms=late[int(len(late) * 0.99)] if late else 0.0,
        gaps_over_50ms=sum(1 for g in late if g > 50),
    )
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
