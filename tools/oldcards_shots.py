"""Notes of Polar's old sync as a person studies them, once taken over.

Polar's own AnkiConnect sync left notes in the profile's stock Basic and
Cloze ("Einfach"/"Lückentext" in a German profile), tagged ``_polar-flashcard``
and ``polar_guid:<card>``; the add-on's first sync takes them over and adds
its context block to their Back / Back Extra. This makes such notes in a fresh
headless Anki (English or German profile), syncs, and shoots each card in the
reviewer, question | answer side by side, light and night, 400 px wide:

* basic: a Basic with a highlight;
* cloze-image: a Cloze on an area highlight (the context block's picture);
* cloze-many: a Cloze with three deletions on a text highlight;
* cloze-extra: a Cloze whose Back Extra the user typed in Anki;
* cloze-plain: a Cloze whose text the old sync wrote without a paragraph;
* basic-empty: a Basic whose Back is empty in Polar;
* cloze-later: a Cloze whose Back Extra the user types in Anki after the sync
  (before the block, which stays as the sync wrote it until the next rewrite).

Run: ``.venv/bin/python tools/oldcards_shots.py --out DIR [--lang de_DE]``
(after ``make build``: the session installs dist/polar_sync.ankiaddon).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

import card_shots  # noqa: E402
import screenshots  # noqa: E402
from polar_files import empty_page  # noqa: E402

PREFIX = "Old"


def _docs(deck: str) -> Tuple[List[Tuple[str, Dict[str, Any], Dict[str, Any]]], Dict[str, Tuple[str, str, List[str]]]]:
    docs = [d for d in card_shots._docs(PREFIX, deck) if d[0] in (f"1{PREFIX}DocBasic", f"1{PREFIX}DocCloze")]
    many = "<p>A {{c1::process}} has its own {{c2::address space}}; its {{c3::threads}} share it.</p>"
    extra_text = "<p>Paging splits memory into fixed-size {{c1::pages}}.</p>"
    plain = "Segmentation splits memory into {{c1::variable-size}} segments."
    p = empty_page(77)
    later = "<p>Threads of a process share its {{c1::address space}}.</p>"
    for n, (name, text) in enumerate((("Many", many), ("Extra", extra_text), ("Plain", plain), ("Later", later))):
        hid = f"1{PREFIX}Hl{name}"
        p["textHighlights"][hid] = card_shots._hl(
            hid, "Each process has its own address space; threads of a process share it. Memory is split "
                 "into pages or segments.", 200.0 + 30 * n)
        p["flashcards"][f"1{PREFIX}Card{name}"] = card_shots._card(
            f"1{PREFIX}Card{name}", "CLOZE", {"text": {"HTML": text}}, f"text-highlight:{hid}")
    hid = f"1{PREFIX}HlEmpty"
    p["textHighlights"][hid] = card_shots._hl(hid, "The kernel schedules threads, not processes.", 400.0)
    p["flashcards"][f"1{PREFIX}CardEmpty"] = card_shots._card(
        f"1{PREFIX}CardEmpty", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>What does the kernel schedule?</p>"}, "back": {"HTML": ""}}, f"text-highlight:{hid}")
    docs.append((f"1{PREFIX}DocOs", {"title": "Operating Systems: Three Easy Pieces", "tags": [f"deck:{deck}::os"]},
                 {"77": p}))
    old = {
        "basic": (f"1{PREFIX}CardBasic", "basic", ["<p>How does <b>System 1</b> operate?</p>",
                                                   "<p>Automatically and quickly, with little or no effort.</p>"]),
        "cloze-image": (f"1{PREFIX}CardCloze", "cloze",
                        ["<p>In leader-based replication, clients send writes to the {{c1::leader}}, "
                         "which streams them to its {{c2::followers}}.</p>", ""]),
        "cloze-many": (f"1{PREFIX}CardMany", "cloze", [many, ""]),
        "cloze-extra": (f"1{PREFIX}CardExtra", "cloze", [extra_text, "Mnemonic: <i>pages are all one size</i>"]),
        "cloze-plain": (f"1{PREFIX}CardPlain", "cloze", [plain, ""]),
        "cloze-later": (f"1{PREFIX}CardLater", "cloze", [later, ""]),
        "basic-empty": (f"1{PREFIX}CardEmpty", "basic", ["<p>What does the kernel schedule?</p>", ""]),
    }
    return docs, old


def _write_library(root: Path, docs: List[Tuple[str, Dict[str, Any], Dict[str, Any]]]) -> None:
    import json

    from polar_files import tag_map

    for fp, extra, pages in docs:
        info = {"fingerprint": fp, "title": extra["title"], "filename": f"{fp}.pdf", "tags": tag_map(extra["tags"]),
                "nrPages": 400, "added": "2021-03-01T09:00:00.000Z", "archived": False, "backend": "stash"}
        meta = {"annotationInfo": {}, "version": 2, "attachments": {}, "docInfo": info, "pageMetas": pages}
        (root / fp).mkdir(parents=True, exist_ok=True)
        (root / fp / "state.json").write_text(json.dumps(meta), encoding="utf-8")
    images = root / "files" / "image"
    images.mkdir(parents=True, exist_ok=True)
    (images / f"{card_shots.AREA_IMAGE}.png").write_bytes(card_shots.area_image())


def _old_notes(col: Any, docs: List[Tuple[str, Dict[str, Any], Dict[str, Any]]],
               old: Dict[str, Tuple[str, str, List[str]]]) -> Dict[str, int]:
    """The old sync's notes of the shot cards, in the profile's stock types."""
    names = {"basic": ("Basic", "Einfach"), "cloze": ("Cloze", "Lückentext")}
    # (Another language's profile, "基本"/"穴埋め", "问答题"/"填空题": its first stock type of the kind.)
    first = {kind: min((m for m in col.models.all() if m["type"] == (1 if kind == "cloze" else 0)),
                       key=lambda m: m["id"]) for kind in names}
    by_type = {kind: next((m for m in map(col.models.by_name, pair) if m), first[kind])
               for kind, pair in names.items()}
    tags_of = {}
    for _fp, extra, pages in docs:
        for page in pages.values():
            for cid in page["flashcards"]:
                tags_of[cid] = extra["tags"]
    nids = {}
    for kind, (cid, model_kind, fields) in old.items():
        note = col.new_note(by_type[model_kind])
        note.fields[0], note.fields[1] = fields
        labels = list(tags_of[cid])
        deck = labels[-1][len("deck:"):]
        note.tags = labels + ["_polar-flashcard", f"polar_guid:{cid}"]
        col.add_note(note, col.decks.id(deck))
        nids[kind] = note.id
        print(f"{kind}: an old note in {by_type[model_kind]['name']!r}")
    return nids


# The menu entry in the profile's language.
_SYNC = {"de": "Aus Polar synchronisieren", "ja": "Polar から同期", "zh": "从 Polar 同步"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--lang", default="en_US")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from aqt.theme import Theme

    with screenshots._card_session(args.lang) as (session, library, _docs_out):
        docs, old = _docs("Old")
        _write_library(library, docs)
        mw = session.mw
        nids = _old_notes(mw.col, docs, old)
        screenshots._sync(session, _SYNC.get(args.lang[:2], "Sync from Polar"))
        later = mw.col.get_note(nids["cloze-later"])
        later.fields[1] = "Mnemonic: <i>one space, many threads</i>" + later.fields[1]
        mw.col.update_note(later)
        mw.resize(card_shots.WIDTH, card_shots.HEIGHT)
        tag = args.lang[:2]
        for mode, theme in (("light", Theme.LIGHT), ("night", Theme.DARK)):
            mw.set_theme(theme)
            session.process(0.3)
            for kind, nid in nids.items():
                cid = sorted(mw.col.card_ids_of_note(nid))[0]
                question, answer, _q, a_html = card_shots.show_card(session, cid)
                card_shots._side_by_side(question, answer).save(str(out / f"{kind}-{tag}-{mode}.png"))
                if mode == "light":
                    (out / f"{kind}-{tag}.answer.html").write_text(a_html, encoding="utf-8")
        mw.set_theme(Theme.LIGHT)
    print(f"wrote shots in {out}")


if __name__ == "__main__":
    main()
