"""Every row the core puts in a report (errors, warnings, conflicts) has a
``code``, and every code has words in ``report_text._messages()``: the report
window, the notice and the sync log never show a row in the core's English
to someone whose Anki speaks another language.

Two ways: the call sites (every ``report.warn``/``report.error`` of the
add-on names its code, every rendering problem is an ``Issue`` with one), and
the situations themselves driven through a real sync into a real collection
(then each row's words shown in German)."""

from __future__ import annotations

import ast
import base64
import os
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set

import pytest

from addon.gui import i18n, report_text
from addon.gui.report_text import explain, section_rows
from addon.sync.identity import guid_for
from tests.polar_factory import Doc, basic, cloze
from tests.sync.helpers import run

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "addon"
# The rows re-reported from the sync state (``repeat_known_problems``; a note
# type still lacking its field, ``_report_dropped_fields``) are rows an earlier
# sync made at one of the other sites: stored with their code.
STORED_ROWS = {("sync/apply.py", "repeat_known_problems"), ("sync/apply.py", "_report_dropped_fields")}
# Conflict rows (plan.py) are made as dicts; their codes are built there.
CONFLICT_CODES = {"conflict_polar", "conflict_anki", "conflict_context_polar", "conflict_context_anki",
                  "unrecorded_anki"}


def _sources() -> Iterator[Path]:
    for folder in ("polar", "render", "sync", "gui"):
        yield from sorted((ADDON / folder).glob("*.py"))
    yield from sorted(ADDON.glob("*.py"))


def _strings(node: ast.AST) -> Set[str]:
    """The string constants a ``code`` value can take (a literal, or either
    side of ``a if c else b``)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _strings(node.body) | _strings(node.orelse)
    return set()


def _is_report(node: ast.AST) -> bool:
    """``report``, ``ctx.report``, ``w.report``, ``reading.report``, ..."""
    name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else ""
    return name == "report"


def _call_sites() -> Iterator[tuple]:
    """(file, function, call) of every ``<report>.warn/error(...)``."""
    for path in _sources():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in ("warn", "error") and _is_report(node.func.value)):
                    yield path.relative_to(ADDON).as_posix(), func.name, node


def _codes_of_call(call: ast.Call) -> Set[str]:
    codes: Set[str] = set()
    for kw in call.keywords:
        if kw.arg == "code":
            codes |= _strings(kw.value) or {"<not a literal>"}
        elif kw.arg is None and isinstance(kw.value, ast.Dict):  # **{"code": ..., **where}
            for key, value in zip(kw.value.keys, kw.value.values):
                if isinstance(key, ast.Constant) and key.value == "code":
                    codes |= _strings(value) or {"<not a literal>"}
    return codes


def _issue_codes() -> Set[str]:
    """The codes of every ``Issue(message, code)`` the renderer makes."""
    codes: Set[str] = set()
    for path in _sources():
        if path.name == "issues.py":  # its own definition (``Issue(...)`` remade from its parts)
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Issue":
                assert len(node.args) >= 2, f"{path.name}:{node.lineno}: an Issue without its code"
                found = _strings(node.args[1])
                assert found, f"{path.name}:{node.lineno}: an Issue's code must be a literal"
                codes |= found
    return codes


def test_every_report_call_in_the_addon_names_a_code_that_has_words():
    sites = list(_call_sites())
    assert len(sites) > 25  # the search found the add-on's calls
    made: Set[str] = set()
    for where, function, call in sites:
        codes = _codes_of_call(call)
        if (where, function) in STORED_ROWS and not codes:  # (a stored row; the function's own rows counted)
            continue
        assert codes, f"addon/{where}:{call.lineno} ({function}): a report row without a code"
        assert "<not a literal>" not in codes, f"addon/{where}:{call.lineno}: the code must be a literal"
        made |= codes
    made |= _issue_codes() | CONFLICT_CODES
    words = set(report_text._messages())
    assert made - words == set(), "codes without words"
    assert words - made == set(), "words for codes no row has"


def test_conflict_rows_are_made_with_one_of_their_codes():
    plan = (ADDON / "sync" / "plan.py").read_text(encoding="utf-8")
    assert '("conflict_context_" if merged.in_block else "conflict_")' in plan
    assert '+ ("polar" if merged.polar_took else "anki")' in plan


def test_rendering_problems_keep_their_code_through_the_field_and_context_prefixes():
    from addon.render.issues import Issue

    issue = Issue("inline SVG image #1 dropped", "svg_image_dropped")
    named = issue.within("field 'front': ", field="front")
    assert named == "field 'front': inline SVG image #1 dropped"
    assert (named.code, named.details) == ("svg_image_dropped", {"field": "front"})
    import pickle

    again = pickle.loads(pickle.dumps(named))
    assert (again, again.code, again.details) == (named, named.code, named.details)


# -- the situations, through a real sync ------------------------------------------------

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _image(data: bytes, mime: str = "image/png") -> str:
    return f'<img src="data:{mime};base64,{base64.b64encode(data).decode()}">'


def _rows(report: Any) -> List[Dict[str, Any]]:
    data = report.to_dict()
    return data["errors"] + data["warnings"] + data["conflicts"]


def _check(report: Any) -> Set[str]:
    """Every row has a code with words (and so is shown translated); the codes."""
    rows = _rows(report)
    words = report_text._messages()
    for row in rows:
        assert row.get("code") in words, f"a report row without words: {row}"
        assert row["message"]  # the English detail stays for the CLI and the JSON
    return {row["code"] for row in rows}


@pytest.fixture
def german():
    i18n.force("de")
    yield
    i18n.force(None)


def test_every_problem_a_library_can_have_is_reported_with_a_code(col, tmp_path, german):
    library = tmp_path / "polar"
    big = b"\x89PNG\r\n\x1a\n" + bytes(3000)
    doc = Doc(library, "1CodesDoc000000000001", title="Everything wrong", tags=["deck:Codes"])
    doc.card("1CdEmpty", basic("<p></p>", "<p>back</p>"))
    doc.card("1CdNoDel", cloze("<p>No deletion here.</p>"), "CLOZE")
    doc.card("1CdBlank", cloze("<p> </p>"), "CLOZE")
    doc.card("1CdSvg", basic("<p>Svg?</p>" + _image(b"<svg/>", "image/svg+xml"), "<p>a</p>"))
    doc.card("1CdBroken", basic('<p>Broken?</p><img src="data:image/png;base64,!!!">', "<p>a</p>"))
    doc.card("1CdWeb", basic('<p>Web?</p><img src="https://example.com/a.png">', "<p>a</p>"))
    doc.card("1CdBig", basic("<p>Big?</p>" + _image(big), "<p>a</p>"))
    doc.area_highlight("1CdArea", "1CdMissing.png", page=2)
    doc.card("1CdAreaCard", basic("<p>Area?</p>", "<p>a</p>"), ref="area-highlight:1CdArea", page=2)
    doc.page(3)["flashcards"]["1CdNotObject"] = "not a card"  # damaged card
    doc.meta["pageMetas"]["9"] = "not a page"  # damaged page
    doc.write()
    two_decks = Doc(library, "1CodesDecks0000000001", title="Two decks", tags=["deck:One", "deck:Two"])
    two_decks.card("1CdDeck", basic("<p>Deck?</p>", "<p>a</p>"))
    two_decks.card("1CdWeb", basic("<p>Also here</p>", "<p>a</p>"))  # the same card id twice
    two_decks.write()
    col.decks.new_filtered("Filtered")
    filtered = Doc(library, "1CodesFiltered0000001", title="Filtered", tags=["deck:Filtered"])
    filtered.card("1CdFilt", basic("<p>Filtered?</p>", "<p>a</p>"))
    filtered.write()
    Doc(library, "1CodesBroken000000001", title="Cut").write().write_bytes(b'{"docInfo": ')
    fifo = library / "1CodesFifo00000000001"
    fifo.mkdir()
    os.mkfifo(fifo / "state.json")
    named = Doc(library, "1CodesOddName00000001", title="Odd name")
    named.card("1CdOdd", basic("<p>Odd?</p>", "<p>a</p>"))
    named.write()
    # A folder name that is not UTF-8 (Linux allows any bytes).
    os.rename(os.fsencode(library / named.fp), os.fsencode(library) + b"/1Codes\xffName00000000001")

    report = run(col, library, tmp_path / "state.sqlite", max_image_bytes=1000)
    codes = _check(report)
    assert codes >= {
        "empty_front", "cloze_without_deletion", "cloze_empty", "svg_image_dropped", "image_dropped",
        "web_image_left_out", "image_too_large", "highlight_image_missing", "card_problem",
        "document_part_skipped", "deck_tag", "same_card_twice", "filtered_deck", "not_a_document",
        "file_refused", "name_not_utf8",
    }, codes
    # In German: every row's words are German (none is the core's English message).
    data = report.to_dict()
    for key in ("errors", "warnings"):
        for row, (_, words, technical, _) in zip(data[key], section_rows(data, key)):
            assert words == explain(row) != row["message"]
            assert row["message"] in technical  # the English detail below, small
            assert i18n.catalogue("de")  # (the catalogue is there)
    deck = next(r for r in data["warnings"] if r["code"] == "filtered_deck")
    assert "„Filtered“" in explain(deck) and "gefilterter Stapel" in explain(deck)
    # Unchanged since, the problems come again, with their codes.
    again = run(col, library, tmp_path / "state.sqlite", max_image_bytes=1000)
    assert {"empty_front", "cloze_without_deletion", "card_problem"} <= _check(again)


def test_a_lost_state_an_empty_library_and_foreign_notes_have_codes(col, tmp_path):
    library = tmp_path / "polar"
    doc = Doc(library, "1CodesState0000000001", title="State")
    doc.card("1CdState", basic("<p>State?</p>", "<p>a</p>"))
    doc.write()
    state = tmp_path / "state.sqlite"
    assert _check(run(col, library, state)) == set()
    edited = col.get_note(col.find_notes("tag:polar")[0])
    edited["Front"] = "<p>State, edited in Anki?</p>"
    col.update_note(edited)
    state.write_bytes(b"this is not a database")
    assert {"state_rebuilt", "unrecorded_anki"} <= _check(run(col, library, state))
    note = col.new_note(col.models.by_name("Basic"))
    note["Front"] = "made elsewhere"
    note.guid = guid_for("1CdForeign")
    col.add_note(note, col.decks.id("Default"))
    foreign = run(col, library, state)
    assert "foreign_notes" in _check(foreign)
    row = next(r for r in foreign.to_dict()["warnings"] if r["code"] == "foreign_notes")
    assert row["count"] == 1 and explain(row).startswith("1 note in this collection belongs to a Polar card")
    doc.remove()
    assert "library_empty" in _check(run(col, library, state))


def test_the_sync_log_gets_the_rows_in_the_users_words(german):
    data = {
        "errors": [{"path": "1Doc/state.json#c1", "message": "flashcard has an empty front", "code": "empty_front",
                    "title": "Erdkunde", "page": 3, "card": "c1"}],
        "warnings": [{"path": "1Doc/state.json", "message": "deck tag 'deck:' names no deck (nothing visible in "
                      "it); ignored", "code": "deck_tag", "deck": "Default", "title": "Erdkunde"}],
    }
    words = report_text.log_words(data)
    assert words.splitlines() == [
        "Probleme (1)",
        "  eine Karte in „Erdkunde“ (Seite 3) — " + explain(data["errors"][0]),
        "Hinweise (1)",
        "  „Erdkunde“ — " + explain(data["warnings"][0]),
    ]
    assert "Vorderseite dieser Karte ist leer" in words and "„Default“" in words
    assert report_text.log_words({"errors": [], "warnings": []}) == ""


def test_rows_an_older_version_stored_get_the_words_of_their_kind(german):
    """A document unchanged since the update shows the problems stored by
    the version before: without a code, or with the one it gave every card
    that could not be synced (not the words for a crash of the add-on)."""
    old = [
        ({"code": "card_not_synced", "message": "flashcard has an empty front"}, "empty_front"),
        ({"code": "card_not_synced", "message": "cloze card has no deletion {{c1::...}}"}, "cloze_without_deletion"),
        ({"code": "card_not_synced", "message": "could not render the card: KeyError: 'x'"}, "card_not_synced"),
        ({"message": "cannot read the file: Permission denied"}, "unreadable_file"),
        ({"message": "not a readable Polar document: not valid JSON"}, "not_a_document"),
        ({"message": "page '9' is a str, not a map; skipped"}, "document_part_skipped"),
        ({"message": "the same flashcard id is already synced from document 1A; skipped here"}, "same_card_twice"),
    ]
    words = report_text._messages()
    for row, code in old:
        assert report_text.row_code(row) == code
        assert explain(row) == words[code](row) != row["message"]
    assert explain({"message": "something else"}) == "something else"  # unknown: the message, never nothing


def test_a_setting_the_addon_cannot_use_says_where_to_change_it(german):
    """The add-on's config rows (setup.py) carry the sentence of the
    settings check, already in the user's language: shown once, with the
    way to the settings window, not twice."""
    from addon.gui import config_check

    problem = config_check.problems({"deck_strategy": "decks"})[0]
    row = {"path": "add-on config", "message": problem, "code": "config_setting"}
    (_, words, technical, _), = section_rows({"warnings": [row]}, "warnings")
    assert words == f"{problem} (unter Extras ▸ Polar Sync ▸ Einstellungen …)"
    assert technical == "add-on config"  # the sentence is not repeated below


def test_flashcards_left_in_polar_3_blocks_are_said_in_the_users_words(col, tmp_path, german):
    """Block flashcards of a document not in the export, and edited copies
    the sync could not pair for certain (docs/dev-notes/blocks.md)."""
    from tools.polar_export import EXPORT_NAME, annotated_document_blocks, block_basic, migrate_to_blocks, write_export

    doc = Doc(tmp_path / "polar", "1CodesBlocks000000001", title="Blocks")
    doc.text_highlight("1HlCodes01", "A sentence.")
    doc.card("1CdBlocks", basic("<p>Blocks?</p>", "<p>a</p>"), ref="text-highlight:1HlCodes01")
    doc.card("1CdBlocks2", basic("<p>More?</p>", "<p>b</p>"), ref="text-highlight:1HlCodes01")
    doc.write()
    run(col, write_export(tmp_path / "a" / EXPORT_NAME, [doc.meta]), tmp_path / "state.sqlite")
    copies, _ = migrate_to_blocks(doc.meta, server=False)
    for block in copies:
        if block["content"]["type"] == "annotation-flashcard":
            block["content"]["value"]["fields"]["front"] += " (edited)"
            block["updated"] = "2022-01-01T00:00:00.000Z"
    elsewhere = annotated_document_blocks({"fingerprint": "1NotExported", "title": "Gone"},
                                          [block_basic("front", "back")] * 3)
    export = write_export(tmp_path / "b" / EXPORT_NAME, [doc.meta], blocks=[*copies, *elsewhere])
    report = run(col, export, tmp_path / "state.sqlite")
    assert _check(report) == {"export_block_flashcards", "block_flashcards_held_back"}
    rows = {row["code"]: row for row in report.to_dict()["warnings"]}
    assert rows["export_block_flashcards"]["count"] == 3
    assert explain(rows["export_block_flashcards"]).startswith("3 Lernkarten im Polar-Export")
    assert rows["block_flashcards_held_back"]["count"] == 2
    assert explain(rows["block_flashcards_held_back"]).startswith("2 Lernkarten dieses Dokuments")


def test_a_stop_between_batches_of_updates_is_told_in_the_users_words(german):
    """The core's ``stopped_updating_by_you`` (Escape while a re-render
    updates notes): the report's row names how many were updated, and the
    tooltip (the log's first line) says the sync stopped part-way through
    writing, as the person asked, not that it added notes."""
    row = {"path": "Polar Sync", "message": "stopped as you asked after updating 5,000 of 30,000 notes; the next "
           "sync updates the rest", "code": "stopped_updating_by_you", "done": 5000, "total": 30000}
    assert explain(row) == ("Wie gewünscht angehalten, nachdem 5.000 von 30.000 Notizen aktualisiert waren; sie "
                            "bleiben so, die nächste Synchronisierung aktualisiert den Rest.")
    words = report_text.stopped_by_you_words({"warnings": [row]})
    assert words == report_text.stopped_words("writing", "", "you") and "wie gewünscht" in words
    assert "hinzugefügt" not in words


@pytest.mark.parametrize("lang,separator", [("en", "; "), ("zh_CN", "；"), ("ja", "／"), ("fr", "\u00a0; ")])
def test_the_sync_log_lists_rows_of_the_same_words_with_the_languages_separator(lang, separator):
    """"The same for 2 more: a; b" joined the titles with an English "; " in
    every language (a Chinese or Japanese log read "…《乙》; 《丙》")."""
    from addon.gui import i18n

    rows = [{"path": f"1Doc{i}/state.json#c1", "message": "flashcard has an empty front", "code": "empty_front",
             "title": title, "page": 3, "card": "c1"} for i, title in enumerate(("Alpha", "Beta", "Gamma"))]
    i18n.force(lang)
    try:
        lines = report_text.log_words({"errors": rows, "warnings": []}).splitlines()
    finally:
        i18n.force(None)
    assert len(lines) == 3, lines
    more = lines[2]
    assert separator in more and more.count("Beta") == 1 and more.count("Gamma") == 1
    if lang != "en":
        assert "; " not in more.replace(separator, "")


def _english_then_german(errors: Dict[str, Any]) -> Dict[str, str]:
    """Each SourceError's words: in English the core's message letter for
    letter (asserted: the CLI, the log and the tests see what they saw);
    returned in German."""
    i18n.force("en")
    try:
        for error in errors.values():
            assert report_text.source_error_words(error) == str(error)
        i18n.force("de")
        return {name: report_text.source_error_words(e) for name, e in errors.items()}
    finally:
        i18n.force(None)


def _source_errors(tmp_path: Path) -> Dict[str, Any]:
    """A SourceError of each reason a chosen file or folder is refused, as
    the core raises it."""
    from addon.polar.library import SourceError, open_source

    made: Dict[str, Any] = {}

    def refused(path: Path) -> Any:
        with pytest.raises(SourceError) as caught:
            open_source(path)
        return caught.value

    notes = tmp_path / "notes.zip"
    notes.write_text("not an archive")
    made["not_an_export"] = refused(notes)
    empty = tmp_path / "polar-export.zip"
    empty.write_bytes(b"")
    (tmp_path / "polar-export.zip.part").write_bytes(b"\x1f\x8b")
    made["export_empty"] = refused(empty)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 6)
    made["export_unopenable"] = refused(cut)
    return made


def _source_errors_without_words_before(tmp_path: Path, col: Any) -> Dict[str, Any]:
    """The SourceErrors leftmain left in English (a special file, a library
    that does not exist, an export with no whole document yet), each as the
    core raises it."""
    from addon.polar.library import SourceError, open_source
    from addon.settings import Settings
    from addon.sync.engine import sync
    from tests.polar_factory import Doc, basic
    from tools.polar_export import EXPORT_NAME, library_metas, write_export

    made: Dict[str, Any] = {}

    def refused(path: Path) -> Any:
        with pytest.raises(SourceError) as caught:
            open_source(path)
        return caught.value

    pipe = tmp_path / "pipe.zip"
    os.mkfifo(pipe)
    made["special_file"] = refused(pipe)
    downloads = tmp_path / "Downloads"
    downloads.mkdir()
    made["missing"] = refused(downloads / "1OldExport-2021-03-07T09:26:53.512Z.zip")
    made["missing_folder"] = refused(tmp_path / "no-such-folder")
    doc = Doc(tmp_path / "lib", "1DocFingerprint000000000", title="A")
    doc.card("1c", basic("front", "back"))
    doc.write()
    full = write_export(tmp_path / "server" / EXPORT_NAME, library_metas(tmp_path / "lib")).read_bytes()
    (downloads / EXPORT_NAME).write_bytes(full)  # (the later export the missing one's words name)
    made["missing_newer"] = refused(downloads / "1OldExport-2021-03-07T09:26:53.512Z.zip")
    partial = downloads / (EXPORT_NAME + ".crdownload")
    partial.write_bytes(full[: len(full) // 4])  # (its first record not whole)
    with pytest.raises(SourceError) as caught:
        sync(col, Settings(), tmp_path / "state.sqlite", source_path=partial)
    made["export_still_downloading"] = caught.value
    return made


def test_the_reasons_leftmain_left_in_english_are_said_in_the_reader_s_words(tmp_path, col):
    """After "Polar Sync cannot use this file." and in the missing library's
    detail, a special file (a pipe), a library that does not exist (with its
    "downloaded later" end) and an export that holds no whole document yet
    were said in English in every language. English: the core's message
    letter for letter; German: German, naming the file."""
    errors = _source_errors_without_words_before(tmp_path, col)
    assert {name: e.code for name, e in errors.items()} == {
        "special_file": "special_file", "missing": "missing", "missing_folder": "missing",
        "missing_newer": "missing", "export_still_downloading": "export_still_downloading"}
    words = _english_then_german(errors)
    downloads = tmp_path / "Downloads"
    assert words["special_file"] == (f"{tmp_path / 'pipe.zip'} ist eine Pipe (FIFO), weder ein Ordner noch eine "
                                     "normale Datei, und wird daher nicht als Polar-Datenordner oder -Export gelesen")
    old = downloads / "1OldExport-2021-03-07T09:26:53.512Z.zip"
    assert words["missing"] == f"Der Polar-Export {old} existiert nicht"
    assert words["missing_folder"] == f"Der Polar-Datenordner {tmp_path / 'no-such-folder'} existiert nicht"
    from tools.polar_export import EXPORT_NAME

    assert words["missing_newer"] == (f"Der Polar-Export {old} existiert nicht; in diesem Ordner liegt ein später "
                                      f"heruntergeladener Polar-Export: {EXPORT_NAME}")
    assert words["export_still_downloading"] == (
        f"Der Polar-Export {downloads / (EXPORT_NAME + '.crdownload')} enthält noch kein vollständiges Dokument: "
        f"{EXPORT_NAME}.crdownload ist ein noch nicht fertiger Download; bitte erneut versuchen, sobald er "
        "abgeschlossen ist")
    for words_of_one in words.values():  # (no English left around the file's name)
        assert not any(english in words_of_one for english in ("does not exist", "is a pipe", "no whole document",
                                                                "downloaded later"))


def test_a_library_refused_whole_is_said_in_the_reader_s_words(tmp_path):
    """"Polar Sync cannot use this file." was followed by the core's reason
    in English in every language. The core's SourceError now carries a code
    and its details: in English the words are the core's message, letter for
    letter (the CLI, the log and the tests see what they saw); in German the
    reason is German, naming the file."""
    errors = _source_errors(tmp_path)
    assert {code: e.code for code, e in errors.items()} == {code: code for code in errors}
    words = _english_then_german(errors)
    assert words["not_an_export"] == (f"{tmp_path / 'notes.zip'} ist weder ein Polar-Datenordner noch ein "
                                      "Polar-Export (ein .zip-, .tar.gz- oder .tar-Archiv)")
    assert words["export_empty"] == (f"{tmp_path / 'polar-export.zip'} ist leer (0 Byte); sein Download ist noch "
                                     "nicht fertig (polar-export.zip.part liegt daneben): bitte erneut versuchen, "
                                     "sobald er abgeschlossen ist")
    assert words["export_unopenable"].startswith(f"Der Polar-Export {tmp_path / 'cut.tar.gz'} kann nicht geöffnet "
                                                 "werden: ")
    # A reason without words of its own: the core's English, as before.
    from addon.polar.library import SourceError

    assert report_text.source_error_words(SourceError("the Polar export x does not exist")) == (
        "the Polar export x does not exist")


def test_every_source_error_the_core_raises_has_words_in_the_reader_s_language():
    """Each ``SourceError(...)`` in the add-on carries a code (its second
    argument) that ``source_error_words`` says: a new reason without one
    would be said in English in every language again."""
    words = next(node for node in ast.walk(ast.parse((ADDON / "gui" / "report_text.py").read_text(encoding="utf-8")))
                 if isinstance(node, ast.FunctionDef) and node.name == "source_error_words")
    said = {node.comparators[0].value for node in ast.walk(words)
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Name) and node.left.id == "code"
            and isinstance(node.ops[0], ast.Eq) and isinstance(node.comparators[0], ast.Constant)}
    raised = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "SourceError":
                code = node.args[1] if len(node.args) > 1 else None
                raised.append((path.name, node.lineno, code.value if isinstance(code, ast.Constant) else None))
    assert len(raised) >= 12, raised
    assert [r for r in raised if r[2] not in said] == [], said


def _unopenable_exports(tmp_path: Path) -> Dict[str, Any]:
    """An export that cannot be opened, for each reason the archive's first
    look gives (``ArchiveError.why``), refused as the core refuses it."""
    import gzip
    import io
    import tarfile

    from addon.polar.library import SourceError, open_source

    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as out:
        data = b'{"x": 1}' * 10
        info = tarfile.TarInfo("doc_meta/a.json")
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    whole = gzip.compress(tar.getvalue(), mtime=0)
    files = {"truncated": b"\x1f\x8b\x08\x00" + b"\x00" * 6,
             "compressed": whole[:10] + b"\xff" * 20 + whole[30:],
             "no_member": gzip.compress(b"x" * 100, mtime=0),
             "gzip_not_tar": gzip.compress(b'{"json": true}' * 100, mtime=0),
             "zip_damaged": b"PK\x03\x04short"}
    made: Dict[str, Any] = {}
    for why, data in files.items():
        path = tmp_path / f"polar-export-{why}.zip"
        path.write_bytes(data)
        with pytest.raises(SourceError) as caught:
            open_source(path)
        made[why] = caught.value
    return made


def test_why_an_export_cannot_be_opened_is_said_in_the_reader_s_words(tmp_path):
    """"Der Polar-Export … kann nicht geöffnet werden: the archive is
    truncated": the archive's reason was the core's English in every
    language. Now each reason has words: English is the core's message letter
    for letter, German has no English left (zlib's own detail aside)."""
    errors = _unopenable_exports(tmp_path)
    assert {why: (e.code, e.details["why"]) for why, e in errors.items()} == {
        why: ("export_unopenable", why) for why in errors}
    words = _english_then_german(errors)
    start = f"Der Polar-Export {tmp_path}/polar-export-"
    assert words["truncated"] == f"{start}truncated.zip kann nicht geöffnet werden: das Archiv lässt sich nicht " \
                                 "öffnen (das Archiv ist abgeschnitten)"
    assert words["compressed"] == f"{start}compressed.zip kann nicht geöffnet werden: das Archiv lässt sich nicht " \
                                  "öffnen (beschädigte komprimierte Daten: invalid block type)"
    assert words["no_member"].endswith("das Archiv endet vor seiner ersten Datei")
    assert words["gzip_not_tar"].endswith("der gzip-Datenstrom enthält kein tar-Archiv")
    assert words["zip_damaged"].endswith("die ZIP-Datei ist beschädigt: weder ihr Verzeichnis noch ihr erster "
                                         "Eintrag lässt sich lesen")
    for error, said in zip(errors.values(), words.values()):
        assert error.details["reason"] not in said


def test_every_reason_the_archive_gives_has_words():
    """Each ``ArchiveError(...)`` in archive.py names its ``why`` (a literal,
    or ``_why_key``'s), and each has words: a new reason without them would be
    said in English in every language again."""
    import addon.polar.archive as archive

    tree = ast.parse(Path(archive.__file__).read_text(encoding="utf-8"))
    raised = [node for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "ArchiveError"]
    whys: Set[str] = set()
    for node in raised:
        second = node.args[1] if len(node.args) > 1 else None
        if isinstance(second, ast.Constant):
            whys.add(second.value)
        else:
            assert isinstance(second, ast.Starred), ast.dump(node)  # (*_why_key(exc))
    whys |= {"truncated", "checksum", "compressed"}  # (_why_key's)
    assert len(raised) >= 6 and len(whys) == 8, whys
    i18n.force("de")
    try:
        for why in sorted(whys):
            assert report_text._archive_reason(why, "x"), why
    finally:
        i18n.force(None)
    assert report_text._archive_reason("", "") == ""


def _online_only(fp: str, service: str) -> Dict[str, Any]:
    return {"path": f"{fp}/state.json", "code": "online_only", "document": fp, "file": fp, "service": service,
            "message": f"{service} keeps this document's folder online only: its file is not on this computer yet, "
                       "so its cards were not synced; once the folder is downloaded it syncs by itself"}


def test_documents_kept_online_only_say_where_and_how_and_many_are_said_once():
    """A document that reached this computer as a placeholder only: its
    folder and the service named, the service's own way to download it, and
    that it then syncs by itself (not "check that the disk is connected").
    Many (a new computer's iCloud Drive): the words once, then each folder
    on a line of its own ("The same for 2 more:"), in the report and the log."""
    from addon.gui.report_dialog import report_html

    icloud = [_online_only(f"1DocC00000000000000000c{i}", "iCloud Drive") for i in range(3)]
    words = explain(icloud[0])
    assert "iCloud Drive keeps this document's folder, 1DocC00000000000000000c0, online only" in words
    assert "Download Now" in words and "Optimise Mac Storage" in words and "syncs by itself" in words
    assert "disk" not in words
    cloud = explain(_online_only("1DocN", "Nextcloud"))
    assert "Nextcloud's “Make always available locally”" in cloud and "1DocN" in cloud
    assert "ownCloud's" in explain(_online_only("1DocO", "ownCloud"))
    data = {"documents": 5, "errors": [], "conflicts": [], "warnings": icloud}
    html = report_html(data, "sync", 0)
    assert html.count("Download Now") == 1 and "The same for 2 more:" in html
    for row in icloud:  # each named on its line by its folder, the same technical words not repeated
        assert f"{row['document']}/state.json" in html
    assert html.count("folder online only") == 1
    log = report_text.log_words(data)
    assert log.count("Download Now") == 1 and "The same for 2 more:" in log
    assert report_text.to_do_codes(data) == ["online_only"]


def test_a_new_note_s_picture_kept_online_only_is_said_in_the_user_s_words(german):
    row = {"path": "1Doc/state.json#c1", "code": "highlight_image_online_only", "document": "1Doc", "card": "c1",
           "page": 3, "file": "1img.png", "service": "iCloud Drive", "message": "image '1img.png' of the area "
           "highlight on page 3 is kept online only by iCloud Drive: the new note has no picture yet, and gets it "
           "at the first sync after the image is downloaded"}
    words = explain(row)
    assert "iCloud Drive" in words and "files/image" in words and "Bild" in words
    online = _online_only("1DocC", "iCloud Drive")
    assert "„Jetzt laden“" in explain(online) and "1DocC" in explain(online)


def test_a_preview_says_what_a_sync_would_do_of_a_picture_kept_online_only():
    """A preview (Tools ▸ Polar Sync ▸ Preview) makes no note, yet its row of
    a picture kept online only said the sync's "the new note has no picture
    for now" (de "hat die neue Notiz vorerst kein Bild"): in the preview's
    tense now, as its other rows are ("would be made again", previewrows)."""
    row = {"path": "1Doc/state.json#c1", "code": "highlight_image_online_only", "document": "1Doc", "card": "c1",
           "page": 3, "file": "1img.png", "service": "iCloud Drive", "message": "image '1img.png' …"}
    said = {}
    try:
        for lang in ("en", "de", "fr", "ja"):
            i18n.force(lang)
            said[lang] = (explain(row, dry_run=True), explain(row))
    finally:
        i18n.force(None)
    preview, sync = said["en"]
    assert "would make the new note without a picture" in preview and "the new note has no picture" not in preview
    assert "the new note has no picture for now" in sync  # the sync's own words stay
    preview, sync = said["de"]
    assert "würde eine Synchronisierung jetzt die neue Notiz ohne Bild anlegen" in preview
    assert "hat die neue Notiz" not in preview and "hat die neue Notiz vorerst kein Bild" in sync
    for lang, (preview, sync) in said.items():
        assert preview != sync and "iCloud Drive" in preview and "files/image" in preview, lang


def test_a_deck_tag_s_problem_is_said_in_the_reader_s_words_not_left_to_the_english_line(col, tmp_path):
    """The deck_tag row said "the line below says what", and the line below is
    the core's English ("document has 2 deck tags (…); using the last one"):
    in German, French, Japanese… the reader was sent to English. Each problem
    is now a sentence of its own in the reader's language, naming the tag."""
    library = tmp_path / "polar"
    deep = "deck:" + "/".join(f"L{i}" for i in range(12))
    for fp, tags in (("1DeckTagsTwo00000001", ["deck:Natur", "deck:Biologie"]),
                     ("1DeckTagsEmpty000001", ["deck: "]),
                     ("1DeckTagsInvis000001", ["deck:Bio\u200blogie"]),
                     ("1DeckTagsDeep0000001", [deep]),
                     ("1DeckTagsLong0000001", ["deck:" + "x" * 130])):
        doc = Doc(library, fp, title=fp[9:13], tags=tags)
        doc.card(fp[-6:], basic(f"<p>{fp}?</p>", "<p>a</p>"))
        doc.write()
    report = run(col, library, tmp_path / "state.sqlite")
    rows = {r["document"]: r for r in report.to_dict()["warnings"] if r["code"] == "deck_tag"}
    assert len(rows) == 5, rows
    try:
        i18n.force("de")
        german = {fp: explain(r) for fp, r in rows.items()}
        i18n.force("ja")
        japanese = explain(rows["1DeckTagsTwo00000001"])
    finally:
        i18n.force(None)
    assert german["1DeckTagsTwo00000001"] == (
        "Dieses Dokument hat in Polar 2\u00a0deck:-Schlagwörter; das letzte, „deck:Biologie“, gilt. Seine Karten "
        "kamen in „Biologie“. Korrigieren Sie das Schlagwort in Polar, falls das nicht der gewünschte Stapel ist.")
    assert german["1DeckTagsEmpty000001"].startswith("Das Schlagwort „deck: “ nennt keinen Stapel")
    assert "„'deck:Bio\\u200blogie'“ enthält unsichtbare Zeichen" in german["1DeckTagsInvis000001"]
    assert "tiefer als 10\u00a0Ebenen" in german["1DeckTagsDeep0000001"]
    assert "länger als 120\u00a0Zeichen" in german["1DeckTagsLong0000001"]
    for words in german.values():
        assert "Zeile darunter" not in words and "deck tag" not in words, words
    assert japanese == ("この文書には Polar で deck: タグが 2\u00a0個付いています。"
                        "最後の「deck:Biologie」を使いました。"
                        "カードは「Biologie」に入れました。望むデッキでなければ、Polar でタグを直してください。")
    # English, and a report of an older version (no issues): the sentence it had.
    assert explain(rows["1DeckTagsTwo00000001"]).startswith(
        "This document has 2 deck: tags in Polar; the last one, “deck:Biologie”, was used. Its cards went to")
    old = dict(rows["1DeckTagsTwo00000001"])
    del old["issues"]
    assert explain(old).startswith("Something is wrong with this document's deck: tag in Polar (the line below")


def test_why_a_document_s_file_was_refused_is_said_in_the_reader_s_words(col, tmp_path, monkeypatch):
    """file_refused said "(the line below says which)" of four reasons, the
    line below the core's English ("state.json is a link that leads nowhere;
    not read"): each reason is now said in the reader's words."""
    from addon.polar import library as library_module

    library = tmp_path / "polar"
    for fp in ("1RefusedFifo00000001", "1RefusedDangling0001", "1RefusedOutside00001", "1RefusedLarge0000001"):
        doc = Doc(library, fp, title=fp[8:14])
        doc.card(fp[-6:], basic(f"<p>{fp}?</p>", "<p>a</p>"))
        doc.write()
    (library / "1RefusedFifo00000001" / "state.json").unlink()
    os.mkfifo(library / "1RefusedFifo00000001" / "state.json")
    (library / "1RefusedDangling0001" / "state.json").unlink()
    os.symlink(tmp_path / "gone.json", library / "1RefusedDangling0001" / "state.json")
    outside = tmp_path / "outside.json"
    (library / "1RefusedOutside00001" / "state.json").rename(outside)
    os.symlink(outside, library / "1RefusedOutside00001" / "state.json")
    size = (library / "1RefusedLarge0000001" / "state.json").stat().st_size
    monkeypatch.setattr(library_module, "MAX_DOCMETA_BYTES", size - 1)
    report = run(col, library, tmp_path / "state.sqlite")
    rows = {r["document"]: r for r in report.to_dict()["errors"] if r["code"] == "file_refused"}
    assert {k: r.get("refused") for k, r in rows.items()} == {
        "1RefusedFifo00000001": "not_regular", "1RefusedDangling0001": "dangling",
        "1RefusedOutside00001": "outside", "1RefusedLarge0000001": "too_large"}
    try:
        i18n.force("de")
        german = {k: explain(r) for k, r in rows.items()}
    finally:
        i18n.force(None)
    assert german["1RefusedDangling0001"].startswith("Die state.json dieses Dokuments ist eine Verknüpfung, die ins "
                                                     "Leere führt")
    assert "(ein Ordner, eine Pipe oder ein Gerät)" in german["1RefusedFifo00000001"]
    assert "außerhalb des Polar-Ordners" in german["1RefusedOutside00001"]
    assert "zu groß für ein Polar-Dokument" in german["1RefusedLarge0000001"]
    for words in german.values():
        assert "Zeile darunter" not in words, words
    assert explain(rows["1RefusedDangling0001"]) == (
        "This document's state.json is a link that leads nowhere, so it was not read. Its notes in Anki were left "
        "as they are.")
