"""Count the instructions of a first sync, to compare two versions of the add-on.

On a shared machine a first sync's wall time moves by more than a small
change saves (4.5-6.6 s from one run to the next in the twenty-fourth round
of issue 15). Instructions do not: a first sync with Anki's writes free (as
``make bench``'s floor) run under valgrind's callgrind with a fixed hash seed
counts the same to ~0.05 %. So a change of a few microseconds a card shows.

    python tools/instructions.py LIBRARY [--tree DIR ...]

runs the sync of LIBRARY (a Polar data directory, e.g. one made by
``tools/synthetic_library.py``) once per tree (default: this one) under
valgrind and prints each count and its difference from the first. A
200-document library takes about a minute a tree, 1,000 documents four. What
every run pays whatever the library (Python's start, Anki's import, a new
collection) is ~1.4 G instructions (bytecode cached, as below): give it with
``--fixed`` (a run on a one-document library) to see the sync's own share. Valgrind's CPU has no SHA
extensions, so SHA-1 counts higher than it costs; Python counts as it runs.

``--inner LIBRARY`` is the sync itself (what valgrind runs; also usable alone).
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any, List, Optional

ROOT = Path(__file__).resolve().parent.parent


def tree_addon(tree: Path) -> ModuleType:
    """``tree``'s ``addon`` package, imported before anything that puts
    another tree first on ``sys.path`` (``bench_figures`` puts this one):
    from then on every ``addon.…`` import is ``tree``'s. Refuses to count
    another tree's than asked for."""
    if str(tree) not in sys.path:
        sys.path.insert(0, str(tree))
    # (A call, not an import statement: an import sorter would move that
    # below bench_figures' import, and every tree would count this one.)
    package = importlib.import_module("addon")
    where = Path(package.__file__ or "").resolve().parent.parent
    if where != tree.resolve():
        raise SystemExit(f"the add-on imported is {where}'s, not {tree}'s")
    return package


def first_sync_writes_free(library: Path, tree: Path = ROOT) -> int:
    """A first sync of ``library`` with ``tree``'s add-on into a new
    collection whose note writes cost nothing (made-up ids come back); the
    number of notes it made."""
    tree_addon(tree)
    if str(ROOT / "tools") not in sys.path:
        sys.path.insert(1, str(ROOT / "tools"))
    from bench_figures import count_request_notes, fresh_collection, gc_paused, settings_for

    import addon.sync.apply as apply
    import addon.sync.write as write
    from addon.sync.engine import collection_identity, prepare

    made_up = itertools.count(1_700_000_000_000)
    real = write._run_add_notes
    write._run_add_notes = lambda col, request: list(itertools.islice(made_up, count_request_notes(request)))
    where = Path(tempfile.mkdtemp(prefix="polar-instructions-"))
    try:
        col = fresh_collection(where)
        with gc_paused():
            prepared = prepare(settings_for(library), where / "state.sqlite", source_path=library,
                               collection_id=collection_identity(col))
            report: Any = prepared.apply(col)
            del prepared
            if hasattr(apply, "let_go_done"):  # (a tree before it freed its lists at once)
                apply.let_go_done()  # counted whole, not cut off by the exit
        col.close()
    finally:
        write._run_add_notes = real  # (a caller in the same process writes for real again)
        shutil.rmtree(where, ignore_errors=True)
    if report.errors:
        raise SystemExit(f"the first sync reported errors: {report.errors[:3]}")
    return int(report.created)


def count(library: Path, tree: Path) -> int:
    """Instructions of ``first_sync_writes_free`` under callgrind."""
    out = Path(tempfile.mkdtemp(prefix="polar-callgrind-"))
    # Bytecode compiled beforehand, as Anki runs an installed add-on (it
    # writes the .pyc on its first start): one run outside valgrind writes
    # every module's into a private folder. Compiled under the count instead
    # (PYTHONDONTWRITEBYTECODE, as on this machine), each line added to a
    # module the sync imports counted ~50 k instructions as if the sync ran it.
    env = dict(os.environ, PYTHONHASHSEED="0", PYTHONPYCACHEPREFIX=str(out / "pyc"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    inner = [sys.executable, str(Path(__file__).resolve()), "--inner", str(library), "--tree", str(tree)]
    try:
        subprocess.run(inner, env=env, capture_output=True, check=True)
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.%p", "--dump-instr=no",
             "--collect-jumps=no", *inner],
            env=env, capture_output=True, text=True, check=False)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    found = re.search(r"Collected\s*:\s*([\d,]+)", run.stderr)
    if run.returncode != 0 or found is None:
        raise SystemExit(f"valgrind failed for {tree}:\n{run.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library", type=Path, nargs="?")
    parser.add_argument("--tree", type=Path, action="append", help="an add-on checkout (repeatable)")
    parser.add_argument("--fixed", type=int, default=0, help="instructions every run pays (subtracted)")
    parser.add_argument("--inner", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner is not None:
        made = first_sync_writes_free(args.inner, (args.tree or [ROOT])[0])
        print(f"{made} notes", file=sys.stderr)
        return 0
    if args.library is None:
        parser.error("a library is needed")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt install valgrind)")
    first = 0
    for tree in args.tree or [ROOT]:
        n = count(args.library, tree) - args.fixed
        first = first or n
        print(f"{n:>16,} instructions  {100 * (n - first) / first:+6.2f} %  {tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
