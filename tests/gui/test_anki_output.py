"""Reading a real Anki run's output for the add-on's own tracebacks."""

from __future__ import annotations

from tests.gui.anki_output import ankis_close_race, media_server_noise_removed, our_tracebacks, tracebacks

# As Anki 26.9 printed it in CI when a profile closed (stop 64).
MEDIA_SERVER = """\
2026-12-05 18:51:41,718:ERROR:waitress: Exception when servicing <waitress.channel.HTTPChannel at 0x7f36e4185690>
Traceback (most recent call last):
  File "/v/lib/python3.11/site-packages/waitress/task.py", line 83, in handler_thread
    task.service()
  File "/v/lib/python3.11/site-packages/waitress/trigger.py", line 130, in _physical_pull
    os.write(self.trigger, b"x")
OSError: [Errno 9] Bad file descriptor
2026-12-05 18:51:41,718:INFO:waitress: Client disconnected while serving /favicon.ico
"""

OURS = """\
Traceback (most recent call last):
  File "/v/lib/python3.11/site-packages/waitress/task.py", line 83, in handler_thread
    task.service()
  File "/base/addons21/polar_sync/gui/runner.py", line 12, in run
    sync()
KeyError: 'deck'
"""


def test_each_traceback_is_read_to_its_exception_line():
    found = tracebacks("before\n" + MEDIA_SERVER + OURS + "after\n")
    assert len(found) == 2
    assert found[0].endswith("OSError: [Errno 9] Bad file descriptor")
    assert found[1].endswith("KeyError: 'deck'")


def test_anki_media_server_closing_is_not_the_add_ons():
    assert our_tracebacks(MEDIA_SERVER) == []
    assert our_tracebacks("nothing went wrong\n") == []


def test_a_traceback_through_the_add_on_is_kept_even_beside_waitress_frames():
    assert our_tracebacks(MEDIA_SERVER + OURS) == [tracebacks(OURS)[0]]


def test_the_media_server_s_log_lines_go_with_its_tracebacks():
    left = media_server_noise_removed("first\n" + MEDIA_SERVER + OURS + "last")
    assert "Exception" not in left.replace(OURS.strip(), "") and "waitress: Client" not in left
    assert left.startswith("first\n") and left.endswith("last") and OURS.strip() in left


# As Anki 26.9 raised it: its deck browser's refresh (the one after its AnkiWeb
# sync on a profile's close) run on a collection just closed (test_soak_in_anki
# in CI; made again by closing the collection before Anki's own refresh).
DECK_BROWSER_RACE = """\
Traceback (most recent call last):
  File "/root/.pyenv/versions/3.11.7/lib/python3.11/concurrent/futures/thread.py", line 58, in run
    result = self.fn(*self.args, **self.kwargs)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/v/lib/python3.11/site-packages/aqt/operations/__init__.py", line 243, in wrapped_op
    return self._op(mw.col)
           ^^^^^^^^^^^^^^^^
  File "/v/lib/python3.11/site-packages/aqt/deckbrowser.py", line 163, in get_data
    tree=col.sched.deck_due_tree(),
         ^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/v/lib/python3.11/site-packages/anki/scheduler/base.py", line 79, in deck_due_tree
    tree = self.col._backend.deck_tree(now=int_time())
           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/v/lib/python3.11/site-packages/anki/_backend_generated.py", line 386, in deck_tree
    raw_bytes = self._run_command(7, 4, message.SerializeToString())
                ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/v/lib/python3.11/site-packages/anki/_backend.py", line 175, in _run_command
    raise backend_exception_to_pylib(err)
anki.errors.InvalidInput: CollectionNotOpen
"""


def _shown(kind: str, text: str, tb: str) -> dict:
    return {"type": kind, "text": text, "traceback": tb}


def test_ankis_own_op_on_a_closed_collection_is_its_race():
    assert ankis_close_race(_shown("InvalidInput", "CollectionNotOpen", DECK_BROWSER_RACE))
    assert ankis_close_race(_shown("CollectionNotOpen", "CollectionNotOpen", DECK_BROWSER_RACE))
    none = DECK_BROWSER_RACE.replace("anki.errors.InvalidInput: CollectionNotOpen",
                                     "AttributeError: 'NoneType' object has no attribute 'sched'")
    assert ankis_close_race(_shown("AttributeError", "'NoneType' object has no attribute 'sched'", none))


def test_an_exception_through_an_add_on_or_of_another_kind_is_not_anki_s_race():
    ours = DECK_BROWSER_RACE.replace("/v/lib/python3.11/site-packages/aqt/deckbrowser.py",
                                     "/base/addons21/polar_sync/gui/operations.py")
    assert not ankis_close_race(_shown("InvalidInput", "CollectionNotOpen", ours))
    assert not ankis_close_race(_shown("KeyError", "'deck'", DECK_BROWSER_RACE))
    assert not ankis_close_race(_shown("InvalidInput", "the deck name is empty", DECK_BROWSER_RACE))
    assert not ankis_close_race(_shown("AttributeError", "'Card' object has no attribute 'x'", DECK_BROWSER_RACE))
    no_frames = "anki.errors.CollectionNotOpen: CollectionNotOpen\n"
    assert not ankis_close_race(_shown("CollectionNotOpen", "CollectionNotOpen", no_frames))
