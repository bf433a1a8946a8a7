"""The Settings window's unsaved changes, kept when the profile closes
under it (File ▸ Switch Profile, quitting Anki, a backup restored).

Anki's own windows ask before such a close (``aqt.dialogs.closeAll``), but
the add-on hears of the close in ``profile_will_close``, which Anki runs
before ``closeAll``; by then the add-on has stopped its watcher and its
syncs, and a question answered "Keep editing" there would leave it half
shut (nor may a modal box stand in the way of quitting). So the window
closes with the profile as before, and what was changed in it and not
saved is written here, one small JSON file per profile in the add-on's
``user_files``: ``{"when": <unix seconds>, "changes": {key: value}}``.

A draft is never applied by itself: the next Settings window of that
profile shows it in its fields with one line saying so, and only OK saves
it. OK or Cancel (or the JSON editor's save) removes it, as does a close
with nothing left unsaved. Only the keys the person changed are kept, so a
setting saved since (Anki's add-on config is shared by every profile) is
not set back to what the window showed.

Pure Python (no Qt, no aqt): the file's rules are tested without Anki.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from .synclog import USER_FILES, profile_slug


def draft_path(profile: str, user_files: Path = USER_FILES) -> Path:
    return user_files / f"settings-draft-{profile_slug(profile)}.json"


def keep(profile: str, changes: Dict[str, Any], user_files: Path = USER_FILES,
         when: Optional[float] = None) -> None:
    """Write ``changes`` as ``profile``'s draft (replacing an older one);
    with no changes, remove the draft. Never raises: a draft that cannot be
    written is lost as the changes were before (the profile is closing)."""
    if not profile:
        return
    path = draft_path(profile, user_files)
    if not changes:
        drop(profile, user_files)
        return
    data = {"when": time.time() if when is None else when, "changes": changes}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        pass


def read(profile: str, user_files: Path = USER_FILES) -> Optional[Tuple[float, Dict[str, Any]]]:
    """``profile``'s draft as (when, changes), or None (none, or unreadable:
    a damaged draft is removed, never shown half)."""
    if not profile:
        return None
    path = draft_path(profile, user_files)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        drop(profile, user_files)
        return None
    if (not isinstance(data, dict) or not isinstance(data.get("changes"), dict)
            or not isinstance(data.get("when"), (int, float)) or isinstance(data.get("when"), bool)):
        drop(profile, user_files)
        return None
    return float(data["when"]), dict(data["changes"])


def drop(profile: str, user_files: Path = USER_FILES) -> None:
    """Remove ``profile``'s draft (saved or cancelled: never shown again)."""
    if not profile:
        return
    try:
        draft_path(profile, user_files).unlink()
    except OSError:  # (not there; or not removable: then shown again, never applied by itself)
        pass
