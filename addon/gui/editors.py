"""Which notes Anki's editors are showing: a note open in an editor is the
user's, and a background sync leaves it alone until the editor lets go.

Every editor window (Browser, Edit Current, Add, an add-on's own) is built
on ``aqt.editor.Editor`` (Anki 23.10 - 26.x; on 26.x also the experimental
``NewEditor``), and all of them fire ``editor_did_init`` /
``editor_did_load_note``; the editors are kept in a weak set, so a closed
window's editor simply disappears. An editor keeps its note in memory and
writes *all* its fields back on the next keystroke, which is why a sync
must neither write that note nor make the window reload it.
"""

from __future__ import annotations

import time
import weakref
from typing import Any, Callable, List, Optional, Set

from aqt import gui_hooks
from aqt.qt import QTimer, sip

# A manual sync saves the open editors first; an editor whose page never
# answers (crashed web view) must not stall the sync for ever.
SAVE_TIMEOUT_MS = 10_000
# How long a manual sync waits for a focused field to report losing the
# focus to the sync's window (a round trip to the page: ~10-50 ms).
BLUR_TIMEOUT_MS = 2_000
BLUR_POLL_MS = 15


def shown_note_id(editor: Any) -> Optional[int]:
    """The id of the collection note ``editor`` shows, or None (no note, a
    new note in Add, a closed editor)."""
    if getattr(editor, "web", None) is None:
        return None  # Editor.cleanup() ran: the window closed
    widget = getattr(editor, "widget", None)
    if widget is None or sip.isdeleted(widget):
        return None
    if getattr(editor, "addMode", False):
        return None  # a note being added is not in the collection yet
    note = getattr(editor, "note", None)  # aqt.editor.Editor
    nid = note.id if note is not None else getattr(editor, "nid", None)  # NewEditor (26.x)
    return int(nid) if nid else None


class OpenEditors:
    def __init__(self) -> None:
        self._editors: weakref.WeakSet[Any] = weakref.WeakSet()

    def install(self) -> None:
        gui_hooks.editor_did_init.append(self.track)
        gui_hooks.editor_did_load_note.append(self.track)

    def track(self, editor: Any) -> None:
        self._editors.add(editor)

    def live(self) -> List[Any]:
        return [e for e in list(self._editors) if shown_note_id(e) is not None]

    def note_ids(self) -> Set[int]:
        ids = set()
        for editor in self.live():
            nid = shown_note_id(editor)
            if nid is not None:
                ids.add(nid)
        return ids

    def focused(self) -> List[Any]:
        """The editors with the caret in one of their fields: what the page
        reported last ("focus:N" sets ``currentField``, "blur" clears it)."""
        return [e for e in self.live() if getattr(e, "currentField", None) is not None]

    def after_blur(self, ready: Callable[[], bool], then: Callable[[], None]) -> None:
        """Call ``then`` once ``ready()`` holds and no field has the focus
        (each blur's save is then queued), or after BLUR_TIMEOUT_MS."""
        deadline = time.monotonic() + BLUR_TIMEOUT_MS / 1000

        def check() -> None:
            if (ready() and not self.focused()) or time.monotonic() >= deadline:
                then()
            else:
                QTimer.singleShot(BLUR_POLL_MS, check)

        check()

    def save_all(self, then: Callable[[], None]) -> None:
        """Have every open editor write what was typed, then call ``then``
        (once). The focus stays where it is."""
        editors = self.live()
        left = {id(e) for e in editors}
        called = False

        def finish() -> None:
            nonlocal called
            if not called:
                called = True
                then()

        if not editors:
            finish()
            return

        def saved(key: int) -> None:
            left.discard(key)
            if not left:
                finish()

        for editor in editors:
            key = id(editor)
            try:
                editor.call_after_note_saved(lambda key=key: saved(key), keepFocus=True)
            except Exception:  # a half-closed window: nothing to save
                saved(key)
        # (Not Anki's progress timers: they wait while a progress window is
        # open, and a manual sync's window is.)
        QTimer.singleShot(SAVE_TIMEOUT_MS, finish)
