"""Reading a real Anki run's output for the add-on's own tracebacks."""

from __future__ import annotations

from tests.gui.anki_output import media_server_noise_removed, our_tracebacks, tracebacks

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
