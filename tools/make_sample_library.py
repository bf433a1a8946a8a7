#!/usr/bin/env python3
"""Writes tools/sample_library/: a small Polar 1.x data directory of the
project's own making, in Polar's real on-disk format (see
../shared/polar-format.md). Used by `make demo`, the tests and `make anki`.

The output is committed; re-run this only to change the sample on purpose:
    .venv/bin/python tools/make_sample_library.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any, Dict, List, Optional

from polar_files import ARCHETYPES, empty_page, encode_png, tag_map

OUT = Path(__file__).resolve().parent / "sample_library"


def png(width: int, height: int, rgb: tuple) -> bytes:
    """A tiny solid-colour PNG with a darker border."""

    def pixel(x: int, y: int) -> bytes:
        edge = x in (0, width - 1) or y in (0, height - 1)
        return bytes(c // 2 for c in rgb) if edge else bytes(rgb)

    return encode_png(width, height, pixel)


def text_highlight(hid: str, text: str, revised: Optional[str] = None, color: str = "yellow") -> Dict[str, Any]:
    hl: Dict[str, Any] = {
        "id": hid, "guid": hid, "created": "2020-03-01T10:00:00.000Z",
        "lastUpdated": "2020-03-01T10:00:00.000Z",
        "rects": {"0": {"left": 90.0, "top": 300.0, "right": 520.0, "bottom": 330.0,
                        "width": 430.0, "height": 30.0}},
        "textSelections": {"0": {"text": text}},
        "text": {"TEXT": text}, "images": {}, "notes": {}, "questions": {}, "flashcards": {},
        "color": color,
    }
    if revised:
        hl["revisedText"] = {"TEXT": revised}
    return hl


def card(cid: str, ctype: str, fields: Dict[str, Any], ref: str, created: str) -> Dict[str, Any]:
    arche = ARCHETYPES[ctype]
    return {"id": cid, "guid": cid, "created": created, "lastUpdated": created, "type": ctype,
            "fields": fields, "archetype": arche, "ref": ref}


def doc_info(fp: str, title: str, filename: str, labels: List[str], pages: int,
             url: str = "", attachments: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    info: Dict[str, Any] = {
        "progress": 0, "pagemarkType": "SINGLE_COLUMN", "properties": {}, "archived": False,
        "flagged": False, "tags": tag_map(labels), "attachments": attachments or {}, "nrPages": pages,
        "fingerprint": fp, "added": "2020-03-01T09:00:00.000Z", "filename": filename,
        "uuid": f"z2020-03-01T09:00:00.000Z+000001-{fp[:12]}", "title": title,
        "lastUpdated": "2020-03-02T09:00:00.000Z", "backend": "stash",
    }
    if url:
        info["url"] = url
    return info


def write_doc(fp: str, info: Dict[str, Any], pages: Dict[str, Any]) -> None:
    folder = OUT / fp
    folder.mkdir(parents=True)
    meta = {"annotationInfo": {}, "version": 2, "attachments": {}, "docInfo": info, "pageMetas": pages}
    # Polar >= 1.50 writes one compact line.
    (folder / "state.json").write_text(json.dumps(meta, separators=(",", ":")), encoding="utf-8")


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    (OUT / "info.json").write_text('{"created":"2020-03-01T08:59:00.000Z"}', encoding="utf-8")

    # 1. An article with basic + cloze cards, a comment, an orphan card.
    fp1 = "1SpacedRepetitionIntro0a"
    pages1 = {str(n): empty_page(n) for n in range(1, 4)}
    p1 = pages1["1"]
    p1["textHighlights"]["1HqT7vKc2P"] = text_highlight(
        "1HqT7vKc2P",
        "Spaced repetition schedules each review just\nbefore the memory would fade.",
    )
    p1["comments"]["1CmW4xYz8R"] = {
        "id": "1CmW4xYz8R", "guid": "1CmW4xYz8R", "created": "2020-03-01T10:05:00.000Z",
        "lastUpdated": "2020-03-01T10:05:00.000Z",
        "content": {"HTML": "<p>This is why <i>daily</i> reviews beat cramming.</p>"},
        "ref": "text-highlight:1HqT7vKc2P",
    }
    p1["flashcards"]["1FcA1b2C3d"] = card(
        "1FcA1b2C3d", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>When does spaced repetition schedule a review?</p>"},
         "back": {"HTML": "<p>Just <b>before</b> the memory would fade.</p>"}},
        "text-highlight:1HqT7vKc2P", "2020-03-01T10:06:00.000Z",
    )
    p2 = pages1["2"]
    p2["textHighlights"]["1HzR8sLm4N"] = text_highlight(
        "1HzR8sLm4N", "Ebbinghaus described the forgetting curve in 1885.",
        revised="Hermann Ebbinghaus described the forgetting curve in 1885.",
    )
    p2["flashcards"]["1FcE4f5G6h"] = card(
        "1FcE4f5G6h", "CLOZE",
        {"text": {"HTML": "<p>{{c1::Hermann Ebbinghaus::who?}} described the "
                          "{{c2::forgetting curve}} in 1885.</p>"}},
        "text-highlight:1HzR8sLm4N", "2020-03-01T10:10:00.000Z",
    )
    # Orphan: its highlight was deleted in Polar (issue #1231), the card stayed.
    pages1["3"]["flashcards"]["1FcJ7k8L9m"] = card(
        "1FcJ7k8L9m", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>What is the <i>testing effect</i>?</p>"},
         "back": {"HTML": "<p>Retrieval practice strengthens memory more than re-reading.</p>"}},
        "text-highlight:1HgoneHgone", "2020-03-01T10:20:00.000Z",
    )
    write_doc(fp1, doc_info(fp1, "An Introduction to Spaced Repetition", "1SpRepIntro-spaced-repetition.pdf",
                            ["deck:learning/memory", "/science/psychology", "type:article"], 3), pages1)

    # 2. A book with an area highlight (its PNG lives in files/image/) and a
    #    card carrying an inline image and MathJax.
    fp2 = "1OperatingSystems3Easy0b"
    image_id = "1AreaImg7Q2wE9rT5yU3"
    pages2 = {str(n): empty_page(n) for n in range(1, 6)}
    p4 = pages2["4"]
    p4["pageInfo"]["dimensions"] = {"width": 816, "height": 1056}
    p4["areaHighlights"]["1ArH5tQw2E"] = {
        "id": "1ArH5tQw2E", "guid": "1ArH5tQw2E", "created": "2020-04-01T10:00:00.000Z",
        "lastUpdated": "2020-04-01T10:00:00.000Z",
        "rects": {"0": {"left": 12.5, "top": 30.0, "width": 70.0, "height": 18.0, "bottom": 100, "right": 100}},
        "notes": {}, "questions": {}, "flashcards": {}, "images": {},
        "image": {"id": image_id, "type": "image/png", "src": {"backend": "image", "name": f"{image_id}.png"},
                  "width": 48, "height": 24, "rel": "screenshot"},
        "position": {"x": 102.0, "y": 319.4, "width": 48, "height": 24},
    }
    p4["flashcards"]["1FcN1p2Q3r"] = card(
        "1FcN1p2Q3r", "CLOZE",
        {"text": {"HTML": "<p>A process moves from <b>running</b> to {{c1::blocked}} when it "
                          "initiates an I/O request.</p>"}},
        "area-highlight:1ArH5tQw2E", "2020-04-01T10:02:00.000Z",
    )
    dot = png(6, 6, (220, 40, 40))
    import base64

    p4["flashcards"]["1FcS4t5U6v"] = card(
        "1FcS4t5U6v", "BASIC_FRONT_BACK",
        {"front": {"HTML": "<p>Average turnaround time of jobs \\(J_1 \\dots J_n\\)?</p>"},
         "back": {"HTML": "<p>\\(T = \\frac{1}{n}\\sum_i (t^{done}_i - t^{arrive}_i)\\)</p>"
                          f"<p><img src=\"data:image/png;base64,{base64.b64encode(dot).decode()}\"></p>"}},
        "page:4", "2020-04-01T10:05:00.000Z",
    )
    (OUT / "files" / "image").mkdir(parents=True)
    (OUT / "files" / "image" / f"{image_id}.png").write_bytes(png(48, 24, (70, 130, 200)))
    (OUT / "files" / "image" / f"{image_id}.png.meta").write_text(
        json.dumps({"id": image_id, "type": "image/png"}), encoding="utf-8")
    write_doc(fp2, doc_info(fp2, "Operating Systems: Three Easy Pieces", "1OSTEP0000-ostep.pdf",
                            ["deck:compsci/operating systems", "type:book"], 5,
                            attachments={image_id: {"fileRef": {"backend": "image", "name": f"{image_id}.png"}}}),
              pages2)

    # 3. A web capture without a deck tag (→ the default deck), with a
    #    reversed card and a TEXT-typed field that must be shown literally.
    fp3 = "1HowHttpsWorksCapture0c"
    pages3 = {"1": empty_page(1)}
    pages3["1"]["textHighlights"]["1HtL2sXn5B"] = text_highlight(
        "1HtL2sXn5B", "TLS uses asymmetric keys only to agree on a symmetric session key.", color="green")
    pages3["1"]["flashcards"]["1FcW7x8Y9z"] = card(
        "1FcW7x8Y9z", "BASIC_FRONT_BACK_AND_REVERSE",
        {"front": {"TEXT": "TLS session key"},
         "back": {"TEXT": "symmetric key agreed via asymmetric crypto (cost: a < b & c)"}},
        "text-highlight:1HtL2sXn5B", "2020-05-01T12:00:00.000Z",
    )
    write_doc(fp3, doc_info(fp3, "How HTTPS works", "1HTTPS0000-how-https-works.phz", ["web", "security"], 1,
                            url="https://howhttps.works/"), pages3)

    # 4. A document read but never turned into cards.
    fp4 = "1ReadingNotesOnly000000d"
    pages4 = {"1": empty_page(1)}
    pages4["1"]["textHighlights"]["1HnO3pQr4S"] = text_highlight("1HnO3pQr4S", "Just a highlight.")
    write_doc(fp4, doc_info(fp4, "", "1NOTES0000-notes.pdf", [], 1), pages4)

    # Polar's hard-link snapshots and temp files are ignored by discovery.
    backup = OUT / ".backup-2020-05-02" / fp1
    backup.mkdir(parents=True)
    (backup / "state.json").write_text("{}", encoding="utf-8")
    (OUT / "stash").mkdir()
    (OUT / "stash" / "README.txt").write_text(
        "Polar keeps the documents themselves here; the sample library ships none.\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
