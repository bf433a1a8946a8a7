"""Which changed paths matter, for the backends that see the whole tree."""

from __future__ import annotations

import os

import pytest

from addon.gui.watch_paths import ALL, change_key, is_document_name

ROOT = os.path.join(os.sep, "polar")


@pytest.mark.parametrize(
    ("rel", "is_dir", "key"),
    [
        ("1Doc/state.json", False, "1Doc"),
        ("1Doc/.state.json-tmp123", False, "1Doc"),  # Polar's temp file, before the rename
        ("1Doc", True, "1Doc"),
        ("1Doc/sub/deeper.json", False, None),  # nothing Polar reads lives there
        ("files/image/abc.png", False, ALL),
        ("files/image", True, ALL),
        ("files/pdf/x.pdf", False, None),
        ("stash/book.pdf", False, None),
        ("stash", True, None),
        ("logs/polar.log", False, None),
        (".backup-2020-01-01/1Doc/state.json", False, None),
        (".backup-2020-01-01", True, None),
        ("prefs.json", False, None),
        ("", True, None),
    ],
)
def test_change_key(rel, is_dir, key):
    assert change_key(ROOT, os.path.join(ROOT, rel) if rel else ROOT, is_dir) == key


def test_change_key_outside_root():
    assert change_key(ROOT, os.path.join(os.sep, "elsewhere", "1Doc", "state.json"), False) is None


@pytest.mark.parametrize(("name", "document"), [
    ("1Doc", True), ("config", True), (".backup-2019-04-01", False), (".tmp", False),
    ("stash", False), ("logs", False), ("files", False),
])
def test_is_document_name(name, document):
    assert is_document_name(name) is document
