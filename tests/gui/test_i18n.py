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
# French "vous", Brazilian Portuguese "você". Spanish mixed both: report rows
# said "Corrija… si ese no es el mazo que quiere" beside "elige…".
ADDRESS = {
    "es": (r"\b(usted(es)?|quiere|corrija|sincronice|vuelva|escriba|dele|dé|devuelva|elija|restaure|informe del|"
           r"edite|marque|aumente|suspenda|librarse|ábralo|elimínela|escríbalo|su (biblioteca|carpeta|colección))\b",
           r"\b(tu|tus|puedes|elige|sincroniza)\b"),
    "fr": (r"\b(tu|ton|ta|tes|toi|te)\b", r"\b(vous|votre|vos)\b"),
    "pt_BR": (r"\b(tu|teu|tua|teus|tuas|ti|contigo)\b", r"\b(você|seu|sua)\b"),
}


@pytest.mark.parametrize("language", sorted(ADDRESS))
def test_the_reader_is_addressed_one_way_as_anki_does(language):
    import re

    other, ours = ADDRESS[language]
    found = [t for t in _texts(language) if re.search(other, t, re.IGNORECASE)]
    assert found == []
    assert any(re.search(ours, t, re.IGNORECASE) for t in _texts(language))
