#!/usr/bin/env python3
"""The child process of bench figure ``open_page``: click-to-visible-page.

What a click on "open at p. N" costs, without the reviewer: from the card's
guid, a fresh :class:`OriginFinder` looks the card up in the sync state,
reads its document's state.json, finds the PDF in stash/; the add-on's
window opens it at the page, its page is drawn (on Qt PDF's renderer
thread: the clock runs until the window has it) with the highlight and is
painted (a grab forces the paint). Qt offscreen; prints one JSON line.

    python tools/bench_viewer.py --library L --state S --guid G [--reps 5] [--make-pdf P --pages N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--library", type=Path, required=True)
    ap.add_argument("--state", type=Path, required=True)
    ap.add_argument("--guid", required=True)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--make-pdf", type=Path, help="first write a PDF of --pages pages here (not timed)")
    ap.add_argument("--pages", type=int, default=0)
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from aqt.qt import QApplication, QEventLoop, sip

    app = QApplication([sys.argv[0]])
    if args.make_pdf is not None:
        sys.path.insert(0, str(ROOT / "tools"))
        import pdf_maker

        pdf_maker.write_pdf(args.make_pdf, args.pages, title="The longest document", lines_per_page=24,
                            figure_px=420)
    from addon.gui.document_window import DocumentWindow
    from addon.sync.origin import OriginFinder

    samples, page = [], 0
    for _ in range(args.reps):
        start = time.perf_counter()
        origin = OriginFinder(args.library, args.state).find(args.guid)
        assert origin is not None and origin.original.path is not None, "the card's PDF was not found"
        window = DocumentWindow(None)
        window.open(origin.original.path, origin.original.title, origin.spot)
        window.show()
        deadline = time.monotonic() + 60
        while window.rendering and time.monotonic() < deadline:  # (drawn on Qt PDF's thread)
            app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
        window.grab()  # paints the page as the screen would
        samples.append(time.perf_counter() - start)
        page = window.rendered_page
        assert page == origin.spot.page and window.view.mark_rects(), "not at the highlight's page"
        window.close()
        sip.delete(window)  # (its page is in: nothing to wait for)
    print(json.dumps({"samples": samples, "page": page}))


if __name__ == "__main__":
    main()
