"""Which paths of a Polar data directory can change cards, and the key a
change is reported under. Shared by every watching backend."""

from __future__ import annotations

import os
from typing import Optional

# Key meaning "look at every document": an image under files/image changed,
# and images are not tied to one document folder.
ALL = "*"

# Top-level folders that hold no DocMeta: PDFs (stash) and logs change often
# and must not cause syncs; files/ is looked at only for files/image/.
NOT_DOCUMENTS = frozenset({"stash", "logs", "files"})


def is_document_name(name: str) -> bool:
    """A top-level folder that is (or may become) a document: not a dot-folder
    (``.backup-*`` snapshots, temp folders) and not one of Polar's own."""
    return not name.startswith(".") and name not in NOT_DOCUMENTS


def change_key(root: str, path: str, is_directory: bool) -> Optional[str]:
    """The document key a changed path belongs to, :data:`ALL`, or None to ignore."""
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return None
    parts = [p for p in rel.split(os.sep) if p]
    if not parts or parts[0] in (".", ".."):
        return None  # the root itself, or outside it
    first = parts[0]
    if first == "files":
        return ALL if len(parts) >= 2 and parts[1] == "image" else None
    if not is_document_name(first):
        return None
    if len(parts) == 1 and not is_directory:
        return None  # a top-level file (prefs, locks)
    if len(parts) > 2:
        return None  # deeper than <document>/<file>: nothing Polar reads
    return first
