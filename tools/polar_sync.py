#!/usr/bin/env python3
"""Sync a Polar library into an Anki collection file, without Anki's window.

    .venv/bin/python tools/polar_sync.py --data-dir DIR_OR_EXPORT --collection FILE.anki2 \
        [--lang LANG] [--config FILE.json] [--report FILE.json] [--dry-run] [--debug]

``--data-dir`` is a Polar data directory or a Polar 2.x export, whatever its
name (Polar's own ``….zip`` is a gzip'd tar; a re-packed zip or tar works
too). An export is read once and remembered in
``FILE.polar-sync.export-cache.sqlite``; a sync that takes more than a couple
of seconds prints its progress on stdout.

Exit codes: 0 the sync ran (per-document problems are in the report), 2 usage
error or unusable library (nothing written), 1 the sync failed or was
interrupted (the collection and the sync state are restored to how they
were). Every error is one line on stderr; ``--debug`` adds the traceback.
The sync state lives beside the collection, in ``FILE.polar-sync.sqlite``;
the safety steps are in ``cli_safety.py``.
"""

from __future__ import annotations

import os
import signal
import sys

# Ctrl-C or SIGTERM outside the run's own handlers: while Python imports the
# sync (a tenth of a second, nothing opened yet) and while it exits after the
# run (the collection already closed). Python's defaults would print a
# KeyboardInterrupt traceback, or end a finished sync with "Terminated" and
# exit 143. Set before anything else is imported, even ``typing`` (~10 ms of
# re, contextlib…, where a fuzzer's Ctrl-C still met Python's traceback): os,
# signal and sys are loaded with Python itself. (Annotations are not evaluated.)
exit_code: Optional[int] = None  # the run's, once it has one


def _outside_a_run(signum: int, _frame: Any) -> None:
    if exit_code is None:  # (Python's own start, before this line runs, is not covered)
        sys.stderr.write(f"polar_sync: interrupted ({signal.Signals(signum).name}) before the sync began; "
                         "nothing was changed\n")
        sys.stderr.flush()
        os._exit(1)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(exit_code)  # the run is over and its collection closed: leave as it ended


if __name__ == "__main__":
    for _signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(_signum, _outside_a_run)

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Dict, List, Optional  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from cli_safety import (  # noqa: E402
    CliError,
    GuardedCollection,
    Interrupted,
    Signals,
    UsageError,
    check_collection,
    check_report_path,
    checkpoint,
    describe,
    disk_full,
    progress_point,
    quiet_anki_stall_note,
    write_refused,
    write_report,
)

if __name__ == "__main__":
    checkpoint("starting")  # the test hook: before the sync's modules are imported

from addon.polar.library import SourceError, beside, open_source, unpacked_export_around  # noqa: E402
from addon.settings import Settings, load_defaults  # noqa: E402


def say(text: str) -> None:
    """One line (or more) on stdout. A reader that went away (``… | head -1``,
    a closed pipe) ends only what it reads: the run goes on unheard and ends
    with its own code, not a BrokenPipeError traceback after a complete sync."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # what is still buffered goes nowhere
        os.close(devnull)


class ProgressPrinter:
    """Prints progress lines once a run has taken ``after`` seconds, at most
    one per ``every`` seconds: quick syncs stay quiet, a first read of a
    multi-GB export does not look hung."""

    def __init__(self, out: Any = None, after: float = 2.0, every: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.out = out
        self.after = after
        self.every = every
        self.clock = clock
        self.start = clock()
        self.last = float("-inf")

    def __call__(self, message: str) -> None:
        now = self.clock()
        if now - self.start < self.after or now - self.last < self.every:
            return
        self.last = now
        if self.out is None:
            say(message)
        else:
            print(message, file=self.out, flush=True)


def state_path_for(collection: Path) -> Path:
    """Beside the real file of a symlinked collection: it belongs to that file."""
    real = Path(os.path.realpath(collection))
    return real.with_name(real.stem + ".polar-sync.sqlite")


def load_settings(config_file: Optional[Path], data_dir: Path) -> tuple[Settings, List[str]]:
    raw: Dict[str, Any] = load_defaults()
    if config_file is not None:
        try:
            overrides = json.loads(config_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"cannot read --config {config_file} ({exc.strerror or exc}); give a JSON file "
                             "of settings, as in addon/config.json") from None
        except ValueError as exc:
            raise UsageError(f"--config {config_file} is not valid JSON ({exc}); fix the file and run again") from None
        if not isinstance(overrides, dict):
            raise UsageError(f"--config {config_file} must hold one JSON object of settings, as in addon/config.json")
        raw.update(overrides)
    raw["data_dir"] = str(data_dir)
    return Settings.from_dict(raw)


def page_label_in(lang: str) -> str:
    """The words before a page number in ``lang`` (the add-on's catalogue):
    what a collection gets whose first sync this is (addon/sync/page_label.py)."""
    from addon.gui import i18n
    from addon.sync.page_label import from_words

    i18n.force(i18n.supported(lang))
    try:
        return from_words(i18n.tr("p. {page}"))
    finally:
        i18n.force(None)


# How long a run waits for a state.json still being written (read.WRITING_NS:
# one written within the last 5 s that cannot be parsed) to be whole.
SETTLE_S = 30.0


def run(args: argparse.Namespace, signals: Signals) -> int:
    # Held: a signal raised inside a C extension's own imports crashes it.
    # orjson's init imports uuid, datetime…, and took the Interrupted there
    # for a missing module: SIGSEGV (exit -11), 3 random runs in 250 on Anki
    # 23.10's venv, once before. The signal waits, then ends the run as
    # "interrupted before the sync began".
    with signals.held():
        from addon.sync.engine import sync

    data_dir = Path(args.data_dir).expanduser()
    try:
        # Fail fast (exit 2) before anything is created. (The export cache
        # knows the export read last: renamed in its folder, it is named.)
        open_source(data_dir, beside(state_path_for(Path(args.collection).expanduser())))
    except SourceError as exc:
        if exc.renamed is not None:
            raise UsageError(str(exc).rsplit(": choose that one", 1)[0] + f": use --data-dir {exc.renamed}") from None
        raise UsageError(f"{exc}; point --data-dir at a Polar data folder or a Polar export") from None
    settings, warnings = load_settings(Path(args.config) if args.config else None, data_dir)
    if args.lang:
        settings = settings._replace(page_label=page_label_in(args.lang))
    collection = Path(args.collection).expanduser()
    check_collection(collection)
    report_path = check_report_path(args.report) if args.report else None

    scratch: Optional[tempfile.TemporaryDirectory[str]] = None
    if args.dry_run and not collection.exists():
        # Plan against an empty collection of that language; write nothing.
        scratch = tempfile.TemporaryDirectory(prefix="polar-sync-dry-")
        collection = Path(scratch.name) / "collection.anki2"
    state = None if scratch is not None else state_path_for(collection)
    guard = GuardedCollection(collection, state, signals)
    try:
        col = guard.open(args.lang)
        checkpoint("opened")
        if not args.dry_run:
            guard.make_backup()
        checkpoint("backed-up")
        printer = ProgressPrinter()

        def progress(message: str) -> None:
            checkpoint(progress_point(message))
            printer(message)

        # A state.json being written in place as it is read (a file-syncing
        # service, a copy) is waited for, not called damaged: this run is
        # the only reading (the GUI reads it again later instead).
        report = sync(col, settings, state, source_path=data_dir, dry_run=args.dry_run, progress=progress,
                      settle_s=SETTLE_S)
        checkpoint("synced")
        for w in warnings:  # ("config: deck_strategy=... must be one of ...": the path names it already)
            report.warn(f"--config {args.config}" if args.config else "config", w.removeprefix("config: "))
        if report_path is not None:
            try:
                write_report(report_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
            except OSError as exc:
                raise CliError(f"cannot write --report {report_path} ({exc.strerror}); "
                               "the sync was undone, choose another file and run again") from None
    except Interrupted as exc:
        guard.restore()
        print(f"polar_sync: interrupted ({exc.name}); the collection {collection} and its sync state were "
              "restored as they were before this run", file=sys.stderr)
        return 1
    except CliError:
        guard.restore()
        raise
    except SourceError as exc:
        # The export could not be read after all (an I/O error mid-read):
        # nothing was written; a problem with the input, not a bug.
        guard.restore()
        raise UsageError(str(exc)) from None
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        guard.restore()
        if disk_full(exc):
            print(f"polar_sync: the sync failed (the disk is full); the collection {collection} was left as it "
                  "was; free some disk space and run again", file=sys.stderr)
            return 1
        if write_refused(exc):
            print(f"polar_sync: the sync failed ({describe(exc)}); the collection {collection} was left as it "
                  "was; check the disk (free space, a file-size limit) and run again", file=sys.stderr)
            return 1
        print(f"polar_sync: the sync failed ({describe(exc)}); the collection {collection} was left as it was"
              + ("" if args.debug else "; run again with --debug for the details"), file=sys.stderr)
        return 1
    finally:
        if scratch is not None:
            guard.restore()  # closes the scratch collection
            scratch.cleanup()
    guard.finish()
    say(report.summary())
    if not report.documents and not report.errors:
        # Most often the wrong folder (the home folder, a document's own folder, stash/).
        around = unpacked_export_around(Path(data_dir))
        if around is not None:
            print(f"polar_sync: {data_dir} is inside an unpacked Polar export: use --data-dir {around}",
                  file=sys.stderr)
        elif Path(data_dir).is_file():
            print(f"polar_sync: the Polar export {data_dir} holds no Polar documents (no doc_meta/ records): "
                  "check --data-dir", file=sys.stderr)
        else:
            print(f"polar_sync: there are no Polar documents in {data_dir}; a Polar data folder holds one folder "
                  "per document, each with a state.json (usually ~/.polar): check --data-dir", file=sys.stderr)
    if report.being_written:
        paths = ", ".join(sorted(report.being_written.values()))
        print(f"polar_sync: still being written after {SETTLE_S:.0f} s, so left as it was in Anki (not damaged): "
              f"{paths}; run again once it is written", file=sys.stderr)
    if signals.received is not None:
        print(f"polar_sync: {signals.received_name} arrived after the sync was complete; "
              "it finished and was kept", file=sys.stderr)
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="polar_sync.py", description="Sync a Polar library into an Anki collection."
    )
    parser.add_argument("--data-dir", required=True,
                        help="Polar data directory or Polar 2.x export (.zip, .tar.gz, any name)")
    parser.add_argument("--collection", required=True, help="Anki collection file (.anki2); created if missing")
    parser.add_argument("--lang", help="UI language for a new collection, e.g. de_DE (names its stock note types; "
                        "the page label of its cards, \"S. 12\")")
    parser.add_argument("--config", help="JSON file overriding keys of addon/config.json")
    parser.add_argument("--report", help="write the report as JSON to this file")
    parser.add_argument("--dry-run", action="store_true", help="plan and report; change nothing")
    parser.add_argument("--debug", action="store_true", help="print the traceback of an unexpected error")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors already
        return int(exc.code or 0)
    for stream in (sys.stdout, sys.stderr):  # paths that are not UTF-8 are printed escaped
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")
    global exit_code
    quiet_anki_stall_note()  # stdout is the summary's (Anki 23.12-25.09 print a stack there)
    signals = Signals()
    signals.install()
    code = 1  # what an unexpected exception out of run() ends with
    try:
        code = run(args, signals)
    except CliError as exc:
        print(f"polar_sync: {exc}", file=sys.stderr)
        code = exc.code
    except Interrupted as exc:  # before anything was opened
        print(f"polar_sync: interrupted ({exc.name}) before the sync began; nothing was changed", file=sys.stderr)
        code = 1
    finally:
        exit_code = code  # before the handlers go: a signal from here on ends the process with it
        signals.uninstall()
    return code


if __name__ == "__main__":
    code = main()
    checkpoint("exiting")  # the test hook: a signal here ends the process with the run's code
    # The collection is closed and the report written: end here. Python's own
    # exit (~60 ms: module teardown, Anki's backend) first puts the default
    # signal handlers back, so a Ctrl-C in it would still end a finished
    # sync with a traceback or "Terminated".
    for _stream in (sys.stdout, sys.stderr):
        try:
            _stream.flush()
        except (OSError, ValueError):  # a reader that went away
            pass
    os._exit(code)
