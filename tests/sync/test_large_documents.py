"""A Polar 1.x document as large as real ones get: Polar kept the images
pasted into cards inline (``data:`` URLs, about 1 MB a screenshot), so a
textbook with a few hundred of them is a ``state.json`` of 100-250 MB. Such a
document syncs, its images stored once each in Anki's media folder (before:
any ``state.json`` over 64 MB was refused and none of its cards came). A file
over the limit (``MAX_DOCMETA_BYTES``) is still refused, in one row naming
it, and the rest of the library syncs. Real anki Collection, real files."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from addon.polar import library
from tests.polar_factory import Doc, basic
from tests.sync.helpers import note_of, run


def _screenshots_doc(lib: Path, n: int, size: int) -> Doc:
    doc = Doc(lib, "1BigTextbook01", "A textbook with pasted screenshots", pages=20)
    for i in range(n):
        png = b"\x89PNG\r\n\x1a\n" + os.urandom(size)  # incompressible, as a screenshot mostly is
        img = f'<img src="data:image/png;base64,{base64.b64encode(png).decode()}">'
        doc.card(f"1BigShot{i:04d}", basic(f"<p>What does figure {i} show?</p>{img}", f"<p>Answer {i}</p>"),
                 page=1 + i % 20)
    doc.write()
    return doc


def test_a_document_of_pasted_screenshots_over_64_mb_syncs(col, tmp_path):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _screenshots_doc(lib, 50, 1_400_000)
    small = Doc(lib, "1SmallBook0001", "A small book")
    small.card("1SmallCard01", basic("small question", "small answer"))
    small.write()
    assert doc.path.stat().st_size > 64 * 1024 * 1024
    report = run(col, lib, state)
    assert report.errors == [] and report.created == 51
    media = Path(col.media.dir())
    shown = note_of(col, "1BigShot0007")["Front"]
    assert "data:" not in shown and "<img" in shown
    name = shown.split('src="', 1)[1].split('"', 1)[0]
    assert (media / name).stat().st_size == 1_400_008
    assert sum(1 for p in media.iterdir() if p.suffix == ".png") == 50
    assert not run(col, lib, state).changed


def test_a_file_over_the_limit_is_refused_in_one_row_and_the_rest_syncs(col, tmp_path, monkeypatch):
    lib, state = tmp_path / "lib", tmp_path / "state.sqlite"
    doc = _screenshots_doc(lib, 3, 100_000)
    small = Doc(lib, "1SmallBook0001", "A small book")
    small.card("1SmallCard01", basic("small question", "small answer"))
    small.write()
    monkeypatch.setattr(library, "MAX_DOCMETA_BYTES", doc.path.stat().st_size - 1)
    report = run(col, lib, state)
    assert report.created == 1
    assert [(e["code"], e["document"]) for e in report.errors] == [("file_refused", "1BigTextbook01")]
    assert "state.json" in report.errors[0]["path"] and "over the" in report.errors[0]["message"]
