"""Listing a library: document keys that can be stored and shown anywhere; reading its images."""

import pytest

from addon.polar.library import DataDirSource, UnsafePathError, _read_file, safe_key


def test_safe_key_keeps_valid_names_and_escapes_undecodable_bytes():
    assert safe_key("1Café") == ("1Café", None)
    key, notice = safe_key(b"1Caf\xe9".decode("utf-8", "surrogateescape"))
    assert key == "1Caf\\xe9" and notice and "not valid UTF-8" in notice
    key.encode("utf-8")  # storable anywhere


def test_read_image_reads_whole_files_up_to_the_limit(tmp_path):
    images = tmp_path / "files" / "image"
    images.mkdir(parents=True)
    (images / "exact.png").write_bytes(b"x" * 100)
    (images / "over.png").write_bytes(b"y" * 101)
    (images / "empty.png").write_bytes(b"")
    (images / "link.png").symlink_to(images / "exact.png")  # stays inside: read as its target
    source = DataDirSource(tmp_path)
    assert source.read_image("exact.png", 100) == b"x" * 100
    assert source.read_image("link.png", 100) == b"x" * 100
    assert source.read_image("exact.png", 10 * 1024 * 1024) == b"x" * 100
    assert source.read_image("empty.png", 100) == b""
    with pytest.raises(ValueError, match="101 bytes, over the 100-byte limit"):
        source.read_image("over.png", 100)
    with pytest.raises(FileNotFoundError):
        source.read_image("absent.png", 100)
    with pytest.raises(UnsafePathError):
        source.read_image("../exact.png", 100)


def test_an_image_that_changed_size_since_its_lstat_is_read_as_it_is_now(tmp_path):
    # read_image reads the size lstat saw, +1: a file grown since is read on
    # to the limit (and then refused), a shrunk one is what is left.
    path = tmp_path / "grew.png"
    path.write_bytes(b"g" * 300)
    assert _read_file(str(path), 100, 1000) == b"g" * 300
    assert len(_read_file(str(path), 100, 200)) == 201  # over the limit: the caller refuses it
    assert _read_file(str(path), 500, 1000) == b"g" * 300  # shrunk
    path.write_bytes(b"\r\n\x00\xff")
    assert _read_file(str(path), 4, 10) == b"\r\n\x00\xff"  # bytes as they are


def test_documents_are_read_whole_and_refused_over_the_limit(tmp_path, monkeypatch):
    import addon.polar.library as library

    for key, body in (("1Small", b'{"docInfo": {}}'), ("1Large", b"z" * 11)):
        (tmp_path / key).mkdir()
        (tmp_path / key / "state.json").write_bytes(body)
    monkeypatch.setattr(library, "MAX_DOCMETA_BYTES", 15)
    docs = {d.key: d for d in DataDirSource(tmp_path).list_documents()}
    assert docs["1Small"].reader() == b'{"docInfo": {}}'  # exactly the limit: read whole
    assert docs["1Large"].reader() == b"z" * 11
    monkeypatch.setattr(library, "MAX_DOCMETA_BYTES", 10)
    with pytest.raises(ValueError, match="11 bytes, over the 10-byte limit"):
        docs["1Large"].reader()


def test_earlier_copies_are_polars_backups_newest_first_and_never_outside(tmp_path):
    """A damaged document's title may come from Polar's .backup-YYYY-MM-DD
    snapshots (eyes11): the newest first, only regular files inside the
    folder, and only the start of each read."""
    root = tmp_path / "polar"
    for name, text in ((".backup-2020-05-01", b'{"title": "old"}'), (".backup-2021-01-09", b'{"title": "new"}')):
        (root / name / "1Doc").mkdir(parents=True)
        (root / name / "1Doc" / "state.json").write_bytes(text + b" " * 100_000)
    outside = tmp_path / "secret" / "1Doc"
    outside.mkdir(parents=True)
    (outside / "state.json").write_bytes(b'{"title": "secret"}')
    (root / ".backup-2022-01-01").mkdir()
    (root / ".backup-2022-01-01" / "1Doc").symlink_to(outside)
    (root / ".backup-2023-01-01" / "1Doc" / "state.json").mkdir(parents=True)  # not a file
    source = DataDirSource(root)
    starts = [read() for read in source.earlier_copies("1Doc")]
    assert [s[:16] for s in starts] == [b'{"title": "new"}', b'{"title": "old"}']
    assert all(len(s) == 65536 for s in starts)
    assert source.earlier_copies("1Other") == []
    assert DataDirSource(tmp_path / "none").earlier_copies("1Doc") == []


def _synced_pair(root, col, state_path):
    """Two documents synced once (Doc A with two cards, Doc B with one)."""
    from tests.polar_factory import Doc, basic
    from tests.sync.helpers import run

    a = Doc(root, "1DocA0000000000000000", "Doc A")
    a.card("1CardA0001", basic("A1 front", "A1 back")).card("1CardA0002", basic("A2 front", "A2 back"))
    a.write()
    b = Doc(root, "1DocB0000000000000000", "Doc B")
    b.card("1CardB0001", basic("B1 front", "B1 back")).write()
    first = run(col, root, state_path)
    assert first.created == 3 and not first.errors
    return a, b


def _kept_untouched(col, report, nids) -> None:
    """The damaged document's notes (``nids``, with every other note): still
    there, not suspended, not tagged, not counted as removed."""
    from addon.sync.plan import ORPHAN_TAG

    assert (report.orphaned, report.deleted) == (0, 0), report.to_dict()
    assert set(nids) <= set(col.find_notes(""))
    assert not col.find_cards("is:suspended") and not col.find_notes(f"tag:{ORPHAN_TAG}")


@pytest.mark.parametrize("how", ["dangling link", "looping link", "no rights"])
def test_a_state_json_that_cannot_be_looked_at_is_one_problem_and_deletes_nothing(tmp_path, col, state_path,
                                                                                  monkeypatch, how):
    """A state.json that is a link to nothing, a loop of links, or in a
    folder without the rights to look in it was skipped at the listing: the
    document looked deleted in Polar and its notes were suspended, with no
    word. One row names it, as a FIFO or a directory named state.json."""
    import os

    import addon.polar.library as library
    from tests.sync.helpers import run

    root = tmp_path / "polar"
    a, b = _synced_pair(root, col, state_path)
    nids = col.find_notes("")
    saved = a.path.read_bytes()
    a.path.unlink()
    if how == "dangling link":
        a.path.symlink_to(tmp_path / "nowhere" / "state.json")
    elif how == "looping link":
        a.path.symlink_to("state.json")
    else:  # (tests run as root too, whom chmod does not stop: the error as the system gives it)
        a.path.write_bytes(saved)
        real = os.lstat

        def lstat(path, *args, **kwargs):
            if str(path) == str(a.path):
                raise PermissionError(13, "Permission denied", str(path))
            return real(path, *args, **kwargs)

        monkeypatch.setattr(library.os, "lstat", lstat)
    b.card("1CardB0002", {"front": {"HTML": "B2 front"}, "back": {"HTML": "B2 back"}}).write()
    report = run(col, root, state_path)
    assert [e["path"] for e in report.errors] == [f"{a.fp}/state.json"], report.errors
    code = "unreadable_file" if how == "no rights" else "file_refused"
    assert report.errors[0]["code"] == code and "\n" not in report.errors[0]["message"]
    assert report.created == 1  # the other document synced
    _kept_untouched(col, report, nids)
    monkeypatch.undo()
    a.path.unlink()
    a.path.write_bytes(saved)  # repaired: read again, nothing to change
    report = run(col, root, state_path)
    assert not report.errors and (report.orphaned, report.created) == (0, 0), report.to_dict()
    assert not col.find_cards("is:suspended")


def test_listing_names_a_state_json_that_cannot_be_looked_at_not_a_folder_without_one(tmp_path):
    """Only a folder with no state.json (or a stray file) is no document."""
    (tmp_path / "1Dangling").mkdir()
    (tmp_path / "1Dangling" / "state.json").symlink_to(tmp_path / "missing.json")
    (tmp_path / "1Loop").mkdir()
    (tmp_path / "1Loop" / "state.json").symlink_to("state.json")
    (tmp_path / "1Empty").mkdir()
    (tmp_path / "stray.txt").write_text("x")
    docs = {d.key: d for d in DataDirSource(tmp_path).list_documents()}
    assert sorted(docs) == ["1Dangling", "1Loop"]
    for key in docs:
        with pytest.raises(ValueError, match="state.json is a link that leads nowhere"):
            docs[key].read()


@pytest.mark.parametrize("name", ["lost+found", "System Volume Information", "$RECYCLE.BIN"])
def test_a_system_folder_the_user_cannot_look_in_is_no_document(tmp_path, col, state_path, monkeypatch, name):
    """A Polar folder at the root of a drive of its own holds the system's
    folders beside the documents: ext4's lost+found (root's, mode 0700),
    Windows' System Volume Information and $RECYCLE.BIN. Since a state.json
    that cannot be looked at is a failed document (b34758e), each sync
    reported "lost+found/state.json" as a document it could not read, its
    notice and tooltip said not all of Polar's changes were in Anki, and the
    look for notes made by other tools was skipped (a document failed).
    Found by reading the new code (branch ``newcode``)."""
    import os

    import addon.polar.library as library
    from tests.sync.helpers import run

    root = tmp_path / "polar"
    _synced_pair(root, col, state_path)
    system = root / name
    system.mkdir(mode=0o700)
    real = os.lstat

    def lstat(path, *args, **kwargs):  # (tests run as root too, whom a mode does not stop)
        if os.path.dirname(str(path)) == str(system):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(library.os, "lstat", lstat)
    assert [d.key for d in DataDirSource(root).list_documents()] == ["1DocA0000000000000000", "1DocB0000000000000000"]
    report = run(col, root, state_path)
    assert not report.errors and report.unchanged == 3, report.to_dict()
