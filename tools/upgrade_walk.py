"""An add-on update walked for real: an earlier release of Polar Sync syncs a
library into a real Anki collection, a person studies and edits, then this
checkout syncs the same collection and state (Polar unchanged, then changed),
and then the earlier release syncs it again ("and back").

    .venv/bin/python tools/upgrade_walk.py OLD_CHECKOUT [NEW_CHECKOUT] [--out DIR]

OLD_CHECKOUT is a worktree of an earlier commit (``git worktree add --detach
/work/up/<sha> <sha>``); each release runs its own ``tools/polar_sync.py``
(the core ``sync`` the add-on runs) with this venv's Anki, on the same
collection, state file and settings, as an AnkiWeb update of the add-on
keeps ``user_files/`` and the config. Prints what changed between the steps
as JSON: notes added/removed/rewritten, cards whose scheduling moved, review
rows, the user's edit, deck, suspension and set-aside note, the state file's
fate. Not part of ``make test`` (it needs the old worktrees).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Tuple

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE))

from anki.collection import Collection  # noqa: E402

from tests.polar_factory import SHARED_SAMPLES, Doc, basic, cloze, copy_sample_library, export_zip  # noqa: E402

SETTINGS = {  # changed from their defaults, as a user would
    "deck_strategy": "document",
    "document_deck_parent": "Reading",
    "delete_max_share": 0.5,
    "watch_debounce_ms": 3000,
}


def walk_library(work: Path) -> Tuple[Path, Doc]:
    """The library every walk syncs (the bundled sample and a document of
    Basic, Cloze and reversed cards on one highlight), in ``work/polar``."""
    lib = copy_sample_library(work / "polar")
    doc = Doc(lib, "1UpgradeWalkDoc0000000aa", "Upgrade walk", tags=["walk"])
    doc.text_highlight("h1", "The first highlight.", top=100.0)
    for i in range(6):
        doc.card(f"c{i}", basic(f"Question {i}", f"Answer {i}"), ref="textHighlight:h1")
    doc.card("z1", cloze("A {{c1::cloze}} card"), ctype="CLOZE")
    doc.card("r1", basic("Reversed front", "Reversed back"), ctype="BASIC_FRONT_BACK_AND_REVERSE")
    doc.write()
    return lib, doc


def run(checkout: Path, lib: Path, col: Path, cfg: Path, report: Path, lang: str = "") -> Dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, str(checkout / "tools" / "polar_sync.py"), "--data-dir", str(lib),
         "--collection", str(col), "--config", str(cfg), "--report", str(report)]
        + (["--lang", lang] if lang and not col.exists() else []),
        cwd=checkout, capture_output=True, text=True, timeout=600)
    out = {"rc": proc.returncode, "stdout": proc.stdout[-3000:], "stderr": proc.stderr[-3000:]}
    if report.exists():
        out["report"] = json.loads(report.read_text())
        report.unlink()
    return out


def h(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:10]


def snapshot(path: Path) -> Dict[str, Any]:
    col = Collection(str(path))
    try:
        notes = {nid: (guid, mid, flds, tags, mod) for nid, guid, mid, flds, tags, mod in
                 col.db.all("select id, guid, mid, flds, tags, mod from notes")}
        cards = {cid: (nid, did, ord_, ctype, queue, due, ivl, factor, reps, lapses) for
                 cid, nid, did, ord_, ctype, queue, due, ivl, factor, reps, lapses in
                 col.db.all("select id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses from cards")}
        revlog = col.db.scalar("select count() from revlog")
        decks = sorted(d.name for d in col.decks.all_names_and_ids())
        types = {m["name"]: (h(m["css"]), h(json.dumps([t["afmt"] for t in m["tmpls"]])),
                             [f["name"] for f in m["flds"]]) for m in col.models.all()}
        conf = {k: col.get_config(k, None) for k in ("polarSyncSetAside", "polarSyncWritten")}
        media = Path(col.media.dir())
        wanted = {name for flds in col.db.list("select flds from notes")
                  for name in re.findall(r'<img[^>]* src="([^"]+)"', flds)}
        missing = sorted(n for n in wanted if not (media / n).exists())
        return {"notes": notes, "cards": cards, "revlog": revlog, "decks": decks, "types": types,
                "media": (len(wanted), missing),
                "conf": {k: (len(json.dumps(v)) if v is not None else None) for k, v in conf.items()},
                "setaside": conf["polarSyncSetAside"]}
    finally:
        col.close()


def state_info(col: Path) -> Dict[str, Any]:
    import sqlite3
    state = col.with_name(col.stem + ".polar-sync.sqlite")
    info: Dict[str, Any] = {"exists": state.exists(),
                            "aside": sorted(p.name for p in col.parent.glob("*.bad-*"))}
    if state.exists():
        conn = sqlite3.connect(str(state))
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        info["rows"] = {t: conn.execute(f"select count() from {t}").fetchone()[0] for t in tables}
        info["meta"] = dict(conn.execute("select key, value from meta").fetchall())
        conn.close()
    return info


def diff(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
    an, bn = a["notes"], b["notes"]
    guids = [g for g, *_ in bn.values()]
    return {
        "notes_added": len(set(bn) - set(an)),
        "notes_removed": len(set(an) - set(bn)),
        "notes_rewritten": sorted(n for n in set(an) & set(bn) if an[n][4] != bn[n][4]).__len__(),
        "fields_changed": sum(1 for n in set(an) & set(bn) if an[n][2] != bn[n][2]),
        "duplicate_guids": len(guids) - len(set(guids)),
        "cards_rescheduled": sum(1 for c in set(a["cards"]) & set(b["cards"])
                                 if a["cards"][c][3:] != b["cards"][c][3:]),
        "cards_moved_deck": sum(1 for c in set(a["cards"]) & set(b["cards"])
                                if a["cards"][c][1] != b["cards"][c][1]),
        "revlog": (a["revlog"], b["revlog"]),
        "decks_new": sorted(set(b["decks"]) - set(a["decks"])),
        "decks_gone": sorted(set(a["decks"]) - set(b["decks"])),
        "types_changed": sorted(n for n in set(a["types"]) & set(b["types"]) if a["types"][n] != b["types"][n]),
        "types_new": sorted(set(b["types"]) - set(a["types"])),
        "media_missing": b["media"][1], "images": b["media"][0],
        "changed_examples": [(an[n][0], [(x[:160], y[:160]) for x, y in
                              zip(an[n][2].split("\x1f"), bn[n][2].split("\x1f")) if x != y])
                             for n in sorted(set(an) & set(bn)) if an[n][2] != bn[n][2]][:2],
    }


def study(path: Path) -> Dict[str, Any]:
    col = Collection(str(path))
    try:
        return study_col(col)
    finally:
        col.close()


def study_col(col: Any) -> Dict[str, Any]:
    """Reviews through the scheduler, a suspended card, a card moved to a deck
    of the user's, a Back edited: returns what to look for later (with the
    set-aside note, if a sync set one aside: suspended, not by hand)."""
    if True:
        done = 0
        for deck in col.decks.all_names_and_ids():
            col.decks.select(deck.id)
            while done < 6:
                card = col.sched.getCard()
                if card is None:
                    break
                col.sched.answerCard(card, 3)
                done += 1
        nids = sorted(col.find_notes("tag:polar*"))
        basic_nids = [n for n in nids if "Back" in col.get_note(n).keys()]
        suspended = col.get_note(nids[1]).card_ids()[0]
        col.sched.suspend_cards([suspended])
        mine = col.decks.id("My own deck")
        moved = col.get_note(nids[2]).card_ids()[0]
        col.set_deck([moved], mine)
        edited = col.get_note(basic_nids[-1])
        edited["Back"] = edited["Back"] + " <b>my own words</b>"
        col.update_note(edited)
        marks = {"studied": done, "suspended": suspended, "moved": moved, "moved_to": mine,
                 "edited": edited.id, "edited_back": edited["Back"]}
        aside = [n for n in col.find_notes("is:suspended") if n != col.get_card(suspended).nid]
        if aside:
            marks["aside"] = aside[0]
        return marks


def look(path: Path, marks: Dict[str, Any]) -> Dict[str, Any]:
    col = Collection(str(path))
    try:
        out = {}
        try:
            out["suspended_kept"] = col.get_card(marks["suspended"]).queue == -1
            out["moved_kept"] = col.get_card(marks["moved"]).did == marks["moved_to"]
            note = col.get_note(marks["edited"])
            out["edit_kept"] = "my own words" in note["Back"]
            if not out["edit_kept"]:
                out["edited_back"] = note["Back"][:120]
        except Exception as exc:  # a note gone
            out["error"] = repr(exc)
        if "aside" in marks:
            out["aside_suspended"] = all(c.queue == -1 for c in col.get_note(marks["aside"]).cards())
        return out
    finally:
        col.close()


def two_computers(args: Any, lib: Path, doc: Any, work: Path, cfg: Path, steps: Dict[str, Any]) -> None:
    """The old release on computer B, this one on A; after each sync the
    collection goes to the other computer whole (AnkiWeb), each keeps its
    own state file beside its own copy."""
    cols = {"A": work / "A" / "collection.anki2", "B": work / "B" / "collection.anki2"}
    for c in cols.values():
        c.parent.mkdir()
    where = {"A": args.new, "B": args.old}
    rep = work / "report.json"

    def carry(src: str, dst: str) -> None:
        shutil.copyfile(cols[src], cols[dst])
        for extra in cols[src].parent.glob("collection.media/*"):
            (cols[dst].parent / "collection.media").mkdir(exist_ok=True)
            shutil.copyfile(extra, cols[dst].parent / "collection.media" / extra.name)

    def sync(name: str, who: str) -> None:
        col = cols[who]
        before = snapshot(col) if col.exists() else None
        r = run(where[who], lib, col, cfg, rep, args.lang)
        after = snapshot(col)
        steps[name] = {"rc": r["rc"], "out": (r["stdout"] + r["stderr"])[-1500:],
                       "diff": diff(before, after) if before else {"notes": len(after["notes"])},
                       "state": state_info(col), "setaside": after["setaside"]}
        other = "A" if who == "B" else "B"
        carry(who, other)

    sync("1 B (old) first sync", "B")
    sync("2 A (new) first sync, the notes came by AnkiWeb", "A")
    marks = study(cols["A"])
    steps["study on A"] = marks
    carry("A", "B")
    sync("3 B (old), Polar unchanged", "B")
    steps["3 look"] = look(cols["B"], marks)
    doc.edit_card("c1", "c1b", basic("Question 1", "Answer 1, revised"))
    doc.card("c9", basic("A new question", "A new answer"))
    doc.write()
    sync("4 A (new), Polar changed", "A")
    sync("5 B (old), the same change", "B")
    steps["5 look"] = look(cols["B"], marks)
    doc.delete_card("c2")
    doc.card("c10", basic("Another question", "Another answer"))
    doc.write()
    sync("6 B (old), a deletion and a new card", "B")
    sync("7 A (new), the same", "A")
    steps["7 look"] = look(cols["A"], marks)
    sync("8 B (old) again", "B")
    sync("9 A (new) again", "A")
    steps["9 look"] = look(cols["A"], marks)


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path, nargs="?", default=HERE)
    p.add_argument("--out", type=Path, default=Path("/tmp/upgrade-walk"))
    p.add_argument("--lang", default="", help="the collection's language, e.g. de_DE")
    p.add_argument("--export", action="store_true", help="sync a Polar 2.x export zip of the library")
    p.add_argument("--two", action="store_true",
                   help="two computers: the old release on one, this one on the other, each with its own state, "
                        "the collection carried between them whole after each sync (as AnkiWeb does)")
    p.add_argument("--samples", action="store_true",
                   help="add the DocMetas of ../shared/polar-samples (Polar's own test data) to the library")
    p.add_argument("--set", action="append", default=[], metavar="KEY=JSON",
                   help="a setting more (e.g. conflict_policy='\"anki_wins\"')")
    args = p.parse_args()
    settings = dict(SETTINGS, **{k: json.loads(v) for k, v in (s.split("=", 1) for s in args.set)})
    work = args.out / args.old.name
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    lib, doc = walk_library(work)
    if args.samples:
        for i, sample in enumerate(sorted(SHARED_SAMPLES.glob("*.json"))):
            try:
                meta = json.loads(sample.read_text(encoding="utf-8"))
            except ValueError:
                continue
            if isinstance(meta, dict) and "docInfo" in meta and "pageMetas" in meta:
                (lib / f"1SharedSample{i:02d}00000000").mkdir()
                (lib / f"1SharedSample{i:02d}00000000" / "state.json").write_text(json.dumps(meta), encoding="utf-8")
    col = work / "collection.anki2"
    cfg = work / "config.json"
    cfg.write_text(json.dumps(settings))
    rep = work / "report.json"
    steps: Dict[str, Any] = {}

    def export() -> Path:
        """The library as a Polar 2.x export, written again for each sync."""
        docs = []
        for state in sorted(lib.glob("*/state.json")):
            one = Doc(lib, state.parent.name)
            one.meta = json.loads(state.read_text(encoding="utf-8"))
            docs.append(one)
        return export_zip(work / "polar-export.zip", docs)

    def step(name: str, checkout: Path) -> None:
        before = snapshot(col) if col.exists() else None
        r = run(checkout, export() if args.export else lib, col, cfg, rep, args.lang)
        after = snapshot(col)
        steps[name] = {"rc": r["rc"], "out": (r["stdout"] + r["stderr"])[-1500:],
                       "diff": diff(before, after) if before else {"notes": len(after["notes"])},
                       "state": state_info(col), "setaside": after["setaside"],
                       "conflicts": len(r.get("report", {}).get("conflicts", []))}

    if args.two:
        two_computers(args, lib, doc, work, cfg, steps)
        print(json.dumps(steps, indent=1, default=str))
        return 0
    step("1 old first sync", args.old)
    doc.delete_card("c0")
    doc.write()
    step("2 old sync after a Polar deletion", args.old)
    marks = study(col)
    steps["study"] = marks
    step("3 old sync after studying", args.old)
    step("4 NEW sync, Polar unchanged", args.new)
    steps["4 look"] = look(col, marks)
    step("5 NEW again", args.new)
    doc.edit_card("c1", "c1b", basic("Question 1", "Answer 1, revised"))
    doc.card("c9", basic("A new question", "A new answer"))
    doc.write()
    step("6 NEW sync, Polar changed", args.new)
    steps["6 look"] = look(col, marks)
    step("7 OLD again (back)", args.old)
    steps["7 look"] = look(col, marks)
    doc.card("c10", basic("Another question", "Another answer"))
    doc.write()
    step("8 OLD again, Polar changed", args.old)
    step("9 NEW again (forward)", args.new)
    steps["9 look"] = look(col, marks)
    print(json.dumps(steps, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
