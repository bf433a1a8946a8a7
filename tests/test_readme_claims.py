"""README.md against the code: its Settings table and addon/config.md against
addon/config.json (every key a reader is told about exists, none is left out,
each default the table states is the real one), and the keys of the CLI's
--report JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

from addon.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / "addon" / "config.json").read_text(encoding="utf-8"))


def _table() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"^\| `(\w+)` \| `([^`]*)` \|", line)
        if match:
            rows[match.group(1)] = json.loads(match.group(2))
    return rows


def test_the_readme_settings_table_names_every_key_with_its_real_default():
    table = _table()
    assert sorted(table) == sorted(CONFIG)  # the same keys
    assert table == CONFIG
    defaults = Settings()
    for key, value in CONFIG.items():
        assert getattr(defaults, key) == value, key


def test_config_md_explains_every_key_and_no_other():
    text = (ROOT / "addon" / "config.md").read_text(encoding="utf-8")
    explained = re.findall(r"^- `(\w+)` — ", text, re.M)
    assert sorted(explained) == sorted(CONFIG)


def test_the_readme_names_every_key_of_the_clis_report_json():
    from addon.sync.report import Report

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    bullet = text.split("* `--report` writes the report as JSON", 1)[1].split("\n* ", 1)[0]
    named = set(re.findall(r"`(\w+)`", bullet))
    assert set(Report().to_dict()) - named == set()


def _window_labels() -> dict:
    """Each setting's label in the Settings window, read from its source:
    ``self._add(form, key, tr(label), …)`` or, for a check box,
    ``self._add(form, key, "", QCheckBox(tr(label)), …)``."""
    import ast

    tree = ast.parse((ROOT / "addon" / "gui" / "settings_dialog.py").read_text(encoding="utf-8"))
    labels = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_add"):
            continue
        key, label, widget = node.args[1], node.args[2], node.args[3]
        if isinstance(label, ast.Call):  # tr("…")
            labels[key.value] = label.args[0].value
        elif isinstance(widget, ast.Call) and widget.args and isinstance(widget.args[0], ast.Call):
            labels[key.value] = widget.args[0].args[0].value  # QCheckBox(tr("…"), self)
    return labels


def test_the_readme_settings_table_names_each_setting_as_the_settings_window_does():
    """The table's third column is what a user looks for in Tools ▸ Polar Sync ▸
    Settings…: the label the window shows for that key, word for word."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    shown = dict(re.findall(r"^\| `(\w+)` \| `[^`]*` \| ([^|]+?) \|", section, re.M))
    labels = _window_labels()
    assert len(labels) == len(CONFIG) - 1  # every key but data_dir, whose row is the folder picker
    assert sorted(shown) == sorted(CONFIG)
    source = (ROOT / "addon" / "gui" / "settings_dialog.py").read_text(encoding="utf-8")
    for key, label in shown.items():
        if key in labels:
            assert label == labels[key], key
        else:
            assert f'form.addRow(tr("{label}")' in source, key


# The README's reference sections moved to docs/ pages; their headings stay in
# the README (a link saved to one still leads to it), each with a link on.
MOVED = {
    "back-to-the-source-open-a-cards-page": "docs/open-at-page.md",
    "living-beside-you": "docs/beside-you.md",
    "polar-2x-the-cloud-version-syncing-from-an-export": "docs/polar-2-exports.md",
    "how-decks-are-chosen": "docs/decks.md",
    "notes-fields-and-identity": "docs/notes-and-fields.md",
    "notes-of-polars-old-sync": "docs/old-sync.md",
    "polars-own-anki-sync-still-on": "docs/old-sync.md#polars-own-anki-sync-still-on",
    "sync-state": "docs/sync-state.md",
    "two-computers": "docs/two-computers.md",
    "going-back-to-an-older-version": "docs/older-versions.md",
    "settings": "docs/settings.md",  # the table stays; the window's keyboard, languages, bad values moved
}


def _sections() -> dict:
    """README.md's sections by their anchor: the text up to the next heading."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import doc_links

    found, anchor = {}, None
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        match = doc_links.HEADING.match(line)
        if match:
            anchor = doc_links.slug(match.group(2))
            found[anchor] = ""
        elif anchor:
            found[anchor] += line + "\n"
    return found


def test_each_moved_section_keeps_its_heading_in_the_readme_and_links_to_its_page():
    sections = _sections()
    for anchor, page in MOVED.items():
        assert anchor in sections, anchor
        assert f"]({page})" in sections[anchor], anchor
        assert (ROOT / page.split("#")[0]).exists()


def test_every_docs_page_is_reached_from_the_readme():
    """A page nobody links to is a page no user finds: every docs/*.md is
    reached from README.md by following links (dev-notes aside)."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    import doc_links

    seen, todo = set(), [ROOT / "README.md"]
    while todo:
        page = todo.pop()
        if page in seen or page.suffix != ".md" or not page.exists():
            continue
        seen.add(page)
        for match in doc_links.LINK.finditer(doc_links.text_outside_code(page)):
            target = match.group(1).partition("#")[0]
            if target and not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):
                todo.append((page.parent / target).resolve())
    pages = {p.resolve() for p in (ROOT / "docs").glob("*.md")}
    assert pages - seen == set()


USER_PAGES = sorted({page.split("#")[0] for page in MOVED.values()})


def test_each_user_page_opens_in_a_users_words_and_keeps_internal_names_to_its_details():
    """A page a user clicks through to from the README starts with what happens to their
    cards and what to do ("**In short:**", before the first part heading), and the
    collection-config keys, internal ids and test files it names stand in its closing
    "## Details" part, not in the text a user reads first."""
    internal = re.compile(r"polarSync\w+|polar-retyped|data-polar-block|tests/\w|tools/(?!polar_sync\.py)\w")
    for page in USER_PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        opening = text.split("\n## ", 1)[0]
        assert "**In short:**" in opening, page
        body, details = text.split("\n## Details\n", 1) if "\n## Details\n" in text else (text, "")
        assert details and "\n## " not in details, page  # Details is the last part
        assert internal.findall(body) == [], page
