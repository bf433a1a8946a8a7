"""Builds Polar data directories on disk, in Polar's real format, for tests.

Tests edit a library the way Polar does: whole ``state.json`` files written
atomically (temp file + rename), edited flashcards re-created with a new id.
"""

from __future__ import annotations

import copy
import os
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from tools.polar_files import ARCHETYPES, empty_page, state_json, write_atomic  # noqa: F401 (re-exported)

SAMPLE_LIBRARY = Path(__file__).resolve().parent.parent / "tools" / "sample_library"
SHARED_SAMPLES = Path(__file__).resolve().parent.parent.parent / "shared" / "polar-samples"

def basic(front: str, back: str, kind: str = "HTML") -> Dict[str, Any]:
    return {"front": {kind: front}, "back": {kind: back}}


def cloze(text: str) -> Dict[str, Any]:
    return {"text": {"HTML": text}}


class Doc:
    """One document's DocMeta, edited in memory and written like Polar does."""

    def __init__(self, root: Path, fingerprint: str, title: str = "", tags: Iterable[str] = (),
                 pages: int = 3) -> None:
        self.root = root
        self.fp = fingerprint
        self.meta: Dict[str, Any] = {
            "annotationInfo": {}, "version": 2, "attachments": {},
            "docInfo": {
                "fingerprint": fingerprint, "title": title, "filename": f"{fingerprint}.pdf",
                "tags": {}, "nrPages": pages, "archived": False, "flagged": False,
                "added": "2020-01-01T00:00:00.000Z", "lastUpdated": "2020-01-01T00:00:00.000Z",
                "attachments": {}, "backend": "stash",
                # as polar-shared's DocInfos.create writes them (tools/polar_real)
                "progress": 0, "pagemarkType": "SINGLE_COLUMN", "properties": {},
                "uuid": f"z2020-01-01T00:00:00.000Z+000000-{zlib.crc32(fingerprint.encode()):012d}",
            },
            "pageMetas": {str(n): empty_page(n) for n in range(1, pages + 1)},
        }
        self._clock = 0
        for t in tags:
            self.tag(t)

    @property
    def path(self) -> Path:
        return self.root / self.fp / "state.json"

    def page(self, num: int) -> Dict[str, Any]:
        return self.meta["pageMetas"].setdefault(str(num), empty_page(num))

    def tag(self, label: str) -> Doc:
        self.meta["docInfo"]["tags"][label] = {"id": label, "label": label}
        return self

    def untag(self, label: str) -> Doc:
        self.meta["docInfo"]["tags"].pop(label, None)
        return self

    def _now(self) -> str:
        self._clock += 1
        return f"2020-01-01T00:00:{self._clock:02d}.000Z"

    def text_highlight(self, hid: str, text: str, page: int = 1, top: Optional[float] = None,
                       left: float = 90.0) -> Doc:
        # The keys polar-shared's TextHighlightRecords.create writes (tools/polar_real):
        # no ``comments`` map (comments live at page level), ``order`` only from 2.x's viewer.
        now = self._now()
        hl: Dict[str, Any] = {
            "id": hid, "guid": hid, "created": now, "lastUpdated": now, "rects": {}, "textSelections": {},
            "text": {"TEXT": text}, "images": {}, "notes": {}, "questions": {}, "flashcards": {},
            "color": "yellow",
        }
        if top is not None:
            box = {"left": left, "top": top, "right": left + 300.0, "bottom": top + 15.0,
                   "width": 300.0, "height": 15.0}
            hl["rects"] = {"0": box}
            hl["textSelections"] = {"0": {"text": text, "rect": dict(box)}}
        self.page(page)["textHighlights"][hid] = hl
        return self

    def revise_highlight(self, hid: str, new_id: str, html: str, page: int = 1) -> Doc:
        """As Polar's ``TextHighlights.setRevisedText`` does it: the highlight
        is re-keyed under a new id with ``revisedText``; its guid (and every
        child's ref) stays."""
        old = self.page(page)["textHighlights"].pop(hid)
        self.page(page)["textHighlights"][new_id] = dict(
            old, id=new_id, lastUpdated=self._now(), revisedText={"HTML": html})
        return self

    def area_highlight(self, hid: str, image_name: str, page: int = 1) -> Doc:
        # As polar-bookshelf's AreaHighlights writer leaves it (tools/polar_real); Polar's
        # image id is the file name without its extension.
        now = self._now()
        self.page(page)["areaHighlights"][hid] = {
            "id": hid, "guid": hid, "created": now, "lastUpdated": now,
            "rects": {"0": {"left": 10.0, "top": 10.0, "width": 50.0, "height": 20.0}},
            "notes": {}, "questions": {}, "flashcards": {}, "images": {},
            "image": {"id": image_name.rsplit(".", 1)[0], "type": "image/png",
                      "src": {"backend": "image", "name": image_name}, "width": 50, "height": 20,
                      "rel": "screenshot"},
            "position": {"x": 10.0, "y": 10.0, "width": 50.0, "height": 20.0},
        }
        return self

    def comment(self, cid: str, html: str, ref: str, page: int = 1) -> Doc:
        self.page(page)["comments"][cid] = {
            "id": cid, "guid": cid, "created": self._now(), "lastUpdated": self._now(),
            "content": {"HTML": html}, "ref": ref,
        }
        return self

    def added(self, when: str) -> Doc:
        self.meta["docInfo"]["added"] = when
        return self

    def card(self, cid: str, fields: Dict[str, Any], ctype: str = "BASIC_FRONT_BACK",
             ref: Optional[str] = None, page: int = 1, tags: Iterable[str] = ()) -> Doc:
        self.page(page)["flashcards"][cid] = {
            "id": cid, "guid": cid, "created": self._now(), "lastUpdated": self._now(), "type": ctype,
            "fields": copy.deepcopy(fields), "archetype": ARCHETYPES[ctype], "ref": ref or f"page:{page}",
        }
        if tags:  # Polar's Flashcards.create writes no ``tags``; tagging a card adds them
            self.page(page)["flashcards"][cid]["tags"] = {t: {"id": t, "label": t} for t in tags}
        return self

    def find_card(self, cid: str) -> tuple:
        for num, page in self.meta["pageMetas"].items():
            if cid in page["flashcards"]:
                return int(num), page["flashcards"][cid]
        raise KeyError(cid)

    def edit_card(self, old_id: str, new_id: str, fields: Dict[str, Any]) -> Doc:
        """As Polar does it: the card is deleted and re-created with a new id."""
        num, old = self.find_card(old_id)
        del self.page(num)["flashcards"][old_id]
        return self.card(new_id, fields, old["type"], old["ref"], num)

    def delete_card(self, cid: str) -> Doc:
        num, _ = self.find_card(cid)
        del self.page(num)["flashcards"][cid]
        return self

    def write(self, atomic: bool = True) -> Path:
        folder = self.root / self.fp
        folder.mkdir(parents=True, exist_ok=True)
        data = state_json(self.meta)
        if atomic:
            write_atomic(self.path, data)
        else:
            self.path.write_bytes(data)
        # mtime granularity must not hide a rewrite from the change check.
        st = self.path.stat()
        os.utime(self.path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
        return self.path

    def remove(self) -> None:
        shutil.rmtree(self.root / self.fp)


def copy_sample_library(dest: Path) -> Path:
    shutil.copytree(SAMPLE_LIBRARY, dest)
    return dest


def export_zip(dest: Path, docs: Iterable[Doc], sparse: bool = False) -> Path:
    """A Polar 2.x "Export Data" zip (unpacked and zipped again by the user):
    doc_meta/<id>.json wrapping the DocMeta as the JSON string Polar's
    datastore wrote (``DocMetas.serialize(docMeta, "")``: compact, sparse
    with ``sparse``), the record itself ``JSON.stringify(record, null, '  ')``."""
    from addon.polar.hashcodes import js_stringify
    from tools import polar_export

    with zipfile.ZipFile(dest, "w") as zf:
        for doc in docs:
            meta = polar_export.sparse(doc.meta) if sparse else copy.deepcopy(doc.meta)
            wrapper = {"uid": "user1", "id": doc.fp,
                       "value": {"docInfo": meta["docInfo"], "value": js_stringify(meta)}}
            zf.writestr(f"doc_meta/{doc.fp}.json", polar_export.pretty(wrapper))
        zf.writestr("doc_info/readme.json", "{}")
    return dest
