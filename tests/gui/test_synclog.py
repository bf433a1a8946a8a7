"""The sync log and last-report.json keep every sync's entry, whatever text
its report holds.

Found by reading the new code (branch ``newcode``): the summary's problem
lines now lead with the document's title, and a damaged document's title is
salvaged from its bytes (``read.salvage_title``), where a lone surrogate
(a title cut inside an emoji, written by JSON.stringify as ``\\ud83d``) is
kept. Writing it as UTF-8 raised, so that sync's log entry and its
last-report.json were lost without a word (the add-on swallows the error:
"a log line is not worth an error box")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from addon.gui import synclog
from tests.polar_factory import Doc, basic
from tests.sync.helpers import run


def _damaged_with_a_cut_title(lib: Path) -> None:
    doc = Doc(lib, "1CutTitleDoc", title="Cut inside an emoji \ud83d", tags=["deck:Cut"])
    doc.card("1CutTitleCard", basic("<p>Question?</p>", "<p>Answer.</p>"))
    path = doc.write()
    path.write_bytes(path.read_bytes()[:-40])  # cut short: the title is salvaged from the bytes


def test_a_report_with_a_lone_surrogate_is_logged_and_kept(col: Any, tmp_path: Path) -> None:
    lib = tmp_path / "polar"
    _damaged_with_a_cut_title(lib)
    report = run(col, lib, tmp_path / "state.db")
    summary = report.summary()
    assert "\ud83d" in summary  # (the title as salvaged, in the problem's line)
    user_files = tmp_path / "user_files"
    synclog.append_log("User 1", "Sync from Polar", summary, report.to_dict(), user_files=user_files, when=0)
    entries = synclog.log_path(user_files).read_text(encoding="utf-8")
    assert "Cut inside an emoji" in entries and "1CutTitleDoc/state.json" in entries
    kept = json.loads((user_files / synclog.LAST_REPORT_NAME).read_bytes())
    assert [e["path"] for e in kept["errors"]] == ["1CutTitleDoc/state.json"]
