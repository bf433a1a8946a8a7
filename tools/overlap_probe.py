#!/usr/bin/env python3
"""Would a first sync gain by reading documents while Anki writes notes?

The first sync reads and parses the whole library (~0.8 s on the bench
library) before Anki's first ``add_notes`` call; a streaming design would do
that reading beside Anki's writes instead. This probe measures what such a
reading would cost there, without building the design: each repetition runs,
in fresh processes and in turn,

* ``plain``: a first sync into a new collection, as ``make bench`` times it;
* ``reading``: the same, with a second, complete reading of the library
  (``engine.prepare``, no collection) started on a thread at Anki's first
  write: the work a streaming sync would move there;
* ``python``: the same, with ``--spin`` seconds of pure-Python CPU started
  there instead (no memory traffic, no I/O: the GIL alone).

``streamed`` is the ``reading`` run's wall time less its own serial reading:
what a sync whose reading ran wholly beside the writes would take (a little
optimistic: the first batch's documents would still be read first). If it
is above ``plain``, the writes' stretch has no room for more Python and a
streaming reading loses; ``python`` tells how much wall time a second of
Python costs there (docs/performance.md, "Twenty-seventh round").

    .venv/bin/python tools/overlap_probe.py /tmp/blib --reps 4 [--work DIR]

``--work``: where the collections go (default: a temporary directory on the
disk, kept until the end, as deleting thousands of media files between runs
slows the next ones' file creation).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

ROOT = Path(__file__).resolve().parent.parent


def one(library: Path, work: Path, mode: str, spin: float) -> Dict[str, float]:
    """One first sync in this process; its timings (seconds from its start)."""
    sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
    from bench_figures import fresh_collection, settings_for

    from addon.sync import write
    from addon.sync.apply import let_go_done
    from addon.sync.engine import collection_identity, prepare
    from addon.sync.gcpause import gc_paused

    where = Path(tempfile.mkdtemp(dir=work))
    col = fresh_collection(where)
    started = threading.Event()
    extra_end = [0.0]
    first_call = [0.0]
    real = write._run_add_notes

    def beside() -> None:
        if mode == "reading":
            prepare(settings_for(library), where / "extra.sqlite", source_path=library, collection_id="probe")
        else:
            c0 = time.thread_time()
            while time.thread_time() - c0 < spin:
                x = 0
                for i in range(2000):
                    x += i
        extra_end[0] = time.perf_counter()

    def first_write(*args: Any, **kwargs: Any) -> Any:
        if not started.is_set():
            started.set()
            first_call[0] = time.perf_counter()
            if mode != "plain":
                threading.Thread(target=beside, name="probe").start()
        return real(*args, **kwargs)

    write._run_add_notes = first_write  # type: ignore[assignment]
    with gc_paused():
        t0 = time.perf_counter()
        prepared = prepare(settings_for(library), where / "state.sqlite", source_path=library,
                           collection_id=collection_identity(col))
        t1 = time.perf_counter()
        prepared.apply(col)
        t2 = time.perf_counter()
        while mode != "plain" and not extra_end[0]:
            time.sleep(0.002)
    end = max(t2, extra_end[0])
    del prepared
    let_go_done()
    col.close()
    return {"wall": end - t0, "reading": t1 - t0, "first_write": first_call[0] - t0,
            "beside_end": extra_end[0] - t0 if extra_end[0] else 0.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("library", type=Path)
    ap.add_argument("--reps", type=int, default=4)
    ap.add_argument("--spin", type=float, default=0.4, help="seconds of pure Python for the 'python' runs")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--one", choices=("plain", "reading", "python"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.library.resolve(), args.work, args.one, args.spin)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="overlap-", dir=os.environ.get("TMPDIR", "/var/tmp")))
    work.mkdir(parents=True, exist_ok=True)
    runs: Dict[str, List[Dict[str, float]]] = {"plain": [], "reading": [], "python": []}
    try:
        for rep in range(args.reps):
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for mode in order:
                out = subprocess.run(
                    [sys.executable, __file__, str(args.library), "--one", mode, "--spin", str(args.spin),
                     "--work", str(work)], check=True, capture_output=True, text=True).stdout
                got = json.loads(out.strip().splitlines()[-1])
                runs[mode].append(got)
                print(f"{rep + 1}/{args.reps} {mode:8s} {got['wall']:.3f} s (reading {got['reading']:.3f} s, "
                      f"first write at {got['first_write']:.3f} s, beside it until {got['beside_end']:.3f} s)",
                      flush=True)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)

    def med(mode: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[mode])

    plain, reading, python = med("plain", "wall"), med("reading", "wall"), med("python", "wall")
    streamed = statistics.median(r["wall"] - r["reading"] for r in runs["reading"])
    print(f"plain first sync        {plain:.3f} s (its reading {med('plain', 'reading'):.3f} s)")
    print(f"+ a reading beside      {reading:.3f} s ({reading - plain:+.3f} s)")
    print(f"  streamed (estimate)   {streamed:.3f} s ({streamed - plain:+.3f} s against plain)")
    print(f"+ {args.spin:.2f} s of Python    {python:.3f} s ({python - plain:+.3f} s: "
          f"{(python - plain) / args.spin:.2f} s of wall time a second of Python)")


if __name__ == "__main__":
    main()
