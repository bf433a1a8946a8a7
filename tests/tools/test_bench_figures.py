"""tools/bench_figures.py and bench_table.py: the disk's mood told beside the first sync."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import bench_figures  # noqa: E402
import bench_table  # noqa: E402


def test_the_disk_probe_times_new_files_and_leaves_them_without_a_temp_file(tmp_path: Path) -> None:
    us = bench_figures.disk_probe_us(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    assert len(made) == bench_figures.DISK_PROBE_FILES
    assert all(name.startswith(".bench-disk-probe-") and not name.endswith(".tmp") for name in made)
    # A real time: more than nothing, less than a file a tenth of a second.
    assert 0 < us < 100_000


def test_the_table_says_the_disks_mood_and_each_new_files_cost() -> None:
    for probe, mood in ((30.0, "quiet"), (500.0, "slow")):
        rows = _first_rows({"media_cpu": 0.76, "media_files": 3800.0, "disk_us": probe})
        files = next(r for r in rows if r[0].strip().startswith("new media files"))
        assert files[4] == "(200 µs a file, 3800 files)"
        disk = next(r for r in rows if r[0].strip().startswith("the disk"))
        assert disk[1] == f"{probe:.0f} µs" and disk[4].startswith(f"({mood}")


def _first_rows(extra: dict) -> list:
    """The table's rows for a made-up run (the first sync's details only)."""
    first = {"prepare": 0.6, "apply": 2.4, "add_notes": 1.9, **extra}

    class Run:
        found = {"first": [3.0], "baseline": [3.1], "noop": [0.04], "one_doc": [0.05], "peer": [100.0],
                 "rss_mb": {"sync": 380.0, "idle": 110.0}}
        detail = {"first": first, "peer": {"searched": 10, "cards": 100}}

    t = bench_table.Table(enforce=False)
    try:
        bench_table.rows(Run(), t)  # type: ignore[arg-type]
    except (KeyError, TypeError):
        pass  # the figures after the first sync's are not made up here
    return t.rows
