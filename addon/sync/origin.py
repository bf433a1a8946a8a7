"""From a synced note back to its source: which document, which file on
this computer, which page and highlight.

The note's guid leads to the Polar card (sync state: card -> document and
parent ref); the document's DocMeta is read again from the library (a
state.json is cheap, and only the library has the highlight's rects), so
the fields carry nothing but what the card shows.

Asked each time a card's answer is shown, so repeated questions about one
document cost a stat: the DocMeta is kept while its file's signature holds.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Tuple

from ..polar.library import DataDirSource, Source, SourceError, beside, open_source
from ..polar.originals import Original, Spot, find_original, find_spot, read_docmeta


@dataclass(frozen=True)
class Origin:
    original: Original
    spot: Spot
    ref: str


class OriginFinder:
    """Finds origins in one library for one profile's sync state. Safe to
    use from the main thread and a background thread at once."""

    def __init__(self, library: Path, state_path: Path) -> None:
        self.library = library
        self.state_path = state_path
        self._lock = threading.Lock()
        self._source: Optional[Source] = None
        # The library's (size, mtime) when it was opened, or failed to open:
        # an export replaced, or a library that appears, is opened afresh.
        self._source_signature: Optional[Tuple[int, int]] = None
        self._tried = False
        self._metas: Dict[str, Tuple[Tuple[int, int], Mapping[str, Any]]] = {}

    def source(self) -> Optional[Source]:
        with self._lock:
            signature = _stat_signature(self.library)
            stale = self._tried and signature != self._source_signature
            if stale and not isinstance(self._source, DataDirSource):
                self._source, self._tried = None, False
            if not self._tried:
                self._tried, self._source_signature = True, signature
                try:
                    # An export: the listing its last sync remembered, beside the state.
                    self._source = open_source(self.library, beside(self.state_path))
                except (SourceError, OSError):
                    self._source = None
            return self._source

    def find(self, guid: str) -> Optional[Origin]:
        """The card's origin when its document's file is on this computer,
        else None (nothing to open: the card shows no control)."""
        from .state import card_origin  # on the first click: Anki's start needs none of the state's code

        found = card_origin(self.state_path, guid)
        if found is None:
            return None
        key, ref = found
        source = self.source()
        if source is None:
            return None
        docmeta = self._docmeta(source, key)
        if docmeta is None:
            return None
        original = find_original(source, key, docmeta)
        if original is None:
            return None
        return Origin(original, find_spot(docmeta, ref), ref)

    def lost(self, guid: str) -> Optional[Tuple[str, str]]:
        """For a card whose document ``find`` no longer finds (its file
        moved or deleted since its answer showed): (the document's title,
        where the file was looked for). None when the card is not from
        this library, or its document itself is gone from it."""
        from ..polar.originals import WEB, kind_of
        from .state import card_origin

        found = card_origin(self.state_path, guid)
        source = self.source() if found is not None else None
        docmeta = self._docmeta(source, found[0]) if source is not None and found is not None else None
        if source is None or docmeta is None:
            return None
        info = docmeta.get("docInfo")
        info = info if isinstance(info, dict) else {}
        filename, title, url = (value if isinstance(value, str) else ""
                                for value in (info.get("filename"), info.get("title"), info.get("url")))
        if kind_of(filename, url) == WEB:
            return None  # an address, not a file: nothing is missing here
        title = " ".join(title.split()) or filename or "Untitled"
        if isinstance(source, DataDirSource):
            where = str(source.root / "stash" / filename) if filename else str(source.root / "stash")
        else:
            where = str(source.path)
        return title, where

    def _docmeta(self, source: Source, key: str) -> Optional[Mapping[str, Any]]:
        signature = self._signature(source, key)
        with self._lock:
            cached = self._metas.get(key)
        if cached is not None and signature is not None and cached[0] == signature:
            return cached[1]
        docmeta = read_docmeta(source, key)
        if docmeta is not None and signature is not None:
            with self._lock:
                if len(self._metas) > 64:  # a few documents are studied at a time
                    self._metas.clear()
                self._metas[key] = (signature, docmeta)
        return docmeta

    def _signature(self, source: Source, key: str) -> Optional[Tuple[int, int]]:
        if isinstance(source, DataDirSource):
            try:
                st = os.stat(source.root / key / "state.json")
            except (OSError, ValueError):
                return None
            return st.st_size, st.st_mtime_ns
        return _stat_signature(source.path)  # an export changes as a whole


def _stat_signature(path: Path) -> Optional[Tuple[int, int]]:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns
