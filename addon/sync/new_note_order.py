"""The order a sync adds its new notes in: reading order, a document at a time.

Anki gives each new note the next due position, so new cards come up in the
order their notes were added; adding them in reading order spares moving
them afterwards (``reading_order``). ``ReadingOrder`` hands them out batch
by batch, as the note builder takes them (``write.add_notes``).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple

from ..render.card import PlaceKey, place_in_document
from .plan import Create
from .read import Pending


class ReadingOrder:
    """The new notes in reading order, put in order a document at a time as
    they are taken (``take``): the documents first, by the leading part of
    the reading key (``reading_position``: when added, the fingerprint);
    each document's cards by the rest of it (``place_key``: their leading
    part is the group's) when its first card is taken.
    The same order as one sort of every card by the key, without that sort
    (and 50,000 keys made) before the first import can start."""

    def __init__(self, creates: Sequence[Create], by_reading: bool) -> None:
        self.taken: List[Create] = []
        self.at = (0, 0)  # the next create: group, index
        if not by_reading:
            self.groups = [list(creates)]
            self.sorted = 1  # the plan's order, as it is
            return
        groups: Dict[Tuple[object, ...], List[Create]] = {}
        # A document's creates come one after another (the plan makes them
        # document by document) and share their key part: it is made once
        # a run (~0.5 us a card less). Any order gives the same groups.
        doc: Optional[str] = None
        group: List[Create] = []
        for c in creates:
            if c.doc != doc:
                doc = c.doc
                group = groups.setdefault(_document_part(c), [])
            group.append(c)
        self.groups = [groups[key] for key in sorted(groups)]
        self.sorted = 0  # groups[:sorted] are in order

    def decks(self) -> List[str]:
        """Each deck once, in the order the sorted notes first use it (a
        group is one document, one deck; a group of two documents with the
        same key part, which only a damaged export can hold, is sorted now)."""
        for i, group in enumerate(self.groups):
            if i >= self.sorted and len({c.deck for c in group}) > 1:
                group.sort(key=place_key)
        return list(dict.fromkeys(c.deck for group in self.groups for c in group))

    def take(self, n: int) -> List[Create]:
        out: List[Create] = []
        g, i = self.at
        while len(out) < n and g < len(self.groups):
            group = self.groups[g]
            if g >= self.sorted:
                group.sort(key=place_key)  # stable, like the one sort it stands for
                self.sorted = g + 1
            part = group[i: i + n - len(out)]
            out += part
            i += len(part)
            if i >= len(group):
                self.groups[g] = []  # taken: held in self.taken only
                g, i = g + 1, 0
        self.at = (g, i)
        self.taken += out
        return out


def _document_part(c: Create) -> Tuple[object, ...]:
    """The leading part of a create's reading key, the same for all the
    cards of a document (``reading_position``)."""
    rc = c.rc
    if isinstance(rc, Pending):
        doc = rc.doc
        return (0 if doc.added else 1, doc.added, doc.fingerprint)
    return tuple(rc.position[:3])


def place_key(c: Create) -> PlaceKey:
    """A create's place in reading order among the cards of its group, which
    share the key's leading part (``_document_part``); a pending card's is
    made here, only for this sort."""
    rc = c.rc
    return place_in_document(rc.doc, rc.card) if isinstance(rc, Pending) else rc.position[3:]
