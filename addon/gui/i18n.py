"""The add-on's own words in Anki's interface language.

Source strings are English and double as keys (gettext style); each language
has a small JSON catalogue in ``addon/locale/<lang>.json``: ``msgid ->
translation``, or for counted phrases ``msgid -> [form, ...]`` with one form
per plural category of that language (see :data:`PLURAL_RULES`).
Placeholders are ``str.format`` fields (``{n}``, ``{path}``) and must survive
translation (tests/gui/test_i18n.py checks every catalogue).

The language is read from ``anki.lang.current_lang`` on every call (cheap,
catalogues are cached), so a language change in Anki's preferences applies
without restarting the add-on. Unknown languages and missing entries fall
back to English. Pure Python (no aqt): testable without a window.

Not translated on purpose: the add-on's note type and field names (renaming
them would break existing notes) and the config keys.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

from .. import dates, numbers

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

# Index of the plural form to use for a count, per language.
PLURAL_RULES: Dict[str, Callable[[int], int]] = {
    "en": lambda n: 0 if n == 1 else 1,
    "de": lambda n: 0 if n == 1 else 1,
    "es": lambda n: 0 if n == 1 else 1,
    "pt_BR": lambda n: 0 if n in (0, 1) else 1,  # CLDR: 0 and 1 are "one" in pt
    "fr": lambda n: 0 if n in (0, 1) else 1,
    "ja": lambda n: 0,
    "zh_CN": lambda n: 0,
}
PLURAL_FORMS = {"en": 2, "de": 2, "es": 2, "pt_BR": 2, "fr": 2, "ja": 1, "zh_CN": 1}
LANGUAGES = tuple(lang for lang in PLURAL_RULES if lang != "en")
# Our catalogues written right to left: none yet. An Anki in Arabic, Hebrew or
# Persian gets English (the fallback), laid out left to right (gui/direction.py).
RIGHT_TO_LEFT: frozenset = frozenset()

# Anki language codes that read one of ours best.
_ALIASES = {"pt": "pt_BR", "pt_PT": "pt_BR", "zh": "zh_CN", "zh_Hans": "zh_CN"}

Entry = Union[str, List[str]]
_cache: Dict[str, Dict[str, Entry]] = {}
_forced: Optional[str] = None  # tests and tools/screenshots.py


def supported(anki_lang: str) -> str:
    """Our catalogue for an Anki language code (``de_DE`` -> ``de``), or ``en``."""
    code = (anki_lang or "en").replace("-", "_")
    if code in PLURAL_RULES:
        return code
    if code in _ALIASES:
        return _ALIASES[code]
    base = code.split("_")[0]
    if base in PLURAL_RULES:
        return base
    return "pt_BR" if base == "pt" else "en"  # zh_TW: Traditional script, so English


def current() -> str:
    if _forced is not None:
        return _forced
    try:
        import anki.lang

        return supported(anki.lang.current_lang)
    except Exception:  # outside Anki (the CLI, unit tests)
        return "en"


def reads_right_to_left() -> bool:
    """Whether the add-on's words (the current catalogue) are written right to left."""
    return current() in RIGHT_TO_LEFT


def embedded(text: str) -> str:
    """``text`` (the add-on's left-to-right words) for a place a right-to-left
    Anki lays out (its Tools menu, its progress window): between two
    LEFT-TO-RIGHT MARKs, so a "…" or a full stop at either end stays where
    it is written ("Choose Polar data folder…", not "…Choose Polar data
    folder"). The marks are invisible."""
    if not text or reads_right_to_left() or (text[0] == _LRM and text[-1] == _LRM and len(text) > 1):
        return text  # (held already)
    return _LRM + text + _LRM


def force(lang: Optional[str]) -> None:
    """Use ``lang`` whatever Anki says (None: follow Anki again)."""
    global _forced
    _forced = lang


def catalogue(lang: str) -> Dict[str, Entry]:
    if lang == "en":
        return {}
    if lang not in _cache:
        try:
            data = json.loads((LOCALE_DIR / f"{lang}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}  # a broken catalogue must not break the add-on: English
        _cache[lang] = {k: v for k, v in data.items() if not k.startswith("@")}
    return _cache[lang]


def _format(text: str, params: Dict[str, Any]) -> str:
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError, ValueError):
        return text


_LRM = "\u200e"  # LEFT-TO-RIGHT MARK: invisible, a strong left-to-right character


def _first_strong(text: str) -> str:
    """"L", "R" or "" : the direction of ``text``'s first strong character
    (what Qt and browsers lay a paragraph out by, when nothing else says)."""
    for ch in text:
        if ch < "\u0590":  # Latin, Greek, Cyrillic, digits and punctuation: quick
            if ch.isalpha():
                return "L"
            continue
        import unicodedata  # (here: most text never gets this far, and Anki's start stays lean)

        kind = unicodedata.bidirectional(ch)
        if kind == "L":
            return "L"
        if kind in ("R", "AL"):
            return "R"
    return ""


def ltr(text: str) -> str:
    """``text`` laid out left to right as a whole, as the add-on's languages
    are written, also when it begins with a Hebrew or Arabic name: otherwise
    Qt lays the whole line or label out right to left (the sentence after
    the name right-aligned, its quotation marks and full stop on the wrong
    side). A LEFT-TO-RIGHT MARK in front when needed; else ``text`` as is."""
    return _LRM + text if _first_strong(text) == "R" else text


_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _directed(template: str, text: str) -> str:
    """A sentence (words of its own around the names) that a right-to-left
    name begins, laid out left to right; a bare name ("“{text}”") as is."""
    if _first_strong(text) != "R" or not _first_strong(_PLACEHOLDER.sub("", template)):
        return text
    return _LRM + text


def tr(msgid: str, **params: Any) -> str:
    """``msgid`` in the current language, with ``params`` filled in."""
    entry = catalogue(current()).get(msgid)
    if isinstance(entry, str) and entry:
        try:
            return _directed(entry, entry.format(**params)) if params else entry
        except (KeyError, IndexError, ValueError):
            pass  # a broken translation: English rather than nothing
    return _directed(msgid, _format(msgid, params)) if params else msgid


def number(n: int) -> str:
    """A count as the current language writes it ("5,000", "5.000", "5 000")."""
    return numbers.count(n, current())


def moment(when: float) -> str:
    """A time (Unix seconds) as the current language writes a day and its
    time in words ("5. Dezember 2026 um 19:13"; ``dates``)."""
    return dates.moment(when, current())


def day(iso: str) -> str:
    """An ISO date of a report's row ("2026-12-05") as the current language
    writes it ("5. Dezember 2026"); anything else as it is."""
    return dates.iso_day(iso, current())


def ntr(singular: str, plural: str, n: int, **params: Any) -> str:
    """A counted phrase (``{n}`` is filled in with ``n``, its thousands
    grouped as the language does; the plural form is chosen by ``n``)."""
    lang = current()
    params = dict(params, n=numbers.count(n, lang))
    entry = catalogue(lang).get(singular)
    if isinstance(entry, list) and len(entry) == PLURAL_FORMS[lang]:
        index = min(PLURAL_RULES[lang](n), len(entry) - 1)
        try:
            return _directed(entry[index], entry[index].format(**params))
        except (KeyError, IndexError, ValueError):
            pass
    template = singular if n == 1 else plural
    return _directed(template, _format(template, params))
