#!/usr/bin/env python3
"""Does anything the add-on does hold Anki's window beside a large library?

Real Anki (aqt, offscreen) with Polar Sync installed from a built
.ankiaddon (tools/anki_harness.py), its data folder set to ``--library``;
then a script of what a person does runs inside Anki's own event loop
(``app.exec()``), phase by phase. For each phase it prints:

* the main thread's lateness: a 5 ms PreciseTimer, its worst gap and the
  gaps over 50 ms (the window could not repaint or answer a click);
* every backend call made on the main thread (``col._backend._run_command``
  wrapped): which, how long, whether it failed (NotFound walks the deep Qt
  stack when RUST_BACKTRACE is set: ~100 ms each), and the add-on frame that
  led to it ("ours") if any; calls over 20 ms are printed with their stack;
* samples of the main thread's Python stack every 2 ms (while not idle),
  grouped by the add-on's outermost and innermost frames.

Phases (``--phases a,b``; the first sync runs first when the collection has
fewer than 1,000 notes): noop, report, preview, notfound, log, review,
browser, watch, profile, undo; alone: previewfirst (a preview of a fresh
collection: the 50,000-row report), problemfirst (a first sync with a broken
document, then a click on the notice). Compare ``env -u RUST_BACKTRACE``.
With ``--scanned PDF`` (written first when missing: 20 pages, each one
300-dpi image, as a scanned book's), the viewer phase: the add-on's document
window opens it at page 7, ten page turns (one each 0.3 s), ten fast ones
(0.03 s), a resize in five steps, another document opened while a page
renders, and back.

    python tools/stall_probe.py --library L --work W [--addon X.ankiaddon] [--watch] [--phases ...]
                                [--scanned PDF]

The library: ``tools/synthetic_library.py --documents 1000 --cards 50000 L``
(for the "open" control, link any PDF into L/stash/ under each document's
``docInfo.filename``).
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
TICK_MS = 5

Call = Tuple[str, Optional[str], float, str]  # backend method, our frame, ms, error


def _where(frame: Any) -> str:
    return f"{Path(frame.f_code.co_filename).name}:{frame.f_code.co_name}"


def main() -> None:  # noqa: C901 - one script, read top to bottom
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True, help="Anki's base folder (kept: a second run reuses it)")
    ap.add_argument("--addon", type=Path, default=ROOT / "dist" / "polar_sync.ankiaddon")
    ap.add_argument("--phases", default="")
    ap.add_argument("--watch", action="store_true", help="the watcher on (the watch phase needs it)")
    ap.add_argument("--scanned", type=Path, help="the viewer phase's scanned-like PDF (written when missing)")
    args = ap.parse_args()

    import anki_harness

    anki_harness.prepare_environment()
    if not (args.work / "prefs21.db").exists():
        anki_harness.seed_base(args.work)
    config = {"data_dir": str(args.library), "sync_on_startup": False, "watch": bool(args.watch)}
    anki = anki_harness.start(args.work, addon_file=args.addon, config=config)
    from aqt.qt import QTimer

    app, mw = anki.app, anki.mw
    c = anki.controller
    runner = c.runner
    main_ident = threading.main_thread().ident
    state: Dict[str, Any] = {"phase": "startup"}
    gaps: Dict[str, List[float]] = collections.defaultdict(list)
    calls: Dict[str, List[Call]] = collections.defaultdict(list)
    samples: Dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    last = [time.perf_counter()]

    def timed(obj: Any, name: str) -> None:
        orig = getattr(obj, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                print(f"   {name} took {1000 * (time.perf_counter() - t0):.0f} ms", flush=True)

        setattr(obj, name, wrapper)

    for owner, name in ((c, "show_report"), (runner, "on_finished"), (runner, "_apply"), (runner, "_written"),
                        (runner, "_start")):
        timed(owner, name)

    def tick() -> None:
        now = time.perf_counter()
        gap = (now - last[0]) * 1000 - TICK_MS
        gaps[state["phase"]].append(gap)
        if gap > 40:
            print(f"   gap {gap:.0f} ms in {state['phase']}", flush=True)
        last[0] = now

    def wrap_backend() -> None:
        backend = mw.col._backend
        if getattr(backend, "_probe_wrapped", False):
            return
        orig = backend._run_command

        def recorded(service: int, method: int, data: bytes) -> bytes:
            if threading.current_thread() is not threading.main_thread():
                return orig(service, method, data)
            frame = sys._getframe(1)
            ours = None
            up = frame
            while up is not None:
                if "polar_sync" in up.f_code.co_filename:
                    ours = f"{Path(up.f_code.co_filename).name}:{up.f_lineno}:{up.f_code.co_name}"
                    break
                up = up.f_back
            t0 = time.perf_counter()
            failed = ""
            try:
                return orig(service, method, data)
            except Exception as exc:
                failed = type(exc).__name__
                raise
            finally:
                ms = (time.perf_counter() - t0) * 1000
                calls[state["phase"]].append((frame.f_code.co_name, ours, ms, failed))
                if ms > 20:
                    chain = []
                    up = frame
                    while up is not None and len(chain) < 9:
                        chain.append(_where(up))
                        up = up.f_back
                    print(f"   slow call {ms:.0f} ms {failed}: " + " < ".join(chain), flush=True)

        backend._run_command = recorded
        backend._probe_wrapped = True

    stop = threading.Event()

    def sampler() -> None:
        while not stop.is_set():
            frame = sys._current_frames().get(main_ident)
            stack = []
            while frame is not None:
                stack.append(frame)
                frame = frame.f_back
            if len(stack) > 2:  # not idle in app.exec()
                ours = [_where(s) for s in stack if "polar_sync" in s.f_code.co_filename]
                outer, inner = (ours[-1], ours[0]) if ours else ("-", "-")
                samples[state["phase"]][f"{outer} | {inner} | {_where(stack[0])}"] += 1
            time.sleep(0.002)

    threading.Thread(target=sampler, daemon=True).start()

    def wait(predicate: Callable[[], Any], timeout: float = 600.0) -> Iterator[None]:
        end = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > end:
                raise TimeoutError(state["phase"])
            yield

    def pause(seconds: float) -> Iterator[None]:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            yield

    def synced(before: int) -> Callable[[], bool]:
        return lambda: runner.finished_count > before and not runner.busy and not runner.pending

    def phase(name: str) -> None:
        state["phase"] = name
        last[0] = time.perf_counter()
        print(f"--- {name}", flush=True)

    def sync(how: Callable[[], None]) -> Iterator[None]:
        before = runner.finished_count
        how()
        yield from wait(synced(before))

    def preview(name: str) -> Iterator[None]:
        """Preview (dry run), its report window shown a moment, then closed."""
        phase(name)
        yield from sync(c.preview)
        yield from pause(3)
        if c.report_dialog is not None:
            c.report_dialog.close()
        yield from pause(1)

    def viewer(pdf: Path) -> Iterator[None]:
        """The document window on a scanned book (see the docstring)."""
        import importlib

        import pdf_maker

        if not pdf.exists():
            pdf_maker.write_scanned_pdf(pdf, 20)
        other = pdf.with_name(pdf.stem + "-text.pdf")
        if not other.exists():
            pdf_maker.write_pdf(other, 10)
        package = type(c.source_links).__module__.rsplit(".", 2)[0]
        window_class = importlib.import_module(package + ".gui.document_window").DocumentWindow
        spot_class = importlib.import_module(package + ".polar.originals").Spot
        spot = spot_class(7, ((96.0, 528.0, 408.0, 20.0), (96.0, 548.0, 204.0, 20.0)))

        def drawn() -> Iterator[None]:  # (a window without ``rendering`` draws at once)
            yield from wait(lambda: not getattr(window, "rendering", False), 30)

        phase("viewer-open")
        window = window_class(None)
        window.open(pdf, "A scanned book", spot)
        window.show()
        yield from drawn()
        print("viewer: page", window.rendered_page, "of", window.page_count, "rects", len(window.view.mark_rects()),
              flush=True)
        yield from pause(0.5)
        phase("viewer-turns")
        for _ in range(10):
            window.go_to(window.current_page + 1)
            yield from pause(0.3)
        yield from drawn()
        yield from pause(0.3)
        phase("viewer-fast-turns")
        for _ in range(10):
            window.go_to(window.current_page - 1)
            yield from pause(0.03)
        yield from drawn()
        yield from pause(0.3)
        phase("viewer-resize")
        for step in range(5):
            window.resize(700 - 20 * step, 880)
            yield from pause(0.03)
        yield from drawn()
        yield from pause(0.3)
        phase("viewer-switch")
        window.go_to(3)
        yield
        window.open(other, "Another document", spot)
        yield from drawn()
        window.open(pdf, "A scanned book", spot)
        yield from drawn()
        print("viewer: page", window.rendered_page, "rects", len(window.view.mark_rects()), flush=True)
        yield from pause(0.5)
        phase("viewer-close")
        window.close()
        window.deleteLater()
        yield from pause(0.5)

    def polar_card_ids() -> List[int]:
        return list(mw.col.find_cards("tag:polar*") or mw.col.find_cards(""))

    def script() -> Iterator[None]:  # noqa: C901
        import aqt

        wrap_backend()
        yield from pause(1)
        phases = args.phases.split(",") if args.phases else []

        def want(name: str) -> bool:
            return not phases or name in phases

        if "problemfirst" in phases:
            phase("problem-first-sync")
            yield from sync(c.sync_now)
            yield from pause(2)
            print("notice:", c.notice, "problems:", len(c.last_outcome.report.errors), flush=True)
            phase("problem-notice-click")
            c.notice.on_click()
            yield from pause(2)
            c.report_dialog.close()
            yield from pause(1)
            phases = ["none"]
        elif "previewfirst" in phases:
            yield from preview("preview-first")
            phases = ["none"]
        elif mw.col.note_count() < 1000 or "first" in phases:
            phase("first-sync")
            yield from sync(c.sync_now)
            state["first_outcome"] = c.last_outcome
            yield from pause(3)
        if want("noop"):
            phase("noop-sync")
            yield from sync(c.sync_now)
            yield from pause(2)
        if want("report"):
            if not (state.get("first_outcome") or c.last_outcome):
                yield from sync(c.sync_now)
            out = state.get("first_outcome") or c.last_outcome
            data = out.report.to_dict(out.change_rows)
            phase("report-open")
            dialog = c.show_report(data, "manual", out.finished, out.changes)
            yield from pause(1)
            phase("report-show-in-browser")
            browser = dialog.show_in_browser() if dialog.tree is not None else None  # (no rows: no button)
            yield from pause(3)
            phase("report-close")
            dialog.close()
            if browser is not None:
                browser.close()
            yield from pause(1)
        if want("preview"):
            yield from preview("preview")
        if want("notfound"):
            phase("notfound")
            col = mw.col
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"] = "gone"
            col.add_note(note, 1)
            cid = note.cards()[0].id
            col.remove_notes([note.id])
            for _ in range(3):
                t0 = time.perf_counter()
                try:
                    col.get_card(cid)
                except Exception as exc:
                    print(f"get_card of a deleted card: {type(exc).__name__} "
                          f"{1000 * (time.perf_counter() - t0):.1f} ms", flush=True)
                t0 = time.perf_counter()
                c.source_links.on_js_message((False, None), f"polar-open:{cid}", object())
                print(f"a click on its control: {1000 * (time.perf_counter() - t0):.1f} ms", flush=True)
                yield from pause(0.3)
        if args.scanned is not None and want("viewer"):
            yield from viewer(args.scanned)
        if want("log"):
            phase("log-open")
            window = c.open_log()
            yield from pause(1)
            window.close()
            phase("settings-open")
            window = c.open_settings()
            yield from pause(1.5)
            window.close()
            yield from pause(0.5)
        if want("review"):
            mw.col.decks.select(mw.col.get_card(polar_card_ids()[0]).did)
            phase("review-start")
            mw.moveToState("review")
            yield from pause(2)
            for _ in range(5):
                phase("review-answer")
                mw.reviewer._showAnswer()
                yield from pause(0.7)
                phase("review-shift-o")
                c.source_links._open_from_reviewer()
                print("control:", c.source_links.origin_of(mw.reviewer.card) is not None,
                      "window:", c.source_links.window is not None, flush=True)
                yield from pause(1.0)
                phase("review-next")
                mw.reviewer._answerCard(3)
                yield from pause(0.7)
            phase("review-done")
            mw.moveToState("deckBrowser")
            yield from pause(1)
        if want("browser"):
            phase("browser-open")
            browser = aqt.dialogs.open("Browser", mw, search=("tag:polar*",))
            yield from pause(3)
            phase("browser-select")
            for row in range(3):
                browser.table._view.selectRow(row)
                yield from pause(1)
            phase("browser-edit")
            editor = browser.editor
            if editor.note is not None:
                editor.note.fields[0] += " x"
                editor.loadNote()
                yield from pause(0.5)
                saved: List[int] = []
                editor.call_after_note_saved(lambda: saved.append(1))
                yield from wait(lambda: saved, 20)
            yield from pause(1)
            phase("browser-close")
            browser.close()
            yield from pause(2)
        if want("watch"):
            mw.col.decks.select(mw.col.get_card(polar_card_ids()[0]).did)
            mw.moveToState("review")
            yield from pause(1)
            phase("watch-save")
            docs = sorted(p for p in args.library.iterdir() if (p / "state.json").is_file())
            path = docs[0] / "state.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(path.read_text() + " ")  # as Polar saves: a new file renamed over it
            os.replace(tmp, path)
            before = runner.finished_count
            yield from wait(lambda: runner.finished_count > before and not runner.busy, 120)
            yield from pause(3)
            mw.moveToState("deckBrowser")
            yield from pause(1)
        if want("profile"):
            phase("profile-close")
            closed: List[int] = []
            mw.unloadProfile(lambda: closed.append(1))
            yield from wait(lambda: closed, 120)
            phase("profile-open")
            mw.pm.load(anki_harness.PROFILE)
            mw.loadProfile()
            yield from wait(lambda: mw.col is not None and mw.state == "deckBrowser", 120)
            wrap_backend()
            yield from pause(3)
        if want("undo"):
            from aqt.operations.collection import undo

            phase("undo")
            print("undo:", mw.col.undo_status().undo, flush=True)
            undo(parent=mw)
            yield from pause(15)
        phase("exit")
        mw.unloadProfileAndExit()

    steps = script()

    def step() -> None:
        try:
            next(steps)
        except StopIteration:
            driver.stop()
        except Exception:
            traceback.print_exc()
            driver.stop()
            app.exit(3)

    ticker = QTimer()
    ticker.setTimerType(ticker.timerType().PreciseTimer)
    ticker.timeout.connect(tick)
    ticker.start(TICK_MS)
    driver = QTimer()
    driver.timeout.connect(step)
    driver.start(20)
    code = app.exec()
    stop.set()
    sys.excepthook = sys.__excepthook__  # as anki_harness.shutdown restores them
    sys.stderr = anki._saved_stderr
    for name in list(gaps):
        late = sorted(gaps[name])
        made = calls[name]
        ours = [x for x in made if x[1]]
        print(f"== {name}: ticks {len(late)} max late {late[-1]:.0f} ms, >50 ms: {sum(1 for x in late if x > 50)}, "
              f"sum of gaps >20 ms: {sum(x for x in late if x > 20):.0f} ms; main-thread backend calls {len(made)} "
              f"(ours {len(ours)}, ours failed {sum(1 for x in ours if x[3])}, ours ms {sum(x[2] for x in ours):.0f})")
        counted: collections.Counter = collections.Counter()
        spent: collections.Counter = collections.Counter()
        for method, frame, ms, failed in ours:
            counted[(method, frame, failed)] += 1
            spent[(method, frame, failed)] += ms
        for key, n in counted.most_common(12):
            print(f"     {n:6d}x {spent[key]:8.1f} ms  {key}")
        theirs = collections.Counter((x[0], x[3]) for x in made if x[3] and not x[1])
        for (method, failed), n in theirs.most_common(5):
            print(f"     (not ours) failed {n}x {method} {failed}")
        for key, n in samples[name].most_common(14):
            if n >= 5:
                print(f"     sampled {n * 2:5d} ms~ {key}")
    print("exit code", code)


if __name__ == "__main__":
    main()
