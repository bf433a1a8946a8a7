"""A name for a document Polar stored without a title.

Polar's rule is ``title || filename || "Untitled"``, and an EPUB whose
DocInfo has no title then shows its stash name ("1aBcDeFgHi-book.epub") on
every card and in the report. An EPUB names itself, though: the ``dc:title``
of its package document (OPF), found through ``META-INF/container.xml``.

Read only for documents without a title, only from the stash file inside the
Polar data directory (``originals.stash_file``: a link leading out of it is
refused), with bounded reads, and remembered per file (path, size, mtime),
so a first sync opens each untitled EPUB once and titled ones never. No XML
parser: two regular expressions over at most ``MAX_XML_BYTES`` (no entity of
a hostile file is ever expanded).

PDFs are left to Polar's rule: their Info dictionary's Title sits behind the
cross-reference table or stream, often in a compressed object stream, and
may be encrypted; reading it needs a PDF parser the add-on does not have
(and Polar reads that title itself when it imports a PDF).
"""

from __future__ import annotations

import html
import os
import re
import zipfile
from typing import Dict, Optional, Tuple

from .library import DataDirSource
from .originals import stash_file

MAX_XML_BYTES = 1024 * 1024  # container.xml and the OPF: far larger than any real one
MAX_TITLE_CHARS = 200

_ROOTFILE = re.compile(rb"""<(?:\w+:)?rootfile\b[^>]*?\bfull-path\s*=\s*["']([^"']+)["']""", re.I)
_METADATA = re.compile(rb"<(?:\w+:)?metadata\b.*?</(?:\w+:)?metadata\s*>", re.I | re.S)
_TITLE = re.compile(rb"<(\w+:)?title\b[^>]*>(.*?)</\1?title\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]*>")

# real path -> (size, mtime_ns, title ("" when the file names none)): one
# entry a file, its latest version's (a file saved again replaces its entry
# instead of adding one: Anki stays open for days)
_known: Dict[str, Tuple[int, int, str]] = {}


def stash_title(source: object, filename: str) -> str:
    """The title an untitled document's own file gives (EPUB only), or ""."""
    if not isinstance(source, DataDirSource) or not filename.lower().endswith(".epub"):
        return ""
    path = stash_file(source, filename)
    if path is None:
        return ""
    try:
        st = os.stat(path)
    except OSError:
        return ""
    known = _known.get(str(path))
    if known is not None and known[:2] == (st.st_size, st.st_mtime_ns):
        return known[2]
    found = epub_title(str(path)) or ""
    _known[str(path)] = (st.st_size, st.st_mtime_ns, found)
    return found


def epub_title(path: str) -> Optional[str]:
    """The first ``dc:title`` of the EPUB at ``path`` (whitespace made
    single), or None: not an EPUB, damaged, no title."""
    try:
        with zipfile.ZipFile(path) as archive:
            container = _read(archive, "META-INF/container.xml")
            found = _ROOTFILE.search(container) if container else None
            if found is None:
                return None
            opf = _read(archive, html.unescape(found.group(1).decode("utf-8", "replace")))
    except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, NotImplementedError, EOFError):
        return None  # (RuntimeError: encrypted; NotImplementedError: an unknown compression)
    if not opf:
        return None
    metadata = _METADATA.search(opf)
    title = _TITLE.search(metadata.group(0) if metadata else opf)
    if title is None:
        return None
    text = _TAG.sub("", title.group(2).decode("utf-8", "replace"))
    text = " ".join(html.unescape(text).split())
    return text[:MAX_TITLE_CHARS] or None


def _read(archive: zipfile.ZipFile, name: str) -> Optional[bytes]:
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_XML_BYTES:
        return None
    with archive.open(info) as fh:
        return fh.read(MAX_XML_BYTES + 1)[:MAX_XML_BYTES]
