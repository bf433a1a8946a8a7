#!/usr/bin/env python3
"""Benchmark: does a sync cost track what changed, close to Anki's own floor?

    .venv/bin/python tools/bench.py [--documents 1000] [--cards 50000] [--seed 1] [--reps 3]

Generates a synthetic Polar library (tools/synthetic_library.py, fixed seed)
and measures, in this one process, each figure as the median of ``--reps``
runs:

* baseline   the same final notes (fields, tags, guids, decks read back from
             a synced collection) inserted with one bare ``col.add_notes``
             batch into a fresh collection: the floor inside Anki;
* import     the same notes in one bare ``col.import_json_string`` (Anki's
             foreign-data import, Rust): the second floor;
* first      the first sync into a fresh collection (parse, plan, media, write);
* no-op      a resync of the unchanged library;
* one-doc    a resync after one document was edited the way Polar does it
             (3 cards re-created with new ids, 1 added, 1 deleted, temp+rename);
* peer       Polar's own AnkiConnect sync without the HTTP: read every
             document, then per card ``find_notes("tag:polar_guid:<id>")`` and
             ``add_note`` when missing;
* RSS        peak resident memory of a child process doing the first sync;
* import     ``import addon`` + the GUI module, as Anki does at start (aqt
             already loaded, bytecode cached), minus an empty interpreter;
* watcher    the add-on's LibraryWatcher on the library (inotify on Linux;
             20 ``.backup-*`` snapshots added meanwhile), the same debounce
             as the GUI, ``sync(only=changed keys)``: from the ``os.replace``
             of a state.json to the new note in the collection; and the
             inotify watches it holds (/proc/self/fdinfo);
* poll       the same through the stat poll macOS uses, and the cost of one
             poll of the whole library;
* sanitiser  ``sanitize_html`` on 100,000 typical fields.
* export     a Polar 2.x export of the library plus >= 1 GB of documents:
             ``tarfile`` iterating it, the add-on's first read, the RSS that
             read adds, a first sync from it and an unchanged resync.

Prints a table with absolute times and ratios; exits 1 when a target is
missed (so it can gate a CI job; it is not part of ``make test``).

This file is the entry point; the figures are measured in
tools/bench_figures.py and printed by tools/bench_table.py. To add a figure:
a ``@figure("key")`` function in bench_figures.py returning its measurements,
and one ``t.row(...)`` in ``bench_table.rows`` (plus a TARGETS entry if it has
a target).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import List, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_figures as figures  # noqa: E402
import bench_table as table  # noqa: E402
import synthetic_library as synth  # noqa: E402


def work_parent() -> Path:
    """Where a run's folder is made (and removed after it): build/bench/ in
    this checkout, not the system's temp folder. A user's collection lives in
    an Anki profile, a folder nothing churns; the temp folder is where other
    jobs (pytest's old base folders, a CI checkout, a probe) remove tens of
    thousands of files, and on ext4 without a journal (this machine's disk)
    a new file beside them then costs 5-30 x its usual ~30 µs for minutes
    (the inode allocator skips each recently freed inode of the folder's
    block group one by one). The first sync writes ~3,800 image files and
    the baselines none, so a run begun in such minutes measured the temp
    folder, not the sync. A run begun as the one before removed its folder
    still meets them here. The table prints the disk's mood either way
    (bench_figures.disk_probe_us)."""
    parent = Path(__file__).resolve().parents[1] / "build" / "bench"
    parent.mkdir(parents=True, exist_ok=True)
    return parent


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Polar Sync benchmark (see the module docstring).")
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--cards", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the expensive figures")
    ap.add_argument("--quick-reps", type=int, default=5, help="repetitions of no-op / one-doc")
    ap.add_argument("--peer-sample", type=int, default=1000,
                    help="tag searches timed in the peer loop (0: all of them)")
    ap.add_argument("--no-watcher", action="store_true")
    ap.add_argument("--no-gui", action="store_true", help="skip the figure that runs real Anki")
    ap.add_argument("--export-mb", type=int, default=1100,
                    help="MB of document bodies in the generated export (0: no export figure)")
    ap.add_argument("--profile", type=Path, metavar="FILE.prof",
                    help="also profile one more first sync (cProfile) into FILE.prof and print its top entries")
    ap.add_argument("--enforce", action="store_true", help="fail on missed targets below 50,000 cards too")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    ap.add_argument("--child-rss", choices=("idle", "baseline", "baseline_import", "sync"), help=argparse.SUPPRESS)
    ap.add_argument("--library", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.child_rss:
        figures.child_rss_main(args.child_rss, args.library, args.work)
        return 0

    work = args.keep or Path(tempfile.mkdtemp(prefix="polar-bench-", dir=work_parent()))
    if args.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _run(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, work: Path) -> int:
    library = work / "polar"
    figures.log(f"generating {args.documents} documents / {args.cards} cards (seed {args.seed})")
    gen_s, info = figures.timed(lambda: synth.generate(library, args.documents, args.cards, args.seed))
    figures.log(f"generated in {gen_s:.1f} s: {info.images} area images, {info.inline_images} inline images")
    pristine = work / "polar-pristine"
    shutil.copytree(library, pristine)  # the peer and RSS runs read the unedited library

    bench = figures.Bench(args=args, work=work, library=library, pristine=pristine, info=info)
    try:
        figures.measure_all(bench)
    finally:
        if bench.col is not None:
            bench.col.close()

    t = table.Table(enforce=args.cards >= 50_000 or args.enforce)
    table.rows(bench, t)
    print(t.render(table.title(bench)))
    if args.json:
        args.json.write_text(json.dumps({
            "documents": args.documents, "cards": bench.detail["peer"]["cards"], "seed": args.seed,
            **bench.found, "watcher": bench.found.get("watcher", []), "missed": t.failed,
        }, indent=2))
    if t.failed:
        print(f"\ntargets missed: {', '.join(t.failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
