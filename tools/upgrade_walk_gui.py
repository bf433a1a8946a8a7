"""An add-on update walked in real Anki (headless): an earlier release's
.ankiaddon installed and used, the new one installed over it while Anki runs
(Tools ▸ Add-ons ▸ Install from file, as an AnkiWeb update does), Anki
restarted; then the earlier file installed over the new one ("and back").

    .venv/bin/python tools/upgrade_walk_gui.py OLD.ankiaddon NEW.ankiaddon [--out DIR]

Build each file with its own commit's tools (``python tools/build_addon.py
--out X`` in a worktree of that commit). Each Anki runs in a process of its
own (this file again, with a phase name), the profile's collection, the
add-on's ``user_files/`` and Anki's ``meta.json`` (the saved settings) carry
over as on a user's computer. Prints what changed between the phases as
JSON (tools/upgrade_walk.py's comparisons). Not part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Dict

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "tools"))

PACKAGE = "polar_sync"


def _settle(anki: Any, least: float = 6.0, still: float = 4.0, most: float = 180.0) -> None:
    """Anki's event loop until the add-on's sync has had time to run and the
    notes stopped changing (an older release's internals are not known)."""
    mw = anki.mw
    start = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - start < most:
        anki.process(0.25)
        now = (mw.col.db.scalar("select count(), max(mod) from notes") if mw.col else None,
               mw.progress.busy())
        if now != last:
            last, since = now, time.monotonic()
        if time.monotonic() - start >= least and time.monotonic() - since >= still and not now[1]:
            return


def phase(name: str, base: Path, args: Dict[str, Any]) -> Dict[str, Any]:
    import anki_harness

    seen: Dict[str, Any] = {"errors": []}
    anki_harness.prepare_environment(offscreen=True)
    if name == "first":
        anki_harness.seed_base(base)
        anki = anki_harness.start(base, Path(args["file"]), config=args["config"])
    else:
        anki = anki_harness.start(base, None)
    mw = anki.mw

    def caught(kind: Any, value: Any, tb: Any) -> None:
        seen["errors"].append("".join(traceback.format_exception(kind, value, tb)))

    sys.excepthook = caught
    _settle(anki)
    seen["config"] = mw.addonManager.getConfig(PACKAGE)
    seen["addon_mod"] = mw.addonManager.addon_meta(PACKAGE).installed_at
    setup = sys.modules.get(f"{PACKAGE}.gui.setup")
    outcome = getattr(getattr(setup, "controller", None), "last_outcome", None)
    if outcome is not None:
        try:
            seen["summary"] = outcome.report.summary()
            seen["warnings"] = [w.get("code") for w in outcome.report.warnings]
        except Exception:
            seen["summary"] = repr(outcome)
    status = mw.col.undo_status()
    seen["undo_step"] = status.undo  # what Edit ▸ Undo names after the startup sync
    if args.get("undo") and status.undo:
        mw.col.undo()  # Edit ▸ Undo, once
        seen["undone"] = status.undo
        seen["undo_step_after"] = mw.col.undo_status().undo
    if name == "study":
        from upgrade_walk import study_col  # the same study as the core walk
        seen["marks"] = study_col(mw.col)
        mw.col.save() if hasattr(mw.col, "save") else None
    if args.get("install"):
        result = mw.addonManager.install(args["install"])
        seen["installed"] = getattr(result, "name", repr(result))
        anki.process(1.0)
    try:
        anki_harness.shutdown(anki)
    except RuntimeError as exc:
        seen["errors"].append(str(exc))
    return seen


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--phase":
        name, base, args = sys.argv[2], Path(sys.argv[3]), json.loads(sys.argv[4])
        out = Path(sys.argv[5])
        try:
            seen = phase(name, base, args)
        except Exception:
            seen = {"errors": [traceback.format_exc()]}
        out.write_text(json.dumps(seen, default=str))
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        os._exit(0)

    from upgrade_walk import SETTINGS, diff, look, snapshot, walk_library

    from tests.polar_factory import basic

    p = argparse.ArgumentParser()
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--out", type=Path, default=Path("/tmp/upgrade-walk-gui"))
    p.add_argument("--undo", action="store_true",
                   help="undo the new version's first sync once (Edit ▸ Undo) and look what came back")
    a = p.parse_args()
    work = a.out / a.old.stem
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    lib, doc = walk_library(work)
    base = work / "anki"
    col = base / "Polar Test" / "collection.anki2"
    user_files = base / "addons21" / PACKAGE / "user_files"
    steps: Dict[str, Any] = {}
    marks: Dict[str, Any] = {}

    def run(name: str, label: str, **args: Any) -> None:
        before = snapshot(col) if col.exists() else None
        out = work / f"{label}.json"
        proc = subprocess.run([sys.executable, __file__, "--phase", name, str(base), json.dumps(args, default=str),
                               str(out)], capture_output=True, text=True, timeout=600, cwd=HERE)
        seen = json.loads(out.read_text()) if out.exists() else {"errors": [proc.stderr[-3000:]]}
        after = snapshot(col)
        states = sorted(p.name for p in user_files.iterdir()) if user_files.exists() else []
        steps[label] = {"seen": {k: v for k, v in seen.items() if k != "marks"},
                        "diff": diff(before, after) if before else {"notes": len(after["notes"])},
                        "user_files": states}
        if "marks" in seen:
            marks.update(seen["marks"])
        if marks:
            steps[label]["look"] = look(col, marks)

    config = dict(SETTINGS, data_dir=str(lib), watch_debounce_ms=500)
    run("first", "1 old: first sync", file=str(a.old), config=config)
    doc.delete_card("c0")
    doc.write()
    run("study", "2 old: startup sync (a deletion), then studied")
    run("plain", "3 old: startup sync, then the NEW file installed over it", install=str(a.new))
    run("plain", "4 NEW after the restart: startup sync, Polar unchanged", undo=a.undo)
    doc.edit_card("c1", "c1b", basic("Question 1", "Answer 1, revised"))
    doc.card("c9", basic("A new question", "A new answer"))
    doc.write()
    run("plain", "5 NEW: startup sync, Polar changed; then the OLD file installed over it", install=str(a.old))
    run("plain", "6 OLD after the restart: startup sync (back)")
    run("plain", "7 OLD again")
    print(json.dumps(steps, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
