"""Chunked queries and bulk inserts (``addon/sync/sql.py``)."""

from __future__ import annotations

import sqlite3
from itertools import chain

import pytest

from addon.sync import sql


def test_in_chunks_cover_every_value_once():
    values = list(range(1203))
    chunks = list(sql.in_chunks(values))
    assert [v for _, chunk in chunks for v in chunk] == values
    assert all(marks.count("?") == len(chunk) <= sql.IN_CHUNK for marks, chunk in chunks)


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4, 7, 9, 10])
def test_insert_rows_writes_every_row_in_order_a_few_at_a_time(monkeypatch, count):
    """Multi-row statements of up to INSERT_ROWS rows, the last one shorter;
    in the order given, so with OR REPLACE a key met twice keeps its last row."""
    monkeypatch.setattr(sql, "INSERT_ROWS", 3)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v, w)")
    rows = [(f"k{i % 5}", i, None if i % 2 else "x\u00e9") for i in range(count)]
    statements = []
    conn.set_trace_callback(statements.append)
    sql.insert_rows(conn, "INSERT OR REPLACE", "t", 3, list(chain.from_iterable(rows)))
    conn.set_trace_callback(None)
    expected = {k: (k, v, w) for k, v, w in rows}  # the last row of each key
    assert conn.execute("SELECT k, v, w FROM t ORDER BY k").fetchall() == sorted(expected.values())
    assert len([s for s in statements if s.startswith("INSERT")]) == -(-count // 3)


def test_insert_rows_stays_under_the_parameter_limit(monkeypatch):
    monkeypatch.setattr(sql, "MAX_PARAMS", 999)  # SQLite before 3.32
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b, c, d, e, f, g, h, i)")
    values = list(range(9 * 500))
    sql.insert_rows(conn, "INSERT", "t", 9, values)  # 111 rows a statement at most
    assert conn.execute("SELECT count(*), sum(a) FROM t").fetchone() == (500, sum(values[::9]))
