"""Back to the source: an "open at p. N" control on the answer side of a
synced card, and what opens when it is used.

Nothing of this is in the notes. The control is added while Anki shows a
card (``card_will_show``, answer kinds only: reviewer, previewer, browser
preview, card layout), and only when this computer has the document's file,
so AnkiDroid, AnkiMobile, AnkiWeb and other computers show the card as it
is stored: its plain context, no dead link, no script in any field. A click
sends ``pycmd("polar-open:<card id>")``, which every Anki web view hands to
``webview_did_receive_js_message``; Shift+O does the same while the
reviewer shows an answer, and so does Enter while the control has the
focus (reached with Tab; Enter is Anki's "answer" key everywhere else).

Markup added (inside the context block's ``.polar-source`` line when there
is one, else as a line of its own at the end of the answer)::

    &nbsp;· <a class="polar-open" href="#" style="CONTROL_STYLE" title="Open the document at p. 7 here (Shift+O)"
         onclick="pycmd('polar-open:123');return false;">open</a>

Its words: "open" where the line it ends names the card's page already
("Bigtable · p. 7 · open"; the stored line's label is the collection's,
"S. 7" in German: sync/page_label.py), "open at p. 7" where nothing names
it (a line of its own, a line without the page), "show in book" for an
EPUB (the add-on's book window at the highlight's words: gui/book_window.py),
"open document" for any other file, "open web page" for a web capture
whose line has no link to its site.

A web capture whose line already links its site gets no control (that link
opens the same page; Shift+O still does). A click whose document's file has
gone since the answer showed gets a tooltip saying where it was looked for.

Finding the document looks at the Polar folder (a stat of the library, the
DocMeta, the file), which may be on a share that stops answering: that
look never runs on Anki's main thread (``Lookups``: one thread). The
answer waits for it at most ``ANSWER_WAIT`` (a local disk answers well
within it: the control is in the answer as it shows); otherwise the answer
shows at once with an invisible stand-in, and the control takes its place
when the folder answers (the page asks: ``polar-where:<token>``). A click
or Shift+O waits at most ``CLICK_WAIT``, then says the folder is not
answering and opens the document when it does.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from anki.collection import CardId  # (anki.cards first would import in a cycle)
from aqt import gui_hooks, mw
from aqt.qt import QByteArray, QDesktopServices, Qt, QUrl, sip

from ..render.style import STYLES
from ..settings import Settings
from .file_tasks import run_file_task
from .i18n import tr
from .polar_folder import LOOKS, Body, Job, read_body
from .synclog import USER_FILES
from .tooltips import long_tooltip as tooltip  # (Anki's, wrapped to the window)

if TYPE_CHECKING:
    from ..polar.body_cache import BodyCache
    from ..polar.epub_book import Opened
    from ..polar.originals import Original
    from ..sync.origin import Origin, OriginFinder

# Documents taken out of Polar exports (bounded, least recently used go first).
DOCUMENT_CACHE = USER_FILES / "documents"

MESSAGE = "polar-open:"
SHORTCUT = "Shift+O"

# Looks as the stored line's site link does (render/style.py): the faded
# line's own colour, underlined, readable in light and night mode (Anki's
# link blue faded with the line was 3.6:1 on white).
CONTROL_STYLE = "white-space:nowrap;" + STYLES["polar-link"]

# Anki's reviewer keys that answer with the default button, and the page's
# question whether the control has the focus (reached with Tab).
_ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, "Return", "Enter")
_CONTROL_FOCUSED = "!!(document.activeElement && document.activeElement.classList.contains('polar-open'))"

_SOURCE_DIV = re.compile(r'<div class="polar-source"[^>]*>')


def control_label(origin: Origin, page_shown: bool = False) -> str:
    """The control's words; ``page_shown``: the line it ends names the
    card's page already, so the control does not name it again."""
    from ..polar.originals import EPUB, PDF, WEB

    if origin.original.kind == WEB:
        return tr("open web page")
    if origin.original.kind == PDF and origin.spot.page > 0:
        return tr("open") if page_shown else tr("open at p. {page}", page=origin.spot.page)
    if origin.original.kind == EPUB:
        return tr("show in book")
    return tr("open document")


def control_tip(origin: Origin) -> str:
    """What the control does, where: a PDF in the add-on's window at its
    page; an EPUB in the add-on's book window at its highlight (found by
    its text in Polar's section); a web capture in the browser; any other
    file in the program the system has for it."""
    from ..polar.originals import EPUB, PDF, WEB

    kind = origin.original.kind
    if kind == PDF and origin.spot.page > 0:
        return tr("Open the document at p. {page} here ({key})", page=origin.spot.page, key=SHORTCUT)
    if kind == PDF:
        return tr("Open the document here ({key})", key=SHORTCUT)
    if kind == EPUB:
        return tr("Show the highlight in the book, here ({key})", key=SHORTCUT)
    if kind == WEB:
        return tr("Open the page in the web browser ({key})", key=SHORTCUT)
    return tr("Open the document in the system viewer ({key})", key=SHORTCUT)


def control_html(card_id: int, origin: Origin, page_shown: bool = False) -> str:
    return (
        f'<a class="polar-open" href="#" style="{CONTROL_STYLE}" title="{html.escape(control_tip(origin))}" '
        f"onclick=\"pycmd('{MESSAGE}{int(card_id)}');return false;\">"
        f"{html.escape(control_label(origin, page_shown))}</a>"
    )


_TITLE_SPAN = re.compile(r'<span class="polar-title">.*?</span>', re.DOTALL)
_LINK_OR_TAG = re.compile(r"<a\b.*?</a>|<[^>]*>", re.DOTALL | re.IGNORECASE)


def source_line(text: str) -> Optional[str]:
    """The inside of ``text``'s last context source line, or None."""
    matches = list(_SOURCE_DIV.finditer(text))
    if not matches:
        return None
    end = text.find("</div>", matches[-1].end())
    return text[matches[-1].end():end] if end != -1 else None


def names_page(line: str, page: int) -> bool:
    """Whether a source line names page ``page`` outside its title and
    links, whatever words label it ("p.&nbsp;7", "S.&nbsp;7", "第&nbsp;7&nbsp;页")."""
    if page <= 0:
        return False
    rest = html.unescape(_LINK_OR_TAG.sub(" ", _TITLE_SPAN.sub(" ", line)))
    return re.search(rf"(?<!\d){page}(?!\d)", rest) is not None


def _site_linked(text: str, origin: Origin) -> bool:
    """A web capture whose context line already links its site: that link
    opens the same page, so no second one beside it (Shift+O still works)."""
    from ..polar.originals import WEB

    return origin.original.kind == WEB and 'class="polar-link"' in text


def _control_spot(text: str) -> Tuple[int, bool]:
    """Where the control goes in ``text``: the end of its (last) source
    line (True), or the end of the answer (False) when it has none."""
    matches = list(_SOURCE_DIV.finditer(text))
    if matches:
        end = text.find("</div>", matches[-1].end())
        if end != -1:
            return end, True
    return len(text), False


def _placed(control: str, in_line: bool) -> str:
    if in_line:
        # "&nbsp;·": the dot stays with the part before it (render/context.py).
        return "&nbsp;· " + control
    return f'<div class="polar-open-line" style="font-size:0.8em;opacity:0.75;text-align:left">{control}</div>'


def add_control(text: str, control: str) -> str:
    """``text`` with the control at the end of its (last) source line, or
    on a line of its own at the end when the answer has no context block."""
    at, in_line = _control_spot(text)
    return text[:at] + _placed(control, in_line) + text[at:]


def control_markup(text: str, card_id: int, origin: Optional[Origin]) -> str:
    """What the answer ``text`` gets for ``origin`` at its control's spot:
    the control (with "&nbsp;· " in a source line, else a line of its own),
    or nothing (no file here; a web capture whose line links its site)."""
    if origin is None or _site_linked(text, origin):
        return ""
    line = source_line(text)
    shown = line is not None and names_page(line, origin.spot.page)
    return _placed(control_html(card_id, origin, page_shown=shown), _control_spot(text)[1])


# The answer waits this long for the lookup of its card's document (a
# local disk answers in a few ms, a big DocMeta read the first time on a
# busy machine in tens: the control is in the answer as it shows, as it
# always was); a Polar folder slower than that, or not answering at all (a
# dead share), gets the answer then and the control when it answers. While
# a lookup is stuck longer than this, the next answers do not wait at all.
ANSWER_WAIT = 0.2
CLICK_WAIT = 0.25  # a click or Shift+O: the window opens within this, or when the folder answers
LATE = "polar-where:"  # the answer's page asking whether a late lookup has answered


def _late_markup(token: int) -> Tuple[str, str]:
    """An invisible stand-in where the control goes, and a script (at the
    end of the answer, outside its source line) asking (50 ms, then less
    and less often, up to once a second) whether the lookup has answered:
    the control then takes the stand-in's place, and the script goes. The
    stand-in goes with the answer (another card, the question again), and
    the asking with it: an answer never lands on another card."""
    spot = f"polar-open-late-{token}"
    script = (
        f'<script id="{spot}-js">(function(){{var d=50,id="{spot}";'
        "function done(){var j=document.getElementById(id+'-js');if(j)j.remove();}"
        "function ask(){if(!document.getElementById(id))return done();"
        f"pycmd('{LATE}{token}',function(r){{var s=document.getElementById(id);if(!s)return done();"
        "if(r===null){d=Math.min(d*1.5,1000);setTimeout(ask,d);return;}"
        "if(r)s.insertAdjacentHTML('afterend',r);s.remove();done();});}"
        "setTimeout(ask,d);})();</script>"
    )
    return f'<span id="{spot}" class="polar-open-late" style="display:none"></span>', script


class SourceLinks:
    """The hooks and the window. ``context()`` gives the current settings
    and the profile's sync-state path (None while no profile is open)."""

    def __init__(self, context: Callable[[], Tuple[Settings, Optional[Path], Path]], log: Any) -> None:
        self.context = context
        self.log = log
        self.window: Any = None
        self.book_window: Any = None  # (an EPUB's: gui/book_window.py)
        self.fallback: Any = None
        self._bodies: Optional[BodyCache] = None
        self._finder: Optional[OriginFinder] = None
        self.lookups = LOOKS  # (shared with the other looks at the Polar folder from Anki's window)
        self._opened = 0  # bumped by forget(): a late click's document opens only if unchanged
        self._clicks = 0  # a click's document opens only if no click came after it
        self._pending: Optional[Tuple[int, Job]] = None  # the last click's card and lookup
        self.reading = 0  # lookups reading a clicked document (a book, a PDF) now
        # Answers shown before their lookup answered: token -> (job, answer, card id).
        self._late: Dict[int, Tuple[Job, str, int]] = {}
        self._tokens = itertools.count(1)
        # The card whose answer in the reviewer has (or may get, late) the
        # control: Enter asks its page whether the control has the focus.
        self._control_on: Optional[int] = None

    def install(self) -> None:
        gui_hooks.card_will_show.append(self.on_card_will_show)
        gui_hooks.webview_did_receive_js_message.append(self.on_js_message)
        gui_hooks.state_shortcuts_will_change.append(self.on_state_shortcuts)

    @property
    def bodies(self) -> BodyCache:
        if self._bodies is None:
            from ..polar.body_cache import BodyCache  # gzip & co. only once an export's document opens

            self._bodies = BodyCache(DOCUMENT_CACHE)
        return self._bodies

    # -- finding ------------------------------------------------------------------

    def finder(self) -> Optional[OriginFinder]:
        settings, library, state_path = self.context()
        if library is None or not settings.open_at_page:
            return None
        finder = self._finder
        if finder is None or (finder.library, finder.state_path) != (library, state_path):
            # The finder's modules (the DocMeta reader, the stash) are
            # imported when a card first shows, not at Anki's start (~3 ms).
            from ..sync.origin import OriginFinder

            finder = self._finder = OriginFinder(library, state_path)
        return finder

    def forget(self) -> None:
        """The library or profile changed: look everything up afresh (a
        document waiting to open for a click made before is not opened)."""
        self._finder = None
        self._opened += 1

    def origin_of(self, card: Any) -> Optional[Origin]:
        """The card's origin, looked up on this thread (the lookup thread,
        tests and tools: never Anki's main thread, which uses ``_ask``)."""
        finder = self.finder()
        if finder is None:
            return None
        return finder.find(card.note().guid)

    def _ask(self, card: Any, lost: bool = False) -> Optional[Job]:
        """The card's lookup, on the lookup thread (None: nothing to look
        up, no profile or the setting off). Its result: the origin, or with
        ``lost`` (origin, where its lost file was looked for)."""
        finder = self.finder()
        if finder is None:
            return None
        guid = card.note().guid
        answered = threading.Event()

        seen: Dict[str, Any] = {}  # (a click shows an EPUB's window before its book is read)

        def look() -> Any:
            origin = finder.find(guid)
            seen["origin"] = origin
            answered.set()
            if not lost:
                return origin
            if origin is None:
                return origin, finder.lost(guid), None
            self.reading += 1  # (a click meanwhile waits behind a read, not a folder that does not answer)
            try:
                return origin, None, self._prepare(origin)  # (a big PDF read whole: the folder answers)
            finally:
                self.reading -= 1

        job = self.lookups.ask(look)
        job.answered = answered
        job.seen = seen  # type: ignore[attr-defined]
        return job

    def _prepare(self, origin: Origin) -> Any:
        """(On the lookup thread, for a click.) What opening ``origin``
        would read on Anki's main thread: a PDF in the Polar folder read
        whole (``Body``); for a document in an export, its kept copy (the
        export's stat names it), or False when there is none."""
        from ..polar.originals import EPUB, PDF

        original = origin.original
        if original.path is not None and original.kind == EPUB:
            # The book read and its highlight's place found here: a share
            # slow to answer, a big book, never on Anki's main thread.
            from aqt.theme import theme_manager

            from ..polar.epub_book import hint_of, open_book

            return open_book(original.path, origin.spot.page, origin.spot.text, theme_manager.night_mode,
                             hint_of(origin.spot))
        if original.path is not None:
            if original.kind != PDF:
                return None
            body = read_body(original.path)
            # Qt's copy made here too: ~25 ms for a 100 MB book, off the main thread.
            return body._replace(data=QByteArray(body.data)) if body.data is not None else body
        if original.archive is not None:
            return self.bodies.cached(original.archive, original.member, original.size) or False
        return None

    def _waited(self, job: Job, seconds: float) -> bool:
        """Wait for ``job`` at most ``seconds``, and not at all while an
        earlier look is stuck (the folder not answering)."""
        return job.done.wait(0 if self.lookups.stuck(seconds) else seconds)

    # -- hooks ----------------------------------------------------------------------

    def on_card_will_show(self, text: str, card: Any, kind: str) -> str:
        if not kind.endswith("Answer"):
            return text
        try:
            job = self._ask(card)
        except Exception:  # showing the card matters more than the control
            self.log.exception("finding the source of card %s", getattr(card, "id", "?"))
            return text
        if kind == "reviewAnswer":
            self._control_on = None
        if job is None:
            return text
        at = _control_spot(text)[0]
        if self._waited(job, ANSWER_WAIT):
            markup = control_markup(text, card.id, job.result)
            if markup and kind == "reviewAnswer":
                self._control_on = card.id
            return text[:at] + markup + text[at:]
        # The folder is slow or not answering: the answer now, the control later.
        if kind == "reviewAnswer":
            self._control_on = card.id  # (the page says whether it came)
        token = next(self._tokens)
        self._late[token] = (job, text, card.id)
        for old in list(self._late)[:-64]:  # (answers long gone from the screen)
            del self._late[old]
        stand_in, script = _late_markup(token)
        return text[:at] + stand_in + text[at:] + script

    def _on_late(self, token: str) -> Optional[str]:
        """The answer's page asking for its control: None while the lookup
        runs, then the markup ("" for none, or for an answer unknown)."""
        try:
            late = self._late.get(int(token))
        except ValueError:
            return ""
        if late is None:
            return ""
        job, text, card_id = late
        if not job.done.is_set():
            return None
        del self._late[int(token)]
        return control_markup(text, card_id, job.result)

    def on_js_message(self, handled: Tuple[bool, Any], message: str, context: Any) -> Tuple[bool, Any]:
        if message.startswith(LATE):
            return True, self._on_late(message[len(LATE):])
        if not message.startswith(MESSAGE):
            return handled
        try:
            card_id = int(message[len(MESSAGE):])
        except ValueError:
            return True, None
        card = self._clicked_card(card_id, context)
        if card is not None:
            self.open_card(card)
        return True, None

    def _clicked_card(self, card_id: int, context: Any) -> Optional[Any]:
        """The card whose control was clicked: the one the web view's owner
        shows (the reviewer, a preview, the card layout: nothing to ask),
        else the collection's, if it still has it. Asked by a search, never
        by ``get_card`` of a card deleted since its answer showed: Anki's
        "not found" error, with RUST_BACKTRACE set (Anki's developer setup),
        walks the window thread's stack (~100 ms frozen)."""
        shown = getattr(context, "card", None)
        if callable(shown):  # the previewers' card() (the reviewer's and the card layout's: the card)
            try:
                shown = shown()
            except Exception:
                shown = None
        if shown is not None and getattr(shown, "id", None) == card_id:
            return shown
        col = mw.col
        if col is None or not col.find_cards(f"cid:{card_id}"):
            return None
        return col.get_card(CardId(card_id))

    def on_state_shortcuts(self, state: str, shortcuts: List[Tuple[Any, Callable[[], None]]]) -> None:
        if state == "review":
            shortcuts.append((SHORTCUT, self._open_from_reviewer))
            # Enter answers the card (Anki's default button), even with the
            # control focused by Tab: there it opens the document instead.
            for index, (key, action) in enumerate(shortcuts):
                if key in _ENTER_KEYS:
                    shortcuts[index] = (key, self._enter_key(action))

    def _enter_key(self, anki_action: Callable[[], None]) -> Callable[[], None]:
        def on_enter() -> None:
            reviewer = mw.reviewer
            card = reviewer.card
            web = getattr(reviewer, "web", None)
            if reviewer.state != "answer" or card is None or web is None or self._control_on != card.id:
                anki_action()  # no control on this answer: nothing to ask the page
                return

            def focused(on_control: Any) -> None:
                if on_control is True and reviewer.state == "answer" and reviewer.card is card:
                    self.open_card(card)
                else:
                    anki_action()

            web.evalWithCallback(_CONTROL_FOCUSED, focused)

        return on_enter

    def _open_from_reviewer(self) -> None:
        reviewer = mw.reviewer
        if reviewer.state == "answer" and reviewer.card is not None:
            self.open_card(reviewer.card)

    # -- opening ---------------------------------------------------------------------

    def open_card(self, card: Any) -> Optional[Any]:
        """Open the card's document at its spot; the window, when one opened.
        When its file has gone since the answer showed (moved, deleted), a
        tooltip says where it was looked for: a click never does nothing.
        The lookup runs on the lookup thread: a Polar folder that does not
        answer within ``CLICK_WAIT`` leaves Anki's window free, and the
        document opens when it answers (None is returned then)."""
        pending = self._pending
        window = self.book_window
        if pending is not None and pending[0] == card.id and window is not None and not sip.isdeleted(window) \
                and window.loading and window.waits_for == pending[1]:
            window.bring_up()  # (clicked again while its book is read: the same window, nothing read twice)
            return window
        try:
            job = self._ask(card, lost=True)
        except Exception:
            self.log.exception("finding the source of card %s", getattr(card, "id", "?"))
            return None
        if job is None:
            return None
        self._pending = (card.id, job)
        self._clicks += 1
        click = self._clicks
        began = time.monotonic()
        # An earlier click's document still being read (a big book): this
        # lookup waits behind it; Anki's window does not.
        behind_read = self.reading > 0
        wait = 0 if behind_read or self.lookups.stuck(CLICK_WAIT) else CLICK_WAIT
        early = self._book_at_once(job) if job.answered.wait(wait) and not job.done.is_set() else None
        if early is None and job.done.wait(max(wait - (time.monotonic() - began), 0)):
            return self._open_found(job)
        opened = self._opened

        def then() -> None:
            # (Only the latest click's document: two quick clicks open one window, at the last card's place.)
            mw.taskman.run_on_main(lambda: self._open_found(job) if (self._opened, self._clicks) == (opened, click)
                                   and (early is None or early.waits_for is job) else self._opening_ends(job))

        if not job.when_done(then):
            return self._open_found(job)
        if early is not None:
            return early
        if not job.answered.is_set() and not behind_read:  # (found, and a big PDF being read: it opens in a moment)
            tooltip(html.escape(tr("The Polar folder is not answering; the document opens when it does.")),
                    period=4000)
        return None

    def _book_at_once(self, job: Job) -> Optional[Any]:
        """A click on an EPUB card: the book window shown at once, saying
        "Opening …", while the book is read and its place found (~0.2 s for
        a big book, more on a slow share): the section follows. None when
        the card's document is not an EPUB in the Polar folder (or the
        folder has not said yet)."""
        from ..polar.originals import EPUB

        origin = job.seen.get("origin")  # type: ignore[attr-defined]
        if origin is None or origin.original.kind != EPUB or origin.original.path is None:
            return None
        from .book_window import BookWindow

        if self.book_window is None or sip.isdeleted(self.book_window):
            self.book_window = BookWindow(None)
        window = self.book_window
        window.opening(origin.original.path, origin.original.title, origin.spot)
        window.waits_for = job
        window.bring_up()
        return window

    def _opening_ends(self, job: Job) -> None:
        """The book window shown at once for ``job`` has nothing to show
        (the lookup failed, the library changed meanwhile): it goes."""
        window = self.book_window
        if window is not None and not sip.isdeleted(window) and window.loading and window.waits_for is job:
            window.close()

    def _open_found(self, job: Job) -> Optional[Any]:
        if job.failed is not None or job.result is None:
            self._opening_ends(job)
            return None
        origin, lost, prepared = job.result
        if origin is None:
            self._opening_ends(job)
            self._say_lost(lost)
            return None
        return self.open_origin(origin, prepared)

    def _say_lost(self, lost: Optional[Tuple[str, str]]) -> None:
        if lost is not None:
            title, where = lost
            # Two lines: a tooltip does not wrap, and a path is long.
            tooltip(html.escape(tr("“{title}” is not on this computer any more.", title=title)) + "<br><small>"
                    + html.escape(tr("Polar Sync looked for it at {path}", path=where)) + "</small>", period=6000)

    def open_origin(self, origin: Origin, prepared: Any = None) -> Optional[Any]:
        """``prepared``: what ``_prepare`` read off Anki's main thread (None:
        nothing, read it here)."""
        from ..polar.epub_book import Opened
        from ..polar.originals import WEB

        original = origin.original
        if original.kind == WEB:
            if not QDesktopServices.openUrl(QUrl(original.url)):
                _say_no_program(original.title, original.url)
            return None
        if original.path is not None:
            return self.show_file(original, original.path, origin,
                                  body=prepared if isinstance(prepared, Body) else None,
                                  opened=prepared if isinstance(prepared, Opened) else None)
        if original.archive is None:
            return None
        if prepared is None:
            kept = self.bodies.cached(original.archive, original.member, original.size)
        else:
            kept = prepared or None  # (False: none kept)
        if kept is not None:
            return self._show_extracted(original, kept, origin, retry=True)
        self.extract(original, origin)
        return None

    def extract(self, original: Original, origin: Origin, retry: bool = True) -> None:
        """Take the document out of the export off the main thread (a
        gzip'd tar is read up to the member), then show it."""
        archive = original.archive
        assert archive is not None
        tooltip(tr("Taking “{title}” out of the Polar export…", title=original.title), period=3000)

        def task() -> Path:
            return self.bodies.get(archive, original.archive_kind, original.member, original.size, original.offset)

        from ..polar.body_cache import ExtractError

        def done(future: Any) -> None:
            try:
                path = future.result()
            except ExtractError as exc:
                self.log.warning("%s", exc)
                # The user's words first; the core's English detail small below.
                tooltip(html.escape(tr("“{title}” could not be taken out of the Polar export. Export your "
                                       "library from Polar again, then sync from the new file.",
                                       title=original.title))
                        + f"<br><small>{html.escape(str(exc))}</small>", period=6000)
                return
            self._show_extracted(original, path, origin, retry)

        run_file_task(task, done)

    def _show_extracted(self, original: Original, path: Path, origin: Origin, retry: bool) -> Optional[Any]:
        def unreadable() -> None:
            # Qt PDF could not read the kept copy: take it out once more.
            self.bodies.forget(path)
            self.extract(original, origin, retry=False)

        return self.show_file(original, path, origin, if_unreadable=unreadable if retry else None)

    def show_file(self, original: Original, path: Path, origin: Origin,
                  if_unreadable: Optional[Callable[[], None]] = None, body: Optional[Body] = None,
                  opened: Optional[Opened] = None) -> Optional[Any]:
        from ..polar.originals import EPUB, PDF

        if original.kind == EPUB:
            return self.show_book(original, path, origin, opened)
        if original.kind != PDF:
            if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
                _say_no_program(original.title, str(path))
            return None
        from . import pdf_support  # Qt PDF's library loads on the first open, not at Anki's start

        if not pdf_support.available():
            self.fallback = _open_in_webengine(path, origin, original.title)  # kept: it has no parent
            return self.fallback
        from .document_window import DocumentWindow

        if self.window is None or sip.isdeleted(self.window):
            self.window = DocumentWindow(None)
        window = self.window
        window.open(path, original.title, origin.spot, if_unreadable, body=body)
        window.bring_up()
        return window

    def show_book(self, original: Original, path: Path, origin: Origin, opened: Optional[Opened] = None) -> Any:
        """An EPUB in the add-on's book window at its highlight (``opened``:
        read off the main thread; None: the window reads it on one)."""
        from .book_window import BookWindow

        if self.book_window is None or sip.isdeleted(self.book_window):
            self.book_window = BookWindow(None)
        window = self.book_window
        window.open(path, original.title, origin.spot, opened)
        window.bring_up()
        return window

    def close(self) -> None:
        if self.window is not None and not sip.isdeleted(self.window):
            self.window.close()
        if self.book_window is not None and not sip.isdeleted(self.book_window):
            self.book_window.dispose()
        self.window = self.book_window = None
        self.forget()


def _say_no_program(title: str, where: str) -> None:
    """The system had no program to hand the document to (no EPUB reader,
    no ``xdg-open``): a click never does nothing, and the person learns
    where the file is to open it some other way."""
    tooltip(html.escape(tr("No program on this computer opened “{title}”.", title=title)) + "<br><small>"
            + html.escape(tr("It is at {path}", path=where)) + "</small>", period=8000)


def _open_in_webengine(path: Path, origin: Origin, title: str) -> Optional[Any]:
    """Without Qt PDF: Chromium's PDF viewer in a web view at ``#page=N``;
    without that either, the system's viewer."""
    try:
        from aqt.qt import QWebEngineSettings, QWebEngineView
    except ImportError:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
        return None
    view = QWebEngineView()
    settings = view.settings()
    if settings is not None:
        settings.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, True)
        pdf_viewer = getattr(QWebEngineSettings.WebAttribute, "PdfViewerEnabled", None)
        if pdf_viewer is not None:
            settings.setAttribute(pdf_viewer, True)
    url = QUrl.fromLocalFile(str(path))
    if origin.spot.page > 0:
        url.setFragment(f"page={origin.spot.page}")
    view.setWindowTitle(title)
    view.resize(760, 900)
    view.load(url)
    view.show()
    return view
