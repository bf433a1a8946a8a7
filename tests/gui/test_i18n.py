"""The add-on's words in other languages: every string translated in every
catalogue with its placeholders intact, plural forms chosen per language,
English whenever something is missing or broken."""

from __future__ import annotations

import json

import pytest

from addon.gui import i18n
from addon.gui.i18n import LANGUAGES, ntr, tr
from tools import i18n_check


@pytest.fixture
def lang():
    def use(code):
        i18n.force(code)

    yield use
    i18n.force(None)


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
