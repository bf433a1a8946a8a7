"""Suite 6 (the part that runs everywhere): profile languages and Python 3.9.

Stock note types are named in the language the profile was created in
(Einfach, 基本, Básico, ...), and the names even differ between Anki
versions (ja: 穴埋め in 23.10, 穴埋め問題 in 26.x). Only an English profile
has stock types this add-on can recognise; every other profile must get the
add-on's own types, created once, with the right cards.

This module also runs under anki 23.10.1 / Python 3.9 (tools/compat.sh).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from addon.sync.identity import guid_for
from addon.sync.notetypes import MARKER
from tests.conftest import make_collection
from tests.reliability.helpers import integrity_problems, run_sync, snapshot

ROOT = Path(__file__).resolve().parents[2]
# Sample library: card id -> (kind, number of cards)
SAMPLE = {
    "1FcA1b2C3d": ("basic", 1), "1FcJ7k8L9m": ("basic", 1), "1FcS4t5U6v": ("basic", 1),
    "1FcN1p2Q3r": ("cloze", 1), "1FcE4f5G6h": ("cloze", 2), "1FcW7x8Y9z": ("basic_reverse", 2),
}
# Reversed kinds always get the own type (stock card 2 shows Back as its question).
STOCK_NAMES = {"basic": "Basic", "cloze": "Cloze"}
OWN_NAMES = {"basic": "Polar Basic", "cloze": "Polar Cloze", "basic_reverse": "Polar Basic (and reversed card)"}


@pytest.mark.parametrize("lang,stock", [("en_US", True), ("de_DE", False), ("ja_JP", False), ("pt_BR", False)])
def test_profile_language_gets_the_right_note_types_and_cards(tmp_path, library, lang, stock):
    col = make_collection(tmp_path / lang / "collection.anki2", lang)
    try:
        stock_before = sorted(m.name for m in col.models.all_names_and_ids())
        report = run_sync(col, library, tmp_path / "state.sqlite")
        assert report.errors == [] and report.created == len(SAMPLE)
        assert col.card_count() == sum(n for _, n in SAMPLE.values()) == 8
        by_guid = {col.get_note(nid).guid: col.get_note(nid) for nid in col.find_notes("")}
        for cid, (kind, cards) in SAMPLE.items():
            note = by_guid[guid_for(cid)]
            model = note.note_type()
            if stock and kind in STOCK_NAMES:
                assert model["name"] == STOCK_NAMES[kind] and not model.get(MARKER), (cid, model["name"])
            else:
                assert model.get(MARKER) == kind and model["name"] == OWN_NAMES[kind], (cid, model["name"])
                assert "polar-title" in note["Source"]  # the context lives in its own field
            assert len(note.cards()) == cards, cid
        # The profile's own types are left as they were; ours exist once each.
        after = sorted(m.name for m in col.models.all_names_and_ids())
        ours = sorted(set(after) - set(stock_before))
        assert ours == (["Polar Basic (and reversed card)"] if stock else sorted(OWN_NAMES.values())), ours
        snap = snapshot(col)
        again = run_sync(col, library, tmp_path / "state.sqlite")
        assert not again.changed and snapshot(col) == snap
        assert integrity_problems(col) == []
    finally:
        col.close()


def find_python39() -> str:
    """PYTHON39, else pyenv's real interpreter, else PATH (a pyenv *shim*
    on PATH may exist and still refuse to run when 3.9 is not selected)."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = [os.environ.get("PYTHON39", "")]
    candidates += sorted(glob.glob(f"{pyenv_root}/versions/3.9.*/bin/python3.9"), reverse=True)
    candidates.append(shutil.which("python3.9") or "")
    for c in candidates:
        if c and os.access(c, os.X_OK):
            probe = subprocess.run([c, "-c", "import sys; print(sys.version_info[:2] == (3, 9))"],
                                   capture_output=True, text=True)
            if probe.stdout.strip() == "True":
                return c
    return ""


def test_addon_compiles_under_python39():
    """Anki 23.10-25.02 bundle Python 3.9: no 3.10+ syntax anywhere in addon/."""
    python = sys.executable if sys.version_info[:2] == (3, 9) else find_python39()
    if not python:
        pytest.skip("no python3.9 found (set PYTHON39 or install it with pyenv)")
    files = sorted(str(p) for p in (ROOT / "addon").rglob("*.py") if "__pycache__" not in p.parts)
    assert len(files) > 20
    # compile() only: no .pyc files are written into addon/.
    check = "import sys\nfor f in sys.argv[1:]:\n    compile(open(f, 'rb').read(), f, 'exec')\nprint(sys.version)"
    out = subprocess.run([python, "-c", check, *files], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("3.9")
