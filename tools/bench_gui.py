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

    python tools/bench_gui.py --library L --work W [--addon dist/polar_sync.ankiaddon]
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

    before = runner.finished_count
    started = [0.0]

    def begin() -> None:
        started[0] = time.perf_counter()
        last[0] = started[0]
        ticker.start(TICK_MS)
        anki.controller.sync_now()

    def check() -> None:
        if runner.finished_count > before and not runner.busy:
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
