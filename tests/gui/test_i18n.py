"""The add-on's words in other languages: every string translated in every
catalogue with its placeholders intact, plural forms chosen per language,
English whenever something is missing or broken."""

from __future__ import annotations

import json

import pytest

from addon.gui import i18n
from addon.gui.i18n import LANGUAGES, ntr, tr
from tools import i18n_check


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated_with_its_placeholders(language):
    assert i18n_check.problems(language) == []


def test_the_required_languages_are_there():
    assert {"de", "ja", "pt_BR", "es", "fr", "zh_CN"} <= set(LANGUAGES)
    assert len(i18n_check.msgids()) > 100  # the extraction found the add-on's strings


def test_anki_language_codes_map_to_catalogues():
    assert i18n.supported("de_DE") == "de"
    assert i18n.supported("pt_BR") == "pt_BR"
    assert i18n.supported("pt_PT") == "pt_BR"
    assert i18n.supported("zh_CN") == "zh_CN"
    assert i18n.supported("ja_JP") == "ja"
    assert i18n.supported("fr_CA") == "fr"
    assert i18n.supported("es_MX") == "es"
    assert i18n.supported("zh_TW") == "en"  # Traditional Chinese readers get English, not Simplified
    assert i18n.supported("ko_KR") == "en"
    assert i18n.supported("") == "en"


def test_words_follow_the_language_and_fall_back_to_english(lang):
    de = i18n.catalogue("de")
    lang("de")
    assert tr("Sync from Polar") == de["Sync from Polar"] != "Sync from Polar"
    assert tr("a string no catalogue has {x}", x=1) == "a string no catalogue has 1"
    lang("en")
    assert tr("Sync from Polar") == "Sync from Polar"


def test_plural_forms_per_language(lang):
    lang("en")
    assert ntr("{n} problem", "{n} problems", 1) == "1 problem"
    assert ntr("{n} problem", "{n} problems", 2) == "2 problems"
    for code in ("de", "fr", "ja"):
        lang(code)
        forms = i18n.catalogue(code)["{n} problem"]
        assert ntr("{n} problem", "{n} problems", 1) == forms[0].format(n=1)
        assert ntr("{n} problem", "{n} problems", 5) == forms[-1].format(n=5)
    lang("fr")  # French counts 0 as singular, German does not
    assert ntr("{n} problem", "{n} problems", 0) == i18n.catalogue("fr")["{n} problem"][0].format(n=0)
    lang("de")
    assert ntr("{n} problem", "{n} problems", 0) == i18n.catalogue("de")["{n} problem"][1].format(n=0)


def test_a_broken_catalogue_entry_gives_english_not_an_error(lang, monkeypatch):
    monkeypatch.setitem(i18n._cache, "de", {"Sync from {x}": "Sync aus {y}", "{n} problem": ["{m}"]})
    lang("de")
    assert tr("Sync from {x}", x="Polar") == "Sync from Polar"
    assert ntr("{n} problem", "{n} problems", 2) == "2 problems"


def test_note_type_and_field_names_are_not_translated():
    """Renaming them per language would break existing notes."""
    from addon.sync import notetypes

    names = set(notetypes._OWN_NAMES.values()) | set(notetypes.CONTEXT_FIELDS) | {"Front", "Back", "Text"}
    assert not names & set(i18n_check.msgids())
    for code in LANGUAGES:
        text = json.dumps(i18n.catalogue(code), ensure_ascii=False)
        for name in ("Polar Basic", "Polar Cloze"):
            if name in text:  # mentioned by name, never renamed
                assert f"„{name}“" in text or f"“{name}”" in text or f"« {name} »" in text.replace("\u00a0", " ") \
                    or f"«{name}»" in text or f"「{name}」" in text


def _texts(language: str) -> list:
    texts = []
    for value in i18n.catalogue(language).values():
        texts += value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else [value]
    return texts


# The reader is addressed as Anki's own translation does (its strings in
# Anki 26.9): Spanish "tú" ("tu colección" 16 times, "su colección" never),
# French "vous", Brazilian Portuguese "você", Simplified Chinese 您. Spanish
# mixed both: report rows said "Corrija… si ese no es el mazo que quiere"
# beside "elige…", and later strings "Descomprima…", "Descargue…", "como
# pidió", "deje de usar…"; Chinese said 你 22 times beside 您 5 times.
ADDRESS = {
    "es": (r"\b(usted(es)?|quiere|corrija|sincronice|vuelva|escriba|dele|dé|devuelva|elija|restaure|informe del|"
           r"edite|marque|aumente|suspenda|librarse|ábralo|elimínela|escríbalo|su (biblioteca|carpeta|colección)|"
           r"descomprima|descargue|deje|quite|pidió|revise)\b",
           r"\b(tu|tus|puedes|elige|sincroniza)\b"),
    "fr": (r"\b(tu|ton|ta|tes|toi|te)\b", r"\b(vous|votre|vos)\b"),
    "pt_BR": (r"\b(tu|teu|tua|teus|tuas|ti|contigo)\b", r"\b(você|seu|sua)\b"),
    "zh_CN": (r"你", r"您"),  # Anki's Chinese: 您 71 times, 你 once
}


@pytest.mark.parametrize("language", sorted(ADDRESS))
def test_the_reader_is_addressed_one_way_as_anki_does(language):
    import re

    other, ours = ADDRESS[language]
    found = [t for t in _texts(language) if re.search(other, t, re.IGNORECASE)]
    assert found == []
    assert any(re.search(ours, t, re.IGNORECASE) for t in _texts(language))


# Anki's own word for "suspend" in each language (its Browser, the reviewer's
# More menu, the search "is:suspended"), read from Anki's translations: the
# add-on's report and settings must say what the user then looks for in Anki.
# German said "Aussetzen"/"ausgesetzt" in the report while Anki (and the
# add-on's own settings) say "Dauerhaft ausschließen"/"Ausgeschlossen";
# Japanese said 保留 ("on hold") for Anki's 休止. Anki's German changed
# ("Karte aussetzen"/"Ausgesetzt" in 23.10, "Karte dauerhaft ausschließen"/
# "Ausgeschlossen" in 26.9): the add-on says the newer Anki's word.
SUSPEND = {"de": r"aus(ge)?schl|schließen Sie [^.;]* aus\b", "es": r"susp[eé]nd", "fr": r"suspen(d|sion)",
           "ja": r"休止", "pt_BR": r"suspen", "zh_CN": r"暂停"}
OLDER_ANKI = {"de": r"aussetz|ausgesetzt"}
ANKI_CODE = {"de": "de_DE", "es": "es_ES", "fr": "fr_FR", "ja": "ja_JP", "pt_BR": "pt_BR", "zh_CN": "zh_CN"}


def _anki_tr(language: str):
    import weakref

    import anki._backend

    backend = anki._backend.RustBackend(langs=[ANKI_CODE[language]])
    tr = anki._backend.Translations(weakref.ref(backend))
    tr._keep = backend  # (the translations hold it weakly)
    return tr


@pytest.mark.parametrize("language", sorted(SUSPEND))
def test_suspend_is_said_with_ankis_own_word(language):
    import re

    anki_tr = _anki_tr(language)
    stem = SUSPEND[language]
    ankis = "|".join(filter(None, (stem, OLDER_ANKI.get(language))))
    assert re.search(ankis, anki_tr.actions_suspend_card(), re.IGNORECASE)
    assert re.search(ankis, anki_tr.browsing_suspended(), re.IGNORECASE)
    catalogue = i18n.catalogue(language)
    said = {msgid: catalogue[msgid] for msgid in catalogue if "suspend" in msgid.lower()}
    assert len(said) >= 5  # the setting, the report's links and counts, the old-sync and made-again rows
    for msgid, value in said.items():
        for text in value if isinstance(value, list) else [value]:
            assert re.search(stem, text, re.IGNORECASE), (msgid, text)
    if language == "de":
        assert not [t for t in _texts("de") if re.search(r"aussetz|ausgesetzt|setzen Sie \w+ \w* ?aus\b", t)]
        # The verb is Anki's "dauerhaft ausschließen": the settings' choice said
        # "Ausschließen, Schlagwort polar::deleted" alone, "exclude", which a
        # German reader takes for leaving the note out of the sync.
        assert not [t for t in _texts("de") if re.search(r"(?<!dauerhaft )\bausschließen", t, re.IGNORECASE)]
        # (And its finite forms, split: "Anki schließt keine Karte aus" said "excludes" where it
        # meant Anki's suspend; now "schließt keine Karte dauerhaft aus", as the rest.)
        split = [m.group(0) for t in _texts("de") for m in re.finditer(r"\bschließ(?:t|en)\b[^.;:,]*?\baus\b", t)]
        assert split and not [said for said in split if "dauerhaft" not in said], split
    if language == "ja":
        assert not [t for t in _texts("ja") if "保留" in t]


# Anki's word for a tag (its editor's "Tags", the Browser's sidebar): German
# said "deck:-Tag" and "Korrigieren Sie das Tag" in the report's deck rows,
# beside "deck:-Schlagwort" in the settings and Anki's "Schlagwörter".
TAG = {"de": r"schlagw", "es": r"etiquet", "fr": r"étiquet", "ja": r"タグ", "pt_BR": r"etiquet|marca",
       "zh_CN": r"标签"}
OLDER_ANKI_TAG = {"fr": r"^tags$"}  # Anki 23.10's French editor said "Tags"; 26.9 "Étiquettes"
# A settings choice whose closed drop-down has no room for the word at 400 px:
# German's "Dauerhaft ausschließen, Schlagwort polar::deleted" showed
# "…polar::delet"; it names the tag itself, beside "Nur mit polar::deleted
# verschlagworten" in the same list.
NAMES_THE_TAG = {("de", "Suspend it and tag it polar::deleted"): "Dauerhaft ausschließen, polar::deleted"}


@pytest.mark.parametrize("language", sorted(TAG))
def test_a_tag_is_said_with_ankis_own_word(language):
    import re

    stem = TAG[language]
    ankis = "|".join(filter(None, (stem, OLDER_ANKI_TAG.get(language))))
    assert re.search(ankis, _anki_tr(language).editing_tags(), re.IGNORECASE)
    catalogue = i18n.catalogue(language)
    said = {msgid: catalogue[msgid] for msgid in catalogue if re.search(r"\btag", msgid, re.IGNORECASE)}
    assert len(said) >= 10
    for msgid, value in said.items():
        for text in value if isinstance(value, list) else [value]:
            if NAMES_THE_TAG.get((language, msgid)) == text:
                continue
            assert re.search(stem, text, re.IGNORECASE), (msgid, text)
    if language == "de":
        assert not [t for t in _texts("de") if re.search(r"\b(das|ein|anderes|deck:-)Tag\b|deck:-Tag", t)]


# Anki's word for a profile (File ▸ Switch Profile): Simplified Chinese said
# 配置文件 ("configuration file") in the settings and the other-profile
# notice, beside Anki's 账户 in the same catalogue's "文件 ▸ 切换账户".
PROFILE = {"de": r"profil", "es": r"perfi", "fr": r"profil", "ja": r"プロファイル", "pt_BR": r"perfi",
           "zh_CN": r"账户"}


@pytest.mark.parametrize("language", sorted(PROFILE))
def test_a_profile_is_said_with_ankis_own_word(language):
    import re

    stem = PROFILE[language]
    assert re.search(stem, _anki_tr(language).qt_accel_switch_profile(), re.IGNORECASE)
    catalogue = i18n.catalogue(language)
    said = {msgid: catalogue[msgid] for msgid in catalogue if re.search(r"\bprofiles?\b", msgid, re.IGNORECASE)}
    assert len(said) >= 5
    for msgid, value in said.items():
        for text in value if isinstance(value, list) else [value]:
            assert re.search(stem, text, re.IGNORECASE), (msgid, text)
    if language == "zh_CN":
        assert not [t for t in _texts(language) if "配置文件" in t]


# Anki's word for an add-on (Tools ▸ Add-ons): German said "das Add-on"
# beside Anki's "Erweiterungen", French "l'extension" (and once "greffon")
# beside Anki's "Greffons", Brazilian Portuguese "o complemento" beside
# Anki's "Extensões".
ADDON = {"de": r"erweiterung", "es": r"complemento", "fr": r"greffon", "ja": r"アドオン", "pt_BR": r"extens(ão|ões)",
         "zh_CN": r"插件"}


@pytest.mark.parametrize("language", sorted(ADDON))
def test_an_add_on_is_said_with_ankis_own_word(language):
    import re

    stem = ADDON[language]
    assert re.search(stem, _anki_tr(language).qt_misc_addons().replace("&", ""), re.IGNORECASE)
    catalogue = i18n.catalogue(language)
    said = {msgid: catalogue[msgid] for msgid in catalogue if re.search(r"\badd-ons?\b", msgid, re.IGNORECASE)}
    assert len(said) >= 8
    for msgid, value in said.items():
        for text in value if isinstance(value, list) else [value]:
            assert re.search(stem, text, re.IGNORECASE), (msgid, text)


# A menu path in our words (Tools ▸ Check Database) names Anki's menus and
# entries as the user's Anki shows them: each of Anki's segments is its label
# from Anki's translations (the "&" and a Japanese/Chinese "(&T)" taken out,
# "..." and "…" alike), each of ours is our menu's own translated title, and
# the path is whole ("Herramientas ▸ Tarjetas vacías..." in one piece).
# "Settings ▸ Export Data" is Polar's menu (Polar is in English only): left as is.
ANKI_MENUS = {
    "Tools": "qt_accel_tools", "File": "qt_accel_file", "Edit": "qt_accel_edit",
    "Empty Cards": "qt_misc_empty_cards", "Check Database": "qt_accel_check_database",
    "Switch Profile": "qt_accel_switch_profile", "Open Backup…": "profiles_open_backup",
    "Undo": "qt_accel_undo", "Add-ons": "qt_misc_addons", "Preferences": "qt_accel_preferences",
    "Browse": "qt_misc_browse", "Notes": "qt_accel_notes", "Change Note Type": "browsing_change_notetype",
}
OUR_MENUS = ("Polar Sync", "Sync from Polar", "Settings…", "Stop the sync", "Preview (dry run)…",
             "Show last report", "Open sync log", "Choose Polar data folder…", "Use a Polar export…")
POLARS_MENUS = ("Settings ▸ Export Data",)
# The add-on says Anki 26.9's words; Anki 23.10 (the oldest supported) had
# others for these, so a run there accepts 26.9's too (checked equal to the
# running Anki's own on 26.9).
NEWER_ANKI_MENUS = {
    ("de", "qt_misc_empty_cards"): "Leere Karten löschen …",
    ("de", "qt_accel_switch_profile"): "Benutzerprofil wechseln",
    ("de", "profiles_open_backup"): "Sicherungskopie öffnen …",
    ("ja", "qt_misc_empty_cards"): "空のカードを確認…",
    ("ja", "qt_accel_check_database"): "データベースを検査",
    ("ja", "qt_accel_preferences"): "環境設定",
}


def _menu_label(text: str) -> str:
    import re

    text = re.sub(r"\s*\(&\w\)", "", text).replace("&", "").replace("\u00a0", " ")
    return text.replace("...", "…").strip()


def _paths(msgid: str) -> list:
    """The menu paths an English msgid names, each a list of its segments."""
    import re

    names = sorted(list(ANKI_MENUS) + list(OUR_MENUS) + ["{stop}"], key=len, reverse=True)
    name = "(?:" + "|".join(re.escape(n) for n in names) + ")"
    found = [m.group(0).split(" ▸ ") for m in re.finditer(rf"{name}(?: ▸ {name})+", msgid)]
    rest = re.sub(rf"{name}(?: ▸ {name})+", "", msgid)
    for polars in POLARS_MENUS:
        rest = rest.replace(polars, "")
    assert "▸" not in rest, f"a menu path with a name this test does not know: {msgid!r}"
    return found


@pytest.mark.parametrize("language", sorted(ANKI_CODE))
def test_menu_paths_name_ankis_menus_as_anki_shows_them(language, lang):
    import anki.buildinfo

    anki_tr = _anki_tr(language)
    newest = tuple(int(p) for p in anki.buildinfo.version.split(".")[:2]) >= (26, 9)
    lang(language)
    checked = 0
    for msgid, value in i18n.catalogue(language).items():
        paths = _paths(msgid)
        if not paths:
            continue
        texts = [_menu_label(t) for t in (value if isinstance(value, list) else [value])]
        for segments in paths:
            choices = [[]]
            for segment in segments:
                if segment in ANKI_MENUS:
                    key = ANKI_MENUS[segment]
                    ankis = {_menu_label(getattr(anki_tr, key)())}
                    newer = NEWER_ANKI_MENUS.get((language, key))
                    if newer and newest:
                        assert newer in ankis, (key, ankis)  # the table says 26.9's words
                    ankis |= {newer} if newer else set()
                else:
                    ankis = {_menu_label(tr(segment))} if segment != "{stop}" else {"{stop}"}
                choices = [c + [a] for c in choices for a in sorted(ankis)]
            for text in texts:
                assert any(" ▸ ".join(c) in text for c in choices), (msgid, text, choices)
                checked += 1
    assert checked >= 12  # Tools ▸ …, File ▸ Switch Profile ▸ Open Backup…, Edit ▸ Undo, …


def _anki_is_newest() -> bool:
    import anki.buildinfo

    return tuple(int(p) for p in anki.buildinfo.version.split(".")[:2]) >= (26, 9)


# Japanese as Anki 26.9's Japanese spells it (Anki 23.10 still said
# フォルダ; the add-on says the newer Anki's word, as for the menus): the
# catalogue said フォルダ 41 times beside フォルダー 15 times, コンピュータ
# beside コンピューター, ドキュメント beside 文書, 学習履歴 beside Anki's
# 復習履歴, and "New cards in reading order" as 新しいカードを読んだ順に
# ("in the order you read them"), beside Anki's 新規カード.
JA_SPELLING = {  # Anki's spelling: (the Anki string that has it, what the catalogue must not say)
    "フォルダー": ("profiles_folder_already_exists", r"フォルダ(?!ー)"),
    "コンピューター": ("sync_clock_off", r"コンピュータ(?!ー)"),
    "復習履歴": ("importing_include_reviews", r"学習履歴"),
    "新規カード": ("actions_new", r"新しいカード|読んだ順"),
}


def test_japanese_is_spelt_as_ankis_japanese():
    import re

    anki_tr = _anki_tr("ja")
    for word, (key, not_ours) in JA_SPELLING.items():
        if _anki_is_newest() and key != "actions_new":
            assert word in getattr(anki_tr, key)(), (key, word)
        assert not [t for t in _texts("ja") if re.search(not_ours, t)], word
    assert re.search("新規", anki_tr.actions_new())
    assert not [t for t in _texts("ja") if "ドキュメント" in t]  # 文書 elsewhere
    # Anki writes "x: y" with an ASCII colon; one kind of brackets around a reason
    assert not [t for t in _texts("ja") if "：" in t or re.search(r" \(\{reason\}\)", t)]


# Anki's word for Bury (the reviewer's More menu): the add-on buries
# nothing, so its words must not say it. Chinese said a duplicate was 搁置
# (Anki's Bury) where the other languages say it is set aside.
BURY = {"de": r"aufschieb|zurückstell", "es": r"enterr", "fr": r"enfoui", "zh_CN": r"搁置"}


@pytest.mark.parametrize("language", sorted(BURY))
def test_nothing_is_said_with_ankis_word_for_bury(language):
    import re

    anki_tr = _anki_tr(language)
    assert re.search(BURY[language], anki_tr.studying_bury() + anki_tr.studying_bury_card(), re.IGNORECASE)
    assert not [t for t in _texts(language) if re.search(BURY[language], t, re.IGNORECASE)]


# French typography: a no-break space before ":", ";", "?", "!" and "»" and
# after "«" (a plain one let a line end before the colon: "Polar Sync" at one
# line's end, ": 3 nouvelles notes" at the next), and one apostrophe: 111
# strings had plain spaces, 23 a straight "'" beside "’" in the others.
def test_french_punctuation_keeps_to_its_word():
    import re

    assert not [t for t in _texts("fr") if re.search(r" [:;?!»]|« ", t)]
    assert not [t for t in _texts("fr") if re.search(r"\w'\w", t)]


# English left in a translation: Spanish and Brazilian Portuguese said "el
# export de Polar" / "do export do Polar" in one row (French "export" is French).
@pytest.mark.parametrize("language", ["es", "pt_BR"])
def test_no_english_noun_is_left_in(language):
    import re

    assert not [t for t in _texts(language) if re.search(r"\bexports?\b", t)]


# Japanese and Chinese break a line between any two characters, and Qt at a
# plain space too: the 400 px report showed "1,866" at one line's end and its
# counter 件 at the next. A count and its counter word hold together.
@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_a_count_keeps_its_counter_word(language):
    import re

    assert not [t for t in _texts(language) if re.search(r"\{[a-z_]+\} [件枚個回日行条张个次天项页]", t)]


@pytest.mark.parametrize("language", ["ja", "zh_CN"])
def test_a_quoted_name_filled_in_sits_against_the_words_around_it(language):
    """The placeholders the report fills with names in quote marks (a
    document's title and page, a card's front, decks, note types) take no
    space beside Japanese or Chinese words: a row's heading read
    "「Spaced repetition」、1 ページ の 「What…」", a row "在牌组 “Default” 中"
    (cjk)."""
    import re

    quoted = i18n.catalogue(language)["“{text}”"].replace("{text}", "Default")
    words = "\u3040-\u30ff\u4e00-\u9fff"
    spaced = []
    for text in _texts(language):
        shown = re.sub(r"\{(card|document|decks|types|where)\}", quoted, text)
        spaced += [shown for _ in re.finditer(f"[{words}] [「“]|[」”] [{words}]", shown)]
    assert not spaced, spaced


# Anki's Browser, in each language as its toolbar names it (Kartenverwaltung,
# Explorar, Parcourir, Painel, カード管理, 浏览), or as its own prose does (Spanish "el
# explorador": Anki's "Opciones del explorador").
BROWSER_PROSE = {"es": ("explorador", "browsing_browser_options")}
NEWER_ANKI_BROWSER = {"ja": "カード管理"}  # Anki 23.10 said ブラウザ


def _as_list(value):
    return value if isinstance(value, list) else [value]


def test_german_says_a_deck_s_new_card_limit_as_anki_does():
    """The backlog rows said "Bei dessen {limit} neuen Karten am Tag kommt sie …
    zum Lernen" ("at whose 20 new cards a day", "dessen" with no noun of its
    own to point to); Anki's German names the limit Tageshöchstwert, and a
    card waiting its turn "kommt an die Reihe"."""
    if _anki_is_newest():  # (Anki 23.10 said "Grenzwert"; the add-on says 26.9's word, as for the menus)
        assert "Tageshöchstwert" in _anki_tr("de").custom_study_increase_todays_new_card_limit()
    catalogue = i18n.catalogue("de")
    said = {msgid: catalogue[msgid] for msgid in catalogue if "{limit} new cards a day" in msgid}
    assert len(said) >= 3
    for msgid, value in said.items():
        for text in _as_list(value):
            assert "Tageshöchstwert" in text and "dessen" not in text, (msgid, text)
            if "comes after" in msgid:
                assert "an die Reihe" in text, (msgid, text)


def test_chinese_names_the_browser_as_ankis_chinese_prose_does():
    """Anki's Chinese toolbar says 浏览 ("Browse"); its prose names the window
    浏览器 ("在浏览器中查看", "浏览器选项"). The add-on said 浏览窗口 ("browse
    window"), a name Anki never uses; and once the Browser is 浏览器, a web
    browser is 网页浏览器, so the download line is not read as Anki's Browser."""
    anki_tr = _anki_tr("zh_CN")
    assert "浏览器" in anki_tr.search_view_in_browser()
    catalogue = i18n.catalogue("zh_CN")
    for msgid in catalogue:
        for text in _as_list(catalogue[msgid]):
            assert "浏览窗口" not in text, (msgid, text)
            if "Browser" in msgid:
                assert "浏览器" in text, (msgid, text)
            elif "browser" in msgid:
                assert "网页浏览器" in text, (msgid, text)


@pytest.mark.parametrize("language", sorted(ANKI_CODE))
def test_the_browser_is_named_as_anki_names_it(language):
    anki_tr = _anki_tr(language)
    names = {_menu_label(anki_tr.qt_misc_browse())}
    if language in NEWER_ANKI_BROWSER:
        if _anki_is_newest():
            assert NEWER_ANKI_BROWSER[language] in names
        names.add(NEWER_ANKI_BROWSER[language])
    if language in BROWSER_PROSE:
        word, key = BROWSER_PROSE[language]
        assert word in getattr(anki_tr, key)()
        names.add(word)
    catalogue = i18n.catalogue(language)
    said = {msgid: catalogue[msgid] for msgid in catalogue if "Browser" in msgid}
    assert len(said) >= 4
    for msgid, value in said.items():
        for text in value if isinstance(value, list) else [value]:
            assert any(name.lower() in text.lower() for name in names), (msgid, text, names)


# A note type, and the two kinds of card, in Anki's own words: the rows added
# for notes moved to another note type said French "type de notes" (Anki:
# "Type de note", "Modifier le type de note", "Gérer les types de note"),
# Chinese 笔记类型 once beside Anki's 笔记模板 (ten times), Spanish "tarjeta de
# huecos" beside Anki's "Respuesta anidada" (and the catalogue's own older
# "tarjeta de respuesta anidada"), Chinese 基础卡片 for Anki's 问答题 (Basic),
# French "carte simple" for Anki's "Basique". Each stem is checked against
# Anki's own name (both 23.10's and 26.9's have it).
NOTE_TYPE_NOT = {"fr": r"types? de notes", "zh_CN": r"笔记类型"}
CLOZE = {"de": "lückentext", "es": "respuesta anidada", "fr": "à trous", "ja": "穴埋め", "pt_BR": "omissão",
         "zh_CN": "填空"}
BASIC = {"de": "einfach", "es": "básic", "fr": "basique", "ja": "基本", "pt_BR": "básic", "zh_CN": "问答题"}


@pytest.mark.parametrize("language", sorted(ANKI_CODE))
def test_a_note_type_and_its_kinds_are_said_with_ankis_words(language):
    import re
    import unicodedata

    def low(text: str) -> str:
        return unicodedata.normalize("NFC", text).lower()

    anki_tr = _anki_tr(language)
    word = low(anki_tr.notetypes_notetype())
    plural = re.sub(r"^(\w+)", r"\1s", word) if language in ("es", "fr", "pt_BR") else word  # tipos de nota
    assert CLOZE[language] in low(anki_tr.notetypes_cloze_name())
    assert BASIC[language] in low(anki_tr.notetypes_basic_name())
    catalogue = i18n.catalogue(language)
    checked = {"note type": 0, "cloze": 0, "basic": 0}
    for msgid, value in catalogue.items():
        for text in _as_list(value):
            said = low(text)
            if re.search(r"\bnote types?\b", msgid, re.IGNORECASE):
                assert word in said or plural in said, (msgid, text, word)
                checked["note type"] += 1
            if language in NOTE_TYPE_NOT:
                assert not re.search(NOTE_TYPE_NOT[language], text), (msgid, text)
            if re.search(r"\bcloze\b", msgid):  # the kind, not the stock type's name "Cloze"
                assert CLOZE[language] in said, (msgid, text)
                checked["cloze"] += 1
            if re.search(r"\bbasic\b", msgid):
                assert BASIC[language] in said, (msgid, text)
                checked["basic"] += 1
    assert checked["note type"] >= 10 and checked["cloze"] >= 6 and checked["basic"] >= 1, checked


# German as Anki 26.9's German names a deck's limits and options: the rows
# for new notes held back by a limit said "eine Grenze" and "die Optionen von
# „…“", where Anki says Tageshöchstwert ("Tageshöchstwerte" the section of
# the deck's options) and Einstellungen (the deck's gear menu); Anki 23.10
# said "Täglicher Grenzwert" and "Optionen", the add-on says the newer words
# as for the menus.
def test_german_names_a_deck_s_limits_and_options_as_anki_does():
    import re

    if _anki_is_newest():
        anki_tr = _anki_tr("de")
        assert anki_tr.actions_options() == "Einstellungen"
        assert anki_tr.deck_config_daily_limits() == "Tageshöchstwerte"
    assert not [t for t in _texts("de") if re.search(r"Grenze|Optionen", t)]
    catalogue = i18n.catalogue("de")
    limits = [t for msgid in catalogue if "raise that limit" in msgid for t in _as_list(catalogue[msgid])]
    assert len(limits) >= 8 and all("Erhöhen Sie diesen Tageshöchstwert" in t for t in limits), limits


# German says "Sie"/"Ihr" to the reader, so a sentence that opens with "Ihr"/
# "Ihre" reads as "your": "…wurde wieder angelegt: Ihre Karte ist noch in
# Polar" ("its card", read "your card"), "…nicht gefunden: Ihr Abschnitt wird
# … gezeigt", "Ihre Wiederholungen, falls es welche gab" (the note's). Such a
# sentence is one whose English says "your".
def test_german_opens_no_sentence_with_ihr_for_its():
    import re

    catalogue = i18n.catalogue("de")
    for msgid, value in catalogue.items():
        yours = len(re.findall(r"\byour\b", msgid, re.IGNORECASE))
        for text in _as_list(value):
            opened = re.findall(r"(?:^|[.:;!?] )Ihr(?:e|en|er|em|es)?\b", text)
            assert len(opened) <= yours, (msgid, text)


# The settings' menu path ends in "…" ("Tools ▸ Polar Sync ▸ Settings…"): a
# sentence that ends with it reads "Réglages…." in the report, four dots. The
# new rows of notes left deleted said "comme le dit « Supprimé dans Anki » dans
# {settings}. Si sa carte…" (and Spanish, Portuguese alike) where the English
# has the path mid-sentence; a translation ends a sentence with it only where
# the English does.
@pytest.mark.parametrize("language", sorted(ANKI_CODE))
def test_a_sentence_ends_with_the_settings_path_only_where_the_english_does(language):
    catalogue = i18n.catalogue(language)
    for msgid, value in catalogue.items():
        for text in _as_list(value):
            ended = text.count("{settings}.") + text.count("{settings}。")
            assert ended <= msgid.count("{settings}."), (msgid, text)


def test_chinese_counted_phrases_say_no_they_for_what_may_be_one():
    """Chinese has one form for every count, so a counted phrase (or one with
    {done}/{decks}) is read with 1 too: "它们" ("they") read "1 条笔记…它们的卡片"."""
    wrong = [k for k, v in i18n.catalogue("zh_CN").items()
             if any(p in k for p in ("{n}", "{done}", "{decks}")) and any("它们" in x for x in _as_list(v))]
    assert wrong == []


def test_japanese_notice_phrases_are_phrases_not_sentences():
    """The notice joins its phrases with "、" ("問題 1 件、競合 2 件、…"): a phrase
    ending as a sentence ("…ライブラリです、…同期されていません。") read as one run-on."""
    from addon.gui.report_text import _to_do_phrases

    i18n.force("ja")
    try:
        phrases = _to_do_phrases()
    finally:
        i18n.force(None)
    endings = ("です", "ます", "ません", "でした", "ました")
    assert [p for p in phrases.values() if p.endswith(endings)] == []
