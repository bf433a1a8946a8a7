"""tools/build_addon.py: without PyPI, building says why in words, not pip's traceback."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import build_addon  # noqa: E402


def test_without_pypi_the_build_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An index nobody listens on (the connection is refused at once), no config file,
    # no cache: the real pip fails as it does on a machine without PyPI.
    monkeypatch.setattr(build_addon, "WHEEL_CACHE", tmp_path / "wheels")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    with pytest.raises(SystemExit) as stop:
        build_addon._watchdog_from_wheel()
    said = str(stop.value.code)
    assert said.startswith(f"build_addon: could not download watchdog {build_addon.WATCHDOG_VERSION}")
    assert "Traceback" not in said
    first, hint = said.split("\n")
    assert "pip" in first and first.count(": ") >= 2  # pip's own last line, after ours
    assert "PyPI" in hint and str(tmp_path / "wheels") in hint
