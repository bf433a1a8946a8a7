"""Settings out of range (a hand-edited config, a CLI --config): a warning
naming the key, the value and the value used instead; the sync runs with the
safe value and never fails card by card; the study data stays."""

from __future__ import annotations

import json
import shutil

import pytest

from addon.settings import Settings
from addon.sync.engine import sync
from tests.reliability.cli_run import StudyData, cli, study
from tests.reliability.helpers import build_library, integrity_problems

BAD = {
    "max_image_bytes": 10**30,  # once failed every card with an image (read(n + 1) overflowed)
    "delete_max_share": 7.5,
    "deletion_policy": "purge",
    "conflict_policy": "mine",
    "deck_strategy": "folder",
    "watch_debounce_ms": -1,
    "context": "yes",
}


@pytest.mark.parametrize("key,value,used", [
    ("max_image_bytes", 10**30, 1024**3),
    ("max_image_bytes", -1, 10 * 1024 * 1024),
    ("max_image_bytes", 2.5, 10 * 1024 * 1024),
    ("delete_max_share", 7.5, 0.2),
    ("delete_max_share", -0.1, 0.2),
    ("delete_max_share", float("nan"), 0.2),
    ("delete_max_share", float("inf"), 0.2),
    ("deletion_policy", "purge", "suspend"),
    ("deletion_policy", None, "suspend"),
    ("conflict_policy", "mine", "polar_wins"),
    ("deck_strategy", "folder", "tag"),
    ("watch_debounce_ms", 10**12, 600_000),
    ("context", "yes", True),
])
def test_each_bad_value_is_named_with_the_value_used(key, value, used):
    settings, warnings = Settings.from_dict({key: value})
    assert getattr(settings, key) == used
    assert len(warnings) == 1 and key in warnings[0] and repr(used) in warnings[0]
    assert repr(value)[:20] in warnings[0]


def test_sync_with_bad_settings_runs_and_keeps_study_data(tmp_path):
    lib = build_library(tmp_path / "lib", 3, 8, images_every=2)  # area images and inline images
    col_path = tmp_path / "col" / "collection.anki2"
    report_path = tmp_path / "r.json"
    first = cli("--data-dir", str(lib), "--collection", str(col_path))
    assert first.returncode == 0, first.stderr
    studied = study(col_path)
    shutil.rmtree(lib / "1LibDoc0002")  # under a real "delete" this would remove notes
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(BAD))
    out = cli("--data-dir", str(lib), "--collection", str(col_path), "--config", str(cfg),
              "--report", str(report_path))
    assert out.returncode == 0, out.stderr
    report = json.loads(report_path.read_text())
    named = {w["message"].split("=")[0] for w in report["warnings"] if w["path"] == f"--config {cfg}"}
    assert named == set(BAD)
    assert report["errors"] == []  # no card failed over its images
    assert report["deleted"] == 0 and report["orphaned"] == 8  # "purge" fell back to suspend

    from anki.collection import Collection

    col = Collection(str(col_path))
    try:
        after = StudyData.of(col)
        assert after.revlog == studied.revlog
        assert [r[:6] for r in after.reviewed] == [r[:6] for r in studied.reviewed]  # suspension only changes queue
        assert col.db.scalar("select count() from notes") == studied.notes
        assert integrity_problems(col) == []
    finally:
        col.close()


def test_huge_image_limit_still_syncs_images(col, tmp_path):
    lib = build_library(tmp_path / "lib", 1, 8, images_every=2)
    settings, warnings = Settings.from_dict({"max_image_bytes": 2**70})
    assert warnings
    report = sync(col, settings, tmp_path / "s.sqlite", source_path=lib)
    assert report.errors == [] and report.created == 8
    assert col.db.scalar("select count() from notes where flds like '%<img%'") >= 4
