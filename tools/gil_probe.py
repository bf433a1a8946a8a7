#!/usr/bin/env python3
"""Does Anki's backend let Python run while it writes notes?

Times one write of 20,000 notes, a pure-Python CPU loop as long as it, and
both at once on two threads, for both ways into a collection:

* ``add_notes``: the Note → protobuf conversion runs in Python and holds the
  GIL; only part of the call overlaps;
* ``import_json_string``: the JSON is built beforehand (not timed); the
  backend's import runs in Rust without the GIL and overlaps almost wholly.

If the write released the GIL throughout, "both" would be close to the
longer of the two (overlap ~100 % of the shorter); holding it, their sum
(overlap 0 %). This is what lets the sync render the next documents while
Anki writes the previous ones (docs/performance.md).

    .venv/bin/python tools/gil_probe.py
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from typing import Any, Callable, List


def main() -> None:
    from anki.collection import AddNoteRequest, Collection
    from anki.decks import DeckId

    col = Collection(os.path.join(tempfile.mkdtemp(), "probe.anki2"))
    basic = col.models.by_name("Basic")
    assert basic is not None

    def requests(n: int, offset: int) -> List[Any]:
        out = []
        for i in range(n):
            note = col.new_note(basic)
            note["Front"], note["Back"] = f"q{i + offset}", "a"
            out.append(AddNoteRequest(note=note, deck_id=DeckId(1)))
        return out

    def payload(n: int, offset: int) -> str:
        notes = [{"guid": f"probe{i + offset}", "fields": [f"q{i + offset}", "a"], "tags": [],
                  "notetype": basic["id"], "deck": 1} for i in range(n)]
        return json.dumps({"notes": notes, "dupe_resolution": "Duplicate"})

    probe("add_notes", col, lambda k: (lambda batch=requests(20_000, k * 100_000): col.add_notes(batch)))
    probe("import_json_string", col, lambda k: (lambda text=payload(20_000, k * 100_000): col.import_json_string(text)))
    col.close()


def probe(name: str, col: Any, make_write: Callable[[int], Callable[[], Any]]) -> None:
    """``make_write(k)`` prepares the k-th write (untimed) and returns it."""
    loops = [6_000_000]

    def cpu() -> None:
        total = 0
        for i in range(loops[0]):
            total += i

    first, second = make_write(1), make_write(2)
    t = time.perf_counter()
    first()
    write = time.perf_counter() - t
    t = time.perf_counter()
    cpu()
    loop = time.perf_counter() - t
    loops[0] = int(loops[0] * write / loop)  # make the loop as long as the write
    t = time.perf_counter()
    cpu()
    loop = time.perf_counter() - t
    t = time.perf_counter()
    writer = threading.Thread(target=second)
    writer.start()
    cpu()
    writer.join()
    both = time.perf_counter() - t
    print(f"{name}: write {write:.2f} s, Python loop {loop:.2f} s, sum {write + loop:.2f} s, "
          f"both on two threads {both:.2f} s -> overlap {(write + loop - both) / min(write, loop):.0%} of the shorter")


if __name__ == "__main__":
    main()
