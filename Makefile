# Polar Sync: every command a developer or CI needs. See README.md.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := tools/sample_library
export QT_QPA_PLATFORM ?= offscreen

.PHONY: demo test test-slow test-compat test-middle test-versions lint typecheck build anki bench bench-small clean qt-deps screenshots sample-shots

$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed to run Anki 26.x (make PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

# Headless Qt needs a few shared libraries; install them when we can (root),
# otherwise print the exact line to run.
qt-deps:
	@tools/qt_deps.sh

demo: $(STAMP)
	rm -rf build/demo
	$(PY) tools/polar_sync.py --data-dir $(SAMPLE) --collection build/demo/collection.anki2 \
		--report build/demo/report.json
	@echo
	@echo "Second run (nothing should change):"
	$(PY) tools/polar_sync.py --data-dir $(SAMPLE) --collection build/demo/collection.anki2

test: $(STAMP) qt-deps build
	$(PY) -m pytest -q -m "not slow"
	$(MAKE) --no-print-directory lint

test-slow: $(STAMP) qt-deps build test-compat test-middle
	$(PY) -m pytest -q -m slow

# The core suite and the real-Anki GUI suite on Anki 23.10 / Python 3.9 in
# their own venv (.venv39).
test-compat: qt-deps
	tools/compat.sh

# One Anki between the two ends, the one least like both (docs/testing.md):
# 25.09.5 as its launcher installs it, Python 3.13 and Qt 6.9; the core suite,
# the CLI's stdout and the real-Anki files that touch the most of Anki's API
# (3 min on a quiet 2-core machine, ~10 loaded).
MIDDLE_VERSION ?= 25.9.5
MIDDLE_TESTS := tests/sync tests/polar tests/render tests/reliability/test_compat.py tests/reliability/test_cli_stdout.py \
	tests/gui/test_in_anki.py tests/gui/test_source_link.py tests/gui/test_in_anki_background.py \
	tests/gui/test_watcher_in_anki.py tests/gui/test_report_codes.py
test-middle: qt-deps
	ANKI_VERSION=$(MIDDLE_VERSION) tools/compat.sh $(MIDDLE_TESTS)

# Every pinned Anki between the ends, whole suites (not in CI: ~25 min each, as CI's 23.10.1 run of test-compat).
test-versions: qt-deps
	for v in 24.6.3 24.11 25.2.7 25.9.5; do ANKI_VERSION=$$v tools/compat.sh || exit 1; done

lint: $(STAMP)
	$(PY) -m ruff check addon tools tests
	$(PY) -m mypy
	$(PY) tools/import_cycles.py addon
	$(PY) tools/i18n_check.py
	$(PY) tools/doc_links.py

build: $(STAMP)
	$(PY) tools/build_addon.py

anki: $(STAMP) qt-deps build
	$(PY) tools/run_anki.py

# docs/*.png and docs/cards/*.png from real Anki, headless (tools/screenshots.py).
screenshots: $(STAMP) qt-deps
	$(PY) tools/screenshots.py

# Every card of the real Polar samples (../shared/polar-samples) and the sample
# library in the reviewer: English, German, and both without the add-on, light
# and night, 400 px; and the source viewer. build/card-shots/ (~6 min).
sample-shots: $(STAMP) qt-deps
	$(PY) tools/sample_shots.py

# The viewer and "first sync in Anki" figures start Qt (offscreen).
bench: $(STAMP) qt-deps
	$(PY) tools/bench.py

bench-small: $(STAMP) qt-deps
	$(PY) tools/bench.py --documents 50 --cards 2000 --export-mb 50

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
