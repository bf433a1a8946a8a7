"""Names a line must not break: a menu path's names ("ツール ▸ データベースを検査",
"Datei ▸ Benutzerprofil wechseln ▸ Sicherungskopie öffnen …") and a short
path or tag of an example ("/a/b", "deck:cs/linux", "polar-sync:skip").

Qt lays Japanese and Chinese out with a break allowed between any two
characters, so a 400 px report read "ツール ▸ データベースを|チェック"; a
Spanish help line broke "la carpeta de Polar /|a/b" after its slash. Qt's
``<nobr>`` (and CSS ``white-space: nowrap``) only makes its spaces no-break
spaces: it keeps no CJK word whole (laid out with QTextLayout, 400 px). What
Qt's line breaking (UAX #14) does honour: a no-break space (U+00A0, class
GL) and a word joiner (U+2060, WJ: no break on either side), invisible and
of no width. So each name's spaces become no-break spaces, a word joiner
goes between two characters of a name where a line could otherwise break
(CJK, after a hyphen or a slash), and the separator keeps "▸" with the name
before it ("ツール\u00a0▸ "): a path breaks only after a "▸", between two
whole names. A path that fits a line (``WHOLE``) is kept whole altogether
("Tools\u00a0▸\u00a0Undo"): moved as one to the next line, never "编辑 ▸ |
撤销". A folder's path longer than that may break only after a "/" inside
it. A name wider than the line is still broken by Qt (anywhere).

A Windows path ("C:\\Users\\Ana Maria\\.polar", "\\\\server\\share\\…") the
same (winpaths): Qt breaks before a "\\" and never after one, so a word
joiner goes either side of each, and in one wider than a line a zero-width
space after each "\\" inside it (not after "C:\\" or "\\\\"). A quoted menu
entry of ours ("“Use a Polar export…”", „…“, «…», 「…」) is joined too.

Used by every window and notice that shows a path: the report, the
notice, the settings' help lines, the sync log window, the tooltips
(``tooltips.long_tooltip``), the quiet sync's way to stop, the
library-missing message and the message boxes. Only for what is shown:
the catalogue's text, the report's saved words and what a screen reader
is handed stay as they are. Pure Python (no aqt).
"""

from __future__ import annotations

import re
from typing import Callable, Dict, Iterable, List, Optional, Pattern, Tuple

from . import i18n

NBSP = "\u00a0"
WJ = "\u2060"
ZWSP = "\u200b"  # (a place a line may break, of no width: after a "\\" inside a long Windows path)

# Anki's menus and entries a path names, as the add-on's catalogue writes
# them (Anki 26.9's labels, "&" and "(&T)" taken out: tests/gui/test_i18n.py
# checks them against Anki's own and every path of every catalogue against
# this list).
ANKIS_MENUS: Dict[str, Tuple[str, ...]] = {
    "en": ("Tools", "File", "Edit", "Empty Cards", "Check Database", "Switch Profile", "Open Backup…", "Undo",
           "Add-ons", "Preferences", "Browse", "Notes", "Change Note Type"),
    "de": ("Extras", "Datei", "Bearbeiten", "Leere Karten löschen …", "Datenbank überprüfen",
           "Benutzerprofil wechseln", "Sicherungskopie öffnen …", "Rückgängig", "Erweiterungen", "Einstellungen …",
           "Kartenverwaltung", "Notizen", "Notiztyp ändern"),
    "es": ("Herramientas", "Archivo", "Editar", "Tarjetas vacías…", "Comprobar base de datos", "Cambiar perfil",
           "Abrir copia de seguridad…", "Deshacer", "Complementos", "Preferencias…", "Explorar", "Notas",
           "Cambiar tipo de nota"),
    "fr": ("Outils", "Fichier", "Édition", "Chercher des cartes vides…", "Vérifier l’intégrité de la base de données",
           "Changer de profil", "Ouvrir la sauvegarde…", "Annuler", "Greffons", "Préférences…", "Parcourir", "Notes",
           "Modifier le type de note"),
    "pt_BR": ("Ferramentas", "Arquivo", "Editar", "Cartões Vazios…", "Verificar Banco de Dados", "Mudar perfil",
              "Abrir cópia de segurança…", "Desfazer", "Extensões", "Preferências", "Painel", "Notas",
              "Mudar Tipo de Nota"),
    "ja": ("ツール", "ファイル", "編集", "空のカードを確認…", "データベースを検査", "プロファイルを切り替える",
           "バックアップを開く…", "元に戻す", "アドオン", "環境設定", "カード管理", "ノート", "ノートタイプを変更"),
    "zh_CN": ("工具", "文件", "编辑", "清理空卡片…", "检查数据库", "切换账户", "打开备份…", "撤销", "插件", "设置",
              "浏览", "笔记", "更改笔记模板"),
}
# The add-on's own menu (its entries' titles, translated with ``tr``), and
# Polar's (English in every language).
OUR_MENUS = ("Polar Sync", "Sync from Polar", "Settings…", "Stop the sync", "Preview (dry run)…",
             "Show last report", "Open sync log", "Choose Polar data folder…", "Use a Polar export…")
POLARS_MENUS = ("Settings", "Export Data")

_SEPARATOR = r"[ \u00a0]▸[ \u00a0]"
# A path or tag of an example, or a folder's or file's path: letters with
# "/" or ":" inside ("/a/b", "deck:cs/linux", "folders::a::b",
# "polar-sync:skip", "/home/someone/.polar").
_TOKEN = re.compile(r"(?<![\w/.-])/?[\w.-]+(?:(?:/|::?)[\w.-]+)+/?")
# A Windows folder's or file's path: a drive's ("C:\\Users\\Ana\\.polar") or a
# share's ("\\\\server\\share\\polar-data"). Qt breaks no line after a "\\" (a
# prefix, in Unicode's line breaking): a long one broke anywhere, a short one
# at its spaces or hyphens. A folder's name inside it may hold spaces ("Ana
# Maria"), told by the "\\" after it; the last name ends at its first space
# (in "C:\\Polar data was" nothing tells where a name ends: "data" is left
# out; a path alone in ``<code>`` is taken whole, spaces and all: ``html``),
# and at punctuation that ends a sentence ("C:\\a\\.polar." / ")." / "，"): it
# ends in a letter or digit, or a "\\". A name's characters: none Windows
# forbids, no space, no full-width punctuation or quote mark.
_WIN_CHAR = r'[^\s\\/:*?"<>|\u2060\u200b\u3000-\u303f\uff00-\uff65“”„«»「」『』]'
_WIN_NAME = rf"{_WIN_CHAR}+(?: {_WIN_CHAR}+)*"
_WIN_PATH = re.compile(rf"(?<![\w\\])(?:[A-Za-z]:\\|\\\\(?={_WIN_CHAR}))(?:{_WIN_NAME}\\)*(?:{_WIN_CHAR}*\w)?")
_WIN_WHOLE = re.compile(r"(?:[A-Za-z]:\\|\\\\)[^<>\n]*")
# A path (of menu names, or of folders) this wide or less is kept whole, on
# one line: moved as one to the next line where it does not fit the end of
# this one. In units of a Latin letter, a CJK character counting two: 40
# take ~260-290 px of Anki's font (a 400 px window's narrowest line, the
# library-missing message's, has ~320 px). A wider one breaks only between
# two whole names: after a "▸", after a "/" inside it (never after its
# leading "/": "…de Polar /|home/…").
WHOLE = 40
# A Japanese or Chinese day in words ("2026年11月28日", dates.py): one unit
# (Qt broke "2026年|11月28日" at 400 px).
_CJK_DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")
# Japanese or Chinese words (kana, CJK ideographs, their punctuation and
# full-width forms): Qt may break a line between any two of their
# characters, and at a space beside them.
_CJK = re.compile("[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
# In such words, a name or a value in quote marks (a setting's, a choice's,
# a deck's, a note type's: "「Anki で削除された場合」が「削除したままにする」",
# "设为“保持删除”", "「Polar Basic」") is kept whole with its marks when it
# fits a line (``WHOLE``), as a menu name is: a 400 px report read
# "「Anki で|削除された場合」", "“保持删|除”", "「Polar|Basic」". A longer one
# (a card's whole front) breaks as the words around it.
_CJK_QUOTED = re.compile("([「『“])([^「」『』“”\n]+)([」』”])")
# And a figure with its counter or unit ("1 回", "3 件", "2 条", "20 %",
# "5,678 MB") or "第 1 页": a settings line at 400 px read "最後の保存の後に 1|
# 回だけ同期します".
_CJK_FIGURE = re.compile("(?<=\\d) (?=[%\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]|[KMG]B\\b|ms\\b)"
                         "|(?<=第) (?=\\d)")


def cjk(words: str) -> bool:
    """Whether ``words`` hold Japanese or Chinese."""
    return _CJK.search(words) is not None


def _cjk_quoted(match: re.Match[str]) -> str:
    inside = match.group(2).replace(WJ, "")
    if ZWSP in inside or units(inside) > WHOLE:
        return match.group(0)
    return match.group(1) + WJ + joined(inside) + WJ + match.group(3)


def _wide(char: str) -> bool:
    return ord(char) >= 0x2E80  # CJK scripts, their punctuation, full-width forms


def joined(name: str) -> str:
    """``name`` with no place left where a line may break inside it."""
    out: List[str] = []
    for i, char in enumerate(name):
        if char == " ":
            out.append(NBSP)
            continue
        out.append(char)
        after = name[i + 1] if i + 1 < len(name) else ""
        if after and after not in " \u00a0" and char != NBSP and (
                _wide(char) or _wide(after) or char in "-/"):
            out.append(WJ)
    return "".join(out)


def units(words: str) -> int:
    """How wide ``words`` are, in Latin letters (a CJK character: two)."""
    return sum(2 if _wide(char) else 1 for char in words)


def whole(path: str) -> str:
    """A menu path or a folder's path with no place left where a line may
    break inside it ("Tools ▸ Polar Sync ▸ Stop the sync" on one line)."""
    return re.sub(_SEPARATOR, f"{NBSP}▸{NBSP}", joined(path).replace(f"{WJ}▸", "▸").replace(f"▸{WJ}", "▸"))


def long_path(path: str) -> str:
    """A folder's or file's path too wide to be kept whole: it may break
    after a "/" inside it, nowhere else (its leading "/" stays with the
    first folder's name; each name whole)."""
    parts = re.split(r"(/)", path)
    out: List[str] = []
    for i, part in enumerate(parts):
        out.append(joined(part) if part != "/" else part)
        if part == "/" and not "".join(parts[:i]) and i + 1 < len(parts) and parts[i + 1]:
            out.append(WJ)  # (the leading "/": with the name after it)
    return "".join(out)


def windows_path(path: str, breaks: bool = False) -> str:
    """A Windows path with no place left where a line may break inside it
    (Qt breaks before a "\\": "C:|\\Users", "学习资料|\\.polar"; word joiners
    either side of each); ``breaks``, for one too wide to be kept whole: it
    may break after a "\\" inside it (a zero-width space after it: Qt
    breaks after none by itself), nowhere else: not after its root ("C:\\",
    "\\\\"), each name whole."""
    parts = re.split(r"(\\)", path)
    out: List[str] = []
    for i, part in enumerate(parts):
        if part != "\\":
            out.append(joined(part))
            continue
        before, after = "".join(parts[:i]), "".join(parts[i + 1:])
        if before and not "".join(out).endswith(WJ):
            out.append(WJ)
        out.append(part)
        if after:
            out.append(ZWSP if breaks and before and not before.endswith((":", "\\")) else WJ)
    return "".join(out)


def _windows_path(match: re.Match[str]) -> str:
    found = match.group(0)
    return windows_path(found, breaks=units(found) > WHOLE)


def _name_pattern(name: str) -> str:
    parts = []
    for char in name:
        if char in " \u00a0":
            parts.append("[ \u00a0]")
        elif char == "…":
            parts.append(r"(?:…|\.\.\.)")
        else:
            parts.append(re.escape(char))
    return "".join(parts)


_PATTERNS: Dict[Tuple[str, ...], Pattern[str]] = {}


def _path_pattern(names: Iterable[str]) -> Pattern[str]:
    key = tuple(sorted(set(n for n in names if n), key=len, reverse=True))
    found = _PATTERNS.get(key)
    if found is None:
        name = "(?:" + "|".join(_name_pattern(n) for n in key) + ")"
        found = _PATTERNS[key] = re.compile(rf"{name}(?:{_SEPARATOR}{name})+")
    return found


# Quote marks around a name, in the 7 languages' catalogues: “…” (en, pt_BR,
# zh_CN), „…“ (de), «…» (es), « … » (fr, no-break spaces inside), 「…」 (ja).
_OPENING = "“„«「『‘‚\""
_CLOSING = "”“»」』’‘\""
_QUOTED: Dict[Tuple[str, ...], Pattern[str]] = {}


def _quoted_pattern(names: Iterable[str]) -> Pattern[str]:
    """A known name (a menu entry's, a button's of the same name) inside
    quote marks: "“Use a Polar export…”", "„Polar-Export verwenden …“"."""
    found = _QUOTED.get(names) if isinstance(names, tuple) else None  # (a report's every row: no sorting again)
    if found is not None:
        return found
    key = tuple(sorted(set(n for n in names if n and units(n) <= WHOLE), key=len, reverse=True))
    found = _QUOTED.get(key)
    if found is None:
        name = "(?:" + "|".join(_name_pattern(n) for n in key) + ")"
        found = _QUOTED[key] = re.compile(rf"([{_OPENING}])([ \u00a0]?)({name})([ \u00a0]?)(?=[{_CLOSING}])")
    if isinstance(names, tuple):
        _QUOTED[names] = found
    return found


def _quoted_name(match: re.Match[str]) -> str:
    inside = (NBSP if match.group(2) else "", NBSP if match.group(4) else "")
    return match.group(1) + inside[0] + joined(match.group(3)) + inside[1]


def menu_names(lang: Optional[str] = None, tr: Callable[[str], str] = i18n.tr) -> Tuple[str, ...]:
    """The names a path may hold in ``lang`` (the current language's when
    None; ``tr``: the add-on's words in it)."""
    lang = i18n.current() if lang is None else lang
    # (English too: the sync log holds entries written while Anki was in another language.)
    return (ANKIS_MENUS.get(lang, ()) + tuple(tr(n) for n in OUR_MENUS) + ANKIS_MENUS["en"] + OUR_MENUS
            + POLARS_MENUS)


def text(plain: str, names: Optional[Iterable[str]] = None) -> str:
    """Plain text with its menu paths' names and its short example paths
    kept whole."""
    def path(match: re.Match[str]) -> str:
        found = match.group(0)
        if units(found) <= WHOLE or " " not in found:  # (or made whole already, measured: quiet_progress)
            return whole(found)
        return f"{NBSP}▸ ".join(joined(part) for part in re.split(_SEPARATOR, found))

    def token(match: re.Match[str]) -> str:
        found = match.group(0)
        return joined(found) if units(found) <= WHOLE else long_path(found)

    names = names if names is None or isinstance(names, tuple) else tuple(names)  # (read twice below)
    shown = plain
    if "▸" in shown:
        shown = _path_pattern(menu_names() if names is None else names).sub(path, shown)
    if "\\" in shown:  # (before the "/" paths: "C:\\" is none of theirs)
        shown = _WIN_PATH.sub(_windows_path, shown)
    if _QUOTE.search(shown):
        shown = _quoted_pattern(menu_names() if names is None else names).sub(_quoted_name, shown)
    if "/" in shown or ":" in shown:
        shown = _TOKEN.sub(token, shown)
    if cjk(shown):
        shown = _CJK_FIGURE.sub(NBSP, _CJK_QUOTED.sub(_cjk_quoted, shown))
    return _CJK_DAY.sub(lambda match: joined(match.group(0)), shown) if "年" in shown else shown


_QUOTE = re.compile(f"[{_OPENING}]")
_TAG = re.compile(r"(<[^>]*>)")
_MAY_JOIN = re.compile(f"[▸/:年\\\\{_OPENING}]|\\d |第 ")


def html(markup: str, names: Optional[Iterable[str]] = None) -> str:
    """``text`` for the words of an HTML fragment (its tags as they are)."""
    names = menu_names() if names is None else tuple(names)
    parts = _TAG.split(markup)
    out: List[str] = []
    for i, part in enumerate(parts):
        if part.startswith("<") or not _MAY_JOIN.search(part):
            out.append(part)  # (most of a long report's words hold none of what is joined: passed by at once)
        elif (0 < i < len(parts) - 1 and parts[i - 1].lower() == "<code>" and parts[i + 1].lower() == "</code>"
              and _WIN_WHOLE.fullmatch(part)):
            # A Windows path alone in <code> (the library-missing message's folder): all of it a path, the
            # spaces of its last name too ("C:\\Users\\Ana\\Polar data").
            out.append(_windows_path(_WIN_WHOLE.fullmatch(part)))  # type: ignore[arg-type]
        else:
            out.append(text(part, names))
    return "".join(out)


def plain(shown: str) -> str:
    """Shown words as they were before ``text`` joined them: no word joiner,
    a plain space for each no-break one it put in (Qt's ``toPlainText``
    gives every no-break space as a space already)."""
    return shown.replace(WJ, "").replace(ZWSP, "").replace(f"{NBSP}▸{NBSP}", " ▸ ").replace(f"{NBSP}▸ ", " ▸ ")
