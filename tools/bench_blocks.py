#!/usr/bin/env python3
"""What Polar 3's blocks cost an export's sync (docs/dev-notes/blocks.md).

    .venv/bin/python tools/bench_blocks.py [--documents 200] [--cards 10000] [--reps 5] [--server]
                                           [--tree DIR] [--keep DIR] [--profile FILE.prof]

Builds a synthetic library (tools/synthetic_library.py, fixed seed) and two
Polar 2.x exports of it (tools/polar_export.py): ``plain`` (the DocMetas and
Polar's one note block) and ``migrated`` (every document migrated to blocks
as Polar 3 does it, ``migrate_to_blocks``: client-side, or with ``--server``
the server-side migration). Then, ``--reps`` times, alternating the two
exports so a slow minute of this shared machine falls on both:

* list     ``list_documents`` of a fresh read (no cache yet);
* first    a first sync into a fresh collection (its own new export cache),
           split into ``prepare`` (read, parse) and ``apply``;
* resync   an unchanged resync, and its read phase alone (``prepare``).

Prints the medians and the migrated/plain ratios (the blocks' cost). Not part
of ``make bench``: 200 documents take about a minute a repetition.

``--tree DIR``: measure that checkout's add-on (another worktree, to compare
two versions alternately in two runs). ``--keep DIR``: work there and keep
the exports (``plain.zip``, ``migrated.zip``), e.g. for
``tools/instructions.py DIR/migrated.zip --tree A --tree B``.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent


def build_exports(work: Path, documents: int, cards: int, seed: int, server: bool) -> Tuple[Path, Path, int]:
    """``work/plain.zip`` and ``work/migrated.zip`` (made once, reused when
    there), and the number of blocks the migrated one holds."""
    import polar_export
    import synthetic_library as synth

    plain, migrated = work / "plain.zip", work / "migrated.zip"
    marker = work / f"made-{documents}-{cards}-{seed}-{'server' if server else 'client'}"
    if plain.is_file() and migrated.is_file() and marker.is_file():
        return plain, migrated, int(marker.read_text())
    library = work / "library"
    shutil.rmtree(library, ignore_errors=True)
    synth.generate(library, documents=documents, cards=cards, seed=seed)
    metas = polar_export.library_metas(library)
    polar_export.write_export(plain, metas)
    blocks: List[Dict[str, Any]] = []
    after: List[Dict[str, Any]] = []
    for i, meta in enumerate(metas):
        # A prefix of its own per document: ids unique across the export.
        made, meta_after = polar_export.migrate_to_blocks(meta, server=server, prefix=f"B{i:04d}")
        blocks += made
        after.append(meta_after)
    versions = {m["docInfo"]["fingerprint"]: 3 for m in after} if server else None
    polar_export.write_export(migrated, after, blocks=blocks, versions=versions)
    shutil.rmtree(library, ignore_errors=True)
    for old in work.glob("made-*"):
        old.unlink()
    marker.write_text(str(len(blocks)))
    return plain, migrated, len(blocks)


def timed(fn: Callable[[], Any]) -> Tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--documents", type=int, default=200)
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--server", action="store_true", help="the server-side migration (else the client-side one)")
    ap.add_argument("--only", choices=("plain", "migrated"), help="measure one export only")
    ap.add_argument("--tree", type=Path, help="measure this checkout's add-on")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (the exports are reused)")
    ap.add_argument("--profile", type=Path, metavar="FILE.prof",
                    help="also profile one first sync and one resync of the migrated export (of the plain "
                         "one with --only plain) with cProfile")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(ROOT / "tools"))
    from instructions import tree_addon

    tree_addon((args.tree or ROOT).resolve())  # before bench_figures puts this tree first
    from bench_figures import fresh_collection, settings_for

    from addon.polar.library import open_source
    from addon.sync.engine import collection_identity, prepare, sync
    from addon.sync.gcpause import gc_paused

    work = args.keep or Path(tempfile.mkdtemp(prefix="polar-bench-blocks-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        t = time.perf_counter()
        plain, migrated, n_blocks = build_exports(work, args.documents, args.cards, args.seed, args.server)
        print(f"exports ready ({time.perf_counter() - t:.1f} s): {args.documents} documents, {args.cards} cards, "
              f"{n_blocks} blocks ({'server' if args.server else 'client'}-side migration)", file=sys.stderr)
        exports = {"plain": plain, "migrated": migrated}
        if args.only:
            exports = {args.only: exports[args.only]}
        runs: Dict[str, Dict[str, List[float]]] = {k: {} for k in exports}
        scratch = work / "runs"

        def once(kind: str, path: Path, i: int) -> None:
            out = runs[kind]
            where = scratch / f"{kind}-{i}"
            shutil.rmtree(where, ignore_errors=True)
            where.mkdir(parents=True)
            with gc_paused():
                out.setdefault("list", []).append(
                    timed(lambda: open_source(path, where / "list-cache.sqlite").list_documents())[0])
            col = fresh_collection(where / "col")
            state = where / "col" / "state.sqlite"
            settings = settings_for(path)
            try:
                ident = collection_identity(col)
                with gc_paused():
                    t0 = time.perf_counter()
                    prepared = prepare(settings, state, source_path=path, collection_id=ident)
                    t1 = time.perf_counter()
                    report = prepared.apply(col)
                    t2 = time.perf_counter()
                del prepared
                if report.errors:
                    raise SystemExit(f"{kind}: the first sync reported errors: {report.errors[:3]}")
                out.setdefault("first", []).append(t2 - t0)
                out.setdefault("first prepare", []).append(t1 - t0)
                out.setdefault("first apply", []).append(t2 - t1)
                out.setdefault("cards", []).append(float(report.created))
                elapsed, again = timed(lambda: sync(col, settings, state, source_path=path))
                if again.changed or again.parsed or again.created:
                    raise SystemExit(f"{kind}: an unchanged export was not a no-op")
                out.setdefault("resync", []).append(elapsed)
                with gc_paused():
                    out.setdefault("resync read", []).append(
                        timed(lambda: prepare(settings, state, source_path=path, collection_id=ident))[0])
            finally:
                col.close()
            shutil.rmtree(where, ignore_errors=True)

        for i in range(args.reps):
            order = list(exports.items())
            for kind, path in order if i % 2 == 0 else order[::-1]:
                once(kind, path, i)
            print(f"  rep {i + 1}/{args.reps}: " + "; ".join(
                f"{k} first {runs[k]['first'][-1]:.2f} s, resync read {runs[k]['resync read'][-1] * 1000:.0f} ms"
                for k in exports), file=sys.stderr)

        figures = ("list", "first", "first prepare", "first apply", "resync", "resync read")
        print(f"{'figure':<16}" + "".join(f"{k + ' (median, min)':>26}" for k in exports)
              + ("   migrated/plain" if len(exports) == 2 else ""))
        for name in figures:
            row = f"{name:<16}"
            for kind in exports:
                values = runs[kind][name]
                row += f"{statistics.median(values) * 1000:>15.0f} ms {min(values) * 1000:>6.0f} ms"
            if len(exports) == 2:
                row += f"   {statistics.median(runs['migrated'][name]) / statistics.median(runs['plain'][name]):.2f}"
            print(row)
        print("cards made: " + ", ".join(f"{k} {int(runs[k]['cards'][0])}" for k in exports))

        if args.profile is not None:
            import cProfile

            where = scratch / "profile"
            shutil.rmtree(where, ignore_errors=True)
            col = fresh_collection(where / "col")
            state = where / "col" / "state.sqlite"
            profiled = exports.get("migrated", plain)
            settings = settings_for(profiled)
            prof = cProfile.Profile()
            try:
                prof.runcall(sync, col, settings, state, source_path=profiled)
                prof.dump_stats(str(args.profile))
                prof = cProfile.Profile()
                prof.runcall(sync, col, settings, state, source_path=profiled)
                prof.dump_stats(str(args.profile.with_suffix(".resync.prof")))
            finally:
                col.close()
            print(f"profiles: {args.profile}, {args.profile.with_suffix('.resync.prof')}", file=sys.stderr)
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            shutil.rmtree(work / "runs", ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
