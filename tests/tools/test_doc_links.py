"""tools/doc_links.py: the check `make lint` runs on README.md and docs/."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import doc_links  # noqa: E402


def test_anchors_are_spelled_as_github_spells_them():
    assert doc_links.slug("Polar 2.x (the cloud version): syncing from an export") == (
        "polar-2x-the-cloud-version-syncing-from-an-export")
    assert doc_links.slug("Notes of Polar's old sync") == "notes-of-polars-old-sync"
    assert doc_links.slug("Back to the source: open a card's page") == (
        "back-to-the-source-open-a-cards-page")
    assert doc_links.slug("`make demo` and [tests](x.md)") == "make-demo-and-tests"


def test_a_broken_file_or_anchor_is_found_also_across_a_line_break(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "shot.png").write_bytes(b"")
    (tmp_path / "other.md").write_text("# Other\n## Other\n")
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n## Getting started\n"
        "[ok](#getting-started) ![ok](docs/shot.png) [ok](other.md#other-1)\n"
        "see [a link that\nbreaks](#getting-startd) and [gone](docs/gone.png)\n"
        "[far](other.md#another) [web](https://example.org/#x)\n"
        "`[code](#nowhere)`\n```\n[fenced](#nowhere)\n```\n")
    found = doc_links.problems([readme])
    assert [line.split(": ", 1)[1] for line in found] == [
        "#getting-startd: no heading makes #getting-startd",
        "docs/gone.png: no such file",
        "other.md#another: no heading makes #another",
    ]
    assert found[0].endswith("README.md:5: #getting-startd: no heading makes #getting-startd")


def test_the_projects_own_docs_have_no_broken_link():
    assert doc_links.main() == 0
