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

import weakref
from typing import Any, Callable, List, Optional, Set

from aqt import gui_hooks, mw
from aqt.qt import sip

# A manual sync saves the open editors first; an editor whose page never
# answers (crashed web view) must not stall the sync for ever.
SAVE_TIMEOUT_MS = 10_000


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
        mw.progress.single_shot(SAVE_TIMEOUT_MS, finish, False)
