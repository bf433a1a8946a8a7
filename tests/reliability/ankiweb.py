"""Anki's own sync server for tests: two computers kept in step "by AnkiWeb".

The ``anki`` package ships the server AnkiWeb's clients talk to
(``python -m anki.syncserver``, configured by environment variables; also in
anki 23.10). One server runs per test module, bound to loopback, its data in
a temp dir; each test gets a user of its own, so its computers start from an
empty account. Clients sync through the collection API Anki's GUI uses
(``aqt/sync.py``): ``sync_login``, ``sync_collection``, and for a full sync
``close_for_full_sync`` + ``full_upload_or_download`` + ``reopen``.
"""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

USERS = 60


@dataclass
class SyncServer:
    endpoint: str
    _users: Iterator[int]

    def account(self) -> Account:
        """A user no other test has synced with."""
        n = next(self._users)
        assert n <= USERS, "more tests than the server's users: raise USERS"
        return Account(self.endpoint, f"user{n}", "pass")


@dataclass
class Account:
    endpoint: str
    user: str
    password: str
    _auth: Any = None

    def auth(self, col: Any) -> Any:
        if self._auth is None:
            from anki.sync import SyncAuth

            login = col.sync_login(self.user, self.password, self.endpoint)
            # The key with the endpoint, as Anki's profile builds it
            # (``ProfileManager.sync_auth``): 23.10's login answer has none.
            self._auth = SyncAuth(hkey=login.hkey, endpoint=self.endpoint)
        return self._auth

    def sync(self, col: Any) -> int:
        """A normal sync, as Anki's Sync button. Returns what the server
        required (``SyncCollectionResponse.required``: NO_CHANGES 0,
        NORMAL_SYNC 1 after a normal sync too; FULL_* when a full sync is
        needed, which this does not do)."""
        out = col.sync_collection(self.auth(col), False)
        # As Anki after every sync (``aqt.main._sync_collection_and_media``):
        # the note types the sync brought replace the Python-side cache.
        col.models._clear_cache()
        return int(out.required)

    def full(self, col: Any, upload: bool) -> None:
        """A full sync in one direction (Anki's "Upload to AnkiWeb" /
        "Download from AnkiWeb" answer to a full-sync prompt)."""
        col.sync_collection(self.auth(col), False)
        col.close_for_full_sync()
        col.full_upload_or_download(auth=self.auth(col), server_usn=None, upload=upload)
        col.reopen(after_full_sync=True)


def upload_profile(account: Account, profile: Path, notes: int) -> Any:
    """The account's collection: ``profile``'s, made with ``notes`` Basic
    notes ("from AnkiWeb i") and uploaded whole; the login (``auth``) the
    profile's Anki then syncs with."""
    from anki.collection import Collection

    profile.mkdir(parents=True, exist_ok=True)
    col = Collection(str(profile / "collection.anki2"))
    try:
        for i in range(notes):
            note = col.new_note(col.models.by_name("Basic"))
            note["Front"], note["Back"] = f"from AnkiWeb {i}", "x"
            col.add_note(note, col.decks.id("Default"))
        auth = account.auth(col)
        account.full(col, upload=True)
    finally:
        col.close()
    return auth


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(base: Path) -> tuple[subprocess.Popen[bytes], SyncServer]:
    port = _free_port()
    env = dict(os.environ, SYNC_BASE=str(base), SYNC_HOST="127.0.0.1", SYNC_PORT=str(port), RUST_LOG="error")
    for n in range(1, USERS + 1):
        env[f"SYNC_USER{n}"] = f"user{n}:pass"
    log = open(base / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "anki.syncserver"], env=env, stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError("the sync server did not start: " + (base / "server.log").read_text()) from None
            time.sleep(0.05)
    return proc, SyncServer(f"http://127.0.0.1:{port}/", itertools.count(1))


def stop_server(proc: subprocess.Popen[bytes], timeout: Optional[float] = 10) -> None:
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
