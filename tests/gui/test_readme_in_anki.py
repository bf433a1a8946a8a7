"""What README.md tells a new user, in real Anki (after test_in_anki.py: the
startup sync has run)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anki


def test_a_sync_you_start_that_changes_nothing_says_so_and_is_logged(anki, tmp_path):
    """README "Using it": a sync that changed nothing says "Polar Sync:
    everything is up to date." when you started it (it stays quiet only when it
    ran by itself: test_words.py's background case); the log records it. A
    fresh copy of the sample library: earlier tests leave problems in theirs
    (a problem brings the notice instead, as the README says)."""
    from aqt import utils
    from aqt.qt import sip

    from tests.polar_factory import copy_sample_library

    library = copy_sample_library(tmp_path / "polar")
    anki.set_config(watch=False)
    try:
        anki.settle()
        anki.set_config(data_dir=str(library))
        anki.settle()
        notice = getattr(anki.controller, "notice", None)
        if notice is not None and not sip.isdeleted(notice):  # (a notice closes itself after 15 s: deleted)
            notice.close()
        utils.closeTooltip()
        log = anki.addon_dir / "user_files" / "sync-log.txt"
        entries = log.read_text().count("\n\n")
        outcome = anki.trigger_and_wait("Sync from Polar")
        assert outcome.request.trigger == "manual" and not outcome.report.changed
        assert outcome.report.documents > 0 and not outcome.report.errors
        anki.anki.process(0.2)
        assert utils._tooltipLabel is not None
        assert "Polar Sync: everything is up to date." in utils._tooltipLabel.text()
        assert log.read_text().count("\n\n") == entries + 1
    finally:
        utils.closeTooltip()
        anki.set_config(data_dir=str(anki.library), watch=True)
        anki.settle()


def test_every_menu_entry_the_docs_name_is_in_the_tools_menu(anki):
    """README.md, addon/config.md and docs/*.md name the add-on's entries as
    "Tools ▸ **X**" and "Tools ▸ Polar Sync ▸ **X**" (with a line break
    anywhere between): each is an entry of Anki's Tools menu or of the
    add-on's submenu, spelled as it shows (the README once said "Preview (dry
    run)" for "Preview (dry run)…")."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    text = " ".join(p.read_text(encoding="utf-8") for p in [
        root / "README.md", root / "addon" / "config.md", *sorted((root / "docs").glob("*.md"))])
    text = re.sub(r"\s+", " ", text)
    top = {a.text() for a in anki.mw.form.menuTools.actions()}
    submenu = next(a.menu() for a in anki.mw.form.menuTools.actions() if a.text() == "Polar Sync")
    entries = {a.text() for a in submenu.actions() if a.text()}
    named_top = set(re.findall(r"Tools ▸ \*\*([^*]+)\*\*", text))
    named_sub = set(re.findall(r"Tools ▸ Polar Sync ▸ \*\*([^*]+)\*\*", text))
    named_sub |= set(re.findall(r"Polar Sync ▸ \"([^\"]+)\"", text))  # config.md quotes them
    assert named_top and len(named_sub) >= 4
    assert named_top - top == set()
    assert named_sub - entries == set()
