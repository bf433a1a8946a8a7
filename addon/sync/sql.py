"""The one way this add-on queries many keys at once: chunked ``IN (...)``
lists (the state file and the collection's read-only lookups); and the state
file's bulk inserts from a helper thread (``insert_rows``)."""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Iterator, List, Sequence, Tuple, TypeVar

T = TypeVar("T")

# SQLite's default limit on bound parameters was 999 before 3.32.
IN_CHUNK = 500


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Tuple[str, List[T]]]:
    """``(marks, chunk)`` pairs for ``... IN ({marks})`` queries over ``values``."""
    for i in range(0, len(values), size):
        chunk = list(values[i: i + size])
        yield ",".join("?" * len(chunk)), chunk


# Bound parameters a statement may hold: 32,766 from SQLite 3.32 on, 999 before.
MAX_PARAMS = 32766 if sqlite3.sqlite_version_info >= (3, 32, 0) else 999
# Rows a multi-row insert takes at once: the statement (one per row count,
# kept in sqlite3's statement cache) is compiled once, and each call hands
# the GIL over twice (binding, then SQLite's work without it), not once a row.
INSERT_ROWS = 1000


@lru_cache(maxsize=16)
def _insert_sql(verb: str, table: str, width: int, rows: int) -> str:
    row = "(" + ",".join("?" * width) + ")"
    return f"{verb} INTO {table} VALUES " + ",".join([row] * rows)


def insert_rows(conn: sqlite3.Connection, verb: str, table: str, width: int, values: Sequence[object]) -> None:
    """``values`` (rows of ``width`` values, one after another) into ``table``
    in order, a few multi-row ``VALUES`` statements instead of a row each:
    ``executemany`` releases and retakes the GIL for every row, which on a
    thread beside a busy one waits up to the switch interval each time."""
    per = max(1, min(INSERT_ROWS, MAX_PARAMS // width))
    total = len(values) // width
    for start in range(0, total, per):
        rows = min(per, total - start)
        conn.execute(_insert_sql(verb, table, width, rows), values[start * width:(start + rows) * width])
