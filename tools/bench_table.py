"""The table tools/bench.py prints from the figures of tools/bench_figures.py.

One ``t.row(...)`` in :func:`rows` per line of the table; a ratio with an
entry in ``TARGETS`` is checked against it (a missed target makes bench.py
exit 1 at the default size, or always with --enforce).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from bench_figures import Bench, median

# ratio (or absolute) name -> (comparison, limit)
TARGETS: Dict[str, Tuple[str, float]] = {
    "first/baseline": ("<=", 1.0),
    "first/import baseline": ("<=", 1.3),
    "no-op/first": ("<=", 0.03),
    "one-doc/first": ("<=", 0.02),
    "update-all/first": ("<=", 3.0),
    "peer/no-op": (">=", 20.0),
    "first-sync peak RSS MB": ("<=", 400.0),
    "import ms": ("<=", 30.0),
    "watcher s": ("<=", 2.0),
    "watches - documents": ("<=", 4.0),
    "poll watcher s": ("<=", 2.0),
    "poll ms per 1k docs": ("<=", 10.0),
    "sanitiser s": ("<=", 1.0),
    "open page s": ("<=", 1.0),
    "window late ms": ("<=", 100.0),
    "export read/tarfile": ("<=", 1.3),
    "export RSS added MB": ("<=", 50.0),
    "export resync/read": ("<=", 0.03),
}

HEADER = ("figure", "absolute (median)", "ratio", "target", "")


def fmt_s(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    return f"{seconds:.2f} s"


def check(name: str, value: float) -> Tuple[str, bool]:
    kind, limit = TARGETS[name]
    ok = value <= limit if kind == "<=" else value >= limit
    return f"{kind} {limit:g}", ok


class Table:
    def __init__(self, enforce: bool) -> None:
        # The targets are set for the default size: below it fixed costs
        # (opening the state file, one scan of the notes table) dominate the
        # small ratios, so there a miss is only reported.
        self.enforce = enforce
        self.rows: List[Tuple[str, str, str, str, str]] = []
        self.failed: List[str] = []

    def row(self, name: str, absolute: str, ratio_name: str = "", ratio: Optional[float] = None,
            detail: str = "") -> None:
        """One line; ``ratio_name`` in TARGETS is checked, ``detail`` follows the status."""
        if ratio_name in TARGETS and ratio is not None:
            target, ok = check(ratio_name, ratio)
            if not ok and self.enforce:
                self.failed.append(ratio_name)
            shown = f"{ratio:.3f}" if ratio < 10 else f"{ratio:.0f}"
            status = "ok" if ok else "MISSED" if self.enforce else "missed (enforced from 50,000 cards)"
            self.rows.append((name, absolute, f"{ratio_name} = {shown}", target, status + detail))
        else:
            self.rows.append((name, absolute, "", "", detail.strip()))

    def render(self, title: str) -> str:
        widths = [max(len(r[i]) for r in [HEADER, *self.rows]) for i in range(5)]
        lines = [
            title,
            "  ".join(h.ljust(w) for h, w in zip(HEADER, widths)).rstrip(),
            "  ".join("-" * w for w in widths),
        ]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in self.rows]
        return "\n".join(lines)


# Above this (µs to create one small file alone) the disk is in its slow mood.
DISK_SLOW_US = 80.0


def rows(b: Bench, t: Table) -> None:
    """The table, in reading order (not the order the figures are measured)."""
    f, d = b.found, b.detail
    first, base, no_op = median(f["first"]), median(f["baseline"]), median(f["noop"])
    t.row("baseline (bare add_notes)", fmt_s(base))
    if "baseline_import" in f:
        base_import = median(f["baseline_import"])
        t.row("baseline (bare import_json_string)", fmt_s(base_import))
    t.row("first sync", fmt_s(first), "first/baseline", first / base)

    def against_baselines(seconds: float) -> str:
        """``= a x the add_notes baseline, b x the import baseline`` (the floors' notes)."""
        vs_import = ""
        if "baseline_import" in f:
            vs_import = f", {seconds / median(f['baseline_import']):.3f} x the import baseline"
        return f"= {seconds / base:.3f} x the add_notes baseline{vs_import}"

    if "baseline_import" in f:
        t.row("", "", "first/import baseline", first / base_import)
    t.row("  prepare (read, parse; seen documents rendered)", fmt_s(d["first"]["prepare"]))
    t.row("  apply (plan, new cards rendered, media, notes, state)", fmt_s(d["first"]["apply"]))
    t.row("    of which Anki's writes of new notes", fmt_s(d["first"]["add_notes"]))
    if "media_cpu" in d["first"]:
        files = d["first"].get("media_files")
        each = f" ({1e6 * d['first']['media_cpu'] / files:.0f} µs a file, {files:.0f} files)" if files else ""
        t.row("    new media files (CPU, beside them)", fmt_s(d["first"]["media_cpu"]), "", None, each)
    if "disk_us" in d["first"]:
        # The disk's mood as each first sync met it (bench_figures.disk_probe_us):
        # the baselines write no file, so a slow disk weighs on the sync alone.
        us = d["first"]["disk_us"]
        mood = "slow: many files freed nearby in the last minutes" if us > DISK_SLOW_US else "quiet"
        t.row("    the disk: one new file alone, before the sync", f"{us:.0f} µs", "", None,
              f"({mood}; ~25-40 µs when quiet, docs/performance.md 'The disk's two moods')")
    if "own_cpu" in d["first"]:
        own = d["first"]["own_cpu"]
        t.row("  the sync's own CPU (all threads, Anki's writes apart)", fmt_s(own), "", None,
              f"= {own / base:.3f} x the add_notes baseline"
              " (mostly Python under one GIL: the wall time cannot go far below it)")
    if "writes_cpu" in d["first"]:
        # The floor without the GIL: were every part of the sync free to run
        # on either core (other processes), its CPU, Anki's writes included,
        # would still need this long on the machine's cores.
        cores = os.cpu_count() or 1
        floor = (d["first"]["own_cpu"] + d["first"]["writes_cpu"]) / cores
        t.row(f"  the sync's CPU spread over {cores} cores (Anki's writes included)", fmt_s(floor), "", None,
              f"{against_baselines(floor)} (the floor with no GIL at all)")
    if d["first"].get("before_add") is not None:
        # Anki's writes of the new notes are the baselines' core, and the
        # part of the first sync no way of building the notes removes: with
        # the note builder free, what is left is the serial floor.
        first_d = d["first"]
        t.row("  before Anki's first add (read, plan, undo step, first batch)", fmt_s(first_d["before_add"]))
        t.row("  Anki idle between its adds (waiting for the next batch)", fmt_s(first_d["between_adds"]))
        t.row("  after Anki's last add (last state rows, the state's commit)", fmt_s(first_d["after_add"]))
        serial = first_d["before_add"] + first_d["add_notes"] + first_d["after_add"]
        t.row("  the serial floor: before + Anki's writes + after", fmt_s(serial), "", None,
              f"{against_baselines(serial)} (the first sync if the note builder cost nothing)")
    if "first_free_writes" in f:
        free = median(f["first_free_writes"])
        t.row("  the first sync with Anki's writes free (ids made up)", fmt_s(free), "", None,
              f"{against_baselines(free)} (the floor of any way into Anki)")
    t.row("no-op resync", fmt_s(no_op), "no-op/first", no_op / first)
    one = median(f["one_doc"])
    t.row("one document edited", fmt_s(one), "one-doc/first", one / first)
    if "update_all" in f:
        upd, ud = median(f["update_all"]), d["update_all"]
        t.row("every note updated (a setting changed)", fmt_s(upd), "update-all/first", upd / first,
              f" ({ud['calls']} update_notes calls; longest batch {fmt_s(ud['longest_batch'])}: what Escape "
              "waits for before the sync's end)")
    peer_s = median(f["peer"])
    t.row("peer loop (find by tag, add)", fmt_s(peer_s), "peer/no-op", peer_s / no_op,
          f" ({d['peer']['searched']} of {d['peer']['cards']} searches timed)")
    rss = f["rss_mb"]
    t.row("first-sync peak RSS", f"{rss['sync']:.0f} MB", "first-sync peak RSS MB", rss["sync"],
          f" (Anki alone: {rss['idle']:.0f} MB; bare add_notes of the same notes: {rss['baseline']:.0f} MB"
          + (f", bare import_json_string: {rss['baseline_import']:.0f} MB" if "baseline_import" in rss else "")
          + ")")
    imports = f["import_ms"]
    import_ms = imports["package+gui"] - imports["empty"]
    t.row("import addon + GUI module", f"{import_ms:.1f} ms", "import ms", import_ms,
          f" (package alone {imports['package'] - imports['empty']:.1f} ms)")
    sanitise = median(f["sanitiser"])
    t.row("sanitise 100k typical fields", fmt_s(sanitise), "sanitiser s", sanitise)
    if "export" in f:
        e, ed = f["export"], d["export"]
        tar_s, read_s = median(e["tarfile"]), median(e["first_read"])
        t.row(f"export ({ed['gb']:.2f} GB tar.gz): tarfile iterates", fmt_s(tar_s))
        t.row("  first read (stream, keep records)", fmt_s(read_s), "export read/tarfile", read_s / tar_s)
        t.row("  peak RSS added by the read", f"{e['rss_added_mb']:.0f} MB", "export RSS added MB",
              e["rss_added_mb"])
        t.row("  first sync from the export", fmt_s(e["first_sync"]))
        reread = median(e["reread"])
        t.row("  unchanged resync: read phase", fmt_s(reread), "export resync/read", reread / read_s,
              f" (listing from the cache alone {fmt_s(median(e['relist']))}; the whole no-op sync "
              f"{fmt_s(median(e['resync']))}, its apply phase as for a data folder)")
    if f.get("watcher"):
        w = d["watcher"]
        watch = median(f["watcher"])
        t.row("watcher: replace → note", fmt_s(watch), "watcher s", watch,
              f" ({w['mode']}, debounce {w['debounce_ms']} ms)")
        if "watches" in f:
            t.row("  watches held", f"{f['watches']}", "watches - documents", f["watches"] - w["documents"],
                  f" ({w['documents']} documents; {w['folders']} folders with stash/ and 20 .backup-* copies)")
    if f.get("watcher_poll"):
        poll = median(f["watcher_poll"])
        t.row("watcher (stat poll): replace → note", fmt_s(poll), "poll watcher s", poll,
              f" (every {d['watcher_poll']['interval_s']:g} s, as on macOS)")
    if f.get("poll_ms"):
        cost = median(f["poll_ms"])
        docs = len(b.info.documents)
        t.row(f"  one poll of {docs} documents", f"{cost:.2f} ms", "poll ms per 1k docs", cost * 1000 / docs,
              f" (CPU; wall {d['poll_ms']['wall']:.2f} ms; one stat per state.json, no descriptor held)")
    if f.get("open_page"):
        o = d["open_page"]
        opened = median(f["open_page"])
        t.row("click → page shown (open at p. N)", fmt_s(opened), "open page s", max(f["open_page"]),
              f" (page {o['page']} of a {o['pages']}-page, {o['mb']:.1f} MB PDF; cold {o['cold']:.3f} s; "
              "target on the slowest run)")
    if f.get("gui"):
        runs = f["gui"]
        worst = max(runs, key=lambda r: r["max_gap_ms"])
        t.row("first sync in Anki (Tools ▸ Sync)", fmt_s(median([r["sync_s"] for r in runs])), "window late ms",
              worst["max_gap_ms"],
              f" (the main thread's worst gap, during {worst['max_gap_during']!r}; p99 "
              f"{max(r['p99_gap_ms'] for r in runs):.0f} ms; {worst['notes']} notes; target on the worst run)")


def title(b: Bench) -> str:
    a = b.args
    return (f"Polar Sync bench: {a.documents} documents, {b.detail['peer']['cards']} cards, seed {a.seed}, "
            f"{a.reps} reps ({a.quick_reps} for no-op/one-doc); {machine()}")


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores{', ' + model if model else ''}, Python {sys.version.split()[0]}"
