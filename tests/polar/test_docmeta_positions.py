"""Where highlights start on their page and when a document was added: the
inputs of new cards' reading order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Dict

import pytest

from addon.polar.docmeta import parse_docmeta

SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "polar-samples"


def _doc(page: Dict[str, Any], info: Dict[str, Any]) -> Dict[str, Any]:
    return {"docInfo": {"fingerprint": "fp", **info}, "pageMetas": {"1": {"pageInfo": {"num": 1}, **page}}}


def test_text_highlight_starts_at_its_first_rect() -> None:
    rects = {"0": {"top": 300.5, "left": 420}, "1": {"top": 280, "left": 90}, "2": {"top": 280, "left": 70}}
    doc = parse_docmeta(_doc({"textHighlights": {"h": {"id": "h", "rects": rects}}}, {"added": "2020-01-02T03:04:05Z"}))
    h = doc.highlights["h"]
    assert (h.top, h.left) == (280.0, 70.0)
    assert doc.added == "2020-01-02T03:04:05Z"


def test_area_highlight_uses_position_then_percent_rects() -> None:
    area = {
        "a": {"id": "a", "position": {"x": 102.0, "y": 319.4}, "rects": {"0": {"top": 1, "left": 1}}},
        "b": {"id": "b", "rects": {"0": {"top": 50, "left": 25}}},
    }
    page = {"pageInfo": {"num": 1, "dimensions": {"width": 800, "height": 1000}}, "areaHighlights": area}
    doc = parse_docmeta(_doc(page, {}))
    assert (doc.highlights["a"].top, doc.highlights["a"].left) == (319.4, 102.0)
    assert (doc.highlights["b"].top, doc.highlights["b"].left) == (500.0, 200.0)
    # Without dimensions: a Letter page at 96 dpi.
    del page["pageInfo"]["dimensions"]
    doc = parse_docmeta(_doc(page, {}))
    assert (doc.highlights["b"].top, doc.highlights["b"].left) == (528.0, 204.0)


@pytest.mark.parametrize("rects", [None, {}, {"0": {"top": "x", "left": 1}}, {"0": {"top": True, "left": 1}}, []])
def test_unknown_or_damaged_rects_give_no_position(rects: Any) -> None:
    doc = parse_docmeta(_doc({"textHighlights": {"h": {"id": "h", "rects": rects}}}, {"added": 12}))
    assert (doc.highlights["h"].top, doc.highlights["h"].left) == (None, None)
    assert doc.added == "12"


def test_real_samples() -> None:
    if not SAMPLES.is_dir():
        pytest.skip("no ../shared/polar-samples")
    big = parse_docmeta(json.loads((SAMPLES / "bigtable_example_state.json").read_text()))
    assert big.added == "2019-02-28T00:18:33.297Z"
    tops = {h.id: h.top for h in big.highlights.values() if h.page == 2}
    assert tops["17nFTREKHz"] is not None and tops["12MJg3ddho"] is not None
    assert tops["17nFTREKHz"] < tops["12MJg3ddho"]
    cloze = parse_docmeta(json.loads((SAMPLES / "exampleB_cloze_flashcard.state.json").read_text()))
    area = cloze.highlights["12WzQ6bYtN"]
    assert (area.top, area.left) == (319.4, 102.0)
