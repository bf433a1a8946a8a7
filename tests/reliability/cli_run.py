"""Running the real CLI in a subprocess for the reliability suites: plainly,
paused at a named point (``POLAR_SYNC_PAUSE_AT``) to send it a real signal,
or bound by file modes (which root ignores); and the
study data of a collection, to compare before and after."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tools" / "polar_sync.py"
DRIVER = Path(__file__).resolve().parent / "crash_driver.py"


def cli(*args: str, env: Optional[Dict[str, str]] = None, as_user: bool = False,
        driver: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*(bound_by_file_modes() if as_user else []), sys.executable, str(DRIVER if driver else CLI), *args],
        capture_output=True, text=True, timeout=300, env=env,
    )


_DAC = "-dac_override,-dac_read_search,-fowner"


def bound_by_file_modes() -> List[str]:
    """A command prefix under which file modes bind: root ignores them, so
    it runs without the capabilities that let it (setpriv, util-linux)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: file modes cannot be tested")
    return [setpriv, "--bounding-set", _DAC, "--inh-caps", _DAC, "--"]


class Paused:
    """The CLI stopped at ``point`` (the first of a comma-separated list),
    waiting for a signal."""

    def __init__(self, point: str, *args: str, as_user: bool = False) -> None:
        env = dict(os.environ, POLAR_SYNC_PAUSE_AT=point)
        prefix = bound_by_file_modes() if as_user else []
        self.proc = subprocess.Popen([*prefix, sys.executable, str(CLI), *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.wait_for(point.split(",")[0])

    def wait_for(self, point: str) -> None:
        assert self.proc.stderr is not None
        seen: List[str] = []
        for line in self.proc.stderr:  # blocks until the CLI reports the point (or exits)
            seen.append(line)
            if line.strip() == f"PAUSED {point}":
                return
        out, err = self.proc.communicate()
        raise AssertionError(f"the CLI never reached {point!r} (exit {self.proc.returncode}): {''.join(seen)}{err}")

    def nudge(self, signum: int = signal.SIGINT) -> None:
        """Send a signal and let it go on (to its next pause point)."""
        self.proc.send_signal(signum)

    def signal(self, signum: int = signal.SIGINT) -> Tuple[int, str, str]:
        self.proc.send_signal(signum)
        out, err = self.proc.communicate(timeout=300)
        return self.proc.returncode, out, err


def listing(folder: Path) -> Dict[str, Any]:
    """Every entry under ``folder`` (relative name → size, or "dir"/"link")."""
    out: Dict[str, Any] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            out[rel] = "link -> " + os.readlink(path)
        elif path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = path.stat().st_size
    return out


@dataclass
class StudyData:
    revlog: List[Tuple[Any, ...]]
    reviewed: List[Tuple[Any, ...]]  # (id, did, odid, due, odue, ivl, queue, type) of cards with reviews
    notes: int

    @classmethod
    def of(cls, col: Any) -> StudyData:
        return cls(
            revlog=col.db.all("select id, cid, ease, ivl, lastIvl, type from revlog order by id"),
            reviewed=col.db.all(
                "select id, did, odid, due, odue, ivl, queue, type from cards "
                "where id in (select cid from revlog) order by id"),
            notes=col.db.scalar("select count() from notes"),
        )


def read_study_data(col_path: Path) -> StudyData:
    from anki.collection import Collection

    col = Collection(str(col_path))
    try:
        return StudyData.of(col)
    finally:
        col.close()


def study(col_path: Path, answers: int = 6, due_in_days: str = "7") -> StudyData:
    """Answer cards through the real scheduler, push some reviews out by
    ``due_in_days`` (so due/ivl differ from a new card's), then close."""
    from anki.collection import Collection

    col = Collection(str(col_path))
    try:
        done = 0
        for deck in sorted(col.decks.all_names_and_ids(), key=lambda d: d.id):
            col.decks.select(deck.id)
            while done < answers:
                card = col.sched.getCard()
                if card is None:
                    break
                col.sched.answerCard(card, 3)
                done += 1
        assert done, "nothing to study"
        reviewed = col.db.list("select distinct cid from revlog")
        col.sched.set_due_date(reviewed[: max(1, len(reviewed) // 2)], due_in_days)
        return StudyData.of(col)
    finally:
        col.close()


def dump(db_path: Path) -> Dict[str, List[Tuple[Any, ...]]]:
    """Every row of every table, read from the file as it is (immutable: no
    lock, no -wal/-shm made): equal dumps are equal collections, whatever the
    page layout (a backup is written by VACUUM INTO)."""
    import sqlite3

    conn = sqlite3.connect(db_path.resolve().as_uri() + "?mode=ro&immutable=1", uri=True)
    # Anki's own collation, used by indexes on names.
    conn.create_collation("unicase", lambda a, b: (a.casefold() > b.casefold()) - (a.casefold() < b.casefold()))
    try:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type = 'table' order by name")]
        return {t: sorted(conn.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables
                if not t.startswith("sqlite_")}
    finally:
        conn.close()
