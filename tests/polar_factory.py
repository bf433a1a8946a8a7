"""Builds Polar data directories on disk, in Polar's real format, for tests.

Tests edit a library the way Polar does: whole ``state.json`` files written
atomically (temp file + rename), edited flashcards re-created with a new id.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any, Dict, Iterable, Optional

from tools.polar_files import ARCHETYPES, empty_page, write_atomic  # noqa: F401 (re-exported)

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
        hl: Dict[str, Any] = {
            "id": hid, "guid": hid, "created": self._now(), "text": {"TEXT": text},
            "flashcards": {}, "comments": {}, "notes": {}, "color": "yellow",
        }
        if top is not None:
            hl["rects"] = {"0": {"top": top, "left": left, "width": 300.0, "height": 15.0}}
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
        self.page(page)["areaHighlights"][hid] = {
            "id": hid, "guid": hid, "created": self._now(), "flashcards": {}, "notes": {},
            "rects": {"0": {"top": 10.0, "left": 10.0, "width": 50.0, "height": 20.0}},
            "image": {"id": image_name, "type": "image/png", "src": {"backend": "image", "name": image_name}},
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
            "tags": {t: {"id": t, "label": t} for t in tags},
        }
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
        data = json.dumps(self.meta, separators=(",", ":")).encode()
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
    """A Polar 2.x "Export Data" zip: doc_meta/<id>.json wrapping the DocMeta
    as a JSON string."""
    with zipfile.ZipFile(dest, "w") as zf:
        for doc in docs:
            meta = copy.deepcopy(doc.meta)
            if sparse:
                meta["encodingType"] = "sparse"
                pages = {}
                for num, page in meta["pageMetas"].items():
                    kept = {k: v for k, v in page.items() if v and k != "pageInfo"}
                    if kept:
                        pages[num] = kept
                meta["pageMetas"] = pages
            wrapper = {"uid": "user1", "id": doc.fp,
                       "value": {"docInfo": meta["docInfo"], "value": json.dumps(meta)}}
            zf.writestr(f"doc_meta/{doc.fp}.json", json.dumps(wrapper))
        zf.writestr("doc_info/readme.json", "{}")
    return dest
