"""What Anki's progress window leaves behind, deleted.

Each time Anki's progress window is opened (``mw.progress.start``, and any
op ``with_progress``) when none is open, Anki 23.10 to 26.9 make two
single-shot ``QTimer``s parented to the main window (``_busy_cursor_timer``,
``_show_timer``); ``finish`` stops them and lets go of them, but never
deletes them, so they stay children of the main window for the rest of the
Anki session. Anki 23.10 keeps the window too: its ``ProgressDialog.cancel``
only hides it (later Ankis delete it), a hidden dialog with its form a
window. Every sync a person starts opens the window twice (the reading,
then the writing or the preview's comparing): four more timers on Anki's
main window per sync, and on 23.10 two more hidden windows, for as long as
Anki stays open.

The syncs' own openings are noted (:meth:`SpentProgress.note`, right after
the window was asked for) and what they made deleted once Anki let go of it
(:meth:`SpentProgress.sweep`, at the next opening and at a sync's end): a
timer that no longer runs, a window no longer shown. Nothing Anki still
holds is touched: what it still names, a timer still running or a window
on screen waits for the next sweep. An Anki without these attributes has
nothing noted.
"""

from __future__ import annotations

from typing import Any, List

from aqt.qt import sip

# (ProgressManager's attributes for them, Anki 23.10 to 26.9)
NAMES = ("_busy_cursor_timer", "_show_timer", "_win")


class SpentProgress:
    def __init__(self, progress: Any) -> None:
        self.progress = progress
        self.kept: List[Any] = []  # noted, not yet deleted (at most a few)

    def note(self) -> None:
        """Right after Anki's progress window was asked for: its timers and
        the window."""
        self.sweep()
        for name in NAMES:
            made = getattr(self.progress, name, None)
            if made is not None and not any(k is made for k in self.kept):
                self.kept.append(made)

    def sweep(self) -> None:
        """Delete what was noted that Anki let go of and no longer runs or
        shows."""
        held = [getattr(self.progress, name, None) for name in NAMES]
        kept = []
        for made in self.kept:
            try:
                if sip.isdeleted(made):
                    continue
                busy = made.isActive() if hasattr(made, "isActive") else made.isVisible()
                if busy or any(made is h for h in held):
                    kept.append(made)
                    continue
                made.deleteLater()
            except RuntimeError:  # (Qt deleted it meanwhile)
                continue
        self.kept = kept
