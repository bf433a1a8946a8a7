"""Which deck a document's cards go to.

Rules (docs/decks.md):
* strategy ``tag`` (Polar's): the document's ``deck:`` tag; ``/`` and ``::``
  both separate sub-decks; spaces are kept. With several ``deck:`` tags the
  **last** one in the document's tag order wins, as in Polar, and the report
  warns. No deck tag → ``default_deck``.
* strategy ``document``: one deck per document, named after its display
  title, under ``document_deck_parent`` (empty parent → top level).
* names Anki would refuse or show misleadingly are cleaned here, with a
  warning for the document: control and invisible/direction-changing
  characters (Unicode Cc/Cf: zero-width, bidi overrides) removed, so no deck
  can pass for another; at most ``MAX_DEPTH`` levels (Anki refuses to create
  more than ~11 missing parents at once) and ``MAX_PART`` characters a level.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any, Dict, List, Optional, Tuple

from ..polar.docmeta import Document
from ..render.unescaped import no_markup
from ..settings import Settings

DECK_TAG = "deck:"
MAX_DEPTH = 10
MAX_PART = 120
_SPACES = re.compile(r"\s+")
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f]")


def _visible(text: str) -> str:
    """Without control characters and the invisible format characters
    (category Cf: zero-width spaces and joiners, bidi overrides and
    isolates, BOM, soft hyphen) or lone surrogates; other line breaks and
    separators become spaces."""
    text = _CONTROLS.sub("", text)
    if text.isascii():
        return text  # the usual case: no per-character look-up
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat in ("Cf", "Cs") or (cat == "Cc" and not ch.isspace()):
            continue
        out.append(" " if cat in ("Zl", "Zp") else ch)
    return "".join(out)


def _parts(name: str) -> List[str]:
    parts = re.split(r"::|/", no_markup(name))
    cleaned = [_SPACES.sub(" ", _visible(p)).strip() for p in parts]
    return [p for p in cleaned if p]


def clean_deck_name(name: str) -> str:
    """``compsci/linux`` and ``compsci::linux`` → ``compsci::linux``; empty
    parts dropped; whitespace collapsed (Anki would trim it anyway); control
    and invisible characters removed."""
    return "::".join(_parts(name))


# A library's documents share a few deck tags (and every one asks for the
# default deck): each name is cleaned once (~14 us a document before).
@lru_cache(maxsize=1024)
def clamped_deck_name(name: str) -> Tuple[str, Optional[str]]:
    """:func:`clean_deck_name` within Anki's limits, and what was changed (or
    None). Levels past ``MAX_DEPTH`` are kept, joined into the last one, so
    two deep tags never end up in the same deck by accident."""
    parts = _parts(name)
    notes = []
    if len(parts) > MAX_DEPTH:
        parts = parts[: MAX_DEPTH - 1] + [" - ".join(parts[MAX_DEPTH - 1:])]
        notes.append(f"nested deeper than {MAX_DEPTH} levels; the deepest levels were joined into one")
    if any(len(p) > MAX_PART for p in parts):
        parts = [p if len(p) <= MAX_PART else p[: MAX_PART - 1].rstrip() + "\u2026" for p in parts]
        notes.append(f"a level is longer than {MAX_PART} characters; it was shortened")
    return "::".join(parts), ("; ".join(notes) if notes else None)


def _title_part(title: str) -> str:
    # A title is one deck level: its own "::" or "/" must not nest decks.
    title = _visible(no_markup(title))
    return _SPACES.sub(" ", title.replace("::", ":").replace("/", "-")).strip()[:MAX_PART]


def deck_tags(doc: Document) -> List[str]:
    return [t for t in doc.tags if t.lower().startswith(DECK_TAG)]


def default_deck(settings: Settings) -> str:
    """``default_deck`` as a deck name ("Default": a deck of that name, else the
    profile's own default deck, see ``collection_view.existing_deck_id``)."""
    return clamped_deck_name(settings.default_deck)[0] or "Default"


def deck_for(doc: Document, settings: Settings) -> Tuple[str, Optional[str], List[Dict[str, Any]]]:
    """The deck name for ``doc``, a warning (or None) and what it warns of,
    one entry a problem: ``kind`` (``empty``, ``too_deep``, ``too_long``,
    ``invisible``, ``several``) and ``tag``, the tag it is about (for
    ``several`` the one used, and ``count``), so that the report says each
    in the reader's words (gui/report_text.py); the warning is the English."""
    default = default_deck(settings)
    warnings: List[str] = []
    issues: List[Dict[str, Any]] = []
    if settings.deck_strategy == "document":
        parent = clamped_deck_name(settings.document_deck_parent)[0]
        parent = "::".join(parent.split("::")[: MAX_DEPTH - 1])
        title = _title_part(doc.display_title) or "Untitled"
        return (f"{parent}::{title}" if parent else title), None, issues
    tags = deck_tags(doc)
    names: List[str] = []
    for tag in tags:
        name, problem = clamped_deck_name(tag[len(DECK_TAG):])
        if not name:
            warnings.append(f"deck tag {_quoted(tag)} names no deck (nothing visible in it); ignored")
            issues.append({"kind": "empty", "tag": _quoted(tag)})
            continue
        if problem:
            warnings.append(f"deck tag {_quoted(tag)}: {problem}: {name!r}")
            if len(_parts(tag[len(DECK_TAG):])) > MAX_DEPTH:
                issues.append({"kind": "too_deep", "tag": _quoted(tag), "count": MAX_DEPTH})
            if any(len(p) > MAX_PART for p in _parts(tag[len(DECK_TAG):])):
                issues.append({"kind": "too_long", "tag": _quoted(tag), "count": MAX_PART})
        elif _visible(tag) != tag:
            warnings.append(f"deck tag {_quoted(tag)} holds invisible or control characters; "
                            f"they were removed: {name!r}")
            issues.append({"kind": "invisible", "tag": _quoted(tag)})
        names.append(name)
    if not names:
        return default, "; ".join(warnings) or None, issues
    chosen = names[-1]
    if len(set(n.lower() for n in names)) > 1:
        warnings.append(
            f"document has {len(names)} deck tags ({', '.join(_quoted(t) for t in tags)}); "
            f"using the last one, {chosen!r}"
        )
        used = [t for t in tags if clamped_deck_name(t[len(DECK_TAG):])[0]][-1]
        issues.append({"kind": "several", "tag": _quoted(used), "count": len(names)})
    return chosen, "; ".join(warnings) or None, issues


def _quoted(tag: str) -> str:
    """A tag as the report shows it: invisible characters made visible."""
    return ascii(tag) if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in tag) else tag
