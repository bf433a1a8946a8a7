"""Suite 1: fuzzing the reader and the planner with broken Polar documents.

Real documents (tools/sample_library, ../shared/polar-samples when present)
are mutated the ways real files break (truncated writes, wrong encodings,
wrong types at any depth, absurd sizes, ids that collide or point nowhere)
and synced, together with intact documents, into a real collection.

Properties, for every library:
* the sync never raises;
* a document that cannot be read is named in ``report.errors`` and none of
  its cards lands; a damaged document may lose cards only if the report names
  it (no silent loss);
* the intact documents land exactly as a clean sync lands them;
* a second sync changes nothing, and Check Database finds nothing to repair.
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from addon.polar.docmeta import DocMetaError, parse_docmeta
from addon.render.card import render_card
from addon.settings import Settings
from addon.sync.identity import guid_for
from tests.polar_factory import SAMPLE_LIBRARY, SHARED_SAMPLES
from tests.reliability.helpers import (
    RELIABLE,
    card_ids_of,
    errors_naming,
    integrity_problems,
    rename_cards,
    run_sync,
    scratch_collection,
    snapshot,
    write_doc,
)


def _bases() -> List[Tuple[str, bytes]]:
    found = [(p.parent.name, p.read_bytes()) for p in sorted(SAMPLE_LIBRARY.glob("*/state.json"))]
    if SHARED_SAMPLES.is_dir():
        found += [(p.stem, p.read_bytes()) for p in sorted(SHARED_SAMPLES.glob("*.json"))]
    return found


BASES = _bases()
# Documents with flashcards are where loss can happen: fuzz them more often.
WEIGHTED = [i for i, (_, raw) in enumerate(BASES) for _ in range(4 if card_ids_of(raw) else 1)]

# --------------------------------------------------------------------------
# mutations

HUGE = "x" * 300_000
# Not null and not {}: those are Polar's own "empty" and may legitimately
# remove cards (see the "emptied" mutation).
WRONG_VALUES: List[Any] = [
    0, -1, 2**63 - 1, 1.5, 1e308, True, False, "", "text", "\x00nul\x00", "\ud7ff\ufffe",
    HUGE, [], [1, "a", None], {"HTML": 5}, {"TEXT": ["x"]}, {"1": [], "2": 3},
]


DEEP = "@@deep@@"  # placeholder: Python's json cannot write 1000 levels, so they are spliced in


def deep_json(kind: str, depth: int) -> bytes:
    if kind == "list":
        return b"[" * depth + b'"bottom"' + b"]" * depth
    return b'{"pageMetas":' * depth + b'{"HTML":"bottom"}' + b"}" * depth


def paths(obj: Any, prefix: Tuple[Any, ...] = ()) -> List[Tuple[Any, ...]]:
    """Every location in a JSON tree (the root excluded)."""
    out: List[Tuple[Any, ...]] = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append(prefix + (k,))
            out += paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append(prefix + (i,))
            out += paths(v, prefix + (i,))
    return out


def ordinal_paths(obj: Any, prefix: Tuple[int, ...] = ()) -> List[Tuple[int, ...]]:
    """Like ``paths`` but by position, so it survives renamed card ids."""
    out: List[Tuple[int, ...]] = []
    children = list(obj.values()) if isinstance(obj, dict) else obj if isinstance(obj, list) else []
    for i, v in enumerate(children):
        out.append(prefix + (i,))
        out += ordinal_paths(v, prefix + (i,))
    return out


def set_at_ordinal(obj: Any, path: Tuple[int, ...], value: Any) -> None:
    for i in path[:-1]:
        obj = list(obj.values())[i] if isinstance(obj, dict) else obj[i]
    if isinstance(obj, dict):
        obj[list(obj)[path[-1]]] = value
    else:
        obj[path[-1]] = value


def set_at(obj: Any, path: Tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value


def delete_at(obj: Any, path: Tuple[Any, ...]) -> None:
    for key in path[:-1]:
        obj = obj[key]
    del obj[path[-1]]


def dumps(obj: Any, deep: bytes = b"") -> bytes:
    # Lone surrogates from WRONG_VALUES are written escaped, as a JS writer would.
    data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
    return data.replace(json.dumps(DEEP).encode(), deep) if deep else data


def page_maps(obj: Any) -> List[Tuple[str, str]]:
    pages = obj.get("pageMetas") if isinstance(obj, dict) else None
    found = []
    if isinstance(pages, dict):
        for num, page in pages.items():
            if isinstance(page, dict):
                found += [(num, k) for k, v in page.items() if isinstance(v, dict)]
    return found


# Each mutation: (name, expectation, fn(raw bytes, decoded obj, rng) -> bytes).
#   FATAL   the file must be refused as a whole (named in errors, nothing lands)
#   STRICT  a card may go missing only if the report names the document
#   LENIENT the result may be a valid document with fewer cards (a key
#           deleted, a map set to null or {}): only the global properties hold
FATAL, STRICT, LENIENT = "fatal", "strict", "lenient"
Mutation = Tuple[str, str, Callable[[bytes, Any, random.Random], bytes]]


def _truncate(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    raw = raw.rstrip()
    return raw[: rng.randrange(0, len(raw))]


def _insert(junk: bytes) -> Callable[[bytes, Any, random.Random], bytes]:
    def mutate(raw: bytes, obj: Any, rng: random.Random) -> bytes:
        at = rng.randrange(0, len(raw) + 1)
        return raw[:at] + junk + raw[at:]

    return mutate


def get_at(obj: Any, path: Tuple[Any, ...]) -> Any:
    for key in path:
        obj = obj[key]
    return obj


def wrong_value(obj: Any, path: Tuple[Any, ...], rng: random.Random) -> Any:
    """A value of another type than the one at ``path``. Same-type swaps are
    not damage: another *string* in an "id" is a new identity (what a Polar
    edit does), another map in place of a map is a valid, different document."""
    old = get_at(obj, path)
    pool = [v for v in WRONG_VALUES if type(v) is not type(old)]
    if path[-1] == "id":
        pool = [v for v in pool if not isinstance(v, str)]
    return copy.deepcopy(rng.choice(pool))


def _wrong_type(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    path = rng.choice(paths(obj))
    set_at(obj, path, wrong_value(obj, path, rng))
    return dumps(obj)


def _wrong_types_everywhere(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    where = paths(obj)
    for path in rng.sample(where, min(len(where), rng.randint(2, 12))):
        try:
            set_at(obj, path, wrong_value(obj, path, rng))
        except (KeyError, IndexError, TypeError):
            pass  # an ancestor was replaced already
    return dumps(obj)


def _emptied(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    set_at(obj, rng.choice(paths(obj)), rng.choice([None, {}]))
    return dumps(obj)


def _drop_key(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    delete_at(obj, rng.choice(paths(obj)))
    return dumps(obj)


def _nest(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    # Up to past orjson's 1024-level limit (then the whole file is refused).
    set_at(obj, rng.choice(paths(obj)), DEEP)
    return dumps(obj, deep_json(rng.choice(["list", "dict"]), rng.choice([50, 400, 1000, 3000])))


def _pages_as_array(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    pages = obj.get("pageMetas")
    if isinstance(pages, dict):
        obj["pageMetas"] = list(pages.values())
    return dumps(obj)


def _maps_as_arrays(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    found = page_maps(obj)
    for num, key in rng.sample(found, min(len(found), rng.randint(1, 4))):
        page = obj["pageMetas"][num]
        page[key] = list(page[key].values())
    return dumps(obj)


def _numbers_for_maps(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    targets = [("docInfo",), ("pageMetas",), ("docInfo", "tags")]
    targets += [("pageMetas", num, key) for num, key in page_maps(obj)]
    set_at(obj, rng.choice(targets), rng.choice([0, 7, -3.5]))
    return dumps(obj)


def _refs_to_nowhere(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    nowhere = ["text-highlight:nowhere", "area-highlight:", ":", "", "page:-9", "comment:x:y", 42, None]
    for path in paths(obj):
        if path[-1] == "ref":
            set_at(obj, path, rng.choice(nowhere))
    return dumps(obj)


def _duplicate_across_pages(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    """Copy a flashcard (same id) onto another page, with other content."""
    pages = obj.get("pageMetas")
    cards = [(num, cid) for num, key in page_maps(obj) if key == "flashcards" for cid in pages[num]["flashcards"]]
    if cards:
        num, cid = rng.choice(cards)
        clone = copy.deepcopy(pages[num]["flashcards"][cid])
        clone["fields"] = {"front": {"HTML": "impostor"}, "back": {"HTML": "impostor"}}
        target = pages.setdefault(str(rng.randint(1, 5)), {})
        if isinstance(target, dict):
            flash = target.setdefault("flashcards", {})
            if isinstance(flash, dict):
                flash[cid] = clone
    return dumps(obj)


def _huge_strings(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    for path in paths(obj):
        if path[-1] in ("title", "HTML", "TEXT", "label") and rng.random() < 0.5:
            set_at(obj, path, "<b>huge</b> " + HUGE)
    return dumps(obj)


def _reencode(encoding: str) -> Callable[[bytes, Any, random.Random], bytes]:
    def mutate(raw: bytes, obj: Any, rng: random.Random) -> bytes:
        return raw.decode("utf-8").encode(encoding)

    return mutate


def _replace_root(raw: bytes, obj: Any, rng: random.Random) -> bytes:
    return rng.choice([b"[]", b"0", b"null", b'"text"', b"[" * 5000, b"{}", b'{"docInfo": 3}', b" \n\t "])


MUTATIONS: List[Mutation] = [
    ("truncated", FATAL, _truncate),
    ("invalid-utf8", FATAL, _insert(b"\xff\xfe")),
    ("overlong-utf8", FATAL, _insert(b"\xc0\xaf")),
    ("nul-byte", FATAL, _insert(b"\x00")),
    ("double-bom", FATAL, lambda raw, obj, rng: b"\xef\xbb\xbf\xef\xbb\xbf" + raw),
    ("utf-16", FATAL, _reencode("utf-16")),
    ("utf-32-le", FATAL, _reencode("utf-32-le")),
    ("root-replaced", FATAL, _replace_root),
    ("bom", STRICT, lambda raw, obj, rng: b"\xef\xbb\xbf" + raw),
    ("wrong-type", STRICT, _wrong_type),
    ("wrong-types", STRICT, _wrong_types_everywhere),
    ("deep-nesting", LENIENT, _nest),  # a deep *map* is a valid shape with other content
    ("pages-as-array", STRICT, _pages_as_array),
    ("maps-as-arrays", STRICT, _maps_as_arrays),
    ("numbers-for-maps", STRICT, _numbers_for_maps),
    ("refs-to-nowhere", STRICT, _refs_to_nowhere),
    ("duplicate-across-pages", STRICT, _duplicate_across_pages),
    ("huge-strings", STRICT, _huge_strings),
    ("emptied", LENIENT, _emptied),
    ("drop-key", LENIENT, _drop_key),
]


# --------------------------------------------------------------------------
# the reference: every base document intact, synced alone


@pytest.fixture(scope="module")
def reference() -> Dict[str, Any]:
    """For each base document, the card ids a clean sync lands, and the
    snapshot of the intact copies ("-ok" suffix) every fuzzed library holds."""
    with scratch_collection() as (col, root):
        lib = root / "lib"
        for i, (_, raw) in enumerate(BASES):
            write_doc(lib, f"good{i:02d}", rename_cards(raw, "ok"))
        report = run_sync(col, lib, root / "state.sqlite")
        landed = set(snapshot(col))
        per_base = {
            i: [cid for cid in card_ids_of(raw) if guid_for(cid + "ok") in landed]
            for i, (_, raw) in enumerate(BASES)
        }
        assert sum(len(v) for v in per_base.values()) == report.created > 0
        return {"landed": per_base, "good": snapshot(col)}


def sync_fuzzed(reference: Dict[str, Any], docs: List[Tuple[int, Mutation, int]]) -> int:
    """Write the intact bases plus one mutated copy per entry of ``docs``,
    sync twice and check every property. Returns how many documents were fuzzed."""
    with scratch_collection() as (col, root):
        lib = root / "lib"
        for i, (_, raw) in enumerate(BASES):
            write_doc(lib, f"good{i:02d}", rename_cards(raw, "ok"))
        fuzzed: Dict[str, Tuple[int, str, str]] = {}
        what: Dict[str, str] = {}  # for failure messages: which mutation made each file
        for n, (base, (name, expect, fn), seed) in enumerate(docs):
            suffix = f"z{n}"
            raw = rename_cards(BASES[base][1], suffix)
            data = fn(raw, json.loads(raw), random.Random(seed))
            key = f"fuzz{n:03d}"
            write_doc(lib, key, data)
            fuzzed[key] = (base, suffix, expect)
            what[key] = f"{name} of {BASES[base][0]} (seed {seed}), {len(data)} bytes"

        report = run_sync(col, lib, root / "state.sqlite")
        snap = snapshot(col)
        for key, (base, suffix, expect) in fuzzed.items():
            named = errors_naming(report, key)
            mine = {guid_for(cid + suffix) for cid in card_ids_of(BASES[base][1])}
            if expect == FATAL:
                assert [e["path"] for e in named] == [f"{key}/state.json"], (what[key], report.errors)
                assert not mine & set(snap), f"{what[key]}: cards of an unreadable file landed"
                continue
            if expect == LENIENT:
                continue
            lost = [cid for cid in reference["landed"][base] if guid_for(cid + suffix) not in snap]
            assert not lost or named, f"{what[key]}: cards {lost} vanished without an error naming the document"
        # The intact documents land exactly as they do alone.
        good = {g: v for g, v in snap.items() if g in reference["good"]}
        assert good == reference["good"]
        assert not [e for e in report.errors if e["path"].startswith("good")], report.errors

        again = run_sync(col, lib, root / "state.sqlite")
        assert not again.changed, again.to_dict()
        assert snapshot(col) == snap
        assert integrity_problems(col) == []
        return len(docs)


def doc_specs(per_example: int) -> st.SearchStrategy[List[Tuple[int, Mutation, int]]]:
    return st.lists(
        st.tuples(st.sampled_from(WEIGHTED), st.sampled_from(MUTATIONS), st.integers(0, 2**32 - 1)),
        min_size=per_example, max_size=per_example,
    )


FUZZED = {"fast": 0, "slow": 0}


@hsettings(RELIABLE, max_examples=25)
@given(docs=doc_specs(8))
def test_fuzzed_library_syncs(reference, docs):
    FUZZED["fast"] += sync_fuzzed(reference, docs)


@pytest.mark.slow
@hsettings(RELIABLE, max_examples=420)
@given(docs=doc_specs(24))
def test_fuzzed_library_syncs_10k(reference, docs):
    FUZZED["slow"] += sync_fuzzed(reference, docs)


@pytest.mark.slow
def test_slow_run_covered_10k_documents():
    # Runs after the property above (file order); guards the figure.
    assert FUZZED["slow"] >= 10_000, FUZZED


def test_every_mutation_kind_on_every_base(reference):
    """Deterministic sweep: each mutation once on each base document."""
    docs = [(b, m, 1000 * b + k) for b in range(len(BASES)) for k, m in enumerate(MUTATIONS)]
    for start in range(0, len(docs), 60):
        sync_fuzzed(reference, docs[start: start + 60])


def test_wrong_type_at_every_location(reference):
    """Every location of a card-holding sample, replaced by a number and by
    an array: the sync names the document whenever one of its cards is lost."""
    base = next(i for i, (name, _) in enumerate(BASES) if name == "1SpacedRepetitionIntro0a")
    raw = BASES[base][1]
    locations = ordinal_paths(json.loads(raw))

    def at(path: Tuple[int, ...], value: Any) -> Mutation:
        def mutate(raw: bytes, obj: Any, rng: random.Random) -> bytes:
            set_at_ordinal(obj, path, value)
            return dumps(obj)

        return (f"{value!r} at {path}", STRICT, mutate)

    docs = [(base, at(p, v), 0) for p in locations for v in (7, ["x"])]
    assert len(docs) >= 300
    for start in range(0, len(docs), 170):
        sync_fuzzed(reference, docs[start: start + 170])


# --------------------------------------------------------------------------
# the reader alone, on generated JSON (cheap, many examples)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)


def shaped(value: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Either the right shape or any JSON value: wrong types at every level."""
    return st.one_of(value, json_values)


text_obj = shaped(st.dictionaries(st.sampled_from(["HTML", "TEXT", "MARKDOWN", "html"]), shaped(st.text()),
                                  max_size=2))
flashcard = shaped(st.fixed_dictionaries({
    "id": shaped(st.text(min_size=1, max_size=12)),
    "type": shaped(st.sampled_from(["BASIC_FRONT_BACK", "CLOZE", "BASIC_FRONT_BACK_AND_REVERSE", "X"])),
    "fields": shaped(st.dictionaries(st.sampled_from(["front", "back", "text", "Front", "extra"]), text_obj,
                                     max_size=3)),
    "ref": shaped(st.sampled_from(["text-highlight:h1", "area-highlight:a1", "page:1", "nowhere", ""])),
    "tags": shaped(st.dictionaries(st.text(max_size=10), shaped(st.fixed_dictionaries({"label": shaped(
        st.text(max_size=10))})), max_size=3)),
}))
page = shaped(st.fixed_dictionaries({
    "pageInfo": shaped(st.fixed_dictionaries({"num": shaped(st.integers(-2, 5))})),
    "flashcards": shaped(st.dictionaries(st.text(max_size=6), flashcard, max_size=3)),
    "textHighlights": shaped(st.dictionaries(st.sampled_from(["h1", "h2"]), shaped(st.fixed_dictionaries({
        "id": shaped(st.sampled_from(["h1", "h2"])), "text": text_obj, "revisedText": text_obj,
        "flashcards": shaped(st.dictionaries(st.text(max_size=6), flashcard, max_size=2)),
    })), max_size=2)),
    "areaHighlights": shaped(st.dictionaries(st.just("a1"), shaped(st.fixed_dictionaries({
        "image": shaped(st.fixed_dictionaries({"src": shaped(st.fixed_dictionaries({"name": shaped(st.sampled_from(
            ["../../etc/passwd", "/etc/passwd", "x.png", "", ".."]))}))}))})), max_size=1)),
    "comments": shaped(st.dictionaries(st.text(max_size=4), shaped(st.fixed_dictionaries({
        "content": text_obj, "ref": shaped(st.sampled_from(["text-highlight:h1", "x"]))})), max_size=2)),
}))
docmeta = shaped(st.fixed_dictionaries({
    "docInfo": shaped(st.fixed_dictionaries({
        "title": shaped(st.text(max_size=30)), "tags": shaped(st.dictionaries(st.text(max_size=10), shaped(
            st.fixed_dictionaries({"label": shaped(st.text(max_size=12))})), max_size=3)),
        "nrPages": shaped(st.integers()), "archived": shaped(st.booleans()), "url": shaped(st.text(max_size=20)),
    })),
    "pageMetas": shaped(st.dictionaries(st.sampled_from(["1", "2", "x", "-1", ""]), page, max_size=3)),
}))


def _no_image(name: str) -> bytes:
    raise FileNotFoundError(name)


@hsettings(RELIABLE, max_examples=400)
@given(raw=docmeta)
def test_reader_and_renderer_never_raise_on_generated_docmeta(raw):
    for data in (raw, dumps(raw)):
        try:
            doc = parse_docmeta(data, "fp")
        except DocMetaError:
            continue
        for card in doc.flashcards:
            rc = render_card(doc, card, _no_image, Settings())
            assert rc.error or rc.front.strip()


@hsettings(RELIABLE, max_examples=300)
@given(data=st.binary(max_size=200) | st.builds(lambda p, b: p + b, st.sampled_from([b"{", b'{"docInfo":',
       b'{"pageMetas":{"1":', b"\xef\xbb\xbf{"]), st.binary(max_size=100)))
def test_reader_refuses_arbitrary_bytes_with_docmeta_error_only(data):
    try:
        parse_docmeta(data, "fp")
    except DocMetaError:
        pass


def test_huge_and_deep_documents(tmp_path):
    """A 30 MB field, 900-deep nesting and a 1 MB tag label: read, capped or
    refused with a message, never a crash."""
    from tests.polar_factory import Doc, basic

    lib = tmp_path / "lib"
    Doc(lib, "1Huge", "t" * 2_000_000, tags=["l" * 1_000_000]).card("1HugeCard1", basic("<p>" + "y" * 30_000_000,
                                                                                       "b")).write()
    for key, depth in (("1Deep", 1000), ("1TooDeep", 5000)):
        doc = Doc(lib, key, key).card(f"{key}Card1", basic("f", "b"))
        doc.page(2)["flashcards"] = DEEP
        doc.write()
        doc.path.write_bytes(dumps(doc.meta, deep_json("dict", depth)))
    with scratch_collection() as (col, root):
        report = run_sync(col, lib, root / "s.sqlite")
        snap = snapshot(col)
        assert guid_for("1DeepCard1") in snap and guid_for("1HugeCard1") in snap
        assert [e["path"] for e in report.errors if e["path"].startswith("1TooDeep")] == ["1TooDeep/state.json"]
        huge = snap[guid_for("1HugeCard1")]
        assert len(huge[1][0]) >= 30_000_000  # the field is the user's; kept whole
        assert all(len(t) < 1000 for t in huge[2])  # labels are capped
        assert integrity_problems(col) == []


def test_duplicate_card_ids_across_documents(tmp_path):
    """Two documents claiming the same flashcard id (a copied state.json):
    one note, never two, and the collection is stable on the next sync."""
    from tests.polar_factory import Doc, basic

    lib = tmp_path / "lib"
    Doc(lib, "1DocA", "A").card("1SameCard1", basic("from A", "a")).card("1OnlyA0001", basic("a", "a")).write()
    Doc(lib, "1DocB", "B").card("1SameCard1", basic("from B", "b")).card("1OnlyB0001", basic("b", "b")).write()
    with scratch_collection() as (col, root):
        report = run_sync(col, lib, root / "s.sqlite")
        snap = snapshot(col)  # asserts guids are unique
        assert {guid_for(c) for c in ("1SameCard1", "1OnlyA0001", "1OnlyB0001")} == set(snap)
        assert errors_naming(report, "1DocB") or errors_naming(report, "1DocA"), report.errors
        for _ in range(2):
            again = run_sync(col, lib, root / "s.sqlite")
            assert not again.changed, again.to_dict()
            assert snapshot(col) == snap
        assert integrity_problems(col) == []



def test_wrong_typed_containers_are_reported_not_dropped():
    """Regression (found by this suite): a page, a flashcards map or a card
    id of the wrong type used to drop cards without a word."""
    from tests.polar_factory import Doc, basic

    doc = Doc(Path("/nonexistent"), "1Doc", "d", pages=4)
    doc.card("1Kept00001", basic("f", "b"), page=1)
    doc.page(1)["flashcards"]["1Kept00001"]["id"] = 7  # key wins over a non-string id
    doc.meta["pageMetas"]["2"] = [doc.page(1)["flashcards"]]
    doc.page(3)["flashcards"] = list(doc.page(1)["flashcards"].values())
    doc.meta["pageMetas"]["4"] = None  # Polar's "empty": fine, not reported
    parsed = parse_docmeta(dumps(doc.meta), "1Doc")
    assert [c.id for c in parsed.flashcards] == ["1Kept00001"]
    assert sorted(msg for _, msg in parsed.problems) == [
        "page '2' is a list, not a map; skipped",
        "page 3 flashcards is a list, not a map; skipped",
    ]
