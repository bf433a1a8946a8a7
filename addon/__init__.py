"""Polar Sync: an Anki add-on that syncs Polar flashcards into Anki.

This file only wires the GUI into Anki. Importing it outside Anki (the CLI,
tests, tools) does nothing, so the core stays usable without a window.
"""

from __future__ import annotations

import sys


def _inside_anki() -> bool:
    if "pytest" in sys.modules and "POLAR_SYNC_FORCE_GUI" not in __import__("os").environ:
        return False
    try:
        from aqt import mw
    except ImportError:
        return False
    return mw is not None


if _inside_anki():
    from .gui import setup as _setup

    _setup.install()
