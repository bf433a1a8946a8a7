"""Shared by the reliability suites: a real collection per case, a sync with
explicit settings, and a comparable snapshot of everything a sync writes."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from hypothesis import HealthCheck, settings

from addon.polar.docmeta import parse_docmeta
from addon.sync.identity import guid_for
from tests.conftest import make_collection
from tests.sync.helpers import run as run_sync  # noqa: F401  (the reliability suites' name)

# Deterministic in CI: no example database, a fixed derivation of examples
# from the test's source, no per-example deadline (a 2-core CI box is slow
# and a sync touches SQLite). A failure then reproduces byte for byte.
RELIABLE = settings(
    database=None,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@contextmanager
def scratch_collection(lang: str = "en_US") -> Iterator[Tuple[Any, Path]]:
    """A fresh collection in its own temp dir (hypothesis examples cannot use
    function-scoped fixtures: every example needs a clean one)."""
    with tempfile.TemporaryDirectory(prefix="polar-rel-") as tmp:
        root = Path(tmp)
        col = make_collection(root / "col" / "collection.anki2", lang)
        try:
            yield col, root
        finally:
            col.close()


def _last_review_times(col: Any) -> Dict[int, Any]:
    out: Dict[int, Any] = {}
    for cid, data in col.db.all("select id, data from cards"):
        try:
            out[cid] = json.loads(data or "{}").get("lrt")
        except ValueError:
            out[cid] = None
    return out


def integrity_problems(col: Any) -> List[str]:
    """What Anki's Check Database found (and repaired); [] when nothing.

    One repair is Anki's own and ignored: answering a card stores its last
    review time in seconds from one clock read and the revlog id in ms from
    another, so an answer that straddles a second boundary leaves them 1 s
    apart and Check Database "adds" the time again (seen with no sync at all
    involved). Only that exact repair, of at most 1 s, is ignored."""
    before = _last_review_times(col)
    text, ok = col.fix_integrity()
    after = _last_review_times(col)
    shifted = [cid for cid, lrt in after.items() if before.get(cid) != lrt]
    benign = bool(shifted) and all(
        isinstance(before.get(cid), int) and isinstance(after[cid], int) and abs(after[cid] - before[cid]) <= 1
        for cid in shifted
    )
    # The only line it writes when it found nothing, in the profile's language.
    fine = {"Database rebuilt and optimized.", col.tr.database_check_rebuilt()}
    lines = [line for line in str(text).splitlines() if line.strip() and line.strip() not in fine]
    message = getattr(col.tr, "database_check_card_last_review_time_empty", None)
    if benign and message is not None:
        lines = [line for line in lines if line.strip() != message(count=len(shifted)).strip()]
    if not ok and lines:
        lines.append("fix_integrity reported failure")
    return lines


Snapshot = Dict[str, Tuple[str, Tuple[str, ...], Tuple[str, ...], Tuple[str, ...], int]]


def snapshot(col: Any) -> Snapshot:
    """guid -> (note type name, fields, sorted tags, sorted deck names, card
    count). Asserts guids are unique: a duplicate would hide in a dict."""
    rows = col.db.all("select id, guid, mid, flds, tags from notes")
    guids = [r[1] for r in rows]
    assert len(guids) == len(set(guids)), f"duplicate guids: {sorted(g for g in guids if guids.count(g) > 1)}"
    out: Snapshot = {}
    for nid, guid, mid, flds, tags in rows:
        dids = col.db.list("select did from cards where nid = ?", nid)
        decks = tuple(sorted({col.decks.name(d) for d in dids}))
        model = col.models.get(mid)
        out[guid] = (
            model["name"] if model else "?",
            tuple(str(flds).split("\x1f")),
            tuple(sorted(str(tags).split())),
            decks,
            len(dids),
        )
    return out


def assert_no_orphan_rows(col: Any) -> None:
    """No half-notes: every note has a card, every card a note."""
    assert col.db.scalar("select count() from notes where id not in (select nid from cards)") == 0
    assert col.db.scalar("select count() from cards where nid not in (select id from notes)") == 0


def card_ids_of(raw: bytes) -> List[str]:
    return [c.id for c in parse_docmeta(raw, "x").flashcards]


def guids_of(card_ids) -> set:
    return {guid_for(c) for c in card_ids}


def rename_cards(raw: bytes, suffix: str) -> bytes:
    """The same document with every flashcard id made unique to one copy, so
    several copies of a sample can share a library without sharing notes."""
    text = raw.decode("utf-8-sig")
    for cid in sorted(card_ids_of(raw), key=len, reverse=True):
        text = text.replace(json.dumps(cid), json.dumps(cid + suffix))
        text = text.replace(f":{cid}\"", f":{cid}{suffix}\"")
    return text.encode("utf-8")


def write_doc(library: Path, key: str, data: bytes) -> Path:
    folder = library / key
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "state.json"
    path.write_bytes(data)
    return path


def errors_naming(report: Any, key: str) -> List[Dict[str, str]]:
    label = f"{key}/state.json"
    return [e for e in report.errors if e["path"] == label or e["path"].startswith(label + "#")]


def tiny_png(seed: int) -> bytes:
    """A valid 2x2 PNG whose bytes (and so media name) differ per seed."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    px = bytes([seed % 256, (seed >> 8) % 256, (seed >> 16) % 256])
    raw = b"".join(b"\x00" + px * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def build_library(root: Path, docs: int, cards: int, images_every: int = 4, prefix: str = "1Lib") -> Path:
    """A library of ``docs`` documents x ``cards`` flashcards: basic and cloze
    cards on text highlights with comments, area highlights with screenshots
    in files/image/, inline data-URI images, deck and folder tags."""
    import base64

    from tests.polar_factory import Doc, basic, cloze

    (root / "files" / "image").mkdir(parents=True, exist_ok=True)
    for d in range(docs):
        doc = Doc(root, f"{prefix}Doc{d:04d}", f"Book {d}: <i>volume</i>",
                  tags=[f"deck:Books/Shelf {d % 5}", f"/topic/t{d % 7}", "type:book"], pages=4)
        for c in range(cards):
            cid = f"{prefix}C{d:04d}x{c:04d}"
            page = 1 + c % 4
            hid = f"{prefix}H{d:04d}x{c:04d}"
            if c % images_every == 0:
                name = f"{hid}.png"
                (root / "files" / "image" / name).write_bytes(tiny_png(d * 10_000 + c))
                doc.page(page)["areaHighlights"][hid] = {
                    "id": hid, "image": {"id": hid, "type": "image/png", "src": {"backend": "image", "name": name}},
                }
                ref = f"area-highlight:{hid}"
            else:
                doc.text_highlight(hid, f"highlight {d}/{c}\nsecond run of text", page=page)
                doc.page(page)["comments"][f"cm{hid}"] = {
                    "id": f"cm{hid}", "content": {"HTML": f"<p>comment on {c}</p>"}, "ref": f"text-highlight:{hid}",
                }
                ref = f"text-highlight:{hid}"
            if c % 3 == 2:
                doc.card(cid, cloze(f"<p>Card {c} of {d}: {{{{c1::answer {c}}}}} and {{{{c2::more}}}}</p>"),
                         "CLOZE", ref=ref, page=page)
            else:
                img = ""
                if c % (2 * images_every) == 1:
                    data = base64.b64encode(tiny_png(7_000_000 + d * 1000 + c)).decode()
                    img = f'<img src="data:image/png;base64,{data}">'
                doc.card(cid, basic(f"<p>Question {c} of book {d}?</p>{img}", f"<p>Answer <b>{c}</b></p>"),
                         ref=ref, page=page, tags=[f"card-tag-{c % 3}"])
        doc.write()
    return root


def media_references_resolve(col: Any) -> List[str]:
    """Media names referenced by notes that are missing from the media folder."""
    import re

    folder = Path(col.media.dir())
    missing = []
    for (flds,) in col.db.all("select flds from notes"):
        for name in re.findall(r'src="([^"]+)"', flds):
            if not (folder / name).is_file():
                missing.append(name)
    return missing


# Anki answers one card per deck and dies before checkpointing, so the
# reviews live only in the collection's -wal.
_REVIEW_THEN_DIE = (
    "import os, signal, sys\n"
    "from anki.collection import Collection\n"
    "col = Collection(sys.argv[1])\n"
    "for d in col.decks.all_names_and_ids():\n"
    "    col.decks.select(d.id)\n"
    "    card = col.sched.getCard()\n"
    "    if card: col.sched.answerCard(card, 3)\n"
    "print(col.db.scalar('select count() from revlog'), flush=True)\n"
    "os.kill(os.getpid(), signal.SIGKILL)  # Anki crashes: no checkpoint\n"
)


def review_then_crash(col: Path) -> int:
    """Reviews in a real Anki process killed before its checkpoint; returns
    the revlog count it saw."""
    out = subprocess.run([sys.executable, "-c", _REVIEW_THEN_DIE, str(col)], capture_output=True, text=True)
    return int(out.stdout.strip())
