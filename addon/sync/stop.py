"""The person's wish to stop a sync (Escape or Cancel in Anki's progress
window), as the core asks for it. A module of its own, with nothing to
import: the GUI knows :class:`Stopped` from Anki's start without loading the
engine (which the first sync imports, on its thread)."""

from __future__ import annotations

from typing import Callable

# Asked between steps (any thread): whether the person wants the sync to stop.
StopWish = Callable[[], bool]


class Stopped(Exception):
    """The person asked the sync to stop before it wrote anything: raised
    between two documents of the reading, or before the write begins.
    Nothing of the collection or the state file has changed."""
