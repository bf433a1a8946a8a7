"""Background reads of the user's files that never touch the collection: an
EPUB read and its place found, a document taken out of a Polar export.

Not on the collection's own thread: there they waited behind whatever held
it, so "open" on a card did nothing for the whole of a long sync's write (a
first sync of 50,000 notes, an update of every note). Nor on Anki's pool for
work without the collection: behind a read that never returns (a book on a
share that died), each page turn took another of its threads, waiting its
turn, until none was left for Anki's own work there (AnkiWeb's sync check,
the media sync, the closing of its progress window). They run on one thread
of the add-on's, one at a time and in the order asked: two quick clicks
never take the same file out of an export at once, and the documents
folder's trimming never runs beside a copy into it. The thread is a daemon:
a read stuck in the kernel never holds Anki's exit."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Any, Callable, Optional, Tuple, TypeVar

T = TypeVar("T")

Job = Tuple[Callable[[], Any], Callable[[Any], None], "Future[Any]"]

_jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
_worker: Optional[threading.Thread] = None
_starting = threading.Lock()


def run_file_task(task: Callable[[], T], on_done: Callable[[Any], None]) -> None:
    """``task`` off the main thread, never behind the collection nor in Anki's
    pool; ``on_done`` gets its future on the main thread (as
    ``taskman.run_in_background``)."""
    global _worker
    _jobs.put((task, on_done, Future()))
    with _starting:
        if _worker is None or not _worker.is_alive():
            _worker = threading.Thread(target=_work, name="Polar Sync file reads", daemon=True)
            _worker.start()


def _work() -> None:
    while True:
        task, on_done, future = _jobs.get()
        if future.set_running_or_notify_cancel():
            try:
                future.set_result(task())
            except BaseException as exc:  # (handed to the caller, as a pool's future does)
                future.set_exception(exc)
        _on_main(on_done, future)


def _on_main(on_done: Callable[[Any], None], future: Future[Any]) -> None:
    from aqt import mw

    if mw is not None:
        mw.taskman.run_on_main(lambda: on_done(future))
