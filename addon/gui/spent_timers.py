"""The two timers Anki's progress window leaves behind, deleted.

Each time Anki's progress window is opened (``mw.progress.start``, and any
op ``with_progress``) when none is open, Anki 23.10 to 26.9 make two
single-shot ``QTimer``s parented to the main window (``_busy_cursor_timer``,
``_show_timer``); ``finish`` stops them and lets go of them, but never
deletes them, so they stay children of the main window for the rest of the
Anki session. Every sync a person starts opens the window twice (the
reading, then the writing or the preview's comparing): four more timers on
Anki's main window per sync, for as long as Anki stays open.

The syncs' own openings are noted (:meth:`SpentTimers.note`, right after the
window was asked for) and their timers deleted once Anki let go of them and
they no longer run (:meth:`SpentTimers.sweep`, at the next opening and at
a sync's end). Nothing Anki still holds is touched: a timer it still names,
or one still running, waits for the next sweep. An Anki without these
attributes has nothing noted.
"""

from __future__ import annotations

from typing import Any, List

from aqt.qt import sip

# (ProgressManager's attributes for them, Anki 23.10 to 26.9)
NAMES = ("_busy_cursor_timer", "_show_timer")


class SpentTimers:
    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.kept: List[Any] = []  # noted, not yet deleted (at most a few)

    def note(self) -> None:
        """Right after Anki's progress window was asked for: its timers."""
        self.sweep()
        for name in NAMES:
            timer = getattr(self.progress, name, None)
            if timer is not None and not any(t is timer for t in self.kept):
                self.kept.append(timer)

    def sweep(self) -> None:
        """Delete the noted timers Anki let go of and that no longer run."""
        held = [getattr(self.progress, name, None) for name in NAMES]
        kept = []
        for timer in self.kept:
            try:
                if sip.isdeleted(timer):
                    continue
                if any(timer is h for h in held) or timer.isActive():
                    kept.append(timer)
                    continue
                timer.deleteLater()
            except RuntimeError:  # (Qt deleted it meanwhile)
                continue
        self.kept = kept
