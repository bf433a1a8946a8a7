#!/usr/bin/env python3
"""Does Anki's backend let Python run while it adds notes? (It does not.)

Times one `add_notes` of 20,000 notes, a pure-Python CPU loop, and both at
once on two threads. If the backend released the GIL, "overlapped" would be
close to the larger of the two; it is their sum or more. This is why the
sync cannot hide its parse/render time behind Anki's write (docs/performance.md).

    .venv/bin/python tools/gil_probe.py
"""

from __future__ import annotations

import os
import tempfile
import threading
import time


def main() -> None:
    from anki.collection import AddNoteRequest, Collection
    from anki.decks import DeckId

    col = Collection(os.path.join(tempfile.mkdtemp(), "probe.anki2"))
    basic = col.models.by_name("Basic")

    def requests(n: int, offset: int) -> list:
        out = []
        for i in range(n):
            note = col.new_note(basic)
            note["Front"], note["Back"] = f"q{i + offset}", "a"
            out.append(AddNoteRequest(note=note, deck_id=DeckId(1)))
        return out

    loops = 6_000_000

    def cpu() -> None:
        total = 0
        for i in range(loops):
            total += i

    first, second = requests(20_000, 0), requests(20_000, 100_000)
    t = time.perf_counter()
    col.add_notes(first)
    add = time.perf_counter() - t
    t = time.perf_counter()
    cpu()
    loop = time.perf_counter() - t
    loops = int(loops * add / loop)  # make the loop as long as the write
    t = time.perf_counter()
    cpu()
    loop = time.perf_counter() - t
    t = time.perf_counter()
    writer = threading.Thread(target=col.add_notes, args=(second,))
    writer.start()
    cpu()
    writer.join()
    both = time.perf_counter() - t
    col.close()
    print(f"add_notes {add:.2f} s, Python loop {loop:.2f} s, sum {add + loop:.2f} s, "
          f"both on two threads {both:.2f} s -> "
          f"overlap {(add + loop - both) / min(add, loop):.0%} of the shorter")


if __name__ == "__main__":
    main()
