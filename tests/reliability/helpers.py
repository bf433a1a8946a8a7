"""Shared by the reliability suites: a real collection per case, a sync with
explicit settings, and a comparable snapshot of everything a sync writes."""

from __future__ import annotations

import json
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

from hypothesis import HealthCheck, settings

from addon.polar.docmeta import parse_docmeta
from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.identity import guid_for
from tests.conftest import make_collection

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

# The only line fix_integrity writes when it found nothing to repair.
_INTEGRITY_OK = {"Database rebuilt and optimized."}


def run_sync(col: Any, library: Path, state: Path, **config: Any):
    cfg, warnings = Settings.from_dict(config)
    assert not warnings, warnings
    return sync(col, cfg, state, source_path=library)


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


def integrity_problems(col: Any) -> List[str]:
    """What Anki's Check Database found (and repaired); [] when nothing."""
    text, ok = col.fix_integrity()
    lines = [line for line in str(text).splitlines() if line.strip() and line.strip() not in _INTEGRITY_OK]
    if not ok:
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
