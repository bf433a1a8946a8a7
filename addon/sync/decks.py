"""Which deck a document's cards go to.

Rules (README "Decks"):
* strategy ``tag`` (Polar's): the document's ``deck:`` tag; ``/`` and ``::``
  both separate sub-decks; spaces are kept. With several ``deck:`` tags the
  **last** one in the document's tag order wins, as in Polar, and the report
  warns. No deck tag → ``default_deck``.
* strategy ``document``: one deck per document, named after its display
  title, under ``document_deck_parent`` (empty parent → top level).
"""

from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..polar.docmeta import Document
from ..settings import Settings

DECK_TAG = "deck:"
_SPACES = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")
# Anki inserts {{Deck}}/{{Subdeck}} into a card's HTML unescaped: a title or
# deck tag holding markup must not become markup there.
_ANGLES = str.maketrans({"<": "\u2039", ">": "\u203a"})


def clean_deck_name(name: str) -> str:
    """``compsci/linux`` and ``compsci::linux`` → ``compsci::linux``; empty
    parts dropped; whitespace collapsed (Anki would trim it anyway)."""
    parts = re.split(r"::|/", name.translate(_ANGLES))
    cleaned = [_SPACES.sub(" ", _CONTROLS.sub("", p)).strip() for p in parts]
    return "::".join(p for p in cleaned if p)


def _title_part(title: str) -> str:
    # A title is one deck level: its own "::" or "/" must not nest decks.
    title = _CONTROLS.sub("", title.translate(_ANGLES))
    return _SPACES.sub(" ", title.replace("::", ":").replace("/", "-")).strip()[:120]


def deck_tags(doc: Document) -> List[str]:
    return [t for t in doc.tags if t.lower().startswith(DECK_TAG)]


def deck_for(doc: Document, settings: Settings) -> Tuple[str, Optional[str]]:
    """The deck name for ``doc`` and a warning (or None)."""
    default = clean_deck_name(settings.default_deck) or "Default"
    if settings.deck_strategy == "document":
        parent = clean_deck_name(settings.document_deck_parent)
        title = _title_part(doc.display_title) or "Untitled"
        return (f"{parent}::{title}" if parent else title), None
    tags = deck_tags(doc)
    names = [clean_deck_name(t[len(DECK_TAG):]) for t in tags]
    names = [n for n in names if n]
    if not names:
        return default, None
    chosen = names[-1]
    warning = None
    if len(set(n.lower() for n in names)) > 1:
        warning = (
            f"document has {len(names)} deck tags ({', '.join(tags)}); "
            f"using the last one, {chosen!r}"
        )
    return chosen, warning
