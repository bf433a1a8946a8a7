"""Start real Anki (aqt) inside the current Python process, with a seeded
throwaway base folder and Polar Sync installed from the built .ankiaddon.

Shared by the GUI tests (tests/gui/conftest.py), `make anki`
(tools/run_anki.py) and tools/screenshots.py, so all three exercise the same
start-up path:

1. seed the base folder the way Anki's first run would, so no modal
   language or profile dialog blocks (firstRun off, en_US, one profile,
   update checks off);
2. ``aqt._run(exec=False)`` builds the main window; the profile is opened
   by a 10 ms timer, so nothing has touched the collection yet;
3. install the file with ``mw.addonManager.install()`` (Anki's own code for
   "Install from file": manifest check, extraction, meta.json), write the
   add-on config, then ``mw.addonManager.loadAddons()`` (Anki's own loader)
   so the add-on's hooks are in place before the profile opens;
4. shut down through Anki's own ``unloadProfileAndExit`` inside its event
   loop, then restore the interpreter hooks Anki replaced (it sets
   ``sys.excepthook = None`` on exit, which turns any later exception into
   "TypeError: 'NoneType' object is not callable").
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "dist" / "polar_sync.ankiaddon"
PACKAGE = "polar_sync"
PROFILE = "Polar Test"
# Default limit of wait_until: it returns as soon as its condition holds, so
# the limit only bounds a failure; generous for a loaded 2-core CI machine.
WAIT_S = 120.0


def prepare_environment(offscreen: bool = True) -> None:
    """Environment Anki needs before Qt starts."""
    if offscreen:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        os.environ["QTWEBENGINE_DISABLE_SANDBOX"] = "1"  # Chromium refuses root otherwise
    # A unique key: never talk to (or be mistaken for) another running Anki.
    os.environ["ANKI_SINGLE_INSTANCE_KEY"] = f"polar-sync-{uuid.uuid4().hex}"
    os.environ.setdefault("ANKI_NOHIGHDPI", "1")


def seed_base(base: Path, profile: str = PROFILE, lang: str = "en_US") -> None:
    """Create Anki's prefs21.db with one profile, as after a finished first run
    (``lang``: Anki's interface language; the profile's collection, made when
    it first opens, names its stock note types in it)."""
    from aqt.profiles import ProfileManager

    base.mkdir(parents=True, exist_ok=True)
    pm = ProfileManager(base)
    pm.setupMeta()
    pm.meta["firstRun"] = False
    _no_update_checks(pm)
    pm.setLang(lang)  # also saves meta
    pm.create(profile)
    assert pm.db is not None
    pm.db.close()


def _no_update_checks(pm: Any) -> None:
    """No AnkiWeb add-on check and no "new Anki version" box in a test run.

    Newer Anki has a profile setting for each; Anki 23.10 has neither and
    checks add-ons once a day: mark them as just checked (Anki's own update
    check there is switched off in ``start``)."""
    for setter in ("set_update_check", "set_check_for_addon_updates"):
        if hasattr(pm, setter):
            getattr(pm, setter)(False)
    if not hasattr(pm, "set_check_for_addon_updates"):
        from anki.utils import int_time

        pm.set_last_addon_update_check(int_time())


class Anki:
    """A running Anki: ``app``, ``mw`` and the add-on's module."""

    def __init__(self, app: Any, mw: Any, event_loop_waits: bool = False) -> None:
        self.app = app
        self.mw = mw
        self.event_loop_waits = event_loop_waits
        self._saved_stderr = sys.stderr

    @property
    def addon(self) -> Any:
        """The installed package's gui.setup module (holds ``controller``)."""
        return sys.modules[f"{PACKAGE}.gui.setup"]

    @property
    def controller(self) -> Any:
        return self.addon.controller

    def process(self, seconds: float = 0.0) -> None:
        end = time.monotonic() + seconds
        while True:
            self.app.processEvents()
            if time.monotonic() >= end:
                return
            self._idle()

    def _idle(self) -> None:
        """10 ms asleep, or with ``event_loop_waits`` inside an event loop of
        Qt's own: Anki 23.10's web views (Qt WebEngine 6.6) hand the page's
        bridge messages, its "domDone" among them, to Python only while an
        event loop runs, and a bare ``processEvents()`` never delivered them
        (the deck list and the reviewer then never finished loading, every
        ``evalWithCallback`` waited forever: tools/card_shots.py timed out
        there). The screenshot tools wait so; the GUI tests keep the sleep
        they were written against (an event loop also runs a ``deleteLater``
        that a bare ``processEvents()`` leaves pending)."""
        if not self.event_loop_waits:
            time.sleep(0.01)
            return
        from aqt.qt import QEventLoop, QTimer

        loop = QEventLoop()
        QTimer.singleShot(10, loop.quit)
        loop.exec()

    def wait_until(self, predicate: Callable[[], Any], timeout: float = WAIT_S, what: str = "") -> Any:
        """Run Anki's event loop until ``predicate()`` is truthy."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.app.processEvents()
            value = predicate()
            if value:
                return value
            self._idle()
        raise TimeoutError(f"timed out after {timeout:g} s waiting for {what or predicate}")

    def collection_work_done(self, timeout: float = WAIT_S) -> None:
        """Anki's own pending collection work finished, its callbacks run:
        the deck list's refresh an op asked for (done now if it was left for
        the window's focus) and whatever the collection's one background
        thread holds (a sentinel queued behind it, its callback run after
        theirs). Before a quit: Anki 23.10 quit with the deck list's query in
        flight runs its callback after the collection closed, a traceback of
        Anki's own ("'NoneType' object has no attribute 'conf'")."""
        mw = self.mw
        if mw.col is None:
            return
        if mw.state == "deckBrowser" and getattr(mw.deckBrowser, "_refresh_needed", False):
            mw.deckBrowser.refresh()
        done: List[bool] = []
        mw.taskman.run_in_background(lambda: None, lambda _future: done.append(True))
        self.wait_until(lambda: done, timeout, "Anki's pending collection work")

    def set_config(self, **changes: Any) -> Dict[str, Any]:
        """Change the add-on's settings exactly as Anki's config editor does
        on OK (the add-on then syncs as it would for the person): the
        settings written."""
        manager = self.mw.addonManager
        conf = {**manager.getConfig(PACKAGE), **changes}
        manager.writeConfig(PACKAGE, conf)
        manager.configUpdatedAction(PACKAGE)(conf)
        return conf

    def wait_for_page(self, predicate: Callable[[], Any], timeout: float = WAIT_S, what: str = "") -> Any:
        """``wait_until`` for what a web page tells Python (the editor's
        "key" messages, say): waits inside Qt's event loop, as in Anki,
        whatever ``event_loop_waits`` says. On Anki 23.10, with the bare
        sleep, the typed keys' messages could stay undelivered for the whole
        wait on a loaded machine (reproduced: 7 of 7 runs of beside4's typing
        story beside two busy processes; with this, 3 of 3 passed)."""
        before, self.event_loop_waits = self.event_loop_waits, True
        try:
            return self.wait_until(predicate, timeout, what)
        finally:
            self.event_loop_waits = before

    def wait_rendered(self, window: Any, timeout: float = WAIT_S) -> Any:
        """Until the add-on's document window shows its current page drawn
        at its size: pages are drawn on Qt PDF's renderer thread, after
        ``open()``/``go_to()`` returned (``rendered_page`` and
        ``view.mark_rects()`` are then the page's)."""
        return self.wait_until(lambda: window.isVisible() and not window.rendering
                               and window.rendered_page == window.current_page, timeout,
                               f"the document window to draw page {window.current_page}")


def start(
    base: Path,
    addon_file: Optional[Path] = DIST,
    config: Optional[Dict[str, Any]] = None,
    profile: str = PROFILE,
    timeout: float = 2 * WAIT_S,
    event_loop_waits: bool = False,
) -> Anki:
    """Start Anki with the add-on installed from ``addon_file`` (None: no
    add-on, as on a computer without it); returns once the profile's
    collection is open. ``event_loop_waits``: see ``Anki._idle`` (the
    screenshot tools: Anki 23.10's web views need it)."""
    import aqt

    # AnkiApp reads ANKI_SINGLE_INSTANCE_KEY when aqt is *imported*; in a
    # test run something may have imported aqt before prepare_environment(),
    # and then this Anki would hand over to any other Anki of the same user
    # ("Already running; reusing existing instance") and never start.
    key = os.environ.get("ANKI_SINGLE_INSTANCE_KEY")
    if key:
        aqt.AnkiApp.KEY = key
    saved_stderr = sys.stderr
    app = aqt._run(["anki", "-b", str(base), "-p", profile], exec=False)
    if app is None:
        raise RuntimeError("Anki did not start (another instance answered, or the base folder is unusable)")
    mw = aqt.mw
    if not hasattr(mw.pm, "check_for_updates"):
        # Anki 23.10 asks AnkiWeb for a newer version after every profile
        # open, with no setting to stop it (later versions read the one
        # seed_base switched off); a test run never asks.
        mw.setup_auto_update = lambda *_: None
    if addon_file is not None:
        result = mw.addonManager.install(str(addon_file))
        if not hasattr(result, "name"):
            raise RuntimeError(f"Anki refused to install {addon_file}: {result}")
        if config:
            mw.addonManager.writeConfig(PACKAGE, config)
        # addon/__init__.py stays inert under pytest unless told otherwise.
        os.environ["POLAR_SYNC_FORCE_GUI"] = "1"
        try:
            mw.addonManager.loadAddons()
        finally:
            del os.environ["POLAR_SYNC_FORCE_GUI"]
    anki = Anki(app, mw, event_loop_waits)
    anki._saved_stderr = saved_stderr
    anki.wait_until(lambda: mw.col is not None and mw.state == "deckBrowser", timeout, "the profile to open")
    return anki


def shutdown(anki: Anki, timeout: float = WAIT_S) -> None:
    """Close Anki as the user would (File ▸ Exit), inside its own event loop."""
    from aqt.qt import QTimer

    app, mw = anki.app, anki.mw
    guard = QTimer()
    guard.setSingleShot(True)
    guard.timeout.connect(lambda: app.exit(1))  # never hang a test run
    guard.start(int(timeout * 1000))
    QTimer.singleShot(0, mw.unloadProfileAndExit)
    code = app.exec()
    guard.stop()
    sys.excepthook = sys.__excepthook__
    sys.stderr = anki._saved_stderr
    if code != 0:
        raise RuntimeError(f"Anki did not shut down cleanly within {timeout:g} s (exit code {code})")


SAMPLE = ROOT / "tools" / "sample_library"


@contextmanager
def sample_session(prefix: str, prepare: Optional[Callable[[Path], None]] = None,
                   **config: Any) -> Iterator[Tuple[Anki, Path]]:
    """The shot tools' Anki: offscreen, a fresh profile whose add-on syncs a
    copy of the sample library (``prepare`` adds to it first; ``config``: the
    add-on's settings beside the folder), once its startup sync is done;
    Anki shut down and every file of it removed after."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        library = work / "polar"
        shutil.copytree(SAMPLE, library)
        if prepare is not None:
            prepare(library)
        prepare_environment(offscreen=True)
        base = work / "anki-base"
        seed_base(base)
        session = start(base, config={"data_dir": str(library), "watch": False, **config}, event_loop_waits=True)
        try:
            controller = session.controller
            session.wait_until(lambda: controller.runner.finished_count >= 1, 60, "the startup sync")
            yield session, library
        finally:
            shutdown(session)
    finally:
        shutil.rmtree(work, ignore_errors=True)
