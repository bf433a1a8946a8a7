"""Suite 4: hostile content and hostile paths, end to end into a real
collection.

Markup: every vector of xss_corpus in every text kind (HTML, TEXT,
MARKDOWN) and every position a sync copies (front, back, cloze text,
highlight text and revised text, comments, title, file name, URL, document,
card and deck tags). Afterwards no field of any note may hold an executable
construct: every ``<`` opens an allow-listed tag with allow-listed
attributes, links are http(s)/mailto only (after entity decoding), images
are plain media names; tags and deck names hold no markup or controls.

Paths: image names with ``..``, absolute paths, symlinks out of the data
dir, device files, FIFOs, a data dir that is itself a symlink, 2 GB sparse
files as image and as state.json. Nothing outside the data dir is opened
(an audit hook watches ``open``), size limits hold, every case is reported.
"""

from __future__ import annotations

import html as _html
import os
import re
import resource
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from addon.render.html import ALLOWED_TAGS
from addon.render.style import FIGURE_STYLE, IMG_STYLE, PRE_STYLE, PULLED_RULE, STYLES, TABLE_STYLE
from addon.sync.identity import guid_for
from tests.conftest import make_collection
from tests.polar_factory import Doc, basic
from tests.reliability.helpers import integrity_problems, run_sync, snapshot, tiny_png
from tests.reliability.xss_corpus import XSS_VECTORS

# The corpus holds an "<?xml ...?>" vector on purpose; bs4 warns about it.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")

KINDS = ("HTML", "TEXT", "MARKDOWN")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)((?:\s+[^\s=>\"'/]+(?:=\"[^\"]*\")?)*)\s*/?>")
_ATTR = re.compile(r"\s+([^\s=>\"'/]+)(?:=\"([^\"]*)\")?")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
_MEDIA_NAME = re.compile(r"^[^:/\\<>\"'\x00-\x1f]+$")
# The stock context block's own inline styles (render/style.py): constants
# the add-on writes, never anything from Polar (the rule's also pulled up).
OWN_STYLES = frozenset((*STYLES.values(), PULLED_RULE))
# What the sanitiser keeps of a user's style (render/inline_style.py), spelt
# out here on its own: colours as #hex (with a color-mix() of a #hex and
# CanvasText or transparent, and a light-dark() pair of #hex),
# weight, slant, underline/strike-through; nothing else.
_HEX = r"#[0-9a-f]{6}(?:[0-9a-f]{2})?"
_DECLARATION = (
    rf"(?:(?:color|background-color):(?:{_HEX}|light-dark\({_HEX},{_HEX}\)"
    rf"|color-mix\(in srgb,{_HEX} \d{{1,3}}%,(?:CanvasText|transparent)\))"
    r"|font-weight:(?:normal|bold|bolder|lighter|[1-9]00)|font-style:(?:normal|italic|oblique)"
    r"|text-decoration:(?:underline|line-through|underline line-through))"
)
USER_STYLE = re.compile(rf"{_DECLARATION}(?:;{_DECLARATION})*")
# A <pre>'s own scrolling (render/html.py), then maybe the user's style.
PRE_STYLE_KEPT = re.compile(rf"{re.escape(PRE_STYLE)}(?:;{USER_STYLE.pattern})?")
TABLE_STYLE_KEPT = re.compile(rf"{re.escape(TABLE_STYLE)}(?:;{USER_STYLE.pattern})?")
FIGURE_STYLE_KEPT = re.compile(rf"{re.escape(FIGURE_STYLE)}(?:;{USER_STYLE.pattern})?")


def executable_constructs(field: str) -> List[str]:
    """Why ``field`` could run code in Anki's web view ([] = it cannot).

    Strict and parser-independent: the sanitiser writes text ``<`` as
    ``&lt;``, so every raw ``<`` that a browser would take as markup must be
    a well-formed allow-listed tag."""
    found: List[str] = []
    pos = 0
    while True:
        at = field.find("<", pos)
        if at < 0:
            return found
        pos = at + 1
        nxt = field[at + 1: at + 2]
        if not (nxt.isalpha() or nxt in "!?/"):
            continue  # "< 3", "<=": text to a browser
        m = _TAG.match(field, at)
        if m is None:
            found.append(f"markup that is not a clean tag: {field[at: at + 60]!r}")
            continue
        name = m.group(2).lower()
        if name not in ALLOWED_TAGS and name != "font":
            found.append(f"tag <{name}>")
        for attr, value in _ATTR.findall(m.group(3)):
            attr = attr.lower()
            plain = _CONTROL.sub("", _html.unescape(value)).lower()
            if attr == "style" and (value in OWN_STYLES or USER_STYLE.fullmatch(value)
                                    or (name == "pre" and PRE_STYLE_KEPT.fullmatch(value))
                                    or (name == "table" and TABLE_STYLE_KEPT.fullmatch(value))
                                    or (name == "img" and value == IMG_STYLE)
                                    or (name == "figure" and FIGURE_STYLE_KEPT.fullmatch(value))):
                pass
            elif attr == "color" and name == "font" and re.fullmatch(r"#[0-9a-f]{6}", value):
                pass
            elif attr == "dir" and value == "auto":
                pass  # the block's highlight and comments: right-to-left text reads so
            elif attr == "data-polar-block" and name == "div" and re.fullmatch(r"[0-9a-f]{16}", value) \
                    and 'class="polar-context"' in m.group(3):
                pass  # the block's hash of itself: only on the block's own div, only a hash
            elif attr.startswith("on") or attr in ("style", "srcset", "srcdoc", "formaction", "action", "background"):
                found.append(f"attribute {attr} on <{name}>")
            elif attr == "href" and not re.match(r"(https?://|mailto:)", plain):
                found.append(f"href {value!r}")
            elif attr == "src" and not (_MEDIA_NAME.match(_html.unescape(value)) and ".." not in value):
                found.append(f"src {value!r}")
            elif attr == "class" and not re.fullmatch(r"[a-z -]+", value):
                found.append(f"class {value!r}")
            elif attr not in ("href", "src", "class", "title", "alt", "width", "height", "colspan", "rowspan") \
                    or name == "font":
                found.append(f"attribute {attr} on <{name}>")
        pos = m.end()


def test_detector_catches_what_it_must():
    assert executable_constructs('<p>ok <b>x</b> &lt;script&gt; <a href="https://a.example/">a</a></p>') == []
    assert executable_constructs('<img src="polar-0123.png" alt="x"> 1 < 2') == []
    own = STYLES["polar-context"]
    assert executable_constructs(f'<div class="polar-context" style="{own}">x</div>') == []
    assert executable_constructs(f'<div style="{own};background:url(x)">x</div>')
    kept = ('<span style="color:#00008b;color:color-mix(in srgb,#00008b 44%,CanvasText);'
            'color:light-dark(#00008b,#8585ff);font-weight:bold">x</span>')
    assert executable_constructs(kept + '<font color="#ff0000">y</font>') == []
    for bad in ['<span style="color:red">', '<span style="color:#ff0000;background:url(x)">',
                '<span style="color:light-dark(#ff0000,url(x))">', '<font color="red">', '<font face="x">',
                '<b color="#ff0000">', '<span style="color:#ff0000;">']:
        assert executable_constructs(bad), bad
    assert executable_constructs('<div class="polar-context" data-polar-block="0123456789abcdef">x</div>') == []
    for bad in ['<div data-polar-block="0123456789abcdef">', '<div class="polar-context" data-polar-block="x">',
                '<p class="polar-context" data-polar-block="0123456789abcdef">']:
        assert executable_constructs(bad), bad
    for bad in ["<script>x</script>", '<img src="x" onerror="y">', '<a href="java&#x09;script:x">',
                "<svg>", '<div style="x">', "<!-- c -->", "<img src=x onerror=y>", '<img src="a/../b.png">',
                '<a href="data:text/html,x">']:
        assert executable_constructs(bad), bad


def hostile_library(root: Path) -> Dict[str, int]:
    """One document per vector, holding it in every position and kind."""
    cards: Dict[str, int] = {}
    for v, vector in enumerate(XSS_VECTORS):
        fp = f"1Xss{v:04d}"
        doc = Doc(root, fp, vector, tags=[vector, f"deck:{vector}", f"/{vector}/x", "deck:XSS"])
        doc.meta["docInfo"]["filename"] = vector
        doc.meta["docInfo"]["url"] = vector if v % 2 else "javascript:alert(1)"
        page = doc.page(1)
        for k, kind in enumerate(KINDS):
            hid = f"{fp}h{k}"
            doc.text_highlight(hid, vector)
            page["textHighlights"][hid]["text"] = {kind: vector}
            if k == 1:
                page["textHighlights"][hid]["revisedText"] = {kind: f"revised {vector}"}
            page["comments"][f"{hid}c"] = {"id": f"{hid}c", "content": {kind: vector}, "ref": f"text-highlight:{hid}"}
            doc.card(f"{fp}b{k}", basic(vector, vector, kind=kind), ref=f"text-highlight:{hid}", tags=[vector])
            doc.card(f"{fp}c{k}", {"text": {kind: f"{vector} {{{{c1::{vector}}}}} {{{{c2::safe}}}}"}}, "CLOZE",
                     ref=f"text-highlight:{hid}")
            doc.card(f"{fp}r{k}", basic(f"reverse {vector}", vector, kind=kind), "BASIC_FRONT_BACK_AND_REVERSE")
        cards[fp] = 9
        doc.write()
    return cards


@pytest.mark.parametrize("lang", ["en_US", "de_DE"])  # stock types (context in Back) and own types (own fields)
def test_xss_corpus_in_every_position_and_kind(tmp_path, lang):
    lib = tmp_path / "lib"
    expected = hostile_library(lib)
    col = make_collection(tmp_path / "col" / "collection.anki2", lang)
    try:
        for model in col.models.all():  # users' templates may show tags and decks
            for tmpl in model["tmpls"]:
                tmpl["qfmt"] += "<div>{{Tags}} {{Deck}} {{Subdeck}}</div>"
            col.models.update_dict(model)
        report = run_sync(col, lib, tmp_path / "state.sqlite")
        snap = snapshot(col)
        # Most cards land (a vector that sanitises to nothing leaves an
        # empty front, which is reported, never synced as an empty card).
        assert len(snap) >= 0.8 * sum(expected.values()), report.errors[:5]
        for err in report.errors:
            assert err["path"].startswith("1Xss") and ("empty" in err["message"] or "cloze" in err["message"])
        problems = []
        for guid, (_, fields, tags, decks, _) in snap.items():
            for i, value in enumerate(fields):
                for why in executable_constructs(value):
                    problems.append(f"{guid} field {i}: {why}")
            for tag in tags:
                if re.search(r"[<>\"\s\x00-\x1f]", tag):
                    problems.append(f"{guid} tag {tag!r}")
            for deck in decks:
                if re.search(r"[<>\x00-\x1f]", deck):
                    problems.append(f"{guid} deck {deck!r}")
        assert problems == [], problems[:20]
        # Anki's own rendering (templates + fields; {{Tags}} and {{Deck}} are
        # inserted unescaped by Anki, see above): no injected tag survives.
        for cid in col.find_cards(""):
            card = col.get_card(cid)
            for rendered in (card.question(), card.answer()):
                rendered = re.sub(r"<style>.*?</style>", "", rendered, flags=re.S)
                for tag in re.findall(r"<[^>]*>", rendered):
                    low = tag.lower()
                    assert not re.search(r"<\s*/?\s*(script|svg|iframe|object|embed|math|style)|[\s/]on\w+\s*="
                                         r"|javascript:|vbscript:|data:", low), (tag, rendered)
        assert integrity_problems(col) == []
    finally:
        col.close()
    print(f"\n{len(XSS_VECTORS)} XSS vectors x {len(KINDS)} kinds x positions: {len(snap)} notes checked ({lang})")


# --------------------------------------------------------------------------
# paths

OPENED: List[str] = []
_WATCH = {"on": False}


def _audit(event: str, args: Any) -> None:
    if _WATCH["on"] and event == "open" and args and isinstance(args[0], (str, bytes, os.PathLike)):
        OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


def area_card_doc(root: Path, fp: str, image_name: str) -> Doc:
    doc = Doc(root, fp, f"doc {fp}")
    hid = f"{fp}h"
    doc.page(1)["areaHighlights"][hid] = {
        "id": hid, "image": {"id": hid, "type": "image/png", "src": {"backend": "image", "name": image_name}},
    }
    doc.card(f"{fp}c", basic(f"front {fp}", "back"), ref=f"area-highlight:{hid}")
    doc.write()
    return doc


def test_hostile_paths_stay_inside_the_data_dir(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret_png = tiny_png(424242)
    (outside / "secret.png").write_bytes(secret_png)
    Doc(outside, "1OutsideDoc", "outside").card("1SecretCard", basic("secret", "secret")).write()
    real = tmp_path / "real-data"
    images = real / "files" / "image"
    images.mkdir(parents=True)
    (images / "good.png").write_bytes(tiny_png(1))
    (images / "link-in.png").symlink_to(images / "good.png")  # a symlink that stays inside: fine
    (images / "link-out.png").symlink_to(outside / "secret.png")
    (images / "zero.png").symlink_to("/dev/zero")
    (images / "null.png").symlink_to("/dev/null")
    os.mkfifo(images / "fifo.png")  # reading it would block forever
    with open(images / "sparse.png", "wb") as fh:  # 2 GB, no disk used
        fh.write(b"\x89PNG\r\n\x1a\n")
        fh.truncate(2 * 1024**3)
    (images / "dir.png").mkdir()

    cases = {
        "1Good": "good.png",
        "1LinkIn": "link-in.png",
        "1DotDot": "../../../outside/secret.png",
        "1DotDotPlain": "..",
        "1Absolute": str(outside / "secret.png"),
        "1Backslash": "..\\..\\outside\\secret.png",
        "1Drive": "C:secret.png",
        "1LinkOut": "link-out.png",
        "1Zero": "zero.png",
        "1Null": "null.png",
        "1Fifo": "fifo.png",
        "1Sparse": "sparse.png",
        "1Dir": "dir.png",
        "1Nul": "good.png\x00.txt",
        "1Missing": "missing.png",
    }
    for fp, name in cases.items():
        area_card_doc(real, fp, name)
    # Documents whose state.json is not a plain file inside the data dir.
    (real / "1StateOut").symlink_to(outside / "1OutsideDoc")  # a whole document folder outside
    (real / "1StateLink").mkdir()
    (real / "1StateLink" / "state.json").symlink_to(outside / "1OutsideDoc" / "state.json")
    (real / "1StateZero").mkdir()
    (real / "1StateZero" / "state.json").symlink_to("/dev/zero")
    (real / "1StateFifo").mkdir()
    os.mkfifo(real / "1StateFifo" / "state.json")
    (real / "1StateSparse").mkdir()
    with open(real / "1StateSparse" / "state.json", "wb") as fh:
        fh.write(b'{"docInfo": {"title": "x"}, "pageMetas": {')
        fh.truncate(2 * 1024**3)
    # The configured data dir is itself a symlink: reading its target is fine.
    data = tmp_path / "polar-link"
    data.symlink_to(real)

    col = make_collection(tmp_path / "col" / "collection.anki2")
    try:
        OPENED.clear()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        _WATCH["on"] = True
        try:
            report = run_sync(col, data, tmp_path / "state.sqlite", max_image_bytes=1024 * 1024)
        finally:
            _WATCH["on"] = False
        snap = snapshot(col)
        media = Path(col.media.dir())
        # Nothing outside the data dir was opened, no device, no FIFO, no giant.
        # (The 2 GB state.json may be opened: its size is checked on the open
        # file, so a swap between check and read cannot slip a giant through.)
        bad_opens = [p for p in OPENED if os.path.realpath(p).startswith(str(outside.resolve()))
                     or p.startswith("/dev/") or p.endswith(("fifo.png", "sparse.png", "1StateFifo/state.json"))]
        assert bad_opens == [], bad_opens
        grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
        assert grown_mb < 500, f"peak memory grew by {grown_mb:.0f} MB: a giant file was read"
        sparse_state = [e["message"] for e in report.errors if e["path"].startswith("1StateSparse")]
        assert sparse_state and "limit" in sparse_state[0], report.errors
        assert guid_for("1SecretCard") not in snap
        assert not any(f.read_bytes() == secret_png for f in media.iterdir() if f.is_file())
        # Every image case: the card lands; only the two good images are attached.
        for fp in cases:
            assert guid_for(f"{fp}c") in snap, fp
            back = snap[guid_for(f"{fp}c")][1][1]
            assert ("<img" in back) == (fp in ("1Good", "1LinkIn")), (fp, back)
        # ... and every refused one is reported, naming the document.
        warned = {w["path"].split("/")[0] for w in report.warnings}
        assert set(cases) - {"1Good", "1LinkIn"} <= warned, report.warnings
        sparse = [w["message"] for w in report.warnings if w["path"].startswith("1Sparse")]
        assert sparse and "limit" in sparse[0]
        # Unusable state.json files are reported as errors, never read.
        failed = {e["path"].split("/")[0] for e in report.errors}
        assert {"1StateOut", "1StateLink", "1StateZero", "1StateFifo", "1StateSparse"} <= failed, report.errors
        assert integrity_problems(col) == []
    finally:
        col.close()
