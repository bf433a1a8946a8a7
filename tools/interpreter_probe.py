#!/usr/bin/env python3
"""Could a second interpreter take part of a first sync's Python work?

Everything the sync does in Python runs under Anki's one GIL, and Anki's
packaged builds ship no interpreter to start a second process with
(docs/performance.md, "Twenty-first round"). From Python 3.12 on, an
isolated subinterpreter has a GIL of its own and runs on the other core in
the same process; Anki 25.07 and later run Python 3.13. This probe measures
the first step such a design would take: the parse of every DocMeta of a
library (``parse_docmeta``, as ``read.read_document`` calls it), once in
this interpreter and once split between it and a subinterpreter.

What it shows, and a design must live with:

* orjson refuses to load in a subinterpreter: the second interpreter parses
  with ``json`` (``docmeta`` falls back to it by itself);
* objects cannot cross: the subinterpreter's documents come back as plain
  tuples through ``marshal`` and are rebuilt here (``pickle`` of the
  documents themselves cost about as much as the parse it saved);
* the add-on's package ``__init__`` (Anki's hooks, ``aqt``) must not run
  there: the package is put in ``sys.modules`` as an empty module.

    .venv313/bin/python tools/interpreter_probe.py LIBRARY [--share 0.4]

(LIBRARY: a Polar data folder, e.g. one made by tools/synthetic_library.py.)
"""

from __future__ import annotations

import argparse
import gc
import marshal
import statistics
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from addon.polar.docmeta import Comment, Document, Flashcard, Highlight, Text, parse_docmeta  # noqa: E402
from addon.polar.library import DataDirSource  # noqa: E402
from addon.render.card import RenderedCard, render_card  # noqa: E402
from addon.render.context import Context  # noqa: E402
from addon.render.media import MediaFile  # noqa: E402
from addon.settings import Settings, load_defaults  # noqa: E402

# Run in the subinterpreter: the add-on's package goes in as an empty module
# (its __init__ is Anki's hooks), then this file's own functions do the work.
_SETUP = """
import gc, sys, types
gc.disable()  # (each interpreter has its collector; the sync runs with it off)
sys.path[:0] = [ROOT, ROOT + "/tools"]
package = types.ModuleType("addon")
package.__path__ = [ROOT + "/addon"]
sys.modules["addon"] = package
from interpreter_probe import parse_to
"""


def flat_doc(d: Document) -> Tuple[Any, ...]:
    """``d`` as plain tuples and dicts, which marshal carries (``_rebuilt`` undoes it)."""
    return (d.fingerprint, d.title, d.filename, d.url, d.tags, d.archived, d.nr_pages,
            tuple((c[0], c[1], {k: tuple(v) for k, v in c[2].items()}, *c[3:]) for c in d.flashcards),
            {k: (*h[:3], None if h[3] is None else tuple(h[3]), *h[4:]) for k, h in d.highlights.items()},
            tuple((*c[:4], None if c[4] is None else tuple(c[4]), c[5]) for c in d.comments),
            d.problems, d.added)


def flat_card(rc: RenderedCard) -> Tuple[Any, ...]:
    """``rc`` as plain tuples (``_card_rebuilt`` undoes it)."""
    return (*rc[:4], tuple(rc.context), rc.tags, tuple(tuple(m) for m in rc.media), *rc[7:])


def parse_to(paths: Sequence[str], dest: str, library: str, render: bool) -> None:
    """(The subinterpreter.) ``Work`` on ``paths``, marshal'd into ``dest``."""
    out = [(flat_doc(doc), [flat_card(c) for c in cards]) for doc, cards in Work(Path(library), render).each(paths)]
    with open(dest, "wb") as f:
        f.write(marshal.dumps(out))


_text = partial(tuple.__new__, Text)
_card = partial(tuple.__new__, Flashcard)
_highlight = partial(tuple.__new__, Highlight)
_comment = partial(tuple.__new__, Comment)
_rendered_card = partial(tuple.__new__, RenderedCard)
_context = partial(tuple.__new__, Context)
_media = partial(tuple.__new__, MediaFile)


def _rebuilt(t: Sequence[Any]) -> Document:
    cards = tuple(_card((c[0], c[1], {k: _text(v) for k, v in c[2].items()}, *c[3:])) for c in t[7])
    highlights = {k: _highlight((*h[:3], None if h[3] is None else _text(h[3]), *h[4:])) for k, h in t[8].items()}
    comments = tuple(_comment((*c[:4], None if c[4] is None else _text(c[4]), c[5])) for c in t[9])
    return Document(t[0], t[1], t[2], t[3], t[4], t[5], t[6], cards, highlights, comments, t[10], t[11])


def _card_rebuilt(t: Sequence[Any]) -> RenderedCard:
    return _rendered_card((*t[:4], _context(t[4]), t[5], tuple(_media(m) for m in t[6]), *t[7:]))


class Work:
    """The parse (and with ``render`` every card's rendering) of some documents."""

    def __init__(self, library: Path, render: bool) -> None:
        self.render = render
        self.settings = Settings.from_dict(dict(load_defaults(), data_dir=str(library)))[0]
        self.source = DataDirSource(library)

    def load(self, name: str) -> bytes:
        return self.source.read_image(name, self.settings.max_image_bytes)

    def each(self, paths: Sequence[str]) -> Iterator[Tuple[Document, List[RenderedCard]]]:
        for p in paths:
            with open(p, "rb") as f:
                doc = parse_docmeta(f.read(), p.split("/")[-2])
            yield doc, [render_card(doc, c, self.load, self.settings) for c in doc.flashcards] if self.render else []

    def __call__(self, paths: Sequence[str]) -> List[Tuple[Document, List[RenderedCard]]]:
        return list(self.each(paths))


def _unpacked(data: bytes) -> List[Tuple[Document, List[RenderedCard]]]:
    return [(_rebuilt(d), [_card_rebuilt(c) for c in cards]) for d, cards in marshal.loads(data)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("library", type=Path)
    ap.add_argument("--share", type=float, default=0.4, help="the subinterpreter's share of the documents")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--render", action="store_true", help="also render every card (render_card), as a first sync does")
    args = ap.parse_args()
    if sys.version_info < (3, 13):
        raise SystemExit("this probe needs Python 3.13 (Anki 25.07 and later run it): its _interpreters module")
    import _interpreters  # type: ignore[import-not-found]  # (private in 3.13; concurrent.interpreters in 3.14)

    paths = sorted(str(p) for p in args.library.glob("*/state.json"))
    if not paths:
        raise SystemExit(f"{args.library}: no */state.json")
    dest = Path(tempfile.mkdtemp()) / "docs.marshal"
    interp = _interpreters.create()
    failed = _interpreters.exec(interp, f"ROOT = {str(ROOT)!r}\n" + _SETUP)
    if failed:
        raise SystemExit(f"the subinterpreter could not load the parser: {failed.formatted}")
    k = len(paths) - int(len(paths) * args.share)
    work = Work(args.library, args.render)
    result: Dict[str, Any] = {}

    def in_sub() -> None:
        _interpreters.set___main___attrs(interp, {"PATHS": tuple(paths[k:]), "DEST": str(dest),
                                                  "LIBRARY": str(args.library), "RENDER": args.render})
        result["failed"] = _interpreters.exec(interp, "parse_to(PATHS, DEST, LIBRARY, RENDER)")

    one: List[float] = []
    two: List[Tuple[float, float, float]] = []
    gc.disable()  # as the sync runs (addon.sync.gcpause)
    try:
        for _ in range(args.reps):
            t = time.perf_counter()
            alone = work(paths)
            one.append(time.perf_counter() - t)
            del alone
            t = time.perf_counter()
            helper = threading.Thread(target=in_sub)
            helper.start()
            mine = work(paths[:k])
            own = time.perf_counter() - t
            helper.join()
            if result.get("failed"):
                raise SystemExit(f"the subinterpreter failed: {result['failed'].formatted}")
            waited = time.perf_counter() - t
            theirs = _unpacked(dest.read_bytes())
            two.append((time.perf_counter() - t, own, waited))
            if len(mine) + len(theirs) != len(paths):
                raise SystemExit("documents went missing")
            del mine, theirs
            gc.collect()
        check = work(paths[k:])
        theirs = _unpacked(dest.read_bytes())
        if check != theirs:
            raise SystemExit("the subinterpreter's documents differ from this interpreter's")
    finally:
        gc.enable()
        _interpreters.destroy(interp)
    a = statistics.median(one)
    b = statistics.median(x[0] for x in two)
    what = "parse and render" if args.render else "parse"
    print(f"{len(paths)} documents ({what}), Python {sys.version.split()[0]}, "
          f"the subinterpreter's share {args.share:.0%}")
    print(f"one interpreter (orjson):                 {a:.3f} s")
    print(f"two (the other with json, marshal back):  {b:.3f} s = {b / a:.2f} x "
          f"(this one's share parsed at {statistics.median(x[1] for x in two):.3f} s, "
          f"both at {statistics.median(x[2] for x in two):.3f} s)")


if __name__ == "__main__":
    main()
