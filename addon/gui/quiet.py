"""Undo stays the user's: when a background sync may land on the Undo stack.

Anki's undo queue is one linear stack. An entry cannot be placed below the
top, and a write without an undo entry (``skip_undo_entry``) empties the
whole queue, so the only way to keep the user's Ctrl+Z for the user is to
choose *when* a background sync (watcher, startup, settings) writes:

* nothing of the user's to protect (Undo and Redo both empty, or our own
  "Sync from Polar" on top): write now;
* otherwise wait until the user has done nothing undoable (an edit, an
  answer, an Undo) for :data:`QUIET_SECONDS`.

A sync started by hand (Tools ▸ Sync from Polar) never waits: the user
asked for it, and it is one step on top of the stack.

User activity is every ``operation_did_execute`` not fired by our own
sync, and, for add-ons that write through the plain collection API (no
hook), a change of ``undo_status().last_step`` noticed when we look.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from aqt import gui_hooks

from .i18n import tr

QUIET_SECONDS = 10.0


def our_step_name() -> str:
    """Our undo step's name as Edit ▸ Undo shows it (the sync is given it)."""
    return tr("Sync from Polar")


class UndoWatch:
    def __init__(self, mw: Any, seconds: float = QUIET_SECONDS) -> None:
        self.mw = mw
        self.seconds = seconds
        self.own: Optional[object] = None  # the initiator of our own ops
        self._last_activity = float("-inf")
        self._seen_step = 0

    def install(self, own: object) -> None:
        self.own = own
        gui_hooks.operation_did_execute.append(self._on_op)

    def reset(self) -> None:
        """A profile opened: nothing the user did yet."""
        self._last_activity = float("-inf")
        self._seen_step = self._status_step()

    def _status_step(self) -> int:
        col = self.mw.col
        return int(col.undo_status().last_step) if col is not None else 0

    def _on_op(self, changes: Any, handler: Optional[object]) -> None:
        if handler is self.own and self.own is not None:
            return
        self._last_activity = time.monotonic()
        self._seen_step = self._status_step()

    def own_step_done(self) -> None:
        """Our sync just wrote (main thread): its step is not the user's."""
        self._seen_step = self._status_step()

    def wait_left(self) -> float:
        """Seconds a background sync should still wait (0: go now)."""
        col = self.mw.col
        if col is None:
            return 0.0
        status = col.undo_status()
        step = int(status.last_step)
        if step != self._seen_step:  # written without a hook: count it as now
            self._seen_step = step
            self._last_activity = time.monotonic()
        if not status.undo and not status.redo:
            return 0.0
        if status.undo == our_step_name() and not status.redo:
            return 0.0  # our own step is on top
        return max(0.0, self._last_activity + self.seconds - time.monotonic())
