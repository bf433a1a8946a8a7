"""README.md and the docs against the code: docs/settings.md's table of every
setting and addon/config.md against addon/config.json and the Settings window
(every key a reader is told about exists, none is left out, each default and
choice is the real one, in the window's words on the page), and the keys of
the CLI's --report JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from addon.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / "addon" / "config.json").read_text(encoding="utf-8"))


def _config_md() -> dict:
    """addon/config.md's lines, ``- `key` — `default` — **label**…``, by key:
    (default as JSON, the window's label, the rest of the line)."""
    text = (ROOT / "addon" / "config.md").read_text(encoding="utf-8")
    rows = {}
    for key, default, label, rest in re.findall(r"^- `(\w+)` — `([^`]*)` — \*\*([^*]+)\*\*(.*)$", text, re.M):
        rows[key] = (json.loads(default), label, rest)
    return rows


def test_config_md_names_every_key_with_its_real_default():
    """What Anki shows beside Edit as JSON…: every key once, no other, each
    with the default config.json and Settings() have."""
    text = (ROOT / "addon" / "config.md").read_text(encoding="utf-8")
    explained = re.findall(r"^- `(\w+)` — ", text, re.M)
    assert sorted(explained) == sorted(CONFIG)  # every key, none twice
    rows = _config_md()
    assert sorted(rows) == sorted(CONFIG)
    assert {key: row[0] for key, row in rows.items()} == CONFIG
    defaults = Settings()
    for key, value in CONFIG.items():
        assert getattr(defaults, key) == value, key


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


def _window_choices() -> dict:
    """Each drop-down's choices in the Settings window, in order: key -> [(value,
    label)], read from ``_choice_labels`` in its source."""
    import ast

    tree = ast.parse((ROOT / "addon" / "gui" / "settings_dialog.py").read_text(encoding="utf-8"))
    function = next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "_choice_labels")
    found = ast.literal_eval(ast.unparse(function.body[0].value).replace("tr(", "("))
    return {key: list(pairs) for key, pairs in found.items()}


def _settings_page_rows() -> dict:
    """docs/settings.md's tables: ``| label | at first | what it does | `key` |`` by key."""
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    section = text.split("\n## Every setting\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for label, first, what, key in re.findall(r"^\| ([^|]+?) \| ([^|]+?) \| (.+?) \| `(\w+)` \|$", section, re.M):
        assert key not in rows, key
        rows[key] = (label, first, what)
    return rows


def _as_the_window_shows(key: str, value: Any) -> str:
    """A value in the words the Settings window shows it: a check box ticked or
    not, a drop-down's choice, a field's text ("empty"), the spin boxes' units
    (settings_dialog.py: MB with one decimal, the share in %, milliseconds)."""
    if isinstance(value, bool):
        return "ticked" if value else "not ticked"
    choices = _window_choices()
    if key in choices:
        return dict(choices[key])[value]
    if key == "max_image_bytes":
        return f"{value / (1024 * 1024):.1f} MB"
    if key == "delete_max_share":
        return f"{round(float(value) * 100)} %"
    if key == "watch_debounce_ms":
        return f"{value} ms"
    assert isinstance(value, str), key
    return value or "empty"


def _shown_label(key: str) -> str:
    labels = _window_labels()
    if key in labels:
        return labels[key]
    source = (ROOT / "addon" / "gui" / "settings_dialog.py").read_text(encoding="utf-8")
    match = re.search(r'form\.addRow\(tr\("([^"]+)"\), self\.path_edit\)', source)
    assert key == "data_dir" and match, key  # the folder picker's row
    return match.group(1)


def test_the_settings_page_names_each_setting_as_the_settings_window_does():
    """docs/settings.md's table is what a user looks for in Tools ▸ Polar Sync ▸
    Settings…: each key's label, word for word, and the default as the window
    shows it (ticked, the choice's words, 10.0 MB), not as JSON writes it; each
    drop-down's every choice in the window's words."""
    rows = _settings_page_rows()
    labels = _window_labels()
    assert len(labels) == len(CONFIG) - 1  # every key but data_dir, whose row is the folder picker
    assert sorted(rows) == sorted(CONFIG)
    for key, (label, first, what) in rows.items():
        assert label == _shown_label(key), key
        assert first == _as_the_window_shows(key, CONFIG[key]), key
        for _value, choice in _window_choices().get(key, []):
            assert f"**{choice}**" in what, (key, choice)
        assert not re.search(r"\btrue\b|\bfalse\b|`\"|_wins|\d{5,}", what), key  # no JSON in a user's words


def _window_help() -> dict:
    """Each setting's help line under its field, by key (``tr("…")``, the last
    argument of ``self._add``; default_deck's two forms joined)."""
    import ast

    tree = ast.parse((ROOT / "addon" / "gui" / "settings_dialog.py").read_text(encoding="utf-8"))
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "_add":
            texts = [c.args[0].value for c in ast.walk(node.args[4]) if isinstance(c, ast.Call) and c.args
                     and isinstance(c.args[0], ast.Constant) and isinstance(c.args[0].value, str)]
            found[node.args[1].value] = " ".join(texts)
    return found


def test_the_settings_window_says_what_its_words_refer_to():
    """Read at 400 px as a new user: **Removed in Polar**'s choices say "Suspend
    it", and its help line said only "Nothing is removed when…": it now says
    which note "it" is. Polar *saves* ("Sync when Polar saves a change", "Polar
    saves in several steps") and the wait's label said "Polar's last write"."""
    help_lines, labels = _window_help(), _window_labels()
    assert len(help_lines) == len(CONFIG) - 1
    assert "note whose card was deleted in Polar" in help_lines["deletion_policy"]
    said = " ".join([*labels.values(), *help_lines.values()])
    assert "saves" in said and not re.search(r"\bwrit", said), [w for w in labels.values() if "writ" in w]


def test_config_md_and_the_settings_page_do_not_contradict():
    """config.md (keys and how values are written) names each setting by the
    window's label, as the settings page does, and its drop-downs' values are
    the window's choices, in order, with the same words."""
    page, config_md = _settings_page_rows(), _config_md()
    schema = json.loads((ROOT / "addon" / "config.schema.json").read_text(encoding="utf-8"))["properties"]
    assert sorted(page) == sorted(config_md)
    for key, (default, label, rest) in config_md.items():
        assert label == page[key][0], key
        assert page[key][1] == _as_the_window_shows(key, default), key
        written = re.findall(r'`"(\w+)"` \(([^)]+)\)', rest)
        if key in _window_choices():
            assert written == _window_choices()[key], key
            assert [value for value, _label in written] == schema[key]["enum"], key


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
    "settings": "docs/settings.md",  # the table of every setting, the keyboard, languages, bad values
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
