"""Real Anki, headless, in the pytest process (the ``anki`` marker).

PyPI's pytest-anki (1.0.0b7) imports PyQt5 and the removed
``anki.importing.apkg``, so it cannot load on Qt6 Anki 26.x; these fixtures
do the same job with tools/anki_harness.py (see docs/testing.md):

* ``anki`` (session): Anki started once with a seeded profile, Polar Sync
  installed from the freshly built dist/polar_sync.ankiaddon, data_dir set
  to a private copy of tools/sample_library; shut down through Anki's own
  exit path after the last test.
* ``qapp`` is overridden to be Anki's application, so pytest-qt's ``qtbot``
  (and its capture of exceptions raised inside Qt callbacks, which fails
  the test) works on the real thing.

One Anki per session: Qt allows one QApplication per process, and
starting Anki costs ~2 s.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import anki_harness  # noqa: E402

from tests.polar_factory import copy_sample_library  # noqa: E402

# Debounce short enough to keep the tests quick, long enough to merge the
# several events of one atomic write.
DEBOUNCE_MS = 300
WAIT_S = anki_harness.WAIT_S  # only bounds a failure: waits return when the condition holds
# Background syncs wait this long after the user's last undoable step
# (product default 10 s; see addon/gui/quiet.py). Short here so the tests
# that are not about it do not wait; the Undo story sets its own.
QUIET_SECONDS = 1.0
# How long a progress window Anki is closing may take on a loaded machine
# (its own rule is 0.5 s after an op shown late); a bound, not a measurement.
STRAY_PROGRESS_S = 10.0


class Session:
    def __init__(self, anki: anki_harness.Anki, library: Path, base: Path) -> None:
        self.anki = anki
        self.library = library
        self.base = base
        self.modals: Any = None  # (a _ModalWatch, once Anki runs)
        # The profile's startup sync as it finished, and the notes then: kept
        # for test_in_anki's test of it, whichever test of the session runs first.
        self.startup: Any = None
        self.notes_after_startup: List[Any] = []
        runner = self.controller.runner
        if runner.finished_count and self.controller.last_outcome is not None:  # (over already)
            self._first_sync(self.controller.last_outcome)
            return
        finished = runner.on_finished

        def on_finished(outcome: Any) -> Any:
            self._first_sync(outcome)
            return finished(outcome)

        runner.on_finished = on_finished

    def _first_sync(self, outcome: Any) -> None:
        if self.startup is None:
            self.startup = outcome
            self.notes_after_startup = self.notes()

    @property
    def mw(self) -> Any:
        return self.anki.mw

    @property
    def controller(self) -> Any:
        return self.anki.controller

    @property
    def addon_dir(self) -> Path:
        return Path(self.mw.addonManager.addonsFolder(anki_harness.PACKAGE))

    def set_config(self, **changes: Any) -> Dict[str, Any]:
        """Change settings exactly as Anki's config editor does on OK."""
        return self.anki.set_config(**changes)

    def wait_synced(self, count_before: int, timeout: float = WAIT_S) -> Any:
        """Wait for the next sync after ``count_before`` and an idle runner."""
        runner = self.controller.runner
        self.anki.wait_until(
            lambda: runner.finished_count > count_before and not runner.busy and not runner.pending,
            timeout,
            "a sync to finish",
        )
        return self.controller.last_outcome

    def settle(self, timeout: float = WAIT_S) -> None:
        """Wait until no sync is running, queued or waiting for the debounce."""
        c = self.controller
        self.anki.wait_until(
            lambda: not c.runner.busy and not c.runner.pending and not c._debounce.isActive(),
            timeout,
            "the sync queue to drain",
        )

    def wait_progress_closed(self, timeout: float = WAIT_S) -> None:
        """Wait until Anki's progress window is gone. (26.9 keeps a window it
        showed < 0.5 s ago and closes it later, from a background sleep.)"""
        progress = self.mw.progress
        self.anki.wait_until(lambda: progress._levels == 0 and progress._win is None, timeout,
                             "Anki's progress window to close")

    def menu_action(self, text: str) -> Any:
        for action in self.mw.form.menuTools.actions():
            if action.text() == text:
                return action
            sub = action.menu()
            if sub is not None:
                for inner in sub.actions():
                    if inner.text() == text:
                        return inner
        raise LookupError(text)

    def trigger_and_wait(self, text: str, timeout: float = WAIT_S) -> Any:
        before = self.controller.runner.finished_count
        self.menu_action(text).trigger()
        return self.wait_synced(before, timeout)

    def notes(self, search: str = "tag:polar") -> list:
        col = self.mw.col
        return [col.get_note(nid) for nid in col.find_notes(search)]


# Anki ran in this process: once pytest has reported, the process ends with
# os._exit and skips the interpreter's finalisation. With Anki (Qt, Chromium)
# shut down in-process, PyQt's own atexit clean-up (cleanup_on_exit ->
# cleanup_qobject, seen in gdb) now and then segfaults after every test
# passed (exit 139; also in tools/screenshots.py, docs/dev-notes/words.md).
_ANKI_RAN: List[bool] = []
_EXIT_STATUS: List[int] = []


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    _EXIT_STATUS.append(int(exitstatus))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _ANKI_RAN and _EXIT_STATUS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_EXIT_STATUS[-1])


@pytest.fixture(scope="session")
def anki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    # The tests install the same file `make build` produces, built now from
    # this checkout so a stale dist/ can never be what gets tested.
    subprocess.run([sys.executable, str(ROOT / "tools" / "build_addon.py")], check=True,
                   stdout=subprocess.DEVNULL)
    root = tmp_path_factory.mktemp("anki-gui")
    library = copy_sample_library(root / "polar")
    base = root / "anki-base"
    anki_harness.prepare_environment(offscreen=True)
    anki_harness.seed_base(base)
    started = anki_harness.start(
        base,
        anki_harness.DIST,
        config={"data_dir": str(library), "watch_debounce_ms": DEBOUNCE_MS},
    )
    session = Session(started, library, base)
    session.controller.quiet.seconds = QUIET_SECONDS
    session.modals = _ModalWatch()
    _ANKI_RAN.append(True)
    try:
        yield session
    finally:
        anki_harness.shutdown(started)
        shutil.rmtree(root, ignore_errors=True)


# A modal box nobody answers (a message box's exec() is an event loop of its
# own) would hold the whole run until CI's limit: closed after this long,
# and the test it fell in fails with its words (``_no_stray_modal``). Far
# above any step of a test that answers a box itself.
MODAL_LIMIT_S = 60.0


class _ModalWatch:
    """Once a second (its timer runs inside a modal box's event loop too):
    a modal window other than a progress window, up for ``MODAL_LIMIT_S``,
    is closed and remembered with its words; a web page's ``alert()``
    (Anki shows it as a box) is remembered with the page's address."""

    def __init__(self) -> None:
        from aqt.qt import QTimer
        from aqt.webview import AnkiWebPage

        self.seen: List[str] = []
        self.limit = MODAL_LIMIT_S
        self._up: Dict[int, float] = {}
        self._timer = QTimer()
        self._timer.timeout.connect(self._tick)
        self._timer.start(1000)
        real = AnkiWebPage.javaScriptAlert

        def alert(page: Any, frame: Any, text: str) -> None:
            url = frame.toString()
            if text.strip() == "TypeError: Failed to fetch" and "/_addons/" not in url:
                # Anki's own page lost a request to Anki's own web server
                # (waitress drops a connection on a loaded machine: "unhandled
                # close event"): seen once in ~40 full runs, never from a page
                # of the add-on's (those are under /_addons/). Said, not failed.
                import warnings

                warnings.warn(f"Anki's page {url} could not reach Anki's web server: {text}", stacklevel=1)
                return  # (its box not shown: it waits for an answer)
            self.seen.append(f"a page's alert() ({url}): {text}")
            real(page, frame, text)

        AnkiWebPage.javaScriptAlert = alert  # type: ignore[method-assign]

    def _tick(self) -> None:
        import time

        from aqt.qt import QApplication

        modal = QApplication.activeModalWidget()
        if modal is None or "Progress" in type(modal).__name__:
            self._up.clear()
            return
        since = self._up.setdefault(id(modal), time.monotonic())
        if time.monotonic() - since < self.limit:
            return
        text = modal.text() if hasattr(modal, "text") else ""
        self.seen.append(f"closed after {self.limit:g} s: {type(modal).__name__} {modal.windowTitle()!r}: {text}")
        self._up.pop(id(modal), None)
        if hasattr(modal, "reject"):
            modal.reject()
        else:
            modal.close()

    def take(self) -> List[str]:
        seen, self.seen = self.seen, []
        return seen


@pytest.fixture(scope="session")
def qapp(anki: Session) -> Any:
    return anki.anki.app


@pytest.fixture(autouse=True)
def _no_stray_modal(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each GUI test: no modal dialog (an error box, a question) is
    left open; one would block a real user."""
    yield
    if "anki" not in request.fixturenames:
        return
    from aqt.qt import QApplication

    session: Session = request.getfixturevalue("anki")
    session.anki.process(0.2)  # let Anki's error handler (100 ms timer) run
    boxes = session.modals.take()
    assert not boxes, f"Anki showed a box nobody answered: {boxes}"
    modal = QApplication.activeModalWidget()
    if type(modal).__name__ == "ProgressDialog":
        # An op that ended just now may still have Anki's window up (see
        # wait_progress_closed): closing itself is not stray; one still open
        # after this wait is.
        try:
            session.wait_progress_closed(STRAY_PROGRESS_S)
        except TimeoutError:
            pass
        modal = QApplication.activeModalWidget()
    assert modal is None, f"a modal window was left open: {modal.windowTitle()!r}"
    import aqt.errors

    box = getattr(aqt.errors, "_mbox", None)
    assert box is None or not box.isVisible(), f"Anki showed an error: {box.text()}"


@pytest.fixture
def lang() -> Iterator[Any]:
    """``lang("de")``: the add-on's words in that language for this test
    (``i18n.force``), Anki's own after it."""
    from addon.gui import i18n

    yield i18n.force
    i18n.force(None)
