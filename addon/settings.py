"""The add-on's configuration as one typed, validated object.

``config.json`` holds the defaults (Anki shows them in its config editor,
with ``config.md`` as help and ``config.schema.json`` for validation). Both
drivers, the GUI and the CLI, read the raw dict once and build a
:class:`Settings`; the core never sees the dict.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict, List, Literal, Mapping, NamedTuple, Tuple, get_args

ADDON_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = ADDON_DIR / "config.json"

# The values config.json may hold for the three choices (see config.md).
DeckStrategy = Literal["tag", "document"]
DeletionPolicy = Literal["suspend", "tag", "delete", "keep"]
ConflictPolicy = Literal["polar_wins", "anki_wins"]
# A note the person deleted in Anki while its card is still in Polar:
# made again by the next sync (as ever), or left deleted.
DeletedInAnki = Literal["make_again", "leave_deleted"]
DECK_STRATEGIES: Tuple[DeckStrategy, ...] = get_args(DeckStrategy)
DELETION_POLICIES: Tuple[DeletionPolicy, ...] = get_args(DeletionPolicy)
CONFLICT_POLICIES: Tuple[ConflictPolicy, ...] = get_args(ConflictPolicy)
DELETED_IN_ANKI: Tuple[DeletedInAnki, ...] = get_args(DeletedInAnki)

# Settings that say only *when* to sync: changing them needs no sync (nor
# does open_at_page, which only changes what a card offers while shown).
TIMING_KEYS = ("sync_on_startup", "watch", "watch_debounce_ms", "open_at_page")
# Where the library is: changing it needs a sync, but what a note holds does
# not depend on it (a moved library's unchanged files are recognised by hash).
SOURCE_KEYS = ("data_dir",)
# Only orders the cards later syncs create: changing it re-reads nothing and
# needs no sync.
ORDER_KEYS = ("reading_order",)
# Only decides whether the notes a person deleted in Anki are made again: it
# changes no note's content, so nothing is read again for it (the sync reads
# again the documents of the notes left deleted when it is set back, see
# ``sync/left_deleted.py``); a sync is due all the same.
ANKI_DELETION_KEYS = ("deleted_in_anki",)
# Not a config key: the word before a card's page number in its context
# ("p. 12"), fixed per collection by the driver (``sync/page_label.py``).
DRIVER_KEYS = ("page_label",)
# The label of English collections and of every note made before the label
# followed the language: left out of ``content_key``, so a library synced by
# an earlier version is not read again for it.
ENGLISH_PAGE_LABEL = "p. {page}"


class Settings(NamedTuple):
    """Immutable, every field with its default. A NamedTuple, not a frozen
    dataclass: Anki's start imports this module, and making the dataclass
    took ~2.8 ms of the add-on's import on a slow machine (a NamedTuple
    ~0.5 ms)."""

    data_dir: str = ""
    deck_strategy: DeckStrategy = "tag"
    default_deck: str = "Default"
    document_deck_parent: str = "Polar"
    use_stock_note_types: bool = True
    context: bool = True
    reading_order: bool = True  # new cards due in reading order
    marker_tag: str = "polar"
    folder_tag_prefix: str = ""
    copy_tags: bool = True
    max_image_bytes: int = 10 * 1024 * 1024
    move_on_deck_change: bool = True
    deletion_policy: DeletionPolicy = "suspend"
    delete_max_share: float = 0.2
    conflict_policy: ConflictPolicy = "polar_wins"
    deleted_in_anki: DeletedInAnki = "make_again"
    skip_archived: bool = False
    sync_on_startup: bool = True
    watch: bool = True
    watch_debounce_ms: int = 1500
    open_at_page: bool = True
    page_label: str = ENGLISH_PAGE_LABEL  # (see DRIVER_KEYS)

    def content_key(self) -> str:
        """Changes whenever a setting that shapes notes changes: a sync then
        reads every document again instead of trusting "unchanged" files."""
        return self._key(TIMING_KEYS + SOURCE_KEYS + ORDER_KEYS + ANKI_DELETION_KEYS)

    def sync_key(self) -> str:
        """Changes whenever a sync would have something new to do: a setting
        that shapes notes or the library's place changed."""
        return self._key(TIMING_KEYS + ORDER_KEYS)

    def _key(self, leave_out: Tuple[str, ...]) -> str:
        values = {k: v for k, v in self._asdict().items() if k not in leave_out}
        if values.get("page_label") == ENGLISH_PAGE_LABEL:
            del values["page_label"]
        if values.get("deleted_in_anki") == "make_again":  # (the keys as before the setting)
            del values["deleted_in_anki"]
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Tuple[Settings, List[str]]:
        """Build settings from a (possibly user-edited) dict.

        Whatever the dict holds, the result is usable: an unknown key, a
        value of the wrong type, out of range or not among the choices gives
        a warning naming the key, the value and the value used instead (the
        default; for a number above its range, the maximum), so a typo never
        stops a sync nor fails it card by card."""
        warnings: List[str] = []
        values: Dict[str, Any] = {}
        known = set(cls._fields) - set(DRIVER_KEYS)
        defaults = cls()
        for key, value in raw.items():
            if key not in known:
                warnings.append(f"config: unknown key {key!r} ignored")
                continue
            default = getattr(defaults, key)
            used, why = _checked(key, value, default)
            if why:
                warnings.append(f"config: {key}={_shown(value)} {why}; using {used!r}")
            values[key] = used
        return cls(**values), warnings


# Numbers and their ranges: below → the default, above → the maximum
# (except shares, where the default is the safe side).
RANGES: Dict[str, Tuple[float, float]] = {
    "max_image_bytes": (0, 1024 * 1024 * 1024),  # 1 GiB: more would never be one image
    "delete_max_share": (0.0, 1.0),
    "watch_debounce_ms": (0, 600_000),  # as config.schema.json
}
_CLAMP_HIGH = {"max_image_bytes", "watch_debounce_ms"}
CHOICES: Dict[str, Tuple[str, ...]] = {
    "deck_strategy": DECK_STRATEGIES,
    "deletion_policy": DELETION_POLICIES,
    "conflict_policy": CONFLICT_POLICIES,
    "deleted_in_anki": DELETED_IN_ANKI,
}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _checked(key: str, value: Any, default: Any) -> Tuple[Any, str]:
    """(the value to use, why it is not ``value``, or "")."""
    if isinstance(default, bool):
        return (value, "") if isinstance(value, bool) else (default, "is not true or false")
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:  # NaN
            return default, "is not a number"
        if isinstance(default, int):
            if isinstance(value, float) and not value.is_integer():
                return default, "is not a whole number"
            value = int(value)
        else:
            value = float(value)
        lo, hi = RANGES.get(key, (0, float("inf")))
        if value < lo:
            return default, f"is below {_num(lo)}"
        if value > hi:
            return (type(default)(hi) if key in _CLAMP_HIGH else default), f"is above {_num(hi)}"
        return value, ""
    if not isinstance(value, str):
        return default, "is not text"
    allowed = CHOICES.get(key)
    if allowed is not None:
        norm = value.strip().lower()
        if norm not in allowed:
            return default, f"must be one of {', '.join(allowed)}"
        return norm, ""
    return value, ""


def load_defaults() -> Dict[str, Any]:
    with open(DEFAULTS_FILE, encoding="utf-8") as fh:
        data: Dict[str, Any] = json.load(fh)
    return data
