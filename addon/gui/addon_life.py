"""The add-on's own files while Anki runs.

Anki replaces an add-on's folder on an update (Tools ▸ Add-ons ▸ Install
from file, or an AnkiWeb update; ``user_files/`` is kept) and removes it on
Delete, yet the running code stays loaded until Anki restarts. Modules this
add-on imports only when first needed (the windows, the document viewer,
parts of the sync) would then come from the newer files, or from none:
the Tools ▸ Polar Sync ▸ "Open sync log" of the running version failed with
``ImportError: cannot import name 'ChangeTree'`` after an update, with
``ModuleNotFoundError`` after Delete. :func:`load_all`, called just before
Anki touches the folder, imports the rest of the running version, so it
stays whole until the restart.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import List

# Never code: the user's own files (kept across updates) and caches.
_SKIP_DIRS = {"user_files", "__pycache__"}


def module_names(package: str, folder: Path) -> List[str]:
    """Dotted names of every Python module in the package's folder."""
    names: List[str] = []
    for path in sorted(folder.rglob("*.py")):
        parts = path.relative_to(folder).with_suffix("").parts
        if _SKIP_DIRS.intersection(parts) or not all(p.isidentifier() for p in parts):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts:
            names.append(".".join((package,) + parts))
    return names


def load_all(package: str) -> List[str]:
    """Import every module of ``package`` (a loaded add-on's top package)
    not imported yet; returns those that could not be (a vendored module
    for another operating system). Runs only when the add-on is about to be
    updated or deleted: ~0.1 s, never at Anki's start."""
    module = sys.modules.get(package)
    where = getattr(module, "__file__", None)
    if not where:
        return []
    failed: List[str] = []
    for name in module_names(package, Path(where).parent):
        if name in sys.modules:
            continue
        try:
            importlib.import_module(name)
        except Exception:  # e.g. watchdog's observer for macOS or Windows
            failed.append(name)
    return failed
