"""tools/import_cycles.py: the check `make lint` runs on addon/."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import import_cycles  # noqa: E402


def write(root: Path, files: dict) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_finds_a_cycle_through_a_late_and_a_type_only_import(tmp_path):
    pkg = write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from .b import f\n",
        "pkg/b.py": "def f():\n    from .c import g\n",
        "pkg/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        "pkg/d.py": "from .a import f\n",
    })
    assert import_cycles.main([str(pkg)]) == 1
    known = import_cycles.modules(pkg)
    graph = {n: import_cycles.imported(n, p, known) for n, p in known.items()}
    assert import_cycles.cycles(graph) == [["pkg.a", "pkg.b", "pkg.c"]]


def test_one_way_package_and_vendored_imports_pass(tmp_path):
    pkg = write(tmp_path, {
        "pkg/__init__.py": "from .sub.top import run\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/top.py": "from .low import x\nfrom .._vendor.lib import y\nimport os\n",
        "pkg/sub/low.py": "x = 1\n",
        "pkg/_vendor/lib.py": "from pkg import sub\n",
    })
    assert import_cycles.main([str(pkg)]) == 0


def test_the_addon_has_no_import_cycle():
    assert import_cycles.main([str(ROOT / "addon")]) == 0
