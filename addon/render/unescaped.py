"""Text Anki puts into a card's HTML without escaping it: ``{{Tags}}``,
``{{Deck}}``, ``{{Subdeck}}``. Angle brackets there become look-alikes, so a
tag or deck name like ``<img/src=x/onerror=...>`` cannot become markup."""

from __future__ import annotations

_ANGLES = str.maketrans({"<": "\u2039", ">": "\u203a"})


def no_markup(text: str) -> str:
    """``text`` with ``<`` and ``>`` replaced by ``‹`` and ``›``."""
    return text.translate(_ANGLES)
