"""Background reads of the user's files that never touch the collection: an
EPUB read and its place found, a document taken out of a Polar export.

On Anki's other pool (``uses_collection=False``): on the collection's own
thread they waited behind whatever held it, so "open" on a card did nothing
for the whole of a long sync's write (a first sync of 50,000 notes, an
update of every note). One at a time among themselves, as they were there:
two quick clicks never take the same file out of an export at once, and the
documents folder's trimming never runs beside a copy into it."""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

from aqt import mw

T = TypeVar("T")

_one_at_a_time = threading.Lock()


def run_file_task(task: Callable[[], T], on_done: Callable[[Any], None]) -> None:
    """``task`` off the main thread, never behind the collection; ``on_done``
    gets its future on the main thread (as ``taskman.run_in_background``)."""

    def serial() -> T:
        with _one_at_a_time:
            return task()

    mw.taskman.run_in_background(serial, on_done, uses_collection=False)
