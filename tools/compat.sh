#!/usr/bin/env bash
# Compatibility check: the core test suite and the real-Anki GUI suite
# (tests/gui) on the oldest supported Anki (23.10, which bundles Python 3.9)
# in its own venv, .venv39.
#
#   tools/compat.sh            create/refresh .venv39 when needed, run the tests
#   PYTHON39=/path/python3.9 tools/compat.sh
#
# anki 26.x ships only cp310-abi3 wheels, so Python 3.9 needs an explicit
# anki==23.10.1 (pip would otherwise silently pick some older anki).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv39
ANKI_VERSION=23.10.1
# Last releases that still support Python 3.9. aqt only asks for pyqt6>=6.2,
# which would resolve to today's PyQt6; pin the Qt 6.6 of the 23.10 era
# (ankitects/anki python/requirements.qt6_lin.in), abi3 wheels for 3.9.
# Qt's system libraries: tools/qt_deps.sh (make qt-deps).
PINS=("anki==${ANKI_VERSION}" "aqt==${ANKI_VERSION}"
      "pyqt6==6.6.0" "pyqt6-qt6==6.6.0" "pyqt6-webengine==6.6.0" "pyqt6-webengine-qt6==6.6.0" "pyqt6-sip==13.6.0"
      "pytest==8.4.2" "pytest-qt==4.5.0" "hypothesis==6.141.1" "watchdog==6.0.0")
STAMP="$VENV/.installed-$(echo "${PINS[*]}" | cksum | cut -d" " -f1)"

find_python39() {
    if [ -n "${PYTHON39:-}" ]; then echo "$PYTHON39"; return; fi
    local root="${PYENV_ROOT:-$HOME/.pyenv}" candidate
    # pyenv's real interpreter first: a shim on PATH may refuse to run.
    for candidate in $(ls -d "$root"/versions/3.9.*/bin/python3.9 2>/dev/null | sort -rV) "$(command -v python3.9 || true)"; do
        if [ -n "$candidate" ] && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))' 2>/dev/null; then
            echo "$candidate"; return
        fi
    done
}

PY39="$(find_python39)"
if [ -z "$PY39" ]; then
    echo "compat: no Python 3.9 found; install it (pyenv install 3.9) or set PYTHON39=/path/to/python3.9" >&2
    exit 1
fi

if [ ! -f "$STAMP" ]; then
    rm -rf "$VENV"
    "$PY39" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet "${PINS[@]}"
    touch "$STAMP"
fi

"$VENV/bin/python" -c "import sys, anki.buildinfo as b; print(f'compat: anki {b.version} on Python {sys.version.split()[0]}')"
# The core suite, the language-profile and 3.9-syntax checks, two computers
# kept in step by 23.10's own sync server, and the add-on
# inside real Anki 23.10 (tests/gui builds dist/ with this interpreter).
export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider \
    tests/sync tests/polar tests/render tests/reliability/test_compat.py tests/reliability/test_two_computers.py \
    tests/gui "$@"
