"""Running syncs from the GUI without freezing it.

``prepare`` (read, parse, render: no collection) runs as a
``QueryOp.without_collection()`` so Anki stays usable; ``Prepared.apply``
runs as a ``CollectionOp`` (one undo step, browser/editor refresh). A
preview applies with ``dry_run`` inside a plain ``QueryOp``: nothing written,
no undo entry.

Only one sync runs at a time. Requests that arrive meanwhile (the watcher,
a second click) wait in a queue and merge: two requests for different
documents become one request for both; a whole-library request absorbs the
rest.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Literal, Optional, Set, Tuple

from anki.collection import OpChanges
from aqt.operations import CollectionOp, QueryOp

from ..polar.library import SourceError, resolve_data_dir
from ..settings import Settings
from ..sync.engine import collection_identity, prepare
from ..sync.report import Report
from .i18n import tr
from .report_text import progress_words

# Who asked for a sync.
Trigger = Literal["manual", "preview", "startup", "watch", "settings"]
MANUAL: Trigger = "manual"
PREVIEW: Trigger = "preview"
STARTUP: Trigger = "startup"
WATCH: Trigger = "watch"
SETTINGS: Trigger = "settings"

# Who asked, in words for the log and the report window.
TRIGGER_LABELS: Dict[Trigger, str] = {
    MANUAL: "Tools ▸ Sync from Polar",
    PREVIEW: "Preview (dry run)",
    STARTUP: "sync on startup",
    WATCH: "Polar saved a change",
    SETTINGS: "settings changed",
}


def trigger_label(trigger: Trigger) -> str:
    """TRIGGER_LABELS in the interface language."""
    words = {
        MANUAL: tr("Tools ▸ Sync from Polar"),
        PREVIEW: tr("Preview (dry run)"),
        STARTUP: tr("sync on startup"),
        WATCH: tr("Polar saved a change"),
        SETTINGS: tr("settings changed"),
    }
    return words[trigger]
# Syncs a person started get a progress window; background ones stay quiet.
INTERACTIVE: FrozenSet[Trigger] = frozenset({MANUAL, PREVIEW})
# When two requests merge, the more visible trigger wins.
_RANK: Dict[Trigger, int] = {WATCH: 0, SETTINGS: 1, STARTUP: 2, MANUAL: 3, PREVIEW: 3}


@dataclass(frozen=True)
class SyncRequest:
    trigger: Trigger
    only: Optional[FrozenSet[str]] = None  # document keys; None = the whole library

    @property
    def dry_run(self) -> bool:
        return self.trigger == PREVIEW

    def merge(self, other: SyncRequest) -> Optional[SyncRequest]:
        if self.dry_run != other.dry_run:
            return None
        only = None if self.only is None or other.only is None else self.only | other.only
        trigger = max(self.trigger, other.trigger, key=_RANK.__getitem__)
        return SyncRequest(trigger, only)


@dataclass
class Outcome:
    request: SyncRequest
    report: Report
    started: float
    finished: float
    failed: bool = False  # prepare/apply raised: the report holds the reason
    # The library itself is missing or unreadable: not a sync problem but a
    # state of its own (nothing read, nothing counted); the reason, in English.
    library_error: str = ""


class _Applied:
    """What the CollectionOp returns: Anki reads ``.changes`` to refresh views."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self.changes = report.op_changes if report.op_changes is not None else OpChanges()


Context = Callable[[], Tuple[Settings, Path]]


class SyncRunner:
    def __init__(self, mw: Any, context: Context, on_finished: Callable[[Outcome], None], log: Any) -> None:
        self.mw = mw
        self.context = context
        self.on_finished = on_finished
        self.log = log
        self.busy = False
        self.finished_count = 0
        self._queue: List[SyncRequest] = []
        self._holds: Set[str] = set()
        self._progress_open = False
        # Bumped when the profile closes: results of syncs started before
        # are dropped instead of being written into the next profile.
        self._generation = 0

    # -- queue ---------------------------------------------------------------

    def request(self, trigger: Trigger, only: Optional[Set[str]] = None) -> None:
        new = SyncRequest(trigger, None if only is None else frozenset(only))
        for i, queued in enumerate(self._queue):
            merged = queued.merge(new)
            if merged is not None:
                self._queue[i] = merged
                break
        else:
            self._queue.append(new)
        self._pump()

    def hold(self, reason: str) -> None:
        """Keep queued requests waiting (AnkiWeb sync running, collection closed)."""
        self._holds.add(reason)

    def release(self, reason: str) -> None:
        self._holds.discard(reason)
        self._pump()

    def clear(self) -> None:
        self._queue.clear()

    def abandon(self) -> None:
        """The profile is closing: forget queued requests and drop the
        result of one still reading."""
        self._queue.clear()
        self._generation += 1

    @property
    def pending(self) -> List[SyncRequest]:
        return list(self._queue)

    def _pump(self) -> None:
        if self.busy or self._holds or not self._queue or self.mw.col is None:
            return
        self.busy = True
        self._start(self._queue.pop(0))

    # -- one sync ------------------------------------------------------------

    def _start(self, req: SyncRequest) -> None:
        started = time.time()
        generation = self._generation
        try:
            settings, state_path = self.context()
            source = resolve_data_dir(settings.data_dir)
            collection_id = collection_identity(self.mw.col)
        except Exception as exc:
            self._fail(req, exc, started)
            return
        progress: Optional[Callable[[str], None]] = None
        if req.trigger in INTERACTIVE:
            self.mw.progress.start(label=tr("Reading the Polar library…"), parent=self.mw)
            self._progress_open = True
            progress = self._progress_from_thread

        def op(_col: Any) -> Any:
            return prepare(
                settings, state_path, source_path=source, only=req.only, progress=progress,
                collection_id=collection_id,
            )

        QueryOp(
            parent=self.mw, op=op, success=lambda prepared: self._apply(req, prepared, started, generation)
        ).failure(lambda exc: self._fail(req, exc, started)).without_collection().run_in_background()

    def _progress_from_thread(self, message: str) -> None:
        def show() -> None:
            if self._progress_open:
                self.mw.progress.update(label=progress_words(message))

        self.mw.taskman.run_on_main(show)

    def _close_progress(self) -> None:
        if self._progress_open:
            self._progress_open = False
            self.mw.progress.finish()

    def _apply(self, req: SyncRequest, prepared: Any, started: float, generation: int) -> None:
        self._close_progress()
        if self.mw.col is None or generation != self._generation:
            self.busy = False  # the profile closed while reading: write nothing
            self._pump()
            return
        if req.dry_run:
            QueryOp(
                parent=self.mw,
                op=lambda col: prepared.apply(col, dry_run=True),
                success=lambda report: self._finish(req, report, started),
            ).failure(lambda exc: self._fail(req, exc, started)).with_progress(
                tr("Comparing with your collection…")
            ).run_in_background()
            return
        undo_name = tr("Sync from Polar")  # Edit ▸ Undo says it in the user's language
        CollectionOp(self.mw, lambda col: _Applied(prepared.apply(col, undo_name=undo_name))).success(
            lambda applied: self._finish(req, applied.report, started)
        ).failure(lambda exc: self._fail(req, exc, started)).run_in_background(initiator=self)

    def _fail(self, req: SyncRequest, exc: Exception, started: float) -> None:
        self._close_progress()
        report = Report(dry_run=req.dry_run)
        if isinstance(exc, SourceError):
            self._finish(req, report, started, failed=True, library_error=str(exc))
            return
        else:
            # A bug, not a bad file: keep the traceback in Anki's add-on log.
            trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.log.error("sync failed:\n%s", trace)
            report.error("Polar Sync", f"the sync stopped with {type(exc).__name__}: {exc}")
        self._finish(req, report, started, failed=True)

    def _finish(
        self, req: SyncRequest, report: Report, started: float, failed: bool = False, library_error: str = ""
    ) -> None:
        self.busy = False
        self.finished_count += 1
        try:
            self.on_finished(Outcome(req, report, started, time.time(), failed, library_error))
        except Exception:  # showing the result must never take the queue down
            self.log.error("showing the sync result failed:\n%s", traceback.format_exc())
        self._pump()
