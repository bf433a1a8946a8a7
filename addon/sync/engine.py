"""The sync, as the GUI and the CLI drive it: ``prepare`` (read → render, no
collection; ``read.py``) then ``Prepared.apply`` (plan → write → report, on
the collection; ``apply.py``).

Splitting there lets Anki parse files on a background thread while the
collection stays free, then write in one short step on the collection thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, AbstractSet, Callable, Collection, Optional

from ..settings import Settings
from .gcpause import gc_paused
from .identity import collection_identity
from .page_label import stored as stored_page_label
from .read import Progress, Reading, read_library
from .report import Report
from .stop import StopWish

if TYPE_CHECKING:
    from anki.collection import Collection as AnkiCollection

__all__ = ["Prepared", "collection_identity", "prepare", "sync"]


class Prepared(Reading):
    """The library as read, ready to be applied to a collection."""

    def apply(self, col: AnkiCollection, dry_run: bool = False, undo_name: Optional[str] = None,
              leave_alone: AbstractSet[int] = frozenset(), set_aside_later: AbstractSet[int] = frozenset()) -> Report:
        """``undo_name``: what Edit ▸ Undo calls the sync (the GUI passes it
        in the user's language); default "Sync from Polar". ``leave_alone``:
        ids of notes not to write this time (open in an editor);
        ``set_aside_later``: ids of notes not to set aside this time (their
        card shown in the reviewer); those documents are not remembered as
        synced."""
        # Imported here: the apply phase needs the renderer's modules (note
        # types, fields), which Anki need not import at start.
        from .apply import apply

        if undo_name:
            return apply(col, self, dry_run, undo_name, leave_alone, set_aside_later)
        return apply(col, self, dry_run, leave_alone=leave_alone, set_aside_later=set_aside_later)


def prepare(
    settings: Settings,
    state_path: Optional[Path],
    *,
    source_path: Optional[Path] = None,
    only: Optional[Collection[str]] = None,
    progress: Optional[Progress] = None,
    collection_id: str = "",
    on_long_read: Optional[Callable[[], None]] = None,
    label_fixed: bool = True,
    in_place: AbstractSet[str] = frozenset(),
    stop: Optional[StopWish] = None,
    preview: bool = False,
    settle: bool = False,
    settle_s: float = 0.0,
) -> Prepared:
    """Read the library: no collection access, safe on a background thread.

    ``settings.page_label``: the collection's page label (``page_label.stored``)
    with ``label_fixed``; else, with ``label_fixed=False``, the one wanted for
    a collection no sync has written to yet (see page_label.py).

    ``in_place``: documents the watcher saw rewritten in place (not
    replaced) just before this sync: one that cannot be parsed and was
    written moments ago is taken as still being written
    (``Report.being_written``), not as damaged. ``settle``: any document
    so (the startup sync, Sync from Polar: a file-syncing service may be
    writing a state.json in place as they read; the GUI reads it again).
    ``settle_s``: with ``settle``, such a document is read again here
    for up to that many seconds (the CLI's, which reads nothing later).

    ``on_long_read``: called on this thread before a long reading begins
    (``read.LONG_READ_BYTES`` of documents to read), e.g. to show a window.

    ``stop``: asked at the sync's stop points (any thread; Anki's progress
    window's Cancel): between two documents of the reading and before the
    write, :class:`read.Stopped` (nothing written); between two batches of
    new notes, the write ends there, keeps and remembers what it added,
    and the report says so (a warning ``stopped_by_you``). Either way the
    state then owes the next sync the whole library (``state.REST_KEY``:
    any next sync, ``only`` or not, reads it all), unless ``preview`` (a
    dry run is to follow: its stop owes nothing).
    Raises :class:`addon.polar.library.SourceError` when the library itself is
    missing or unreadable (nothing is planned, nothing swept)."""
    return read_library(Prepared, settings, state_path, source_path, only, progress, collection_id, on_long_read,
                        label_fixed, in_place, stop, preview, settle, settle_s)


def sync(
    col: AnkiCollection,
    settings: Settings,
    state_path: Optional[Path],
    *,
    source_path: Optional[Path] = None,
    dry_run: bool = False,
    only: Optional[Collection[str]] = None,
    progress: Optional[Progress] = None,
    stop: Optional[StopWish] = None,
    settle_s: float = 0.0,
) -> Report:
    """``prepare`` + ``apply`` in one call (the CLI, tests, benchmarks).
    ``settings.page_label``: the label wanted if the collection has none yet.
    ``settle_s``: a state.json being written in place as it is read (a
    file-syncing service, a copy) is waited for, up to that many seconds,
    not reported as damaged (``prepare``'s ``settle``)."""
    # Inside Anki automatic GC is off already; elsewhere it is paused so
    # these runs cost what a sync costs in Anki (see gcpause).
    with gc_paused():
        label = stored_page_label(col)
        prepared = prepare(
            settings._replace(page_label=label) if label else settings, state_path, source_path=source_path,
            only=only, progress=progress, collection_id=collection_identity(col), label_fixed=label is not None,
            stop=stop, preview=dry_run, settle=settle_s > 0, settle_s=settle_s,
        )
        return prepared.apply(col, dry_run=dry_run)
