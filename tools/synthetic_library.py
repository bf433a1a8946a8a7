"""A synthetic Polar 1.x data directory, in Polar's real on-disk format, for
the benchmark (tools/bench.py).

Same seed, same library, byte for byte: the numbers of two runs compare.
The mix follows what heavy Polar users have (see ../shared/polar-format.md):
basic and cloze cards at page level with a ``ref`` to their highlight, rich
HTML (MathJax, code, lists, some styled spans and links that need the
sanitiser), a few inline ``data:`` images, area highlights whose screenshots
live in ``files/image/``, comments, ``deck:`` tags with sub-decks, folder
tags, card tags. Edits are written as Polar writes them: the whole
``state.json``, atomically (temp file + rename), an edited card re-created
with a new id.
"""

from __future__ import annotations

import base64
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from polar_files import ARCHETYPES, empty_page, encode_png, tag_map, write_atomic

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_TOPICS = {
    "compsci": ["linux", "networking", "databases", "compilers", "algorithms"],
    "math": ["linear algebra", "probability", "analysis"],
    "languages": ["german", "japanese", "spanish"],
    "history": ["rome", "industrial revolution"],
    "biology": ["genetics", "cells", "ecology"],
    "medicine": ["pharmacology", "anatomy"],
}
_WORDS = (
    "process kernel memory page table cache socket packet router index query tree graph vector "
    "matrix eigenvalue prior posterior gene protein enzyme membrane empire senate treaty factory "
    "steam engine verb noun particle dative clause receptor dose artery nerve theorem proof limit "
    "series integral scheduler thread mutex lock latency throughput replica shard transaction"
).split()


def _png(width: int, height: int, rgb: Tuple[int, int, int], noise: int) -> bytes:
    """A small PNG; ``noise`` makes each image's bytes (and media name) distinct."""

    def pixel(x: int, y: int) -> bytes:
        v = (x * 7 + y * 13 + noise) % 31
        return bytes(((rgb[0] + v) % 256, (rgb[1] + v) % 256, (rgb[2] + noise) % 256))

    return encode_png(width, height, pixel, level=6)


def _empty_page(num: int) -> Dict[str, Any]:
    page = empty_page(num)
    page["pageInfo"]["dimensions"] = {"width": 816, "height": 1056}
    return page


@dataclass
class LibraryInfo:
    root: Path
    documents: List[str]  # fingerprints, sorted
    cards: int
    images: int  # area-highlight PNGs in files/image/
    inline_images: int


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.seen: set = set()
        self.clock = 0

    def ident(self, length: int = 10) -> str:
        while True:
            value = "1" + "".join(self.rng.choice(_B58) for _ in range(length - 1))
            if value not in self.seen:
                self.seen.add(value)
                return value

    def now(self) -> str:
        self.clock += 1
        s = self.clock
        day = f"2020-{1 + s // 2_500_000 % 12:02d}-{1 + s // 86400 % 28:02d}"
        return f"{day}T{s // 3600 % 24:02d}:{s // 60 % 60:02d}:{s % 60:02d}.000Z"

    def words(self, lo: int, hi: int) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(lo, hi)))

    def rich(self, lo: int, hi: int) -> str:
        """One field's HTML as Polar's rich-text editor writes it."""
        r = self.rng.random()
        text = self.words(lo, hi)
        w = text.split()
        if r < 0.30:
            return f"<p>{text}</p>"
        if r < 0.50:
            mid = len(w) // 2
            return f"<p>{' '.join(w[:mid])} <b>{w[mid]}</b> {' '.join(w[mid + 1:])}</p>"
        if r < 0.62:
            return f"<p>What is <i>{w[0]}</i>&nbsp;in \\(x_{{{len(w)}}} = \\frac{{a}}{{b}}\\)?</p>"
        if r < 0.72:
            return f"<p>Run <code>{w[0]} --{w[-1]}</code> then {text}</p>"
        if r < 0.80:
            items = "".join(f"<li>{x}</li>" for x in w[:4])
            return f"<p>{text}</p><ul>{items}</ul>"
        if r < 0.90:  # styled by a paste: needs the sanitiser
            return f'<p><span style="color: rgb(200, 30, 30);">{text}</span></p>'
        if r < 0.96:
            return f'<p>{text} <a href="https://en.wikipedia.org/wiki/{w[0]}" target="_blank">wiki</a></p>'
        return f"<div>{text}<br></div><div><font color=\"#333\">{w[0]}</font></div>"

    def cloze(self) -> str:
        w = self.words(6, 18).split()
        i = self.rng.randrange(1, len(w) - 1)
        w[i] = "{{c1::" + w[i] + "}}"
        if self.rng.random() < 0.4:
            j = (i + 2) % len(w)
            if "{{" not in w[j]:
                w[j] = "{{c2::" + w[j] + "::hint}}"
        body = " ".join(w)
        if self.rng.random() < 0.3:
            return f"<p>In <b>{w[0]}</b>: {body}</p>"
        return f"<p>{body}</p>"


def _card(g: _Gen, cid: str, ctype: str, ref: str, inline_png: Optional[bytes]) -> Dict[str, Any]:
    created = g.now()
    if ctype == "CLOZE":
        fields: Dict[str, Any] = {"text": {"HTML": g.cloze()}}
    else:
        back = g.rich(3, 25)
        if inline_png is not None:
            back += f'<p><img src="data:image/png;base64,{base64.b64encode(inline_png).decode()}"></p>'
        fields = {"front": {"HTML": g.rich(4, 14)}, "back": {"HTML": back}}
    card: Dict[str, Any] = {
        "id": cid, "guid": cid, "created": created, "lastUpdated": created, "type": ctype,
        "fields": fields, "archetype": ARCHETYPES[ctype], "ref": ref,
    }
    if g.rng.random() < 0.05:
        card["tags"] = tag_map([g.rng.choice(["important", "exam", "todo review"])])
    return card


def _split(rng: random.Random, total: int, parts: int) -> List[int]:
    weights = [0.3 + rng.random() * 1.4 for _ in range(parts)]
    s = sum(weights)
    counts = [int(total * w / s) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def _document(g: _Gen, root: Path, fp: str, n_cards: int, stats: Dict[str, int]) -> Dict[str, Any]:
    rng = g.rng
    topic = rng.choice(sorted(_TOPICS))
    labels: List[str] = []
    r = rng.random()
    if r < 0.85:
        sub = rng.choice(_TOPICS[topic])
        labels.append(f"deck:{topic}/{sub}" if rng.random() < 0.8 else f"deck:{topic}")
    if rng.random() < 0.5:
        labels.append(f"/{topic}/{rng.choice(_TOPICS[topic]).replace(' ', '-')}")
    labels.append(rng.choice(["type:book", "type:article", "type:paper"]))
    if rng.random() < 0.2:
        labels.append("to read")
    nr_pages = max(3, n_cards // 3 + rng.randint(0, 20))
    pages = {str(n): _empty_page(n) for n in range(1, nr_pages + 1)}
    attachments: Dict[str, Any] = {}
    for _ in range(n_cards):
        num = rng.randint(1, nr_pages)
        page = pages[str(num)]
        roll = rng.random()
        if roll < 0.55:
            hid = g.ident()
            text = g.words(8, 30)
            page["textHighlights"][hid] = {
                "id": hid, "guid": hid, "created": g.now(), "lastUpdated": g.now(),
                "rects": {"0": {"left": 90.0, "top": 300.0, "right": 520.0, "bottom": 330.0,
                                "width": 430.0, "height": 30.0}},
                "textSelections": {"0": {"text": text}},
                "text": {"TEXT": text.replace(" ", "\n", 2)}, "images": {}, "notes": {},
                "questions": {}, "flashcards": {}, "color": rng.choice(["yellow", "green", "red", "blue"]),
            }
            ref = f"text-highlight:{hid}"
            if rng.random() < 0.12:
                cm = g.ident()
                page["comments"][cm] = {
                    "id": cm, "guid": cm, "created": g.now(), "lastUpdated": g.now(),
                    "content": {"HTML": f"<p>{g.words(4, 16)}</p>"}, "ref": ref,
                }
        elif roll < 0.62:
            hid = g.ident()
            image_id = g.ident(20)
            w, h = rng.randint(24, 48), rng.randint(12, 32)
            data = _png(w, h, (rng.randrange(256), rng.randrange(256), rng.randrange(256)), stats["images"])
            (root / "files" / "image" / f"{image_id}.png").write_bytes(data)
            (root / "files" / "image" / f"{image_id}.png.meta").write_text(
                json.dumps({"id": image_id, "type": "image/png"}), encoding="utf-8")
            stats["images"] += 1
            page["areaHighlights"][hid] = {
                "id": hid, "guid": hid, "created": g.now(), "lastUpdated": g.now(),
                "rects": {"0": {"left": 12.5, "top": 30.0, "width": 70.0, "height": 18.0,
                                "bottom": 48.0, "right": 82.5}},
                "notes": {}, "questions": {}, "flashcards": {}, "images": {},
                "image": {"id": image_id, "type": "image/png",
                          "src": {"backend": "image", "name": f"{image_id}.png"},
                          "width": w, "height": h, "rel": "screenshot"},
                "position": {"x": 102.0, "y": 319.4, "width": w, "height": h},
            }
            attachments[image_id] = {"fileRef": {"backend": "image", "name": f"{image_id}.png"}}
            ref = f"area-highlight:{hid}"
        else:
            ref = f"page:{num}"
        ctype = "CLOZE" if rng.random() < 0.4 else "BASIC_FRONT_BACK"
        inline = None
        if ctype != "CLOZE" and rng.random() < 0.01:
            inline = _png(6, 6, (rng.randrange(256), 40, 40), 1000 + stats["inline_images"])
            stats["inline_images"] += 1
        cid = g.ident()
        page["flashcards"][cid] = _card(g, cid, ctype, ref, inline)
    stamp = g.now()
    info = {
        "progress": 0, "pagemarkType": "SINGLE_COLUMN", "properties": {}, "archived": False,
        "flagged": False, "tags": tag_map(labels), "attachments": attachments, "nrPages": nr_pages,
        "fingerprint": fp, "added": stamp, "filename": f"{fp[:10]}-{topic}.pdf",
        "uuid": f"z{stamp}+000001-{fp[:12]}", "title": f"{topic.title()}: {g.words(2, 6)}",
        "lastUpdated": stamp, "backend": "stash",
    }
    return {"annotationInfo": {}, "version": 2, "attachments": {}, "docInfo": info, "pageMetas": pages}


def write_state(root: Path, fp: str, meta: Dict[str, Any], atomic: bool = True) -> Path:
    """Write one ``state.json`` as Polar >= 1.50 does: one compact line, via
    a ``.state.json-<random>`` temp file renamed over the old one."""
    folder = root / fp
    folder.mkdir(parents=True, exist_ok=True)
    data = json.dumps(meta, separators=(",", ":")).encode("utf-8")
    path = folder / "state.json"
    if atomic:
        write_atomic(path, data)
    else:
        path.write_bytes(data)
    return path


def generate(root: Path, documents: int = 1000, cards: int = 50_000, seed: int = 1) -> LibraryInfo:
    """Write the library under ``root`` (which must not exist or be empty)."""
    rng = random.Random(seed)
    g = _Gen(rng)
    root.mkdir(parents=True, exist_ok=True)
    (root / "files" / "image").mkdir(parents=True, exist_ok=True)
    (root / "stash").mkdir(exist_ok=True)
    (root / "info.json").write_text('{"created":"2020-01-01T00:00:00.000Z"}', encoding="utf-8")
    stats = {"images": 0, "inline_images": 0}
    fps: List[str] = []
    for n in _split(rng, cards, documents):
        fp = g.ident(20)
        meta = _document(g, root, fp, n, stats)
        write_state(root, fp, meta, atomic=False)
        (root / "stash" / f"{fp[:10]}.pdf.meta").write_text("{}", encoding="utf-8")
        fps.append(fp)
    return LibraryInfo(root, sorted(fps), cards, stats["images"], stats["inline_images"])


@dataclass
class Edit:
    fingerprint: str
    changed: List[Tuple[str, str]]  # (old id, new id): Polar re-creates an edited card
    added: str
    deleted: str


def edit_document(root: Path, fp: str, rng: random.Random, changes: int = 3) -> Edit:
    """Polar-style edit of one document: ``changes`` cards edited (deleted and
    re-created with a new id on the same parent), one added, one deleted;
    the file replaced atomically, its mtime moved on so no clock tick hides it."""
    path = root / fp / "state.json"
    meta = json.loads(path.read_bytes())
    g = _Gen(rng)
    where: List[Tuple[str, str]] = []
    for num, page in sorted(meta["pageMetas"].items(), key=lambda kv: int(kv[0])):
        for cid in sorted(page.get("flashcards") or {}):
            where.append((num, cid))
    picked = rng.sample(where, min(len(where), changes + 1))
    changed: List[Tuple[str, str]] = []
    for num, cid in picked[:changes]:
        old = meta["pageMetas"][num]["flashcards"].pop(cid)
        new_id = g.ident()
        card = dict(old, id=new_id, guid=new_id, lastUpdated="2021-06-01T00:00:00.000Z")
        if old["type"] == "CLOZE":
            card["fields"] = {"text": {"HTML": g.cloze()}}
        else:
            card["fields"] = {"front": old["fields"]["front"], "back": {"HTML": g.rich(3, 12)}}
        meta["pageMetas"][num]["flashcards"][new_id] = card
        changed.append((cid, new_id))
    deleted = ""
    if len(picked) > changes:
        num, deleted = picked[changes]
        del meta["pageMetas"][num]["flashcards"][deleted]
    added = g.ident()
    first = min(meta["pageMetas"], key=int)
    meta["pageMetas"][first]["flashcards"][added] = _card(g, added, "BASIC_FRONT_BACK", f"page:{first}", None)
    before = path.stat().st_mtime_ns
    write_state(root, fp, meta)
    st = path.stat()
    if st.st_mtime_ns <= before:
        os.utime(path, ns=(st.st_atime_ns, before + 1_000_000))
    return Edit(fp, changed, added, deleted)


def iter_cards(root: Path, fps: List[str]) -> List[Tuple[str, str, Dict[str, Any]]]:
    """(fingerprint, card id, raw card) of every page-level flashcard."""
    out: List[Tuple[str, str, Dict[str, Any]]] = []
    for fp in fps:
        meta = json.loads((root / fp / "state.json").read_bytes())
        for _num, page in sorted(meta["pageMetas"].items(), key=lambda kv: int(kv[0])):
            for cid, card in (page.get("flashcards") or {}).items():
                out.append((fp, cid, card))
    return out


if __name__ == "__main__":
    import argparse
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dest", type=Path)
    ap.add_argument("--documents", type=int, default=1000)
    ap.add_argument("--cards", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    t = time.perf_counter()
    info = generate(args.dest, args.documents, args.cards, args.seed)
    print(f"{len(info.documents)} documents, {info.cards} cards, {info.images} area images, "
          f"{info.inline_images} inline images in {time.perf_counter() - t:.1f} s → {info.root}")
