"""Is a chosen folder Polar's data folder? Newcomers pick the folder above
it (their home folder), a document's own folder or ``stash/``; a sync of
such a folder finds no document and, before this check, said "everything
is up to date". Pure Python (no aqt): tested without a window.

A Polar data folder holds one folder per document with a ``state.json``
(see shared/polar-format.md, "Discovery"); ``stash/`` and the rest are
Polar's own. Looking costs one directory listing, stopped at the first
document found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Optional

from ..polar.library import unpacked_export_around


def holds_documents(folder: Path) -> bool:
    """True when ``folder`` has at least one Polar document folder."""
    try:
        for entry in folder.iterdir():
            if not entry.name.startswith(".") and (entry / "state.json").is_file():
                return True
    except OSError:
        return False
    return False


def _candidates(folder: Path, default: Path) -> Iterable[Path]:
    yield folder / ".polar"  # the home folder (or wherever .polar lives)
    yield folder.parent  # a document's folder, stash/, files/, logs/
    if folder.parent.name == "files":
        yield folder.parent.parent  # files/image/
    yield default


def better_folder(folder: Path, default: Path) -> Optional[Path]:
    """A Polar data folder near ``folder`` (or Polar's default one) when
    ``folder`` itself holds no document; None when none is found."""
    for candidate in _candidates(folder, default):
        if candidate != folder and holds_documents(candidate):
            return candidate
    return unpacked_export_around(folder)  # doc_meta/ or stash/ of an unpacked export
