"""Shared fixtures: real Anki collections in temp dirs, Polar libraries on disk."""

import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# No per-example deadline and no "generation too slow" health check for any
# property test: both are wall-clock limits that a loaded CI machine trips.
settings.register_profile("polar", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("polar")

from tests.polar_factory import copy_sample_library  # noqa: E402


def make_collection(path: Path, lang: str = "en_US"):
    """A fresh collection whose stock note types are named in ``lang``."""
    import anki.lang
    from anki.collection import Collection

    path.parent.mkdir(parents=True, exist_ok=True)
    anki.lang.set_lang(lang)
    try:
        col = Collection(str(path))
    finally:
        anki.lang.set_lang("en_US")
    # Anki's day ends at 4:00 local time; a test answering a new card between
    # 3:50 and 4:00 saw its 10-minute learning step fall after the day's end,
    # the card not come back "today" and stay in learning (a test expecting a
    # studied card failed before 4 a.m. only). The day's end 12 hours away:
    # no test's steps reach it, at whatever hour the suite runs.
    col.set_config("rollover", (time.localtime().tm_hour + 12) % 24)
    return col


@pytest.fixture
def col(tmp_path):
    c = make_collection(tmp_path / "col" / "collection.anki2")
    yield c
    c.close()


@pytest.fixture
def col_de(tmp_path):
    c = make_collection(tmp_path / "col_de" / "collection.anki2", "de_DE")
    yield c
    c.close()


@pytest.fixture
def library(tmp_path):
    """A private copy of tools/sample_library the test may edit."""
    return copy_sample_library(tmp_path / "polar")


@pytest.fixture
def state_path(tmp_path):
    return tmp_path / "state.sqlite"
