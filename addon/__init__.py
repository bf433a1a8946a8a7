"""Polar Sync: an Anki add-on that syncs Polar flashcards into Anki.

This file only wires the GUI into Anki. Importing it outside Anki (the CLI,
tests, tools) does nothing, so the core stays usable without a window.
"""

from __future__ import annotations

import os
import sys


def _inside_anki() -> bool:
    if "pytest" in sys.modules and not os.environ.get("POLAR_SYNC_FORCE_GUI"):
        return False
    # Anki imports aqt and creates its main window before loading add-ons;
    # checking sys.modules (not importing aqt) keeps the CLI free of Qt.
    aqt = sys.modules.get("aqt")
    return aqt is not None and getattr(aqt, "mw", None) is not None


if _inside_anki():
    from .gui.setup import install

    install()
