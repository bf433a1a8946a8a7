"""A sync runs with Python's collector off, as Anki runs everything, and
leaves nothing that only the collector could free: Anki collects every 15
minutes, so a sync's cyclic garbage would stay in its memory until then."""

from __future__ import annotations

import base64
import gc
import threading
from typing import Iterator

import pytest

from addon.sync.gcpause import gc_paused
from tests.polar_factory import Doc, basic, cloze
from tests.render.helpers import PNG
from tests.sync.helpers import run


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_off_inside_back_on_after_and_nestable(collector_on):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer user is still inside
    assert gc.isenabled()


def test_back_on_after_an_error(collector_on):
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()


def test_left_off_when_it_was_off_as_in_anki():
    was = gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        if was:
            gc.enable()


def test_threads_overlapping_switch_it_back_once_the_last_leaves(collector_on):
    inside, release = threading.Event(), threading.Event()

    def other() -> None:
        with gc_paused():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other)
    thread.start()
    inside.wait(10)
    with gc_paused():
        pass
    assert not gc.isenabled()  # the other thread's sync still runs
    release.set()
    thread.join(10)
    assert gc.isenabled()


def _varied_library(root, n: int, fp: str) -> None:
    image = base64.b64encode(PNG).decode()
    doc = Doc(root, fp, title="Garbage <b>free</b>", tags=["deck:Gc"])
    for i in range(n):
        doc.text_highlight(f"hl{i}", f"highlighted\ntext {i}", page=1 + i % 3, top=10.0 + i)
        doc.comment(f"cm{i}", f"<div class='c'><table><tr><td>caf&eacute; {i}</td></tr></table></div>",
                    f"text-highlight:hl{i}")
        doc.card(f"{fp}B{i}", basic(f"<p>What is <span style='x'>{i}</span> &copy;?</p><!-- pasted -->",
                                   f'<p>an image <img src="data:image/png;base64,{image}"></p>'),
                 ref=f"text-highlight:hl{i}", page=1 + i % 3)
        img = f'<img alt="a" src="data:image/png;base64,{image}">'  # another attribute: the tree path
        doc.card(f"{fp}C{i}", cloze(f"<div>{{{{c1::cloze {i}}}}} {img}</div>"), ctype="CLOZE")
    doc.write()


def test_a_sync_leaves_nothing_for_the_collector(col, tmp_path):
    # Fields through every HTML path: bs4's full parse (comments, tables,
    # entities), inline images with and without a parse tree. (Markdown:
    # tests/render/test_html.py.)
    _varied_library(tmp_path / "warm", 2, "1GcWarm0000000000001")
    run(col, tmp_path / "warm", tmp_path / "warm.sqlite")  # first imports and caches made
    _varied_library(tmp_path / "polar", 60, "1GcDoc00000000000001")
    was = gc.isenabled()
    gc.disable()  # as in Anki
    try:
        gc.collect()
        report = run(col, tmp_path / "polar", tmp_path / "state.sqlite")
        left = gc.collect()
    finally:
        if was:
            gc.enable()
    assert report.created == 120 and not report.errors, report.summary() if hasattr(report, "summary") else report
    assert left < 20, f"{left} objects only the collector frees, after 120 cards"
