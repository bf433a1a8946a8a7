"""The report as shown keeps each of Anki's menu names whole in a narrow
window (localreport; see test_unbroken.py): at 400 px Japanese broke
"ファイル ▸ プロファイルを切り替える ▸ バックアップ|を開く…" in the first sync's
paragraph. Needs nothing of the add-on but its window, so it runs on an
older checkout too (it failed on main)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.gui.qt_lines import line_starts

WJ = "\u2060"  # a word joiner (invisible): taken out before the names are looked for
ANKI_CODES = {"en": "en_US", "de": "de_DE", "es": "es_ES", "fr": "fr_FR", "pt_BR": "pt_BR", "ja": "ja_JP",
              "zh_CN": "zh_CN"}


# The names of the first sync's paragraph (Edit ▸ Undo, File ▸ Switch Profile
# ▸ Open Backup…) and of a damaged collection's row (Tools ▸ Check
# Database), as each language's report says them.
REPORT_NAMES = {
    "en": ("Edit", "Undo", "File", "Switch Profile", "Open Backup…", "Tools", "Check Database"),
    "de": ("Bearbeiten", "Rückgängig", "Datei", "Benutzerprofil wechseln", "Sicherungskopie öffnen …", "Extras",
           "Datenbank überprüfen"),
    "es": ("Editar", "Deshacer", "Archivo", "Cambiar perfil", "Abrir copia de seguridad…", "Herramientas",
           "Comprobar base de datos"),
    "fr": ("Édition", "Annuler", "Fichier", "Changer de profil", "Ouvrir la sauvegarde…", "Outils",
           "Vérifier l’intégrité de la base de données"),
    "pt_BR": ("Editar", "Desfazer", "Arquivo", "Mudar perfil", "Abrir cópia de segurança…", "Ferramentas",
              "Verificar Banco de Dados"),
    "ja": ("編集", "元に戻す", "ファイル", "プロファイルを切り替える", "バックアップを開く…", "ツール",
           "データベースを検査"),
    "zh_CN": ("编辑", "撤销", "文件", "切换账户", "打开备份…", "工具", "检查数据库"),
}


@pytest.mark.anki
@pytest.mark.parametrize("language", sorted(ANKI_CODES))
def test_the_report_keeps_each_menu_name_whole_in_a_narrow_window(anki: Any, language: str) -> None:
    """The report as shown (its text browser, the add-on installed in the
    session's Anki, Anki in the language), the window 400 px wide and wider:
    no line of it begins inside one of Anki's menu names."""
    import importlib

    package = type(anki.controller).__module__.rsplit(".", 1)[0]
    i18n_installed = importlib.import_module(f"{package}.i18n")
    mw = anki.mw
    anki.settle()
    mw.pm.setLang(ANKI_CODES[language])
    data = {"created": 3, "backup": True, "documents": 4, "skipped_documents": 1,
            "errors": [{"code": "collection_damaged", "document": "", "message": "damaged"}]}
    broken = []
    try:
        assert i18n_installed.current() == language
        dialog = anki.controller.show_report(data, "manual", 0)
        try:
            for width in range(400, 820, 20):
                dialog.resize(width, 700)
                anki.anki.process(0.05)
                doc = dialog.browser.document()
                doc.setTextWidth(dialog.browser.viewport().width())
                for block, starts in line_starts(doc):
                    plain = block.replace(WJ, "")
                    # (positions in the text without its joiners)
                    shift = [len(block[:p].replace(WJ, "")) for p in starts]
                    for name in REPORT_NAMES[language]:
                        spaced = plain.replace("\u00a0", " ")
                        for found in re.finditer(re.escape(name), spaced):
                            if spaced[found.end():found.end() + 2] != " ▸" and spaced[:found.start()][-2:] != "▸ ":
                                continue  # (the word in prose, not a menu's name: "此集合文件")
                            broken += [(width, name, spaced[found.start():p] + "|" + spaced[p:found.end()])
                                       for p in shift if found.start() < p < found.end()]
            assert dialog.browser.toPlainText()
        finally:
            dialog.close()
    finally:
        mw.pm.setLang("en_US")
        anki.anki.process(0.1)
    assert not broken, broken[:10]


@pytest.mark.anki
def test_words_copied_from_the_report_are_without_its_joiners(anki: Any) -> None:
    """What keeps a name whole on screen is not copied: a tag copied from
    the report is the tag Polar knows ("polar-sync:skip", no U+2060 in it).
    (Fails on main by its last line: nothing was joined there.)"""
    anki.settle()
    data = {"created": 3, "backup": True, "documents": 4, "skipped_documents": 1}
    dialog = anki.controller.show_report(data, "manual", 0)
    try:
        dialog.browser.selectAll()
        copied = dialog.browser.createMimeDataFromSelection().text()
        assert "tagged polar-sync:skip in Polar" in copied, copied
        assert "File ▸ Switch Profile ▸ Open Backup…" in copied, copied
        assert WJ not in copied
        assert WJ in dialog.browser.toPlainText()  # (on screen, joined)
    finally:
        dialog.close()
