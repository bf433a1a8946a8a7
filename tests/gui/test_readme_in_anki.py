"""What README.md tells a new user, in real Anki (after test_in_anki.py: the
startup sync has run)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.anki


def test_a_sync_you_start_that_changes_nothing_says_so_and_is_logged(anki):
    """README "Using it": a sync that changed nothing says "Polar Sync:
    everything is up to date." when you started it (it stays quiet only when it
    ran by itself: test_words.py's background case); the log records it."""
    from aqt import utils

    anki.settle()
    utils.closeTooltip()
    log = anki.addon_dir / "user_files" / "sync-log.txt"
    entries = log.read_text().count("\n\n")
    outcome = anki.trigger_and_wait("Sync from Polar")
    assert outcome.request.trigger == "manual" and not outcome.report.changed
    assert outcome.report.documents > 0
    anki.anki.process(0.2)
    assert utils._tooltipLabel is not None
    assert "Polar Sync: everything is up to date." in utils._tooltipLabel.text()
    assert log.read_text().count("\n\n") == entries + 1
    utils.closeTooltip()
