"""Shared by the sync suites (and the reliability ones): one sync with explicit settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from addon.settings import Settings
from addon.sync.engine import sync
from addon.sync.report import Report


def run(col: Any, library: Path, state: Path, **config: Any) -> Report:
    """Sync ``library`` into ``col`` with the defaults plus ``config``, which
    must be valid (a typo in a test would otherwise test the default)."""
    settings, warnings = Settings.from_dict(config)
    assert not warnings, warnings
    return sync(col, settings, state, source_path=library)
