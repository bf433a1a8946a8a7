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
from typing import Any, Callable, List, Optional, Set, Tuple

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


# What an editor loaded while a sync wrote: note id, fields, tags, guid.
Loaded = Tuple[int, List[str], List[str], str]


class OpenEditors:
    def __init__(self) -> None:
        self._editors: weakref.WeakSet[Any] = weakref.WeakSet()
        # Editors that loaded a note while a sync wrote (``writing``), with
        # what they loaded: it may be the note as it was before the write.
        self.writing = False
        self._mid_write: weakref.WeakKeyDictionary[Any, Loaded] = weakref.WeakKeyDictionary()

    def install(self) -> None:
        gui_hooks.editor_did_init.append(self.track)
        gui_hooks.editor_did_load_note.append(self.track)

    def track(self, editor: Any) -> None:
        self._editors.add(editor)
        if self.writing:
            nid = shown_note_id(editor)
            note = getattr(editor, "note", None)
            if nid is not None and note is not None:
                self._mid_write[editor] = (nid, list(note.fields), list(note.tags), str(note.guid))

    def begin_write(self) -> None:
        self._mid_write.clear()
        self.writing = True

    def end_write(self) -> None:
        self.writing = False
        self._mid_write.clear()

    @property
    def loaded_mid_write(self) -> bool:
        return bool(self._mid_write)

    def mid_write_note_ids(self) -> Set[int]:
        return {loaded[0] for e, loaded in list(self._mid_write.items()) if shown_note_id(e) == loaded[0]}

    def take_the_write(self, col: Any, then: Callable[[List[Tuple[int, int, str]]], None]) -> None:
        """(Main thread, the sync's writing done, its op not yet over: the
        editors' saves are queued behind it.) An editor that loaded a note
        during the writing may hold it as it was before: its next save put
        the old fields back (Polar's change then looked like an edit in
        Anki), and the reload Anki does after the op threw away what was
        typed meanwhile. Each such editor first hands over what its page
        holds (typed keys reach the note after a pause), then each field,
        the tags and the guid the sync changed and the person did not are
        taken into its note, and it shows them (the caret stays in its
        field); what the person typed stays. ``then`` gets (note id, field,
        the typed text) of the fields both changed (the typing kept there)."""
        both: List[Tuple[int, int, str]] = []
        waiting = [e for e, loaded in list(self._mid_write.items())
                   if getattr(e, "note", None) is not None and shown_note_id(e) == loaded[0]]
        left = {id(e) for e in waiting}
        if not waiting:
            then(both)
            return

        def take(editor: Any) -> None:
            if id(editor) not in left:
                return
            left.discard(id(editor))
            try:
                loaded = self._mid_write.get(editor)
                if loaded is not None:
                    both.extend(self._take_into(editor, loaded, col))
            finally:
                if not left:
                    then(both)

        for editor in waiting:
            try:
                editor.call_after_note_saved(lambda editor=editor: take(editor), keepFocus=True)
            except Exception:  # a half-closed window
                take(editor)

    def _take_into(self, editor: Any, loaded: Loaded, col: Any) -> List[Tuple[int, int, str]]:
        nid, fields, tags, guid = loaded
        note = getattr(editor, "note", None)
        if note is None or shown_note_id(editor) != nid:
            return []
        try:
            now = col.get_note(nid)
        except Exception:  # (gone)
            return []
        both: List[Tuple[int, int, str]] = []
        changed = False
        for i, (was, new) in enumerate(zip(fields, now.fields)):
            if new == was or i >= len(note.fields):
                continue
            if note.fields[i] == was:
                note.fields[i] = new
                changed = True
            else:
                both.append((nid, i, str(note.fields[i])))
        if list(now.tags) != tags and list(note.tags) == tags:
            note.tags = list(now.tags)
            changed = True
        if str(now.guid) != guid and str(note.guid) == guid:
            note.guid = now.guid
            changed = True
        if changed:
            editor.loadNoteKeepingFocus()
        return both

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
