"""The add-on's configuration as one typed, validated object.

``config.json`` holds the defaults (Anki shows them in its config editor,
with ``config.md`` as help and ``config.schema.json`` for validation). Both
drivers, the GUI and the CLI, read the raw dict once and build a
:class:`Settings`; the core never sees the dict.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Dict, List, Mapping, Tuple

ADDON_DIR = Path(__file__).resolve().parent
DEFAULTS_FILE = ADDON_DIR / "config.json"

DECK_STRATEGIES = ("tag", "document")
DELETION_POLICIES = ("suspend", "tag", "delete", "keep")
CONFLICT_POLICIES = ("polar_wins", "anki_wins")
# Settings that only steer when/how a sync runs, not what it writes.
_NOT_SHAPING = {"data_dir", "sync_on_startup", "watch", "watch_debounce_ms"}


@dataclass(frozen=True)
class Settings:
    data_dir: str = ""
    deck_strategy: str = "tag"
    default_deck: str = "Default"
    document_deck_parent: str = "Polar"
    use_stock_note_types: bool = True
    context: bool = True
    marker_tag: str = "polar"
    folder_tag_prefix: str = ""
    copy_tags: bool = True
    max_image_bytes: int = 10 * 1024 * 1024
    move_on_deck_change: bool = True
    deletion_policy: str = "suspend"
    delete_max_share: float = 0.2
    conflict_policy: str = "polar_wins"
    skip_archived: bool = False
    sync_on_startup: bool = True
    watch: bool = True
    watch_debounce_ms: int = 1500

    def content_key(self) -> str:
        """Changes whenever a setting that shapes notes changes: a sync then
        reads every document again instead of trusting "unchanged" files."""
        shaping = {k: v for k, v in asdict(self).items() if k not in _NOT_SHAPING}
        return json.dumps(shaping, sort_keys=True)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Tuple[Settings, List[str]]:
        """Build settings from a (possibly user-edited) dict.

        Unknown keys and values of the wrong type are ignored with a warning
        each, falling back to the default, so a typo never stops a sync."""
        warnings: List[str] = []
        values: Dict[str, Any] = {}
        known = {f.name: f for f in fields(cls)}
        defaults = cls()
        for key, value in raw.items():
            if key not in known:
                warnings.append(f"config: unknown key {key!r} ignored")
                continue
            default = getattr(defaults, key)
            if isinstance(default, bool):
                ok = isinstance(value, bool)
            elif isinstance(default, int):
                ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
            elif isinstance(default, float):
                ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1
                value = float(value) if ok else value
            else:
                ok = isinstance(value, str)
            if not ok:
                warnings.append(f"config: {key}={value!r} is not valid, using {default!r}")
                continue
            values[key] = value
        for key, allowed in (
            ("deck_strategy", DECK_STRATEGIES),
            ("deletion_policy", DELETION_POLICIES),
            ("conflict_policy", CONFLICT_POLICIES),
        ):
            if key in values and values[key] not in allowed:
                warnings.append(
                    f"config: {key}={values[key]!r} must be one of {', '.join(allowed)}; "
                    f"using {getattr(defaults, key)!r}"
                )
                del values[key]
        return cls(**values), warnings


def load_defaults() -> Dict[str, Any]:
    with open(DEFAULTS_FILE, encoding="utf-8") as fh:
        data: Dict[str, Any] = json.load(fh)
    return data
