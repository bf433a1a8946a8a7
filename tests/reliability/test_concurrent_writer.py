"""Suite 3: Polar writes state.json while the sync reads it.

Polar 1.x replaces a document atomically (temp file + rename); older
versions truncated and rewrote it in place, so a reader could see an empty,
half-written or stale-tailed file. Every version of a test document is
self-identifying: each card's front and back and the document's tag carry
the version number. After every sync, every note must show one complete
version of its document: front, back and tags of the same version, and all
cards of a document at the same version. Torn files are named in the report
and change nothing; once the writer stops, one more sync reaches the last
version of every document.
"""

from __future__ import annotations

import json
import os
import random
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List

from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic
from tests.reliability.helpers import integrity_problems, run_sync, snapshot

DOCS, CARDS = 12, 15
_VERSION = re.compile(r"v(\d{4})")


def make_doc(root: Path, d: int, version: int, pad: bool = True) -> Doc:
    # The title grows with the version, so two versions never share a size:
    # (size, mtime) signatures cannot tell same-size rewrites apart within
    # one timestamp tick (see the racy-rewrite test at the end).
    title = f"Concurrent {d} " + "." * (version if pad else 0)
    doc = Doc(root, f"1Conc{d:04d}", title, tags=[f"ver:{version:04d}", "deck:Concurrent"])
    for c in range(CARDS):
        doc.card(f"1Conc{d:04d}c{c:03d}",
                 basic(f"<p>doc {d} card {c} v{version:04d}</p>", f"<p>answer v{version:04d}</p>"))
    return doc


def encoded(root: Path, d: int, version: int, pad: bool = True) -> bytes:
    return json.dumps(make_doc(root, d, version, pad).meta, separators=(",", ":")).encode()


def write_atomic(path: Path, data: bytes) -> None:
    """Polar 1.x: a temp file in the same folder, then rename over."""
    fd, tmp = tempfile.mkstemp(prefix=".state.json-", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def write_in_place(path: Path, data: bytes, pause: float, truncate_first: bool) -> None:
    """Older Polar (Node's fs.writeFile: open with O_TRUNC, then write): the
    same file rewritten in chunks, readable empty or half written meanwhile.

    Without truncating first (not something Polar does) a same-length
    rewrite would be *valid* JSON mixing two versions mid-write, which no
    reader can tell from a real document; only the truncating form is raced."""
    with open(path, "r+b" if path.exists() else "wb") as fh:
        if truncate_first:
            fh.truncate(0)
        for i in range(0, len(data), 1024):
            fh.write(data[i: i + 1024])
            fh.flush()
            if pause:
                time.sleep(pause)
        fh.truncate(len(data))


def check_complete_versions(col: Any, written: Dict[int, List[int]]) -> Dict[int, int]:
    """Every note shows one complete, really written version of its
    document; returns the version each document is at."""
    at: Dict[int, int] = {}
    snap = snapshot(col)
    for d in range(DOCS):
        seen = set()
        for c in range(CARDS):
            entry = snap.get(guid_for(f"1Conc{d:04d}c{c:03d}"))
            if entry is None:
                continue
            _, fields, tags, decks, _ = entry
            front = _VERSION.findall(fields[0])
            back = _VERSION.findall(fields[1].split('<div class="polar-context">')[0])
            tag = [t[4:] for t in tags if t.startswith("ver:")]
            assert len(front) == 1 and front == back == tag, (d, c, fields, tags)
            seen.add(int(front[0]))
            assert decks == ("Concurrent",)
        assert len(seen) <= 1, f"document {d} is a mix of versions {sorted(seen)}"
        if seen:
            version = seen.pop()
            assert version in written[d], f"document {d} at v{version}, never written"
            at[d] = version
    return at


def test_torn_files_are_refused_and_change_nothing(col, tmp_path, state_path):
    """Deterministic interleavings: a sync runs while a file is empty, half
    written, or overwritten without its old tail removed yet."""
    lib = tmp_path / "lib"
    for d in range(DOCS):
        make_doc(lib, d, 0).write()
    assert run_sync(col, lib, state_path).created == DOCS * CARDS
    written = {d: [0] for d in range(DOCS)}
    before = snapshot(col)

    torn = {}
    path = lambda d: lib / f"1Conc{d:04d}" / "state.json"  # noqa: E731
    new = encoded(lib, 0, 1)
    torn[0] = b""  # truncated, nothing written yet
    torn[1] = new[: len(new) // 2]  # half of the new text
    torn[2] = encoded(lib, 2, 1)[:-1]  # all but the closing brace
    old = path(3).read_bytes()
    torn[3] = (encoded(lib, 3, 1) + b" " * 50)[: len(old) + 50]  # a rewrite still followed by padding junk
    torn[3] = torn[3][:-10] + b"\x00" * 10  # preallocated, not yet written (NULs)
    torn[4] = path(4).read_bytes() + b"}garbage"  # a shorter rewrite not truncated yet
    for d, data in torn.items():
        path(d).write_bytes(data)
    # A temp file of an atomic write in progress, and a finished one.
    (path(5).parent / ".state.json-8f3a").write_bytes(encoded(lib, 5, 1)[:300])
    write_atomic(path(6), encoded(lib, 6, 1))
    written[6].append(1)

    report = run_sync(col, lib, state_path)
    named = sorted({e["path"].split("/")[0] for e in report.errors})
    assert named == [f"1Conc{d:04d}" for d in sorted(torn)], report.errors
    at = check_complete_versions(col, written)
    assert at[6] == 1 and all(at[d] == 0 for d in torn)
    assert {g: v for g, v in snapshot(col).items() if "1Conc0006" not in g} == \
        {g: v for g, v in before.items() if "1Conc0006" not in g}

    # The writer finishes: every document reaches its last version.
    for d in torn:
        write_in_place(path(d), encoded(lib, d, 2), 0, True)
        written[d].append(2)
    report = run_sync(col, lib, state_path)
    assert report.errors == []
    at = check_complete_versions(col, written)
    assert all(at[d] == 2 for d in torn) and at[5] == 0
    assert integrity_problems(col) == []


def test_syncs_while_a_writer_rewrites_documents(col, tmp_path, state_path):
    """A writer thread rewrites documents (atomic renames and in-place
    rewrites with pauses) while syncs run back to back."""
    lib = tmp_path / "lib"
    for d in range(DOCS):
        make_doc(lib, d, 0).write()
    run_sync(col, lib, state_path)
    written = {d: [0] for d in range(DOCS)}
    latest = {d: 0 for d in range(DOCS)}
    stop = threading.Event()
    lock = threading.Lock()
    failures: List[BaseException] = []

    def writer() -> None:
        rng = random.Random(4242)
        try:
            while not stop.is_set():
                d = rng.randrange(DOCS)
                version = latest[d] + 1
                data = encoded(lib, d, version)
                with lock:  # recorded before the write starts: it may be read any time now
                    written[d].append(version)
                    latest[d] = version
                path = lib / f"1Conc{d:04d}" / "state.json"
                mode = rng.random()
                if mode < 0.4:
                    write_atomic(path, data)
                else:
                    write_in_place(path, data, rng.choice([0, 0.0005, 0.002]), truncate_first=True)
                time.sleep(rng.choice([0, 0.001, 0.005]))
        except BaseException as exc:  # surfaced in the main thread
            failures.append(exc)

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    torn_reads = 0
    try:
        for _ in range(40):
            report = run_sync(col, lib, state_path)
            torn_reads += len(report.errors)
            with lock:
                snapshot_written = {d: list(v) for d, v in written.items()}
            check_complete_versions(col, snapshot_written)
    finally:
        stop.set()
        thread.join(timeout=300)  # one write at most; generous for a loaded machine
    assert not failures, failures
    # Quiet again: one sync brings every document to its last version.
    report = run_sync(col, lib, state_path)
    assert report.errors == []
    assert check_complete_versions(col, written) == latest
    assert not run_sync(col, lib, state_path).changed
    assert integrity_problems(col) == []
    print(f"\n{sum(len(v) - 1 for v in written.values())} rewrites during 40 syncs; {torn_reads} torn reads refused")


def test_same_size_rewrite_within_timestamp_granularity_is_seen(col, tmp_path, state_path):
    """Found by this suite: a document rewritten with the same size within
    the file system's timestamp granularity (a coarse mtime tick, FAT/exFAT's
    2 s) right after a sync read it keeps its (size, mtime) signature. The
    engine follows git's "racily clean" rule: a signature whose mtime is this
    close to the read is not trusted, so the next sync re-hashes the file."""
    lib = tmp_path / "lib"
    doc = make_doc(lib, 0, 1, pad=False)
    doc.write()
    path = lib / "1Conc0000" / "state.json"
    # "Right after" however slow this machine is: an mtime ahead of the clock
    # is always within the racy window.
    soon = time.time_ns() + 3600 * 10**9
    os.utime(path, ns=(soon, soon))
    assert run_sync(col, lib, state_path).created == CARDS  # reads v1 right after it was written
    st = path.stat()
    new = encoded(lib, 0, 2, pad=False)
    assert len(new) == st.st_size
    path.write_bytes(new)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the same timestamp tick
    report = run_sync(col, lib, state_path)
    assert report.updated == CARDS, report.to_dict()
    assert check_complete_versions(col, {0: [1, 2]}) == {0: 2}
