"""The words before a card's page number in its context: "p. 12", "S. 12".

They are stored in the notes (in the stock types' context block, in the own
types' Source field), not added by a template: a template or CSS could only
label a page number that has a field or an element of its own, and giving it
one would rewrite every note once (50,000 notes sent to AnkiWeb on the next
sync). So the label is *fixed per collection* instead, in the interface
language of the collection's first sync, and kept in the collection's config
(``CONFIG_KEY``): it travels with the collection to every computer through
AnkiWeb, so two computers in two languages never rewrite each other's notes,
and a later change of Anki's language (or of a translation) changes no note.

Collections synced before the label was kept have English labels in their
notes and keep them: when no label is stored, the sync state (documents
synced before) or the collection (Polar notes in it) tells, and the label is
English (``settings.ENGLISH_PAGE_LABEL``; resolved in ``read.read_library``
and ``apply.settle_page_label``). The label is stored by the first sync that
writes (``write.open_undo_step``), never by a preview or a sync with nothing
to write (a no-op stays a no-op).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ..settings import ENGLISH_PAGE_LABEL

if TYPE_CHECKING:
    from anki.collection import Collection

CONFIG_KEY = "polarSyncPageLabel"
MAX_CHARS = 40


def usable(label: object) -> bool:
    """A label the renderer can use: plain text with one ``{page}``."""
    if not isinstance(label, str) or len(label) > MAX_CHARS or label.count("{page}") != 1:
        return False
    rest = label.replace("{page}", "")
    return "{" not in rest and "}" not in rest and rest.isprintable() and bool(rest.strip())


def from_words(words: str) -> str:
    """The label for a translation of "p. {page}" (English if it is not one)."""
    words = " ".join(words.split()) if isinstance(words, str) else ""
    return words if usable(words) else ENGLISH_PAGE_LABEL


def stored(col: Collection) -> Optional[str]:
    """The label this collection's notes have, when a sync has fixed it."""
    try:
        value = col.get_config(CONFIG_KEY, None)
    except Exception:  # (a value another program wrote that is not JSON Anki reads)
        return None
    return value if usable(value) else None


def remember(col: Collection, label: str) -> None:
    """Fix ``label`` for this collection unless one is fixed already. Outside
    the sync's undo step: an Undo of the first sync leaves it (the notes a
    later sync makes then get the same words)."""
    if stored(col) is None and usable(label):
        col.set_config(CONFIG_KEY, label)
