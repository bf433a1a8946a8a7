# Polar Sync: every command a developer or CI needs. See README.md.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLE := tools/sample_library
export QT_QPA_PLATFORM ?= offscreen

.PHONY: demo test test-slow test-compat lint typecheck build anki bench bench-small clean qt-deps screenshots sample-shots

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

test-slow: $(STAMP) qt-deps build test-compat
	$(PY) -m pytest -q -m slow

# The core suite and the real-Anki GUI suite on Anki 23.10 / Python 3.9 in
# their own venv (.venv39).
test-compat: qt-deps
	tools/compat.sh

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
