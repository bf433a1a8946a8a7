"""The figures tools/bench.py measures (tools/bench_table.py prints them).

A figure is one function decorated with ``@figure("key")``: it gets the
shared :class:`Bench` (arguments, the synthetic library, the synced
collection) and returns its raw measurements (usually a list of seconds, one
per repetition), which land in ``bench.found["key"]`` and in ``--json``.
Returning ``None`` means "not measured this run" (e.g. switched off by a
flag). Figures run in the order they are defined here: later ones see the
library as the earlier ones left it (``one_doc`` edits it; ``pristine`` is the
unedited copy).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Set, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import synthetic_library as synth  # noqa: E402

from addon.sync.gcpause import gc_paused  # noqa: E402

BENCH_SCRIPT = Path(__file__).with_name("bench.py")


def log(msg: str) -> None:
    print(f"  … {msg}", file=sys.stderr, flush=True)


def median(values: List[float]) -> float:
    return statistics.median(values)


def settings_for(library: Path) -> Any:
    from addon.settings import Settings, load_defaults

    settings, _ = Settings.from_dict(dict(load_defaults(), data_dir=str(library)))
    return settings


def fresh_collection(where: Path) -> Any:
    import anki.lang
    from anki.collection import Collection

    where.mkdir(parents=True, exist_ok=True)
    anki.lang.set_lang("en_US")
    return Collection(str(where / "collection.anki2"))


# Files the disk probe creates before each first sync: enough for a stable
# median, few enough (~10-100 ms) to stay out of the figures' way.
DISK_PROBE_FILES = 200


def disk_probe_us(folder: Path) -> float:
    """Microseconds to create one small file (temp name, write, rename: as
    ``MediaWriter`` does) in ``folder``, alone on this thread: the disk's
    mood as a first sync meets it. On ext4 without a journal (this
    machine's disk) a new file costs ~25-40 µs, or 5-30 x that for minutes
    after many files were freed nearby (a test run, an earlier bench's work
    folder removed), since the inode allocator then skips the recently freed
    inodes one by one (docs/performance.md, "The disk's two moods"). The
    baselines create no file, so in that mood the first sync's ratios carry
    the disk's minutes. The probe's files stay (removing them would put the
    sync itself in that mood); their names are no image's."""
    data = os.urandom(254)
    tmp = folder / ".bench-disk-probe.tmp"
    times: List[float] = []
    for n in range(DISK_PROBE_FILES):
        t = time.perf_counter()
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, folder / f".bench-disk-probe-{n}")
        times.append(time.perf_counter() - t)
    return median(times) * 1e6


def count_request_notes(request: bytes) -> int:
    """How many notes a serialised ``AddNotesRequest`` carries: each entry is
    one tag byte, a varint length, then that many bytes."""
    notes, at = 0, 0
    while at < len(request):
        at, size, shift = at + 1, 0, 0
        while True:
            byte = request[at]
            at, size, shift = at + 1, size | (byte & 0x7F) << shift, shift + 7
            if byte < 0x80:
                break
        at, notes = at + size, notes + 1
    return notes


def timed(fn: Callable[[], Any]) -> Tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


@dataclass
class FinalNote:
    notetype: str
    fields: List[str]
    tags: List[str]
    guid: str
    deck: str


@dataclass
class Bench:
    """What every figure may use, and what the figures found so far."""

    args: argparse.Namespace  # --reps, --quick-reps, --seed, ... (tools/bench.py)
    work: Path  # scratch folder, removed afterwards unless --keep
    library: Path  # the synthetic library; figures may edit it
    pristine: Path  # an unedited copy of it
    info: synth.LibraryInfo
    col: Any = None  # the collection of the first sync, kept open until the end
    state: Path = Path()  # its state file
    notes: List[FinalNote] = field(default_factory=list)  # what the first sync wrote
    found: Dict[str, Any] = field(default_factory=dict)  # figure key -> its measurements (--json)
    detail: Dict[str, Any] = field(default_factory=dict)  # figure key -> extras for the table only


Figure = Callable[[Bench], Any]
FIGURES: List[Tuple[str, Figure]] = []


def figure(key: str) -> Callable[[Figure], Figure]:
    """Register a figure under ``key`` (its entry in ``found`` and the JSON)."""

    def register(fn: Figure) -> Figure:
        assert key not in {k for k, _ in FIGURES}, f"figure {key!r} registered twice"
        FIGURES.append((key, fn))
        return fn

    return register


def measure_all(bench: Bench) -> None:
    for key, fn in FIGURES:
        value = fn(bench)
        if value is not None:
            bench.found[key] = value


# ---------------------------------------------------------------------------
# the figures, in the order they run


@figure("first")
def first_sync(b: Bench) -> List[float]:
    """The first sync and both baselines, interleaved: repetition i runs a
    first sync, then baseline i, then import baseline i (then the first
    sync with Anki's writes free, ``_free_writes_once``), so a slow minute of
    this shared machine falls on all of them and their ratios, not on one
    figure's three runs. The baselines' times go to ``found["baseline"]``
    and ``found["baseline_import"]``; the notes the first repetition wrote
    are ``b.notes``; the last repetition's collection is kept (``b.col``,
    ``b.state``).

    Also records where the first sync's time went (medians,
    ``detail["first"]``): ``prepare`` (read, parse, render: no collection),
    ``apply`` (plan, media, write, state) and, within it, ``add_notes``
    (Anki's own writes of the new notes, the baselines' core). Timed around
    the same calls ``engine.sync`` makes, under the same GC regime."""
    times: List[float] = []
    phases: Dict[str, List[float]] = {"prepare": [], "apply": [], "add_notes": [], "media_cpu": [], "media_files": [],
                                    "disk_us": [], "own_cpu": [], "writes_cpu": [], "before_add": [],
                                    "between_adds": [], "after_add": []}
    base: List[float] = []
    base_import: List[float] = []
    free: List[float] = []
    for i in range(b.args.reps):
        if b.col is not None:
            b.col.close()
        elapsed, b.state = _first_once(b, i, phases)
        times.append(elapsed)
        if i == 0:
            b.notes = final_notes(b.col)
        base.append(_baseline_once(b, i))
        base_import.append(_baseline_import_once(b, i))
        free.append(_free_writes_once(b, i))
    b.detail["first"] = {k: median(v) for k, v in phases.items() if v}
    b.found["baseline"], b.found["baseline_import"] = base, base_import
    b.found["first_free_writes"] = free
    return times


def _first_once(b: Bench, i: int, phases: Dict[str, List[float]]) -> Tuple[float, Path]:
    """One first sync into a new collection (left open in ``b.col``); its
    time and its state file."""
    from addon.sync.apply import let_go_done
    from addon.sync.engine import collection_identity, prepare
    from addon.sync.media_store import MediaWriter

    library, reps = b.library, b.args.reps
    where = b.work / f"first-{i}"
    col = b.col = fresh_collection(where)
    state = where / "state.sqlite"
    phases["disk_us"].append(disk_probe_us(Path(col.media.dir())))
    in_add = [0.0, 0.0]  # Anki's writes: wall, and the CPU of the thread that called them
    spans: List[Tuple[float, float]] = []  # each of Anki's writes: (start, end)
    # Anki's ways in: the sync calls the backend's raw add_notes where it can
    wrapped = [(col, "add_notes"), (col._backend, "add_notes_raw"), (col, "import_json_string")]
    for owner, name in wrapped:
        real = getattr(owner, name)

        def write(*args: Any, real: Any = real, in_add: List[float] = in_add) -> Any:
            t, c = time.perf_counter(), time.thread_time()
            try:
                return real(*args)
            finally:
                spans.append((t, time.perf_counter()))
                in_add[0] += spans[-1][1] - t
                in_add[1] += time.thread_time() - c

        setattr(owner, name, write)  # this collection (backend) object only
    # The new media files' CPU (mostly the kernel's: creating a small file
    # here costs ~25 µs, or 10-20x that for minutes after many files were
    # deleted nearby, as a test run does in /tmp: ext4 without a journal
    # skips recently freed inodes one by one; docs/performance.md), on
    # whichever thread writes them: beside the imports it can make the
    # note builder, not Rust, the slower of the two.
    in_media = [0.0, 0.0]  # CPU, files
    real_write = MediaWriter._write

    def write_media(self: Any, items: Any, real: Any = real_write, in_media: List[float] = in_media) -> None:
        c = time.thread_time()
        try:
            real(self, items)
        finally:
            in_media[0] += time.thread_time() - c
            in_media[1] += len(items)

    MediaWriter._write = write_media  # type: ignore[method-assign]
    try:
        with gc_paused():
            cpu0 = time.process_time()  # user + system, every thread
            t0 = time.perf_counter()
            prepared = prepare(settings_for(library), state, source_path=library,
                               collection_id=collection_identity(col))
            t1 = time.perf_counter()
            rep = prepared.apply(col)
            t2 = time.perf_counter()
            cpu2 = time.process_time()
    finally:
        MediaWriter._write = real_write  # type: ignore[method-assign]
    for owner, name in wrapped:
        delattr(owner, name)
    del prepared
    let_go_done()  # (the sync's lists, freed after its report: not beside the baselines)
    if rep.errors:
        raise SystemExit(f"first sync reported errors: {rep.errors[:3]}")
    phases["prepare"].append(t1 - t0)
    phases["apply"].append(t2 - t1)
    phases["add_notes"].append(in_add[0])
    phases["media_cpu"].append(in_media[0])
    phases["media_files"].append(in_media[1])
    # Every thread's CPU but Anki's writes: the parse, rendering, notes, state
    # rows and media files, mostly Python under the one GIL, so the first
    # sync's wall time cannot go far below it.
    phases["own_cpu"].append(cpu2 - cpu0 - in_add[1])
    phases["writes_cpu"].append(in_add[1])
    if spans:
        # The first sync's wall time in four: before Anki's first add (the
        # reading, the plan, the undo step, the first batch built), Anki's
        # writes, Anki idle between two adds (waiting for the note builder's
        # next batch), and after its last add (the last state rows, the
        # state's commit). Without the idle part, the serial floor.
        phases["before_add"].append(spans[0][0] - t0)
        phases["between_adds"].append(spans[-1][1] - spans[0][0] - in_add[0])
        phases["after_add"].append(t2 - spans[-1][1])
    log(f"first sync {i + 1}/{reps}: {t2 - t0:.2f} s ({rep.created} notes; prepare {t1 - t0:.2f} s, "
        f"apply {t2 - t1:.2f} s of which Anki's writes {in_add[0]:.2f} s; media files {in_media[0]:.2f} s CPU "
        f"({int(in_media[1])} files; a new file alone {phases['disk_us'][-1]:.0f} µs before the sync); "
        f"own CPU {phases['own_cpu'][-1]:.2f} s)")
    return t2 - t0, state


def _free_writes_once(b: Bench, i: int) -> float:
    """A first sync into a fresh collection whose new notes cost Anki nothing:
    the add_notes request the sync makes is counted, not sent, and made-up
    ids come back (the media files, the decks and the state file are written
    as ever). No write path into Anki can be cheaper, so this is the floor
    of the sync's own work on the first sync's wall time; the collection is
    thrown away."""
    import itertools

    import addon.sync.write as write
    from addon.sync.apply import let_go_done
    from addon.sync.engine import collection_identity, prepare

    made_up = itertools.count(1_700_000_000_000)

    def counted(col: Any, request: bytes) -> List[int]:
        return [next(made_up) for _ in range(count_request_notes(request))]

    where = b.work / f"free-writes-{i}"
    col = fresh_collection(where)
    real = write._run_add_notes
    write._run_add_notes = counted
    try:
        with gc_paused():
            elapsed, rep = timed(lambda: prepare(settings_for(b.library), where / "state.sqlite",
                                                 source_path=b.library,
                                                 collection_id=collection_identity(col)).apply(col))
    finally:
        write._run_add_notes = real
        col.close()
        let_go_done()
    if rep.errors or rep.created != len(b.notes):
        raise SystemExit(f"first sync with free writes: {rep.created} notes, errors {rep.errors[:3]}")
    log(f"first sync with Anki's writes free {i + 1}/{b.args.reps}: {elapsed:.2f} s")
    return elapsed


def final_notes(col: Any) -> List[FinalNote]:
    """What the sync left in the collection, read back with plain queries."""
    names = {int(m.id): m.name for m in col.models.all_names_and_ids()}
    decks = {int(d.id): d.name for d in col.decks.all_names_and_ids()}
    first_deck: Dict[int, int] = {}
    for nid, did in col.db.all("SELECT nid, did FROM cards ORDER BY nid, ord"):
        first_deck.setdefault(nid, did)
    out = []
    for nid, guid, mid, flds, tags in col.db.all("SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"):
        out.append(FinalNote(names[mid], flds.split("\x1f"), tags.split(), guid, decks[first_deck[nid]]))
    return out


def _baseline_once(b: Bench, i: int) -> float:
    """One bare add_notes batch of the same notes into a fresh collection,
    the documented way (``col.new_note`` per note), decks looked up once each."""
    from anki.collection import AddNoteRequest
    from anki.decks import DeckId

    notes = b.notes
    col = fresh_collection(b.work / f"baseline-{i}")

    def run() -> None:
        models: Dict[str, Any] = {}
        decks: Dict[str, int] = {}
        requests = []
        for n in notes:
            model = models.get(n.notetype)
            if model is None:
                model = models[n.notetype] = col.models.by_name(n.notetype)
            note = col.new_note(model)
            note.fields = list(n.fields)
            note.tags = list(n.tags)
            note.guid = n.guid
            did = decks.get(n.deck)
            if did is None:
                did = decks[n.deck] = int(col.decks.id(n.deck))
            requests.append(AddNoteRequest(note=note, deck_id=DeckId(did)))
        col.add_notes(requests)

    with gc_paused():  # as sync() runs, and as Anki runs everything
        elapsed, _ = timed(run)
    assert col.note_count() == len(notes)
    log(f"baseline {i + 1}/{b.args.reps}: {elapsed:.2f} s")
    col.close()
    return elapsed


def import_payload(col: Any, notes: List[FinalNote]) -> str:
    """The final notes as one foreign-data JSON text (guids, note type and
    deck ids), as ``import_json_string`` takes it."""
    import orjson

    models: Dict[str, int] = {}
    decks: Dict[str, int] = {}
    items = []
    for n in notes:
        mid = models.get(n.notetype)
        if mid is None:
            mid = models[n.notetype] = int(col.models.id_for_name(n.notetype))
        did = decks.get(n.deck)
        if did is None:
            did = decks[n.deck] = int(col.decks.id(n.deck))
        items.append({"guid": n.guid, "fields": n.fields, "tags": n.tags, "notetype": mid, "deck": did})
    return orjson.dumps({"notes": items}).decode()


def _baseline_import_once(b: Bench, i: int) -> float:
    """One bare ``import_json_string`` of the same notes into a fresh
    collection: the JSON built (orjson) and imported in one call."""
    col = fresh_collection(b.work / f"baseline-import-{i}")

    def run() -> Any:
        return col.import_json_string(import_payload(col, b.notes))

    with gc_paused():
        elapsed, out = timed(run)
    assert len(out.log.new) == len(b.notes) == col.note_count()
    log(f"import baseline {i + 1}/{b.args.reps}: {elapsed:.2f} s")
    col.close()
    return elapsed


@figure("noop")
def noop(b: Bench) -> List[float]:
    """A resync of the unchanged library."""
    from addon.sync.engine import sync

    settings = settings_for(b.library)
    times = []
    for _ in range(b.args.quick_reps):
        elapsed, rep = timed(lambda: sync(b.col, settings, b.state, source_path=b.library))
        if rep.changed or rep.parsed or rep.errors:
            raise SystemExit(f"no-op resync changed something: {rep.to_dict()}")
        times.append(elapsed)
    log(f"no-op: {', '.join(f'{t * 1000:.0f}' for t in times)} ms")
    return times


@figure("one_doc")
def one_doc(b: Bench) -> List[float]:
    """A resync after one document was edited the way Polar does it."""
    from addon.sync.engine import sync

    settings = settings_for(b.library)
    docs = b.info.documents
    rng = random.Random(b.args.seed + 1)
    times = []
    for i in range(b.args.quick_reps):
        edit = synth.edit_document(b.library, docs[(i * 97) % len(docs)], rng)
        elapsed, rep = timed(lambda: sync(b.col, settings, b.state, source_path=b.library))
        expect = (1, len(edit.changed), 1 if edit.deleted else 0)
        got = (rep.created, rep.rekeyed, rep.orphaned)
        if got != expect or rep.parsed != 1:
            raise SystemExit(f"one-document resync: expected created/rekeyed/orphaned {expect}, got "
                             f"{got}; {rep.to_dict()}")
        times.append(elapsed)
    log(f"one-doc: {', '.join(f'{t * 1000:.0f}' for t in times)} ms")
    return times


@figure("update_all")
def update_all(b: Bench) -> List[float]:
    """A resync that updates every note: the marker tag setting changed (as
    an add-on update that changes the cards, or a setting that shapes them:
    every document read again, every note merged and saved). With a stop to
    ask, as every sync in Anki has one: more than ``UPDATE_BATCH`` updates
    are saved in batches, Escape acting between two. Each repetition changes
    the tag back and forth; an odd count ends with one more sync, not timed,
    so the figures after this one find the library as it was. Also records
    the number of Anki's ``update_notes`` calls, the longest batch (from the
    updates' start or the last call's end to a call's end: what Escape waits
    for at most before the sync's end) and that the sync is one undo step."""
    from addon.sync.engine import sync

    settings = settings_for(b.library)
    marks = [settings.marker_tag + "-bench", settings.marker_tag]
    col = b.col
    times: List[float] = []
    batches: List[float] = []
    calls: List[int] = []
    reps = b.args.reps
    for i in range(reps + reps % 2):
        began: List[float] = []
        ends: List[float] = []
        real = col.update_notes

        def update_notes(notes: Any, real: Any = real, ends: List[float] = ends) -> Any:
            out = real(notes)
            ends.append(time.perf_counter())
            return out

        def progress(message: str, began: List[float] = began) -> None:
            if message.startswith("Updating") and not began:
                began.append(time.perf_counter())

        col.update_notes = update_notes  # this collection object only
        try:
            elapsed, rep = timed(lambda: sync(col, settings._replace(marker_tag=marks[i % 2]),  # noqa: B023
                                              b.state, source_path=b.library, progress=progress,  # noqa: B023
                                              stop=lambda: False))
        finally:
            del col.update_notes
        if rep.errors or rep.warnings or rep.updated < len(b.notes) or rep.created:
            raise SystemExit(f"every note updated: {rep.updated} of {len(b.notes)}, created {rep.created}, "
                             f"errors {rep.errors[:3]}, warnings {rep.warnings[:3]}")
        if col.undo_status().undo != "Sync from Polar":
            raise SystemExit(f"every note updated: the undo step is {col.undo_status().undo!r}")
        if i >= reps:
            break  # (the tag back as it was, not timed)
        times.append(elapsed)
        calls.append(len(ends))
        spans = [b_ - a for a, b_ in zip(began + ends, ends)]
        batches.append(max(spans))
        log(f"every note updated {i + 1}/{reps}: {elapsed:.2f} s ({rep.updated} notes of {col.note_count()}, "
            f"{len(ends)} update_notes calls, longest batch {max(spans):.2f} s)")
    b.detail["update_all"] = {"calls": max(calls), "longest_batch": max(batches)}
    return times


@figure("peer")
def peer(b: Bench) -> List[float]:
    """Polar 1.x's sync loop over a collection that already holds every card
    (tagged ``polar_guid:<id>``, as Polar tagged them): read each document,
    then per card one tag search, plus an add for the one that is missing.

    Each tag search scans the notes table, so the loop is quadratic; over
    ``--peer-sample`` cards it is timed for that many cards and scaled to the
    whole library (reading and parsing every document is always timed in
    full). Reads the pristine library."""
    from anki.collection import AddNoteRequest
    from anki.decks import DeckId

    try:
        import orjson

        loads: Callable[[bytes], Any] = orjson.loads
    except ImportError:  # pragma: no cover
        loads = json.loads

    library, docs, reps, sample = b.pristine, b.info.documents, b.args.reps, b.args.peer_sample
    col = fresh_collection(b.work / "peer")
    card_ids: List[str] = []
    requests = []
    for n in b.notes:
        note = col.new_note(col.models.by_name(n.notetype))
        note.fields = list(n.fields)
        card_id = n.guid.split(":", 1)[1]
        card_ids.append(card_id)
        note.tags = [*n.tags, "_polar-flashcard", f"polar_guid:{card_id}"]
        requests.append(AddNoteRequest(note=note, deck_id=DeckId(int(col.decks.id(n.deck)))))
    # One card Polar has and the collection lacks: the loop adds it.
    requests.pop()
    col.add_notes(requests)
    basic = col.models.by_name("Basic")
    times = []
    total_cards = 0
    missing_id = card_ids[-1]
    for rep in range(reps):
        added: List[int] = []

        def run(added: List[int] = added) -> Tuple[float, int]:
            cards: List[Tuple[str, Dict[str, Any]]] = []
            t0 = time.perf_counter()
            for fp in docs:
                meta = loads((library / fp / "state.json").read_bytes())
                for page in (meta.get("pageMetas") or {}).values():
                    for cid, card in ((page or {}).get("flashcards") or {}).items():
                        cards.append((cid, card))
            read = time.perf_counter() - t0
            step = max(1, len(cards) // sample) if sample else 1
            picked = cards[::step]
            if missing_id not in {c for c, _ in picked}:
                picked.append((missing_id, {}))
            t1 = time.perf_counter()
            for cid, _card in picked:
                if not col.find_notes(f'"tag:polar_guid:{cid}"'):
                    note = col.new_note(basic)
                    note.fields[0] = "added by the peer loop"
                    note.tags = ["_polar-flashcard", f"polar_guid:{cid}"]
                    col.add_note(note, DeckId(1))
                    added.append(note.id)
            per_card = (time.perf_counter() - t1) / len(picked)
            return read + per_card * len(cards), len(cards)

        with gc_paused():
            (elapsed, total_cards) = run()
        if len(added) != 1:
            raise SystemExit(f"peer loop: expected to add exactly one note, added {len(added)}")
        col.remove_notes(added)  # the next repetition finds it missing again
        times.append(elapsed)
        log(f"peer {rep + 1}/{reps}: {elapsed:.2f} s (extrapolated from {min(sample, total_cards)} searches)")
    col.close()
    b.detail["peer"] = {"cards": total_cards, "searched": min(sample, total_cards) if sample else total_cards}
    return times


def _backups(library: Path, copies: int) -> List[Path]:
    """``.backup-*`` hard-link snapshots of the library, as Polar leaves one
    each time its storage is switched: folders the watcher must not watch."""
    made = []
    for n in range(copies):
        snapshot = library / f".backup-2020-{n // 28 + 1:02d}-{n % 28 + 1:02d}"
        for dirpath, dirnames, filenames in os.walk(library):
            here = Path(dirpath)
            if here == library:
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            target = snapshot / here.relative_to(library)
            target.mkdir(parents=True, exist_ok=True)
            for name in filenames:
                os.link(here / name, target / name)
        made.append(snapshot)
    return made


def inotify_watches(fd: int) -> int:
    """What the kernel holds for one inotify instance."""
    with open(f"/proc/self/fdinfo/{fd}") as fh:
        return sum(1 for line in fh if line.startswith("inotify wd:"))


def _watch_latency(b: Bench, platform: Optional[str], seed: int,
                   probe: Callable[[Any], None] = lambda watcher: None) -> Tuple[List[float], str]:
    """The GUI's watch path without the window: LibraryWatcher events →
    a timer restarted on every event (``debounce_left``: ``watch_debounce_ms``
    counted from the save, as the GUI does) → on the
    collection's thread (here: this one) ``sync(only=keys)``; from the
    ``os.replace`` of a state.json to the new note in the collection."""
    from addon.gui.watcher import ALL, LibraryWatcher
    from addon.sync.engine import sync

    col, library, state, docs = b.col, b.library, b.state, b.info.documents
    settings = settings_for(library)
    pending: Set[str] = set()
    lock = threading.Lock()
    fire = threading.Event()
    timer: List[Optional[threading.Timer]] = [None]

    def on_change(keys: FrozenSet[str]) -> None:
        wait = watcher.debounce_left(settings.watch_debounce_ms) / 1000  # as the GUI
        with lock:
            pending.update(keys)
            if timer[0] is not None:
                timer[0].cancel()
            new = threading.Timer(wait, fire.set)
            new.start()
            timer[0] = new

    watcher = LibraryWatcher(str(library), on_change, lambda msg: log(f"watcher: {msg}"), platform=platform)
    watcher.start()
    rng = random.Random(seed)
    times = []
    try:
        probe(watcher)
        for i in range(b.args.reps):
            time.sleep(0.3)  # let the previous round's stray events pass
            fire.clear()
            with lock:
                pending.clear()
            fp = docs[(i * 131 + seed) % len(docs)]
            t0 = time.perf_counter()
            edit = synth.edit_document(library, fp, rng)
            guid = "polar:" + edit.added
            deadline = t0 + 30
            while True:
                if not fire.wait(timeout=max(0.0, deadline - time.perf_counter())):
                    raise SystemExit("watcher: no change seen within 30 s")
                fire.clear()
                with lock:
                    keys = set(pending)
                    pending.clear()
                sync(col, settings, state, source_path=library, only=None if ALL in keys else keys)
                if col.db.scalar("SELECT count() FROM notes WHERE guid = ?", guid):
                    break
            times.append(time.perf_counter() - t0)
        log(f"watcher ({watcher.mode}): {', '.join(f'{t:.2f}' for t in times)} s")
    finally:
        watcher.stop()
    return times, watcher.mode


@figure("watcher")
def watcher_latency(b: Bench) -> Optional[List[float]]:
    """This platform's watcher (inotify on Linux) on the library with 20
    ``.backup-*`` snapshots added: latency, and the watches it holds."""
    if b.args.no_watcher:
        return None
    settings = settings_for(b.library)
    backups = _backups(b.library, 20)
    detail: Dict[str, Any] = {"debounce_ms": settings.watch_debounce_ms, "documents": len(b.info.documents),
                              "folders": sum(1 for _ in os.walk(b.library))}

    def probe(watcher: Any) -> None:
        fd = getattr(watcher.backend, "fd", -1)
        if fd >= 0:
            detail["watches"] = inotify_watches(fd)

    try:
        times, detail["mode"] = _watch_latency(b, None, 7, probe)
    finally:
        for backup in backups:
            shutil.rmtree(backup)
    b.detail["watcher"] = detail
    if "watches" in detail:
        b.found["watches"] = detail["watches"]
    return times


@figure("watcher_poll")
def watcher_poll_latency(b: Bench) -> Optional[List[float]]:
    """The stat poll macOS uses (and every platform falls back to)."""
    if b.args.no_watcher:
        return None
    from addon.gui.watcher import POLL_SECONDS

    times, mode = _watch_latency(b, "darwin", 11)
    b.detail["watcher_poll"] = {"mode": mode, "interval_s": POLL_SECONDS}
    return times


@figure("poll_ms")
def poll_cost(b: Bench, polls: int = 50) -> List[float]:
    """One look of the stat poller at the whole library (nothing changed), in
    CPU ms: what it takes from the machine, which this shared 2-core box
    measures better than wall time (also logged)."""
    from addon.gui.watch_poll import StatPoller

    poller = StatPoller(str(b.library), lambda keys: None, 1.0)
    poller.poll()
    costs, walls = [], []
    for _ in range(polls):
        poller.poll()
        costs.append(poller.last_cost * 1000)
        walls.append(poller.last_wall * 1000)
    log(f"one poll of {len(b.info.documents)} documents: median {median(costs):.2f} ms CPU, "
        f"{median(walls):.2f} ms wall (min {min(walls):.2f})")
    b.detail["poll_ms"] = {"wall": median(walls)}
    return costs


@figure("rss_mb")
def child_rss(b: Bench) -> Dict[str, float]:
    """Peak RSS of a fresh interpreter doing only the first sync; of one that
    opens a collection and does nothing (Anki's own share); and of one that
    loads the final notes and adds them with the baseline's one bare
    add_notes batch (Anki's floor for holding and adding those notes)."""
    log("peak RSS (child processes)")
    work = b.work / "rss"
    work.mkdir(parents=True, exist_ok=True)
    dump = work / "final-notes.json"
    dump.write_text(json.dumps([[n.notetype, n.fields, n.tags, n.guid, n.deck] for n in b.notes]))
    out = {}
    for mode in ("idle", "baseline", "baseline_import", "sync"):
        where = work / f"rss-{mode}"
        proc = subprocess.run(
            [sys.executable, str(BENCH_SCRIPT), "--child-rss", mode, "--library", str(b.pristine),
             "--work", str(where)],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"RSS child failed: {proc.stderr[-2000:]}")
        out[mode] = json.loads(proc.stdout.strip().splitlines()[-1])["maxrss_mb"]
    return out


def child_rss_main(mode: str, library: Path, work: Path) -> None:
    """The child process of ``child_rss`` (bench.py --child-rss MODE)."""
    col = fresh_collection(work)
    if mode == "sync":
        from addon.sync.engine import sync

        sync(col, settings_for(library), work / "state.sqlite", source_path=library)
    elif mode == "baseline":
        from anki.collection import AddNoteRequest
        from anki.decks import DeckId

        with gc_paused():
            notes = [FinalNote(*row) for row in json.loads((work.parent / "final-notes.json").read_bytes())]
            requests = []
            for n in notes:
                note = col.new_note(col.models.by_name(n.notetype))
                note.fields, note.tags, note.guid = list(n.fields), list(n.tags), n.guid
                requests.append(AddNoteRequest(note=note, deck_id=DeckId(int(col.decks.id(n.deck)))))
            col.add_notes(requests)
    elif mode == "baseline_import":
        with gc_paused():
            notes = [FinalNote(*row) for row in json.loads((work.parent / "final-notes.json").read_bytes())]
            col.import_json_string(import_payload(col, notes))
    col.close()
    print(json.dumps({"maxrss_mb": _peak_rss() / 1e6}))


def _peak_rss() -> float:
    """Bytes. Linux: VmHWM of this process image (ru_maxrss would carry the
    parent's peak over fork+exec); elsewhere ru_maxrss (bytes on macOS)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return float(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale)


_IMPORT_SNIPPET = """
import sys, time
sys.path.insert(0, {root!r})
import aqt  # Anki has loaded aqt (and with it bs4, markdown, orjson) before any add-on
import gc
# ...and switched the collector off: AnkiQt.setupUI calls
# disable_automatic_garbage_collection (gc.collect(), gc.disable()) before
# setupAddons, in 23.10 as in 26.9. With it on, a collection of aqt's objects
# (3-13 ms) fell inside the measured import on some runs and not others.
gc.collect()
gc.disable()
t = time.perf_counter()
{body}
print(time.perf_counter() - t)
"""


@figure("import_ms")
def import_cost(b: Bench, runs: int = 9) -> Dict[str, float]:
    """Milliseconds to import the add-on as Anki does at start: the package,
    then (Anki's main window exists) its GUI module. Bytecode is cached, as
    in an installed add-on; a warm-up run writes it to a private folder."""
    log("import time")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    cache = tempfile.mkdtemp(prefix="polar-bench-pyc-")
    env["PYTHONPYCACHEPREFIX"] = cache
    bodies = {
        "empty": "pass",
        "package": "import addon",
        "package+gui": "import addon\nimport addon.gui.setup",
    }
    out: Dict[str, float] = {}
    try:
        for name, body in bodies.items():
            code = _IMPORT_SNIPPET.format(root=str(ROOT), body=body)
            samples = []
            for i in range(runs + 1):
                proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      env=env, check=False)
                if proc.returncode != 0:
                    raise SystemExit(f"import measurement failed: {proc.stderr[-2000:]}")
                if i:  # the first run compiles the bytecode
                    samples.append(float(proc.stdout.strip().splitlines()[-1]) * 1000)
            out[name] = median(samples)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


@figure("sanitiser")
def sanitiser(b: Bench, fields: int = 100_000) -> List[float]:
    """Seconds to sanitise 100,000 typical fields (``<p>`` and ``<b>``, each
    distinct): the renderer's fast path, which every synced field takes."""
    from addon.render.html import sanitize_html

    typical = [f"<p>What is <b>x{i}</b>?</p>" for i in range(fields)]
    times = []
    for _ in range(b.args.reps):
        elapsed, out = timed(lambda: [sanitize_html(f) for f in typical])
        if out != typical:
            raise SystemExit("sanitiser: a typical field came out changed")
        times.append(elapsed)
    log(f"sanitiser: {', '.join(f'{t:.2f}' for t in times)} s")
    return times


@figure("open_page")
def open_page(b: Bench) -> Optional[List[float]]:
    """Seconds from a click on "open at p. N" to the page painted in the
    add-on's window (tools/bench_viewer.py, a child with Qt offscreen), for
    the card on the last highlighted page of the library's longest
    document. The synthetic library has no PDFs: that document's is written
    for the figure as a large illustrated book (at least 400 pages, each
    with 24 lines of text and an incompressible raster figure, ~0.25 MB a
    page) and removed afterwards. The first of the runs is the cold one."""
    import sqlite3

    from addon.polar.library import DataDirSource
    from addon.polar.originals import find_spot, read_docmeta

    source = DataDirSource(b.library)
    longest: Optional[Tuple[int, str, Dict[str, Any]]] = None
    for fp in b.info.documents:
        meta = read_docmeta(source, fp)
        pages = meta.get("docInfo", {}).get("nrPages", 0) if meta else 0
        if meta is not None and (longest is None or pages > longest[0]):
            longest = (pages, fp, meta)
    if longest is None:
        return None
    nr_pages, fp, meta = longest
    pages = max(nr_pages, 400)
    conn = sqlite3.connect(str(b.state))
    rows = conn.execute("SELECT guid, ref FROM cards WHERE doc = ? AND orphaned = 0 AND ref LIKE 'text-highlight:%'",
                        (fp,)).fetchall()
    conn.close()
    if not rows:
        return None
    guid, spot = max(((g, find_spot(meta, r)) for g, r in rows), key=lambda item: item[1].page)
    pdf = b.library / "stash" / meta["docInfo"]["filename"]
    log(f"click to visible page: {pages}-page PDF, card on page {spot.page}")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    try:
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "bench_viewer.py"), "--library", str(b.library), "--state",
             str(b.state), "--guid", guid, "--reps", str(max(b.args.quick_reps, 3)), "--make-pdf", str(pdf),
             "--pages", str(pages)],
            capture_output=True, text=True, env=env, check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"viewer bench failed: {proc.stderr[-2000:]}")
        found = json.loads(proc.stdout.strip().splitlines()[-1])
        b.detail["open_page"] = {"pages": pages, "page": spot.page, "mb": pdf.stat().st_size / 1e6,
                                 "cold": found["samples"][0]}
    finally:
        pdf.unlink(missing_ok=True)
    return [float(s) for s in found["samples"]]
@figure("gui")
def gui_stall(b: Bench) -> Optional[List[Dict[str, Any]]]:
    """A first sync of the library in real Anki (tools/bench_gui.py, a child
    with Qt offscreen, the add-on installed from a .ankiaddon built for the
    figure): Tools ▸ Sync from Polar while Anki's event loop runs, and how
    late a 5 ms timer on the main thread comes at worst (the longest the
    window could not repaint or answer a click). The target is on the
    worst run."""
    if b.args.no_gui:
        return None
    addon = b.work / "polar_sync.ankiaddon"
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py"), "--out", str(addon)],
                   check=True, capture_output=True)
    runs = []
    for i in range(b.args.reps):
        base = b.work / f"gui-{i}"
        shutil.rmtree(base, ignore_errors=True)
        base.mkdir(parents=True)
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "bench_gui.py"), "--library", str(b.library), "--work", str(base),
             "--addon", str(addon)],
            capture_output=True, text=True, check=False,
        )
        found = [line for line in proc.stdout.splitlines() if line.startswith("{")]
        if proc.returncode != 0 or not found:
            raise SystemExit(f"GUI bench failed: {proc.stderr[-2000:]}")
        run = json.loads(found[-1])
        log(f"sync in Anki {i + 1}/{b.args.reps}: {run['sync_s']:.2f} s, {run['notes']} notes; window late by "
            f"{run['max_gap_ms']:.0f} ms at worst ({run['max_gap_during']}), p99 {run['p99_gap_ms']:.0f} ms")
        runs.append(run)
        # Each run's profile stays until the bench ends: deleting its ~3,900
        # files would slow the next run's new media files for minutes (ext4
        # without a journal, see docs/performance.md), as it did before.
    return runs


_EXPORT_RSS_SNIPPET = """
import json, sys
sys.path.insert(0, {root!r})
from pathlib import Path
from addon.polar.library import open_source

def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return float(line.split()[1]) * 1024
    return 0.0

before = status("VmRSS:")
docs = open_source(Path({export!r}), Path({cache!r})).list_documents()
print(json.dumps({{"added_mb": (status("VmHWM:") - before) / 1e6, "documents": len(docs)}}))
"""


class _RepeatedRandom:
    """A document body: ``size`` bytes cut from one shared random block
    (incompressible like a real PDF, produced without holding it)."""

    def __init__(self, block: bytes, start: int, size: int) -> None:
        self.view = memoryview(block)
        self.pos = start % len(block)
        self.left = size

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), len(self.view) - self.pos)
            out += self.view[self.pos:self.pos + take]
            self.pos = (self.pos + take) % len(self.view)
        self.left -= n
        return bytes(out)

    def __enter__(self) -> _RepeatedRandom:
        return self

    def __exit__(self, *exc: Any) -> None:
        pass


@figure("export")
def export_read(b: Bench) -> Optional[Dict[str, Any]]:
    """A Polar 2.x export of the bench library (gzip'd tar named .zip, as
    Polar writes it) plus >= 1 GB of document bodies: iterating it with
    ``tarfile`` (the floor of any reader), the add-on's first read of it,
    the peak RSS that read adds (child process), a first sync from it and
    an unchanged resync. The archive lives in the scratch folder and is
    deleted afterwards."""
    if b.args.export_mb <= 0:
        return None
    import tarfile

    import polar_export

    from addon.polar.library import open_source
    from addon.sync.engine import sync

    work = b.work / "export"
    work.mkdir(parents=True, exist_ok=True)
    try:
        metas = polar_export.library_metas(b.pristine)
        per_doc = max(1, b.args.export_mb * 1024 * 1024 // max(1, len(metas)) + 1)
        block = random.Random(b.args.seed).randbytes(8 << 20)

        def body(fp: str, info: Dict[str, Any]) -> Tuple[int, Callable[[], Any]]:
            start = int.from_bytes(fp.encode()[-4:], "big") * 4099
            return per_doc, lambda: _RepeatedRandom(block, start, per_doc)

        path = work / polar_export.EXPORT_NAME
        log(f"export: writing {len(metas)} documents + {per_doc * len(metas) / 1e9:.2f} GB of bodies")
        # Level 0 (stored deflate blocks): the bodies are incompressible, so
        # Polar's level 6 stores them too; only the records, ~1/20 of the
        # bytes, would be smaller. Writing 1 GB this way takes ~15 s, not ~60.
        gen_s, _ = timed(lambda: polar_export.write_export(path, metas, body=body, level=0))
        size = path.stat().st_size
        log(f"export: {size / 1e9:.2f} GB written in {gen_s:.1f} s")

        def iterate() -> int:
            with tarfile.open(path) as tar:
                return sum(1 for _ in tar)

        iterate()  # both runs read from the page cache
        def first_read(cache: Path) -> List[Any]:
            return open_source(path, cache).list_documents()

        tar_times: List[float] = []
        read_times: List[float] = []
        docs: List[Any] = []
        for i in range(b.args.reps):
            tar_times.append(timed(iterate)[0])
            cache = work / f"cache-{i}.sqlite"
            elapsed, docs = timed(lambda: first_read(cache))  # noqa: B023 (called at once)
            read_times.append(elapsed)
        log(f"export: tarfile {', '.join(f'{t:.2f}' for t in tar_times)} s; "
            f"first read {', '.join(f'{t:.2f}' for t in read_times)} s ({len(docs)} documents)")

        code = _EXPORT_RSS_SNIPPET.format(root=str(ROOT), export=str(path), cache=str(work / "rss-cache.sqlite"))
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"export RSS child failed: {proc.stderr[-2000:]}")
        rss_added = json.loads(proc.stdout.strip().splitlines()[-1])["added_mb"]

        from addon.sync.engine import collection_identity, prepare

        settings = settings_for(path)
        col = fresh_collection(work / "col")
        state = work / "col" / "state.sqlite"
        try:
            first_s, report = timed(lambda: sync(col, settings, state, source_path=path))
            if report.errors:
                raise SystemExit(f"export: the first sync reported errors: {report.errors[:3]}")
            resync, reread = [], []
            ident = collection_identity(col)
            for _ in range(b.args.quick_reps):
                elapsed, again = timed(lambda: sync(col, settings, state, source_path=path))
                if again.changed or again.parsed:
                    raise SystemExit("export: an unchanged export was not a no-op")
                resync.append(elapsed)
                # The read phase alone: what an export adds to a no-op (the
                # apply phase after it is the same as for a data folder).
                with gc_paused():  # as in sync(): no collection of the last run's garbage mid-read
                    reread.append(timed(lambda: prepare(settings, state, source_path=path, collection_id=ident))[0])
        finally:
            col.close()
        relist = [timed(lambda: first_read(work / "cache-0.sqlite"))[0] for _ in range(b.args.quick_reps)]
        log(f"export: first sync {first_s:.2f} s, unchanged resync {', '.join(f'{t * 1000:.0f}' for t in resync)} ms "
            f"(read phase {', '.join(f'{t * 1000:.0f}' for t in reread)} ms)")
        b.detail["export"] = {"gb": size / 1e9, "documents": len(metas)}
        return {"tarfile": tar_times, "first_read": read_times, "rss_added_mb": rss_added,
                "first_sync": first_s, "resync": resync, "reread": reread, "relist": relist, "bytes": size}
    finally:
        shutil.rmtree(work, ignore_errors=True)


@figure("profile")
def profile_first_sync(b: Bench, top: int = 30) -> None:
    """``--profile FILE.prof``: one more first sync into a fresh collection
    under cProfile, every thread of it (the sync's note builder and state
    rows run on threads of their own, which a plain cProfile would miss:
    each thread started meanwhile gets a profiler of its own, merged into
    one file afterwards). Prints the top entries by own time. Not a figure
    of the table: cProfile slows Python 1.5-2 x, Anki's Rust not at all."""
    if b.args.profile is None:
        return None
    import cProfile
    import pstats

    from addon.sync.engine import collection_identity, prepare

    col = fresh_collection(b.work / "profile")
    state = b.work / "profile" / "state.sqlite"
    profiles: List[cProfile.Profile] = []
    real_run = threading.Thread.run

    def run(self: threading.Thread) -> None:
        prof = cProfile.Profile()
        profiles.append(prof)
        prof.enable()
        try:
            real_run(self)
        finally:
            prof.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    main = cProfile.Profile()
    try:
        with gc_paused():
            main.enable()
            try:
                prepare(settings_for(b.library), state, source_path=b.library,
                        collection_id=collection_identity(col)).apply(col)
            finally:
                main.disable()
    finally:
        threading.Thread.run = real_run  # type: ignore[method-assign]
        col.close()
    stats = pstats.Stats(main)
    for prof in profiles:
        if prof.getstats():
            stats.add(prof)
    stats.dump_stats(str(b.args.profile))
    log(f"profile of a first sync ({len(profiles) + 1} threads) in {b.args.profile}; top {top} by own time:")
    stats.sort_stats("tottime").print_stats(top)
    return None
