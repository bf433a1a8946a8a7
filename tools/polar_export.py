"""Polar 2.x "Export Data" archives built the way Polar builds them, from a
Polar data directory (or DocMetas in memory), for tests and the benchmark.

Polar's exporter (polar-app ``UserBackupCreator.ts``, ``SnapshotTransformer.ts``,
``ArchiveWritable.ts``) streams ``archiver('tar', {gzip: true})`` into a file
named ``<random id>-<date>.zip``. Members: ``doc_meta/<id>.json``,
``doc_info/<id>.json``, ``block/<id>.json``, each
``JSON.stringify(record, null, '  ')``, and each document's file as
``stash/<createID({uid, filename}, 40)><.ext>``, merged from several streams
(no order). The DocMeta inside a ``doc_meta`` record is a JSON *string*,
sparse-encoded. :func:`rezip` repacks an export as a user who unpacked it
and zipped it again would.
"""

from __future__ import annotations

import copy
import html
import io
import json
import random
import re
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from addon.polar.hashcodes import create_id, js_stringify  # noqa: E402

UID = "pAuLtHeUsEr0000000000000000a"
EXPORT_NAME = "12dzxVk3Q8-2021-03-14T09:26:53.512Z.zip"  # <Hashcodes.createRandomID()>-<ISO date>.zip
MTIME = 1615714013


def pretty(record: Any) -> bytes:
    """``JSON.stringify(record, null, '  ')`` (json.dumps matches it for the
    JSON types Polar stores)."""
    return json.dumps(record, indent=2, ensure_ascii=False).encode("utf-8")


def sparse(meta: Dict[str, Any]) -> Dict[str, Any]:
    """Polar 2.x's sparse DocMeta (polar-shared ``SparseDocMetas.toSparse``,
    checked against Polar's own code run: tests/sync/test_polar_real_code.py):
    only these top-level keys, in this order; per page, the empty maps and
    ``pageInfo`` dropped, its dimensions kept as ``dim`` (so a page Polar's
    PDF viewer measured stays, as ``{"dim": "612x792"}``), a page left empty
    dropped."""
    out: Dict[str, Any] = {
        "annotationInfo": copy.deepcopy(meta.get("annotationInfo")), "version": meta.get("version"),
        "attachments": copy.deepcopy(meta.get("attachments")), "encodingType": "sparse",
        "docInfo": copy.deepcopy(meta.get("docInfo")), "pageMetas": {},
    }
    for num, page in (meta.get("pageMetas") or {}).items():
        kept = {k: copy.deepcopy(v) for k, v in page.items() if k != "pageInfo" and (k == "dim" or v)}
        dims = (page.get("pageInfo") or {}).get("dimensions")
        if dims:
            kept["dim"] = f"{_js_number(dims.get('width'))}x{_js_number(dims.get('height'))}"
        if kept:
            out["pageMetas"][num] = kept
    # JSON.stringify leaves out what the DocMeta did not have (undefined)
    return {k: v for k, v in out.items() if k in meta or k in ("encodingType", "pageMetas")}


def _js_number(value: Any) -> str:
    """A number as JavaScript's template string shows it (612.0 -> "612")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _block(ident: str, content: Dict[str, Any], uid: str, parents: List[str], created: str,
           updated: str) -> Dict[str, Any]:
    """An ``IBlock`` as the ``block`` collection holds it and the exporter
    writes it (``snapshot.data()``, no ``{uid, id, value}`` wrapper):
    ``FirestoreBlocks.toFirestoreBlock`` stores no parent as ``null``,
    ``items`` is a PositionalArray (a map), see docs/dev-notes/blocks.md."""
    return {"id": ident, "nspace": uid, "uid": uid, "root": parents[0] if parents else ident,
            "parent": parents[-1] if parents else None, "parents": parents, "created": created,
            "updated": updated, "items": {}, "content": content, "mutation": 0}


def markdown_block(ident: str, text: str, uid: str = UID) -> Dict[str, Any]:
    """A Polar 3 note (the most common block)."""
    return _block(ident, {"type": "markdown", "data": text, "links": []}, uid, [],
                  "2021-11-02T10:00:00.000Z", "2021-11-02T10:00:00.000Z")


def annotated_document_blocks(info: Dict[str, Any], flashcards: Iterable[Dict[str, Any]], uid: str = UID,
                              doc_block: str = "1DocBlock01", highlight: str = "1HlBlock001",
                              created: str = "2021-11-02T10:00:00.000Z") -> List[Dict[str, Any]]:
    """A document as Polar 3 keeps it in blocks: the ``document`` block (its
    DocInfo), one text highlight under it and each flashcard ``value``
    (``IBlockFlashcard``: ``{type, fields, archetype}``, Markdown fields)
    under the highlight, as ``DocMetaBlockContents.getFromDocMeta`` and the
    annotation bar make them. Flashcard block ids are ``1FcBlock%03d``."""
    fp = info["fingerprint"]
    doc = _block(doc_block, {"type": "document", "docInfo": info, "links": []}, uid, [], created, created)
    cards = list(flashcards)
    hl = _block(highlight, {
        "type": "annotation-text-highlight", "docID": fp, "pageNum": 1, "links": [],
        "value": {"text": "The highlighted text", "revisedText": "The highlighted text ", "color": "yellow",
                  "rects": {"0": {"left": 10, "top": 20, "width": 100, "height": 12}}},
    }, uid, [doc_block], created, created)
    doc["items"] = {"1": highlight}
    out = [doc, hl]
    for i, value in enumerate(cards, 1):
        ident = f"1FcBlock{i:03d}"
        hl["items"][str(i)] = ident
        out.append(_block(ident, {"type": "annotation-flashcard", "docID": fp, "pageNum": 1, "links": [],
                                  "value": value}, uid, [doc_block, highlight], created, created))
    return out


def comment_block(ident: str, highlight: Dict[str, Any], text: str, created: str,
                  uid: str = UID) -> Dict[str, Any]:
    """A comment written in Polar 3 on a highlight block (the annotation
    popup's ``CreateComment``: ``createNewBlock(annotationID, {unshift: true,
    content: {type: "markdown", data, links: []}})``): its first child."""
    block = _block(ident, {"type": "markdown", "data": text, "links": []}, uid,
                   [*highlight["parents"], highlight["id"]], created, created)
    highlight["items"] = {"0": ident, **highlight["items"]}
    return block


def area_highlight_block(ident: str, document: Dict[str, Any], page: int, image_name: str, created: str,
                         uid: str = UID) -> Dict[str, Any]:
    """An area highlight made in Polar 3 (``useBlockAreaHighlight``): the
    screenshot written to the ``image`` backend (not in an export) and named
    in ``value.image`` as a DocMeta's area highlight names it."""
    fp = document["content"]["docInfo"]["fingerprint"]
    block = _block(ident, {"type": "annotation-area-highlight", "docID": fp, "pageNum": page, "links": [],
                           "value": {"color": "yellow", "rects": {"0": {"left": 10, "top": 40, "width": 30,
                                                                        "height": 20}},
                                     "position": {"x": 80, "y": 400, "width": 240, "height": 160}, "order": 0,
                                     "image": {"type": "image/png", "width": 240, "height": 160,
                                               "src": {"name": image_name, "backend": "image"},
                                               "id": image_name.rsplit(".", 1)[0]}}},
                   uid, [document["id"]], created, created)
    document["items"][str(len(document["items"]) + 1)] = ident
    return block


def block_basic(front: str, back: str) -> Dict[str, Any]:
    """``BlockFlashcards.createFrontBack``."""
    return {"type": "BASIC_FRONT_BACK", "fields": {"front": front, "back": back},
            "archetype": "9d146db1-7c31-4bcf-866b-7b485c4e50ea"}


def block_cloze(text: str) -> Dict[str, Any]:
    """``BlockFlashcards.createCloze``."""
    return {"type": "CLOZE", "fields": {"text": text}, "archetype": "76152976-d7ae-4348-9571-d65e48050c3f"}


_TAG_RE = re.compile(r"(<[^>]*>)")


def html_to_markdown(value: str) -> str:
    """Polar's ``HTMLToMarkdown.html2markdown`` (turndown) for the HTML its
    editor writes: paragraphs, bold, italics, lists (turndown's ``*   `` and
    ``1.  `` items, one a line); turndown's escapes."""
    out: List[str] = []
    lists: List[List[int]] = []  # open lists: [0] a bullet list, [n] an ordered one at item n
    for part in _TAG_RE.split(value):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            tag = name.group(1).lower() if name else ""
            closing = part.startswith("</")
            if tag in ("b", "strong"):
                out.append("**")
            elif tag in ("i", "em"):
                out.append("*")
            elif tag == "p" and closing:
                out.append("\n\n")
            elif tag == "br":
                out.append("  \n")
            elif tag in ("ul", "ol"):
                if closing:
                    lists = lists[:-1]
                    out.append("\n\n")
                else:
                    lists.append([0] if tag == "ul" else [1])
            elif tag == "li" and not closing:
                if lists and lists[-1][0]:
                    out.append(f"\n{lists[-1][0]}.  ")
                    lists[-1][0] += 1
                else:
                    out.append("\n*   ")
            continue
        text = re.sub(r"\s+", " ", html.unescape(part))
        for char in "\\*_[]`":
            text = text.replace(char, "\\" + char)
        out.append(text)
    return "".join(out).strip()


def _text_markdown(text: Any) -> str:
    """``htmlToMarkdown`` of a Polar Text (``Texts.toHTML`` first)."""
    if isinstance(text, str):
        return text
    if "HTML" in text:
        return html_to_markdown(text["HTML"])
    if "TEXT" in text:
        return html_to_markdown(html.escape(text["TEXT"]))
    return str(text.get("MARKDOWN", ""))


def migrate_to_blocks(meta: Dict[str, Any], server: bool, at: str = "2021-11-20T08:00:00.000Z",
                      uid: str = UID, prefix: str = "1Mg") -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Polar's migration of one DocMeta into Polar 3 blocks, as
    ``DocMetaBlockContents.getFromDocMeta`` builds them: a ``document`` block,
    each text highlight under it (``revisedText || text`` as Markdown plus its
    tags as ``[[#tag]]`` links) and each page-level flashcard whose ``ref``
    names the highlight under that, fields HTML → Markdown, then each comment
    on the highlight as a ``markdown`` block under it (``DocMetaBlockContents``:
    ``{type: "markdown", data: <Markdown> + " " + its [[#tag]] links, links}``),
    every block a new id (``<prefix>`` + a counter). ``server``: the server-side migration
    (``MigrationToBlockAnnotations``): blocks keep the annotations'
    ``created``/``lastUpdated``; the DocMeta returned has its highlights
    purged, Polar's red placeholder on page 1, and ``value.ver`` 3 (see
    ``write_export``'s ``versions``). Else the client-side one
    (``BlocksStore.insertFromBlockContentStructure``): every block stamped
    ``at``, the DocMeta unchanged. Returns (blocks, the DocMeta after)."""
    counter = iter(range(1, 1 << 30))

    def new_id() -> str:
        return f"{prefix}{next(counter):07d}"

    info = meta["docInfo"]
    fp = info["fingerprint"]
    doc_id = new_id()
    doc_created = info.get("added", at) if server else at
    doc = _block(doc_id, {"type": "document", "docInfo": info, "links": []}, uid, [], doc_created, doc_created)
    out = [doc]
    n = 0
    for num, page in sorted((meta.get("pageMetas") or {}).items(), key=lambda kv: int(kv[0])):
        cards = list((page.get("flashcards") or {}).values())
        comments = list((page.get("comments") or {}).values())
        highlights = [("annotation-text-highlight", h) for h in (page.get("textHighlights") or {}).values()]
        highlights += [("annotation-area-highlight", h) for h in (page.get("areaHighlights") or {}).values()]
        for kind, hl in highlights:
            hid = new_id()
            if kind == "annotation-text-highlight":
                tags = " ".join(f"[[#{t['label']}]]" for t in (hl.get("tags") or {}).values())
                text = _text_markdown(hl.get("text") or {})
                revised = _text_markdown(hl["revisedText"]) if hl.get("revisedText") else text
                # BlockContentAnnotationTree.toTextHighlightAnnotation: ``order:
                # annotation.order``, undefined (no key) but in an EPUB
                value = {"text": text, "revisedText": f"{revised} {tags}", "rects": hl.get("rects", {}),
                         "color": hl.get("color") or "yellow"}
                if hl.get("order") is not None:
                    value["order"] = hl["order"]
            else:
                value = {"color": hl.get("color") or "yellow", "rects": hl.get("rects", {}),
                         "image": hl.get("image"), "order": hl.get("order"), "position": hl.get("position")}
            hb = _block(hid, {"type": kind, "docID": fp, "pageNum": int(num), "links": [], "value": value},
                        uid, [doc_id], hl["created"] if server else at, hl.get("lastUpdated", hl["created"])
                        if server else at)
            n += 1
            doc["items"][str(n)] = hid
            out.append(hb)
            for card in cards:
                ref = str(card.get("ref", ""))
                if ref.partition(":")[2] not in (hl["id"], hl.get("guid")):
                    continue
                fields = card["fields"]
                if card["type"] == "CLOZE":
                    cv = block_cloze(_text_markdown(fields["text"]))
                else:
                    cv = block_basic(_text_markdown(fields["front"]), _text_markdown(fields.get("back", {})))
                    cv["type"] = card["type"]
                cv["archetype"] = card.get("archetype", cv["archetype"])
                cid = new_id()
                hb["items"][str(len(hb["items"]) + 1)] = cid
                links = [{"id": new_id(), "text": f"#{t['label']}"} for t in (card.get("tags") or {}).values()]
                out.append(_block(cid, {"type": "annotation-flashcard", "docID": fp, "pageNum": int(num),
                                        "links": links, "value": cv}, uid, [doc_id, hid],
                                  card["created"] if server else at,
                                  card.get("lastUpdated", card["created"]) if server else at))
            for comment in comments:
                # After its cards, as ``getAnnotationChildren`` lists them: a
                # ``markdown`` block (no docID), its tags appended as links.
                ref = str(comment.get("ref", ""))
                if ref.partition(":")[2] not in (hl["id"], hl.get("guid")):
                    continue
                tags = " ".join(f"[[#{t['label']}]]" for t in (comment.get("tags") or {}).values())
                cid = new_id()
                hb["items"][str(len(hb["items"]) + 1)] = cid
                links = [{"id": new_id(), "text": f"#{t['label']}"} for t in (comment.get("tags") or {}).values()]
                out.append(_block(cid, {"type": "markdown", "data": f"{_text_markdown(comment.get('content') or {})} "
                                                                     f"{tags}", "links": links},
                                  uid, [doc_id, hid], comment["created"] if server else at,
                                  comment.get("lastUpdated", comment["created"]) if server else at))
    after = meta
    if server:
        after = copy.deepcopy(meta)
        for page in after.get("pageMetas", {}).values():
            page["textHighlights"], page["areaHighlights"] = {}, {}
        placeholder = {"id": "1PlaceHold", "guid": "1PlaceHold", "created": at, "lastUpdated": at, "rects": {},
                       "textSelections": {}, "images": {}, "notes": {}, "questions": {}, "flashcards": {},
                       "color": "red", "text": {"TEXT": "Your annotations have been migrated to Polar 3.0 and are "
                                                        "no longer visible in your older client. Please upgrade"}}
        after["pageMetas"].setdefault("1", {"pageInfo": {"num": 1}})
        after["pageMetas"]["1"].setdefault("textHighlights", {})["1PlaceHold"] = placeholder
    return copy.deepcopy(out), after  # (as stored: no value shared with the DocMeta)


def doc_meta_id(fingerprint: str, uid: str = UID) -> str:
    """FirebaseDatastores.computeDocMetaID."""
    return create_id(uid + ":" + fingerprint, 32)


def stash_member(filename: str, uid: str = UID) -> str:
    """The member name the exporter gives a document's file."""
    import re

    match = re.search(r"\.([a-z0-9]{1,15})\Z", filename)
    suffix = "." + match.group(1) if match else ""
    return f"stash/{create_id({'uid': uid, 'filename': filename}, 40)}{suffix}"


@dataclass
class Member:
    name: str
    size: int
    open: Callable[[], IO[bytes]]


def _bytes(data: bytes) -> Member:
    return Member("", len(data), lambda: io.BytesIO(data))


Body = Callable[[str, Dict[str, Any]], Optional[Tuple[int, Callable[[], IO[bytes]]]]]


def default_body(fingerprint: str, info: Dict[str, Any]) -> Optional[Tuple[int, Callable[[], IO[bytes]]]]:
    data = b"%PDF-1.4\n% " + fingerprint.encode() + b"\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
    return len(data), lambda: io.BytesIO(data)


def members(metas: Iterable[Dict[str, Any]], uid: str = UID, body: Optional[Body] = default_body,
            seed: int = 7, blocks: Iterable[Dict[str, Any]] = (),
            versions: Optional[Dict[str, int]] = None) -> List[Member]:
    """The export's members in a shuffled order (the exporter merges its
    streams: records and documents interleave). ``versions``: fingerprint ->
    the ``value.ver`` of its ``doc_meta``/``doc_info`` records (3 after
    Polar's server-side migration to blocks)."""
    out: List[Member] = []
    for meta in metas:
        info = meta["docInfo"]
        ident = doc_meta_id(info["fingerprint"], uid)
        record: Dict[str, Any] = {"uid": uid, "id": ident,
                                  "value": {"docInfo": info, "value": js_stringify(sparse(meta))}}
        ver = (versions or {}).get(info["fingerprint"])
        if ver is not None:
            record["value"]["ver"] = ver
        m = _bytes(pretty(record))
        m.name = f"doc_meta/{ident}.json"
        out.append(m)
        m = _bytes(pretty({"uid": uid, "id": ident, "value": info}))
        m.name = f"doc_info/{ident}.json"
        out.append(m)
        produced = body(info["fingerprint"], info) if body is not None and info.get("filename") else None
        if produced is not None:
            size, opener = produced
            out.append(Member(stash_member(info["filename"], uid), size, opener))
    for record in [markdown_block("1BlockId000", "note", uid), *blocks]:
        block = _bytes(pretty(record))
        block.name = f"block/{record['id']}.json"
        out.append(block)
    random.Random(seed).shuffle(out)
    return out


def library_metas(library: Path) -> List[Dict[str, Any]]:
    """The DocMetas of a data directory, in folder order (unreadable ones
    left out: Polar's cloud holds no broken documents)."""
    metas = []
    for state in sorted(library.glob("*/state.json")):
        if not state.parent.name.startswith("."):
            try:
                meta = json.loads(state.read_bytes())
            except ValueError:
                continue
            if isinstance(meta, dict) and isinstance(meta.get("docInfo"), dict):
                metas.append(meta)
    return metas


def write_tar_gz(dest: Path, parts: Iterable[Member], level: int = 6, mtime: int = MTIME) -> Path:
    """A gzip'd ustar stream as archiver/tar-stream writes it (mode 0644,
    one gzip member, no directory entries). ``mtime``: every member's time
    (archiver dates a member when it is appended: the export's minute)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(dest, "w:gz", format=tarfile.USTAR_FORMAT, compresslevel=level) as tar:
        for member in parts:
            info = tarfile.TarInfo(member.name)
            info.size = member.size
            info.mode = 0o644
            info.mtime = mtime
            with member.open() as fh:
                tar.addfile(info, fh)
    return dest


def write_export(dest: Path, metas: Iterable[Dict[str, Any]], uid: str = UID, body: Optional[Body] = default_body,
                 seed: int = 7, level: int = 6, blocks: Iterable[Dict[str, Any]] = (),
                 versions: Optional[Dict[str, int]] = None, mtime: int = MTIME) -> Path:
    return write_tar_gz(dest, members(metas, uid, body, seed, blocks, versions), level, mtime)


def rezip(export: Path, dest: Path, folder: str = "", method: int = zipfile.ZIP_DEFLATED) -> Path:
    """The export unpacked and zipped again (optionally inside a folder, as
    "Compress folder" does): a real zip with the same members."""
    with tarfile.open(export, "r:*") as tar, zipfile.ZipFile(dest, "w", method) as zf:
        for info in tar:
            src = tar.extractfile(info)
            if src is None:
                continue
            with src, zf.open(folder + info.name, "w") as out:
                while True:
                    chunk = src.read(1 << 20)
                    if not chunk:
                        break
                    out.write(chunk)
    return dest


def retar(export: Path, dest: Path) -> Path:
    """The export decompressed: a plain tar with the same members."""
    import gzip
    import shutil

    with gzip.open(export, "rb") as src, open(dest, "wb") as out:
        shutil.copyfileobj(src, out, 1 << 20)
    return dest
