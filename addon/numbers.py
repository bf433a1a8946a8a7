"""Counts written as the reader's language writes them: "5,000" in English,
"5.000" in German, "5 000" in French.

Anki's own pages (its statistics, the deck options) format numbers with the
browser's ``Intl.NumberFormat`` in Anki's interface language, that is with
CLDR's rules; Anki's Fluent strings (``col.tr``) put the bare digits in.
These are CLDR's rules for the add-on's languages (checked against
``Intl.NumberFormat`` and Qt's ``QLocale``, which read the same data):

- the group separator: "," (en, ja, zh_CN), "." (de, es, pt_BR), a narrow
  no-break space U+202F (fr);
- the minimum grouping digits: Spanish groups only from five digits on
  ("5000", but "12.345"), the others from four.

Pure Python, no Qt and no aqt: the core (the CLI's summary, the sync log)
uses it too, with the language it is handed ("en" for its English lines).
"""

from __future__ import annotations

from typing import Dict, Tuple

# language (the add-on's catalogue codes) → (group separator, minimum grouping digits)
GROUPING: Dict[str, Tuple[str, int]] = {
    "en": (",", 1),
    "de": (".", 1),
    "es": (".", 2),
    "fr": ("\u202f", 1),
    "pt_BR": (".", 1),
    "ja": (",", 1),
    "zh_CN": (",", 1),
}


def count(n: int, lang: str = "en") -> str:
    """``n`` with its thousands grouped as ``lang`` does (English for a
    language without rules of its own)."""
    sep, least = GROUPING.get(lang, GROUPING["en"])
    value = int(n)  # (a count read back from a saved report may be "5000")
    digits = str(abs(value))
    sign = "-" if value < 0 else ""
    if len(digits) - 3 < least:  # CLDR: "5000" stays whole in Spanish
        return sign + digits
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return sign + sep.join(groups)


def counted(n: int, one: str, more: str) -> str:
    """``1 note``, ``5,000 notes``: an English count and the words that
    agree with it (the sync's own lines: the CLI, the sync log, a report
    row's technical words), never "note(s)"."""
    return f"{count(n)} {one if n == 1 else more}"
