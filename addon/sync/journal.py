"""The state file's undo journal: how a sync follows an Anki undo of an earlier one.

A sync that writes to the collection does it in one undo step ("Sync from
Polar"), and the user may undo it. The collection is then as it was before
that sync, but the state file (field hashes, guids, documents' signatures)
still describes it as after: the next sync would take the undone text for
the user's own edit (Polar's edit would never come back), and an undone
re-key followed by another Polar edit would make a second note.

So each sync that writes to the collection gets a generation number. Its
undo step also sets a marker in the collection's config to that number
(``write.close_undo_step``): Anki undoes and redoes the marker with the
rest. Before the sync changes the state file, the rows it may change are
kept here as they were (the *pre-images*). A later sync that finds the
marker behind the state's generation rolls the state back, generation by
generation, to the one the marker names, and reads those documents again
(``apply.follow_undo``). The journal keeps the last ``KEEP`` generations:
Anki keeps 30 undo steps.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from .sql import in_chunks

# The collection config key of the marker: "<state id>:<generation>". The
# state id tells this profile's state file from another computer's (the
# config travels with AnkiWeb syncs).
MARKER_KEY = "polarSyncGeneration"
# Meta keys of the state file.
STATE_ID_KEY = "state_id"
GENERATION_KEY = "generation"
# Generations kept (Anki keeps the last 30 undo steps), and at most this
# much of their pre-images (a sync that read a whole large library again
# keeps every row of it: ~15 MB at 50,000 cards); the newest is always kept.
KEEP = 30
KEEP_BYTES = 32 * 1024 * 1024

# The state tables a roll-back puts back (their pre-images are found: cards
# by document and by card id, documents and problems by document,
# suspended_by_sync by the card ids of those cards). Titles stay (they only
# name documents); note-id hints stay too, distrusted (``forget``).
# deck_homes is put back by document too (``Generation.homes``), for entries
# that kept it (an entry from before the table leaves it as it is); and
# left_deleted (the cards whose notes a sync left deleted) by document, for
# entries that kept it (an entry from before the table leaves it as it is).
_TABLES = ("cards", "documents", "problems", "suspended_by_sync")
# Meta keys a roll-back leaves as they are: the file's own (its version,
# collection and settings are checked on open) and its id.
_OWN_META = ("version", "collection", "settings", STATE_ID_KEY)


def marker(state_id: str, generation: int) -> str:
    return f"{state_id}:{generation}"


def marked_generation(value: Any, state_id: str) -> Optional[int]:
    """The generation a marker names, if it is this state file's; else None."""
    if not isinstance(value, str) or not state_id:
        return None
    ident, _, gen = value.rpartition(":")
    if ident != state_id or not gen.isdigit():
        return None
    return int(gen)


def new_state_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Generation:
    """One sync's entry: its number, the generation before it, the state
    file's id (made with the first entry), and what it may change: the
    documents it replaces or drops (every card row of each), card ids
    whose rows lie elsewhere (dropped, or taken from another document),
    and documents besides ``docs`` whose deck home it may record
    (``deck_homes``: an unchanged document's, first recorded)."""

    state_id: str
    prev: int
    number: int
    docs: Sequence[str] = ()
    card_ids: Sequence[str] = ()
    homes: Sequence[str] = ()
    captured: bool = field(default=False, compare=False)  # the pre-images are in the file's transaction


def read_generation(conn: sqlite3.Connection) -> Tuple[str, int, int]:
    """(state id, the state's generation, the highest generation journaled)."""
    meta = dict(conn.execute(
        "SELECT key, value FROM meta WHERE key IN (?, ?)", (STATE_ID_KEY, GENERATION_KEY)).fetchall())
    gen = str(meta.get(GENERATION_KEY) or "0")
    top = conn.execute("SELECT coalesce(max(gen), 0) FROM journal").fetchone()[0]
    return str(meta.get(STATE_ID_KEY) or ""), int(gen) if gen.isdigit() else 0, int(top)


# Items of a list json.dumps encodes at once in an entry (dumps_in_slices).
DUMP_SLICE = 2000


def dumps_in_slices(data: Dict[str, Any]) -> str:
    """``json.dumps(data)``, byte for byte, its long lists encoded
    ``DUMP_SLICE`` items a call: json's C encoder holds the GIL for the
    whole of one call, and a re-read library's entry (~14 MB at 50,000
    cards) held Anki's window 63-119 ms at the end of the sync."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and len(value) > DUMP_SLICE:
            text = "[" + ", ".join(json.dumps(value[i:i + DUMP_SLICE])[1:-1]
                                   for i in range(0, len(value), DUMP_SLICE)) + "]"
        else:
            text = json.dumps(value)
        parts.append(f"{json.dumps(key)}: {text}")
    return "{" + ", ".join(parts) + "}"


def _rows(conn: sqlite3.Connection, table: str, column: str, values: Sequence[Any], order: str = "") -> List[Any]:
    """Every row of ``table`` whose ``column`` is one of ``values``."""
    rows: List[Any] = []
    for marks, chunk in in_chunks(list(values)):
        rows += conn.execute(f"SELECT * FROM {table} WHERE {column} IN ({marks}){order}", chunk).fetchall()
    return rows


def _rows_of(conn: sqlite3.Connection, table: str, docs: Sequence[str], ids: Sequence[str]) -> List[Any]:
    """The rows (card id first) under ``docs``, and those of ``ids`` under
    another document."""
    rows = _rows(conn, table, "doc", docs)
    taken = {row[0] for row in rows}
    return rows + _rows(conn, table, "card_id", [i for i in ids if i not in taken])


def capture(conn: sqlite3.Connection, entry: Generation) -> None:
    """Keep the pre-images of what ``entry``'s sync may change (inside the
    transaction that changes it: before any change), and make its number
    the state's generation. Older entries beyond ``KEEP`` go."""
    docs = sorted(set(entry.docs))
    ids = sorted(set(entry.card_ids))
    cards = _rows_of(conn, "cards", docs, ids)
    card_ids = sorted({row[0] for row in cards} | set(ids))
    layouts = _rows(conn, "layouts", "card_id", card_ids)  # (the cards' layout tags: state.py's table)
    documents = _rows(conn, "documents", "key", docs)
    problems = _rows(conn, "problems", "doc", docs, " ORDER BY rowid")
    suspended = _rows(conn, "suspended_by_sync", "card_id", card_ids)
    homes_of = sorted(set(docs) | set(entry.homes))
    homes = _rows(conn, "deck_homes", "doc", homes_of)
    # The cards left deleted (left_deleted.py): every row a sync writes lies
    # under a document it reads; a row it replaces may lie under another (a
    # card moved there in Polar), found by its card id.
    left = _rows_of(conn, "left_deleted", docs, ids)
    meta = conn.execute("SELECT key, value FROM meta").fetchall()
    data = {"docs": docs, "ids": card_ids, "cards": cards, "documents": documents, "problems": problems,
            "suspended_by_sync": suspended, "homes": homes_of, "deck_homes": homes, "meta": meta,
            "layouts": layouts, "left_deleted": left}
    # As bytes (a BLOB): _prune's length() of a BLOB reads its size from the
    # row's header, of a TEXT it reads the whole text: a re-read library's
    # entry (~14 MB at 50,000 cards) cost every later sync ~20 ms until it
    # went. Every release reads either (json.loads takes bytes).
    conn.execute("INSERT OR REPLACE INTO journal (gen, prev, data) VALUES (?, ?, ?)",
                 (entry.number, entry.prev, dumps_in_slices(data).encode()))
    _prune(conn)
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                     [(STATE_ID_KEY, entry.state_id), (GENERATION_KEY, str(entry.number))])
    entry.captured = True


def _prune(conn: sqlite3.Connection) -> None:
    """The newest ``KEEP`` entries, as many of them as fit in ``KEEP_BYTES``
    (an undo further back than that is followed by reading every document)."""
    kept = total = 0
    for gen, size in conn.execute("SELECT gen, length(data) FROM journal ORDER BY gen DESC").fetchall():
        total += int(size)
        if kept and (kept >= KEEP or total > KEEP_BYTES):
            conn.execute("DELETE FROM journal WHERE gen <= ?", (gen,))
            return
        kept += 1


def roll_back(conn: sqlite3.Connection, to: int, forget: Sequence[str]) -> Optional[Set[str]]:
    """The state as generation ``to`` left it (in the caller's
    transaction): each later entry's pre-images put back, newest first.
    Returns the documents that changed (to read again), or None when the
    journal does not reach back so far (nothing is changed then).
    ``forget``: meta keys set empty afterwards (what only the collection
    as that sync left it could vouch for)."""
    _, current, _ = read_generation(conn)
    chain: List[Tuple[int, dict]] = []
    gen = current
    while gen != to:
        row = conn.execute("SELECT prev, data FROM journal WHERE gen = ?", (gen,)).fetchone()
        if row is None or int(row[0]) >= gen:
            return None
        chain.append((gen, json.loads(row[1])))
        gen = int(row[0])
    touched: Set[str] = set()
    for gen, data in chain:
        docs, ids = data["docs"], data["ids"]
        for marks, chunk in in_chunks(docs):
            # The rows this generation wrote for these documents, and their records.
            conn.execute(f"DELETE FROM suspended_by_sync WHERE card_id IN "
                         f"(SELECT card_id FROM cards WHERE doc IN ({marks}))", chunk)
            conn.execute(f"DELETE FROM layouts WHERE card_id IN (SELECT card_id FROM cards WHERE doc IN ({marks}))",
                         chunk)
            conn.execute(f"DELETE FROM cards WHERE doc IN ({marks})", chunk)
            conn.execute(f"DELETE FROM documents WHERE key IN ({marks})", chunk)
            conn.execute(f"DELETE FROM problems WHERE doc IN ({marks})", chunk)
        for marks, chunk in in_chunks(ids):
            conn.execute(f"DELETE FROM cards WHERE card_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM layouts WHERE card_id IN ({marks})", chunk)
            conn.execute(f"DELETE FROM suspended_by_sync WHERE card_id IN ({marks})", chunk)
        if "deck_homes" in data:  # (an entry from before the table has none: the rows stay as they are)
            for marks, chunk in in_chunks(data["homes"]):
                conn.execute(f"DELETE FROM deck_homes WHERE doc IN ({marks})", chunk)
        if "left_deleted" in data:  # (an entry from before the table has none: its rows stay as they are)
            for marks, chunk in in_chunks(docs):
                conn.execute(f"DELETE FROM left_deleted WHERE doc IN ({marks})", chunk)
        # (An entry from before the layouts table has none: its card rows
        # carry their layout tags themselves.)
        for table in (*_TABLES, "deck_homes", "layouts", "left_deleted"):
            rows = data.get(table)
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                conn.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", [tuple(r) for r in rows])
        conn.execute(f"DELETE FROM meta WHERE key NOT IN ({', '.join('?' * len(_OWN_META))})", _OWN_META)
        conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                         [tuple(r) for r in data["meta"] if r[0] not in _OWN_META])
        conn.execute("DELETE FROM journal WHERE gen = ?", (gen,))
        touched.update(docs)
    conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", [(key, "") for key in forget])
    conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (GENERATION_KEY, str(to)))
    return touched
